//! Money at the edge: [`Money`] to and from Stripe's integer amounts in the smallest currency unit.
//!
//! Stripe's rules (its "zero-decimal" page), which differ from ISO 4217 in places:
//! - zero-decimal currencies (`JPY`, `KRW`, `VND`, ...) are sent as whole units: 500 JPY is `500`;
//! - three-decimal currencies (`BHD`, `JOD`, `KWD`, `OMR`, `TND`) are sent in thousandths, and
//!   the last digit must be `0`: 1.230 KWD is `1230`, 1.235 KWD cannot be charged;
//! - `ISK` is zero-decimal in ISO 4217 but two-decimal in Stripe's API, and the amount must be
//!   divisible by 100: 500 ISK is `50000`;
//! - everything else has two decimals: 10.50 USD is `1050`.
//!
//! Nothing is ever rounded: an amount that cannot be represented exactly is an
//! [`Error::InvalidAmount`] (going out) or an [`Error::UnrepresentableAmount`] (coming back).

use commerce_core::{Currency, Money};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// Stripe's zero-decimal currencies.
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
    "XPF",
];

/// Stripe's three-decimal currencies (the last digit must be zero).
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// How Stripe writes amounts of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeUnit {
    /// Whole units (`JPY`).
    ZeroDecimal,
    /// Hundredths (`USD`).
    TwoDecimal,
    /// Thousandths whose last digit must be zero (`KWD`).
    ThreeDecimal,
    /// Hundredths that must be a multiple of 100, i.e. whole units (`ISK`).
    TwoDecimalWholeUnits,
}

impl StripeUnit {
    /// The unit Stripe uses for `currency`.
    pub fn of(currency: Currency) -> StripeUnit {
        let code = currency.code();
        if ZERO_DECIMAL.contains(&code) {
            StripeUnit::ZeroDecimal
        } else if THREE_DECIMAL.contains(&code) {
            StripeUnit::ThreeDecimal
        } else if code == "ISK" {
            StripeUnit::TwoDecimalWholeUnits
        } else {
            StripeUnit::TwoDecimal
        }
    }

    /// Decimal places of Stripe's integer.
    pub fn exponent(self) -> u32 {
        match self {
            StripeUnit::ZeroDecimal => 0,
            StripeUnit::TwoDecimal | StripeUnit::TwoDecimalWholeUnits => 2,
            StripeUnit::ThreeDecimal => 3,
        }
    }

    /// Decimal places our amount may have (three-decimal currencies: the third must be 0).
    fn max_decimals(self) -> u32 {
        match self {
            StripeUnit::ZeroDecimal | StripeUnit::TwoDecimalWholeUnits => 0,
            StripeUnit::TwoDecimal => 2,
            StripeUnit::ThreeDecimal => 3,
        }
    }

    /// Stripe's integer is always a multiple of this.
    #[cfg(test)]
    fn step(self) -> i64 {
        match self {
            StripeUnit::ZeroDecimal | StripeUnit::TwoDecimal => 1,
            StripeUnit::ThreeDecimal => 10,
            StripeUnit::TwoDecimalWholeUnits => 100,
        }
    }
}

/// The currency as Stripe writes it: lower-case ISO code (`"usd"`).
pub fn stripe_currency(currency: Currency) -> String {
    currency.code().to_ascii_lowercase()
}

/// Reads a Stripe currency code (`"usd"`, case-insensitive).
pub fn parse_stripe_currency(code: &str) -> Result<Currency> {
    Currency::from_code(&code.to_ascii_uppercase()).map_err(|e| Error::UnrepresentableAmount {
        minor_units: 0,
        currency: code.to_owned(),
        reason: e.to_string(),
    })
}

