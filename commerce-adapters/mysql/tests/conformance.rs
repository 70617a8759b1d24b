//! The whole conformance kit on MySQL/MariaDB: one test per behaviour, each on its own fresh
//! database (dropped afterwards). Skipped, with a `SKIPPED:` line, when the server is unreachable
//! and `COMMERCE_REQUIRE_SERVICES` is not `1`.

mod common;

use std::sync::Arc;

use commerce_core::ports::storage::Store;

async fn store() -> Option<Arc<dyn Store>> {
    common::scratch_store().await.map(|s| Arc::new(s) as Arc<dyn Store>)
}

commerce_storage::conformance_tests!(store);
