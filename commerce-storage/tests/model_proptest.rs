//! Random sequences of cart, checkout, payment, notification, cancel and refund actions against the
//! engine on the in-memory backend never reach an inconsistent state:
//! captured > authorized, refunded > captured, negative available stock without backorder, an
//! order without its payment record, an event missing from the outbox, or stock that does not add
//! up to the orders that took it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use commerce_core::engine::StartPaymentOptions;
use commerce_core::ids::{OrderId, PaymentId, Sku};
use commerce_core::order::OrderStatus;
use commerce_core::payment::{GatewayStatus, PaymentStatus};
use commerce_core::ports::storage::{OrderQuery, Store};
use commerce_core::ports::{CaptureMode, NotificationRequest};
use commerce_core::{Currency, Money};
use commerce_storage::MemoryStore;
use commerce_storage::testkit::{Harness, Script, ScriptedGateway};
use proptest::prelude::*;
use rust_decimal::Decimal;

const SKUS: usize = 3;
const INITIAL_STOCK: i64 = 6;

#[derive(Debug, Clone)]
enum Action {
    /// Checkout a cart of (sku index, quantity) lines and place the order with key `key`.
    Buy { lines: Vec<(usize, u32)>, key: u8 },
    /// Start paying order `order` with a script.
    Pay { order: usize, script: u8, manual: bool },
    /// The buyer completes payment `payment` at the provider.
    BuyerPays { payment: usize },
    /// Deliver all queued notifications, in reverse, each twice.
    DeliverNotifications,
    /// Deliver a stale "authorized" for payment `payment`.
    StaleAuthorized { payment: usize },
    /// Confirm payment `payment` (client path).
    Confirm { payment: usize },
    /// Capture payment `payment`.
    Capture { payment: usize },
    /// Refund `cents` of payment `payment` with key `key`.
    Refund { payment: usize, cents: u32, key: u8 },
    /// Cancel order `order`.
    Cancel { order: usize },
    /// Move the clock.
    Advance { minutes: u8 },
    /// Run the sweeps.
    Sweep,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (proptest::collection::vec((0..SKUS, 1u32..4), 1..3), 0u8..6).prop_map(|(lines, key)| Action::Buy { lines, key }),
        3 => (0usize..6, 0u8..3, any::<bool>()).prop_map(|(order, script, manual)| Action::Pay { order, script, manual }),
        2 => (0usize..6).prop_map(|payment| Action::BuyerPays { payment }),
        2 => Just(Action::DeliverNotifications),
        1 => (0usize..6).prop_map(|payment| Action::StaleAuthorized { payment }),
        1 => (0usize..6).prop_map(|payment| Action::Confirm { payment }),
        1 => (0usize..6).prop_map(|payment| Action::Capture { payment }),
        2 => (0usize..6, 1u32..6000, 0u8..4).prop_map(|(payment, cents, key)| Action::Refund { payment, cents, key }),
        1 => (0usize..6).prop_map(|order| Action::Cancel { order }),
        1 => (1u8..20).prop_map(|minutes| Action::Advance { minutes }),
        1 => Just(Action::Sweep),
    ]
}

struct World {
    h: Harness,
    skus: Vec<Sku>,
    orders: Vec<OrderId>,
    payments: Vec<PaymentId>,
}

impl World {
    async fn new() -> World {
        let h = Harness::new(Arc::new(MemoryStore::new()));
        let mut skus = Vec::new();
        for i in 0..SKUS {
            skus.push(h.seed(&format!("M-{i}"), Decimal::new(1000 + i as i64 * 250, 2), INITIAL_STOCK).await);
        }
        World { h, skus, orders: Vec::new(), payments: Vec::new() }
    }

    fn payment(&self, i: usize) -> Option<PaymentId> {
        (!self.payments.is_empty()).then(|| self.payments[i % self.payments.len()])
    }