/// Converts a positive amount to Stripe's integer, exactly.
///
/// ```
/// use commerce_core::{Currency, Money};
/// use commerce_stripe::transformers::to_stripe_amount;
/// use rust_decimal_macros::dec;
/// assert_eq!(to_stripe_amount(Money::new(dec!(10.50), Currency::USD))?, 1050);
/// assert_eq!(to_stripe_amount(Money::new(dec!(500), Currency::JPY))?, 500);
/// assert_eq!(to_stripe_amount(Money::new(dec!(500), Currency::ISK))?, 50000);
/// assert!(to_stripe_amount(Money::new(dec!(1.235), Currency::KWD)).is_err());
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
pub fn to_stripe_amount(amount: Money) -> Result<i64> {
    let fail = |reason: String| Error::InvalidAmount { amount, reason };
    let value = amount.amount();
    if value <= Decimal::ZERO {
        return Err(fail("Stripe amounts must be positive".into()));
    }
    let unit = StripeUnit::of(amount.currency());
    let code = amount.currency().code();
    let scale = value.normalize().scale();
    if unit == StripeUnit::ThreeDecimal && scale == 3 {
        return Err(fail(format!("Stripe requires the last of the three decimals of {code} to be 0")));
    }
    if scale > unit.max_decimals() {
        return Err(fail(format!("Stripe takes {code} with at most {} decimal places", unit.max_decimals())));
    }
    let scaled = value
        .checked_mul(Decimal::from(10_i64.pow(unit.exponent())))
        .ok_or_else(|| fail("too large for Stripe".into()))?;
    let units = i64::try_from(scaled.trunc()).map_err(|_| fail("too large for Stripe".into()))?;
    Ok(units)
}

