//! The webhook vectors of payments.md (checked with Stripe's Python SDK 16.1.0), exactly, and the
//! mapping of verified events to the engine's notifications.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::DateTime;
use commerce_core::ports::{FixedClock, GatewayError, NotificationRequest, PaymentGateway};
use commerce_stripe::webhook::{Event, WebhookError, sign_header, to_notification};
use commerce_stripe::{
    Compatibility, SecretKey, StripeConfig, StripeGateway, WebhookSecret, WebhookVerifier,
};

const SECRET: &str = "whsec_test_5f2b8c1d9e7a4b3c2d1e0f9a8b7c6d5e";
const PAYLOAD: &str = r#"{"id":"evt_test_0001","object":"event","api_version":"2026-10-28.endive","created":1767225600,"data":{"object":{"id":"pi_test_0001","object":"payment_intent","amount":2000,"amount_received":2000,"currency":"usd","status":"succeeded","metadata":{"order_id":"42"}}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"payment_intent.succeeded"}"#;
const HEADER: &str = "t=1767225600,v1=fcbfc68008be418d532c87d9dcc380cdeb22463e4c8295dfe95ad5dc281f5f36";
const TWO_V1_AND_V0: &str = "t=1767225600,v1=1ba9ffbeeebf30f7773622c9e54270862115a830ec164aba27a95538a9005646,v1=fcbfc68008be418d532c87d9dcc380cdeb22463e4c8295dfe95ad5dc281f5f36,v0=14405dec3b2caccb34b663b1e086a96aec07cb6e2ec0db5e02f09dc2a48fef0f";
const V0_ONLY: &str = "t=1767225600,v0=fcbfc68008be418d532c87d9dcc380cdeb22463e4c8295dfe95ad5dc281f5f36";

/// (payload, header, now) -> `None` when valid, else the refusal's code.
fn check(payload: &str, header: &str, now: i64, expected: Option<&str>) {
    let verifier = WebhookVerifier::new(WebhookSecret::new(SECRET).unwrap());
    let now = DateTime::from_timestamp(now, 0).unwrap();
    let got = verifier.verify_at(payload.as_bytes(), header, now).err().map(|e| e.code());
    assert_eq!(got, expected, "header {header} at {now}");
}

#[test]
fn payments_md_vectors() {
    assert_eq!(PAYLOAD.len(), 381);
    let tampered = PAYLOAD.replace(r#""amount":2000"#, r#""amount":9000"#);
    assert_ne!(tampered, PAYLOAD);
    let table: &[(&str, &str, i64, Option<&str>)] = &[
        (PAYLOAD, HEADER, 1767225610, None),
        (PAYLOAD, TWO_V1_AND_V0, 1767225899, None),
        (&tampered, HEADER, 1767225610, Some("signature_mismatch")),
        (PAYLOAD, HEADER, 1767225901, Some("timestamp_outside_tolerance")),
        (PAYLOAD, V0_ONLY, 1767225610, Some("no_v1_signature")),
        // Exactly 300 s old still passes.
        (PAYLOAD, HEADER, 1767225900, None),
    ];
    for &(payload, header, now, expected) in table {
        check(payload, header, now, expected);
    }
    // Our signer reproduces the vector's signature.
    assert_eq!(sign_header(&WebhookSecret::new(SECRET).unwrap(), 1767225600, PAYLOAD.as_bytes()), HEADER);
}

fn gateway(now: i64) -> StripeGateway {
    let config = StripeConfig::new(SecretKey::new("sk_test_vectors").unwrap())
        .with_webhook_secret(WebhookSecret::new(SECRET).unwrap());
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(now, 0).unwrap()));
    StripeGateway::new(config).unwrap().with_clock(clock)
}

fn request<'a>(header_name: &str, header: &str, body: &'a [u8]) -> NotificationRequest<'a> {
    NotificationRequest { headers: BTreeMap::from([(header_name.to_owned(), header.to_owned())]), body }
}