    async fn step(&mut self, a: &Action) {
        let e = &self.h.engine;
        // Errors are allowed (out of stock, illegal moves, refund bounds...); inconsistency is not.
        match a {
            Action::Buy { lines, key } => {
                let lines: Vec<(&Sku, u32)> = lines.iter().map(|(i, q)| (&self.skus[*i], *q)).collect();
                if let Ok(checkout) = self.h.checkout(&lines, None, None).await
                    && let Ok(o) = e.place_order(checkout, &format!("k{key}-{}", checkout)).await
                    && !self.orders.contains(&o.id)
                {
                    self.orders.push(o.id);
                }
            }
            Action::Pay { order, script, manual } => {
                if self.orders.is_empty() {
                    return;
                }
                let o = self.orders[order % self.orders.len()];
                self.h.gateway.set_script(
                    [Script::Succeed, Script::RequireAction, Script::Decline][*script as usize % 3],
                );
                let capture = Some(if *manual { CaptureMode::Manual } else { CaptureMode::Automatic });
                if let Ok(p) = e
                    .start_payment(o, "scripted", StartPaymentOptions { capture, ..Default::default() })
                    .await
                    && !self.payments.contains(&p.id)
                {
                    self.payments.push(p.id);
                }
            }
            Action::BuyerPays { payment } => {
                if let Some(id) = self.payment(*payment)
                    && let Ok(p) = e.payment(id).await
                    && let Some(r) = p.reference
                {
                    self.h.gateway.buyer_pays(&r, self.h.now());
                }
            }
            Action::DeliverNotifications => {
                let mut ns = self.h.gateway.take_notifications();
                ns.reverse();
                for n in ns.iter().chain(ns.iter()) {
                    let (headers, body) = ScriptedGateway::request(n);
                    let _ = e
                        .handle_notification("scripted", &NotificationRequest { headers, body: &body })
                        .await;
                }
            }
            Action::StaleAuthorized { payment } => {
                if let Some(id) = self.payment(*payment)
                    && let Ok(p) = e.payment(id).await
                {
                    let _ = e
                        .apply_gateway_status(id, &GatewayStatus::Authorized { amount: p.amount }, None, None)
                        .await;
                }
            }
            Action::Confirm { payment } => {
                if let Some(id) = self.payment(*payment) {
                    let _ = e.confirm_payment(id).await;
                }
            }
            Action::Capture { payment } => {
                if let Some(id) = self.payment(*payment) {
                    let _ = e.capture_payment(id, None).await;
                }
            }
            Action::Refund { payment, cents, key } => {
                if let Some(id) = self.payment(*payment) {
                    let amount = Money::from_minor_units(i64::from(*cents), Currency::USD);
                    let _ = e.refund_payment(id, Some(amount), &format!("rk{key}"), None).await;
                }
            }
            Action::Cancel { order } => {
                if !self.orders.is_empty() {
                    let _ = e.cancel_order(self.orders[order % self.orders.len()], "changed mind").await;
                }
            }
            Action::Advance { minutes } => self.h.clock.advance(Duration::minutes(i64::from(*minutes))),
            Action::Sweep => {
                let _ = e.release_expired_reservations(100).await;
                let _ = e.expire_unpaid_orders(100).await;
            }
        }
    }

    async fn check(&self) -> Result<(), String> {
        let store: &dyn Store = &*self.h.store;
        let orders = store
            .list_orders(&OrderQuery { limit: 1000, ..Default::default() })
            .await
            .map_err(|e| e.to_string())?;
        let events = store.all_events(100_000).await.map_err(|e| e.to_string())?;
        let mut sold: BTreeMap<Sku, i64> = BTreeMap::new();
        for o in &orders.items {
            let payments = store.payments_of_order(o.id).await.map_err(|e| e.to_string())?;
            if payments.is_empty() {
                return Err(format!("order {} has no payment record", o.number));
            }
            let placed = events.iter().any(|e| {
                matches!(&e.kind, commerce_core::events::EventKind::OrderPlaced { order_id, .. } if *order_id == o.id)
            });
            if !placed {
                return Err(format!("order {} has no order_placed event", o.number));
            }
            for p in &payments {
                p.check_invariants().map_err(|e| format!("payment {}: {e}", p.id))?;
                if p.captured.amount() > p.authorized.amount() || p.refunded.amount() > p.captured.amount() {
                    return Err(format!("payment {} amounts out of order", p.id));
                }
                let captured_events: Decimal =
                    events
                        .iter()
                        .filter_map(|e| match &e.kind {
                            commerce_core::events::EventKind::PaymentCaptured {
                                payment_id, amount, ..
                            } if *payment_id == p.id => Some(amount.amount()),
                            _ => None,
                        })
                        .sum();
                if captured_events != p.captured.amount() {
                    return Err(format!(
                        "payment {}: captured {} but events say {captured_events}",
                        p.id, p.captured
                    ));
                }
            }
            let paid = payments.iter().any(|p| p.status.is_captured());
            if o.status == OrderStatus::PendingPayment && paid {
                return Err(format!("order {} is captured but still pending payment", o.number));
            }
            if o.status != OrderStatus::Cancelled {
                for l in &o.lines {
                    *sold.entry(l.sku.clone()).or_insert(0) += i64::from(l.quantity);
                }
            }
            let _ = PaymentStatus::Pending;
        }
        for sku in &self.skus {
            let s = store.get_stock(sku).await.map_err(|e| e.to_string())?.ok_or("stock record missing")?;
            if s.available() < 0 || s.reserved < 0 {
                return Err(format!("{sku}: available {} reserved {}", s.available(), s.reserved));
            }
            let expected = INITIAL_STOCK - sold.get(sku).copied().unwrap_or(0);
            if s.on_hand != expected {
                return Err(format!("{sku}: on hand {} but orders leave {expected}", s.on_hand));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_never_reaches_an_inconsistent_state(actions in proptest::collection::vec(action(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result: Result<(), String> = rt.block_on(async {
            let mut w = World::new().await;
            for (i, a) in actions.iter().enumerate() {
                w.step(a).await;
                w.check().await.map_err(|e| format!("after step {i} {a:?}: {e}"))?;
            }
            Ok(())
        });
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}
