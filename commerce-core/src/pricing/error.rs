//! Errors of the pricing engine: only for input that is genuinely invalid.

use crate::ids::{ShippingMethodId, Sku};
use crate::money::{Currency, MoneyError};

/// Why a cart could not be priced, or why pricing rules were refused.
///
/// Customer-caused situations (a bad coupon, a limit reached, a minimum not met) are never
/// errors: they are explanation entries of the [`PricedCart`](super::PricedCart).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PricingError {
    /// The SKU has no entry in the [`PricingCatalog`](super::PricingCatalog).
    #[error("unknown SKU {sku}: it has no entry in the pricing catalog")]
    UnknownSku {
        /// The SKU.
        sku: Sku,
    },
    /// Neither the price book nor any applicable price list prices the SKU in this currency.
    #[error("no price for {sku} in {currency}")]
    NoPrice {
        /// The SKU.
        sku: Sku,
        /// The cart's currency.
        currency: Currency,
    },
    /// An amount the engine must combine with the cart is in another currency.
    #[error("currency mismatch in {what}: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// What carried the amount (e.g. `shipping method express`).
        what: String,
        /// The currency required.
        expected: Currency,
        /// The currency found.
        found: Currency,
    },
    /// The context names a shipping method that the input does not have.
    #[error("unknown shipping method {0}")]
    UnknownShippingMethod(ShippingMethodId),
    /// A price list, promotion, tax rule or shipping method is invalid; detected when the
    /// [`PricingInput`](super::PricingInput) is built.
    #[error("invalid {what}: {reason}")]
    InvalidRule {
        /// Which rule (e.g. `promotion summer-sale`).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Arithmetic overflow or another money error.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl PricingError {
    pub(crate) fn invalid(what: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        PricingError::InvalidRule { what: what.to_string(), reason: reason.into() }
    }
}