#[test]
fn the_gateway_verifies_then_maps_the_vector() {
    let g = gateway(1767225610);
    let n = g.verify_notification(&request("stripe-signature", HEADER, PAYLOAD.as_bytes())).unwrap();
    assert_eq!((n.id.as_str(), n.reference.as_str(), n.payment_id), ("evt_test_0001", "pi_test_0001", None));
    assert_eq!(
        serde_json::to_string(&n.status).unwrap(),
        r#"{"state":"captured","amount":{"amount":"20.00","currency":"USD"}}"#
    );
    assert_eq!(n.occurred_at.timestamp(), 1767225600);
    // Header names are matched case-insensitively.
    assert!(g.verify_notification(&request("Stripe-Signature", HEADER, PAYLOAD.as_bytes())).is_ok());
    // Too late, tampered, missing header, no secret configured: refused.
    let late =
        gateway(1767225901).verify_notification(&request("stripe-signature", HEADER, PAYLOAD.as_bytes()));
    assert!(matches!(late, Err(GatewayError::InvalidNotification(_))));
    let tampered = PAYLOAD.replace("2000", "9000");
    assert!(g.verify_notification(&request("stripe-signature", HEADER, tampered.as_bytes())).is_err());
    assert!(g.verify_notification(&request("x-other", HEADER, PAYLOAD.as_bytes())).is_err());
    let no_secret =
        StripeGateway::new(StripeConfig::new(SecretKey::new("sk_test_vectors").unwrap())).unwrap();
    let err = no_secret.notification(&request("stripe-signature", HEADER, PAYLOAD.as_bytes())).unwrap_err();
    assert_eq!(err, commerce_stripe::Error::Webhook(WebhookError::MissingSecret));
}

const PAYMENT_ID: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

