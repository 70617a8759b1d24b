//! The explanation: structured entries with a machine code and a human message.

use std::fmt::Write as _;

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::promotion::Promotion;
use super::units::Units;
use crate::ids::{CouponCode, PromotionId};
use crate::money::Currency;

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
        let mut message = Self::subject(promo);
        match rest.as_str() {
            Some(s) => message.push_str(s),
            // Writing to a String cannot fail.
            None => {
                let _ = message.write_fmt(rest);
            }
        }
        Self::with_message(code, promo, message)
    }

    /// An entry about `promo` whose message is built from `parts` by pushing strings (the hot
    /// paths: no formatting machinery).
    pub(crate) fn about_parts(code: ExplanationCode, promo: &Promotion, parts: &[Part<'_>]) -> Self {
        let mut message = Self::subject(promo);
        for part in parts {
            match part {
                Part::Text(t) => message.push_str(t),
                Part::Amount(a) => a.push_to(&mut message),
            }
        }
        Self::with_message(code, promo, message)
    }

    fn subject(promo: &Promotion) -> String {
        let mut message = String::with_capacity(96);
        match &promo.coupon {
            Some(c) => {
                message.push_str("coupon ");
                message.push_str(c.code.as_str());
            }
            None => message.push_str(&promo.label),
        }
        message.push_str(": ");
        message
    }

    fn with_message(code: ExplanationCode, promo: &Promotion, message: String) -> Self {
        ExplanationEntry {
            code,
            promotion: Some(promo.id.clone()),
            coupon: promo.coupon.as_ref().map(|c| c.code.clone()),
            message,
        }
    }
}

/// A piece of a message.
pub(crate) enum Part<'a> {
    Text(&'a str),
    Amount(Shown),
}

/// An amount in minor units shown like [`Money`](crate::Money): `12.50 USD`.
#[derive(Clone, Copy)]
pub(crate) struct Shown(pub Units, pub Currency);

impl Shown {
    /// Writes the signed amount with its decimal point into the end of `buf`; returns it.
    fn digits<'b>(&self, buf: &'b mut [u8; 48]) -> &'b str {
        let Shown(units, currency) = *self;
        let digits = currency.minor_units() as usize;
        let mut abs = units.unsigned_abs();
        // At most 20 digits, a point, a sign, and zeros up to the minor digits (at most 4).
        let mut at = buf.len();
        let mut written = 0;
        while (abs > 0 || written <= digits) && at > 2 {
            if written == digits && digits > 0 {
                at -= 1;
                buf[at] = b'.';
            }
            at -= 1;
            buf[at] = b'0' + (abs % 10) as u8;
            abs /= 10;
            written += 1;
        }
        if units < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        std::str::from_utf8(&buf[at..]).unwrap_or("?")
    }

    /// Appends the amount without going through the formatting machinery (hot path).
    pub(crate) fn push_to(&self, out: &mut String) {
        out.push_str(self.digits(&mut [0; 48]));
        out.push(' ');
        out.push_str(self.1.code());
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.digits(&mut [0; 48]))?;
        f.write_str(" ")?;
        f.write_str(self.1.code())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_like_money() {
        let cases = [
            (1234, Currency::USD, "12.34 USD"),
            (5, Currency::USD, "0.05 USD"),
            (0, Currency::USD, "0.00 USD"),
            (-150, Currency::USD, "-1.50 USD"),
            (1000, Currency::JPY, "1000 JPY"),
            (0, Currency::JPY, "0 JPY"),
            (1234, Currency::KWD, "1.234 KWD"),
            (i64::MIN, Currency::USD, "-92233720368547758.08 USD"),
        ];
        for (units, currency, want) in cases {
            assert_eq!(Shown(units, currency).to_string(), want);
            assert_eq!(crate::Money::from_minor_units(units, currency).to_string(), want);
        }
    }
}
