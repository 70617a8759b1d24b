//! Domain events: what happened, with an id and a timestamp, serializable.
//!
//! Events are written to the outbox in the same transaction as the change they describe and
//! delivered at least once to handlers (emails, stock notices, analytics). Handlers must be
//! idempotent: deduplicate on [`Event::id`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, CartId, CheckoutId, CustomerId, EventId, OrderId, PaymentId, RefundId, Sku};
use crate::money::Money;

/// A domain event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id; handlers deduplicate on it.
    pub id: EventId,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// The event's type name (`"order_placed"`), as in JSON.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

/// What happened. Serialized with a `"type"` tag in snake_case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// An order was placed.
    OrderPlaced {
        /// The order.
        order_id: OrderId,
        /// Its human-friendly number.
        number: String,
        /// The customer, if signed in.
        customer_id: Option<CustomerId>,
        /// Contact email.
        email: String,
        /// Grand total.
        total: Money,
    },
    /// An order became paid.
    OrderPaid {
        /// The order.
        order_id: OrderId,
    },
    /// An order was cancelled.
    OrderCancelled {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: String,
    },
    /// An order's status changed by fulfilment (fulfilled, shipped, delivered, completed).
    OrderStatusChanged {
        /// The order.
        order_id: OrderId,
        /// The new status.
        status: String,
    },
    /// A payment needs the buyer to act (QR shown, 3-D Secure).
    PaymentRequiresAction {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
    },
    /// Funds were authorized.
    PaymentAuthorized {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// Amount held.
        amount: Money,
    },
    /// Funds were captured.
    PaymentCaptured {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// Captured by this change.
        amount: Money,
        /// Captured in all.
        total_captured: Money,
        /// Captured after the payment had expired or failed: needs a person.
        late: bool,
    },
    /// A payment failed.
    PaymentFailed {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// Why.
        reason: String,
    },
    /// An authorization was released.
    PaymentVoided {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
    },
    /// A payment was not completed in time.
    PaymentExpired {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
    },
    /// A refund succeeded.
    RefundIssued {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// The refund.
        refund_id: RefundId,
        /// Refunded by this refund.
        amount: Money,
        /// Refunded in all.
        total_refunded: Money,
    },
    /// A refund failed at the gateway.
    RefundFailed {
        /// The payment.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// The refund.
        refund_id: RefundId,
    },
    /// Available stock fell to or below the SKU's low-stock threshold.
    StockLow {
        /// The SKU.
        sku: Sku,
        /// Available now.
        available: i64,
        /// The threshold.
        threshold: i64,
    },
    /// A checkout's reservation expired before an order was placed.
    ReservationExpired {
        /// The checkout.
        checkout_id: CheckoutId,
    },
    /// An account was registered.
    AccountRegistered {
        /// The account.
        account_id: AccountId,
        /// Its customer.
        customer_id: CustomerId,
        /// Its email.
        email: String,
    },
    /// A password reset was requested for an existing account: send `token` to `email`.
    ///
    /// The outbox holds the token until the event is delivered; the account store keeps only its
    /// hash.
    PasswordResetRequested {
        /// The account.
        account_id: AccountId,
        /// Where to send the link.
        email: String,
        /// The secret the user proves possession of.
        token: String,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// A cart was left without checkout.
    CartAbandoned {
        /// The cart.
        cart_id: CartId,
        /// The customer, if known.
        customer_id: Option<CustomerId>,
    },
}

impl EventKind {
    /// The snake_case type name.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::OrderPlaced { .. } => "order_placed",
            EventKind::OrderPaid { .. } => "order_paid",
            EventKind::OrderCancelled { .. } => "order_cancelled",
            EventKind::OrderStatusChanged { .. } => "order_status_changed",
            EventKind::PaymentRequiresAction { .. } => "payment_requires_action",
            EventKind::PaymentAuthorized { .. } => "payment_authorized",
            EventKind::PaymentCaptured { .. } => "payment_captured",
            EventKind::PaymentFailed { .. } => "payment_failed",
            EventKind::PaymentVoided { .. } => "payment_voided",
            EventKind::PaymentExpired { .. } => "payment_expired",
            EventKind::RefundIssued { .. } => "refund_issued",
            EventKind::RefundFailed { .. } => "refund_failed",
            EventKind::StockLow { .. } => "stock_low",
            EventKind::ReservationExpired { .. } => "reservation_expired",
            EventKind::CartAbandoned { .. } => "cart_abandoned",
            EventKind::AccountRegistered { .. } => "account_registered",
            EventKind::PasswordResetRequested { .. } => "password_reset_requested",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    #[test]
    fn events_serialize_with_a_type_tag_and_string_amounts() {
        let e = Event {
            id: EventId::from_uuid(Uuid::from_u128(7)),
            occurred_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            kind: EventKind::PaymentCaptured {
                payment_id: PaymentId::from_uuid(Uuid::from_u128(1)),
                order_id: OrderId::from_uuid(Uuid::from_u128(2)),
                amount: Money::new(dec!(10), Currency::USD),
                total_captured: Money::new(dec!(10), Currency::USD),
                late: false,
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "payment_captured");
        assert_eq!(v["amount"]["amount"], "10.00");
        assert_eq!(e.name(), "payment_captured");
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
