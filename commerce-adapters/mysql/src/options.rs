//! Opening a database: where, how many connections, how long to wait for locks, how often to
//! retry a deadlocked transaction, and whether to migrate.

use std::any::Any;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlPool};

use crate::error::{Error, code, number, redact};
use crate::{MIGRATOR, MySqlStore};

/// Options for [`MySqlStore`]; start with [`MySqlStore::options`].
///
/// ```no_run
/// # async fn run() -> Result<(), commerce_mysql::Error> {
/// use std::time::Duration;
/// use commerce_mysql::MySqlStore;
///
/// // A deploy step migrates once...
/// MySqlStore::options("mysql://shop:secret@db/shop").migrate().await?;
/// // ...and the application servers only check that the schema is current.
/// let store = MySqlStore::options("mysql://shop:secret@db/shop")
///     .migrate_on_open(false)
///     .max_connections(32)
///     .lock_wait_timeout(Duration::from_secs(5))
///     .open()
///     .await?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MySqlOptions {
    url: String,
    max_connections: u32,
    min_connections: u32,
    acquire_timeout: Duration,
    lock_wait_timeout: Duration,
    max_retries: u32,
    migrate_on_open: bool,
    statement_cache: usize,
    test_before_acquire: bool,
}

impl MySqlOptions {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        MySqlOptions {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
            lock_wait_timeout: Duration::from_secs(10),
            max_retries: 5,
            migrate_on_open: true,
            statement_cache: 256,
            test_before_acquire: false,
        }
    }

    /// The most connections of each of the store's two pools (default 10, at least 1): one for
    /// write transactions, one for reads and single-statement writes. Each process sharing the
    /// database has its own pools: keep the sum below the server's `max_connections`.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self.min_connections = self.min_connections.min(self.max_connections);
        self
    }

    /// Connections kept open even when idle (default 0).
    pub fn min_connections(mut self, n: u32) -> Self {
        self.min_connections = n.min(self.max_connections);
        self
    }

    /// How long a call waits for a free connection of this store (default 30 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long a statement waits for a row lock before the server gives up with error 1205
    /// (`innodb_lock_wait_timeout` of each connection, whole seconds, at least 1; default 10 s).
    /// The store then retries the whole transaction like a deadlock.
    pub fn lock_wait_timeout(mut self, timeout: Duration) -> Self {
        self.lock_wait_timeout = timeout;
        self
    }

    /// How many times a transaction the server rolled back for a deadlock (1213) or a lock wait
    /// timeout (1205) is run again, with a short jittered backoff, before the call fails with
    /// `StoreError::Backend` (default 5).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Whether [`MySqlOptions::open`] applies missing migrations (default `true`). With `false`
    /// it only checks that the database is at this library's schema and fails with
    /// [`Error::SchemaBehind`] otherwise: for hosts that migrate in a deploy step.
    pub fn migrate_on_open(mut self, migrate: bool) -> Self {
        self.migrate_on_open = migrate;
        self
    }

    /// Whether the pool pings a connection before every use (default `false`). The ping is a
    /// round trip on every call, a third of the cost of a short transaction; without it a
    /// connection the server dropped (restart, failover, `wait_timeout`) fails the one call that
    /// finds it, with `StoreError::Backend` and nothing written, and is then discarded. Idle
    /// connections are closed after five minutes and every connection after thirty, well
    /// within the server's default `wait_timeout` of eight hours.
    pub fn test_before_acquire(mut self, test: bool) -> Self {
        self.test_before_acquire = test;
        self
    }

    /// Prepared statements cached per connection (default 256).
    pub fn statement_cache_capacity(mut self, n: usize) -> Self {
        self.statement_cache = n;
        self
    }

    /// The URL given, password redacted.
    pub fn location(&self) -> String {
        redact(&self.url)
    }

    pub(crate) fn connect_options(&self) -> Result<MySqlConnectOptions, Error> {
        let url = self.url.trim();
        let invalid = |reason: String| Error::InvalidUrl { url: redact(url), reason };
        let rest = if let Some(rest) = url.strip_prefix("mysql://") {
            rest
        } else if let Some(rest) = url.strip_prefix("mariadb://") {
            rest
        } else {
            return Err(invalid("expected a mysql:// or mariadb:// URL".into()));
        };
        let options =
            MySqlConnectOptions::from_str(&format!("mysql://{rest}")).map_err(|e| invalid(e.to_string()))?;
        if options.get_database().is_none_or(str::is_empty) {
            return Err(invalid("no database name in the path".into()));
        }
        Ok(options
            .charset("utf8mb4")
            .statement_cache_capacity(self.statement_cache)
            .disable_statement_logging())
    }

    /// A pool of connections set up for the store. `autocommit: false` is the write pool: there
    /// a connection's first statement opens a transaction (no `BEGIN` round trip), which the
    /// store always ends with `COMMIT` or `ROLLBACK` (or by closing the connection).
    pub(crate) async fn pool(
        &self,
        options: &MySqlConnectOptions,
        autocommit: bool,
    ) -> Result<MySqlPool, Error> {
        let lock_wait = self.lock_wait_timeout.as_secs().max(1);
        // Every connection: READ COMMITTED (no gap locks; plain reads see the latest commit),
        // strict mode (an oversize value is an error, never a silent truncation), and the lock
        // wait timeout.
        let setup = format!(
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; \
             SET SESSION sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_TRANS_TABLES'); \
             SET SESSION innodb_lock_wait_timeout = {lock_wait}; \
             SET SESSION autocommit = {}",
            u8::from(autocommit)
        );
        let setup: Arc<str> = setup.into();
        let connect_err = |e: sqlx::Error| Error::Connect { url: redact(&self.url), source: Box::new(e) };
        MySqlPoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(self.min_connections)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(self.test_before_acquire)
            .idle_timeout(Some(Duration::from_secs(300)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            .after_connect(move |conn, _meta| {
                let setup = setup.clone();
                Box::pin(async move {
                    conn.execute(AssertSqlSafe(setup.to_string())).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(connect_err)
    }

    /// One direct connection attempt: an unreachable server or bad credentials fail now,
    /// instead of a pool retrying until its acquire timeout.
    async fn probe(&self, options: &MySqlConnectOptions) -> Result<(), Error> {
        let conn = tokio::time::timeout(self.acquire_timeout, options.connect())
            .await
            .map_err(|_| Error::Connect { url: redact(&self.url), source: "connection timed out".into() })?
            .map_err(|e| Error::Connect { url: redact(&self.url), source: Box::new(e) })?;
        let _ = conn.close().await;
        Ok(())
    }

    /// Opens the store: connects, then migrates or checks the schema (see
    /// [`MySqlOptions::migrate_on_open`]).
    pub async fn open(self) -> Result<MySqlStore, Error> {
        self.open_keeping(None).await
    }

    pub(crate) async fn open_keeping(
        self,
        keep_alive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<MySqlStore, Error> {
        let options = self.connect_options()?;
        self.probe(&options).await?;
        let pool = self.pool(&options, true).await?;
        if self.migrate_on_open {
            run_migrations(&pool).await?;
        } else {
            check_schema(&pool).await?;
        }
        let writer = self.pool(&options, false).await?;
        Ok(MySqlStore::new(pool, writer, redact(&self.url), self.max_retries, keep_alive))
    }

    /// Connects and applies the missing migrations, without opening a store: the deploy-step
    /// counterpart of `migrate_on_open(false)`.
    pub async fn migrate(self) -> Result<(), Error> {
        let this = self.max_connections(1);
        let options = this.connect_options()?;
        this.probe(&options).await?;
        let pool = this.pool(&options, true).await?;
        let result = run_migrations(&pool).await;
        pool.close().await;
        result
    }
}

/// How long a process waits for another one that is migrating the same database.
const MIGRATION_LOCK_WAIT_SECS: i64 = 600;

/// Applies the embedded migrations under a named server lock (`GET_LOCK`) per database, so
/// several processes starting at once apply each migration once. (sqlx takes such a lock too,
/// but with a negative timeout, which MariaDB answers at once with NULL instead of waiting: on
/// MariaDB two processes would both migrate and the loser find the schema "dirty".)
pub(crate) async fn run_migrations(pool: &MySqlPool) -> Result<(), Error> {
    let fail = |e: sqlx::Error| Error::Migration { source: Box::new(e) };
    let mut conn = pool.acquire().await.map_err(fail)?;
    const LOCK: &str = "CONCAT('commerce_migrations_', SHA1(DATABASE()))";
    let got: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT GET_LOCK({LOCK}, ?)")))
        .bind(MIGRATION_LOCK_WAIT_SECS)
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    if got != Some(1) {
        return Err(Error::Migration {
            source: format!("another process held the migration lock for {MIGRATION_LOCK_WAIT_SECS} s")
                .into(),
        });
    }
    // `run_direct` is what `Migrator::run` calls; called directly because `run` over
    // `&mut MySqlConnection` makes the future "not general enough" to be `Send` (sqlx's note).
    let result = MIGRATOR.run_direct(None, &mut *conn, false).await.map_err(Error::from_migrate);
    let released = sqlx::query(AssertSqlSafe(format!("DO RELEASE_LOCK({LOCK})"))).execute(&mut *conn).await;
    if released.is_err() {
        // The session still holds the lock: close it rather than return it to the pool.
        let _ = conn.detach().close().await;
    }
    result
}

/// Checks, without changing anything, that the applied migrations are exactly this library's.
async fn check_schema(pool: &MySqlPool) -> Result<(), Error> {
    let rows: Vec<(i64, Vec<u8>, bool)> =
        match sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await
        {
            Ok(rows) => rows,
            Err(e) if number(&e) == Some(code::NO_SUCH_TABLE) => Vec::new(),
            Err(e) => return Err(Error::Migration { source: Box::new(e) }),
        };
    let ours: HashMap<i64, &[u8]> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, &*m.checksum))
        .collect();
    for (version, checksum, success) in &rows {
        match ours.get(version) {
            None => return Err(Error::NewerSchema { version: *version }),
            Some(c) if *c != checksum.as_slice() => return Err(Error::ModifiedSchema { version: *version }),
            Some(_) if !success => return Err(Error::DirtySchema { version: *version }),
            Some(_) => {}
        }
    }
    let expected = ours.keys().copied().max().unwrap_or(0);
    let applied = rows.iter().map(|r| r.0).max();
    if rows.len() < ours.len() {
        return Err(Error::SchemaBehind { applied, expected });
    }
    Ok(())
}
