//! Transactions: every port method that writes runs its statements through [`transaction!`],
//! which commits, or rolls back and runs the whole transaction again when the server reports a
//! deadlock or a lock wait timeout.

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use commerce_core::ports::storage::{StoreError, StoreResult};
use rand::Rng;
use sqlx::pool::PoolConnection;
use sqlx::{Executor, MySql, MySqlConnection, Transaction};

use crate::MySqlStore;
use crate::error::{Fail, TxResult, db};

/// How a transaction applies batched stock changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batch {
    /// One statement for all SKUs; a shortfall rolls back and runs again [`Batch::PerSku`].
    Fast,
    /// One statement per SKU, in canonical order, so the SKU that is short is known.
    PerSku,
}

/// First backoff step after a deadlock; doubled per retry, with full jitter, capped.
const BACKOFF_BASE: Duration = Duration::from_millis(2);
const BACKOFF_MAX: Duration = Duration::from_millis(200);

/// The sleep before retry number `retry` (1-based): uniform in `[0, min(max, base * 2^retry))`.
fn backoff(retry: u32) -> Duration {
    let cap = BACKOFF_BASE.saturating_mul(1u32 << retry.min(16)).min(BACKOFF_MAX);
    let micros = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX).max(1);
    Duration::from_micros(rand::rng().random_range(0..micros))
}

/// Runs `$body` in one READ COMMITTED write transaction and commits it, evaluating to
/// `Result<T, Fail>`. `$body` is an expression of type `TxResult<T>` that may use `$tx`
/// (`&mut MySqlConnection`) and `$batch` ([`Batch`]); it is evaluated again for every attempt.
///
/// Deadlocks and lock wait timeouts roll back and run the body again (up to the store's
/// `max_retries`, with jittered backoff); [`Fail::Precise`] runs it again at once in
/// [`Batch::PerSku`] mode; any other failure rolls back and is the result. (A macro rather than a
/// function taking an async closure: the futures must be `Send` for `async_trait`, which the
/// compiler cannot yet prove for an async closure borrowing the connection.)
macro_rules! transaction {
    ($store:expr, |$tx:ident, $batch:pat_param| $body:expr) => {{
        let store: &$crate::MySqlStore = $store;
        let mut retry = $crate::tx::Retry::new(store.max_retries, &store.retries);
        loop {
            let $batch = retry.batch();
            let attempt = match store.writer.acquire().await {
                Ok(conn) => {
                    let mut tx = $crate::tx::WriteTx::new(conn);
                    let result = $crate::tx::typed(async {
                        let $tx: &mut ::sqlx::MySqlConnection = &mut *tx;
                        $body
                    })
                    .await;
                    tx.finish(result).await
                }
                Err(e) => Err($crate::error::Fail::from(e)),
            };
            match retry.next(attempt).await {
                ::std::ops::ControlFlow::Break(r) => break r,
                ::std::ops::ControlFlow::Continue(()) => {}
            }
        }
    }};
}

/// [`transaction!`] mapped to the ports' result.
macro_rules! write {
    ($store:expr, |$tx:ident, $batch:pat_param| $body:expr) => {
        $crate::tx::store_result(transaction!($store, |$tx, $batch| $body))
    };
}

/// Pins down the output type of a transaction body (so `?` inside it converts to [`Fail`]).
pub(crate) fn typed<T, F: Future<Output = TxResult<T>>>(f: F) -> F {
    f
}

/// A transaction on a connection of the write pool (autocommit off): its first statement
/// starts the transaction, so there is no `BEGIN` round trip. It ends with [`WriteTx::finish`];
/// if it is dropped instead (a cancelled call, a panic), the connection is closed rather than
/// returned to the pool, and the server rolls the transaction back.
pub(crate) struct WriteTx {
    conn: PoolConnection<MySql>,
    /// Whether a transaction may be open (cleared by a successful `COMMIT` or `ROLLBACK`).
    open: bool,
}

impl WriteTx {
    pub(crate) fn new(conn: PoolConnection<MySql>) -> Self {
        WriteTx { conn, open: true }
    }

