//! Payments through the scripted gateway.

use std::sync::Arc;

use chrono::Duration;
use commerce_core::engine::{EngineConfig, Error, StartPaymentOptions};
use commerce_core::order::{Order, OrderStatus};
use commerce_core::payment::{GatewayStatus, PaymentError, PaymentStatus};
use commerce_core::ports::storage::Store;
use commerce_core::ports::{CaptureMode, NotificationRequest};
use commerce_core::{Currency, Money};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::events_named;
use crate::testkit::{Harness, Script, ScriptedGateway};

fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}

async fn order_of(h: &Harness, price: Decimal) -> Order {
    let sku = h.seed(&format!("PAY-{}", h.uuid().simple()), price, 100).await;
    h.buy(&[(&sku, 1)]).await.expect("order")
}

fn manual() -> StartPaymentOptions {
    StartPaymentOptions { capture: Some(CaptureMode::Manual), ..Default::default() }
}

async fn deliver(
    h: &Harness,
    n: &commerce_core::ports::Notification,
) -> Result<commerce_core::payment::Payment, Error> {
    let (headers, body) = ScriptedGateway::request(n);
    h.engine.handle_notification("scripted", &NotificationRequest { headers, body: &body }).await
}

/// authorized >= captured >= refunded always: over-capture and over-refund are refused, and a
/// partial capture leaves the payment partially captured with the order paid.
pub async fn payment_amount_invariants(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let order = order_of(&h, dec!(45)).await; // 45 + 5 shipping = 50
    let p = h.engine.start_payment(order.id, "scripted", manual()).await.unwrap();
    assert_eq!((p.status, p.authorized), (PaymentStatus::Authorized, usd(dec!(50))));
    let err = h.engine.capture_payment(p.id, Some(usd(dec!(50.01)))).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "over-capture: {err}");
    let p = h.engine.capture_payment(p.id, Some(usd(dec!(30)))).await.unwrap();
    assert_eq!((p.status, p.captured), (PaymentStatus::PartiallyCaptured, usd(dec!(30))));
    assert_eq!(h.engine.order(order.id).await.unwrap().status, OrderStatus::Paid);
    let err = h.engine.refund_payment(p.id, Some(usd(dec!(30.01))), "r1", None).await.unwrap_err();
    assert!(matches!(err, Error::Payment(PaymentError::RefundExceedsCaptured { .. })), "{err}");
    let p = h.engine.refund_payment(p.id, Some(usd(dec!(10))), "r2", None).await.unwrap();
    assert_eq!((p.status, p.refunded), (PaymentStatus::PartiallyRefunded, usd(dec!(10))));
    assert_eq!(h.engine.order(order.id).await.unwrap().status, OrderStatus::PartiallyRefunded);
    let err = h.engine.refund_payment(p.id, Some(usd(dec!(0))), "r3", None).await.unwrap_err();
    assert!(matches!(err, Error::Payment(PaymentError::NonPositiveRefund(_))), "{err}");
    let p = h.engine.refund_payment(p.id, None, "r4", None).await.unwrap();
    assert_eq!((p.status, p.refunded), (PaymentStatus::Refunded, usd(dec!(30))));
    assert_eq!(h.engine.order(order.id).await.unwrap().status, OrderStatus::Refunded);
    let stored = store.get_payment(p.id).await.unwrap().unwrap();
    stored.check_invariants().unwrap();
    assert!(
        stored.authorized.amount() >= stored.captured.amount()
            && stored.captured.amount() >= stored.refunded.amount()
    );
    // a gateway reporting more than the payment is a mismatch, never paid
    let order2 = order_of(&h, dec!(5)).await;
    h.gateway.set_script(Script::RequireAction);
    let p2 = h.engine.start_payment(order2.id, "scripted", StartPaymentOptions::default()).await.unwrap();
    let err = h
        .engine
        .apply_gateway_status(p2.id, &GatewayStatus::Captured { amount: usd(dec!(99)) }, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Payment(PaymentError::AmountMismatch { .. })), "{err}");
    assert_eq!(h.engine.order(order2.id).await.unwrap().status, OrderStatus::PendingPayment);
}

