//! `Stripe-Signature` verification, with the exact verdicts of Stripe's official SDKs.
//!
//! The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`; a signature is the
//! lowercase-hex HMAC-SHA256, keyed with the whole secret, of `"{t}.{raw body}"`. The parsing
//! mirrors `stripe.WebhookSignature` (Python SDK 16.1.0) detail for detail, so that a header is
//! accepted here exactly when Stripe's SDK accepts it:
//! - items are split on `,`; an item's key is the text before the first `=`, its value the text
//!   up to the next `=`; keys are compared exactly (no trimming);
//! - the first `t` gives the timestamp, read like Python's `int()` (surrounding whitespace, a
//!   sign, `_` between digits, leading zeros and non-ASCII decimal digits are accepted), and
//!   the signed text uses its canonical decimal form; every `t` and `v1` item must have a `=`;
//! - only `v1` signatures count; any one matching passes; comparison is constant-time;
//! - a timestamp older than `now - tolerance` fails (exactly `tolerance` old passes; a future
//!   timestamp passes; a tolerance of 0 disables the check).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::WebhookError;
use crate::secret::WebhookSecret;

/// The one scheme Stripe signs with today.
const SCHEME: &str = "v1";

/// Python refuses to convert text of more than this many digits to an `int`.
const PY_MAX_INT_DIGITS: usize = 4300;

/// A parsed webhook timestamp (Python `int` semantics: any size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    negative: bool,
    /// ASCII digits, no leading zeros (`"0"` for zero).
    digits: String,
}

impl Timestamp {
    /// The canonical decimal form used in the signed text (`-12`, `0`, `1767225600`).
    pub fn canonical(&self) -> String {
        if self.negative { format!("-{}", self.digits) } else { self.digits.clone() }
    }

    /// The value, when it fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.canonical().parse().ok()
    }

    /// Whether this is strictly before `now - tolerance_secs`.
    fn older_than(&self, now: DateTime<Utc>, tolerance_secs: i64) -> bool {
        const NANOS: i128 = 1_000_000_000;
        let Ok(value) = self.canonical().parse::<i128>().map(|t| t.checked_mul(NANOS)) else {
            // More digits than an i128 holds: hugely in the past or the future.
            return self.negative;
        };
        let Some(value) = value else { return self.negative };
        let now_ns = i128::from(now.timestamp()) * NANOS + i128::from(now.timestamp_subsec_nanos());
        value < now_ns - i128::from(tolerance_secs) * NANOS
    }
}

/// The parts of a `Stripe-Signature` header that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signing time.
    pub timestamp: Timestamp,
    /// The `v1` signatures, in header order.
    pub signatures: Vec<String>,
}

/// Parses a header the way Stripe's Python SDK does (see the module docs).
pub fn parse_header(header: &str) -> Result<SignatureHeader, WebhookError> {
    let malformed = |why: &str| WebhookError::MalformedHeader(why.to_owned());
    let items: Vec<Vec<&str>> = header.split(',').map(|i| i.splitn(3, '=').collect()).collect();
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in &items {
        let key = item[0];
        if key != "t" && key != SCHEME {
            continue;
        }
        let value = item.get(1).ok_or_else(|| malformed("an item has no '='"))?;
        if key == "t" {
            timestamp.get_or_insert(*value);
        } else {
            signatures.push((*value).to_owned());
        }
    }
    let raw = timestamp.ok_or_else(|| malformed("no timestamp"))?;
    let timestamp = parse_py_int(raw).ok_or_else(|| malformed("the timestamp is not an integer"))?;
    Ok(SignatureHeader { timestamp, signatures })
}

