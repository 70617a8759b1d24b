//! The engine's side of the poller: [`EngineKhqrPayments`] implements [`KhqrPayments`] over a
//! [`Commerce`] engine, so a host runs the poller with one line.
//!
//! ```no_run
//! # async fn demo(engine: commerce_core::Commerce<dyn commerce_core::ports::storage::Store>,
//! #               client: commerce_bakong::api::BakongClient) {
//! use std::sync::Arc;
//! use commerce_bakong::host::EngineKhqrPayments;
//! use commerce_bakong::poller::{Poller, PollerConfig};
//! let poller = Poller::new(client, EngineKhqrPayments::new(engine), Arc::new(commerce_core::ports::SystemClock),
//!     PollerConfig::default());
//! let handle = poller.spawn();
//! // ... on shutdown:
//! handle.shutdown().await;
//! # }
//! ```

use async_trait::async_trait;
use commerce_core::engine::Commerce;
use commerce_core::ids::PaymentId;
use commerce_core::payment::GatewayStatus;
use commerce_core::ports::storage::Store;

use crate::api::Transaction;
use crate::poller::{HostError, KhqrPayments, PendingKhqr};

/// The provider name the engine stores on KHQR payments.
pub const PROVIDER: &str = "bakong";

/// [`KhqrPayments`] over the engine: pending = the store's open `bakong` payments (the stored
/// reference carries the QR, so nothing else is needed); settle = the engine's idempotent
/// completion; a mismatch marks the payment failed with the amounts in the reason (the
/// `payment_failed` event carries it to the host's handlers), so it leaves the pending list and
/// a person can refund the buyer from the bank app.
pub struct EngineKhqrPayments<S: Store + ?Sized> {
    engine: Commerce<S>,
}

impl<S: Store + ?Sized> EngineKhqrPayments<S> {
    /// Wraps an engine.
    pub fn new(engine: Commerce<S>) -> Self {
        EngineKhqrPayments { engine }
    }
}

#[async_trait]
impl<S: Store + ?Sized> KhqrPayments for EngineKhqrPayments<S> {
    async fn pending(&self, limit: usize) -> Result<Vec<PendingKhqr>, HostError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let open = self.engine.store().open_payments(PROVIDER, limit).await?;
        Ok(open
            .iter()
            .filter_map(|p| PendingKhqr::from_reference(p.id, p.reference.as_deref()?).ok())
            .collect())
    }

    async fn settle(
        &self,
        payment_id: PaymentId,
        status: GatewayStatus,
        reference: &str,
    ) -> Result<(), HostError> {
        self.engine.apply_gateway_status(payment_id, &status, Some(reference), None).await?;
        Ok(())
    }

    async fn mismatch(&self, payment: &PendingKhqr, transaction: &Transaction) -> Result<(), HostError> {
        let reason = format!(
            "amount mismatch: Bakong transaction {} paid {} for a payment of {}; refund the buyer by hand",
            transaction.hash, transaction.amount, payment.amount
        );
        self.engine
            .apply_gateway_status(payment.payment_id, &GatewayStatus::Failed { reason }, None, None)
            .await?;
        Ok(())
    }
}
