//! A background poller that settles pending KHQR payments.
//!
//! Bakong has no callbacks: a payment is learned by asking about its QR's MD5 until it is paid
//! or the QR expires. The [`Poller`] asks the host for the pending KHQR payments
//! ([`KhqrPayments::pending`]), checks them [`MAX_MD5_PER_CALL`] at a time with
//! `check_transaction_by_md5_list`, and reports back:
//! - paid with the expected amount and currency: [`KhqrPayments::settle`] with
//!   [`GatewayStatus::Captured`] and the Bakong transaction hash as the reference;
//! - paid with another amount or currency: [`KhqrPayments::mismatch`], never `settle` (a person
//!   decides; the host must stop listing the payment as pending);
//! - failed: `settle` with [`GatewayStatus::Failed`] and the MD5 as the reference;
//! - not found and past `expires_at` plus the grace period: `settle` with
//!   [`GatewayStatus::Expired`] and the MD5 (a status this client does not know never
//!   expires a payment: it keeps waiting, with a warning in the log);
//! - otherwise nothing: it is asked about again next round.
//!
//! The engine's payment state machine is forward-only and idempotent, so settling twice (two
//! hosts running a poller, a restart mid-round) is harmless.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::Money;
use commerce_core::ids::PaymentId;
use commerce_core::payment::GatewayStatus;
use commerce_core::ports::{Clock, GatewayError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{ApiError, BakongClient, MAX_MD5_PER_CALL, Md5Outcome, RetryPolicy, Transaction};
use crate::gateway::BakongGateway;

/// An error from the host's side of [`KhqrPayments`].
pub type HostError = Box<dyn std::error::Error + Send + Sync>;

/// A KHQR payment waiting to be paid, as the host stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingKhqr {
    /// Our payment id.
    pub payment_id: PaymentId,
    /// The MD5 of the payment's KHQR string.
    pub md5: String,
    /// What the payment is for: a transaction must match it exactly, currency included.
    pub amount: Money,
    /// When the QR expires.
    pub expires_at: DateTime<Utc>,
}

impl PendingKhqr {
    /// A pending payment from what the engine stored: its id and the gateway's reference
    /// (`"{md5}:{qr}"`), whose QR holds the amount and the expiry. Fails with
    /// [`GatewayError::InvalidRequest`] on a reference that is not a valid dynamic KHQR.
    pub fn from_reference(payment_id: PaymentId, reference: &str) -> Result<Self, GatewayError> {
        let expected = BakongGateway::expected(reference)?;
        Ok(PendingKhqr {
            payment_id,
            md5: expected.reference.md5().to_owned(),
            amount: expected.amount,
            expires_at: expected.expires_at,
        })
    }
}

/// What the host implements so the poller can find and settle its KHQR payments.
#[async_trait]
pub trait KhqrPayments: Send + Sync {
    /// Up to `limit` open KHQR payments, oldest first is a good order. A payment reported to
    /// [`settle`](Self::settle) as final or to [`mismatch`](Self::mismatch) must stop appearing.
    async fn pending(&self, limit: usize) -> Result<Vec<PendingKhqr>, HostError>;

    /// Applies what Bakong reported (`Captured`, `Failed` or `Expired`) to the payment; must be
    /// idempotent. `reference` is the transaction hash for `Captured`, the MD5 otherwise.
    async fn settle(
        &self,
        payment_id: PaymentId,
        status: GatewayStatus,
        reference: &str,
    ) -> Result<(), HostError>;

    /// Bakong reports a payment of another amount or currency for this QR: money arrived but
    /// the order is not paid. Flag it for a person (and stop listing it as pending).
    async fn mismatch(&self, payment: &PendingKhqr, transaction: &Transaction) -> Result<(), HostError>;
}

#[async_trait]
impl<T: KhqrPayments + ?Sized> KhqrPayments for Arc<T> {
    async fn pending(&self, limit: usize) -> Result<Vec<PendingKhqr>, HostError> {
        (**self).pending(limit).await
    }

