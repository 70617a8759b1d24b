//! Errors: opening a database ([`Error`]) and the mapping of driver errors to the ports'
//! [`StoreError`].

use commerce_core::ports::storage::StoreError;
use sqlx::migrate::MigrateError;

/// A boxed error source.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Opening a SQLite store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL or path cannot name a database.
    #[error("invalid SQLite location {location:?}: {reason}")]
    InvalidLocation {
        /// The text given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened or created (missing directory, permissions, not a
    /// database file, locked by another process beyond the busy timeout).
    #[error("cannot open SQLite database {location}: {source}")]
    Open {
        /// The location given.
        location: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The database carries a schema migration this library does not know: it was written by a
    /// newer version. Upgrade the library, or open another database.
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
    /// Applying the schema migrations failed.
    #[error("schema migration failed: {source}")]
    Migration {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    pub(crate) fn from_migrate(e: MigrateError) -> Self {
        match e {
            MigrateError::VersionMissing(version) => Error::NewerSchema { version },
            MigrateError::VersionMismatch(version) => Error::ModifiedSchema { version },
            other => Error::Migration { source: Box::new(other) },
        }
    }
}

/// Maps a driver error to the ports' error: undecodable rows are `Data`, everything else
/// (I/O, "database is locked" past the busy timeout, pool timeouts) is `Backend`.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Data(e.to_string())
        }
        sqlx::Error::Database(d) => StoreError::Backend(format!("sqlite: {}", d.message())),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Whether the error is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// `Conflict` on a unique violation, else [`db`].
pub(crate) fn unique_or(e: sqlx::Error, entity: &'static str, id: impl ToString) -> StoreError {
    if is_unique(&e) { StoreError::Conflict { entity, id: id.to_string() } } else { db(e) }
}

/// For callers that report every storage failure as the ports' error (the `commerce` facade's
/// `open`): schema mismatches are `Data`, everything else `Backend`.
impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::NewerSchema { .. } | Error::ModifiedSchema { .. } => StoreError::Data(e.to_string()),
            _ => StoreError::Backend(e.to_string()),
        }
    }
}
