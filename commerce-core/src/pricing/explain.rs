//! The explanation: structured entries with a machine code and a human message.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

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
    pub message: ExplanationMessage,
}

impl ExplanationEntry {
    pub(crate) fn general(code: ExplanationCode, message: String) -> Self {
        ExplanationEntry { code, promotion: None, coupon: None, message: message.into() }
    }

    /// An entry about `promo`; the message starts with how the customer knows it.
    pub(crate) fn about(code: ExplanationCode, promo: &Promotion, rest: std::fmt::Arguments<'_>) -> Self {
        match rest.as_str() {
            Some(text) => Self::about_what(code, promo, What::Text(text)),
            None => {
                let mut message = String::with_capacity(96);
                // Writing to a String cannot fail.
                let _ = write!(message, "{}: {rest}", Subject::of(promo));
                Self::with_message(code, promo, message.into())
            }
        }
    }

    /// An entry about `promo` whose message is kept structured and rendered when it is read
    /// (the hot paths: nothing is formatted or allocated for it while pricing).
    #[inline]
    pub(crate) fn about_what(code: ExplanationCode, promo: &Promotion, what: What) -> Self {
        let message = ExplanationMessage::new(Repr::About { subject: Subject::of(promo), what });
        Self::with_message(code, promo, message)
    }

    #[inline]
    fn with_message(code: ExplanationCode, promo: &Promotion, message: ExplanationMessage) -> Self {
        ExplanationEntry {
            code,
            promotion: Some(promo.id.clone()),
            coupon: promo.coupon.as_ref().map(|c| c.code.clone()),
            message,
        }
    }
}

/// The human message of an [`ExplanationEntry`]: English text.
///
/// It reads like a `str` (it dereferences to one, and displays, compares and hashes as its
/// text) and it is serialized as a plain JSON string. Messages about promotions are kept
/// structured while pricing and rendered the first time they are read (then kept) or
/// serialized, so that pricing a cart formats no text nobody reads.
#[derive(Clone)]
pub struct ExplanationMessage {
    repr: Repr,
    /// The rendered text of a structured message, once read.
    text: OnceLock<Box<str>>,
}

impl ExplanationMessage {
    #[inline]
    fn new(repr: Repr) -> Self {
        ExplanationMessage { repr, text: OnceLock::new() }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Text(t) => t,
            Repr::About { .. } => self.text.get_or_init(|| self.repr.to_string().into_boxed_str()),
        }
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        match self.repr {
            Repr::Text(t) => t,
            Repr::About { .. } => self.as_str().to_owned(),
        }
    }
}

impl From<String> for ExplanationMessage {
    fn from(text: String) -> Self {
        ExplanationMessage::new(Repr::Text(text))
    }
}

impl From<&str> for ExplanationMessage {
    fn from(text: &str) -> Self {
        ExplanationMessage::new(Repr::Text(text.to_owned()))
    }
}

impl From<ExplanationMessage> for String {
    fn from(message: ExplanationMessage) -> Self {
        message.into_string()
    }
}

impl std::ops::Deref for ExplanationMessage {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ExplanationMessage {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for ExplanationMessage {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for ExplanationMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.repr, self.text.get()) {
            (Repr::Text(t), _) => f.write_str(t),
            (_, Some(t)) => f.write_str(t),
            (repr, None) => repr.fmt(f),
        }
    }
}

impl std::fmt::Debug for ExplanationMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for ExplanationMessage {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ExplanationMessage {}

impl PartialEq<str> for ExplanationMessage {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ExplanationMessage {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for ExplanationMessage {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for ExplanationMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (&self.repr, self.text.get()) {
            (Repr::Text(t), _) => serializer.serialize_str(t),
            (_, Some(t)) => serializer.serialize_str(t),
            // Rendered straight into the output, without an intermediate string.
            (repr, None) => serializer.collect_str(repr),
        }
    }
}

impl<'de> Deserialize<'de> for ExplanationMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ExplanationMessage::from)
    }
}

/// A message's content.
#[derive(Debug, Clone)]
enum Repr {
    Text(String),
    /// `"{subject}: {what}"`.
    About {
        subject: Subject,
        what: What,
    },
}

impl std::fmt::Display for Repr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repr::Text(t) => f.write_str(t),
            Repr::About { subject, what } => write!(f, "{subject}: {what}"),
        }
    }
}

/// How the customer knows a promotion: its coupon code, else its label.
#[derive(Debug, Clone)]
enum Subject {
    Coupon(CouponCode),
    Label(Arc<str>),
}

impl Subject {
    fn of(promo: &Promotion) -> Subject {
        match &promo.coupon {
            Some(c) => Subject::Coupon(c.code.clone()),
            None => Subject::Label(promo.label.clone()),
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Coupon(code) => write!(f, "coupon {}", code.as_str()),
            Subject::Label(label) => f.write_str(label),
        }
    }
}

/// What a message about a promotion says after its subject.
#[derive(Debug, Clone, Copy)]
pub(crate) enum What {
    Text(&'static str),
    /// `12.50 USD off`
    Applied(Shown),
    /// `discount of {asked} reduced so that no amount goes below zero`
    Clamped(Shown),
    /// `discount of {before} capped at the maximum of {cap}`
    Capped(Shown, Shown),
    /// `minimum subtotal {min} not met (subtotal {subtotal})`
    MinimumNotMet(Shown, Shown),
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Text(t) => f.write_str(t),
            What::Applied(total) => write!(f, "{total} off"),
            What::Clamped(asked) => {
                write!(f, "discount of {asked} reduced so that no amount goes below zero")
            }
            What::Capped(before, cap) => write!(f, "discount of {before} capped at the maximum of {cap}"),
            What::MinimumNotMet(min, subtotal) => {
                write!(f, "minimum subtotal {min} not met (subtotal {subtotal})")
            }
        }
    }
}

/// An amount in minor units shown like [`Money`](crate::Money): `12.50 USD`.
#[derive(Debug, Clone, Copy)]
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
