//! Scratch databases for tests and benchmarks (feature `testkit`; not semver-stable).
//!
//! Each [`ScratchDatabase`] is a new database `commerce_test_<unix seconds>_<random>` on the
//! server, so concurrent test runs never see each other's rows. It is dropped when the last
//! handle and the last store opened on it are dropped. Databases left behind by killed runs are
//! dropped by the first `create` of a later process once they are an hour old.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::Rng;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlConnection};

use crate::error::redact;
use crate::{Error, MySqlOptions, MySqlStore};

/// Name prefix of scratch databases.
const PREFIX: &str = "commerce_test_";
/// Age after which a scratch database is presumed abandoned.
const ABANDONED_AFTER_SECS: u64 = 3600;

static SWEPT: AtomicBool = AtomicBool::new(false);

/// A database created for one test, dropped when the last handle or store using it is dropped.
///
/// ```no_run
/// # async fn run() -> Result<(), commerce_mysql::Error> {
/// let db = commerce_mysql::ScratchDatabase::create("mysql://root@127.0.0.1:3306/test").await?;
/// let store = db.open().await?; // migrated
/// # drop(store);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ScratchDatabase {
    inner: Arc<Guard>,
}

struct Guard {
    server: MySqlConnectOptions,
    name: String,
    url: String,
}

impl std::fmt::Debug for ScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase").field("name", &self.inner.name).finish_non_exhaustive()
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `url` with its database path replaced by `name` (query parameters kept).
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{name}{query}", &base[..path_start])
}

/// The creation time encoded in a scratch database's name.
fn created_secs(name: &str) -> Option<u64> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
}

async fn sweep_abandoned(conn: &mut MySqlConnection) {
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let names: Vec<String> = match sqlx::query_scalar(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?",
    )
    .bind(format!("{}%", PREFIX.replace('_', "\\_")))
    .fetch_all(&mut *conn)
    .await
    {
        Ok(names) => names,
        Err(_) => return,
    };
    let now = now_secs();
    for name in names {
        if created_secs(&name).is_some_and(|t| now.saturating_sub(t) > ABANDONED_AFTER_SECS) {
            let _ = conn.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`"))).await;
        }
    }
}

impl ScratchDatabase {
    /// Creates a new empty database on the server of `server_url` (its database must exist; the
    /// server's root URL such as `mysql://root@127.0.0.1:3306/test`). Fails with
    /// [`Error::Connect`] when the server cannot be reached.
    pub async fn create(server_url: &str) -> Result<Self, Error> {
        let url = server_url.trim().replacen("mariadb://", "mysql://", 1);
        let server = MySqlConnectOptions::from_str(&url)
            .map_err(|e| Error::InvalidUrl { url: redact(&url), reason: e.to_string() })?
            .disable_statement_logging();
        let connect_err = |e: sqlx::Error| Error::Connect { url: redact(&url), source: Box::new(e) };
        let mut conn = server.connect().await.map_err(connect_err)?;
        sweep_abandoned(&mut conn).await;
        let name = format!("{PREFIX}{}_{:08x}", now_secs(), rand::rng().random::<u32>());
        conn.execute(AssertSqlSafe(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )))
        .await
        .map_err(connect_err)?;
        let _ = conn.close().await;
        let url = with_database(&url, &name);
        Ok(ScratchDatabase { inner: Arc::new(Guard { server, name, url }) })
    }

    /// The database's URL (for other processes to open it).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Opens a store on it with default options (applying the migrations).
    pub async fn open(&self) -> Result<MySqlStore, Error> {
        self.open_with(MySqlOptions::new(self.url())).await
    }

    /// Opens a store on it with `options` (whose URL should be [`ScratchDatabase::url`]). The
    /// store keeps the database alive.
    pub async fn open_with(&self, options: MySqlOptions) -> Result<MySqlStore, Error> {
        options.open_keeping(Some(self.inner.clone())).await
    }
}

impl Drop for Guard {
    /// Drops the database, blocking this thread for at most ten seconds (on a helper thread with
    /// its own runtime, so it works inside or outside an async runtime, and while unwinding).
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = std::mem::take(&mut self.name);
        let work = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let drop_it = async {
                    let mut conn = server.connect().await?;
                    conn.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`"))).await?;
                    conn.close().await
                };
                if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(10), drop_it).await {
                    eprintln!("could not drop scratch database {name}: {e}");
                }
            });
        });
        let _ = work.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_and_names() {
        for (url, expected) in [
            ("mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/x"),
            ("mysql://root@127.0.0.1:3306", "mysql://root@127.0.0.1:3306/x"),
            ("mysql://u:p@db/test?ssl-mode=disabled", "mysql://u:p@db/x?ssl-mode=disabled"),
        ] {
            assert_eq!(with_database(url, "x"), expected, "{url}");
        }
        assert_eq!(created_secs("commerce_test_1767225600_0a0b0c0d"), Some(1_767_225_600));
        assert_eq!(created_secs("commerce_testing"), None);
        assert_eq!(created_secs("shop"), None);
    }
}