/// Notifications delivered twice and out of order: the payment is captured once, the order is
/// paid once, and a late "authorized" never moves it back.
pub async fn duplicate_and_out_of_order_notifications(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let order = order_of(&h, dec!(15)).await;
    h.gateway.set_script(Script::RequireAction);
    let p = h.engine.start_payment(order.id, "scripted", StartPaymentOptions::default()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::RequiresAction);
    let reference = p.reference.clone().unwrap();
    h.gateway.take_notifications();
    let paid = h.gateway.buyer_pays(&reference, h.now()).unwrap();
    let late_auth = h.gateway.make_notification(
        "evt_old",
        &reference,
        GatewayStatus::Authorized { amount: usd(dec!(20)) },
        h.now(),
    );
    for n in [&paid, &paid, &late_auth, &paid, &late_auth] {
        let p = deliver(&h, n).await.unwrap();
        assert_eq!(p.status, PaymentStatus::Captured);
    }
    assert_eq!(events_named(&*store, "payment_captured").await.len(), 1);
    assert_eq!(events_named(&*store, "order_paid").await.len(), 1);
    assert_eq!(h.engine.order(order.id).await.unwrap().status, OrderStatus::Paid);
    // the same notification with a new event id is still a no-op (forward-only)
    let again = h.gateway.make_notification("evt_new", &reference, paid.status.clone(), h.now());
    deliver(&h, &again).await.unwrap();
    assert_eq!(events_named(&*store, "payment_captured").await.len(), 1);
    // a forged notification is refused and changes nothing
    let (mut headers, body) = ScriptedGateway::request(&paid);
    headers.insert("x-scripted-signature".into(), "forged".into());
    let err = h
        .engine
        .handle_notification("scripted", &NotificationRequest { headers, body: &body })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Gateway(_)), "{err}");
}

