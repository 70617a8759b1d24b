//! Payments: start, the idempotent completion, capture, void, refund, notifications.
//!
//! Every path that learns something from a gateway (the client-confirm path, notifications, the
//! poller, the answers to our own calls) goes through [`Commerce::apply_gateway_status`]: the
//! payment state machine decides (forward-only, replay = no-op), and the store writes payment,
//! order and events in one `save_payment` with optimistic concurrency. A race between two paths
//! therefore changes the payment once; the loser sees `Unchanged`.

use std::collections::BTreeMap;

use super::checkout_ops::UNASSIGNED_PROVIDER;
use super::{Commerce, Error, Result};
use crate::events::EventKind;
use crate::ids::{OrderId, PaymentId, RefundId};
use crate::inventory::StockLine;
use crate::money::Money;
use crate::order::{Order, OrderAction, OrderStatus};
use crate::payment::{GatewayStatus, Observed, Payment, PaymentStatus};
use crate::ports::storage::{PaymentWrite, Store, StoreError};
use crate::ports::{
    CaptureMode, CapturePayment, GatewayError, NotificationRequest, RefundPayment, StartPayment,
};

/// Options for [`Commerce::start_payment`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartPaymentOptions {
    /// A provider payment method to confirm with at once (Stripe `pm_...`).
    pub payment_method: Option<String>,
    /// Capture mode; defaults to the engine's.
    pub capture: Option<CaptureMode>,
    /// Extra metadata for the provider.
    pub metadata: BTreeMap<String, String>,
}

fn definitive(e: &GatewayError) -> bool {
    // Errors after which the provider certainly did not act on the request.
    matches!(
        e,
        GatewayError::Declined { .. }
            | GatewayError::InvalidRequest(_)
            | GatewayError::InvalidAmount { .. }
            | GatewayError::Unsupported { .. }
            | GatewayError::NotFound(_)
            | GatewayError::Unauthorized(_)
            | GatewayError::IdempotencyConflict(_)
    )
}

impl<S: Store + ?Sized> Commerce<S> {
    /// A payment by id.
    pub async fn payment(&self, id: PaymentId) -> Result<Payment> {
        self.store.get_payment(id).await?.ok_or_else(|| Error::not_found("payment", id))
    }

    /// An order's payments, oldest first.
    pub async fn payments_of_order(&self, order: OrderId) -> Result<Vec<Payment>> {
        Ok(self.store.payments_of_order(order).await?)
    }

