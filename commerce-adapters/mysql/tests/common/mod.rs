//! Shared test setup: the server URL from the environment, scratch databases, and the skip rule.

#![allow(dead_code)]

use commerce_mysql::{Error, MySqlStore, ScratchDatabase};

/// The server the tests use: `COMMERCE_TEST_MYSQL_URL`, or the local default.
pub fn server_url() -> String {
    std::env::var("COMMERCE_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// Whether a missing server fails the test (`COMMERCE_REQUIRE_SERVICES=1`) instead of skipping it.
pub fn services_required() -> bool {
    std::env::var("COMMERCE_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// `url` without its password.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => {
            let user_end = s + 3 + url[s + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A fresh database on the test server, or `None` (after printing `SKIPPED: ...`) when the
/// server cannot be reached and skipping is allowed.
pub async fn scratch() -> Option<ScratchDatabase> {
    let url = server_url();
    match ScratchDatabase::create(&url).await {
        Ok(db) => Some(db),
        Err(e @ Error::Connect { .. }) => {
            let why = format!("MySQL unreachable at {}: {e}", redacted(&url));
            if services_required() {
                panic!("{why} (COMMERCE_REQUIRE_SERVICES=1)");
            }
            println!("SKIPPED: {why}");
            None
        }
        Err(e) => panic!("cannot create a scratch database on {}: {e}", redacted(&url)),
    }
}

/// A migrated store on a fresh database (dropped with the store), or `None` when skipped.
pub async fn scratch_store() -> Option<MySqlStore> {
    let db = scratch().await?;
    Some(db.open().await.unwrap_or_else(|e| panic!("open {}: {e}", db.name())))
}
