//! The payment state machine.
//!
//! A [`Payment`] is one attempt to collect an order's money through one gateway. It changes only
//! through [`Payment::observe`] (what the gateway reported, from a client confirmation, a
//! notification or a status poll) and the refund methods. All of them are pure and return the
//! domain events of the change.
//!
//! Invariants, checked after every change: `authorized >= captured >= refunded + refund_pending`,
//! all in the payment's currency, and `authorized <= amount`.
//!
//! Notifications arrive duplicated and out of order, so `observe` is forward-only: replaying an
//! observation is a no-op ([`Observed::Unchanged`]) and a late `Authorized` after `Captured` never
//! moves the payment backwards. Money wins over failure: a capture reported after the payment
//! failed is recorded (the buyer retried and succeeded); after it expired or was voided it is
//! recorded too and flagged as late, so the host can act.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::EventKind;
use crate::ids::{OrderId, PaymentId, RefundId};
use crate::money::{Money, MoneyError};

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created; the gateway has not been asked yet or has not answered.
    Pending,
    /// The buyer must act: scan a QR code, complete 3-D Secure, confirm on the front end.
    RequiresAction,
    /// Funds are held, not yet captured.
    Authorized,
    /// Less than the authorized amount was captured (the rest released).
    PartiallyCaptured,
    /// The authorized amount was captured.
    Captured,
    /// Part of the captured amount was refunded.
    PartiallyRefunded,
    /// All of the captured amount was refunded.
    Refunded,
    /// The authorization was released without capture.
    Voided,
    /// The gateway refused or the attempt failed.
    Failed,
    /// The buyer did not pay in time.
    Expired,
}

impl PaymentStatus {
    /// Progress rank: observations never lower it.
    fn rank(self) -> u8 {
        match self {
            PaymentStatus::Pending => 0,
            PaymentStatus::RequiresAction => 1,
            PaymentStatus::Authorized => 2,
            PaymentStatus::Voided | PaymentStatus::Failed | PaymentStatus::Expired => 3,
            PaymentStatus::PartiallyCaptured | PaymentStatus::Captured => 4,
            PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => 5,
        }
    }

    /// Whether money was captured.
    pub fn is_captured(self) -> bool {
        self.rank() >= 4
    }

    /// Whether the payment can still move forward without new money (pending, requires action,
    /// authorized).
    pub fn is_open(self) -> bool {
        self.rank() <= 2
    }

    /// The status as the snake_case word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::PartiallyCaptured => "partially_captured",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Expired => "expired",
        }
    }
}

/// What the buyer must do for a payment in `RequiresAction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentAction {
    /// Scan a QR code (Bakong KHQR): the code, its lookup key and when it stops being payable.
    ShowQr {
        /// The QR payload.
        qr: String,
        /// The gateway's lookup key for it (KHQR: the MD5 of the payload).
        md5: String,
        /// When the code expires.
        expires_at: Option<DateTime<Utc>>,
    },
    /// Confirm on the host's front end with this client secret (Stripe.js).
    ConfirmOnClient {
        /// The secret to hand to the front end.
        client_secret: String,
    },
    /// Send the buyer to this URL (3-D Secure, wallets).
    Redirect {
        /// Where to send the buyer.
        url: String,
    },
}

/// What a gateway reported about a payment. Amounts are cumulative totals, not increments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GatewayStatus {
    /// Nothing happened yet.
    Pending,
    /// The buyer must act.
    RequiresAction {
        /// What to do.
        action: PaymentAction,
    },
    /// Funds held.
    Authorized {
        /// Amount held.
        amount: Money,
    },
    /// Funds captured (cumulative).
    Captured {
        /// Total captured so far.
        amount: Money,
    },
    /// The authorization was released.
    Voided,
    /// The attempt failed.
    Failed {
        /// Gateway's reason, for people.
        reason: String,
    },
    /// Not paid in time.
    Expired,
    /// One refund succeeded.
    RefundSucceeded {
        /// The gateway's refund reference.
        reference: String,
        /// Its amount.
        amount: Money,
    },
    /// One refund failed.
    RefundFailed {
        /// The gateway's refund reference.
        reference: String,
    },
}