    /// Commits on success; rolls back at once on failure (rather than when the connection is
    /// next used), so the locks go now. A connection whose `COMMIT` or `ROLLBACK` failed is
    /// closed on drop: its transaction state is unknown.
    pub(crate) async fn finish<T>(mut self, result: TxResult<T>) -> TxResult<T> {
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.conn.execute(end).await;
        if ended.is_ok() {
            self.open = false;
        }
        match (result, ended) {
            (Ok(v), Ok(_)) => Ok(v),
            (Ok(_), Err(e)) => Err(e.into()),
            (Err(f), _) => Err(f),
        }
    }
}

impl WriteTx {
    /// The transaction was ended on the server by what ran in it (a procedure that commits or
    /// rolls back itself): the connection goes back to the pool without a `COMMIT` round trip.
    pub(crate) fn ended(mut self) {
        self.open = false;
    }
}

impl std::ops::Deref for WriteTx {
    type Target = MySqlConnection;
    fn deref(&self) -> &MySqlConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut MySqlConnection {
        &mut self.conn
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

/// The retry policy of one [`transaction!`].
pub(crate) struct Retry<'a> {
    retries: u32,
    max_retries: u32,
    batch: Batch,
    counter: &'a AtomicU64,
}

impl<'a> Retry<'a> {
    pub(crate) fn new(max_retries: u32, counter: &'a AtomicU64) -> Self {
        Retry { retries: 0, max_retries, batch: Batch::Fast, counter }
    }

    /// The mode of the next attempt.
    pub(crate) fn batch(&self) -> Batch {
        self.batch
    }

    /// Decides after an attempt: the final result, or another attempt (after a backoff).
    pub(crate) async fn next<T>(&mut self, attempt: TxResult<T>) -> ControlFlow<Result<T, Fail>> {
        match attempt {
            Ok(v) => ControlFlow::Break(Ok(v)),
            Err(Fail::Precise) if self.batch == Batch::Fast => {
                self.batch = Batch::PerSku;
                ControlFlow::Continue(())
            }
            Err(Fail::Precise) => ControlFlow::Break(Err(Fail::Store(StoreError::Backend(
                "mysql: a stock statement matched fewer rows than expected one SKU at a time".into(),
            )))),
            Err(Fail::Transient(e)) if self.retries < self.max_retries => {
                self.retries += 1;
                self.counter.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(retry = self.retries, error = %e, "mysql transaction rolled back; retrying");
                tokio::time::sleep(backoff(self.retries)).await;
                ControlFlow::Continue(())
            }
            Err(Fail::Transient(e)) => ControlFlow::Break(Err(Fail::Store(StoreError::Backend(format!(
                "mysql: transaction still failing after {} retries: {}",
                self.max_retries,
                db(e)
            ))))),
            Err(other) => ControlFlow::Break(Err(other)),
        }
    }
}

impl MySqlStore {
    /// Begins a read-only REPEATABLE READ transaction: several statements see one snapshot.
    /// Finish it with [`finish_read`].
    pub(crate) async fn snapshot(&self) -> StoreResult<Transaction<'static, MySql>> {
        self.pool
            .begin_with("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION READ ONLY")
            .await
            .map_err(db)
    }
}

/// Ends a read transaction.
pub(crate) async fn finish_read(tx: Transaction<'static, MySql>) -> StoreResult<()> {
    tx.commit().await.map_err(db)
}

/// Maps a transaction-attempt result to the ports' result outside [`MySqlStore::write`].
pub(crate) fn store_result<T>(r: TxResult<T>) -> StoreResult<T> {
    r.map_err(|f| match f {
        Fail::Store(e) => e,
        Fail::Transient(e) => db(e),
        Fail::Precise | Fail::KeyTaken => StoreError::Backend("mysql: unexpected transaction outcome".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_and_capped() {
        for retry in 1..=20 {
            let cap = BACKOFF_BASE.saturating_mul(1u32 << retry.min(16)).min(BACKOFF_MAX);
            for _ in 0..50 {
                assert!(backoff(retry) < cap.max(Duration::from_micros(1)), "retry {retry}");
            }
        }
        assert_eq!(BACKOFF_BASE.saturating_mul(1u32 << 16).min(BACKOFF_MAX), BACKOFF_MAX, "capped");
    }
}
