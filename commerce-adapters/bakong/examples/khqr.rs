//! The `khqr` command: KHQR generation, decoding and verification over JSON lines, in the shapes
//! of the official `bakong-khqr` npm SDK.
//!
//! ```text
//! cargo run -p commerce-bakong --example khqr -- generate < requests.jsonl
//! cargo run -p commerce-bakong --example khqr -- decode   < codes.jsonl
//! cargo run -p commerce-bakong --example khqr -- verify   < codes.jsonl
//! ```
//!
//! - `generate`: one object per line with the SDK's keys (`type` `"individual"` | `"merchant"`,
//!   `bakongAccountID`, `merchantName`, `merchantCity`, `merchantID`, `acquiringBank`,
//!   `accountInformation`, `currency` 116 | 840, `amount` (string or number), `billNumber`,
//!   `mobileNumber`, `storeLabel`, `terminalLabel`, `purposeOfTransaction`, `languagePreference`,
//!   `merchantNameAlternateLanguage`, `merchantCityAlternateLanguage`, `upiMerchantAccount`,
//!   `merchantCategoryCode`, `expirationTimestamp`, `creationTimestamp` (epoch ms; now when
//!   absent)). Answers `{"qr", "md5"}` or `{"error": {"code", "message", "detail"}}`, where
//!   `code` and `message` are the SDK's (`code` is null for malformed JSON).
//! - `decode`: `{"qr": ...}`; answers the SDK's decoded fields (`merchantType`,
//!   `bakongAccountID`, ..., `crc`).
//! - `verify`: `{"qr": ..., "now": ms?}`; answers `{"valid": true}` or
//!   `{"valid": false, "reason": {"code", "message", "detail"}}`.

use std::io::{self, BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use commerce_bakong::khqr::KhqrError;
use commerce_bakong::khqr::sdk::{self, SdkRequest};
use serde_json::{Value, json};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn error_json(e: &KhqrError) -> Value {
    json!({"code": e.code(), "message": e.sdk_message(), "detail": e.to_string()})
}

fn input_error(detail: impl std::fmt::Display) -> Value {
    json!({"error": {"code": null, "message": "invalid input", "detail": detail.to_string()}})
}

fn generate(line: &str) -> Value {
    match SdkRequest::from_json(line) {
        Err(e) => input_error(e),
        Ok(request) => match sdk::generate(&request.input, request.created_at_ms.unwrap_or_else(now_ms)) {
            Ok(code) => json!({"qr": code.qr(), "md5": code.md5()}),
            Err(e) => json!({"error": error_json(&e)}),
        },
    }
}

/// `{"qr": text, "now": ms?}`.
fn qr_and_now(line: &str) -> Result<(String, i64), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let qr = value["qr"].as_str().ok_or("\"qr\" must be a string")?.to_owned();
    let now = match &value["now"] {
        Value::Null => now_ms(),
        n => n.as_i64().ok_or("\"now\" must be an integer (epoch milliseconds)")?,
    };
    Ok((qr, now))
}

fn decode(line: &str) -> Value {
    match qr_and_now(line) {
        Err(e) => input_error(e),
        Ok((qr, _)) => match sdk::decode(&qr) {
            Ok(decoded) => serde_json::to_value(decoded).unwrap_or(Value::Null),
            Err(e) => json!({"error": error_json(&e)}),
        },
    }
}

fn verify(line: &str) -> Value {
    match qr_and_now(line) {
        Err(e) => input_error(e),
        Ok((qr, now)) => match sdk::verify(&qr, now) {
            Ok(()) => json!({"valid": true}),
            Err(e) => json!({"valid": false, "reason": error_json(&e)}),
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let command = std::env::args().nth(1).unwrap_or_default();
    let run: fn(&str) -> Value = match command.as_str() {
        "generate" => generate,
        "decode" => decode,
        "verify" => verify,
        _ => {
            eprintln!("usage: khqr <generate|decode|verify> < cases.jsonl   (one JSON object per line)");
            std::process::exit(2);
        }
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", run(&line))?;
    }
    Ok(())
}
