//! Bakong KHQR through the engine, end to end, against the local Bakong API sandbox: the QR the
//! order gets, paid through the client-confirm path and through the poller, a payment of the
//! wrong amount, expiry (order cancelled, stock back), and refunds refused.
#![cfg(feature = "bakong-sandbox")]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use commerce::bakong::api::{BakongClient, ClientConfig, RetryPolicy};
use commerce::bakong::gateway::{BakongGateway, GatewayConfig};
use commerce::bakong::host::EngineKhqrPayments;
use commerce::bakong::khqr::{self, IndividualInfo, KhqrRequest};
use commerce::bakong::poller::{Poller, PollerConfig};
use commerce::bakong::sandbox::{Sandbox, SandboxHandle};
use commerce::engine::{EngineConfig, Error, StartPaymentOptions};
use commerce::order::{Order, OrderStatus};
use commerce::payment::{PaymentAction, PaymentStatus};
use commerce::ports::{FixedClock, GatewayError};
use commerce::storage::testkit::Harness;
use commerce::{Currency, MemoryStore, Money, Sku};
use rust_decimal_macros::dec;

struct World {
    h: Harness,
    sandbox: SandboxHandle,
    client: BakongClient,
    sku: Sku,
}

async fn world() -> World {
    let sandbox = Sandbox::start("127.0.0.1:0").await.unwrap();
    let client = BakongClient::new(
        ClientConfig::new(sandbox.url()).with_token(sandbox.token()).with_retry(RetryPolicy::none()),
    )
    .unwrap();
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let template =
        KhqrRequest::new(IndividualInfo::new("shop@devb"), "Demo Shop").merchant_city("Phnom Penh");
    let gateway = Arc::new(BakongGateway::new(client.clone(), clock.clone(), GatewayConfig::new(template)));
    let h =
        Harness::with_gateways(Arc::new(MemoryStore::new()), EngineConfig::default(), clock, vec![gateway]);
    let sku = h.seed("KH-TEA", dec!(2.50), 10).await;
    World { h, sandbox, client, sku }
}

impl World {
    async fn order(&self, qty: u32) -> Order {
        self.h.buy(&[(&self.sku, qty)]).await.unwrap()
    }

    fn poller(&self) -> Poller<EngineKhqrPayments<dyn commerce::ports::storage::Store>> {
        Poller::new(
            self.client.clone(),
            EngineKhqrPayments::new(self.h.engine.clone()),
            self.h.clock.clone(),
            PollerConfig::default().with_interval(StdDuration::from_millis(10)),
        )
    }
}

fn qr_of(p: &commerce::payment::Payment) -> (String, String) {
    match p.action.as_ref().expect("a QR to show") {
        PaymentAction::ShowQr { qr, md5, .. } => (qr.clone(), md5.clone()),
        other => panic!("expected a QR, got {other:?}"),
    }
}

