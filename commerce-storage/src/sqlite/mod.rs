//! The SQLite backend: every storage port over one SQLite database (feature `sqlite`).
//!
//! ```no_run
//! # async fn run() -> Result<(), commerce_storage::sqlite::Error> {
//! use commerce_storage::sqlite::SqliteStore;
//! let store = SqliteStore::open("sqlite://shop.db").await?; // created if missing
//! let scratch = SqliteStore::open("sqlite::memory:").await?; // private, gone when dropped
//! # drop((store, scratch));
//! # Ok(())
//! # }
//! ```
//!
//! # How it keeps the port contracts
//! - **Schema**: embedded migrations (`commerce-storage/migrations/sqlite`), applied on open in
//!   one `BEGIN IMMEDIATE` transaction. Real tables for everything queried or updated row-wise
//!   (products, variants and their prices, categories, customers, carts, checkouts, stock,
//!   reservations and their lines, orders and order lines, payments, coupon usage, processed
//!   notifications, the outbox, idempotency records, order idempotency keys, accounts,
//!   password-reset grants, shopper activity); JSON text only for
//!   nested parts never queried (priced-cart snapshots, addresses, payment history and refunds,
//!   product attributes and images, cart contents, the pricing rules document).
//! - **Atomicity**: every port method that writes runs in one transaction opened with
//!   `BEGIN IMMEDIATE`, which takes SQLite's write lock at `BEGIN`: no two writers interleave,
//!   and a transaction never fails halfway for a lock it could not upgrade. Multi-statement reads
//!   run in one deferred transaction, so they see one snapshot.
//! - **Stock**: conditional updates in canonical SKU order
//!   (`... WHERE sku = ? AND (backorder OR on_hand - reserved >= ?)`, rows affected checked).
//! - **Optimistic concurrency**: `UPDATE ... WHERE id = ? AND version = ?`; no row is `Conflict`.
//! - **Accounts**: usernames (lower-cased) and lower-cased emails under unique indexes; a taken one
//!   is `StoreError::Duplicate`. "Also bought" and best sellers are SQL over `order_lines`,
//!   `variants` and `orders` (cancelled orders left out).
//! - **Money**: exact decimal text plus a currency code; never `REAL`. Timestamps: fixed-width
//!   UTC text that sorts in time order (see the `codec` module notes in the source).
//!
//! # Connections
//! File databases use WAL, `synchronous = NORMAL` by default (`FULL` available, see
//! [`Synchronous`]), and a busy timeout (5 s by default) so writers of *other processes* wait
//! for the lock instead of failing. Within one store, writes go through one dedicated connection
//! (SQLite admits one writer at a time anyway, and queueing in the pool is fairer and faster than
//! polling the file lock); reads use a pool of up to [`SqliteOptions::max_connections`].
//!
//! In-memory databases (`sqlite::memory:`, `:memory:`) are private to the store: sqlx gives each
//! a unique shared-cache name, and the store uses a single connection for reads and writes (plus
//! an idle one that keeps the database alive). They are not durable and not shared between
//! processes; use them for tests.

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

use std::sync::Mutex;

use commerce_core::ports::storage::{Capabilities, Store, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

pub use error::Error;
pub use options::{SqliteOptions, Synchronous};

/// The schema migrations, embedded at compile time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// An open SQL transaction.
pub(crate) type Tx = Transaction<'static, Sqlite>;

/// The SQLite store. Cheap to share behind an `Arc`; every method is safe to call concurrently,
/// and several processes may share one database file.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    memory: bool,
    // Keeps an in-memory database alive; never used for statements.
    _keeper: Option<Mutex<SqliteConnection>>,
    location: String,
}

impl SqliteStore {
    /// Opens the database at `url_or_path` with default options, creating a file database if
    /// it is missing and applying the schema migrations.
    ///
    /// Accepted: `sqlite://path/to/shop.db`, `sqlite:shop.db`, a plain path (`shop.db`), and
    /// `sqlite::memory:` or `:memory:` for a private in-memory database.
    pub async fn open(url_or_path: &str) -> Result<Self, Error> {
        Self::options(url_or_path).open().await
    }

    /// Options for opening `url_or_path`; finish with [`SqliteOptions::open`].
    pub fn options(url_or_path: impl Into<String>) -> SqliteOptions {
        SqliteOptions::new(url_or_path)
    }

    pub(crate) fn new(
        writer: SqlitePool,
        reader: SqlitePool,
        memory: bool,
        keeper: Option<SqliteConnection>,
        location: String,
    ) -> Self {
        SqliteStore { writer, reader, memory, _keeper: keeper.map(Mutex::new), location }
    }

    /// The location the store was opened with.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes every connection, waiting for calls in flight to finish. Calls made afterwards
    /// fail with `StoreError::Backend`. Dropping the store also closes it, without waiting.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` takes the database's write lock now (waiting
    /// up to the busy timeout for another process), so the transaction never has to upgrade a
    /// read lock later.
    pub(crate) async fn write(&self) -> StoreResult<Tx> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(error::db)
    }

    /// Begins a read transaction (deferred): one consistent snapshot for several statements.
    pub(crate) async fn read(&self) -> StoreResult<Tx> {
        self.reader.begin().await.map_err(error::db)
    }

    /// The pool for single-statement reads.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("location", &self.location).finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities { backend: "sqlite", durable: !self.memory, multi_process: !self.memory }
    }
}

/// Commits `tx`.
pub(crate) async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await.map_err(error::db)
}

#[cfg(test)]
mod tests;
