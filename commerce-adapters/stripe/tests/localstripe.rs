//! Integration against localstripe (`COMMERCE_TEST_STRIPE_URL`, default `http://127.0.0.1:8420`),
//! started by `.ci/setup-stripe.sh`. Every test makes its own intents, so they run in parallel.
//! Unreachable localstripe: `SKIPPED:`, or a failure with `COMMERCE_REQUIRE_SERVICES=1`.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use commerce_core::ids::{OrderId, PaymentId, RefundId};
use commerce_core::payment::{GatewayStatus, PaymentAction};
use commerce_core::ports::{
    CaptureMode, CapturePayment, GatewayError, NotificationRequest, PaymentGateway, RefundPayment,
    StartPayment,
};
use commerce_core::{Currency, Money};
use commerce_stripe::refunds::CreateRefund;
use commerce_stripe::{
    Compatibility, Error, IdempotencyKey, RetryPolicy, SecretKey, StripeConfig, StripeGateway, WebhookSecret,
};
use uuid::Uuid;

const KEY: &str = "sk_test_commerce_localstripe";

/// The gateway on localstripe, or a skip.
macro_rules! localstripe {
    () => {{
        let url = common::localstripe_url();
        if !common::answers(&url).await {
            skip!("localstripe not reachable at {url} (run .ci/setup-stripe.sh)");
        }
        let secret = format!("whsec_{}", Uuid::new_v4().simple());
        let config = StripeConfig::new(SecretKey::new(KEY).unwrap())
            .with_base_url(&url)
            .unwrap()
            .with_compatibility(Compatibility::Localstripe)
            .with_retry(RetryPolicy::new(2, Duration::from_millis(50), Duration::from_millis(200)))
            .with_webhook_secret(WebhookSecret::new(secret.clone()).unwrap());
        (StripeGateway::new(config).unwrap(), url, secret)
    }};
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn start(amount: Money, capture: CaptureMode, payment_method: Option<&str>) -> StartPayment {
    let payment_id = PaymentId::from_uuid(Uuid::new_v4());
    StartPayment {
        payment_id,
        order_id: OrderId::from_uuid(Uuid::new_v4()),
        order_number: format!("T-{}", &payment_id.to_string()[..8]),
        amount,
        capture,
        payment_method: payment_method.map(str::to_owned),
        expires_at: None,
        email: None,
        idempotency_key: format!("start-{payment_id}"),
        metadata: BTreeMap::from([("host_note".to_owned(), "integration test".to_owned())]),
    }
}

fn captured(amount: &str) -> GatewayStatus {
    GatewayStatus::Captured { amount: usd(amount) }
}

/// Creates a card payment method on localstripe (a test helper; hosts get `pm_` ids from Stripe.js).
async fn card(url: &str, number: &str) -> String {
    let form = [
        ("type", "card"),
        ("card[number]", number),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2030"),
        ("card[cvc]", "123"),
    ];
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/payment_methods"))
        .bearer_auth(KEY)
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap_or_else(|| panic!("no payment method: {body}")).to_owned()
}

#[tokio::test]
async fn automatic_capture() {
    let (gateway, _, _) = localstripe!();
    let request = start(usd("20.00"), CaptureMode::Automatic, Some("pm_card_visa"));
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert!(started.reference.starts_with("pi_"));
    assert_eq!(started.status, captured("20.00"));
    // The status path (what the engine asks after a client confirmation) agrees.
    let fetched = gateway.fetch_status(payment_id, &started.reference).await.unwrap();
    assert_eq!(fetched, started);
    // The intent carries our ids back.
    let intent = gateway.client().retrieve_payment_intent(&started.reference).await.unwrap();
    assert_eq!(intent.metadata.get("payment_id"), Some(&payment_id.to_string()));
    assert_eq!(intent.metadata.get("host_note").map(String::as_str), Some("integration test"));
    // Asking about it as another payment is refused.
    let other = PaymentId::from_uuid(Uuid::new_v4());
    assert!(matches!(
        gateway.fetch_status(other, &started.reference).await,
        Err(GatewayError::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn manual_capture_then_partial_capture() {
    let (gateway, _, _) = localstripe!();
    let request = start(usd("50.00"), CaptureMode::Manual, Some("pm_card_visa"));
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert_eq!(started.status, GatewayStatus::Authorized { amount: usd("50.00") });
    let capture = CapturePayment {
        payment_id,
        reference: started.reference.clone(),
        amount: usd("30.00"),
        idempotency_key: format!("capture-{payment_id}"),
    };
    let done = gateway.capture(capture).await.unwrap();
    assert_eq!(done.status, captured("30.00"));
    assert_eq!(gateway.fetch_status(payment_id, &started.reference).await.unwrap().status, captured("30.00"));
    let balance = gateway.client().refund_balance(&started.reference).await.unwrap();
    assert_eq!((balance.captured, balance.refundable), (usd("30.00"), usd("30.00")));
    // More than the partial capture cannot be refunded.
    let over = CreateRefund::new(started.reference.clone()).amount(usd("30.01"));
    let err =
        gateway.client().create_refund(&over, &IdempotencyKey::derive("refund", "over")).await.unwrap_err();
    assert!(matches!(err, Error::RefundExceedsCaptured { .. }), "{err:?}");
}

#[tokio::test]
async fn cancel_releases_the_authorization_and_twice_is_fine() {
    let (gateway, _, _) = localstripe!();
    let request = start(usd("15.00"), CaptureMode::Manual, Some("pm_card_visa"));
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert!(matches!(started.status, GatewayStatus::Authorized { .. }));
    assert_eq!(gateway.void(payment_id, &started.reference).await.unwrap().status, GatewayStatus::Voided);
    assert_eq!(gateway.void(payment_id, &started.reference).await.unwrap().status, GatewayStatus::Voided);
    assert_eq!(
        gateway.fetch_status(payment_id, &started.reference).await.unwrap().status,
        GatewayStatus::Voided
    );
}

#[tokio::test]
async fn partial_and_full_refunds_never_beyond_the_capture() {
    let (gateway, _, _) = localstripe!();
    let request = start(usd("100.00"), CaptureMode::Automatic, Some("pm_card_visa"));
    let payment_id = request.payment_id;
    let reference = gateway.start(request).await.unwrap().reference;
    let refund = |amount: &str, refund_id: RefundId| RefundPayment {
        payment_id,
        refund_id,
        reference: reference.clone(),
        amount: usd(amount),
        idempotency_key: format!("refund-{refund_id}"),
    };
    let ids: Vec<RefundId> = (0..4).map(|_| RefundId::from_uuid(Uuid::new_v4())).collect();
    let first = gateway.refund(refund("30.00", ids[0])).await.unwrap();
    assert!(first.succeeded && first.reference.starts_with("re_"));
    assert!(gateway.refund(refund("50.00", ids[1])).await.unwrap().succeeded);
    // 30 more would exceed the 20 left: refused before calling Stripe (localstripe would accept it).
    let refused = gateway.refund(refund("30.00", ids[2])).await.unwrap_err();
    assert!(matches!(&refused, GatewayError::InvalidRequest(m) if m.contains("exceeds")), "{refused:?}");
    assert_eq!(gateway.client().list_refunds(&reference).await.unwrap().len(), 2);
    // The engine retrying the first refund (same refund id) does not refund twice.
    let again = gateway.refund(refund("30.00", ids[0])).await.unwrap();
    assert_eq!(again.reference, first.reference);
    assert_eq!(gateway.client().list_refunds(&reference).await.unwrap().len(), 2);
    // The rest, exactly.
    assert!(gateway.refund(refund("20.00", ids[3])).await.unwrap().succeeded);
    let balance = gateway.client().refund_balance(&reference).await.unwrap();
    assert_eq!(
        (balance.captured, balance.refunded, balance.refundable),
        (usd("100.00"), usd("100.00"), usd("0.00"))
    );
    assert!(!balance.is_over_refunded());
    // Nothing is left: even a cent is refused.
    let key = IdempotencyKey::derive("refund", &Uuid::new_v4().to_string());
    let cent = CreateRefund::new(reference.clone()).amount(usd("0.01"));
    assert!(matches!(
        gateway.client().create_refund(&cent, &key).await,
        Err(Error::RefundExceedsCaptured { .. })
    ));
}

#[tokio::test]
async fn a_declined_card_is_a_typed_decline_with_its_code() {
    let (gateway, url, _) = localstripe!();
    let pm = card(&url, "4000000000000341").await;
    let err = gateway.start(start(usd("12.00"), CaptureMode::Automatic, Some(&pm))).await.unwrap_err();
    match err {
        GatewayError::Declined { code, message, .. } => {
            assert_eq!(code.as_deref(), Some("card_declined"));
            assert!(!message.is_empty());
        }
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test]
async fn three_d_secure_then_authenticated() {
    let (gateway, url, _) = localstripe!();
    let pm = card(&url, "4000002500003155").await;
    let request = start(usd("42.00"), CaptureMode::Automatic, Some(&pm));
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    let GatewayStatus::RequiresAction { action: PaymentAction::ConfirmOnClient { client_secret } } =
        started.status
    else {
        panic!("expected 3-D Secure, got {:?}", started.status);
    };
    assert!(client_secret.starts_with(&started.reference));
    // What Stripe.js does after the buyer passes the challenge (localstripe's own route).
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/payment_intents/{}/_authenticate?success=true", started.reference))
        .bearer_auth(KEY)
        .form(&[("client_secret", client_secret.as_str())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.text().await);
    assert_eq!(gateway.fetch_status(payment_id, &started.reference).await.unwrap().status, captured("42.00"));
}

#[tokio::test]
async fn front_end_confirmation_then_fetch_status() {
    let (gateway, url, _) = localstripe!();
    let request = start(usd("9.99"), CaptureMode::Automatic, None);
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert!(matches!(
        started.status,
        GatewayStatus::RequiresAction { action: PaymentAction::ConfirmOnClient { .. } }
    ));
    assert_eq!(gateway.fetch_status(payment_id, &started.reference).await.unwrap(), started);
    // The front end attaches a card and confirms (simulated: attach, then confirm without params).
    let attach = reqwest::Client::new()
        .post(format!("{url}/v1/payment_intents/{}", started.reference))
        .bearer_auth(KEY)
        .form(&[("payment_method", "pm_card_visa")])
        .send()
        .await
        .unwrap();
    assert!(attach.status().is_success());
    let key = IdempotencyKey::derive("confirm", &payment_id.to_string());
    gateway.client().confirm_payment_intent(&started.reference, None, &key).await.unwrap();
    // The host asks the engine to complete; the engine asks the gateway.
    assert_eq!(gateway.fetch_status(payment_id, &started.reference).await.unwrap().status, captured("9.99"));
}

type Deliveries = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receive(State(seen): State<Deliveries>, headers: HeaderMap, body: Bytes) -> &'static str {
    seen.lock().unwrap().push((headers, body));
    "ok"
}

#[tokio::test]
async fn localstripe_webhooks_verify_and_map() {
    let (gateway, url, secret) = localstripe!();
    let seen: Deliveries = Arc::default();
    // A path of our own: registrations left by earlier runs (localstripe keeps them) may point at
    // this port with another secret; they hit a 404 instead of this receiver.
    let path = format!("/stripe/webhook/{}", Uuid::new_v4().simple());
    let app = Router::new().route(&path, post(receive)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}{path}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let registered = reqwest::Client::new()
        .post(format!("{url}/_config/webhooks/commerce-test-{}", Uuid::new_v4().simple()))
        .form(&[("url", hook_url.as_str()), ("secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success());

    let paid = start(usd("31.50"), CaptureMode::Automatic, Some("pm_card_visa"));
    let paid_id = paid.payment_id;
    let paid_ref = gateway.start(paid).await.unwrap().reference;
    let declined_pm = card(&url, "4000000000000341").await;
    let failed = start(usd("5.00"), CaptureMode::Automatic, Some(&declined_pm));
    let failed_id = failed.payment_id;
    assert!(gateway.start(failed).await.is_err());

    // Deliveries arrive about a second later; other tests' events arrive too (and are ignored).
    let mut found = BTreeMap::new();
    for _ in 0..100 {
        for (headers, body) in seen.lock().unwrap().iter() {
            let headers: BTreeMap<String, String> = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect();
            let request = NotificationRequest { headers, body };
            let n = gateway.verify_notification(&request).expect("localstripe signs with our secret");
            if n.payment_id == Some(paid_id) || n.payment_id == Some(failed_id) {
                found.insert(n.payment_id, n);
            }
        }
        if found.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let paid_n = found.get(&Some(paid_id)).expect("payment_intent.succeeded delivered");
    assert_eq!(paid_n.reference, paid_ref);
    assert_eq!(paid_n.status, captured("31.50"));
    assert!(paid_n.id.starts_with("evt_"));
    // The webhook path and the status path say the same.
    assert_eq!(gateway.fetch_status(paid_id, &paid_ref).await.unwrap().status, paid_n.status);
    let failed_n = found.get(&Some(failed_id)).expect("payment_intent.payment_failed delivered");
    assert!(
        matches!(&failed_n.status, GatewayStatus::Failed { reason } if reason.contains("declined")),
        "{failed_n:?}"
    );
    // A delivery with its body altered is refused.
    let (headers, body) = seen.lock().unwrap()[0].clone();
    let mut altered = body.to_vec();
    altered.push(b' ');
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let request = NotificationRequest { headers, body: &altered };
    assert!(matches!(gateway.verify_notification(&request), Err(GatewayError::InvalidNotification(_))));
}