/// A state change the gateway reported, as recorded in the payment's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTransition {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Status before.
    pub from: PaymentStatus,
    /// Status after.
    pub to: PaymentStatus,
    /// The gateway's reference (intent id, transaction hash, refund id...).
    pub reference: Option<String>,
    /// Short description (`"captured 10.00 USD"`).
    pub note: String,
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Reserved against the captured amount; the gateway call is in flight.
    Pending,
    /// Done.
    Succeeded,
    /// The gateway refused; the amount is available again.
    Failed,
}

/// One refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// Our id (also the idempotency key sent to the gateway).
    pub id: RefundId,
    /// Amount.
    pub amount: Money,
    /// Status.
    pub status: RefundStatus,
    /// The gateway's refund reference once known.
    pub reference: Option<String>,
    /// Free-form reason given by the merchant.
    pub reason: Option<String>,
}

/// Errors of the payment state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentError {
    /// An amount in another currency, or an overflow.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The gateway reported more than the payment is for, or money in another currency.
    /// Never accepted as paid: flag it for a person.
    #[error("amount mismatch on payment {payment}: expected {expected}, gateway reported {reported}")]
    AmountMismatch {
        /// The payment.
        payment: PaymentId,
        /// What the payment is for (or the most that could be captured).
        expected: Money,
        /// What the gateway reported.
        reported: Money,
    },
    /// A refund larger than what is left to refund.
    #[error("refund of {requested} exceeds the refundable {refundable}")]
    RefundExceedsCaptured {
        /// Asked.
        requested: Money,
        /// Captured minus refunded minus refunds in flight.
        refundable: Money,
    },
    /// The operation does not fit the payment's status.
    #[error("cannot {action} a payment that is {from}")]
    InvalidTransition {
        /// The status.
        from: &'static str,
        /// The action.
        action: &'static str,
    },
    /// A refund id that this payment does not have.
    #[error("unknown refund {0}")]
    UnknownRefund(RefundId),
    /// A refund amount of zero or less.
    #[error("refund amount must be positive, got {0}")]
    NonPositiveRefund(Money),
}

/// What an observation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// Nothing new: a duplicate or an older state. The payment is unchanged.
    Unchanged,
    /// The payment changed; these events describe it.
    Changed(Vec<EventKind>),
}

