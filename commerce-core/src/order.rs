//! Orders: created from a completed checkout with an immutable snapshot of the priced cart.
//!
//! The status changes only through [`Order::apply`], which returns the events of the change or
//! an [`OrderError::InvalidTransition`] naming the status and the action.
//!
//! ```text
//! pending_payment --paid--> paid --fulfil--> partially_fulfilled --fulfil--> fulfilled
//!        |                   |                                                 |
//!        +--cancel--> cancelled <--cancel--+                                  ship
//!                                                                              v
//!                                              completed <--complete-- delivered <--deliver-- shipped
//! refunds (from paid onwards): partially_refunded, refunded
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::Address;
use crate::events::EventKind;
use crate::ids::{CheckoutId, CustomerId, OrderId, Sku};
use crate::money::Money;
use crate::pricing::PricedCart;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, waiting for the money.
    PendingPayment,
    /// Paid in full (or the merchant captured what they meant to).
    Paid,
    /// Some lines handed to fulfilment.
    PartiallyFulfilled,
    /// Every line handed to fulfilment.
    Fulfilled,
    /// Handed to the carrier.
    Shipped,
    /// Delivered.
    Delivered,
    /// Done.
    Completed,
    /// Cancelled (stock returned).
    Cancelled,
    /// Part of the payment was refunded.
    PartiallyRefunded,
    /// The payment was refunded in full.
    Refunded,
}

impl OrderStatus {
    /// The snake_case word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::PartiallyFulfilled => "partially_fulfilled",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Parses the snake_case word.
    pub fn parse(s: &str) -> Option<Self> {
        use OrderStatus::*;
        [
            PendingPayment,
            Paid,
            PartiallyFulfilled,
            Fulfilled,
            Shipped,
            Delivered,
            Completed,
            Cancelled,
            PartiallyRefunded,
            Refunded,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderAction {
    /// The payment was captured.
    MarkPaid,
    /// Hand `quantity` of `sku` to fulfilment.
    Fulfil {
        /// The SKU.
        sku: Sku,
        /// Units.
        quantity: u32,
    },
    /// Hand every remaining line to fulfilment.
    FulfilAll,
    /// Handed to the carrier.
    Ship,
    /// Delivered.
    Deliver,
    /// Closed.
    Complete,
    /// Cancel (the engine returns stock and voids or refunds the payment).
    Cancel {
        /// Why.
        reason: String,
    },
    /// Refunds changed: `total_refunded` of `total_captured`.
    Refunded {
        /// Refunded in all.
        total_refunded: Money,
        /// Captured in all.
        total_captured: Money,
    },
}

impl OrderAction {
    fn name(&self) -> &'static str {
        match self {
            OrderAction::MarkPaid => "mark paid",
            OrderAction::Fulfil { .. } | OrderAction::FulfilAll => "fulfil",
            OrderAction::Ship => "ship",
            OrderAction::Deliver => "deliver",
            OrderAction::Complete => "complete",
            OrderAction::Cancel { .. } => "cancel",
            OrderAction::Refunded { .. } => "refund",
        }
    }
}

/// Order errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The action does not apply in this status.
    #[error("cannot {action} an order that is {from}")]
    InvalidTransition {
        /// Current status.
        from: &'static str,
        /// The action.
        action: &'static str,
    },
    /// Fulfilling a SKU that is not in the order, or more than was ordered.
    #[error("cannot fulfil {quantity} of {sku}: {reason}")]
    InvalidFulfilment {
        /// The SKU.
        sku: Sku,
        /// Units asked.
        quantity: u32,
        /// Why.
        reason: &'static str,
    },
}

/// One line of an order, as sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The SKU.
    pub sku: Sku,
    /// Product and variant name at the time of sale.
    pub name: String,
    /// Units ordered.
    pub quantity: u32,
    /// Units handed to fulfilment.
    pub fulfilled: u32,
    /// Unit price before discounts.
    pub unit_price: Money,
    /// Line total after discounts (and, in tax-exclusive mode, before tax).
    pub total: Money,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Human-friendly number (`"K7M2-9QXD"`), unique.
    pub number: String,
    /// The checkout it came from.
    pub checkout_id: CheckoutId,
    /// The customer, if signed in.
    pub customer_id: Option<CustomerId>,
    /// Contact email.
    pub email: String,
    /// Status.
    pub status: OrderStatus,
    /// Lines as sold.
    pub lines: Vec<OrderLine>,
    /// The priced cart at the moment of sale; never recomputed.
    pub priced: PricedCart,
    /// Shipping address.
    pub shipping_address: Address,
    /// Billing address.
    pub billing_address: Address,
    /// Why it was cancelled, if it was.
    pub cancel_reason: Option<String>,
    /// Optimistic-concurrency version, maintained by storage.
    pub version: u64,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The amount to pay.
    pub fn total(&self) -> Money {
        self.priced.grand_total
    }

