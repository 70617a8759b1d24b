//! Against real Stripe in test mode, only when `STRIPE_SECRET_KEY` is set (a `sk_test_` key;
//! live keys are refused). Otherwise each test prints `SKIPPED: STRIPE_SECRET_KEY not set`.

use std::collections::BTreeMap;
use std::time::Duration;

use commerce_core::ids::{OrderId, PaymentId, RefundId};
use commerce_core::payment::{GatewayStatus, PaymentAction};
use commerce_core::ports::{
    CaptureMode, CapturePayment, GatewayError, PaymentGateway, RefundPayment, StartPayment,
};
use commerce_core::{Currency, Money};
use commerce_stripe::{PaymentMethods, RetryPolicy, SecretKey, StripeConfig, StripeGateway};
use uuid::Uuid;

/// The gateway on Stripe's test mode, or `None` (after printing why).
fn gateway() -> Option<StripeGateway> {
    let Ok(key) = std::env::var("STRIPE_SECRET_KEY") else {
        println!("SKIPPED: STRIPE_SECRET_KEY not set");
        return None;
    };
    let key = SecretKey::new(key).expect("STRIPE_SECRET_KEY is not a Stripe secret key");
    assert!(!key.is_live(), "refusing to run tests with a live-mode key");
    let mut config = StripeConfig::new(key)
        // Server-side confirmation without a return URL: no redirect-based methods.
        .with_payment_methods(PaymentMethods::Automatic { allow_redirects: false })
        .with_retry(RetryPolicy::new(2, Duration::from_millis(500), Duration::from_secs(4)));
    if let Ok(base) = std::env::var("STRIPE_API_BASE") {
        config = config.with_base_url(&base).expect("STRIPE_API_BASE");
    }
    Some(StripeGateway::new(config).expect("gateway"))
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn start(amount: Money, capture: CaptureMode, pm: &str) -> StartPayment {
    let payment_id = PaymentId::from_uuid(Uuid::new_v4());
    StartPayment {
        payment_id,
        order_id: OrderId::from_uuid(Uuid::new_v4()),
        order_number: "LIVE-TEST".into(),
        amount,
        capture,
        payment_method: Some(pm.into()),
        expires_at: None,
        email: None,
        idempotency_key: format!("live-{payment_id}"),
        metadata: BTreeMap::new(),
    }
}

#[tokio::test]
async fn live_capture_refund_and_over_refund() {
    let Some(gateway) = gateway() else { return };
    let request = start(usd("20.00"), CaptureMode::Automatic, "pm_card_visa");
    let payment_id = request.payment_id;
    let started = gateway.start(request.clone()).await.unwrap();
    assert_eq!(started.status, GatewayStatus::Captured { amount: usd("20.00") });
    // The same engine call again replays (same idempotency key): same intent.
    assert_eq!(gateway.start(request).await.unwrap().reference, started.reference);
    assert_eq!(gateway.fetch_status(payment_id, &started.reference).await.unwrap(), started);
    let refund = |amount: &str| {
        let refund_id = RefundId::from_uuid(Uuid::new_v4());
        RefundPayment {
            payment_id,
            refund_id,
            reference: started.reference.clone(),
            amount: usd(amount),
            idempotency_key: refund_id.to_string(),
        }
    };
    assert!(gateway.refund(refund("5.00")).await.is_ok());
    assert!(matches!(gateway.refund(refund("15.01")).await, Err(GatewayError::InvalidRequest(_))));
    assert!(gateway.refund(refund("15.00")).await.is_ok());
    let balance = gateway.client().refund_balance(&started.reference).await.unwrap();
    assert_eq!(balance.refundable, usd("0.00"));
}

#[tokio::test]
async fn live_manual_partial_capture() {
    let Some(gateway) = gateway() else { return };
    let request = start(usd("50.00"), CaptureMode::Manual, "pm_card_visa");
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert_eq!(started.status, GatewayStatus::Authorized { amount: usd("50.00") });
    let capture = CapturePayment {
        payment_id,
        reference: started.reference.clone(),
        amount: usd("30.00"),
        idempotency_key: format!("cap-{payment_id}"),
    };
    assert_eq!(
        gateway.capture(capture).await.unwrap().status,
        GatewayStatus::Captured { amount: usd("30.00") }
    );
    let balance = gateway.client().refund_balance(&started.reference).await.unwrap();
    assert_eq!((balance.captured, balance.refundable), (usd("30.00"), usd("30.00")));
}

#[tokio::test]
async fn live_decline_and_three_d_secure() {
    let Some(gateway) = gateway() else { return };
    match gateway.start(start(usd("10.00"), CaptureMode::Automatic, "pm_card_visa_chargeDeclined")).await {
        Err(GatewayError::Declined { code, decline_code, .. }) => {
            assert_eq!(code.as_deref(), Some("card_declined"));
            assert_eq!(decline_code.as_deref(), Some("generic_decline"));
        }
        other => panic!("expected a decline, got {other:?}"),
    }
    let request = start(usd("10.00"), CaptureMode::Automatic, "pm_card_authenticationRequired");
    let payment_id = request.payment_id;
    let started = gateway.start(request).await.unwrap();
    assert!(matches!(
        started.status,
        GatewayStatus::RequiresAction { action: PaymentAction::ConfirmOnClient { .. } }
            | GatewayStatus::RequiresAction { action: PaymentAction::Redirect { .. } }
    ));
    assert_eq!(gateway.void(payment_id, &started.reference).await.unwrap().status, GatewayStatus::Voided);
}
