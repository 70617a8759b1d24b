//! `commerce::open`: one line from a URL to a ready engine.

use std::sync::Arc;

use commerce_core::engine::{Commerce, EngineConfig};
use commerce_core::ports::storage::{Store, StoreError};
use commerce_core::ports::{Clock, IdGenerator, PaymentGateway};

/// The engine over any backend, as `commerce::open` returns it.
pub type Engine = Commerce<dyn Store>;

/// Time-ordered random ids (UUID v7): unique across processes, and friendly to database indexes
/// because new ids sort after old ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
}

/// Why [`open`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL's scheme is unknown, or its backend's cargo feature is off.
    #[error("cannot open {url:?}: {reason}")]
    Unsupported {
        /// The URL given.
        url: String,
        /// What to do about it.
        reason: String,
    },
    /// The backend failed to open (unreachable server, bad file, migration error).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Builds an engine from a storage URL, with optional gateways, clock and settings.
///
/// ```
/// # async fn demo() -> Result<(), commerce::OpenError> {
/// let engine = commerce::Builder::new("memory:").build().await?;
/// assert_eq!(engine.store().capabilities().backend, "memory");
/// # Ok(()) }
/// ```
pub struct Builder {
    url: String,
    config: EngineConfig,
    gateways: Vec<Arc<dyn PaymentGateway>>,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder").field("url", &self.url).field("config", &self.config).finish()
    }
}

impl Builder {
    /// Starts from a storage URL:
    /// - `memory:` — the in-memory backend (not durable; tests and demos);
    /// - `sqlite://path/to/shop.db` (or `sqlite::memory:`) — the embedded default (feature `sqlite`);
    /// - `mysql://user:pass@host/db` — MySQL or MariaDB (feature `mysql`).
    pub fn new(url: impl Into<String>) -> Self {
        Builder { url: url.into(), config: EngineConfig::default(), gateways: Vec::new(), clock: None }
    }

    /// Engine settings.
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Registers a payment gateway.
    pub fn gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateways.push(gateway);
        self
    }

    /// Uses another clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Opens the store (creating and migrating it as needed) and builds the engine.
    pub async fn build(self) -> Result<Engine, OpenError> {
        let store = open_store(&self.url).await?;
        let mut b = Commerce::builder(store).ids(Arc::new(RandomIds)).config(self.config);
        if let Some(c) = self.clock {
            b = b.clock(c);
        }
        for g in self.gateways {
            b = b.gateway(g);
        }
        Ok(b.build())
    }
}

/// Opens a store by URL (see [`Builder::new`] for the schemes).
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "memory" => Ok(Arc::new(commerce_storage::MemoryStore::new())),
        "sqlite" => open_sqlite(url).await,
        "mysql" | "mariadb" => open_mysql(url).await,
        other => Err(OpenError::Unsupported {
            url: url.to_owned(),
            reason: format!("unknown scheme {other:?}; expected memory:, sqlite:// or mysql://"),
        }),
    }
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let store = commerce_storage::SqliteStore::open(url).await.map_err(StoreError::from)?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::Unsupported {
        url: url.to_owned(),
        reason: "enable the `sqlite` feature of `commerce`".into(),
    })
}

#[cfg(feature = "mysql")]
async fn open_mysql(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Ok(Arc::new(commerce_mysql::MySqlStore::open(url).await?))
}

#[cfg(not(feature = "mysql"))]
async fn open_mysql(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::Unsupported {
        url: url.to_owned(),
        reason: "enable the `mysql` feature of `commerce`".into(),
    })
}

/// Opens an engine over the store at `url` with default settings and no gateways.
///
/// ```no_run
/// # async fn demo() -> Result<(), commerce::OpenError> {
/// let engine = commerce::open("sqlite://shop.db").await?;
/// # Ok(()) }
/// ```
pub async fn open(url: &str) -> Result<Engine, OpenError> {
    Builder::new(url).build().await
}
