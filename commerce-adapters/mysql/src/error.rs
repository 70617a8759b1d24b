//! Errors: opening and migrating a database ([`Error`]), the mapping of driver errors to the
//! ports' [`StoreError`], and the internal outcome of one transaction attempt ([`Fail`]).

use commerce_core::ports::storage::StoreError;
use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;
use sqlx::mysql::MySqlDatabaseError;

/// A boxed error source.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// MySQL/MariaDB error numbers the store reacts to.
pub(crate) mod code {
    /// `ER_LOCK_DEADLOCK`: the server chose this transaction as a deadlock victim and rolled it back.
    pub const DEADLOCK: u16 = 1213;
    /// `ER_LOCK_WAIT_TIMEOUT`: a row lock was not granted within `innodb_lock_wait_timeout`.
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    /// `ER_CHECKREAD`: MariaDB's snapshot-isolation check ("record has changed since last read").
    pub const CHECKREAD: u16 = 1020;
    /// `ER_NO_SUCH_TABLE`.
    pub const NO_SUCH_TABLE: u16 = 1146;
    /// `ER_DUP_ENTRY`.
    pub const DUP_ENTRY: u16 = 1062;
    /// `ER_SP_DOES_NOT_EXIST`: a stored procedure is missing.
    pub const SP_DOES_NOT_EXIST: u16 = 1305;
    /// `ER_DATA_TOO_LONG`.
    pub const DATA_TOO_LONG: u16 = 1406;
    /// `ER_WARN_DATA_OUT_OF_RANGE`.
    pub const OUT_OF_RANGE: u16 = 1264;
    /// `ER_CONSTRAINT_FAILED` (MariaDB) / `ER_CHECK_CONSTRAINT_VIOLATED` (MySQL 8).
    pub const CHECK_MARIADB: u16 = 4025;
    /// See [`CHECK_MARIADB`].
    pub const CHECK_MYSQL: u16 = 3819;
}

/// Opening or migrating a MySQL store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot name a MySQL database (wrong scheme, malformed, no database name).
    #[error("invalid MySQL URL {url}: {reason}")]
    InvalidUrl {
        /// The URL given, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached or refused the connection (address, credentials, missing
    /// database, `max_connections` reached).
    #[error("cannot connect to MySQL at {url}: {source}")]
    Connect {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The database carries a schema migration this library does not know: it was written by a
    /// newer version. Upgrade the library, or point it at another database.
    #[error(
        "the database has schema migration {version}, unknown to this version: it was written by a newer one"
    )]
    NewerSchema {
        /// The unknown migration.
        version: i64,
    },
    /// A migration applied to this database differs from the one embedded in this library (the
    /// schema was edited by hand, or by a modified build).
    #[error("schema migration {version} applied to this database differs from this library's")]
    ModifiedSchema {
        /// The migration.
        version: i64,
    },
    /// A migration failed part-way earlier and left the database marked dirty; MySQL cannot roll
    /// back DDL, so a person must repair or recreate the schema.
    #[error("schema migration {version} failed part-way earlier; repair the schema by hand")]
    DirtySchema {
        /// The migration.
        version: i64,
    },
    /// The schema is behind this library's migrations and the store was opened with
    /// `migrate_on_open(false)`: run [`crate::MySqlStore::migrate`] (or `MySqlOptions::migrate`)
    /// in your deploy step first.
    #[error("the schema is at migration {applied:?}, this library needs {expected}: run the migrations")]
    SchemaBehind {
        /// The newest applied migration, if any.
        applied: Option<i64>,
        /// The newest migration of this library.
        expected: i64,
    },
    /// Applying the schema migrations failed (SQL error, lost connection).
    #[error("schema migration failed: {source}")]
    Migration {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A storage operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub(crate) fn from_migrate(e: MigrateError) -> Self {
        match e {
            MigrateError::VersionMissing(version) => Error::NewerSchema { version },
            MigrateError::VersionMismatch(version) => Error::ModifiedSchema { version },
            MigrateError::Dirty(version) => Error::DirtySchema { version },
            other => Error::Migration { source: Box::new(other) },
        }
    }
}

