//! Refund checks against the scripted stub: over-refunds are refused before any POST, a retried
//! refund is found by `metadata[refund_id]` instead of being made twice, failed and pending
//! refunds are reported as such, and lists are read page by page.

mod common;

use std::time::Duration;

use axum::http::Method;
use commerce_core::ids::{PaymentId, RefundId};
use commerce_core::ports::{GatewayError, PaymentGateway, RefundPayment};
use commerce_core::{Currency, Money};
use commerce_stripe::refunds::{CreateRefund, RefundReason};
use commerce_stripe::{
    Error, IdempotencyKey, RetryPolicy, SecretKey, StripeClient, StripeConfig, StripeGateway,
};
use common::stub::{Reply, ok, stub};
use rust_decimal_macros::dec;

const CAPTURED_10_50: &str =
    r#"{"id":"pi_1","amount":1050,"currency":"usd","status":"succeeded","amount_received":1050}"#;
const ONE_REFUND_10_00: &str = r#"{"object":"list","has_more":false,"data":[
    {"id":"re_1","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1","metadata":{"refund_id":"r-1"}}]}"#;
const NO_REFUNDS: &str = r#"{"object":"list","has_more":false,"data":[]}"#;

fn body(body: &'static str) -> Reply {
    Reply { body, ..ok() }
}

fn config(url: &str) -> StripeConfig {
    StripeConfig::new(SecretKey::new("sk_test_stub").unwrap())
        .with_base_url(url)
        .unwrap()
        .with_retry(RetryPolicy::new(1, Duration::from_millis(1), Duration::from_millis(2)))
}

fn usd(a: rust_decimal::Decimal) -> Money {
    Money::new(a, Currency::USD)
}

#[tokio::test]
async fn an_over_refund_is_refused_before_calling_stripe() {
    let (url, stub) = stub(vec![body(CAPTURED_10_50), body(ONE_REFUND_10_00)]).await;
    let client = StripeClient::new(config(&url)).unwrap();
    let params = CreateRefund::new("pi_1").amount(usd(dec!(0.51)));
    let err = client.create_refund(&params, &IdempotencyKey::derive("refund", "r-2")).await.unwrap_err();
    assert_eq!(err, Error::RefundExceedsCaptured { requested: usd(dec!(0.51)), refundable: usd(dec!(0.50)) });
    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|s| s.method.clone()).collect::<Vec<_>>(), [Method::GET, Method::GET]);
    assert_eq!(seen[1].path, "/v1/refunds?payment_intent=pi_1&limit=100");
}

#[tokio::test]
async fn a_retried_refund_is_found_not_repeated() {
    let (url, stub) = stub(vec![body(CAPTURED_10_50), body(ONE_REFUND_10_00)]).await;
    let client = StripeClient::new(config(&url)).unwrap();
    let params = CreateRefund::new("pi_1").amount(usd(dec!(10.00))).metadata("refund_id", "r-1");
    let receipt = client.create_refund(&params, &IdempotencyKey::derive("refund", "r-1")).await.unwrap();
    assert!(receipt.replayed);
    assert_eq!((receipt.refund.id.as_str(), receipt.amount), ("re_1", usd(dec!(10.00))));
    assert!(stub.seen.lock().unwrap().iter().all(|s| s.method == Method::GET));
}

