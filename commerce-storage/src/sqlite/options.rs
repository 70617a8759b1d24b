//! Opening a database: where, how durable, how many connections, how long to wait for a lock.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::error::Error;
use super::{MIGRATOR, SqliteStore};

/// How hard SQLite works to make each commit durable (`PRAGMA synchronous`).
///
/// With WAL (always on for file databases) neither setting can corrupt the database, and both
/// keep every committed transaction when the *process* crashes or is killed. They differ on power
/// loss or an operating-system crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `NORMAL` (the default): the WAL is synced at checkpoints, not at every commit. A power
    /// loss may roll back the last transactions before the checkpoint; it never corrupts.
    #[default]
    Normal,
    /// `FULL`: the WAL is synced at every commit, so a commit survives a power loss too. Each
    /// commit costs an `fsync`.
    Full,
}

impl Synchronous {
    fn to_sqlx(self) -> SqliteSynchronous {
        match self {
            Synchronous::Normal => SqliteSynchronous::Normal,
            Synchronous::Full => SqliteSynchronous::Full,
        }
    }
}

/// Options for [`SqliteStore`]; start with [`SqliteStore::options`].
///
/// ```no_run
/// # async fn run() -> Result<(), commerce_storage::sqlite::Error> {
/// use std::time::Duration;
/// use commerce_storage::sqlite::{SqliteStore, Synchronous};
///
/// let store = SqliteStore::options("sqlite://shop.db")
///     .synchronous(Synchronous::Full)
///     .max_connections(8)
///     .busy_timeout(Duration::from_secs(10))
///     .open()
///     .await?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    location: String,
    synchronous: Synchronous,
    max_connections: u32,
    busy_timeout: Duration,
    acquire_timeout: Duration,
}

/// Where a database lives, parsed from the text given to `open`.
pub(crate) enum Location {
    /// A file (created if missing).
    File(SqliteConnectOptions),
    /// A private in-memory database.
    Memory(SqliteConnectOptions),
}

impl SqliteOptions {
    pub(crate) fn new(location: impl Into<String>) -> Self {
        SqliteOptions {
            location: location.into(),
            synchronous: Synchronous::Normal,
            max_connections: 4,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
        }
    }

    /// `PRAGMA synchronous` (default [`Synchronous::Normal`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The most connections used for reads at once (default 4, at least 1). Writes always go
    /// through one dedicated connection per store, since SQLite admits one writer at a time:
    /// concurrent writers in a process queue for it in order instead of polling the file lock.
    /// Ignored for in-memory databases, which use a single connection for everything.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long a statement waits for another *process* holding the write lock before failing
    /// with "database is locked" (`sqlite3_busy_timeout`; default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How long a call waits for a free connection of this store (default 30 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// The location as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    pub(crate) fn parse_location(&self) -> Result<Location, Error> {
        let raw = self.location.trim();
        if raw.is_empty() {
            return Err(Error::InvalidLocation { location: raw.to_owned(), reason: "empty".into() });
        }
        let invalid =
            |e: sqlx::Error| Error::InvalidLocation { location: raw.to_owned(), reason: e.to_string() };
        let memory = matches!(raw, ":memory:" | "sqlite::memory:" | "sqlite://:memory:")
            || (raw.starts_with("sqlite:") && raw.contains("mode=memory"));
        if memory {
            // sqlx gives `sqlite::memory:` a unique shared-cache name, so two stores never share.
            let options: SqliteConnectOptions = "sqlite::memory:".parse().map_err(invalid)?;
            return Ok(Location::Memory(self.common(options)));
        }
        let options = if raw.starts_with("sqlite:") {
            raw.parse::<SqliteConnectOptions>().map_err(invalid)?
        } else {
            SqliteConnectOptions::new().filename(raw)
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(self.synchronous.to_sqlx());
        Ok(Location::File(self.common(options)))
    }

    fn common(&self, options: SqliteConnectOptions) -> SqliteConnectOptions {
        options.foreign_keys(true).busy_timeout(self.busy_timeout).disable_statement_logging()
    }

    /// Opens (creating a file database if missing) and applies the schema migrations.
    pub async fn open(self) -> Result<SqliteStore, Error> {
        let location = self.location.clone();
        let open_err = |e: sqlx::Error| Error::Open { location: location.clone(), source: Box::new(e) };
        match self.parse_location()? {
            Location::Memory(options) => {
                // One connection does everything; a second, idle "keeper" connection holds the
                // shared-cache database alive even if the pool ever replaces its connection.
                let keeper = SqliteConnection::connect_with(&options).await.map_err(open_err)?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(self.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(open_err)?;
                migrate(&pool).await?;
                Ok(SqliteStore::new(pool.clone(), pool, true, Some(keeper), location))
            }
            Location::File(options) => {
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(self.acquire_timeout)
                    .connect_with(options.clone())
                    .await
                    .map_err(open_err)?;
                migrate(&writer).await?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(self.max_connections)
                    .acquire_timeout(self.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(open_err)?;
                Ok(SqliteStore::new(writer, reader, false, None, location))
            }
        }
    }
}

/// Applies the embedded migrations inside one `BEGIN IMMEDIATE` transaction, so two processes
/// opening a new database at once apply them once (the second waits, then finds them applied).
async fn migrate(pool: &sqlx::SqlitePool) -> Result<(), Error> {
    let mut tx =
        pool.begin_with("BEGIN IMMEDIATE").await.map_err(|e| Error::Migration { source: Box::new(e) })?;
    MIGRATOR.run(&mut *tx).await.map_err(Error::from_migrate)?;
    tx.commit().await.map_err(|e| Error::Migration { source: Box::new(e) })
}
