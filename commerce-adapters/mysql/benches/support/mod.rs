//! Preparing orders for the benchmark, building the requests the engine would build, and the
//! hand-written transaction the store's `place_order` is compared with.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use commerce_core::cart::Cart;
use commerce_core::checkout::{Checkout, CheckoutAction};
use commerce_core::engine::UNASSIGNED_PROVIDER;
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{CartId, CheckoutId, EventId, OrderId, PaymentId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, ReservationStatus, StockLine, canonical_lines};
use commerce_core::order::{Order, OrderLine, OrderStatus};
use commerce_core::payment::Payment;
use commerce_core::ports::storage::{CartStore, CheckoutStore, InventoryStore, PlaceOrder, Store};
use commerce_core::{Currency, Quantity};
use commerce_mysql::MySqlStore;
use commerce_storage::testkit::Harness;
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, MySqlPool};

/// Lines per cart.
pub const LINES: usize = 10;
/// SKUs in the catalog; each cart template takes `LINES` of them.
pub const CATALOG: usize = 100;
/// Distinct cart templates (different SKU subsets, listed in different orders).
pub const TEMPLATES: usize = 16;

/// A seeded catalog with checkout templates, over one store.
pub struct Shop {
    pub store: Arc<MySqlStore>,
    pub h: Harness,
    templates: Vec<Checkout>,
    seq: AtomicU64,
}

impl Shop {
    pub async fn new(store: Arc<MySqlStore>) -> Shop {
        let h = Harness::new(store.clone() as Arc<dyn Store>);
        let mut skus = Vec::new();
        for i in 0..CATALOG {
            skus.push(h.seed(&format!("BENCH-{i:03}"), Decimal::new(999 + i as i64, 2), 1_000_000_000).await);
        }
        let mut templates = Vec::new();
        for t in 0..TEMPLATES {
            // A pseudo-random subset, listed in a scrambled order (the store sorts it).
            let lines: Vec<(&Sku, u32)> = (0..LINES)
                .map(|i| (&skus[(t * 37 + i * 13 + i * i * 7) % CATALOG], 1 + (i % 3) as u32))
                .collect();
            let id = h.checkout(&lines, None, None).await.expect("template checkout");
            templates.push(store.get_checkout(id).await.expect("get").expect("checkout"));
        }
        Shop { store, h, templates, seq: AtomicU64::new(0) }
    }

    /// A fresh checkout like template `n % TEMPLATES` (payment pending), with its cart and its
    /// active reservation.
    pub async fn prepare(&self, n: usize) -> Checkout {
        let mut c = self.templates[n % TEMPLATES].clone();
        c.id = CheckoutId::from_uuid(self.h.uuid());
        c.cart_id = CartId::from_uuid(self.h.uuid());
        let mut quote = c.quote.clone().expect("quote");
        quote.reservation_id = ReservationId::from_uuid(self.h.uuid());
        c.quote = Some(quote.clone());
        self.store.save_cart(&Cart::new(c.cart_id, Currency::USD), None).await.expect("cart");
        c.version = self.store.save_checkout(&c, None).await.expect("checkout");
        self.store
            .reserve(&Reservation {
                id: quote.reservation_id,
                checkout_id: c.id,
                lines: stock_lines(&quote.priced),
                expires_at: quote.expires_at,
                status: ReservationStatus::Active,
            })
            .await
            .expect("reserve");
        c
    }

