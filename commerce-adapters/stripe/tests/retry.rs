//! Retries and idempotency against a tiny local stub of Stripe: which answers are retried, how
//! many requests go out, and that every retry carries the same `Idempotency-Key`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use commerce_core::ids::{OrderId, PaymentId};
use commerce_core::ports::{CaptureMode, CapturePayment, GatewayError, PaymentGateway, StartPayment};
use commerce_core::{Currency, Money};
use commerce_stripe::intents::CreatePaymentIntent;
use commerce_stripe::{
    Error, IdempotencyKey, RetryPolicy, SecretKey, StripeClient, StripeConfig, StripeGateway,
};
use common::stub::{Reply, err, ok, stub};
use rust_decimal_macros::dec;

fn config(url: &str) -> StripeConfig {
    StripeConfig::new(SecretKey::new("sk_test_stub").unwrap())
        .with_base_url(url)
        .unwrap()
        .with_retry(RetryPolicy::new(3, Duration::from_millis(1), Duration::from_millis(5)))
        .with_timeout(Duration::from_millis(400))
}

fn params() -> CreatePaymentIntent {
    CreatePaymentIntent::new(Money::new(dec!(10.50), Currency::USD)).metadata("payment_id", "p1")
}

/// Runs one create through `script`; checks the number of requests, that they all carried the
/// same key, and the outcome.
async fn check(script: Vec<Reply>, requests: usize, outcome: fn(&Result<String, Error>) -> bool) {
    let (url, stub) = stub(script).await;
    let client = StripeClient::new(config(&url)).unwrap();
    let key = IdempotencyKey::derive("pi-create", "op-1");
    let got = client.create_payment_intent(&params(), &key).await.map(|pi| pi.id);
    let seen = stub.seen.lock().unwrap().clone();
    assert!(outcome(&got), "unexpected outcome {got:?} after {seen:?}");
    assert_eq!(seen.len(), requests, "{seen:?}");
    for s in &seen {
        assert_eq!(s.key.as_deref(), Some("commerce-pi-create-op-1"));
        assert_eq!(s.method, Method::POST);
        assert_eq!(s.body, seen[0].body, "every retry sends the same request");
    }
}

#[tokio::test]
async fn what_is_retried_and_how_often() {
    // Stripe-Should-Retry wins in both directions.
    check(vec![err(400, Some("true")), ok()], 2, |r| r.as_deref() == Ok("pi_1")).await;
    check(vec![err(500, Some("false"))], 1, |r| {
        matches!(r, Err(Error::Unavailable { status: Some(500), .. }))
    })
    .await;
    check(vec![err(429, Some("true")), err(429, Some("true")), ok()], 3, |r| r.is_ok()).await;
    // Without the header: 409 and 5xx are retried, other 4xx are not.
    check(vec![err(409, None), err(409, None), ok()], 3, |r| r.is_ok()).await;
    check(vec![err(500, None), err(502, None), err(503, None), err(500, None)], 4, |r| {
        matches!(r, Err(Error::Unavailable { status: Some(500), .. }))
    })
    .await;
    check(vec![err(409, None); 4], 4, |r| matches!(r, Err(Error::Conflict { .. }))).await;
    check(vec![err(400, None)], 1, |r| matches!(r, Err(Error::InvalidRequest { .. }))).await;
    check(vec![err(429, None)], 1, |r| matches!(r, Err(Error::RateLimited { .. }))).await;
    check(vec![err(404, None)], 1, |r| matches!(r, Err(Error::NotFound { .. }))).await;
    check(
        vec![Reply { body: r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"fraudulent","message":"no"}}"#, ..err(402, None) }],
        1,
        |r| matches!(r, Err(Error::CardDeclined { decline_code: Some(d), .. }) if d == "fraudulent"),
    )
    .await;
    // A response slower than the timeout is retried with the same key.
    check(vec![Reply { delay: Duration::from_millis(1500), ..ok() }, ok()], 2, |r| r.is_ok()).await;
    // A 200 that is not JSON is not retried (the request went through).
    check(vec![Reply { body: "<html>", ..ok() }], 1, |r| matches!(r, Err(Error::UnexpectedResponse(_))))
        .await;
}