/// 20 concurrent partial refunds of 10.00 against a 100.00 capture (and a few more): never more
/// than captured, at Stripe-like gateways or in our records.
pub async fn refund_bounds(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let order = order_of(&h, dec!(95)).await; // 100 with shipping
    let p = h.engine.start_payment(order.id, "scripted", StartPaymentOptions::default()).await.unwrap();
    assert_eq!(p.captured, usd(dec!(100)));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let h = h.clone();
            tokio::spawn(async move {
                h.engine.refund_payment(p.id, Some(usd(dec!(10))), &format!("refund-{i}"), None).await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Payment(PaymentError::RefundExceedsCaptured { .. })) => refused += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((ok, refused), (10, 10));
    let p = h.engine.payment(p.id).await.unwrap();
    assert_eq!((p.refunded, p.status), (usd(dec!(100)), PaymentStatus::Refunded));
    assert_eq!(h.gateway.refunded(p.reference.as_deref().unwrap()), Some(usd(dec!(100))));
    // replaying a key refunds nothing more
    let again = h.engine.refund_payment(p.id, Some(usd(dec!(10))), "refund-3", None).await;
    assert!(matches!(again, Ok(_) | Err(Error::Payment(PaymentError::RefundExceedsCaptured { .. }))));
    assert_eq!(h.engine.payment(p.id).await.unwrap().refunded, usd(dec!(100)));
    assert_eq!(events_named(&*store, "refund_issued").await.len(), 10);
}

/// The client-confirm path and the notification path race: one paid order, one capture.
pub async fn confirm_and_notification_race(store: Arc<dyn Store>) {
    let config =
        EngineConfig { capture_mode: CaptureMode::Manual, capture_on_authorize: true, ..Default::default() };
    let h = Arc::new(Harness::with_config(store.clone(), config));
    for round in 0..5 {
        let order = order_of(&h, dec!(12)).await;
        h.gateway.set_script(Script::RequireAction);
        let p = h.engine.start_payment(order.id, "scripted", StartPaymentOptions::default()).await.unwrap();
        let reference = p.reference.clone().unwrap();
        h.gateway.take_notifications();
        // the buyer authorizes (3-D Secure done): both paths learn "authorized"
        let auth = h.gateway.make_notification(
            &format!("evt_auth_{round}"),
            &reference,
            GatewayStatus::Authorized { amount: p.amount },
            h.now(),
        );
        {
            let remote = h.gateway.clone();
            // make the provider side authorized so fetch_status agrees with the notification
            remote.set_authorized(&reference);
        }
        let (a, b) = tokio::join!(
            {
                let h = h.clone();
                async move { h.engine.confirm_payment(p.id).await }
            },
            {
                let h = h.clone();
                let auth = auth.clone();
                async move { deliver(&h, &auth).await }
            }
        );
        a.unwrap();
        b.unwrap();
        let p = h.engine.payment(p.id).await.unwrap();
        assert_eq!(p.status, PaymentStatus::Captured, "round {round}");
        assert_eq!(h.engine.order(order.id).await.unwrap().status, OrderStatus::Paid);
    }
    assert_eq!(h.gateway.captures(), 5, "exactly one capture per payment");
    assert_eq!(events_named(&*store, "order_paid").await.len(), 5);
    assert_eq!(events_named(&*store, "payment_captured").await.len(), 5);
    assert_eq!(store.list_orders(&Default::default()).await.map(|p| p.total).unwrap_or(0), 5);
}

/// An unpaid order past the payment window is cancelled and its stock returned; a payment that
/// arrives at the last second is honoured instead.
pub async fn payment_expiry_cancels_order(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let sku = h.seed("PEX-1", dec!(3), 10).await;
    let unpaid = h.buy(&[(&sku, 2)]).await.unwrap();
    h.gateway.set_script(Script::RequireAction);
    let p = h.engine.start_payment(unpaid.id, "scripted", StartPaymentOptions::default()).await.unwrap();
    let paid_late = h.buy(&[(&sku, 1)]).await.unwrap();
    let p2 = h.engine.start_payment(paid_late.id, "scripted", StartPaymentOptions::default()).await.unwrap();
    assert_eq!(h.available(&sku).await, 7);
    h.clock.advance(Duration::minutes(16));
    h.gateway.buyer_pays(p2.reference.as_deref().unwrap(), h.now());
    let expired = h.engine.expire_unpaid_orders(100).await.unwrap();
    assert_eq!(expired, vec![unpaid.id]);
    assert_eq!(h.engine.order(unpaid.id).await.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(h.engine.payment(p.id).await.unwrap().status, PaymentStatus::Expired);
    assert_eq!(h.engine.order(paid_late.id).await.unwrap().status, OrderStatus::Paid);
    assert_eq!(h.available(&sku).await, 9, "the expired order's 2 units are back");
    assert!(h.engine.expire_unpaid_orders(100).await.unwrap().is_empty());
    assert_eq!(h.available(&sku).await, 9, "and only once");
}

/// Gateway references are kept whole and found again: a KHQR reference carries the whole QR
/// (up to about 450 characters, Khmer text included).
pub async fn long_gateway_references(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let order = order_of(&h, dec!(4)).await;
    let mut p = store.payments_of_order(order.id).await.unwrap().remove(0);
    let version = p.version;
    let reference = format!("{}:{}", "a".repeat(32), "០០០២០១០១០២១២ឈ្មោះហាងកាហ្វេ".repeat(17));
    assert!(reference.chars().count() >= 450, "{}", reference.chars().count());
    p.provider = "bakong".into();
    p.reference = Some(reference.clone());
    let write = commerce_core::ports::storage::PaymentWrite {
        payment: p.clone(),
        expected_version: Some(version),
        order: None,
        restock: Vec::new(),
        events: Vec::new(),
        notification: Some(("bakong".into(), format!("n-{reference}"))),
    };
    store.save_payment(write).await.unwrap();
    let found = store.payment_by_reference("bakong", &reference).await.unwrap().expect("found by reference");
    assert_eq!((found.id, found.reference.as_deref()), (p.id, Some(reference.as_str())));
    let prefix: String = reference.chars().take(40).collect();
    assert_eq!(store.payment_by_reference("bakong", &prefix).await.unwrap(), None, "no prefix match");
}