    /// `n` prepared checkouts, prepared by 16 tasks.
    pub async fn prepare_many(self: &Arc<Self>, n: usize) -> Vec<Checkout> {
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                let shop = self.clone();
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    for i in (t..n).step_by(16) {
                        out.push(shop.prepare(i).await);
                    }
                    out
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.extend(t.await.expect("prepare"));
        }
        out
    }

    /// The request the engine would build for `c`.
    pub fn request(&self, c: &Checkout) -> PlaceOrder {
        let now = self.h.now();
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let quote = c.quote.clone().expect("quote");
        let order_id = OrderId::from_uuid(self.h.uuid());
        let mut done = c.clone();
        done.apply(CheckoutAction::Complete(order_id), now).expect("complete");
        let lines: Vec<OrderLine> = quote
            .priced
            .lines
            .iter()
            .map(|l| OrderLine {
                sku: l.sku.clone(),
                name: format!("Product {}", l.sku),
                quantity: l.quantity.get(),
                fulfilled: 0,
                unit_price: l.unit_price,
                total: l.total,
            })
            .collect();
        let order = Order {
            id: order_id,
            number: format!("B{n:07}-{}", &self.h.uuid().simple().to_string()[..8]),
            checkout_id: c.id,
            customer_id: None,
            email: c.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            status: OrderStatus::PendingPayment,
            lines,
            priced: quote.priced.clone(),
            shipping_address: c.shipping_address.clone().expect("address"),
            billing_address: c
                .billing_address
                .clone()
                .or_else(|| c.shipping_address.clone())
                .expect("address"),
            cancel_reason: None,
            version: 0,
            placed_at: now,
            updated_at: now,
        };
        let payment = Payment::new(
            PaymentId::from_uuid(self.h.uuid()),
            order_id,
            UNASSIGNED_PROVIDER,
            order.total(),
            now,
        );
        let events = vec![Event {
            id: EventId::from_uuid(self.h.uuid()),
            occurred_at: now,
            kind: EventKind::OrderPlaced {
                order_id,
                number: order.number.clone(),
                customer_id: None,
                email: order.email.clone(),
                total: order.total(),
            },
        }];
        PlaceOrder {
            lines: stock_lines(&order.priced),
            order,
            checkout: done,
            checkout_version: c.version,
            reservation_id: quote.reservation_id,
            coupons: Vec::new(),
            payment,
            events,
            cart_id: c.cart_id,
            idempotency_key: format!("bench-{}", self.h.uuid()),
            fingerprint: format!("checkout:{}", c.id),
            now,
        }
    }
}

fn stock_lines(priced: &commerce_core::pricing::PricedCart) -> Vec<StockLine> {
    canonical_lines(
        priced.lines.iter().map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity.get()) }),
    )
}

/// A 10-line cart stored for the read benchmark.
pub async fn stored_cart(shop: &Shop) -> CartId {
    let mut cart = Cart::new(CartId::from_uuid(shop.h.uuid()), Currency::USD);
    for i in 0..LINES {
        let sku = Sku::parse(&format!("BENCH-{i:03}")).expect("sku");
        cart.add(sku, Quantity::new(2).expect("quantity")).expect("add");
    }
    shop.store.save_cart(&cart, None).await.expect("save cart");
    cart.id()
}

