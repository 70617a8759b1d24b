//! The whole conformance kit on the SQLite backend: file-backed (a fresh database file per
//! test) and in-memory (a fresh private database per test).

#![cfg(feature = "sqlite")]

mod sqlite_support;

mod file {
    use std::sync::Arc;

    use commerce_core::ports::storage::Store;
    use commerce_storage::SqliteStore;

    commerce_storage::conformance_tests!(|| async {
        let path = super::sqlite_support::fresh_db("kit");
        let store =
            SqliteStore::open(path.to_str().expect("utf-8 path")).await.expect("open the database file");
        assert!(store.capabilities().durable);
        Some(Arc::new(store) as Arc<dyn Store>)
    });
}

mod memory {
    use std::sync::Arc;

    use commerce_core::ports::storage::Store;
    use commerce_storage::SqliteStore;

    commerce_storage::conformance_tests!(|| async {
        let store = SqliteStore::open("sqlite::memory:").await.expect("open an in-memory database");
        assert!(!store.capabilities().durable);
        Some(Arc::new(store) as Arc<dyn Store>)
    });
}