/// A payment of an order through one gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Id.
    pub id: PaymentId,
    /// The order paid for.
    pub order_id: OrderId,
    /// The gateway's name (`"stripe"`, `"bakong"`).
    pub provider: String,
    /// What is to be paid.
    pub amount: Money,
    /// Current status.
    pub status: PaymentStatus,
    /// Amount held (or captured directly).
    pub authorized: Money,
    /// Amount captured.
    pub captured: Money,
    /// Amount refunded (succeeded refunds).
    pub refunded: Money,
    /// The gateway's reference for the payment (intent id, QR md5).
    pub reference: Option<String>,
    /// What the buyer must do, while `RequiresAction`.
    pub action: Option<PaymentAction>,
    /// When the payment stops being payable, if the gateway has such a limit.
    pub expires_at: Option<DateTime<Utc>>,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
    /// Every change, oldest first.
    pub history: Vec<PaymentTransition>,
    /// A capture arrived after the payment had expired, failed or been voided: money was taken
    /// for an order that may be cancelled. Needs a person (refund or reinstate).
    pub late_capture: bool,
    /// Optimistic-concurrency version, maintained by storage.
    pub version: u64,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// A new pending payment for `amount`.
    pub fn new(
        id: PaymentId,
        order_id: OrderId,
        provider: impl Into<String>,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Self {
        let zero = Money::zero(amount.currency());
        Payment {
            id,
            order_id,
            provider: provider.into(),
            amount,
            status: PaymentStatus::Pending,
            authorized: zero,
            captured: zero,
            refunded: zero,
            reference: None,
            action: None,
            expires_at: None,
            refunds: Vec::new(),
            history: Vec::new(),
            late_capture: false,
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// Sum of refunds in flight.
    pub fn refund_pending(&self) -> Result<Money, MoneyError> {
        Money::sum(
            self.amount.currency(),
            self.refunds.iter().filter(|r| r.status == RefundStatus::Pending).map(|r| r.amount),
        )
    }

    /// What can still be refunded: captured - refunded - refunds in flight.
    pub fn refundable(&self) -> Result<Money, MoneyError> {
        self.captured.checked_sub(self.refunded)?.checked_sub(self.refund_pending()?)
    }

    fn check_currency(&self, m: Money) -> Result<(), PaymentError> {
        if m.currency() != self.amount.currency() {
            return Err(PaymentError::AmountMismatch {
                payment: self.id,
                expected: self.amount,
                reported: m,
            });
        }
        Ok(())
    }

    /// Recomputes the status from the amounts, for captured payments.
    fn settle_status(&mut self) {
        if self.refunded.amount() > rust_decimal::Decimal::ZERO {
            self.status = if self.refunded == self.captured {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            };
        } else if self.captured.amount() > rust_decimal::Decimal::ZERO {
            self.status = if self.captured.amount() < self.authorized.amount() {
                PaymentStatus::PartiallyCaptured
            } else {
                PaymentStatus::Captured
            };
        }
    }

    fn record(&mut self, from: PaymentStatus, reference: Option<String>, note: String, now: DateTime<Utc>) {
        self.history.push(PaymentTransition { at: now, from, to: self.status, reference, note });
        self.updated_at = now;
    }

    /// Applies what the gateway reported. Forward-only and idempotent; see the module docs.
    pub fn observe(
        &mut self,
        status: &GatewayStatus,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Observed, PaymentError> {
        let mut next = self.clone();
        let from = self.status;
        let mut events = Vec::new();
        let note: String;
        match status {
            GatewayStatus::Pending => return Ok(Observed::Unchanged),
            GatewayStatus::RequiresAction { action } => {
                if from.rank() > PaymentStatus::RequiresAction.rank()
                    || (from == PaymentStatus::RequiresAction && self.action.as_ref() == Some(action))
                {
                    return Ok(Observed::Unchanged);
                }
                next.status = PaymentStatus::RequiresAction;
                next.action = Some(action.clone());
                if let PaymentAction::ShowQr { expires_at: Some(e), .. } = action {
                    next.expires_at = Some(*e);
                }
                note = "requires action".into();
                events
                    .push(EventKind::PaymentRequiresAction { payment_id: self.id, order_id: self.order_id });
            }
            GatewayStatus::Authorized { amount } => {
                self.check_currency(*amount)?;
                if amount.amount() > self.amount.amount() {
                    return Err(PaymentError::AmountMismatch {
                        payment: self.id,
                        expected: self.amount,
                        reported: *amount,
                    });
                }
                if from.rank() >= PaymentStatus::Authorized.rank() {
                    return Ok(Observed::Unchanged);
                }
                next.status = PaymentStatus::Authorized;
                next.authorized = *amount;
                next.action = None;
                note = format!("authorized {amount}");
                events.push(EventKind::PaymentAuthorized {
                    payment_id: self.id,
                    order_id: self.order_id,
                    amount: *amount,
                });
            }
            GatewayStatus::Captured { amount } => {
                self.check_currency(*amount)?;
                // Captured directly (automatic capture) counts as authorized for that amount.
                let ceiling = if self.authorized.is_zero() { self.amount } else { self.authorized };
                if amount.amount() > ceiling.amount() {
                    return Err(PaymentError::AmountMismatch {
                        payment: self.id,
                        expected: ceiling,
                        reported: *amount,
                    });
                }
                if amount.amount() <= self.captured.amount() || amount.is_zero() {
                    return Ok(Observed::Unchanged);
                }
                // A capture after a failure is a retry that worked (a buyer may try another card
                // on the same Stripe intent); after expiry or a void it is money for an order
                // that may be gone.
                let late = matches!(from, PaymentStatus::Expired | PaymentStatus::Voided);
                let increment = amount.checked_sub(self.captured)?;
                if self.authorized.is_zero() {
                    next.authorized = *amount;
                }
                next.captured = *amount;
                next.action = None;
                next.late_capture |= late;
                next.settle_status();
                note = format!("captured {amount}{}", if late { " (late)" } else { "" });
                events.push(EventKind::PaymentCaptured {
                    payment_id: self.id,
                    order_id: self.order_id,
                    amount: increment,
                    total_captured: *amount,
                    late,
                });
            }
            GatewayStatus::Voided | GatewayStatus::Failed { .. } | GatewayStatus::Expired => {
                if !from.is_open() {
                    return Ok(Observed::Unchanged);
                }
                let (to, kind) = match status {
                    GatewayStatus::Voided => (PaymentStatus::Voided, "voided"),
                    GatewayStatus::Failed { .. } => (PaymentStatus::Failed, "failed"),
                    _ => (PaymentStatus::Expired, "expired"),
                };
                next.status = to;
                next.action = None;
                let reason = match status {
                    GatewayStatus::Failed { reason } => reason.clone(),
                    _ => kind.to_owned(),
                };
                note = reason.clone();
                events.push(match to {
                    PaymentStatus::Voided => {
                        EventKind::PaymentVoided { payment_id: self.id, order_id: self.order_id }
                    }
                    PaymentStatus::Expired => {
                        EventKind::PaymentExpired { payment_id: self.id, order_id: self.order_id }
                    }
                    _ => EventKind::PaymentFailed { payment_id: self.id, order_id: self.order_id, reason },
                });
            }
            GatewayStatus::RefundSucceeded { reference: r, amount } => {
                self.check_currency(*amount)?;
                match next.refunds.iter().position(|x| x.reference.as_deref() == Some(r.as_str())) {
                    Some(i) if next.refunds[i].status == RefundStatus::Succeeded => {
                        return Ok(Observed::Unchanged);
                    }
                    Some(i) => {
                        let id = next.refunds[i].id;
                        return self.complete_refund(id, Some(r), true, now);
                    }
                    None => {
                        // A refund made outside the engine (gateway dashboard): record it.
                        if amount.amount() > self.refundable()?.amount() {
                            return Err(PaymentError::RefundExceedsCaptured {
                                requested: *amount,
                                refundable: self.refundable()?,
                            });
                        }
                        let id = RefundId::from_uuid(uuid::Uuid::new_v5(
                            &uuid::Uuid::NAMESPACE_OID,
                            format!("{}:{}", self.id, r).as_bytes(),
                        ));
                        next.refunds.push(Refund {
                            id,
                            amount: *amount,
                            status: RefundStatus::Succeeded,
                            reference: Some(r.clone()),
                            reason: Some("refunded at the gateway".into()),
                        });
                        next.refunded = next.refunded.checked_add(*amount)?;
                        next.settle_status();
                        note = format!("refunded {amount} at the gateway");
                        events.push(EventKind::RefundIssued {
                            payment_id: self.id,
                            order_id: self.order_id,
                            refund_id: id,
                            amount: *amount,
                            total_refunded: next.refunded,
                        });
                    }
                }
            }
            GatewayStatus::RefundFailed { reference: r } => {
                match self.refunds.iter().find(|x| x.reference.as_deref() == Some(r.as_str())) {
                    Some(x) if x.status == RefundStatus::Pending => {
                        let id = x.id;
                        return self.complete_refund(id, Some(r), false, now);
                    }
                    _ => return Ok(Observed::Unchanged),
                }
            }
        }
        if let Some(r) = reference
            && next.reference.is_none()
        {
            next.reference = Some(r.to_owned());
        }
        next.check_invariants()?;
        next.record(from, reference.map(str::to_owned), note, now);
        *self = next;
        Ok(Observed::Changed(events))
    }

    /// Reserves `amount` for a new refund (status `Pending`), so concurrent refunds can never
    /// exceed what was captured. Call the gateway after this is stored, then
    /// [`Payment::complete_refund`].
    pub fn begin_refund(
        &mut self,
        id: RefundId,
        amount: Money,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError> {
        self.check_currency(amount)?;
        if !self.status.is_captured() {
            return Err(PaymentError::InvalidTransition { from: self.status.as_str(), action: "refund" });
        }
        if amount.amount() <= rust_decimal::Decimal::ZERO {
            return Err(PaymentError::NonPositiveRefund(amount));
        }
        let refundable = self.refundable()?;
        if amount.amount() > refundable.amount() {
            return Err(PaymentError::RefundExceedsCaptured { requested: amount, refundable });
        }
        self.refunds.push(Refund { id, amount, status: RefundStatus::Pending, reference: None, reason });
        self.updated_at = now;
        self.check_invariants()
    }

    /// Finishes a pending refund: `succeeded` adds it to `refunded`, otherwise the amount is
    /// released. Finishing a refund that is already finished is a no-op.
    pub fn complete_refund(
        &mut self,
        id: RefundId,
        reference: Option<&str>,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> Result<Observed, PaymentError> {
        let i = self.refunds.iter().position(|r| r.id == id).ok_or(PaymentError::UnknownRefund(id))?;
        if self.refunds[i].status != RefundStatus::Pending {
            return Ok(Observed::Unchanged);
        }
        let mut next = self.clone();
        let from = next.status;
        let amount = next.refunds[i].amount;
        if let Some(r) = reference {
            next.refunds[i].reference = Some(r.to_owned());
        }
        let mut events = Vec::new();
        let note;
        if succeeded {
            next.refunds[i].status = RefundStatus::Succeeded;
            next.refunded = next.refunded.checked_add(amount)?;
            next.settle_status();
            note = format!("refunded {amount}");
            events.push(EventKind::RefundIssued {
                payment_id: self.id,
                order_id: self.order_id,
                refund_id: id,
                amount,
                total_refunded: next.refunded,
            });
        } else {
            next.refunds[i].status = RefundStatus::Failed;
            note = format!("refund of {amount} failed");
            events.push(EventKind::RefundFailed {
                payment_id: self.id,
                order_id: self.order_id,
                refund_id: id,
            });
        }
        next.check_invariants()?;
        next.record(from, reference.map(str::to_owned), note, now);
        *self = next;
        Ok(Observed::Changed(events))
    }

    /// Checks `amount >= authorized >= captured >= refunded + pending`, one currency.
    pub fn check_invariants(&self) -> Result<(), PaymentError> {
        let c = self.amount.currency();
        for m in [self.authorized, self.captured, self.refunded] {
            if m.currency() != c {
                return Err(PaymentError::Money(MoneyError::CurrencyMismatch {
                    left: c,
                    right: m.currency(),
                }));
            }
        }
        let pending = self.refund_pending()?;
        let out = self.refunded.checked_add(pending)?;
        let ok = self.authorized.amount() <= self.amount.amount()
            && self.captured.amount() <= self.authorized.amount()
            && out.amount() <= self.captured.amount()
            && !self.refunded.is_negative()
            && !self.captured.is_negative();
        if ok {
            Ok(())
        } else {
            Err(PaymentError::AmountMismatch {
                payment: self.id,
                expected: self.amount,
                reported: self.captured,
            })
        }
    }
}

#[cfg(test)]
mod tests;
