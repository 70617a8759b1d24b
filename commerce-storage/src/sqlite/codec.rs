//! How domain values are written to columns, and read back.
//!
//! - Timestamps: UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, always 30 characters, so text order
//!   is time order and nanoseconds round-trip. Years outside 0000..=9999 are refused.
//! - Money: the amount as exact decimal text (`rust_decimal`'s rendering, scale kept: `"10.50"`)
//!   plus the ISO 4217 code in its own column. Never a float.
//! - UUID ids: lowercase hyphenated text. Versions: `INTEGER` (`u64` <= `i64::MAX`).
//! - JSON: `serde_json` text for nested parts that are never queried.

use commerce_core::money::{Currency, Money};
use commerce_core::ports::storage::StoreResult;
use rust_decimal::Decimal;

pub(crate) use crate::codec::{
    bound, data, from_json, parse_currency, parse_enum, parse_id, parse_id_opt, parse_ts, parse_ts_opt,
    parse_u32, parse_version, to_json, ts, ts_opt, version,
};

/// A decimal as exact text.
pub(crate) fn dec(d: Decimal) -> String {
    d.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use commerce_core::ports::storage::StoreError;

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