/// Runs `items` through `work` on `tasks` tasks (items dealt round-robin); the elapsed time.
pub async fn timed<T, F, Fut>(items: Vec<T>, tasks: usize, work: F) -> Duration
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let work = Arc::new(work);
    let mut chunks: Vec<Vec<T>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        chunks[i % tasks].push(item);
    }
    let start = Instant::now();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let work = work.clone();
            tokio::spawn(async move {
                for item in chunk {
                    work(item).await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    start.elapsed()
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("json")
}

/// One order's writes by hand: the same rows and statements as `MySqlStore::place_order` (key,
/// checkout, reservation, order, lines, payment, event, cart, one batched stock update), values
/// encoded before the clock starts, no abstraction, no reads.
pub struct HandOrder {
    key: [String; 3],
    key_hash: Vec<u8>,
    checkout: (String, i64, String, String),
    reservation: String,
    now: String,
    order: Vec<String>,
    total: Decimal,
    lines: Vec<(String, String, i64, Decimal, Decimal)>,
    payment: (String, Decimal, String, String),
    event: (String, String),
    cart: String,
    stock: Vec<(String, i64)>,
}

impl HandOrder {
    pub fn new(r: &PlaceOrder) -> Self {
        let o = &r.order;
        let mut stored = r.checkout.clone();
        stored.version = r.checkout_version + 1;
        HandOrder {
            key: [r.idempotency_key.clone(), r.fingerprint.clone(), o.id.to_string()],
            key_hash: {
                use sha2::Digest;
                sha2::Sha256::digest(r.idempotency_key.as_bytes()).to_vec()
            },
            checkout: (
                r.checkout.id.to_string(),
                r.checkout_version as i64,
                json(&stored),
                ts(r.checkout.updated_at),
            ),
            reservation: r.reservation_id.to_string(),
            now: ts(r.now),
            order: vec![
                o.number.clone(),
                o.checkout_id.to_string(),
                o.email.clone(),
                ts(o.placed_at),
                json(&o.priced),
                json(&o.shipping_address),
                json(&o.billing_address),
            ],
            total: o.total().amount(),
            lines: o
                .lines
                .iter()
                .map(|l| {
                    (
                        l.sku.to_string(),
                        l.name.clone(),
                        i64::from(l.quantity),
                        l.unit_price.amount(),
                        l.total.amount(),
                    )
                })
                .collect(),
            payment: (
                r.payment.id.to_string(),
                r.payment.amount.amount(),
                json(&r.payment.refunds),
                json(&r.payment.history),
            ),
            event: (r.events[0].id.to_string(), json(&r.events[0])),
            cart: r.cart_id.to_string(),
            stock: r.lines.iter().map(|l| (l.sku.to_string(), l.quantity)).collect(),
        }
    }

    pub async fn run(&self, pool: &MySqlPool) {
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(
            "INSERT INTO order_keys (key_hash, idempotency_key, fingerprint, order_id) VALUES (?, ?, ?, ?)",
        )
        .bind(&self.key_hash)
        .bind(&self.key[0])
        .bind(&self.key[1])
        .bind(&self.key[2])
        .execute(&mut *tx)
        .await
        .expect("key");
        let (id, version, body, updated_at) = &self.checkout;
        let n = sqlx::query(
            "UPDATE checkouts SET state = 'completed', order_id = ?, version = ?, updated_at = ?, body = ? \
             WHERE id = ? AND version = ?",
        )
        .bind(&self.key[2])
        .bind(version + 1)
        .bind(updated_at)
        .bind(body)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await
        .expect("checkout")
        .rows_affected();
        assert_eq!(n, 1, "checkout version");
        let n = sqlx::query(
            "UPDATE reservations SET status = 'committed', active_checkout = NULL \
             WHERE id = ? AND status = 'active' AND expires_at > ?",
        )
        .bind(&self.reservation)
        .bind(&self.now)
        .execute(&mut *tx)
        .await
        .expect("reservation")
        .rows_affected();
        assert_eq!(n, 1, "reservation active");
        sqlx::query(
            "INSERT INTO orders (id, number, checkout_id, customer_id, email, status, currency, cancel_reason, version, \
             placed_at, updated_at, priced, shipping_address, billing_address, total) \
             VALUES (?, ?, ?, NULL, ?, 'pending_payment', 'USD', NULL, 1, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&self.key[2])
        .bind(&self.order[0])
        .bind(&self.order[1])
        .bind(&self.order[2])
        .bind(&self.order[3])
        .bind(&self.order[3])
        .bind(&self.order[4])
        .bind(&self.order[5])
        .bind(&self.order[6])
        .bind(self.total)
        .execute(&mut *tx)
        .await
        .expect("order");
        let values = vec!["(?, ?, ?, ?, ?, 0, ?, ?, 'USD')"; self.lines.len()].join(", ");
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO order_lines (order_id, position, sku, name, quantity, fulfilled, unit_price, total, currency) \
             VALUES {values}"
        )));
        for (i, (sku, name, qty, unit, total)) in self.lines.iter().enumerate() {
            q = q.bind(&self.key[2]).bind(i as i64).bind(sku).bind(name).bind(qty).bind(unit).bind(total);
        }
        q.execute(&mut *tx).await.expect("lines");
        let (pid, amount, refunds, history) = &self.payment;
        sqlx::query(
            "INSERT INTO payments (id, order_id, provider, reference, status, currency, amount, authorized, captured, \
             refunded, action, expires_at, late_capture, version, created_at, updated_at, refunds, history) \
             VALUES (?, ?, 'unassigned', NULL, 'pending', 'USD', ?, 0, 0, 0, NULL, NULL, FALSE, 1, ?, ?, ?, ?)",
        )
        .bind(pid)
        .bind(&self.key[2])
        .bind(amount)
        .bind(&self.now)
        .bind(&self.now)
        .bind(refunds)
        .bind(history)
        .execute(&mut *tx)
        .await
        .expect("payment");
        sqlx::query(
            "INSERT INTO outbox (event_id, payload, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, ?)",
        )
        .bind(&self.event.0)
        .bind(&self.event.1)
        .bind(&self.now)
        .execute(&mut *tx)
        .await
        .expect("event");
        sqlx::query("DELETE FROM carts WHERE id = ?").bind(&self.cart).execute(&mut *tx).await.expect("cart");
        let case = vec!["WHEN ? THEN ?"; self.stock.len()].join(" ");
        let list = vec!["?"; self.stock.len()].join(", ");
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "UPDATE stock SET on_hand = on_hand - CASE sku {case} END, \
             reserved = GREATEST(reserved - CASE sku {case} END, 0) WHERE sku IN ({list})"
        )));
        for _ in 0..2 {
            for (sku, qty) in &self.stock {
                q = q.bind(sku).bind(qty);
            }
        }
        for (sku, _) in &self.stock {
            q = q.bind(sku);
        }
        let n = q.execute(&mut *tx).await.expect("stock").rows_affected();
        assert_eq!(n, self.stock.len() as u64, "stock rows");
        tx.commit().await.expect("commit");
    }
}
