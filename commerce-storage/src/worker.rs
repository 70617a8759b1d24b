//! The outbox worker: delivers domain events from the transactional outbox to handlers, at least
//! once.
//!
//! - **Leases.** A worker claims a batch with a lease (`lease` long). A worker that crashes simply
//!   stops renewing nothing: its lease expires and another worker claims the events again.
//! - **Never concurrently.** A handler call is cut off at `handler_timeout`, which must be shorter
//!   than the lease, so an event is never handled by two workers at once (as long as the hosts'
//!   clocks agree to within `lease - handler_timeout`).
//! - **Retries.** A failed delivery is retried after an exponential backoff
//!   (`backoff_base * 2^(attempt-1)`, capped at `backoff_max`), and dead-lettered after
//!   `max_attempts`. Dead letters stay in the outbox for a person ([`OutboxStore::dead_events`]).
//! - **At least once.** A handler may see an event again (a crash after handling, before
//!   completing). Handlers must be idempotent: deduplicate on [`Event::id`].
//! - **Every handler, every time.** An event goes to every handler that
//!   [accepts](EventHandler::accepts) it; if any fails, the event is retried for all of them.
//! - **Graceful shutdown.** [`WorkerHandle::shutdown`] lets the current batch finish, then stops.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use commerce_core::events::Event;
use commerce_core::ports::storage::{OutboxEntry, OutboxStore, StoreError};
use commerce_core::ports::{Clock, SystemClock};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why a handler failed; the message is kept with the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

impl HandlerError {
    /// A failure with a message.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError(message.into())
    }
}

/// Something that reacts to domain events (send an email, reduce a search index, log activity).
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// A short name for logs and error messages.
    fn name(&self) -> &str;

    /// Whether this handler wants `event` (default: every event).
    fn accepts(&self, event: &Event) -> bool {
        let _ = event;
        true
    }

    /// Handles one event. Must be idempotent.
    async fn handle(&self, event: &Event) -> Result<(), HandlerError>;
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This worker's id, unique among workers sharing the store.
    pub worker_id: String,
    /// Events claimed at once.
    pub batch_size: u32,
    /// How long a claim lasts.
    pub lease: Duration,
    /// How long one handler call may take (must be shorter than `lease`).
    pub handler_timeout: StdDuration,
    /// Pause when there was nothing to do.
    pub poll_interval: StdDuration,
    /// Attempts before an event is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: format!("worker-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            batch_size: 32,
            lease: Duration::seconds(60),
            handler_timeout: StdDuration::from_secs(30),
            poll_interval: StdDuration::from_millis(500),
            max_attempts: 8,
            backoff_base: Duration::seconds(1),
            backoff_max: Duration::minutes(10),
        }
    }
}

impl WorkerConfig {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let factor = 1_i32.checked_shl(exp).unwrap_or(i32::MAX);
        self.backoff_base.checked_mul(factor).map_or(self.backoff_max, |d| d.min(self.backoff_max))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Events claimed.
    pub claimed: usize,
    /// Delivered to every handler.
    pub delivered: usize,
    /// Failed and scheduled for a retry.
    pub retried: usize,
    /// Failed for the last time.
    pub dead: usize,
    /// The lease was lost before the result could be recorded (another worker took over).
    pub lost: usize,
}

/// Delivers outbox events to handlers.
pub struct OutboxWorker {
    store: Arc<dyn OutboxStore>,
    handlers: Vec<Arc<dyn EventHandler>>,
    config: WorkerConfig,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("handlers", &self.handlers.iter().map(|h| h.name().to_owned()).collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}

impl OutboxWorker {
    /// A worker over `store` with default settings and the system clock.
    pub fn new(store: Arc<dyn OutboxStore>) -> Self {
        OutboxWorker {
            store,
            handlers: Vec::new(),
            config: WorkerConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Adds a handler.
    pub fn handler(mut self, handler: Arc<dyn EventHandler>) -> Self {
        self.handlers.push(handler);
        self
    }

    /// Replaces the settings.
    pub fn config(mut self, config: WorkerConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses another clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    async fn deliver(&self, event: &Event) -> Result<(), String> {
        for h in self.handlers.iter().filter(|h| h.accepts(event)) {
            match tokio::time::timeout(self.config.handler_timeout, h.handle(event)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(format!("{}: {e}", h.name())),
                Err(_) => {
                    return Err(format!("{}: timed out after {:?}", h.name(), self.config.handler_timeout));
                }
            }
        }
        Ok(())
    }

    /// Claims one batch and delivers it.
    pub async fn run_once(&self) -> Result<PassStats, StoreError> {
        let now = self.clock.now();
        let id = &self.config.worker_id;
        let batch: Vec<OutboxEntry> =
            self.store.claim_events(id, now, now + self.config.lease, self.config.batch_size).await?;
        let mut stats = PassStats { claimed: batch.len(), ..Default::default() };
        for entry in batch {
            let recorded = match self.deliver(&entry.event).await {
                Ok(()) => {
                    let ok = self.store.complete_event(entry.event.id, id).await?;
                    stats.delivered += usize::from(ok);
                    ok
                }
                Err(message) => {
                    let dead = entry.attempts >= self.config.max_attempts;
                    let retry_at = (!dead).then(|| self.clock.now() + self.config.backoff(entry.attempts));
                    let ok = self.store.fail_event(entry.event.id, id, &message, retry_at).await?;
                    if ok && dead {
                        stats.dead += 1;
                    } else if ok {
                        stats.retried += 1;
                    }
                    ok
                }
            };
            stats.lost += usize::from(!recorded);
        }
        Ok(stats)
    }

    /// Runs until `shutdown` turns true: passes back to back while there is work, pausing
    /// `poll_interval` when there is none (or after a storage error).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.run_once().await {
                Ok(s) if s.claimed > 0 => None,
                Ok(_) => Some(self.config.poll_interval),
                Err(_) => Some(self.config.poll_interval),
            };
            if let Some(p) = pause {
                tokio::select! {
                    _ = tokio::time::sleep(p) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Spawns [`OutboxWorker::run`] on the current tokio runtime.
    pub fn spawn(self) -> WorkerHandle {
        let (tx, rx) = watch::channel(false);
        WorkerHandle { stop: tx, task: tokio::spawn(self.run(rx)) }
    }
}

/// A running worker.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Asks the worker to stop after its current batch and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
