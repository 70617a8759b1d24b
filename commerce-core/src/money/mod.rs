//! Exact money: a [`Decimal`] amount with an ISO 4217 [`Currency`].
//!
//! Every operation that can fail (mixing currencies, overflow, an amount that does not fit the
//! currency's minor units) returns a [`MoneyError`]; none panics. Rounding happens only where a
//! caller asks for it, with a named [`Rounding`] strategy.

mod allocation;
mod amount;
mod currency;

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use allocation::allocate_minor;
pub use amount::{parse_amount, parse_amount_for};
pub use currency::Currency;

/// Errors of money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right} cannot be combined")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: Currency,
        /// The right operand's currency.
        right: Currency,
    },
    /// The result does not fit a 96-bit decimal.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// What was being computed.
        operation: &'static str,
    },
    /// The code is not an ISO 4217 currency usable for money.
    #[error("unknown currency {0:?} (expected an ISO 4217 code with minor units, such as \"USD\")")]
    UnknownCurrency(String),
    /// A text amount is malformed.
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The amount has more decimal places than the currency allows.
    #[error("amount {amount} has more than {minor_units} decimal places allowed for {currency}")]
    TooPrecise {
        /// The amount.
        amount: Decimal,
        /// The currency.
        currency: Currency,
        /// Its number of minor units.
        minor_units: u32,
    },
    /// An allocation was asked with no weights, a negative weight or weights summing to zero.
    #[error("invalid allocation weights: {0}")]
    InvalidWeights(&'static str),
    /// A cash-rounding increment is zero or negative.
    #[error("invalid rounding increment {0}")]
    InvalidIncrement(Decimal),
}

/// A `Result` whose error is [`MoneyError`].
pub type MoneyResult<T> = Result<T, MoneyError>;

/// How to round to a number of decimal places or to an increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Midpoints go to the even neighbour (banker's rounding): 0.125 -> 0.12, 0.135 -> 0.14.
    #[default]
    HalfEven,
    /// Midpoints go away from zero (commercial rounding): 0.125 -> 0.13, -0.125 -> -0.13.
    HalfUp,
    /// Truncate: 0.129 -> 0.12, -0.129 -> -0.12.
    TowardZero,
    /// Anything past the last digit rounds away from zero: 0.121 -> 0.13.
    AwayFromZero,
}

impl Rounding {
    fn strategy(self) -> rust_decimal::RoundingStrategy {
        use rust_decimal::RoundingStrategy as S;
        match self {
            Rounding::HalfEven => S::MidpointNearestEven,
            Rounding::HalfUp => S::MidpointAwayFromZero,
            Rounding::TowardZero => S::ToZero,
            Rounding::AwayFromZero => S::AwayFromZero,
        }
    }

    /// Rounds a bare decimal to `dp` places with this strategy.
    pub fn round(self, value: Decimal, dp: u32) -> Decimal {
        value.round_dp_with_strategy(dp, self.strategy())
    }
}