    /// Starts paying an order through `provider`.
    ///
    /// Idempotent: if the order's current payment was already started with this provider and is
    /// still open, it is returned as is. A payment that failed or expired is followed by a new
    /// attempt; an open attempt with another provider is voided first, so the buyer can never pay
    /// twice through two providers.
    pub async fn start_payment(
        &self,
        order_id: OrderId,
        provider: &str,
        options: StartPaymentOptions,
    ) -> Result<Payment> {
        let gateway = self.gateway(provider)?.clone();
        let order = self.order(order_id).await?;
        if order.status != OrderStatus::PendingPayment {
            return Err(crate::order::OrderError::InvalidTransition {
                from: order.status.as_str(),
                action: "pay",
            }
            .into());
        }
        let now = self.clock.now();
        let deadline = order.placed_at + self.config.payment_ttl;
        if deadline <= now {
            return Err(Error::Invalid("the payment window of this order has closed".into()));
        }
        let payment = 'pick: loop {
            let payments = self.store.payments_of_order(order_id).await?;
            let latest = payments.last().cloned();
            let (payment, expected) = match latest {
                Some(p) if p.status.is_open() && p.reference.is_some() && p.provider == provider => {
                    return Ok(p);
                }
                Some(p) if p.status == PaymentStatus::Pending && p.reference.is_none() => {
                    let v = p.version;
                    let mut p = p;
                    p.provider = provider.to_owned();
                    (p, Some(v))
                }
                Some(p) if p.status.is_open() => {
                    self.void_payment(p.id).await?;
                    continue 'pick;
                }
                Some(p) if p.status.is_captured() => {
                    return Err(
                        crate::order::OrderError::InvalidTransition { from: "paid", action: "pay" }.into()
                    );
                }
                _ => (
                    Payment::new(
                        PaymentId::from_uuid(self.ids.uuid()),
                        order_id,
                        provider,
                        order.total(),
                        now,
                    ),
                    None,
                ),
            };
            let write = PaymentWrite::payment_only(payment.clone(), expected);
            match self.store.save_payment(write).await {
                Ok(_) => break payment,
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let request = StartPayment {
            payment_id: payment.id,
            order_id,
            order_number: order.number.clone(),
            amount: payment.amount,
            capture: options.capture.unwrap_or(self.config.capture_mode),
            payment_method: options.payment_method,
            expires_at: Some(deadline),
            email: Some(order.email.clone()),
            idempotency_key: format!("start-{}", payment.id),
            metadata: options.metadata,
        };
        match gateway.start(request).await {
            Ok(answer) => {
                self.apply_gateway_status(payment.id, &answer.status, Some(&answer.reference), None).await
            }
            Err(GatewayError::Declined { code, decline_code, message }) => {
                let reason = format!("declined: {message}");
                self.apply_gateway_status(payment.id, &GatewayStatus::Failed { reason }, None, None).await?;
                Err(GatewayError::Declined { code, decline_code, message }.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The idempotent completion: applies what a gateway reported about a payment, and the
    /// order's consequences (paid, cancelled on expiry with stock returned, refunded), in one
    /// atomic store write. Replays and older states are no-ops. `notification` is the
    /// `(provider, event id)` this came from; a notification already handled is ignored.
    pub async fn apply_gateway_status(
        &self,
        payment_id: PaymentId,
        status: &GatewayStatus,
        reference: Option<&str>,
        notification: Option<(String, String)>,
    ) -> Result<Payment> {
        for _ in 0..=self.config.max_retries {
            let mut p = self.payment(payment_id).await?;
            let version = p.version;
            let now = self.clock.now();
            let kinds = match p.observe(status, reference, now)? {
                Observed::Unchanged => return self.after_change(p, false).await,
                Observed::Changed(k) => k,
            };
            let became_authorized = p.status == PaymentStatus::Authorized;
            let (order_write, restock, order_kinds) = self.order_consequences(&p).await?;
            let mut all = kinds;
            all.extend(order_kinds);
            let write = PaymentWrite {
                payment: p.clone(),
                expected_version: Some(version),
                order: order_write,
                restock,
                events: self.events(all),
                notification: notification.clone(),
            };
            match self.store.save_payment(write).await {
                Ok(v) => {
                    p.version = v;
                    return self.after_change(p, became_authorized).await;
                }
                Err(StoreError::Conflict { entity: "notification", .. }) => {
                    return self.payment(payment_id).await;
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "payment", id: payment_id.to_string() })
    }

    /// Follow-ups after a payment change: capture on authorization when configured.
    async fn after_change(&self, p: Payment, _became_authorized: bool) -> Result<Payment> {
        // Capturing is idempotent at the gateway (the key is derived from the payment id), so a
        // confirm and a notification racing here cannot capture twice; a crash between the
        // authorization and the capture is recovered by the next observation.
        if self.config.capture_on_authorize && p.status == PaymentStatus::Authorized {
            return Box::pin(self.capture_payment(p.id, None)).await;
        }
        Ok(p)
    }

    /// What a payment change means for its order.
    async fn order_consequences(
        &self,
        p: &Payment,
    ) -> Result<(Option<(Order, u64)>, Vec<StockLine>, Vec<EventKind>)> {
        let mut order = self.order(p.order_id).await?;
        let version = order.version;
        let now = self.clock.now();
        let before = order.status;
        let mut restock = Vec::new();
        let kinds = match p.status {
            PaymentStatus::Captured | PaymentStatus::PartiallyCaptured
                if before == OrderStatus::PendingPayment =>
            {
                order.apply(OrderAction::MarkPaid, now)?
            }
            PaymentStatus::Expired if before == OrderStatus::PendingPayment => {
                restock = order
                    .lines
                    .iter()
                    .map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity) })
                    .collect();
                order.apply(OrderAction::Cancel { reason: "payment expired".into() }, now)?
            }
            PaymentStatus::Refunded | PaymentStatus::PartiallyRefunded
                if !matches!(before, OrderStatus::PendingPayment | OrderStatus::Cancelled) =>
            {
                order.apply(
                    OrderAction::Refunded { total_refunded: p.refunded, total_captured: p.captured },
                    now,
                )?
            }
            _ => Vec::new(),
        };
        if order.status == before {
            return Ok((None, Vec::new(), Vec::new()));
        }
        Ok((Some((order, version)), restock, kinds))
    }

    /// Handles a gateway notification (webhook): verifies it on the raw bytes, then applies it
    /// through the idempotent completion. Duplicates are ignored.
    pub async fn handle_notification(
        &self,
        provider: &str,
        request: &NotificationRequest<'_>,
    ) -> Result<Payment> {
        let gateway = self.gateway(provider)?.clone();
        let n = gateway.verify_notification(request)?;
        let payment = match n.payment_id {
            Some(id) => self.store.get_payment(id).await?,
            None => None,
        };
        let payment = match payment {
            Some(p) => p,
            None => self
                .store
                .payment_by_reference(provider, &n.reference)
                .await?
                .ok_or_else(|| Error::not_found("payment with reference", &n.reference))?,
        };
        self.apply_gateway_status(
            payment.id,
            &n.status,
            Some(&n.reference),
            Some((provider.to_owned(), n.id)),
        )
        .await
    }

    /// The client-confirm path: asks the gateway where the payment stands and applies it.
    pub async fn confirm_payment(&self, payment_id: PaymentId) -> Result<Payment> {
        let p = self.payment(payment_id).await?;
        if p.provider == UNASSIGNED_PROVIDER {
            return Err(Error::Missing("a started payment"));
        }
        let reference = p.reference.clone().ok_or(Error::Missing("a started payment"))?;
        let gateway = self.gateway(&p.provider)?.clone();
        let answer = gateway.fetch_status(p.id, &reference).await?;
        self.apply_gateway_status(p.id, &answer.status, Some(&answer.reference), None).await
    }

    /// Captures an authorized payment (all of it by default). Capturing a captured payment
    /// returns it unchanged.
    pub async fn capture_payment(&self, payment_id: PaymentId, amount: Option<Money>) -> Result<Payment> {
        let p = self.payment(payment_id).await?;
        if p.status.is_captured() {
            return Ok(p);
        }
        if p.status != PaymentStatus::Authorized {
            return Err(crate::payment::PaymentError::InvalidTransition {
                from: p.status.as_str(),
                action: "capture",
            }
            .into());
        }
        let amount = amount.unwrap_or(p.authorized);
        if amount.currency() != p.amount.currency()
            || amount.amount() > p.authorized.amount()
            || !amount.is_exact()
        {
            return Err(Error::Invalid(format!(
                "cannot capture {amount} of an authorization of {}",
                p.authorized
            )));
        }
        let reference = p.reference.clone().ok_or(Error::Missing("a started payment"))?;
        let gateway = self.gateway(&p.provider)?.clone();
        let answer = gateway
            .capture(CapturePayment {
                payment_id,
                reference,
                amount,
                idempotency_key: format!("capture-{payment_id}"),
            })
            .await?;
        Box::pin(self.apply_gateway_status(payment_id, &answer.status, Some(&answer.reference), None)).await
    }

    /// Voids an open payment: releases an authorization at the gateway, or abandons a payment the
    /// buyer has not completed (a KHQR that will simply not be honoured).
    pub async fn void_payment(&self, payment_id: PaymentId) -> Result<Payment> {
        let p = self.payment(payment_id).await?;
        if !p.status.is_open() {
            return Ok(p);
        }
        if let (Some(reference), Ok(gateway)) = (p.reference.clone(), self.gateway(&p.provider)) {
            let gateway = gateway.clone();
            match gateway.void(payment_id, &reference).await {
                Ok(answer) => {
                    return self
                        .apply_gateway_status(payment_id, &answer.status, Some(&answer.reference), None)
                        .await;
                }
                Err(GatewayError::Unsupported { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.apply_gateway_status(payment_id, &GatewayStatus::Voided, None, None).await
    }

    /// Refunds `amount` (default: everything still refundable) of a captured payment,
    /// idempotently by `idempotency_key`.
    ///
    /// The amount is first reserved in the payment record (so concurrent refunds can never
    /// exceed what was captured), then the gateway is called with a key derived from the refund
    /// id, then the result is recorded. If the gateway cannot be reached the refund stays pending;
    /// calling again with the same key resumes it.
    pub async fn refund_payment(
        &self,
        payment_id: PaymentId,
        amount: Option<Money>,
        idempotency_key: &str,
        reason: Option<String>,
    ) -> Result<Payment> {
        let refund_id =
            RefundId::from_uuid(uuid::Uuid::new_v5(&payment_id.as_uuid(), idempotency_key.as_bytes()));
        let mut p = self.payment(payment_id).await?;
        let gateway = self.gateway(&p.provider)?.clone();
        if !gateway.capabilities().refund {
            return Err(GatewayError::Unsupported { operation: "refund", gateway: gateway.name() }.into());
        }
        // Phase 1: reserve.
        for attempt in 0..=self.config.max_retries {
            if attempt > 0 {
                p = self.payment(payment_id).await?;
            }
            if let Some(r) = p.refunds.iter().find(|r| r.id == refund_id) {
                if r.status != crate::payment::RefundStatus::Pending {
                    return Ok(p);
                }
                break;
            }
            let version = p.version;
            let amount = match amount {
                Some(a) => a,
                None => p.refundable()?,
            };
            p.begin_refund(refund_id, amount, reason.clone(), self.clock.now())?;
            let write = PaymentWrite::payment_only(p.clone(), Some(version));
            match self.store.save_payment(write).await {
                Ok(v) => {
                    p.version = v;
                    break;
                }
                Err(StoreError::Conflict { .. }) if attempt < self.config.max_retries => continue,
                Err(StoreError::Conflict { .. }) => {
                    return Err(Error::Contention { entity: "payment", id: payment_id.to_string() });
                }
                Err(e) => return Err(e.into()),
            }
        }
        let refund = p
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .cloned()
            .ok_or_else(|| Error::not_found("refund", refund_id))?;
        let reference = p.reference.clone().ok_or(Error::Missing("a started payment"))?;
        // Phase 2: the gateway.
        let result = gateway
            .refund(RefundPayment {
                payment_id,
                refund_id,
                reference,
                amount: refund.amount,
                idempotency_key: format!("refund-{refund_id}"),
            })
            .await;
        match result {
            Ok(r) if r.succeeded => self.finish_refund(payment_id, refund_id, Some(r.reference), true).await,
            Ok(r) => self.note_refund_reference(payment_id, refund_id, r.reference).await,
            Err(e) if definitive(&e) => {
                self.finish_refund(payment_id, refund_id, None, false).await?;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn finish_refund(
        &self,
        payment_id: PaymentId,
        refund_id: RefundId,
        reference: Option<String>,
        succeeded: bool,
    ) -> Result<Payment> {
        for _ in 0..=self.config.max_retries {
            let mut p = self.payment(payment_id).await?;
            let version = p.version;
            let kinds =
                match p.complete_refund(refund_id, reference.as_deref(), succeeded, self.clock.now())? {
                    Observed::Unchanged => return Ok(p),
                    Observed::Changed(k) => k,
                };
            let (order_write, restock, order_kinds) = self.order_consequences(&p).await?;
            let mut all = kinds;
            all.extend(order_kinds);
            let write = PaymentWrite {
                payment: p.clone(),
                expected_version: Some(version),
                order: order_write,
                restock,
                events: self.events(all),
                notification: None,
            };
            match self.store.save_payment(write).await {
                Ok(v) => {
                    p.version = v;
                    return Ok(p);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "payment", id: payment_id.to_string() })
    }

    async fn note_refund_reference(
        &self,
        payment_id: PaymentId,
        refund_id: RefundId,
        reference: String,
    ) -> Result<Payment> {
        for _ in 0..=self.config.max_retries {
            let mut p = self.payment(payment_id).await?;
            let version = p.version;
            match p.refunds.iter_mut().find(|r| r.id == refund_id) {
                Some(r) if r.reference.is_none() => r.reference = Some(reference.clone()),
                _ => return Ok(p),
            }
            let write = PaymentWrite::payment_only(p.clone(), Some(version));
            match self.store.save_payment(write).await {
                Ok(v) => {
                    p.version = v;
                    return Ok(p);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "payment", id: payment_id.to_string() })
    }
}
