//! ISO 4217 currencies, backed by the `iso_currency` table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;

/// An ISO 4217 currency: alpha code, numeric code and number of minor units.
///
/// Only currencies that have a defined number of minor units can be used for money
/// (precious metals, funds without an exponent and `XXX` are refused).
///
/// ```
/// use commerce_core::money::Currency;
/// let khr: Currency = "KHR".parse().unwrap();
/// assert_eq!((khr.code(), khr.numeric(), khr.minor_units()), ("KHR", 116, 2));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    inner: iso_currency::Currency,
    minor_units: u8,
}

macro_rules! known {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("The ", stringify!($name), " currency.")]
            pub const $name: Currency = Currency::known(iso_currency::Currency::$name);
        )*
    };
}

impl Currency {
    const fn known(inner: iso_currency::Currency) -> Self {
        // `iso_currency::Currency::exponent` is not `const`, so the handful of named
        // constants carry their exponent here; a unit test checks them against the table.
        let minor_units = match inner {
            iso_currency::Currency::JPY
            | iso_currency::Currency::KRW
            | iso_currency::Currency::VND
            | iso_currency::Currency::CLP
            | iso_currency::Currency::ISK => 0,
            iso_currency::Currency::KWD
            | iso_currency::Currency::BHD
            | iso_currency::Currency::JOD
            | iso_currency::Currency::OMR
            | iso_currency::Currency::TND => 3,
            _ => 2,
        };
        Currency { inner, minor_units }
    }

    known!(
        USD, KHR, EUR, GBP, JPY, KRW, VND, KWD, BHD, THB, SGD, CNY, INR, CHF, AUD, CAD, HKD, JOD, OMR, TND,
        CLP, ISK, MYR, IDR, PHP, LAK,
    );

    fn from_iso(inner: iso_currency::Currency) -> Result<Self, MoneyError> {
        let exponent =
            inner.exponent().ok_or_else(|| MoneyError::UnknownCurrency(inner.code().to_owned()))?;
        let minor_units =
            u8::try_from(exponent).map_err(|_| MoneyError::UnknownCurrency(inner.code().into()))?;
        Ok(Currency { inner, minor_units })
    }

    /// Looks a currency up by its alpha code (`"USD"`); exact upper case.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let inner = iso_currency::Currency::from_code(code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))?;
        Self::from_iso(inner)
    }

    /// Looks a currency up by its ISO numeric code (`840`).
    pub fn from_numeric(numeric: u16) -> Result<Self, MoneyError> {
        let inner = iso_currency::Currency::from_numeric(numeric)
            .ok_or_else(|| MoneyError::UnknownCurrency(format!("{numeric:03}")))?;
        Self::from_iso(inner)
    }

    /// The three-letter alpha code, e.g. `"USD"`.
    pub fn code(self) -> &'static str {
        self.inner.code()
    }

    /// The ISO numeric code, e.g. `840` for USD, `116` for KHR.
    pub fn numeric(self) -> u16 {
        self.inner.numeric()
    }

    /// The number of digits after the decimal point of the currency's minor unit
    /// (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_units(self) -> u32 {
        u32::from(self.minor_units)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 4217 currency code such as \"USD\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Currency, E> {
                Currency::from_code(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (code, numeric, minor units) as published in ISO 4217.
    const STANDARD: &[(&str, u16, u32)] = &[
        ("USD", 840, 2),
        ("KHR", 116, 2),
        ("EUR", 978, 2),
        ("GBP", 826, 2),
        ("JPY", 392, 0),
        ("KRW", 410, 0),
        ("VND", 704, 0),
        ("KWD", 414, 3),
        ("BHD", 48, 3),
        ("THB", 764, 2),
        ("SGD", 702, 2),
        ("CNY", 156, 2),
        ("INR", 356, 2),
        ("CHF", 756, 2),
        ("JOD", 400, 3),
        ("CLP", 152, 0),
    ];

    #[test]
    fn table_matches_the_standard() {
        for &(code, numeric, minor) in STANDARD {
            let c = Currency::from_code(code).unwrap();
            assert_eq!((c.code(), c.numeric(), c.minor_units()), (code, numeric, minor), "{code}");
            assert_eq!(Currency::from_numeric(numeric).unwrap(), c, "{numeric}");
        }
    }

    #[test]
    fn constants_agree_with_the_table() {
        for c in [
            Currency::USD,
            Currency::KHR,
            Currency::EUR,
            Currency::GBP,
            Currency::JPY,
            Currency::KRW,
            Currency::VND,
            Currency::KWD,
            Currency::BHD,
            Currency::THB,
            Currency::SGD,
            Currency::CNY,
            Currency::INR,
            Currency::CHF,
            Currency::AUD,
            Currency::CAD,
            Currency::HKD,
            Currency::JOD,
            Currency::OMR,
            Currency::TND,
            Currency::CLP,
            Currency::ISK,
            Currency::MYR,
            Currency::IDR,
            Currency::PHP,
            Currency::LAK,
        ] {
            assert_eq!(Currency::from_code(c.code()).unwrap(), c, "{c}");
        }
    }

    #[test]
    fn unknown_and_unitless_codes_are_refused() {
        assert!(matches!(Currency::from_code("XYZ"), Err(MoneyError::UnknownCurrency(_))));
        assert!(matches!(Currency::from_code("usd"), Err(MoneyError::UnknownCurrency(_))));
        // Gold has no minor units in ISO 4217: not usable as money here.
        assert!(matches!(Currency::from_code("XAU"), Err(MoneyError::UnknownCurrency(_))));
        assert!(matches!(Currency::from_numeric(999), Err(MoneyError::UnknownCurrency(_))));
    }

    #[test]
    fn serde_is_the_alpha_code() {
        assert_eq!(serde_json::to_string(&Currency::KHR).unwrap(), "\"KHR\"");
        let c: Currency = serde_json::from_str("\"JPY\"").unwrap();
        assert_eq!(c, Currency::JPY);
        assert!(serde_json::from_str::<Currency>("840").is_err());
    }
}