#[tokio::test]
async fn connection_errors_are_retried_with_the_same_key() {
    // A server that accepts connections and hangs up at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(0_usize));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            *counter.lock().unwrap() += 1;
            drop(socket);
        }
    });
    let client = StripeClient::new(config(&url)).unwrap();
    let got = client.create_payment_intent(&params(), &IdempotencyKey::derive("pi-create", "op-2")).await;
    assert!(matches!(got, Err(Error::Unavailable { status: None, .. })), "{got:?}");
    assert_eq!(*accepted.lock().unwrap(), 4, "one try and three retries");
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let (url, stub) = stub(vec![err(500, None), ok()]).await;
    let client = StripeClient::new(config(&url).with_retry(RetryPolicy::none())).unwrap();
    let got = client.create_payment_intent(&params(), &IdempotencyKey::derive("pi-create", "x")).await;
    assert!(matches!(got, Err(Error::Unavailable { .. })));
    assert_eq!(stub.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_gateway_derives_one_key_per_operation_from_the_engines_keys() {
    let authorized = r#"{"id":"pi_1","amount":1050,"currency":"usd","status":"requires_capture","amount_capturable":1050,"client_secret":"cs"}"#;
    let (url, stub) = stub(vec![Reply { body: authorized, ..ok() }, err(500, None), ok()]).await;
    let gateway = StripeGateway::new(config(&url)).unwrap();
    let payment_id = PaymentId::from_uuid(uuid::Uuid::from_u128(7));
    let order_id = OrderId::from_uuid(uuid::Uuid::from_u128(8));
    let start = StartPayment {
        payment_id,
        order_id,
        order_number: "A-1001".into(),
        amount: Money::new(dec!(10.50), Currency::USD),
        capture: CaptureMode::Manual,
        payment_method: Some("pm_card_visa".into()),
        expires_at: None,
        email: Some("buyer@example.com".into()),
        idempotency_key: "engine-start-7".into(),
        metadata: Default::default(),
    };
    let started = gateway.start(start).await.unwrap();
    assert_eq!(started.reference, "pi_1");
    assert_eq!(serde_json::to_value(&started.status).unwrap()["state"], "authorized");
    let capture = CapturePayment {
        payment_id,
        reference: "pi_1".into(),
        amount: Money::new(dec!(10.50), Currency::USD),
        idempotency_key: "engine-capture-7".into(),
    };
    let captured = gateway.capture(capture.clone()).await.unwrap();
    assert_eq!(serde_json::to_value(&captured.status).unwrap()["state"], "captured");
    // 503 every time: the port sees Unavailable.
    stub.script.lock().unwrap().extend(vec![err(503, None); 4]);
    assert!(matches!(gateway.capture(capture).await, Err(GatewayError::Unavailable(_))));

    let seen = stub.seen.lock().unwrap().clone();
    let keys: Vec<_> = seen.iter().map(|s| s.key.clone().unwrap_or_default()).collect();
    assert_eq!(keys[0], "commerce-pi-create-engine-start-7");
    assert!(keys[1..].iter().all(|k| k == "commerce-pi-capture-engine-capture-7"), "{keys:?}");
    assert_eq!(seen.len(), 1 + 2 + 4, "create, capture with one retry, capture with three retries");
    assert_eq!(seen[1].path, "/v1/payment_intents/pi_1/capture");
    // The create carried our ids, the amount in cents and a server-side confirmation.
    let body = &seen[0].body;
    for part in [
        "amount=1050",
        "currency=usd",
        "capture_method=manual",
        "payment_method=pm_card_visa",
        "confirm=true",
        "automatic_payment_methods%5Benabled%5D=true",
        // Confirmed on the server with no return URL configured: no redirect-based methods.
        "automatic_payment_methods%5Ballow_redirects%5D=never",
        "description=Order+A-1001",
        "receipt_email=buyer%40example.com",
        "metadata%5Bpayment_id%5D=00000000-0000-0000-0000-000000000007",
        "metadata%5Border_id%5D=00000000-0000-0000-0000-000000000008",
        "metadata%5Border_number%5D=A-1001",
        "expand%5B%5D=latest_charge",
    ] {
        assert!(body.split('&').any(|p| p == part), "{part} missing from {body}");
    }
    assert!(seen[1].body.split('&').any(|p| p == "amount_to_capture=1050"), "{}", seen[1].body);
}

#[tokio::test]
async fn gets_carry_no_idempotency_key_and_bad_ids_never_leave() {
    let (url, stub) = stub(vec![ok()]).await;
    let client = StripeClient::new(config(&url)).unwrap();
    assert_eq!(client.retrieve_payment_intent("pi_1").await.unwrap().id, "pi_1");
    assert!(matches!(
        client.retrieve_payment_intent("pi_1/../../x").await,
        Err(Error::InvalidRequest { .. })
    ));
    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].method.clone(), seen[0].key.clone()), (Method::GET, None));
    assert_eq!(seen[0].path, "/v1/payment_intents/pi_1?expand%5B%5D=latest_charge");
}