/// Converts Stripe's integer amount in `currency` (as Stripe writes it, `"usd"`) to [`Money`],
/// exactly: the result has the currency's ISO 4217 number of decimals (fewer for whole values).
///
/// ```
/// use commerce_stripe::transformers::from_stripe_amount;
/// assert_eq!(from_stripe_amount(1050, "usd")?.to_string(), "10.50 USD");
/// assert_eq!(from_stripe_amount(50000, "isk")?.to_string(), "500 ISK");
/// assert_eq!(from_stripe_amount(1230, "kwd")?.to_string(), "1.230 KWD");
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
pub fn from_stripe_amount(minor_units: i64, currency: &str) -> Result<Money> {
    let fail =
        |reason: String| Error::UnrepresentableAmount { minor_units, currency: currency.to_owned(), reason };
    let parsed = parse_stripe_currency(currency).map_err(|e| match e {
        Error::UnrepresentableAmount { reason, .. } => fail(reason),
        other => other,
    })?;
    let unit = StripeUnit::of(parsed);
    let mut value = Decimal::new(minor_units, unit.exponent());
    let iso = parsed.minor_units();
    if value.normalize().scale() > iso {
        return Err(fail(format!("{} allows {iso} decimal places", parsed.code())));
    }
    if value.scale() > iso {
        value.rescale(iso);
    }
    Ok(Money::new(value, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn money(amount: Decimal, code: &str) -> Money {
        Money::new(amount, Currency::from_code(code).unwrap())
    }

    /// Our amount -> Stripe's integer, or the start of the refusal's reason.
    fn check_out(amount: Decimal, code: &str, expected: Result<i64, &str>) {
        let got = to_stripe_amount(money(amount, code));
        match (got, expected) {
            (Ok(units), Ok(want)) => assert_eq!(units, want, "{amount} {code}"),
            (Err(Error::InvalidAmount { reason, .. }), Err(want)) => {
                assert!(reason.starts_with(want), "{amount} {code}: {reason:?} should start with {want:?}")
            }
            (got, want) => panic!("{amount} {code}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn amounts_going_to_stripe() {
        let table: &[(Decimal, &str, Result<i64, &str>)] = &[
            (dec!(10.50), "USD", Ok(1050)),
            (dec!(10.5), "USD", Ok(1050)),
            (dec!(0.01), "USD", Ok(1)),
            (dec!(19.990), "USD", Ok(1999)),
            (dec!(999999.99), "USD", Ok(99999999)),
            (dec!(19.999), "USD", Err("Stripe takes USD with at most 2 decimal places")),
            (dec!(0), "USD", Err("Stripe amounts must be positive")),
            (dec!(-5), "USD", Err("Stripe amounts must be positive")),
            (dec!(1.10), "EUR", Ok(110)),
            (dec!(1000), "KHR", Ok(100000)),
            (dec!(500), "JPY", Ok(500)),
            (dec!(500.0), "JPY", Ok(500)),
            (dec!(500.5), "JPY", Err("Stripe takes JPY with at most 0 decimal places")),
            (dec!(1000), "KRW", Ok(1000)),
            (dec!(25000), "VND", Ok(25000)),
            (dec!(150), "CLP", Ok(150)),
            (dec!(100), "MGA", Ok(100)),
            (dec!(100.50), "MGA", Err("Stripe takes MGA with at most 0 decimal places")),
            (dec!(3000), "UGX", Ok(3000)),
            (dec!(1.230), "KWD", Ok(1230)),
            (dec!(1.23), "KWD", Ok(1230)),
            (dec!(1.235), "KWD", Err("Stripe requires the last of the three decimals of KWD to be 0")),
            (dec!(0.010), "BHD", Ok(10)),
            (dec!(0.001), "BHD", Err("Stripe requires the last of the three decimals")),
            (dec!(2.5), "JOD", Ok(2500)),
            (dec!(7), "OMR", Ok(7000)),
            (dec!(1.2345), "TND", Err("Stripe takes TND with at most 3 decimal places")),
            (dec!(500), "ISK", Ok(50000)),
            (dec!(500.5), "ISK", Err("Stripe takes ISK with at most 0 decimal places")),
            (dec!(7922816514.3337593543950335), "USD", Err("Stripe takes USD with at most 2")),
            (dec!(79228162514264337593543950), "USD", Err("too large for Stripe")),
            (dec!(792281625142643375935439503), "USD", Err("too large for Stripe")),
        ];
        for &(amount, code, expected) in table {
            check_out(amount, code, expected);
        }
    }

    /// Stripe's integer and currency -> our amount as text, or `None` when refused.
    fn check_in(units: i64, code: &str, expected: Option<&str>) {
        let got = from_stripe_amount(units, code).ok().map(|m| m.to_string());
        assert_eq!(got.as_deref(), expected, "{units} {code}");
    }

    #[test]
    fn amounts_coming_from_stripe() {
        let table: &[(i64, &str, Option<&str>)] = &[
            (1050, "usd", Some("10.50 USD")),
            (1, "usd", Some("0.01 USD")),
            (0, "usd", Some("0.00 USD")),
            (1050, "USD", Some("10.50 USD")),
            (500, "jpy", Some("500 JPY")),
            (1230, "kwd", Some("1.230 KWD")),
            (1235, "kwd", Some("1.235 KWD")),
            (50000, "isk", Some("500 ISK")),
            (50050, "isk", None),
            (100, "mga", Some("100.00 MGA")),
            (100000, "khr", Some("1000.00 KHR")),
            (1, "xyz", None),
            (1, "", None),
        ];
        for &(units, code, expected) in table {
            check_in(units, code, expected);
        }
    }

    #[test]
    fn round_trips_are_exact() {
        for code in ["USD", "JPY", "KWD", "ISK", "EUR", "KRW", "BHD", "KHR"] {
            let c = Currency::from_code(code).unwrap();
            let step = StripeUnit::of(c).step();
            for units in [step, 7 * step, 123_450, 99_999_990] {
                let units = units - units % step;
                let m = from_stripe_amount(units, &stripe_currency(c)).unwrap();
                assert_eq!(to_stripe_amount(m).unwrap(), units, "{code} {units}");
            }
        }
    }
}
