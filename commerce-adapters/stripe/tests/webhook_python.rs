//! Cross-check against Stripe's official Python SDK (16.1.0): a seeded generator signs a few
//! hundred webhooks with `stripe.WebhookSignature` (random secrets, timestamps, bodies with
//! non-ASCII text, several v1s, v0 only, missing t, garbage headers, tampered bodies, expired and
//! future timestamps...) and records `stripe.Webhook.construct_event`'s verdict; ours must match
//! case by case, through the library and through the `webhook` example's line protocol.
//!
//! The interpreter comes from `COMMERCE_STRIPE_PYTHON` (set by `.ci/setup-stripe.sh`), default
//! `$HOME/.cache/commerce/venv-stripe/bin/python`.

mod common;

#[allow(dead_code)]
#[path = "../examples/webhook/cli.rs"]
mod cli;

use std::path::PathBuf;
use std::process::Command;

use chrono::DateTime;
use commerce_stripe::webhook::WebhookError;
use commerce_stripe::{WebhookSecret, WebhookVerifier};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    variant: String,
    secret: String,
    payload_hex: String,
    header: String,
    now: i64,
    tolerance: Option<i64>,
    valid: bool,
    code: Option<String>,
    detail: String,
}

fn python() -> Option<PathBuf> {
    let path = match std::env::var_os("COMMERCE_STRIPE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/commerce/venv-stripe/bin/python"),
    };
    path.exists().then_some(path)
}

/// Our verdict for one case: `None` when valid, else the refusal's code.
fn ours(case: &Case, payload: &[u8]) -> Option<&'static str> {
    if case.header.is_empty() {
        return Some(WebhookError::MissingHeader.code());
    }
    let Ok(secret) = WebhookSecret::new(case.secret.clone()) else {
        return Some(WebhookError::MissingSecret.code());
    };
    let verifier = WebhookVerifier::new(secret).with_tolerance_secs(case.tolerance.unwrap_or(300));
    let now = DateTime::from_timestamp(case.now, 0).expect("now in range");
    verifier.verify_at(payload, &case.header, now).err().map(|e| e.code())
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn our_verdicts_match_stripes_python_sdk() {
    let Some(python) = python() else {
        skip!("Stripe's Python SDK not found (set COMMERCE_STRIPE_PYTHON or run .ci/setup-stripe.sh)");
    };
    let seed: u64 =
        std::env::var("COMMERCE_STRIPE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20260101);
    let count: usize =
        std::env::var("COMMERCE_STRIPE_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/webhook_cases.py");
    let output = Command::new(&python).arg(&script).arg(seed.to_string()).arg(count.to_string()).output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("{} failed: {}", script.display(), String::from_utf8_lossy(&o.stderr)),
        Err(e) => skip!("cannot run {}: {e}", python.display()),
    };
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let cases: Vec<Case> = stdout.lines().map(|l| serde_json::from_str(l).expect("case line")).collect();
    assert_eq!(cases.len(), count);

    let mut mismatches = Vec::new();
    let (mut valid, mut through_cli) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let payload = decode_hex(&case.payload_hex);
        let got = ours(case, &payload);
        let want = if case.valid { None } else { case.code.as_deref() };
        if got != want {
            mismatches.push(format!(
                "#{i} {}: ours {got:?}, Python {want:?} ({}) header {:?}",
                case.variant, case.detail, case.header
            ));
        }
        valid += usize::from(case.valid);
        // The example's line protocol gives the same verdict (payloads travel as JSON strings).
        if let Ok(text) = std::str::from_utf8(&payload) {
            let line = serde_json::json!({
                "secret": case.secret, "payload": text, "header": case.header, "now": case.now, "tolerance": case.tolerance,
            });
            let cli_valid = cli::verdict(&line, DateTime::from_timestamp(0, 0).expect("epoch")).is_ok();
            if cli_valid != case.valid {
                mismatches.push(format!(
                    "#{i} {} through the CLI: ours {cli_valid}, Python {}",
                    case.variant, case.valid
                ));
            }
            through_cli += 1;
        }
    }
    println!("seed {seed}: {count} cases, {valid} valid, {through_cli} also through the CLI line protocol");
    assert!(
        valid > count / 5 && valid < count * 4 / 5,
        "a suite needs both verdicts: {valid} valid of {count}"
    );
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
