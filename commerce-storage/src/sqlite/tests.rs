//! Unit tests of the connection settings and the write-transaction helper.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use commerce_core::ids::Sku;
use commerce_core::ports::storage::{InventoryStore, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

use super::{SqliteStore, Synchronous};

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unit.db").to_str().unwrap().to_owned();
    (dir, path)
}

/// A connection of "another process": its own connection, no busy wait.
async fn other_connection(path: &str) -> SqliteConnection {
    SqliteConnectOptions::new().filename(path).busy_timeout(Duration::ZERO).connect().await.unwrap()
}

async fn pragma(store: &SqliteStore, name: &str) -> String {
    let mut conn = store.writer.acquire().await.unwrap();
    let v: sqlx::sqlite::SqliteRow =
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}"))).fetch_one(&mut *conn).await.unwrap();
    use sqlx::Row;
    v.try_get::<String, _>(0).or_else(|_| v.try_get::<i64, _>(0).map(|n| n.to_string())).unwrap()
}

#[tokio::test]
async fn settings_reach_the_connection() {
    let (_dir, path) = temp_db();
    // (synchronous option, PRAGMA synchronous value)
    for (sync, expected) in [(Synchronous::Normal, "1"), (Synchronous::Full, "2")] {
        let store = SqliteStore::options(&path)
            .synchronous(sync)
            .busy_timeout(Duration::from_millis(1234))
            .open()
            .await
            .unwrap();
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "synchronous").await, expected, "{sync:?}");
        assert_eq!(pragma(&store, "busy_timeout").await, "1234");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        store.close().await;
    }
}

#[tokio::test]
async fn write_transactions_take_the_write_lock_at_begin() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).await.unwrap();
    let mut other = other_connection(&path).await;

    // `write()` has run no statement yet, but another writer is already shut out.
    let tx = store.write().await.unwrap();
    let err = sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    drop(tx);

    // Control: a deferred transaction (what `pool.begin()` gives) takes no lock at BEGIN.
    let deferred = store.writer.begin().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    drop(deferred);
}

#[tokio::test]
async fn writers_wait_for_another_process_within_the_busy_timeout() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::options(&path).busy_timeout(Duration::from_secs(10)).open().await.unwrap();
    let sku = Sku::parse("WAIT-1").unwrap();
    store.set_stock(&sku, 1, false, None).await.unwrap();

    let mut other = other_connection(&path).await;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let released = Arc::new(AtomicBool::new(false));
    let holder = {
        let released = released.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            released.store(true, Ordering::SeqCst);
            sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        })
    };
    let level = store.adjust_stock(&sku, 2).await.expect("waited for the lock instead of failing");
    assert!(released.load(Ordering::SeqCst), "the write went through only after the other writer finished");
    assert_eq!(level.on_hand, 3);
    holder.await.unwrap();

    // With no patience, the same situation is a backend error and changes nothing.
    let impatient = SqliteStore::options(&path).busy_timeout(Duration::ZERO).open().await.unwrap();
    let mut other = other_connection(&path).await;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let err = impatient.adjust_stock(&sku, 5).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(impatient.get_stock(&sku).await.unwrap().unwrap().on_hand, 3);
}

#[tokio::test]
async fn in_memory_stores_are_private() {
    let a = SqliteStore::open("sqlite::memory:").await.unwrap();
    let b = SqliteStore::open(":memory:").await.unwrap();
    let sku = Sku::parse("MEM-1").unwrap();
    a.set_stock(&sku, 7, false, None).await.unwrap();
    assert_eq!(a.get_stock(&sku).await.unwrap().map(|s| s.on_hand), Some(7));
    assert_eq!(b.get_stock(&sku).await.unwrap(), None, "two in-memory stores never share");
}
