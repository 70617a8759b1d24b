//! How domain values are written to columns, and read back.
//!
//! - Timestamps: UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, always 30 characters, so text order
//!   is time order and nanoseconds round-trip. Years outside 0000..=9999 are refused.
//! - Money: the amount as exact decimal text (`rust_decimal`'s rendering, scale kept: `"10.50"`)
//!   plus the ISO 4217 code in its own column. Never a float.
//! - UUID ids: lowercase hyphenated text. Versions: `INTEGER` (`u64` <= `i64::MAX`).
//! - JSON: `serde_json` text for nested parts that are never queried.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use commerce_core::ids::InvalidId;
use commerce_core::money::{Currency, Money};
use commerce_core::ports::storage::{StoreError, StoreResult};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;

const TS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

fn data(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Data(format!("{what}: {detail}"))
}

/// A timestamp as sortable text.
pub(crate) fn ts(t: DateTime<Utc>) -> StoreResult<String> {
    if !(0..=9999).contains(&t.year()) {
        return Err(data("timestamp outside years 0000-9999", t));
    }
    Ok(t.format(TS_FORMAT).to_string())
}

/// An optional timestamp.
pub(crate) fn ts_opt(t: Option<DateTime<Utc>>) -> StoreResult<Option<String>> {
    t.map(ts).transpose()
}

/// Reads a timestamp column.
pub(crate) fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, TS_FORMAT)
        .map(|n| n.and_utc())
        .map_err(|e| data(&format!("bad timestamp {s:?}"), e))
}

/// Reads an optional timestamp column.
pub(crate) fn parse_ts_opt(s: Option<&str>) -> StoreResult<Option<DateTime<Utc>>> {
    s.map(parse_ts).transpose()
}

/// Reads an id or code column through the type's parser.
pub(crate) fn parse_id<T: FromStr<Err = InvalidId>>(s: &str) -> StoreResult<T> {
    s.parse().map_err(|e: InvalidId| data("bad id", e))
}

/// Reads an optional id column.
pub(crate) fn parse_id_opt<T: FromStr<Err = InvalidId>>(s: Option<&str>) -> StoreResult<Option<T>> {
    s.map(parse_id).transpose()
}

/// A decimal as exact text.
pub(crate) fn dec(d: Decimal) -> String {
    d.to_string()
}

/// Reads a currency column.
pub(crate) fn parse_currency(code: &str) -> StoreResult<Currency> {
    Currency::from_code(code).map_err(|e| data("bad currency", e))
}

/// Reads an amount column in `currency`, exactly (scale kept). Only plain decimal text is
/// accepted (no exponent, no whitespace), as written by [`dec`].
pub(crate) fn parse_money(amount: &str, currency: Currency) -> StoreResult<Money> {
    let d = commerce_core::money::parse_amount(amount).map_err(|e| data("bad amount", e))?;
    Ok(Money::new(d, currency))
}

/// The amount of `m` as text, checking it is in `currency` (a row has one currency column).
pub(crate) fn amount_in(m: Money, currency: Currency, what: &str) -> StoreResult<String> {
    if m.currency() != currency {
        return Err(data(what, format!("{m} is not in {currency}")));
    }
    Ok(dec(m.amount()))
}

/// A version as an `INTEGER`.
pub(crate) fn version(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| data("version too large", v))
}

/// Reads a version column.
pub(crate) fn parse_version(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| data("negative version", v))
}

/// A count or page bound as an `INTEGER` (clamped).
pub(crate) fn bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads a non-negative `INTEGER` as `u32`.
pub(crate) fn parse_u32(n: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(n).map_err(|_| data(what, n))
}

/// A value as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| data("cannot encode JSON", e))
}

/// Reads a JSON column.
pub(crate) fn from_json<T: DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| data(&format!("bad JSON in {what}"), e))
}

/// Reads a snake_case enum column.
pub(crate) fn parse_enum<T: DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| data(&format!("bad {what} {s:?}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_sort_as_text() {
        let cases = [
            "0000-01-01T00:00:00.000000000Z",
            "1969-12-31T23:59:59.999999999Z",
            "2026-01-01T00:00:00.000000000Z",
            "2026-01-01T00:00:00.000000001Z",
            "2026-01-01T00:00:00.100000000Z",
            "9999-12-31T23:59:59.999999999Z",
        ];
        let mut previous = None;
        for text in cases {
            let t = parse_ts(text).unwrap();
            assert_eq!(ts(t).unwrap(), text, "round trip");
            if let Some((pt, ptext)) = previous {
                assert!(pt < t && ptext < text, "{ptext} < {text}");
            }
            previous = Some((t, text));
        }
        let too_late = DateTime::from_timestamp(253_402_300_800, 0).unwrap(); // year 10000
        assert!(matches!(ts(too_late), Err(StoreError::Data(_))));
        assert!(matches!(parse_ts("2026-01-01 00:00:00"), Err(StoreError::Data(_))));
    }

    #[test]
    fn amounts_keep_their_exact_text() {
        for (text, currency) in [("10.50", Currency::USD), ("0.00", Currency::USD), ("50000", Currency::KHR)]
        {
            let m = parse_money(text, currency).unwrap();
            assert_eq!(dec(m.amount()), text);
            assert_eq!(amount_in(m, currency, "x").unwrap(), text);
        }
        assert!(amount_in(Money::zero(Currency::USD), Currency::KHR, "x").is_err());
        assert!(parse_money("1e3", Currency::USD).is_err());
    }
}