/// Reads text like Python's `int(text)` in base 10; `None` where Python raises `ValueError`.
fn parse_py_int(text: &str) -> Option<Timestamp> {
    let trimmed = text.trim_matches(is_py_int_space);
    let (negative, body) = match trimmed.chars().next()? {
        '-' => (true, &trimmed[1..]),
        '+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let mut digits = String::with_capacity(body.len());
    let mut previous_was_digit = false;
    for c in body.chars() {
        if c == '_' {
            if !previous_was_digit {
                return None;
            }
            previous_was_digit = false;
            continue;
        }
        digits.push(decimal_digit(c)?);
        previous_was_digit = true;
    }
    if !previous_was_digit || digits.len() > PY_MAX_INT_DIGITS {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0".to_owned() } else { digits.to_owned() };
    let negative = negative && digits != "0";
    Some(Timestamp { negative, digits })
}

/// Whitespace Python's `int()` skips around a number: ASCII `" \t\n\v\f\r"` and the non-ASCII
/// characters for which `str.isspace()` is true (Unicode 14, as in Python 3.11).
fn is_py_int_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
        || matches!(
            c as u32,
            0x85 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
        )
}

/// The first code point of every run of ten Unicode decimal digits (category Nd, Unicode 14).
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50,
    0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40,
    0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
    0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6,
    0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The ASCII digit of a Unicode decimal digit.
fn decimal_digit(c: char) -> Option<char> {
    let cp = c as u32;
    let i = DIGIT_ZEROS.partition_point(|&z| z <= cp).checked_sub(1)?;
    let offset = cp - DIGIT_ZEROS[i];
    if offset < 10 { char::from_digit(offset, 10) } else { None }
}

/// The lowercase-hex `v1` signature of `payload` signed at `timestamp` (its canonical text).
pub fn compute_signature(secret: &WebhookSecret, timestamp: &str, payload: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// A `Stripe-Signature` header for `payload`, as Stripe would send it (for tests and tools).
///
/// ```
/// use commerce_stripe::WebhookSecret;
/// use commerce_stripe::webhook::{sign_header, verify_header};
/// let secret = WebhookSecret::new("whsec_test")?;
/// let header = sign_header(&secret, 1767225600, br#"{"id":"evt_1"}"#);
/// let now = chrono::DateTime::from_timestamp(1767225610, 0).unwrap();
/// assert!(verify_header(br#"{"id":"evt_1"}"#, &header, &secret, now, 300).is_ok());
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
pub fn sign_header(secret: &WebhookSecret, timestamp: i64, payload: &[u8]) -> String {
    let t = timestamp.to_string();
    format!("t={t},{SCHEME}={}", compute_signature(secret, &t, payload))
}

/// Verifies `header` against the raw `payload` bytes at time `now`, allowing signatures up to
/// `tolerance_secs` old (0 disables the age check). Checks run in the SDK's order: payload is
/// UTF-8, header present, header parses, a `v1` exists, a `v1` matches, the age.
pub fn verify_header(
    payload: &[u8],
    header: &str,
    secret: &WebhookSecret,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<SignatureHeader, WebhookError> {
    if std::str::from_utf8(payload).is_err() {
        return Err(WebhookError::PayloadNotUtf8);
    }
    if header.is_empty() {
        return Err(WebhookError::MissingHeader);
    }
    let parsed = parse_header(header)?;
    if parsed.signatures.is_empty() {
        return Err(WebhookError::NoV1Signature);
    }
    let expected = compute_signature(secret, &parsed.timestamp.canonical(), payload);
    let mut matched = false;
    for candidate in &parsed.signatures {
        // Python's `hmac.compare_digest` raises on non-ASCII text: the SDK fails there.
        if !candidate.is_ascii() {
            return Err(WebhookError::MalformedHeader("a signature is not ASCII".into()));
        }
        if bool::from(expected.as_bytes().ct_eq(candidate.as_bytes())) {
            matched = true;
            break;
        }
    }
    if !matched {
        return Err(WebhookError::SignatureMismatch);
    }
    if tolerance_secs != 0 && parsed.timestamp.older_than(now, tolerance_secs) {
        return Err(WebhookError::TimestampOutsideTolerance {
            timestamp: parsed.timestamp.canonical(),
            tolerance_secs,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python `int()` verdicts, checked with CPython 3.11.
    fn check_int(text: &str, expected: Option<&str>) {
        assert_eq!(parse_py_int(text).map(|t| t.canonical()).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn timestamps_read_like_python_int() {
        let table: &[(&str, Option<&str>)] = &[
            ("1767225600", Some("1767225600")),
            (" 12 ", Some("12")),
            ("+12", Some("12")),
            ("-12", Some("-12")),
            ("-0", Some("0")),
            ("0012", Some("12")),
            ("000", Some("0")),
            ("1_2", Some("12")),
            ("\u{a0}12\u{3000}", Some("12")),
            ("\u{661}\u{662}", Some("12")),
            ("\u{663}_\u{663}", Some("33")),
            ("1_\u{663}", Some("13")),
            ("\u{ff11}\u{ff10}", Some("10")),
            ("99999999999999999999999999999999999999999", Some("99999999999999999999999999999999999999999")),
            ("_12", None),
            ("12_", None),
            ("1__2", None),
            ("- 1", None),
            ("+-1", None),
            ("\x1c12\x1f", None),
            ("12\0", None),
            ("", None),
            ("+", None),
            (" ", None),
            ("0x10", None),
            ("1e3", None),
            ("1.0", None),
            ("½", None),
            ("²", None),
        ];
        for &(text, expected) in table {
            check_int(text, expected);
        }
        assert!(parse_py_int(&"9".repeat(4300)).is_some());
        assert!(parse_py_int(&"9".repeat(4301)).is_none());
    }

    /// A header's timestamp and v1 signatures; `None` for "malformed".
    type Parsed<'a> = Option<(&'a str, &'a [&'a str])>;

    /// Header -> (timestamp, v1 signatures), or the malformed verdict.
    fn check_header(header: &str, expected: Parsed<'_>) {
        let got = parse_header(header).ok();
        let got = got.as_ref().map(|h| (h.timestamp.canonical(), h.signatures.clone()));
        let want = expected.map(|(t, s)| (t.to_owned(), s.iter().map(|x| x.to_string()).collect::<Vec<_>>()));
        assert_eq!(got, want, "{header:?}");
    }

    #[test]
    fn headers_split_like_the_sdk() {
        let table: &[(&str, Parsed<'_>)] = &[
            ("t=1,v1=a", Some(("1", &["a"]))),
            ("t=1,v1=a,v1=b,v0=c", Some(("1", &["a", "b"]))),
            ("v1=a,t=1", Some(("1", &["a"]))),
            ("t=1,t=2,v1=a", Some(("1", &["a"]))),
            ("t=1,v1=a=b=c", Some(("1", &["a"]))),
            ("t=1=9,v1=", Some(("1", &[""]))),
            ("t=1", Some(("1", &[]))),
            ("t=1,,x,v2=y", Some(("1", &[]))),
            ("t=1, v1=a", Some(("1", &[]))),
            ("t= 7 ,v1=a", Some(("7", &["a"]))),
            ("v1=a", None),
            ("t=,v1=a", None),
            ("t=x,v1=a", None),
            ("t=1,v1", None),
            ("t=1,v1=a,t", None),
            ("T=1,v1=a", None),
            ("", None),
        ];
        for &(header, expected) in table {
            check_header(header, expected);
        }
    }

    #[test]
    fn tolerance_boundaries() {
        let secret = WebhookSecret::new("whsec_k").unwrap();
        let body = b"{}";
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let header = sign_header(&secret, 1000, body);
        let verdict = |now: DateTime<Utc>, tol: i64| verify_header(body, &header, &secret, now, tol).is_ok();
        assert!(verdict(at(1300), 300));
        assert!(!verdict(at(1301), 300));
        assert!(!verdict(DateTime::from_timestamp(1300, 1).unwrap(), 300));
        assert!(verdict(at(0), 300), "future timestamps pass");
        assert!(verdict(at(99_999_999), 0), "zero disables the check");
        assert!(!verdict(at(1000), -1), "a negative tolerance is applied as given");
        let huge = format!("t={},v1={}", "9".repeat(50), compute_signature(&secret, &"9".repeat(50), body));
        assert!(verify_header(body, &huge, &secret, at(1000), 300).is_ok());
        let tiny = format!(
            "t=-{},v1={}",
            "9".repeat(50),
            compute_signature(&secret, &format!("-{}", "9".repeat(50)), body)
        );
        assert!(matches!(
            verify_header(body, &tiny, &secret, at(1000), 300),
            Err(WebhookError::TimestampOutsideTolerance { .. })
        ));
    }
}
