//! The JSON shapes of the Bakong Open API and their conversion to domain types.
//!
//! Amounts arrive as JSON numbers. They are never parsed through `f64`: the number's text is
//! captured with [`serde_json::value::RawValue`] and parsed into a [`Decimal`] digit for digit.
//! (serde_json's `arbitrary_precision` feature would do the same, but it changes how every
//! crate in the build parses numbers, so this crate does not turn it on.)

use std::str::FromStr;

use chrono::{DateTime, Utc};
use commerce_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::ApiError;
use super::types::{Md5Check, Md5Outcome, SourceInfo, Transaction};

/// The envelope of every response.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    response_code: i64,
    #[serde(default)]
    response_message: Option<String>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Reads a response body: `Ok(data)` for `responseCode: 0` under a 2xx status, the typed error
/// for everything else.
pub(crate) fn open_envelope(status: u16, body: &[u8]) -> Result<Option<&RawValue>, ApiError> {
    let envelope: Envelope<'_> = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => {
            return Err(match status {
                200..=299 => ApiError::MalformedBody { status, reason: e.to_string() },
                401 => ApiError::TokenExpired { message: snippet(body) },
                _ => ApiError::Http { status, message: snippet(body) },
            });
        }
    };
    let message = envelope.response_message.unwrap_or_default();
    if envelope.response_code == 0 && envelope.error_code.is_none() && (200..300).contains(&status) {
        return Ok(envelope.data);
    }
    if envelope.error_code.is_none() && !(200..300).contains(&status) && status != 401 {
        return Err(ApiError::Http { status, message });
    }
    Err(ApiError::from_code(envelope.error_code, status, message))
}

/// The start of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().nth(200).is_some() {
        out.push_str("...");
    }
    out
}

fn malformed(reason: impl Into<String>) -> ApiError {
    ApiError::MalformedBody { status: 200, reason: reason.into() }
}

fn require(data: Option<&RawValue>) -> Result<&RawValue, ApiError> {
    data.ok_or_else(|| malformed("`data` is null"))
}

