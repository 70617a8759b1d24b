//! The engine's error: every variant is something a caller can act on.

use crate::cart::CartError;
use crate::checkout::CheckoutError;
use crate::ids::{CouponCode, Sku};
use crate::money::{Money, MoneyError};
use crate::order::OrderError;
use crate::payment::PaymentError;
use crate::ports::GatewayError;
use crate::ports::storage::StoreError;
use crate::pricing::PricingError;

/// Errors of engine operations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record does not exist (or is not visible to the caller).
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A cart rule was broken (quantity bounds, currency).
    #[error(transparent)]
    Cart(#[from] CartError),
    /// A checkout move is not allowed now.
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    /// An order move is not allowed now.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A payment rule was broken (amounts, refund bounds, a mismatch reported by the gateway).
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// Pricing failed (no price, unknown SKU).
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// Money arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A product cannot be bought: unknown, inactive, or without a price in the cart's currency.
    #[error("{sku} cannot be bought: {reason}")]
    Unavailable {
        /// The SKU.
        sku: Sku,
        /// Why.
        reason: &'static str,
    },
    /// The shipping method does not serve the address (or the cart is too heavy for it).
    #[error("shipping method {0} is not available for this address or cart")]
    ShippingUnavailable(crate::ids::ShippingMethodId),
    /// Not enough stock.
    #[error("out of stock: {sku} requested {requested}, available {available}")]
    OutOfStock {
        /// The SKU.
        sku: Sku,
        /// Units asked.
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// The cart is empty.
    #[error("the cart is empty")]
    EmptyCart,
    /// Information a step needs is missing (an address before shipping).
    #[error("missing {0}")]
    Missing(&'static str),
    /// The quote expired and re-pricing changed the total; the checkout now holds the new quote.
    /// Show the buyer the new total and place the order again.
    #[error("the price changed from {old} to {new}")]
    QuoteChanged {
        /// The old grand total.
        old: Money,
        /// The new grand total.
        new: Money,
    },
    /// A coupon ran out while placing the order; the checkout was re-quoted without it.
    #[error("coupon {0} is no longer available; the checkout was re-priced without it")]
    CouponUnavailable(CouponCode),
    /// The idempotency key was used for a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// No gateway with this name is registered.
    #[error("no payment provider named {0:?} is configured")]
    UnknownProvider(String),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// A concurrent change kept winning; give up after the configured retries.
    #[error("too much contention on {entity} {id}; try again")]
    Contention {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A record with this unique value already exists (a username or email taken).
    #[error("{entity} with this {field} already exists")]
    AlreadyExists {
        /// What kind of record.
        entity: &'static str,
        /// The field that must be unique.
        field: &'static str,
    },
    /// Invalid input.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The storage backend failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => Error::NotFound { entity, id },
            StoreError::OutOfStock { sku, requested, available } => {
                Error::OutOfStock { sku, requested, available }
            }
            StoreError::UnknownSku(sku) => Error::Unavailable { sku, reason: "no stock record" },
            StoreError::IdempotencyConflict { key } => Error::IdempotencyConflict { key },
            StoreError::Duplicate { entity, field } => Error::AlreadyExists { entity, field },
            other => Error::Store(other),
        }
    }
}

impl Error {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound { entity, id: id.to_string() }
    }

    /// A short stable code for APIs (`"out_of_stock"`, `"not_found"`...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Cart(_) => "invalid_cart",
            Error::Checkout(_) => "invalid_checkout_step",
            Error::Order(_) => "invalid_order_transition",
            Error::Payment(PaymentError::AmountMismatch { .. }) => "payment_amount_mismatch",
            Error::Payment(PaymentError::RefundExceedsCaptured { .. }) => "refund_exceeds_captured",
            Error::Payment(_) => "invalid_payment_transition",
            Error::Pricing(_) => "pricing_error",
            Error::Money(_) => "invalid_amount",
            Error::Unavailable { .. } => "unavailable",
            Error::OutOfStock { .. } => "out_of_stock",
            Error::ShippingUnavailable(_) => "shipping_unavailable",
            Error::EmptyCart => "empty_cart",
            Error::Missing(_) => "missing_information",
            Error::QuoteChanged { .. } => "price_changed",
            Error::CouponUnavailable(_) => "coupon_unavailable",
            Error::IdempotencyConflict { .. } => "idempotency_conflict",
            Error::UnknownProvider(_) => "unknown_provider",
            Error::Gateway(GatewayError::Declined { .. }) => "payment_declined",
            Error::Gateway(GatewayError::Unsupported { .. }) => "unsupported",
            Error::Gateway(GatewayError::InvalidNotification(_)) => "invalid_notification",
            Error::Gateway(_) => "payment_provider_error",
            Error::Contention { .. } => "contention",
            Error::AlreadyExists { .. } => "already_exists",
            Error::Invalid(_) => "invalid_input",
            Error::Store(StoreError::Conflict { .. }) => "conflict",
            Error::Store(_) => "storage_error",
        }
    }
}

/// A `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