#[tokio::test]
async fn khqr_paid_through_confirm_and_through_the_poller() {
    let w = world().await;
    let order = w.order(2).await; // 2 x 2.50 + 5.00 shipping = 10.00 USD
    let p = w.h.engine.start_payment(order.id, "bakong", StartPaymentOptions::default()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::RequiresAction);
    let (qr, md5) = qr_of(&p);
    let decoded = khqr::decode(&qr).unwrap();
    assert_eq!(decoded.amount.as_deref(), Some("10"), "the QR asks for the order total");
    assert_eq!(decoded.currency(), Some(Currency::USD));
    assert_eq!(
        decoded.additional_data.as_ref().and_then(|a| a.bill_number.as_deref()),
        Some(order.number.as_str())
    );
    assert_eq!(decoded.md5, md5);
    // Starting again returns the same open payment (no second QR).
    let again = w.h.engine.start_payment(order.id, "bakong", StartPaymentOptions::default()).await.unwrap();
    assert_eq!(again.id, p.id);
    // Not paid yet.
    let p = w.h.engine.confirm_payment(p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::RequiresAction);
    // The buyer pays: the client-confirm path sees it.
    w.sandbox.pay_qr(&qr).unwrap();
    let p = w.h.engine.confirm_payment(p.id).await.unwrap();
    assert_eq!((p.status, p.captured), (PaymentStatus::Captured, Money::new(dec!(10), Currency::USD)));
    assert_eq!(w.h.engine.order(order.id).await.unwrap().status, OrderStatus::Paid);

    // A second order, settled by the poller instead.
    let order2 = w.order(1).await;
    let p2 = w.h.engine.start_payment(order2.id, "bakong", StartPaymentOptions::default()).await.unwrap();
    let poller = w.poller();
    poller.poll_once().await.unwrap();
    assert_eq!(w.h.engine.payment(p2.id).await.unwrap().status, PaymentStatus::RequiresAction);
    w.sandbox.pay_qr(&qr_of(&p2).0).unwrap();
    poller.poll_once().await.unwrap();
    assert_eq!(w.h.engine.payment(p2.id).await.unwrap().status, PaymentStatus::Captured);
    assert_eq!(w.h.engine.order(order2.id).await.unwrap().status, OrderStatus::Paid);
    // Both paths again: nothing changes twice.
    poller.poll_once().await.unwrap();
    w.h.engine.confirm_payment(p2.id).await.unwrap();
    let captured =
        w.h.store
            .all_events(1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.name() == "payment_captured")
            .count();
    assert_eq!(captured, 2);

    // KHQR offers no refunds: a typed error, nothing reserved.
    let err = w.h.engine.refund_payment(p.id, None, "r1", None).await.unwrap_err();
    assert!(matches!(err, Error::Gateway(GatewayError::Unsupported { operation: "refund", .. })), "{err}");
    assert_eq!(w.h.engine.payment(p.id).await.unwrap().refunds.len(), 0);
}

#[tokio::test]
async fn wrong_amount_is_flagged_never_paid() {
    let w = world().await;
    let order = w.order(1).await; // 7.50 USD
    let p = w.h.engine.start_payment(order.id, "bakong", StartPaymentOptions::default()).await.unwrap();
    let (_, md5) = qr_of(&p);
    w.sandbox.pay(&md5, Money::new(dec!(0.75), Currency::USD));
    // The confirm path refuses it...
    let err = w.h.engine.confirm_payment(p.id).await.unwrap_err();
    assert!(matches!(err, Error::Gateway(GatewayError::AmountMismatch { .. })), "{err}");
    assert_eq!(w.h.engine.order(order.id).await.unwrap().status, OrderStatus::PendingPayment);
    // ...and the poller flags it: the payment fails with the amounts in the reason.
    w.poller().poll_once().await.unwrap();
    let p = w.h.engine.payment(p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Failed);
    let note = &p.history.last().unwrap().note;
    assert!(note.contains("amount mismatch") && note.contains("0.75"), "{note}");
    assert_eq!(w.h.engine.order(order.id).await.unwrap().status, OrderStatus::PendingPayment);
}

#[tokio::test]
async fn expiry_cancels_the_order_and_returns_the_stock() {
    let w = world().await;
    let order = w.order(3).await;
    assert_eq!(w.h.available(&w.sku).await, 7);
    let p = w.h.engine.start_payment(order.id, "bakong", StartPaymentOptions::default()).await.unwrap();
    let expires_at = match p.action.as_ref() {
        Some(PaymentAction::ShowQr { expires_at: Some(e), .. }) => *e,
        other => panic!("{other:?}"),
    };
    let deadline = order.placed_at + w.h.engine.config().payment_ttl;
    assert_eq!(
        expires_at.timestamp_millis(),
        deadline.timestamp_millis(),
        "QR expiry (ms) follows the payment deadline"
    );
    w.h.clock.advance(Duration::minutes(16));
    w.poller().poll_once().await.unwrap();
    assert_eq!(w.h.engine.payment(p.id).await.unwrap().status, PaymentStatus::Expired);
    assert_eq!(w.h.engine.order(order.id).await.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(w.h.available(&w.sku).await, 10);
}
