//! `cargo run -p commerce-stripe --example webhook -- verify < cases.jsonl`
//!
//! Verifies Stripe webhook signatures case by case, with the same verdicts as Stripe's official
//! Python SDK (`stripe.Webhook.construct_event`). See `cli.rs` for the line format.

mod cli;

use std::io;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("verify") || args.len() != 1 {
        eprintln!("usage: webhook verify < cases.jsonl");
        eprintln!(
            r#"each line: {{"secret", "payload", "header", "now" (unix seconds, optional), "tolerance" (seconds, optional)}}"#
        );
        std::process::exit(2);
    }
    if let Err(e) = cli::run(io::stdin().lock(), io::stdout().lock(), chrono::Utc::now()) {
        eprintln!("webhook: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::cli;

    /// Input lines -> output lines, through the real line protocol.
    fn check(input: &str, expected: &[&str]) {
        let mut out = Vec::new();
        let now = chrono::DateTime::from_timestamp(1767225610, 0).unwrap();
        cli::run(input.as_bytes(), &mut out, now).unwrap();
        let text = String::from_utf8(out).unwrap();
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got.len(), expected.len(), "{text}");
        for (g, want) in got.iter().zip(expected) {
            assert!(g.starts_with(want), "{g} should start with {want}");
        }
    }

    #[test]
    fn the_line_protocol() {
        let payload = r#"{\"id\":\"evt_1\",\"object\":\"event\"}"#;
        let secret = commerce_stripe::WebhookSecret::new("whsec_cli").unwrap();
        let header =
            commerce_stripe::webhook::sign_header(&secret, 1767225600, br#"{"id":"evt_1","object":"event"}"#);
        let line = |extra: &str| {
            format!(r#"{{"secret":"whsec_cli","payload":"{payload}","header":"{header}"{extra}}}"#)
        };
        let input = [
            line(""),
            line(r#","now":1767225900"#),
            line(r#","now":1767225901"#),
            line(r#","now":1767229999,"tolerance":0"#),
            String::new(),
            line(r#","secret":"  ""#),
            r#"{"secret":"whsec_cli","payload":"{}"}"#.to_owned(),
            "not json".to_owned(),
            "[1]".to_owned(),
            line(r#","now":"soon""#),
        ]
        .join("\n");
        check(
            &input,
            &[
                r#"{"valid":true}"#,
                r#"{"valid":true}"#,
                r#"{"valid":false,"reason":"timestamp_outside_tolerance"#,
                r#"{"valid":true}"#,
                r#"{"valid":false,"reason":"missing_secret"#,
                r#"{"valid":false,"reason":"missing_header"#,
                r#"{"valid":false,"reason":"bad_input"#,
                r#"{"valid":false,"reason":"bad_input"#,
                r#"{"valid":false,"reason":"bad_input"#,
            ],
        );
    }
}
