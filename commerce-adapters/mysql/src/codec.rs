//! Column encodings, between domain values and what the rows hold.
//!
//! - Timestamps: UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (fixed width, so text order is time
//!   order and nanoseconds round-trip). Years outside 0000..=9999 are refused.
//! - Money: `DECIMAL(19,4)` plus the ISO 4217 code in its own column. An amount that does not fit
//!   exactly (more than 4 significant decimals, or 15 integer digits) is refused with
//!   `StoreError::Data` before anything is written: the server would round it silently. Amounts
//!   read back carry at least the currency's minor units (`10.5000` -> `10.50` USD), zero is `0`.
//! - UUID ids: lowercase hyphenated text. Versions and counts: `BIGINT`.
//! - JSON: `serde_json` text for nested parts that are never queried.

use commerce_core::money::{Currency, Money};
use commerce_core::ports::storage::StoreResult;
use rust_decimal::Decimal;

pub(crate) use commerce_storage::codec::{
    bound, data, from_json, parse_currency, parse_enum, parse_id, parse_id_opt, parse_ts, parse_ts_opt,
    parse_u32, parse_version, to_json, ts, ts_opt, version,
};

/// Decimal places of the money columns.
pub(crate) const MONEY_SCALE: u32 = 4;
/// Largest absolute amount a `DECIMAL(19,4)` column holds: 999999999999999.9999.
fn money_max() -> Decimal {
    Decimal::from_i128_with_scale(9_999_999_999_999_999_999, MONEY_SCALE)
}

/// A decimal for a `DECIMAL(19,4)` column: refused unless the column holds it exactly.
pub(crate) fn money_column(d: Decimal) -> StoreResult<Decimal> {
    let n = d.normalize();
    if n.scale() > MONEY_SCALE {
        return Err(data("amount has more than 4 decimal places, the money columns' precision", d));
    }
    if n.abs() > money_max() {
        return Err(data("amount too large for DECIMAL(19,4)", d));
    }
    Ok(n)
}

/// Reads an amount column in `currency`: trailing zeros beyond the currency's minor units go.
///
/// Zero is read as a plain `0` (scale 0), like `Money::zero`: `commerce_core`'s exactness check
/// of `checked_add`/`checked_sub` reports an overflow for `x - 0.00` when `x` has fewer decimals,
/// because `rust_decimal` then returns `x` unchanged (see docs/mysql.md, "Known gaps").
pub(crate) fn read_money(amount: Decimal, currency: Currency) -> Money {
    if amount.is_zero() {
        return Money::zero(currency);
    }
    let mut d = amount.normalize();
    if d.scale() < currency.minor_units() {
        d.rescale(currency.minor_units());
    }
    Money::new(d, currency)
}

/// The amount of `m` for its column, checking it is in `currency` (a row has one currency column).
pub(crate) fn amount_in(m: Money, currency: Currency, what: &str) -> StoreResult<Decimal> {
    if m.currency() != currency {
        return Err(data(what, format!("{m} is not in {currency}")));
    }
    money_column(m.amount())
}

/// Reads a `COUNT(*)`.
pub(crate) fn parse_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The SHA-256 of an unbounded text key (idempotency keys, gateway references, notification
/// ids): what their indexes hold.
pub(crate) fn key_hash(text: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).to_vec()
}

/// `?, ?, ?` for `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// `(?, ?), (?, ?)` for `rows` rows of `columns` values.
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
    let row = format!("({})", placeholders(columns));
    vec![row; rows].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use commerce_core::ports::storage::StoreError;
    use rust_decimal_macros::dec;

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
            assert_eq!(text.len(), 30, "fits CHAR(30)");
            if let Some((pt, ptext)) = previous {
                assert!(pt < t && ptext < text, "{ptext} < {text}");
            }
            previous = Some((t, text));
        }
        let too_late = DateTime::from_timestamp(253_402_300_800, 0).unwrap(); // year 10000
        assert!(matches!(ts(too_late), Err(StoreError::Data(_))));
        assert!(matches!(parse_ts("2026-01-01 00:00:00"), Err(StoreError::Data(_))));
    }

    /// (amount, fits DECIMAL(19,4) exactly)
    #[test]
    fn money_columns_refuse_what_they_cannot_hold() {
        let check = |amount: Decimal, fits: bool| {
            let r = money_column(amount);
            assert_eq!(r.is_ok(), fits, "{amount}: {r:?}");
            if let Ok(stored) = r {
                assert_eq!(stored, amount, "stored exactly");
            }
        };
        for (amount, fits) in [
            (dec!(10.50), true),
            (dec!(0), true),
            (dec!(-3.25), true),
            (dec!(0.0001), true),
            (dec!(1.23450000), true), // trailing zeros are not precision
            (dec!(0.00001), false),
            (dec!(999999999999999.9999), true),
            (dec!(-999999999999999.9999), true),
            (dec!(1000000000000000), false),
        ] {
            check(amount, fits);
        }
    }

    /// (column value, currency, amount read back as text)
    #[test]
    fn amounts_read_back_at_currency_precision() {
        let check = |column: Decimal, currency: Currency, expected: &str| {
            let m = read_money(column, currency);
            assert_eq!((m.amount().to_string().as_str(), m.currency()), (expected, currency));
            assert_eq!(m.amount(), column, "numerically unchanged");
        };
        for (column, currency, expected) in [
            (dec!(10.5000), Currency::USD, "10.50"),
            (dec!(0.0000), Currency::USD, "0"),
            (dec!(50000.0000), Currency::KHR, "50000.00"), // ISO 4217: 2 minor units
            (dec!(1.2345), Currency::USD, "1.2345"),
            (dec!(7.0000), Currency::JPY, "7"),
        ] {
            check(column, currency, expected);
        }
    }

    #[test]
    fn sql_fragments() {
        assert_eq!(placeholders(3), "?, ?, ?");
        assert_eq!(value_rows(2, 2), "(?, ?), (?, ?)");
    }
}