impl From<Error> for StoreError {
    /// `Store` errors pass through; schema problems are `Data` (the database holds what this
    /// version cannot use); unreachable servers and failed migrations are `Backend`.
    fn from(e: Error) -> Self {
        match e {
            Error::Store(s) => s,
            e @ (Error::NewerSchema { .. }
            | Error::ModifiedSchema { .. }
            | Error::DirtySchema { .. }
            | Error::SchemaBehind { .. }) => StoreError::Data(e.to_string()),
            e => StoreError::Backend(e.to_string()),
        }
    }
}

/// The server's error number, if `e` is a server error.
pub(crate) fn number(e: &sqlx::Error) -> Option<u16> {
    e.as_database_error().and_then(|d| d.try_downcast_ref::<MySqlDatabaseError>()).map(|d| d.number())
}

/// Whether a failed transaction may simply be run again: the server rolled it back (deadlock) or
/// a lock was not granted in time. Never an I/O error: a lost `COMMIT` may have committed.
pub(crate) fn is_transient(e: &sqlx::Error) -> bool {
    matches!(number(e), Some(code::DEADLOCK | code::LOCK_WAIT_TIMEOUT | code::CHECKREAD))
}

/// Whether the error is a duplicate key on a unique index.
pub(crate) fn is_unique(e: &sqlx::Error) -> bool {
    number(e) == Some(code::DUP_ENTRY)
        || e.as_database_error().is_some_and(|d| matches!(d.kind(), ErrorKind::UniqueViolation))
}

/// Maps a driver error to the ports' error: values the schema cannot hold and undecodable rows
/// are `Data`; everything else (I/O, pool timeouts, server errors) is `Backend`.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match number(&e) {
        Some(code::DATA_TOO_LONG | code::OUT_OF_RANGE | code::CHECK_MARIADB | code::CHECK_MYSQL) => {
            return StoreError::Data(format!("mysql: {}", message(&e)));
        }
        Some(_) => return StoreError::Backend(format!("mysql: {}", message(&e))),
        None => {}
    }
    match e {
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Data(e.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn message(e: &sqlx::Error) -> String {
    e.as_database_error().map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

/// How one attempt at a transaction ended, when it did not succeed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A final answer for the caller (nothing was written).
    Store(StoreError),
    /// Deadlock or lock-wait timeout: roll back and run the transaction again.
    Transient(sqlx::Error),
    /// A batched stock statement matched fewer rows than it had SKUs: roll back and run the
    /// transaction again one SKU per statement, which names the SKU that is short.
    Precise,
    /// `place_order`: another placement holds the idempotency key. Roll back and answer from it.
    KeyTaken,
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        if is_transient(&e) { Fail::Transient(e) } else { Fail::Store(db(e)) }
    }
}

/// A result inside a transaction attempt.
pub(crate) type TxResult<T> = Result<T, Fail>;

/// `Conflict` on a duplicate key, else the usual mapping (transient errors stay transient).
pub(crate) fn unique_or(e: sqlx::Error, entity: &'static str, id: impl ToString) -> Fail {
    if is_unique(&e) { Fail::Store(StoreError::Conflict { entity, id: id.to_string() }) } else { e.into() }
}

/// A URL with its password replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        for (url, expected) in [
            ("mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test"),
            ("mysql://shop:s3cret@db:3306/shop", "mysql://shop:***@db:3306/shop"),
            ("mysql://shop:p@ss@db/shop?ssl-mode=required", "mysql://shop:***@db/shop?ssl-mode=required"),
            ("mysql://db", "mysql://db"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact(url), expected, "{url}");
        }
    }

    #[test]
    fn schema_errors_map_to_data_and_the_rest_to_backend() {
        type Expect = fn(&StoreError) -> bool;
        let cases: [(Error, Expect); 4] = [
            (Error::NewerSchema { version: 9 }, |e| matches!(e, StoreError::Data(_))),
            (Error::DirtySchema { version: 1 }, |e| matches!(e, StoreError::Data(_))),
            (
                Error::Connect { url: "mysql://x".into(), source: "refused".into() },
                |e| matches!(e, StoreError::Backend(m) if m.contains("refused")),
            ),
            (Error::Store(StoreError::UnknownSku(commerce_core::Sku::parse("A").unwrap())), |e| {
                matches!(e, StoreError::UnknownSku(_))
            }),
        ];
        for (e, expected) in cases {
            let text = e.to_string();
            let mapped = StoreError::from(e);
            assert!(expected(&mapped), "{text} -> {mapped:?}");
        }
    }
}
