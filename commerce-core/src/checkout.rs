//! The checkout state machine: one enum, one transition function.
//!
//! ```text
//! open -> addressed -> shipping_selected -> payment_pending -> completed
//!   \________\______________\___________________\__-> cancelled | expired
//! ```
//! - `payment_pending` holds a [`Quote`]: the priced cart locked until an expiry, and the id of
//!   the stock reservation made for it.
//! - Editing an earlier step moves back: a new address clears the shipping method and the quote;
//!   a new shipping method clears the quote. A cleared quote's reservation must be released; the
//!   transition says so in [`CheckoutEffects`].
//! - `completed`, `cancelled` and `expired` are final. Any other move is an
//!   [`CheckoutError::InvalidTransition`] naming the state and the action; nothing panics.
//!
//! Design note: a typestate (`Checkout<Addressed>`) would make illegal moves compile errors, but
//! checkouts are loaded from storage in any state and driven by HTTP requests, so the state is
//! data anyway; one enum with one transition function keeps the rules in one `match`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{Address, Email};
use crate::ids::{CartId, CheckoutId, CustomerId, OrderId, ReservationId, ShippingMethodId};
use crate::money::Currency;
use crate::pricing::PricedCart;

/// Where a checkout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutState {
    /// Started from a cart.
    Open,
    /// Email and addresses given.
    Addressed,
    /// Shipping method chosen.
    ShippingSelected,
    /// Prices locked, stock reserved, waiting for the order to be placed.
    PaymentPending,
    /// The order was placed.
    Completed,
    /// Abandoned by the buyer or the host.
    Cancelled,
    /// The quote lapsed.
    Expired,
}

impl CheckoutState {
    /// The snake_case word.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutState::Open => "open",
            CheckoutState::Addressed => "addressed",
            CheckoutState::ShippingSelected => "shipping_selected",
            CheckoutState::PaymentPending => "payment_pending",
            CheckoutState::Completed => "completed",
            CheckoutState::Cancelled => "cancelled",
            CheckoutState::Expired => "expired",
        }
    }

    /// Whether no further move is possible.
    pub fn is_final(self) -> bool {
        matches!(self, CheckoutState::Completed | CheckoutState::Cancelled | CheckoutState::Expired)
    }
}

/// Prices locked for payment, with the stock reservation made for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The priced cart.
    pub priced: PricedCart,
    /// Until when these prices hold and the stock is reserved.
    pub expires_at: DateTime<Utc>,
    /// The reservation.
    pub reservation_id: ReservationId,
}

/// A checkout step.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CheckoutAction {
    /// Give contact email and addresses (billing defaults to shipping).
    SetAddresses {
        /// Contact email.
        email: Email,
        /// Ship to.
        shipping: Address,
        /// Bill to; `None` = same as shipping.
        billing: Option<Address>,
    },
    /// Choose a shipping method.
    SelectShipping(ShippingMethodId),
    /// Lock the quote (prices and reserved stock).
    LockQuote(Quote),
    /// The order was placed.
    Complete(OrderId),
    /// Abandon.
    Cancel,
    /// The quote lapsed.
    Expire,
}

impl CheckoutAction {
    fn name(&self) -> &'static str {
        match self {
            CheckoutAction::SetAddresses { .. } => "set addresses",
            CheckoutAction::SelectShipping(_) => "select shipping",
            CheckoutAction::LockQuote(_) => "lock the quote",
            CheckoutAction::Complete(_) => "complete",
            CheckoutAction::Cancel => "cancel",
            CheckoutAction::Expire => "expire",
        }
    }
}

/// Checkout errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// The action is not allowed in this state.
    #[error("cannot {action} a checkout that is {state}")]
    InvalidTransition {
        /// The state.
        state: &'static str,
        /// The action.
        action: &'static str,
    },
    /// Completing with a quote that has lapsed.
    #[error("the quote expired at {0}")]
    QuoteExpired(DateTime<Utc>),
}

/// What the caller must do after a transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutEffects {
    /// A reservation that the transition dropped and that must be released.
    pub release_reservation: Option<ReservationId>,
}

/// A checkout session for one cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// Id.
    pub id: CheckoutId,
    /// The cart being bought.
    pub cart_id: CartId,
    /// The customer, if signed in.
    pub customer_id: Option<CustomerId>,
    /// Currency (the cart's).
    pub currency: Currency,
    /// State.
    pub state: CheckoutState,
    /// Contact email.
    pub email: Option<Email>,
    /// Ship to.
    pub shipping_address: Option<Address>,
    /// Bill to.
    pub billing_address: Option<Address>,
    /// Chosen shipping method.
    pub shipping_method: Option<ShippingMethodId>,
    /// Locked prices and reservation, in `payment_pending`.
    pub quote: Option<Quote>,
    /// The order, once completed.
    pub order_id: Option<OrderId>,
    /// Optimistic-concurrency version, maintained by storage.
    pub version: u64,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Checkout {
    /// A new open checkout.
    pub fn new(
        id: CheckoutId,
        cart_id: CartId,
        customer_id: Option<CustomerId>,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Self {
        Checkout {
            id,
            cart_id,
            customer_id,
            currency,
            state: CheckoutState::Open,
            email: None,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            quote: None,
            order_id: None,
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// The transition function. On error the checkout is unchanged.
    pub fn apply(
        &mut self,
        action: CheckoutAction,
        now: DateTime<Utc>,
    ) -> Result<CheckoutEffects, CheckoutError> {
        use CheckoutState as S;
        let state = self.state;
        let invalid = CheckoutError::InvalidTransition { state: state.as_str(), action: action.name() };
        let mut effects = CheckoutEffects::default();
        let mut drop_quote = |c: &mut Checkout| {
            if let Some(q) = c.quote.take() {
                effects.release_reservation = Some(q.reservation_id);
            }
        };
        match action {
            CheckoutAction::SetAddresses { email, shipping, billing }
                if matches!(state, S::Open | S::Addressed | S::ShippingSelected | S::PaymentPending) =>
            {
                drop_quote(self);
                self.email = Some(email);
                self.billing_address = Some(billing.unwrap_or_else(|| shipping.clone()));
                self.shipping_address = Some(shipping);
                self.shipping_method = None;
                self.state = S::Addressed;
            }
            CheckoutAction::SelectShipping(method)
                if matches!(state, S::Addressed | S::ShippingSelected | S::PaymentPending) =>
            {
                drop_quote(self);
                self.shipping_method = Some(method);
                self.state = S::ShippingSelected;
            }
            CheckoutAction::LockQuote(quote) if matches!(state, S::ShippingSelected | S::PaymentPending) => {
                drop_quote(self);
                if effects.release_reservation == Some(quote.reservation_id) {
                    // Re-locking with the same reservation keeps it.
                    effects.release_reservation = None;
                }
                self.quote = Some(quote);
                self.state = S::PaymentPending;
            }
            CheckoutAction::Complete(order_id) if state == S::PaymentPending => {
                if let Some(q) = &self.quote
                    && now >= q.expires_at
                {
                    return Err(CheckoutError::QuoteExpired(q.expires_at));
                }
                self.order_id = Some(order_id);
                self.state = S::Completed;
            }
            CheckoutAction::Cancel if !state.is_final() => {
                drop_quote(self);
                self.state = S::Cancelled;
            }
            CheckoutAction::Expire if !state.is_final() => {
                drop_quote(self);
                self.state = S::Expired;
            }
            _ => return Err(invalid),
        }
        self.updated_at = now;
        Ok(effects)
    }
}

#[cfg(test)]
mod tests;