/// An event (type, object JSON) -> the notification's reference, whether it carries our payment
/// id, and its status as JSON; or the error code.
fn check_event(event_type: &str, object: &str, expected: Result<(&str, bool, &str), &str>) {
    let json = format!(
        r#"{{"id":"evt_1","object":"event","type":"{event_type}","created":1767225600,"livemode":false,"data":{{"object":{object}}}}}"#
    );
    let event = Event::from_slice(json.as_bytes()).unwrap();
    let got = to_notification(&event, Compatibility::Stripe);
    match (got, expected) {
        (Ok(n), Ok((reference, has_id, status))) => {
            assert_eq!(n.reference, reference, "{event_type}");
            assert_eq!(
                n.payment_id.map(|p| p.to_string()),
                has_id.then(|| PAYMENT_ID.to_owned()),
                "{event_type}"
            );
            assert_eq!(serde_json::to_string(&n.status).unwrap(), status, "{event_type}");
        }
        (Err(e), Err(code)) => assert_eq!(e.code(), code, "{event_type}: {e}"),
        (got, want) => panic!("{event_type}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn payment_events_map_to_notifications() {
    let pi = |status: &str, extra: &str| {
        format!(
            r#"{{"id":"pi_1","object":"payment_intent","amount":5000,"currency":"usd","status":"{status}",
                "metadata":{{"payment_id":"{PAYMENT_ID}","order_id":"o"}},"client_secret":"pi_1_secret"{extra}}}"#
        )
    };
    let usd = |a: &str| format!(r#"{{"amount":"{a}","currency":"USD"}}"#);
    /// (event type, object JSON, expected notification or error code).
    type Row<'a> = (&'a str, String, Result<(&'a str, bool, String), &'a str>);
    let table: Vec<Row> = vec![
        (
            "payment_intent.succeeded",
            pi("succeeded", r#","amount_received":5000"#),
            Ok(("pi_1", true, format!(r#"{{"state":"captured","amount":{}}}"#, usd("50.00")))),
        ),
        (
            "payment_intent.amount_capturable_updated",
            pi("requires_capture", r#","amount_capturable":5000"#),
            Ok(("pi_1", true, format!(r#"{{"state":"authorized","amount":{}}}"#, usd("50.00")))),
        ),
        (
            "payment_intent.requires_action",
            pi("requires_action", r#","next_action":{"type":"use_stripe_sdk"}"#),
            Ok(("pi_1", true, r#"{"state":"requires_action","action":{"type":"confirm_on_client","client_secret":"pi_1_secret"}}"#.into())),
        ),
        ("payment_intent.processing", pi("processing", ""), Ok(("pi_1", true, r#"{"state":"pending"}"#.into()))),
        ("payment_intent.created", pi("requires_payment_method", ""), Ok(("pi_1", true, r#"{"state":"pending"}"#.into()))),
        (
            "payment_intent.payment_failed",
            pi("requires_payment_method", r#","last_payment_error":{"code":"card_declined","decline_code":"stolen_card","message":"Your card was declined."}"#),
            Ok(("pi_1", true, r#"{"state":"failed","reason":"Your card was declined. (card_declined/stolen_card)"}"#.into())),
        ),
        ("payment_intent.canceled", pi("canceled", ""), Ok(("pi_1", true, r#"{"state":"voided"}"#.into()))),
        (
            "charge.succeeded",
            r#"{"id":"ch_1","amount":5000,"amount_captured":5000,"captured":true,"currency":"usd","payment_intent":"pi_1","metadata":{}}"#.into(),
            Ok(("pi_1", false, format!(r#"{{"state":"captured","amount":{}}}"#, usd("50.00")))),
        ),
        (
            "charge.succeeded",
            r#"{"id":"ch_1","amount":5000,"captured":false,"currency":"usd","payment_intent":"pi_1"}"#.into(),
            Ok(("pi_1", false, format!(r#"{{"state":"authorized","amount":{}}}"#, usd("50.00")))),
        ),
        (
            "charge.captured",
            r#"{"id":"ch_1","amount":5000,"amount_captured":3000,"captured":true,"currency":"usd","payment_intent":"pi_1"}"#.into(),
            Ok(("pi_1", false, format!(r#"{{"state":"captured","amount":{}}}"#, usd("30.00")))),
        ),
        (
            "charge.failed",
            r#"{"id":"ch_1","amount":5000,"currency":"usd","payment_intent":"pi_1","failure_code":"card_declined","failure_message":"Declined"}"#.into(),
            Ok(("pi_1", false, r#"{"state":"failed","reason":"Declined"}"#.into())),
        ),
        (
            "charge.refunded",
            r#"{"id":"ch_1","amount":5000,"amount_refunded":3000,"captured":true,"currency":"usd","payment_intent":"pi_1",
                "refunds":{"data":[{"id":"re_old","amount":1000,"currency":"usd","status":"succeeded","created":10,"payment_intent":"pi_1"},
                                   {"id":"re_new","amount":2000,"currency":"usd","status":"succeeded","created":20,"payment_intent":"pi_1"}]}}"#.into(),
            Ok(("pi_1", false, format!(r#"{{"state":"refund_succeeded","reference":"re_new","amount":{}}}"#, usd("20.00")))),
        ),
        (
            "charge.refunded",
            r#"{"id":"ch_1","amount":5000,"amount_refunded":3000,"captured":true,"currency":"usd","payment_intent":"pi_1"}"#.into(),
            Ok(("pi_1", false, r#"{"state":"pending"}"#.into())),
        ),
        (
            "refund.created",
            format!(r#"{{"id":"re_1","amount":1250,"currency":"usd","status":"succeeded","payment_intent":"pi_1","metadata":{{"payment_id":"{PAYMENT_ID}"}}}}"#),
            Ok(("pi_1", true, format!(r#"{{"state":"refund_succeeded","reference":"re_1","amount":{}}}"#, usd("12.50")))),
        ),
        (
            "refund.updated",
            r#"{"id":"re_1","amount":1250,"currency":"usd","status":"pending","payment_intent":"pi_1"}"#.into(),
            Ok(("pi_1", false, r#"{"state":"pending"}"#.into())),
        ),
        (
            "refund.failed",
            r#"{"id":"re_1","amount":1250,"currency":"usd","status":"failed","payment_intent":"pi_1"}"#.into(),
            Ok(("pi_1", false, r#"{"state":"refund_failed","reference":"re_1"}"#.into())),
        ),
        (
            "refund.created",
            r#"{"id":"re_1","amount":1250,"currency":"jpy","status":"succeeded","payment_intent":"pi_1","metadata":{"payment_id":"not-a-uuid"}}"#.into(),
            Ok(("pi_1", false, r#"{"state":"refund_succeeded","reference":"re_1","amount":{"amount":"1250","currency":"JPY"}}"#.into())),
        ),
        ("refund.created", r#"{"id":"re_1","amount":1,"currency":"usd","status":"succeeded"}"#.into(), Err("unhandled_event")),
        ("charge.succeeded", r#"{"id":"ch_1","amount":1,"currency":"usd","captured":true}"#.into(), Err("unhandled_event")),
        ("customer.created", r#"{"id":"cus_1"}"#.into(), Err("unhandled_event")),
        ("charge.dispute.created", r#"{"id":"dp_1"}"#.into(), Err("unhandled_event")),
        ("payment_intent.succeeded", r#"{"id":"pi_1"}"#.into(), Err("invalid_event")),
        (
            "payment_intent.succeeded",
            r#"{"id":"pi_1","amount":5000,"amount_received":5000,"currency":"zzz","status":"succeeded"}"#.into(),
            Err("invalid_event"),
        ),
    ];
    for (event_type, object, expected) in &table {
        let expected = expected.as_ref().map(|(r, id, s)| (*r, *id, s.as_str())).map_err(|e| *e);
        check_event(event_type, object, expected);
    }
}