/// Parses a JSON number (or a string holding one) into a [`Decimal`] exactly.
pub(crate) fn exact_decimal(raw: &str) -> Result<Decimal, String> {
    let raw = raw.trim();
    let text = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(raw);
    let is_json_number = {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (mantissa, exponent) = match digits.find(['e', 'E']) {
            Some(i) => (&digits[..i], Some(&digits[i + 1..])),
            None => (digits, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (mantissa, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let exp_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
        all_digits(int) && frac.is_none_or(all_digits) && exp_ok
    };
    if !is_json_number {
        return Err(format!("amount {raw} is not a number"));
    }
    // A decimal holds 28 significant digits exactly; more would be rounded, so refuse them.
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let significant = mantissa.trim_start_matches(['-', '0', '.']);
    let significant = if significant.contains('.') || mantissa.contains('.') {
        significant.trim_end_matches('0')
    } else {
        significant
    };
    if significant.bytes().filter(u8::is_ascii_digit).count() > 28 {
        return Err(format!("amount {raw} has more digits than a decimal holds exactly"));
    }
    let parsed =
        if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str(text) };
    parsed.map_err(|e| format!("amount {raw} does not fit a decimal exactly: {e}"))
}

fn timestamp(ms: i64, field: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| malformed(format!("{field} {ms} is out of range")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionDto<'a> {
    hash: String,
    from_account_id: String,
    to_account_id: String,
    currency: String,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(default)]
    description: Option<String>,
    created_date_ms: i64,
    #[serde(default)]
    acknowledged_date_ms: Option<i64>,
    #[serde(default)]
    external_ref: Option<String>,
    #[serde(default)]
    instruction_ref: Option<String>,
    #[serde(default)]
    tracking_status: Option<String>,
    #[serde(default)]
    receiver_bank: Option<String>,
    #[serde(default)]
    receiver_bank_account: Option<String>,
}

impl TransactionDto<'_> {
    fn into_domain(self) -> Result<Transaction, ApiError> {
        let amount = exact_decimal(self.amount.get()).map_err(malformed)?;
        if amount.is_sign_negative() {
            return Err(malformed(format!("negative amount {amount}")));
        }
        let currency = Currency::from_code(&self.currency)
            .map_err(|_| malformed(format!("unknown currency {:?}", self.currency)))?;
        Ok(Transaction {
            hash: self.hash,
            from_account_id: self.from_account_id,
            to_account_id: self.to_account_id,
            amount: Money::new(amount, currency),
            description: self.description,
            created_at: timestamp(self.created_date_ms, "createdDateMs")?,
            acknowledged_at: self
                .acknowledged_date_ms
                .map(|ms| timestamp(ms, "acknowledgedDateMs"))
                .transpose()?,
            external_ref: self.external_ref,
            instruction_ref: self.instruction_ref,
            tracking_status: self.tracking_status,
            receiver_bank: self.receiver_bank,
            receiver_bank_account: self.receiver_bank_account,
        })
    }
}

/// Parses the `data` of a successful `check_transaction_by_*` answer.
pub(crate) fn transaction(data: Option<&RawValue>) -> Result<Transaction, ApiError> {
    let dto: TransactionDto<'_> =
        serde_json::from_str(require(data)?.get()).map_err(|e| malformed(e.to_string()))?;
    dto.into_domain()
}

#[derive(Deserialize)]
struct Md5ItemDto<'a> {
    md5: String,
    status: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Parses the `data` of a `check_transaction_by_md5_list` answer.
pub(crate) fn md5_list(data: Option<&RawValue>) -> Result<Vec<Md5Check>, ApiError> {
    let Some(data) = data else { return Ok(Vec::new()) };
    let items: Vec<Md5ItemDto<'_>> =
        serde_json::from_str(data.get()).map_err(|e| malformed(e.to_string()))?;
    items
        .into_iter()
        .map(|item| {
            let outcome = match item.status.as_str() {
                "SUCCESS" => Md5Outcome::Paid(Box::new(transaction(item.data)?)),
                "NOT_FOUND" => Md5Outcome::NotFound,
                "FAILED" => Md5Outcome::Failed { message: item.message },
                _ => Md5Outcome::Unknown { status: item.status, message: item.message },
            };
            Ok(Md5Check { md5: item.md5.to_ascii_lowercase(), outcome })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortLinkDto {
    short_link: String,
}

/// Parses the `data` of a `generate_deeplink_by_qr` answer.
pub(crate) fn short_link(data: Option<&RawValue>) -> Result<String, ApiError> {
    let dto: ShortLinkDto =
        serde_json::from_str(require(data)?.get()).map_err(|e| malformed(e.to_string()))?;
    Ok(dto.short_link)
}

#[derive(Deserialize)]
struct TokenDto {
    token: String,
}

/// Parses the `data` of a `renew_token` answer.
pub(crate) fn token(data: Option<&RawValue>) -> Result<String, ApiError> {
    let dto: TokenDto = serde_json::from_str(require(data)?.get()).map_err(|e| malformed(e.to_string()))?;
    if dto.token.is_empty() {
        return Err(malformed("empty token"));
    }
    Ok(dto.token)
}

/// `{"md5": ...}`.
#[derive(Serialize)]
pub(crate) struct Md5Body<'a> {
    pub md5: &'a str,
}

/// `{"hash": ...}`.
#[derive(Serialize)]
pub(crate) struct HashBody<'a> {
    pub hash: &'a str,
}

/// `{"hash", "amount", "currency"}`; the amount is written as an exact JSON number.
#[derive(Serialize)]
pub(crate) struct ShortHashBody<'a> {
    pub hash: &'a str,
    pub amount: Box<RawValue>,
    pub currency: &'static str,
}

/// An amount as a JSON number, digit for digit (`1.50` stays `1.50`).
pub(crate) fn json_number(amount: Decimal) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(amount.to_string()).map_err(|e| ApiError::InvalidArgument(e.to_string()))
}

/// `{"qr", "sourceInfo": {...}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeepLinkBody<'a> {
    pub qr: &'a str,
    pub source_info: SourceInfoDto<'a>,
}

/// `sourceInfo`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceInfoDto<'a> {
    pub app_icon_url: &'a str,
    pub app_name: &'a str,
    pub app_deep_link_callback: &'a str,
}

impl<'a> From<&'a SourceInfo> for SourceInfoDto<'a> {
    fn from(s: &'a SourceInfo) -> Self {
        SourceInfoDto {
            app_icon_url: &s.app_icon_url,
            app_name: &s.app_name,
            app_deep_link_callback: &s.app_deep_link_callback,
        }
    }
}

/// `{"accountId": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountBody<'a> {
    pub account_id: &'a str,
}