    async fn settle(
        &self,
        payment_id: PaymentId,
        status: GatewayStatus,
        reference: &str,
    ) -> Result<(), HostError> {
        (**self).settle(payment_id, status, reference).await
    }

    async fn mismatch(&self, payment: &PendingKhqr, transaction: &Transaction) -> Result<(), HostError> {
        (**self).mismatch(payment, transaction).await
    }
}

/// How the poller paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollerConfig {
    /// The pause between two rounds that went well.
    pub interval: Duration,
    /// The most pending payments one round asks the host for (checked 50 per API call).
    pub round_limit: usize,
    /// A payment not found this long after its expiry is settled as expired (Bakong can take a
    /// moment to record a payment made just before the QR expired).
    pub expiry_grace: Duration,
    /// After a failed round the pause starts here and doubles, with jitter...
    pub error_backoff: Duration,
    /// ...up to this.
    pub max_error_backoff: Duration,
}

impl Default for PollerConfig {
    /// Every 5 s, 500 payments a round, 30 s expiry grace, error backoff 5 s doubling to 5 min.
    fn default() -> Self {
        PollerConfig {
            interval: Duration::from_secs(5),
            round_limit: 500,
            expiry_grace: Duration::from_secs(30),
            error_backoff: Duration::from_secs(5),
            max_error_backoff: Duration::from_secs(300),
        }
    }
}

impl PollerConfig {
    /// Sets the interval between rounds.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets how many pending payments one round handles.
    pub fn with_round_limit(mut self, limit: usize) -> Self {
        self.round_limit = limit.max(1);
        self
    }

    /// Sets the expiry grace period.
    pub fn with_expiry_grace(mut self, grace: Duration) -> Self {
        self.expiry_grace = grace;
        self
    }

    /// Sets the error backoff range.
    pub fn with_error_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.error_backoff = initial;
        self.max_error_backoff = max;
        self
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoundReport {
    /// Pending payments the host listed.
    pub pending: usize,
    /// `check_transaction_by_md5_list` calls made.
    pub api_calls: usize,
    /// Settled as captured.
    pub paid: usize,
    /// Settled as expired.
    pub expired: usize,
    /// Settled as failed.
    pub failed: usize,
    /// Reported as a mismatch.
    pub mismatched: usize,
    /// Still waiting.
    pub waiting: usize,
    /// `settle` or `mismatch` calls the host failed (retried next round).
    pub host_errors: usize,
}

/// Why a round stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PollerError {
    /// The host could not list pending payments.
    #[error("listing pending KHQR payments failed: {0}")]
    Host(#[source] HostError),
    /// Bakong could not be asked (after the client's own retries). Payments settled before
    /// the failure stay settled.
    #[error("checking KHQR payments with Bakong failed: {source}")]
    Api {
        /// The client's error.
        #[source]
        source: ApiError,
        /// What the round did before it stopped.
        partial: RoundReport,
    },
}

/// Polls Bakong for the host's pending KHQR payments. See the [module docs](self).
pub struct Poller<P> {
    client: BakongClient,
    payments: P,
    clock: Arc<dyn Clock>,
    config: PollerConfig,
}

impl<P> std::fmt::Debug for Poller<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").field("client", &self.client).field("config", &self.config).finish()
    }
}

impl<P: KhqrPayments> Poller<P> {
    /// A poller over `client` for the host's `payments`, deciding expiry with `clock`.
    pub fn new(client: BakongClient, payments: P, clock: Arc<dyn Clock>, config: PollerConfig) -> Self {
        Poller { client, payments, clock, config }
    }

    /// The host's side.
    pub fn payments(&self) -> &P {
        &self.payments
    }

