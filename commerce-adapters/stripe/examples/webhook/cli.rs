//! The line protocol of `webhook verify`: one JSON case per input line, one verdict per output line.
//!
//! Input: `{"secret": "...", "payload": "...", "header": "...", "now": 1767225610, "tolerance": 300}`
//! (`now` in unix seconds, default the current time; `tolerance` in seconds, default 300, 0
//! disables the age check). Output: `{"valid": true}` or `{"valid": false, "reason": "..."}`,
//! where the reason starts with a stable code (`signature_mismatch: ...`).

use std::io::{self, BufRead, Write};

use chrono::{DateTime, Utc};
use commerce_stripe::webhook::WebhookError;
use commerce_stripe::{WebhookSecret, WebhookVerifier};
use serde_json::Value;

/// One case's verdict: `Ok(())` when Stripe's SDK would accept the webhook.
pub fn verdict(case: &Value, default_now: DateTime<Utc>) -> Result<(), String> {
    let text = |name: &str| -> Result<Option<&str>, String> {
        match case.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(format!("bad_input: {name} must be a string, got {other}")),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, String> {
        match case.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| format!("bad_input: {name} must be an integer")),
        }
    };
    let payload = text("payload")?.unwrap_or_default();
    let header = text("header")?.unwrap_or_default();
    let now = match int("now")? {
        Some(secs) => DateTime::from_timestamp(secs, 0).ok_or("bad_input: now is out of range")?,
        None => default_now,
    };
    let tolerance = int("tolerance")?.unwrap_or(300);
    let fail = |e: WebhookError| format!("{}: {e}", e.code());
    // The SDK's order: header present, then secret present, then the signature.
    if header.is_empty() {
        return Err(fail(WebhookError::MissingHeader));
    }
    let secret = WebhookSecret::new(text("secret")?.unwrap_or_default())
        .map_err(|_| fail(WebhookError::MissingSecret))?;
    WebhookVerifier::new(secret)
        .with_tolerance_secs(tolerance)
        .verify_at(payload.as_bytes(), header, now)
        .map_err(fail)
}

/// Reads cases from `input` until EOF and writes one verdict line per non-empty line.
pub fn run(input: impl BufRead, mut output: impl Write, default_now: DateTime<Utc>) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Value>(&line) {
            Ok(case) if case.is_object() => verdict(&case, default_now),
            Ok(_) => Err("bad_input: a case must be a JSON object".to_owned()),
            Err(e) => Err(format!("bad_input: {e}")),
        };
        match result {
            Ok(()) => writeln!(output, r#"{{"valid":true}}"#)?,
            // `valid` first, as documented; `Value::String` escapes the reason.
            Err(reason) => writeln!(output, r#"{{"valid":false,"reason":{}}}"#, Value::String(reason))?,
        }
    }
    output.flush()
}