/// An exact amount of money in one currency.
///
/// Serialized as `{"amount": "59.90", "currency": "USD"}`; the amount is always a string.
/// On input a JSON number is refused, and so is any amount with more decimals than the currency
/// has minor units (see [`parse_amount_for`]).
///
/// ```
/// use commerce_core::money::{Currency, Money};
/// use rust_decimal_macros::dec;
/// let price = Money::new(dec!(19.99), Currency::USD);
/// let total = price.times(3)?.checked_add(Money::new(dec!(5), Currency::USD))?;
/// assert_eq!(total.to_string(), "64.97 USD");
/// # Ok::<(), commerce_core::money::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Wraps an amount as it is (no rounding).
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money { amount: Decimal::ZERO, currency }
    }

    /// Parses a text amount strictly for `currency` (see [`parse_amount_for`]).
    pub fn parse(amount: &str, currency: Currency) -> MoneyResult<Self> {
        Ok(Money { amount: parse_amount_for(amount, currency)?, currency })
    }

    /// The amount.
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> MoneyResult<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }

    /// `self + other`; errors on a currency mismatch or overflow. A sum that a 96-bit decimal
    /// could only hold by dropping decimal places is an overflow too: addition never rounds.
    pub fn checked_add(self, other: Money) -> MoneyResult<Money> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .filter(|r| exact(*r, self.amount, other.amount, self.amount == -other.amount))
            .ok_or(MoneyError::Overflow { operation: "add" })?;
        Ok(Money { amount, ..self })
    }

    /// `self - other`; errors on a currency mismatch or overflow.
    pub fn checked_sub(self, other: Money) -> MoneyResult<Money> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .filter(|r| exact(*r, self.amount, other.amount, self.amount == other.amount))
            .ok_or(MoneyError::Overflow { operation: "subtract" })?;
        Ok(Money { amount, ..self })
    }

    /// `-self`.
    pub fn negate(self) -> Money {
        Money { amount: -self.amount, ..self }
    }

    /// `self * quantity`; errors on overflow.
    pub fn times(self, quantity: u32) -> MoneyResult<Money> {
        let amount = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::Overflow { operation: "multiply by quantity" })?;
        Ok(Money { amount, ..self })
    }

    /// `self * rate` exactly (no rounding); errors on overflow.
    ///
    /// The result may have more decimals than the currency; round it with [`Money::round`].
    pub fn mul_rate(self, rate: Decimal) -> MoneyResult<Money> {
        let amount =
            self.amount.checked_mul(rate).ok_or(MoneyError::Overflow { operation: "multiply by rate" })?;
        Ok(Money { amount, ..self })
    }

    /// The smaller of two amounts in the same currency.
    pub fn min(self, other: Money) -> MoneyResult<Money> {
        self.same_currency(&other)?;
        Ok(if other.amount < self.amount { other } else { self })
    }

    /// The larger of two amounts in the same currency.
    pub fn max(self, other: Money) -> MoneyResult<Money> {
        self.same_currency(&other)?;
        Ok(if other.amount > self.amount { other } else { self })
    }

    /// Sums amounts that must all be in `currency`. An empty iterator gives zero.
    pub fn sum<I: IntoIterator<Item = Money>>(currency: Currency, items: I) -> MoneyResult<Money> {
        items.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Rounds to the currency's minor units with `rounding`.
    pub fn round(self, rounding: Rounding) -> Money {
        Money { amount: rounding.round(self.amount, self.currency.minor_units()), ..self }
    }

    /// Whether the amount has no more decimals than the currency's minor units.
    pub fn is_exact(&self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }

    /// Cash rounding to a multiple of `increment` (KHR to 100 riel, CHF to 0.05).
    pub fn round_to_increment(self, increment: Decimal, rounding: Rounding) -> MoneyResult<Money> {
        if increment <= Decimal::ZERO {
            return Err(MoneyError::InvalidIncrement(increment));
        }
        let steps =
            self.amount.checked_div(increment).ok_or(MoneyError::Overflow { operation: "cash rounding" })?;
        let amount = rounding
            .round(steps, 0)
            .checked_mul(increment)
            .ok_or(MoneyError::Overflow { operation: "cash rounding" })?;
        Ok(Money { amount, ..self })
    }

    /// The amount in integer minor units (cents for USD, yen for JPY, fils for KWD), exactly:
    /// an amount with finer precision than the currency is an error, not rounded.
    pub fn to_minor_units(&self) -> MoneyResult<i64> {
        // Usual case: stored at exactly the currency's scale, so the mantissa is the answer.
        if self.amount.scale() == self.currency.minor_units()
            && let Ok(units) = i64::try_from(self.amount.mantissa())
        {
            return Ok(units);
        }
        if !self.is_exact() {
            return Err(MoneyError::TooPrecise {
                amount: self.amount,
                currency: self.currency,
                minor_units: self.currency.minor_units(),
            });
        }
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10_i64.pow(self.currency.minor_units())))
            .ok_or(MoneyError::Overflow { operation: "to minor units" })?;
        i64::try_from(scaled.trunc()).map_err(|_| MoneyError::Overflow { operation: "to minor units" })
    }

    /// Builds an amount from integer minor units: `from_minor_units(5990, USD)` is 59.90 USD.
    pub fn from_minor_units(units: i64, currency: Currency) -> Money {
        Money { amount: Decimal::new(units, currency.minor_units()), currency }
    }

    /// Splits this amount over `weights` so the parts sum exactly to the whole in minor units.
    ///
    /// Each part is within one minor unit of its exact proportional share. The amount must be
    /// exact in minor units. Leftover units go to the parts with the largest remainders; ties go
    /// to the earlier part, so the result is deterministic. See [`allocate_minor`].
    pub fn allocate(&self, weights: &[Decimal]) -> MoneyResult<Vec<Money>> {
        let units = self.to_minor_units()?;
        let parts = allocate_minor(units, weights)?;
        Ok(parts.into_iter().map(|u| Money::from_minor_units(u, self.currency)).collect())
    }
}

/// Whether a sum or difference `r` of `a` and `b` kept every decimal place. `rust_decimal` rounds
/// when a result needs more than 28 digits; then its scale drops below the operands'. A zero
/// result may come back with scale 0, so it is exact only when the operands cancel (`cancel`).
fn exact(r: Decimal, a: Decimal, b: Decimal, cancel: bool) -> bool {
    if a.is_zero() || b.is_zero() {
        // x ± 0 is x (rust_decimal may keep x's scale rather than the zero's)
        true
    } else if r.is_zero() {
        cancel
    } else {
        r.scale() >= a.scale().max(b.scale())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minor = self.currency.minor_units();
        let shown = if self.amount.scale() < minor {
            let mut a = self.amount;
            a.rescale(minor);
            a
        } else {
            self.amount
        };
        write!(f, "{} {}", shown, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The JSON shape of [`Money`].
#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Written at the currency's precision: "59.90" for 59.9 USD, and "10.50" for 10.500 USD
        // (trailing zeros past the minor units are dropped, so whatever was computed exactly
        // reads back). A value that is genuinely finer than the currency is written as it is,
        // and refused on input by the strict parser.
        let minor = self.currency.minor_units();
        let mut amount = self.amount;
        if amount.scale() > minor {
            amount = amount.normalize();
        }
        if amount.scale() < minor {
            amount.rescale(minor);
        }
        MoneyRepr { amount: amount.to_string(), currency: self.currency }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = MoneyRepr::deserialize(deserializer)?;
        Money::parse(&repr.amount, repr.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