#[tokio::test]
async fn a_refund_sends_what_stripe_needs_and_reconciles() {
    let made = r#"{"id":"re_2","amount":50,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}"#;
    let after = r#"{"object":"list","has_more":false,"data":[
        {"id":"re_2","amount":50,"currency":"usd","status":"succeeded","payment_intent":"pi_1"},
        {"id":"re_1","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}]}"#;
    let (url, stub) = stub(vec![
        body(CAPTURED_10_50),
        body(ONE_REFUND_10_00),
        body(made),
        body(CAPTURED_10_50),
        body(after),
    ])
    .await;
    let client = StripeClient::new(config(&url)).unwrap();
    let params =
        CreateRefund::new("pi_1").reason(RefundReason::RequestedByCustomer).metadata("refund_id", "r-2");
    // No amount: everything still refundable.
    let receipt = client.create_refund(&params, &IdempotencyKey::derive("refund", "r-2")).await.unwrap();
    assert!(!receipt.replayed);
    assert_eq!(receipt.amount, usd(dec!(0.50)));
    assert_eq!((receipt.balance.refunded, receipt.balance.refundable), (usd(dec!(10.50)), usd(dec!(0))));
    let seen = stub.seen.lock().unwrap().clone();
    let post = &seen[2];
    assert_eq!((post.method.clone(), post.path.as_str()), (Method::POST, "/v1/refunds"));
    assert_eq!(post.key.as_deref(), Some("commerce-refund-r-2"));
    assert_eq!(
        post.body,
        "payment_intent=pi_1&amount=50&reason=requested_by_customer&metadata%5Brefund_id%5D=r-2"
    );
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn more_refunded_than_captured_is_flagged() {
    let made = r#"{"id":"re_2","amount":50,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}"#;
    let after = r#"{"object":"list","has_more":false,"data":[
        {"id":"re_2","amount":50,"currency":"usd","status":"succeeded","payment_intent":"pi_1"},
        {"id":"re_x","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1"},
        {"id":"re_1","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}]}"#;
    let (url, _stub) = stub(vec![
        body(CAPTURED_10_50),
        body(ONE_REFUND_10_00),
        body(made),
        body(CAPTURED_10_50),
        body(after),
    ])
    .await;
    let client = StripeClient::new(config(&url)).unwrap();
    let params = CreateRefund::new("pi_1").amount(usd(dec!(0.50)));
    let receipt = client.create_refund(&params, &IdempotencyKey::derive("refund", "r-3")).await.unwrap();
    assert!(receipt.balance.is_over_refunded());
    assert_eq!(receipt.balance.refundable, usd(dec!(0)));
}

fn refund_request() -> RefundPayment {
    RefundPayment {
        payment_id: PaymentId::from_uuid(uuid::Uuid::from_u128(1)),
        refund_id: RefundId::from_uuid(uuid::Uuid::from_u128(2)),
        reference: "pi_1".into(),
        amount: usd(dec!(0.50)),
        idempotency_key: "k".into(),
    }
}

#[tokio::test]
async fn failed_and_pending_refunds_reach_the_port_as_such() {
    for (refund, expected) in [
        (
            r#"{"id":"re_2","amount":50,"currency":"usd","status":"failed","failure_reason":"expired_or_canceled_card","payment_intent":"pi_1"}"#,
            Err("re_2"),
        ),
        (
            r#"{"id":"re_3","amount":50,"currency":"usd","status":"pending","payment_intent":"pi_1"}"#,
            Ok(false),
        ),
        (
            r#"{"id":"re_4","amount":50,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}"#,
            Ok(true),
        ),
    ] {
        let (url, stub) = stub(vec![
            body(CAPTURED_10_50),
            body(NO_REFUNDS),
            body(refund),
            body(CAPTURED_10_50),
            body(NO_REFUNDS),
        ])
        .await;
        let gateway = StripeGateway::new(config(&url)).unwrap();
        let got = gateway.refund(refund_request()).await;
        match (got, expected) {
            (Ok(r), Ok(succeeded)) => assert_eq!(r.succeeded, succeeded, "{refund}"),
            (Err(GatewayError::Provider(m)), Err(id)) => {
                assert!(m.contains(id) && m.contains("failed"), "{m}")
            }
            (got, want) => panic!("{refund}: got {got:?}, want {want:?}"),
        }
        let post = stub.seen.lock().unwrap()[2].clone();
        for part in [
            "metadata%5Bpayment_id%5D=00000000-0000-0000-0000-000000000001",
            "metadata%5Brefund_id%5D=00000000-0000-0000-0000-000000000002",
        ] {
            assert!(post.body.split('&').any(|p| p == part), "{}", post.body);
        }
        assert_eq!(post.key.as_deref(), Some("commerce-refund-k"));
    }
}

#[tokio::test]
async fn refund_lists_are_read_page_by_page() {
    let page1 = r#"{"object":"list","has_more":true,"data":[
        {"id":"re_b","amount":100,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}]}"#;
    let page2 = r#"{"object":"list","has_more":false,"data":[
        {"id":"re_a","amount":200,"currency":"usd","status":"succeeded","payment_intent":"pi_1"}]}"#;
    let (url, stub) = stub(vec![body(page1), body(page2)]).await;
    let client = StripeClient::new(config(&url)).unwrap();
    let ids: Vec<String> = client.list_refunds("pi_1").await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["re_b", "re_a"]);
    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(seen[1].path, "/v1/refunds?payment_intent=pi_1&limit=100&starting_after=re_b");
}