/// `{"email": ...}`.
#[derive(Serialize)]
pub(crate) struct EmailBody<'a> {
    pub email: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_amount(json_amount: &str, expected: Result<&str, ()>) {
        let body = format!(
            r#"{{"responseCode":0,"responseMessage":"Success","errorCode":null,"data":{{"hash":"h","fromAccountId":"a@b","toAccountId":"c@d","currency":"USD","amount":{json_amount},"description":null,"createdDateMs":1767225600000,"acknowledgedDateMs":1767225601000}}}}"#
        );
        let got = open_envelope(200, body.as_bytes()).and_then(transaction);
        match expected {
            Ok(text) => {
                let tx = got.unwrap_or_else(|e| panic!("{json_amount}: {e}"));
                assert_eq!(tx.amount.amount().to_string(), text, "amount {json_amount}");
            }
            Err(()) => assert!(
                matches!(got, Err(ApiError::MalformedBody { .. })),
                "amount {json_amount} should be refused, got {got:?}"
            ),
        }
    }

    #[test]
    fn amounts_are_parsed_digit_for_digit() {
        // Values that f64 cannot hold exactly come out exact.
        let table: &[(&str, Result<&str, ()>)] = &[
            ("0.1", Ok("0.1")),
            ("1.5", Ok("1.5")),
            ("1.50", Ok("1.50")),
            ("0.01", Ok("0.01")),
            ("100000", Ok("100000")),
            ("9007199254740993", Ok("9007199254740993")),
            ("12345678901234567.89", Ok("12345678901234567.89")),
            ("0.30000000000000004", Ok("0.30000000000000004")),
            ("1e2", Ok("100")),
            ("1.25E-2", Ok("0.0125")),
            ("\"2.75\"", Ok("2.75")),
            ("-1", Err(())),
            ("\"abc\"", Err(())),
            ("null", Err(())),
            ("true", Err(())),
            ("1234567890123456789012345678901234567890", Err(())),
            ("0.12345678901234567890123456789012", Err(())),
            ("1e-40", Err(())),
            ("1e40", Err(())),
            ("1.", Err(())),
            (".5", Err(())),
        ];
        for (json, expected) in table {
            check_amount(json, *expected);
        }
    }

    #[test]
    fn envelopes_map_to_typed_errors() {
        fn check(status: u16, body: &str, expected_code: Option<i64>, expected: fn(&ApiError) -> bool) {
            let got = open_envelope(status, body.as_bytes()).map(|d| d.map(|r| r.get().to_owned()));
            match got {
                Err(e) => {
                    assert!(expected(&e), "HTTP {status} {body}: unexpected {e:?}");
                    assert_eq!(e.code(), expected_code, "HTTP {status} {body}");
                }
                Ok(d) => panic!("HTTP {status} {body}: expected an error, got data {d:?}"),
            }
        }
        let env = |code: i64| {
            format!(r#"{{"responseCode":1,"responseMessage":"m","errorCode":{code},"data":null}}"#)
        };
        check(200, &env(1), Some(1), |e| matches!(e, ApiError::NotFound { .. }));
        check(200, &env(2), Some(2), |e| matches!(e, ApiError::StaticQr { .. }));
        check(200, &env(3), Some(3), |e| matches!(e, ApiError::TransactionFailed { .. }));
        check(200, &env(4), Some(4), |e| matches!(e, ApiError::DeepLinkProvider { .. }));
        check(400, &env(5), Some(5), |e| matches!(e, ApiError::MissingFields { .. }));
        check(401, &env(6), Some(6), |e| matches!(e, ApiError::TokenExpired { .. }));
        check(200, &env(9), Some(9), |e| matches!(e, ApiError::CannotConnect { .. }));
        check(200, &env(10), Some(10), |e| matches!(e, ApiError::NotRegistered { .. }));
        check(200, &env(11), Some(11), |e| matches!(e, ApiError::AccountNotFound { .. }));
        check(200, &env(12), Some(12), |e| matches!(e, ApiError::AccountInvalid { .. }));
        check(200, &env(77), Some(77), |e| matches!(e, ApiError::Other { code: Some(77), .. }));
        check(401, "Unauthorized", Some(6), |e| matches!(e, ApiError::TokenExpired { .. }));
        check(403, "<html>Forbidden</html>", None, |e| matches!(e, ApiError::Http { status: 403, .. }));
        check(200, "not json", None, |e| matches!(e, ApiError::MalformedBody { .. }));
        check(200, r#"{"responseMessage":"no code"}"#, None, |e| matches!(e, ApiError::MalformedBody { .. }));
        check(
            404,
            r#"{"responseCode":1,"responseMessage":"nope","errorCode":null,"data":null}"#,
            None,
            |e| matches!(e, ApiError::Http { status: 404, .. }),
        );
    }

    #[test]
    fn success_envelope_yields_data() {
        let body = r#"{"responseCode":0,"responseMessage":"ok","errorCode":null,"data":{"token":"abc"}}"#;
        let data = open_envelope(200, body.as_bytes());
        assert_eq!(data.and_then(token).ok().as_deref(), Some("abc"));
    }
}