    /// Applies `action`; on success the order changed and these events describe it.
    pub fn apply(&mut self, action: OrderAction, now: DateTime<Utc>) -> Result<Vec<EventKind>, OrderError> {
        use OrderStatus as S;
        let invalid = || OrderError::InvalidTransition { from: self.status.as_str(), action: action.name() };
        let mut next = self.clone();
        let mut events = Vec::new();
        match (&action, self.status) {
            (OrderAction::MarkPaid, S::PendingPayment) => {
                next.status = S::Paid;
                events.push(EventKind::OrderPaid { order_id: self.id });
            }
            (OrderAction::Fulfil { sku, quantity }, S::Paid | S::PartiallyFulfilled) => {
                let line = next.lines.iter_mut().find(|l| &l.sku == sku).ok_or_else(|| {
                    OrderError::InvalidFulfilment {
                        sku: sku.clone(),
                        quantity: *quantity,
                        reason: "not in the order",
                    }
                })?;
                if *quantity == 0 || line.fulfilled.saturating_add(*quantity) > line.quantity {
                    return Err(OrderError::InvalidFulfilment {
                        sku: sku.clone(),
                        quantity: *quantity,
                        reason: "more than remains to fulfil",
                    });
                }
                line.fulfilled += quantity;
                next.status = if next.lines.iter().all(|l| l.fulfilled == l.quantity) {
                    S::Fulfilled
                } else {
                    S::PartiallyFulfilled
                };
            }
            (OrderAction::FulfilAll, S::Paid | S::PartiallyFulfilled) => {
                for l in &mut next.lines {
                    l.fulfilled = l.quantity;
                }
                next.status = S::Fulfilled;
            }
            (OrderAction::Ship, S::Fulfilled) => next.status = S::Shipped,
            (OrderAction::Deliver, S::Shipped) => next.status = S::Delivered,
            (OrderAction::Complete, S::Delivered) => next.status = S::Completed,
            (OrderAction::Cancel { reason }, S::PendingPayment | S::Paid | S::PartiallyFulfilled) => {
                next.status = S::Cancelled;
                next.cancel_reason = Some(reason.clone());
                events.push(EventKind::OrderCancelled { order_id: self.id, reason: reason.clone() });
            }
            (OrderAction::Refunded { total_refunded, total_captured }, s)
                if !matches!(s, S::PendingPayment) =>
            {
                if s != S::Cancelled {
                    next.status = if total_refunded.amount() >= total_captured.amount() {
                        S::Refunded
                    } else {
                        S::PartiallyRefunded
                    };
                }
            }
            _ => return Err(invalid()),
        }
        if next.status != self.status && !matches!(next.status, S::Paid | S::Cancelled) && events.is_empty() {
            events.push(EventKind::OrderStatusChanged {
                order_id: self.id,
                status: next.status.as_str().into(),
            });
        }
        next.updated_at = now;
        *self = next;
        Ok(events)
    }
}

#[cfg(test)]
mod tests;
