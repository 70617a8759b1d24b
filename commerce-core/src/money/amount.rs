//! Strict parsing of text amounts.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{Currency, MoneyError};

/// Parses a plain decimal amount: an optional `-`, digits, and optionally `.` followed by digits.
///
/// Refused, each with a reason: empty text, surrounding or inner whitespace, a `+` sign,
/// exponents (`1e3`), `NaN`/`inf`, a bare `.5` or `5.`, thousands separators, and values that
/// do not fit a 96-bit decimal.
pub fn parse_amount(input: &str) -> Result<Decimal, MoneyError> {
    let fail = |reason| MoneyError::InvalidAmount { input: input.to_owned(), reason };
    if input.is_empty() {
        return Err(fail("empty"));
    }
    if input.trim() != input {
        return Err(fail("leading or trailing whitespace"));
    }
    let digits = input.strip_prefix('-').unwrap_or(input);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        let reason = if digits.bytes().any(|b| b == b'e' || b == b'E') {
            "exponent notation is not accepted"
        } else if digits.eq_ignore_ascii_case("nan") || digits.to_ascii_lowercase().starts_with("inf") {
            "not a finite number"
        } else {
            "expected digits with an optional '-' sign and '.' decimal point"
        };
        return Err(fail(reason));
    }
    Decimal::from_str(input).map_err(|_| fail("too many digits for a 96-bit decimal"))
}

/// Parses an amount for `currency`: [`parse_amount`], then refuses more decimal places than the
/// currency has minor units (`"12.345"` for USD, `"10.5"` for JPY). Trailing zeros count:
/// `"12.340"` is refused for USD too, since a gateway would see a different precision.
pub fn parse_amount_for(input: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let amount = parse_amount(input)?;
    if amount.scale() > currency.minor_units() {
        return Err(MoneyError::TooPrecise { amount, currency, minor_units: currency.minor_units() });
    }
    Ok(amount)
}
