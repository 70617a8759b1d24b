//! Fresh SQLite database files for tests.
//!
//! Each call gives a new path in `<target>/tmp/sqlite-tests/` (cargo's scratch directory for
//! integration tests). The database must outlive the call that made it (the kit's factory
//! returns only the store), so files are not deleted when a test ends; instead every call prunes
//! files there older than an hour, which bounds what accumulates without racing tests in flight.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

static SEQ: AtomicU64 = AtomicU64::new(0);

/// The directory holding test databases.
pub fn dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-tests");
    std::fs::create_dir_all(&dir).expect("create the test database directory");
    dir
}

/// A path for a new database file named after `label`, unique across processes and calls.
pub fn fresh_db(label: &str) -> PathBuf {
    let dir = dir();
    prune(&dir);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{label}-{}-{nanos}-{n}.db", std::process::id()))
}

fn prune(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
