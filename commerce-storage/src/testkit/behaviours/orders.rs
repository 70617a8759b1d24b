//! Order placement, stock, coupons, cancellation.

use std::sync::Arc;

use chrono::Duration;
use commerce_core::engine::Error;
use commerce_core::ids::{CouponCode, CustomerId, PromotionId};
use commerce_core::inventory::ReservationStatus;
use commerce_core::order::OrderStatus;
use commerce_core::payment::PaymentStatus;
use commerce_core::ports::storage::{OrderQuery, Store};
use commerce_core::pricing::{Benefit, CouponRule, Discount, PricingRules, Promotion, Stacking};
use commerce_core::{Currency, Money};
use rust_decimal_macros::dec;

use super::events_named;
use crate::testkit::Harness;

/// A successful placement writes everything at once (order, lines, payment record, converted
/// stock, committed reservation, events, idempotency key, deleted cart); a failed one writes
/// nothing at all.
pub async fn place_order_is_atomic(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let a = h.seed("AT-A", dec!(10), 5).await;
    let b = h.seed("AT-B", dec!(4), 2).await;
    store.set_stock(&b, 2, false, Some(1)).await.unwrap();
    let checkout = h.checkout(&[(&a, 2), (&b, 1)], None, None).await.unwrap();
    let c = h.engine.checkout(checkout).await.unwrap();
    let quote = c.quote.clone().expect("quote");
    let order = h.engine.place_order(checkout, "atomic-1").await.unwrap();
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(order.lines.len(), 2);
    // 2 x 10 + 1 x 4 + 5 shipping = 29
    assert_eq!(order.total(), Money::new(dec!(29.00), Currency::USD));
    assert_eq!(store.get_order(order.id).await.unwrap().as_ref(), Some(&order));
    assert_eq!(store.order_by_number(&order.number).await.unwrap().map(|o| o.id), Some(order.id));
    let payments = store.payments_of_order(order.id).await.unwrap();
    assert_eq!(payments.len(), 1, "one payment record");
    assert_eq!((payments[0].amount, payments[0].status), (order.total(), PaymentStatus::Pending));
    let sa = store.get_stock(&a).await.unwrap().unwrap();
    assert_eq!((sa.on_hand, sa.reserved), (3, 0), "reserved units converted into a sale");
    let sb = store.get_stock(&b).await.unwrap().unwrap();
    assert_eq!((sb.on_hand, sb.reserved), (1, 0));
    let r = store.get_reservation(quote.reservation_id).await.unwrap().unwrap();
    assert_eq!(r.status, ReservationStatus::Committed);
    assert_eq!(events_named(&*store, "order_placed").await.len(), 1);
    let low = events_named(&*store, "stock_low").await;
    assert_eq!(low.len(), 1, "AT-B fell to its threshold of 1");
    assert_eq!(store.get_cart(c.cart_id).await.unwrap(), None, "the cart is gone");
    assert_eq!(store.get_checkout(checkout).await.unwrap().unwrap().order_id, Some(order.id));
    assert!(store.order_by_idempotency_key("atomic-1").await.unwrap().is_some());

    // Now a placement that must fail on the second line after the first would have succeeded:
    // the reservation lapses, someone else takes AT-B, and nothing of the order may remain.
    let checkout2 = h.checkout(&[(&a, 1), (&b, 1)], None, None).await.unwrap();
    h.clock.advance(Duration::minutes(16));
    store.set_stock(&b, 0, false, Some(1)).await.unwrap();
    let events_before = store.all_events(100_000).await.unwrap().len();
    let stock_a = store.get_stock(&a).await.unwrap().unwrap();
    let err = h.engine.place_order(checkout2, "atomic-2").await.unwrap_err();
    assert!(matches!(err, Error::OutOfStock { .. }), "{err}");
    assert_eq!(store.get_stock(&a).await.unwrap().unwrap(), stock_a, "no partial stock change");
    assert_eq!(store.all_events(100_000).await.unwrap().len(), events_before, "no events");
    assert!(store.order_by_idempotency_key("atomic-2").await.unwrap().is_none(), "no key");
    let orders = store.list_orders(&OrderQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(orders.total, 1, "no partial order");
}

/// The same key twice gives one order and the same answer, also when the two calls race; the
/// key on another checkout is a conflict.
pub async fn idempotent_place_order(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let a = h.seed("ID-A", dec!(7), 10).await;
    let checkout = h.checkout(&[(&a, 1)], None, None).await.unwrap();
    let first = h.engine.place_order(checkout, "same-key").await.unwrap();
    let again = h.engine.place_order(checkout, "same-key").await.unwrap();
    assert_eq!(first, again, "same response");
    // racing replays of a new checkout's key
    let checkout2 = h.checkout(&[(&a, 1)], None, None).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.engine.place_order(checkout2, "race-key").await })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order for one key");
    let checkout3 = h.checkout(&[(&a, 1)], None, None).await.unwrap();
    let err = h.engine.place_order(checkout3, "same-key").await.unwrap_err();
    assert!(matches!(err, Error::IdempotencyConflict { .. }), "{err}");
    let orders = store.list_orders(&OrderQuery { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(orders.total, 2);
    assert_eq!(h.available(&a).await, 7, "two orders took 2; checkout3 still reserves 1");
}

/// 50 concurrent buyers, 10 in stock: exactly 10 orders, 40 clean out-of-stock errors,
/// available = 0.
pub async fn no_oversell_under_concurrency(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let sku = h.seed("HOT-1", dec!(99), 10).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let h = h.clone();
            let sku = sku.clone();
            tokio::spawn(async move {
                let checkout = h.checkout(&[(&sku, 1)], None, None).await?;
                h.engine.place_order(checkout, &format!("buyer-{i}")).await
            })
        })
        .collect();
    let (mut ok, mut out) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::OutOfStock { .. }) => out += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, out), (10, 40));
    let s = store.get_stock(&sku).await.unwrap().unwrap();
    assert_eq!((s.on_hand, s.reserved, s.available()), (0, 0, 0));
    assert_eq!(store.list_orders(&OrderQuery { limit: 100, ..Default::default() }).await.unwrap().total, 10);
}

