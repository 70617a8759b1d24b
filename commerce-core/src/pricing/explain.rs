//! The explanation: structured entries with a machine code and a human message.

use std::fmt::Write as _;

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::promotion::Promotion;
use crate::ids::{CouponCode, PromotionId};

/// What an explanation entry says, for programs (the message is for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExplanationCode {
    /// The promotion gave a discount.
    PromotionApplied,
    /// The promotion's discount was limited by its maximum.
    DiscountCapped,
    /// The discount was reduced so that no line, order or shipping amount goes below zero.
    DiscountClamped,
    /// The coupon code entered matches no promotion.
    CouponUnknown,
    /// The promotion's validity window has not started.
    NotYetActive,
    /// The promotion's validity window has ended.
    Expired,
    /// The coupon was redeemed as often as allowed in total.
    UsageLimitReached,
    /// This customer redeemed the coupon as often as allowed.
    CustomerUsageLimitReached,
    /// The promotion targets other customer groups.
    CustomerGroupNotEligible,
    /// The cart subtotal is below the promotion's minimum.
    MinimumSubtotalNotMet,
    /// No item in the cart is targeted by the promotion.
    NoMatchingItems,
    /// Not enough targeted units for a buy-X-get-Y promotion.
    NotEnoughItems,
    /// The promotion's amounts are in another currency than the cart.
    CurrencyNotSupported,
    /// An exclusive promotion applied, so this one did not.
    NotCombinable,
    /// The promotion was eligible but had nothing left to discount.
    NoDiscount,
    /// Shipping is free because the method's threshold is met.
    FreeShippingThreshold,
    /// The chosen shipping method cannot ship this cart; no shipping is charged.
    ShippingUnavailable,
    /// No tax rule for an item's tax class in the region: it is not taxed.
    NoTaxRule,
    /// No region was given, so nothing is taxed.
    NoTaxRegion,
}

/// One entry of a priced cart's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplanationEntry {
    /// What happened, for programs.
    pub code: ExplanationCode,
    /// The promotion concerned, if any.
    pub promotion: Option<PromotionId>,
    /// The coupon concerned, if any.
    pub coupon: Option<CouponCode>,
    /// What happened, for people (English).
    pub message: String,
}

impl ExplanationEntry {
    pub(crate) fn general(code: ExplanationCode, message: String) -> Self {
        ExplanationEntry { code, promotion: None, coupon: None, message }
    }

    /// An entry about `promo`; the message starts with how the customer knows it.
    pub(crate) fn about(code: ExplanationCode, promo: &Promotion, rest: std::fmt::Arguments<'_>) -> Self {
        let mut message = String::with_capacity(64);
        // Writing to a String cannot fail.
        let _ = match &promo.coupon {
            Some(c) => write!(message, "coupon {}: {rest}", c.code),
            None => write!(message, "{}: {rest}", promo.label),
        };
        ExplanationEntry {
            code,
            promotion: Some(promo.id.clone()),
            coupon: promo.coupon.as_ref().map(|c| c.code.clone()),
            message,
        }
    }
}

/// `2026-01-31` at midnight, else `2026-01-31 18:30:00 UTC`.
pub(crate) struct When(pub DateTime<Utc>);

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.num_seconds_from_midnight() == 0 && self.0.nanosecond() == 0 {
            write!(f, "{}", self.0.format("%Y-%m-%d"))
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S UTC"))
        }
    }
}
