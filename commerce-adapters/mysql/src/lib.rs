#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

#[macro_use]
mod tx;
mod accounts;
mod activity;
mod carts;
mod catalog;
mod codec;
mod error;
mod inventory;
mod options;
mod order_rows;
mod orders;
mod outbox;
mod payments;
#[cfg(feature = "testkit")]
mod scratch;
mod stock;

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use commerce_core::ports::storage::{Capabilities, Store, StoreError};
use sqlx::MySqlPool;
use sqlx::migrate::Migrator;

pub use error::Error;
pub use options::MySqlOptions;

/// A `Result` whose error is this crate's [`Error`] (opening and migrating).
pub type Result<T, E = Error> = std::result::Result<T, E>;
#[cfg(feature = "testkit")]
pub use scratch::ScratchDatabase;

/// The schema migrations (`commerce-adapters/mysql/migrations`), embedded at compile time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The MySQL / MariaDB store: every storage port over one database.
///
/// Cheap to share behind an `Arc`; every method is safe to call concurrently from many tasks and
/// from many processes sharing the database. Nothing correctness depends on lives in the process:
/// atomicity and concurrency come from InnoDB transactions, row locks taken in a fixed order,
/// conditional updates and unique indexes (see `docs/mysql.md`).
pub struct MySqlStore {
    /// Reads and single-statement writes (autocommit).
    pool: MySqlPool,
    /// Write transactions (autocommit off; see `tx`).
    writer: MySqlPool,
    location: String,
    max_retries: u32,
    retries: AtomicU64,
    /// Whether `commerce_reserve` (migration 0003) can be called; cleared when the server says
    /// it does not exist (a database restored from a dump without routines), after which
    /// reservations take the general path.
    one_call_reserve: std::sync::atomic::AtomicBool,
    // Dropped after the pool: a scratch database is dropped when its last store goes.
    _keep_alive: Option<Arc<dyn Any + Send + Sync>>,
}

impl MySqlStore {
    /// Connects to the database named by `url` with default options and applies the embedded
    /// schema migrations (see [`MySqlOptions`] to skip that and run [`MySqlStore::migrate`] in a
    /// deploy step instead).
    ///
    /// `url` is `mysql://user:password@host:port/database` (`mariadb://` is accepted too), with
    /// the driver's query parameters (`ssl-mode`, `charset`...). The database must exist.
    /// Errors are the ports' [`StoreError`]: `Backend` when the server cannot be reached or the
    /// URL is wrong, `Data` when the database holds a schema this version cannot use.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), commerce_core::ports::storage::StoreError> {
    /// let store = commerce_mysql::MySqlStore::open("mysql://shop:secret@127.0.0.1:3306/shop").await?;
    /// # drop(store);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(url: &str) -> Result<MySqlStore, StoreError> {
        MySqlOptions::new(url).open().await.map_err(StoreError::from)
    }

    /// Options for opening `url`; finish with [`MySqlOptions::open`].
    pub fn options(url: impl Into<String>) -> MySqlOptions {
        MySqlOptions::new(url)
    }

    /// Applies the embedded migrations that are not applied yet, under the server's named lock
    /// (`GET_LOCK`), so several processes starting at once apply each migration once. [`open`]
    /// does this by default; hosts that migrate in a deploy step open with
    /// `MySqlOptions::migrate_on_open(false)` and call this (or [`MySqlOptions::migrate`]) there.
    ///
    /// [`open`]: MySqlStore::open
    pub async fn migrate(&self) -> Result<(), Error> {
        options::run_migrations(&self.pool).await
    }

    /// The URL the store was opened with, password redacted.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The store's autocommit connection pool, for host queries on tables of their own. Do not
    /// write the store's tables through it: the ports' invariants live in the store's
    /// transactions.
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// How many times a transaction of this store was rolled back by the server (deadlock or lock
    /// wait timeout) and run again, since it was opened: a contention gauge for monitoring.
    pub fn transaction_retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Closes every connection, waiting for calls in flight to finish. Calls made afterwards
    /// fail with `StoreError::Backend`. Dropping the store also closes it, without waiting.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    pub(crate) fn new(
        pool: MySqlPool,
        writer: MySqlPool,
        location: String,
        max_retries: u32,
        keep_alive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Self {
        MySqlStore {
            pool,
            writer,
            location,
            max_retries,
            retries: AtomicU64::new(0),
            one_call_reserve: std::sync::atomic::AtomicBool::new(true),
            _keep_alive: keep_alive,
        }
    }
}

impl std::fmt::Debug for MySqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlStore").field("location", &self.location).finish_non_exhaustive()
    }
}

impl Store for MySqlStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities { backend: "mysql", durable: true, multi_process: true }
    }
}