    /// One round: list pending payments, check them 50 at a time, settle what Bakong knows.
    pub async fn poll_once(&self) -> Result<RoundReport, PollerError> {
        let pending = self.payments.pending(self.config.round_limit).await.map_err(PollerError::Host)?;
        let mut report = RoundReport { pending: pending.len(), ..RoundReport::default() };
        for chunk in pending.chunks(MAX_MD5_PER_CALL) {
            let md5s: Vec<String> = chunk.iter().map(|p| p.md5.to_ascii_lowercase()).collect();
            report.api_calls += 1;
            let answers = match self.client.check_transactions_by_md5_list(&md5s).await {
                Ok(answers) => answers,
                Err(source) => return Err(PollerError::Api { source, partial: report }),
            };
            for payment in chunk {
                let md5 = payment.md5.to_ascii_lowercase();
                let outcome = answers.iter().find(|a| a.md5 == md5).map(|a| &a.outcome);
                self.apply(payment, outcome, &mut report).await;
            }
        }
        Ok(report)
    }

    async fn apply(&self, payment: &PendingKhqr, outcome: Option<&Md5Outcome>, report: &mut RoundReport) {
        let id = payment.payment_id;
        let result = match outcome {
            Some(Md5Outcome::Paid(tx)) if tx.amount == payment.amount => {
                report.paid += 1;
                self.payments.settle(id, GatewayStatus::Captured { amount: tx.amount }, &tx.hash).await
            }
            Some(Md5Outcome::Paid(tx)) => {
                report.mismatched += 1;
                tracing::warn!(payment = %id, expected = %payment.amount, reported = %tx.amount,
                    "KHQR paid with another amount or currency");
                self.payments.mismatch(payment, tx).await
            }
            Some(Md5Outcome::Failed { message }) => {
                report.failed += 1;
                let reason =
                    message.clone().unwrap_or_else(|| "Bakong reports the transaction failed".into());
                self.payments.settle(id, GatewayStatus::Failed { reason }, &payment.md5).await
            }
            Some(Md5Outcome::Unknown { status, .. }) => {
                // Not a status to expire on (it may be a payment in flight): keep asking.
                report.waiting += 1;
                tracing::warn!(payment = %id, status, "unknown Bakong status for a KHQR; still waiting");
                Ok(())
            }
            None | Some(Md5Outcome::NotFound) if self.is_overdue(payment) => {
                report.expired += 1;
                self.payments.settle(id, GatewayStatus::Expired, &payment.md5).await
            }
            _ => {
                report.waiting += 1;
                Ok(())
            }
        };
        if let Err(e) = result {
            report.host_errors += 1;
            tracing::warn!(payment = %id, error = %e, "settling a KHQR payment failed; retrying next round");
        }
    }

    fn is_overdue(&self, payment: &PendingKhqr) -> bool {
        let grace = chrono::Duration::from_std(self.config.expiry_grace).unwrap_or(chrono::Duration::MAX);
        payment.expires_at.checked_add_signed(grace).is_some_and(|deadline| self.clock.now() >= deadline)
    }

    /// Runs rounds every `interval` (backing off after failed rounds) until `shutdown`
    /// completes. A round in progress finishes first.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let backoff = RetryPolicy::new(0, self.config.error_backoff, self.config.max_error_backoff);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.poll_once().await {
                Ok(report) => {
                    failures = 0;
                    tracing::debug!(?report, "KHQR poll round");
                    self.config.interval
                }
                Err(e) => {
                    let wait = backoff.backoff(failures, None);
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, ?wait, "KHQR poll round failed; backing off");
                    wait
                }
            };
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

impl<P: KhqrPayments + 'static> Poller<P> {
    /// Runs the poller on the tokio runtime until [`PollerHandle::shutdown`].
    pub fn spawn(self) -> PollerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            self.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
        });
        PollerHandle { stop, task }
    }
}

/// A poller running in the background.
#[derive(Debug)]
pub struct PollerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl PollerHandle {
    /// Asks the poller to stop after its current round and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
