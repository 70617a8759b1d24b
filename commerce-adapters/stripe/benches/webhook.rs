//! Webhook handling per event: signature verification, event parsing and mapping to the engine's
//! notification. Run with `cargo bench -p commerce-stripe --bench webhook`.

use std::hint::black_box;

use chrono::DateTime;
use commerce_stripe::webhook::{Event, parse_header, sign_header, to_notification};
use commerce_stripe::{Compatibility, WebhookSecret, WebhookVerifier};
use criterion::{Criterion, criterion_group, criterion_main};

/// The 381-byte event of payments.md.
const SMALL: &str = r#"{"id":"evt_test_0001","object":"event","api_version":"2026-10-28.endive","created":1767225600,"data":{"object":{"id":"pi_test_0001","object":"payment_intent","amount":2000,"amount_received":2000,"currency":"usd","status":"succeeded","metadata":{"order_id":"42"}}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"payment_intent.succeeded"}"#;

/// A realistic `payment_intent.succeeded` (about 2 KB) with an expanded charge and Khmer text.
fn large_event() -> String {
    let charge = serde_json::json!({
        "id": "ch_3PqExampleCharge0001", "object": "charge", "amount": 125_900, "amount_captured": 125_900,
        "amount_refunded": 0, "captured": true, "currency": "usd", "status": "succeeded", "paid": true,
        "payment_intent": "pi_3PqExampleIntent0001", "payment_method": "pm_1PqExampleMethod0001",
        "billing_details": {"address": {"city": "Phnom Penh", "country": "KH", "line1": "No. 12, Street 240",
            "line2": null, "postal_code": "12207", "state": null}, "email": "buyer@example.com",
            "name": "Sok Dara", "phone": "+85512345678"},
        "outcome": {"network_status": "approved_by_network", "reason": null, "risk_level": "normal",
            "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"},
        "payment_method_details": {"card": {"brand": "visa", "checks": {"address_line1_check": "pass",
            "address_postal_code_check": "pass", "cvc_check": "pass"}, "country": "US", "exp_month": 12,
            "exp_year": 2030, "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit", "last4": "4242",
            "network": "visa", "three_d_secure": null}, "type": "card"},
        "receipt_url": "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xTTJKVGtMa2RJd0h1N2l4KL",
        "metadata": {"payment_id": "67e55044-10b1-426f-9247-bb680e5fe0c8", "order_id": "0d9f2c1e-6f1a-4b8e-9d2a-3c4b5a6d7e8f", "order_number": "A-10042"},
    });
    serde_json::json!({
        "id": "evt_3PqExampleEvent0001", "object": "event", "api_version": "2026-10-28.endive", "created": 1767225600,
        "data": {"object": {
            "id": "pi_3PqExampleIntent0001", "object": "payment_intent", "amount": 125_900, "amount_capturable": 0,
            "amount_received": 125_900, "capture_method": "automatic", "client_secret": "pi_3PqExampleIntent0001_secret_abc",
            "confirmation_method": "automatic", "currency": "usd", "description": "Order A-10042",
            "latest_charge": charge, "livemode": false,
            "metadata": {"payment_id": "67e55044-10b1-426f-9247-bb680e5fe0c8", "order_id": "0d9f2c1e-6f1a-4b8e-9d2a-3c4b5a6d7e8f", "order_number": "A-10042"},
            "payment_method_types": ["card"], "status": "succeeded",
            "shipping": {"address": {"city": "Siem Reap", "country": "KH", "line1": "ផ្លូវ ៦០", "postal_code": "17252"}, "name": "សុខ ដារ៉ា"}
        }},
        "livemode": false, "pending_webhooks": 2, "request": {"id": "req_ExampleRequest01", "idempotency_key": "commerce-pi-create-x"},
        "type": "payment_intent.succeeded"
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let secret = WebhookSecret::new("whsec_test_5f2b8c1d9e7a4b3c2d1e0f9a8b7c6d5e").expect("secret");
    let verifier = WebhookVerifier::new(secret.clone());
    let now = DateTime::from_timestamp(1767225610, 0).expect("now");
    let large = large_event();
    for (name, body) in
        [("small_381B", SMALL.to_owned()), (&*format!("large_{}B", large.len()), large.clone())]
    {
        let header = sign_header(&secret, 1767225600, body.as_bytes());
        c.bench_function(&format!("verify_signature/{name}"), |b| {
            b.iter(|| verifier.verify_at(black_box(body.as_bytes()), black_box(&header), now).expect("valid"))
        });
        c.bench_function(&format!("verify_parse_map/{name}"), |b| {
            b.iter(|| {
                let event = verifier
                    .construct_event_at(black_box(body.as_bytes()), black_box(&header), now)
                    .expect("valid");
                to_notification(&event, Compatibility::Stripe).expect("maps")
            })
        });
        c.bench_function(&format!("parse_map_only/{name}"), |b| {
            b.iter(|| {
                to_notification(
                    &Event::from_slice(black_box(body.as_bytes())).expect("event"),
                    Compatibility::Stripe,
                )
            })
        });
    }
    let header = "t=1767225600,v1=1ba9ffbeeebf30f7773622c9e54270862115a830ec164aba27a95538a9005646,v1=fcbfc68008be418d532c87d9dcc380cdeb22463e4c8295dfe95ad5dc281f5f36,v0=14405dec3b2caccb34b663b1e086a96aec07cb6e2ec0db5e02f09dc2a48fef0f";
    c.bench_function("parse_header/two_v1_one_v0", |b| {
        b.iter(|| parse_header(black_box(header)).expect("parses"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