/// A reservation holds stock until its time to live; the sweep then releases it (with an
/// event); placing an order after expiry re-checks availability.
pub async fn reservation_expiry_releases_stock(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let sku = h.seed("EXP-1", dec!(5), 5).await;
    let checkout = h.checkout(&[(&sku, 3)], None, None).await.unwrap();
    assert_eq!(h.available(&sku).await, 2);
    h.clock.advance(Duration::minutes(14));
    assert!(h.engine.release_expired_reservations(100).await.unwrap().is_empty(), "not yet");
    h.clock.advance(Duration::minutes(2));
    let released = h.engine.release_expired_reservations(100).await.unwrap();
    assert_eq!(released.len(), 1);
    assert_eq!(h.available(&sku).await, 5);
    assert_eq!(events_named(&*store, "reservation_expired").await.len(), 1);
    assert!(h.engine.release_expired_reservations(100).await.unwrap().is_empty(), "released once");
    // The quote expired too: placing re-quotes (same total) and re-reserves.
    let order = h.engine.place_order(checkout, "after-expiry").await.unwrap();
    assert_eq!(order.lines[0].quantity, 3);
    assert_eq!(h.available(&sku).await, 2);
    let s = store.get_stock(&sku).await.unwrap().unwrap();
    assert_eq!((s.on_hand, s.reserved), (2, 0));
}

/// A coupon limited to 5 uses, 30 concurrent orders: exactly 5 get it. The others are told
/// the coupon ran out, re-quoted without it, and go through on a second attempt.
pub async fn coupon_limit_under_concurrency(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let sku = h.seed("CPN-1", dec!(20), 100).await;
    let code = CouponCode::parse("FIVE").unwrap();
    h.set_rules(PricingRules {
        promotions: vec![Promotion {
            id: PromotionId::parse("five-off").unwrap(),
            label: "5 off".into(),
            benefit: Benefit::OrderDiscount {
                discount: Discount::Amount(Money::new(dec!(5), Currency::USD)),
            },
            coupon: Some(CouponRule { code: code.clone(), max_uses: Some(5), max_uses_per_customer: None }),
            valid_from: None,
            valid_until: None,
            customer_groups: Vec::new(),
            min_subtotal: None,
            max_discount: None,
            stacking: Stacking::Combinable,
            priority: 0,
        }],
        ..Default::default()
    })
    .await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let h = h.clone();
            let sku = sku.clone();
            tokio::spawn(async move {
                let customer = Some(CustomerId::from_uuid(h.uuid()));
                let checkout = h.checkout(&[(&sku, 1)], Some("five"), customer).await?;
                let key = format!("cpn-{i}");
                match h.engine.place_order(checkout, &key).await {
                    Err(Error::CouponUnavailable(_)) => h.engine.place_order(checkout, &key).await,
                    other => other,
                }
            })
        })
        .collect();
    let mut with_coupon = 0;
    for t in tasks {
        let order = t.await.unwrap().unwrap();
        if order.priced.applied_coupons.contains(&code) {
            with_coupon += 1;
            assert_eq!(order.total().amount(), dec!(20.00), "20 + 5 shipping - 5");
        } else {
            assert_eq!(order.total().amount(), dec!(25.00));
        }
    }
    assert_eq!(with_coupon, 5);
    assert_eq!(store.coupon_usage(&code, None).await.unwrap().0, 5);
    assert_eq!(store.list_orders(&OrderQuery { limit: 100, ..Default::default() }).await.unwrap().total, 30);
}

/// Cancelling an order returns its stock (once); cancelling a checkout releases its reservation.
pub async fn cancel_releases_stock(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let sku = h.seed("CXL-1", dec!(8), 4).await;
    let order = h.buy(&[(&sku, 3)]).await.unwrap();
    assert_eq!(h.available(&sku).await, 1);
    let cancelled = h.engine.cancel_order(order.id, "customer asked").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(h.available(&sku).await, 4);
    h.engine.cancel_order(order.id, "again").await.unwrap();
    assert_eq!(h.available(&sku).await, 4, "a second cancel returns nothing more");
    assert_eq!(events_named(&*store, "order_cancelled").await.len(), 1);
    let payments = store.payments_of_order(order.id).await.unwrap();
    assert!(payments.iter().all(|p| !p.status.is_open()), "open payments are voided");
    let checkout = h.checkout(&[(&sku, 2)], None, None).await.unwrap();
    assert_eq!(h.available(&sku).await, 2);
    h.engine.cancel_checkout(checkout).await.unwrap();
    assert_eq!(h.available(&sku).await, 4);
    let err = h.engine.advance_order(order.id, commerce_core::order::OrderAction::Ship).await.unwrap_err();
    assert!(matches!(err, Error::Order(_)), "{err}");
}
