//! Place-order throughput on a file-backed SQLite database, against two limits.
//!
//! Run: `cargo bench -p commerce-storage --features sqlite --bench sqlite_place_order`
//! (`SQLITE_BENCH_ORDERS=<n>` orders per run, default 300; `SQLITE_BENCH_RUNS=<n>` runs, default 5).
//!
//! For `synchronous` = NORMAL and FULL, with one writer task and with 16 concurrent tasks, each
//! run times N orders of a 10-line cart per measure and prints the median rate of the runs. The
//! measures alternate in batches of 32 within a run (paired, so background load and database
//! growth affect them alike):
//! - **store place_order**: `SqliteStore::place_order` alone (stock conversion, order, 10 lines,
//!   payment record, outbox event, idempotency key, checkout, reservation, cart). The requests are
//!   built before the clock starts, exactly as the engine builds them, over prepared checkouts
//!   with active reservations.
//! - **hand-written tx**: the same inserts and updates written directly with sqlx in one
//!   `BEGIN IMMEDIATE` transaction, JSON encoded before the clock starts (the floor the store's
//!   abstraction adds to).
//! - **engine place_order**: `Commerce::place_order` (reads the checkout, product names, builds
//!   the request, then the store call), for context.
//! - **single-row INSERT commits**: one `INSERT` per `BEGIN IMMEDIATE ... COMMIT`, the raw commit
//!   rate of the same file and settings.
//!
//! Every mode uses one writer connection per store (tasks queue for it), as `SqliteStore` does.

// Rates and ratios of timings are floats; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use commerce_core::cart::Cart;
use commerce_core::checkout::{Checkout, CheckoutAction};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{CartId, CheckoutId, EventId, OrderId, PaymentId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, ReservationStatus, StockLine, canonical_lines};
use commerce_core::order::{Order, OrderLine, OrderStatus};
use commerce_core::payment::Payment;
use commerce_core::ports::storage::{
    CartStore, CheckoutStore, InventoryStore, OrderStore, PlaceOrder, Store,
};
use commerce_core::{Currency, engine::UNASSIGNED_PROVIDER};
use commerce_storage::SqliteStore;
use commerce_storage::sqlite::Synchronous;
use commerce_storage::testkit::Harness;
use rust_decimal::Decimal;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const LINES: usize = 10;
const TASKS: usize = 16;
/// Items per measure between switches of measure.
const BATCH: usize = 32;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One database under test: a store for preparing (NORMAL), the store under test, and the engine.
struct Bench {
    path: String,
    prep: Arc<SqliteStore>,
    timed: Arc<SqliteStore>,
    prep_h: Harness,
    timed_h: Harness,
    template: Checkout,
    names: Vec<(Sku, String)>,
    seq: std::sync::atomic::AtomicU64,
}

impl Bench {
    async fn new(dir: &std::path::Path, sync: Synchronous) -> Bench {
        let path = dir.join(format!("bench-{sync:?}.db")).to_str().expect("utf-8").to_owned();
        let prep = Arc::new(SqliteStore::open(&path).await.expect("open"));
        let timed = Arc::new(SqliteStore::options(&path).synchronous(sync).open().await.expect("open"));
        let prep_h = Harness::new(prep.clone() as Arc<dyn Store>);
        let mut skus = Vec::new();
        for i in 0..LINES {
            skus.push(
                prep_h.seed(&format!("BENCH-{i:02}"), Decimal::new(1999 + i as i64, 2), 1_000_000_000).await,
            );
        }
        let lines: Vec<(&Sku, u32)> = skus.iter().map(|s| (s, 2)).collect();
        let id = prep_h.checkout(&lines, None, None).await.expect("template checkout");
        let template = prep.get_checkout(id).await.expect("get").expect("checkout");
        let names = skus.iter().map(|s| (s.clone(), format!("Product {s}"))).collect();
        let timed_h = Harness::new(timed.clone() as Arc<dyn Store>);
        Bench { path, prep, timed, prep_h, timed_h, template, names, seq: Default::default() }
    }

    fn now(&self) -> DateTime<Utc> {
        self.prep_h.now()
    }

    /// A fresh checkout like the template (version 1, payment pending), its active reservation
    /// and its cart, written through the preparing store.
    async fn prepare(&self) -> Checkout {
        let mut c = self.template.clone();
        c.id = CheckoutId::from_uuid(self.prep_h.uuid());
        c.cart_id = CartId::from_uuid(self.prep_h.uuid());
        let mut quote = c.quote.clone().expect("quote");
        quote.reservation_id = ReservationId::from_uuid(self.prep_h.uuid());
        c.quote = Some(quote.clone());
        self.prep.save_cart(&Cart::new(c.cart_id, Currency::USD), None).await.expect("cart");
        c.version = self.prep.save_checkout(&c, None).await.expect("checkout");
        let lines = canonical_lines(
            quote
                .priced
                .lines
                .iter()
                .map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity.get()) }),
        );
        let r = Reservation {
            id: quote.reservation_id,
            checkout_id: c.id,
            lines,
            expires_at: quote.expires_at,
            status: ReservationStatus::Active,
        };
        self.prep.reserve(&r).await.expect("reserve");
        c
    }

    /// The request the engine would build for `c`.
    fn request(&self, c: &Checkout) -> PlaceOrder {
        let now = self.now();
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let quote = c.quote.clone().expect("quote");
        let order_id = OrderId::from_uuid(self.prep_h.uuid());
        let mut done = c.clone();
        done.apply(CheckoutAction::Complete(order_id), now).expect("complete");
        let lines: Vec<OrderLine> = quote
            .priced
            .lines
            .iter()
            .map(|l| OrderLine {
                sku: l.sku.clone(),
                name: self
                    .names
                    .iter()
                    .find(|(s, _)| s == &l.sku)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                quantity: l.quantity.get(),
                fulfilled: 0,
                unit_price: l.unit_price,
                total: l.total,
            })
            .collect();
        let order = Order {
            id: order_id,
            number: format!("B{:08}-{}", n, self.prep_h.uuid().simple()),
            checkout_id: c.id,
            customer_id: None,
            email: c.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            status: OrderStatus::PendingPayment,
            lines,
            priced: quote.priced.clone(),
            shipping_address: c.shipping_address.clone().expect("address"),
            billing_address: c.billing_address.clone().expect("address"),
            cancel_reason: None,
            version: 0,
            placed_at: now,
            updated_at: now,
        };
        let payment = Payment::new(
            PaymentId::from_uuid(self.prep_h.uuid()),
            order_id,
            UNASSIGNED_PROVIDER,
            order.total(),
            now,
        );
        let events = vec![Event {
            id: EventId::from_uuid(self.prep_h.uuid()),
            occurred_at: now,
            kind: EventKind::OrderPlaced {
                order_id,
                number: order.number.clone(),
                customer_id: None,
                email: order.email.clone(),
                total: order.total(),
            },
        }];
        let stock = canonical_lines(
            order.lines.iter().map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity) }),
        );
        PlaceOrder {
            order,
            checkout: done,
            checkout_version: c.version,
            reservation_id: quote.reservation_id,
            lines: stock,
            coupons: Vec::new(),
            payment,
            events,
            cart_id: c.cart_id,
            idempotency_key: format!("bench-{}", self.prep_h.uuid()),
            fingerprint: format!("checkout:{}", c.id),
            now,
        }
    }
}

/// Runs `items` through `work` on `tasks` tasks; returns the time it took.
async fn timed<T, F, Fut>(items: Vec<T>, tasks: usize, work: F) -> Duration
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The hand-written transaction and the single-row insert.
mod hand {
    use commerce_core::ports::storage::PlaceOrder;
    use sqlx::SqlitePool;

    fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
    }

    /// One order's rows, encoded before the clock starts.
    pub struct HandOrder {
        checkout_id: String,
        checkout_body: String,
        checkout_version: i64,
        updated_at: String,
        order: [String; 11],
        priced: String,
        shipping: String,
        billing: String,
        currency: &'static str,
        reservation_id: String,
        stock: Vec<(String, i64)>,
        lines: Vec<(String, String, i64, String, String)>,
        payment: [String; 8],
        event: [String; 3],
        key: [String; 2],
        cart_id: String,
    }

    impl HandOrder {
        pub fn new(r: &PlaceOrder) -> Self {
            let o = &r.order;
            let now = ts(r.now);
            let mut checkout = r.checkout.clone();
            checkout.version = r.checkout_version + 1;
            let total = o.total().amount().to_string();
            HandOrder {
                checkout_id: r.checkout.id.to_string(),
                checkout_body: serde_json::to_string(&checkout).expect("json"),
                checkout_version: r.checkout_version as i64,
                updated_at: ts(r.checkout.updated_at),
                order: [
                    o.id.to_string(),
                    o.number.clone(),
                    o.checkout_id.to_string(),
                    o.email.clone(),
                    o.status.as_str().to_owned(),
                    total.clone(),
                    ts(o.placed_at),
                    ts(o.updated_at),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                priced: serde_json::to_string(&o.priced).expect("json"),
                shipping: serde_json::to_string(&o.shipping_address).expect("json"),
                billing: serde_json::to_string(&o.billing_address).expect("json"),
                currency: o.total().currency().code(),
                reservation_id: r.reservation_id.to_string(),
                stock: r.lines.iter().map(|l| (l.sku.as_str().to_owned(), l.quantity)).collect(),
                lines: o
                    .lines
                    .iter()
                    .map(|l| {
                        (
                            l.sku.as_str().to_owned(),
                            l.name.clone(),
                            i64::from(l.quantity),
                            l.unit_price.amount().to_string(),
                            l.total.amount().to_string(),
                        )
                    })
                    .collect(),
                payment: [
                    r.payment.id.to_string(),
                    r.payment.provider.clone(),
                    r.payment.status.as_str().to_owned(),
                    r.payment.amount.amount().to_string(),
                    r.payment.authorized.amount().to_string(),
                    ts(r.payment.created_at),
                    serde_json::to_string(&r.payment.refunds).expect("json"),
                    serde_json::to_string(&r.payment.history).expect("json"),
                ],
                event: [
                    r.events[0].id.to_string(),
                    serde_json::to_string(&r.events[0]).expect("json"),
                    now.clone(),
                ],
                key: [r.idempotency_key.clone(), r.fingerprint.clone()],
                cart_id: r.cart_id.to_string(),
            }
        }

        /// The same inserts and updates as `place_order`, in one `BEGIN IMMEDIATE` transaction.
        pub async fn run(&self, pool: &SqlitePool) {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
            let n = sqlx::query(
                "UPDATE checkouts SET state = 'completed', order_id = ?, version = ?, updated_at = ?, body = ? \
                 WHERE id = ? AND version = ?",
            )
            .bind(&self.order[0])
            .bind(self.checkout_version + 1)
            .bind(&self.updated_at)
            .bind(&self.checkout_body)
            .bind(&self.checkout_id)
            .bind(self.checkout_version)
            .execute(&mut *tx)
            .await
            .expect("checkout")
            .rows_affected();
            assert_eq!(n, 1);
            sqlx::query(
                "INSERT INTO orders (id, number, checkout_id, customer_id, email, status, currency, cancel_reason, \
                 version, placed_at, updated_at, priced, shipping_address, billing_address, total) \
                 VALUES (?, ?, ?, NULL, ?, ?, ?, NULL, 1, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&self.order[0])
            .bind(&self.order[1])
            .bind(&self.order[2])
            .bind(&self.order[3])
            .bind(&self.order[4])
            .bind(self.currency)
            .bind(&self.order[6])
            .bind(&self.order[7])
            .bind(&self.priced)
            .bind(&self.shipping)
            .bind(&self.billing)
            .bind(&self.order[5])
            .execute(&mut *tx)
            .await
            .expect("order");
            let n = sqlx::query(
                "UPDATE reservations SET status = 'committed' WHERE id = ? AND status = 'active' AND expires_at > ?",
            )
            .bind(&self.reservation_id)
            .bind(&self.order[6])
            .execute(&mut *tx)
            .await
            .expect("reservation")
            .rows_affected();
            assert_eq!(n, 1);
            for (sku, q) in &self.stock {
                let row: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "UPDATE stock SET on_hand = on_hand - ?1, reserved = reserved - ?1 WHERE sku = ?2 AND reserved >= ?1 \
                     RETURNING on_hand - reserved, low_threshold",
                )
                .bind(q)
                .bind(sku)
                .fetch_optional(&mut *tx)
                .await
                .expect("stock");
                assert!(row.is_some());
            }
            let values = vec!["(?, ?, ?, ?, ?, 0, ?, ?, ?)"; self.lines.len()].join(", ");
            let sql = format!(
                "INSERT INTO order_lines (order_id, position, sku, name, quantity, fulfilled, unit_price, total, currency) \
                 VALUES {values}"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, (sku, name, qty, unit, total)) in self.lines.iter().enumerate() {
                q = q
                    .bind(&self.order[0])
                    .bind(i as i64)
                    .bind(sku)
                    .bind(name)
                    .bind(qty)
                    .bind(unit)
                    .bind(total)
                    .bind(self.currency);
            }
            q.execute(&mut *tx).await.expect("lines");
            sqlx::query(
                "INSERT INTO payments (id, order_id, provider, reference, status, currency, amount, authorized, captured, \
                 refunded, action, expires_at, late_capture, version, created_at, updated_at, refunds, history) \
                 VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, 1, ?, ?, ?, ?)",
            )
            .bind(&self.payment[0])
            .bind(&self.order[0])
            .bind(&self.payment[1])
            .bind(&self.payment[2])
            .bind(self.currency)
            .bind(&self.payment[3])
            .bind(&self.payment[4])
            .bind(&self.payment[4])
            .bind(&self.payment[4])
            .bind(&self.payment[5])
            .bind(&self.payment[5])
            .bind(&self.payment[6])
            .bind(&self.payment[7])
            .execute(&mut *tx)
            .await
            .expect("payment");
            sqlx::query(
                "INSERT INTO outbox (event_id, payload, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, ?)",
            )
            .bind(&self.event[0])
            .bind(&self.event[1])
            .bind(&self.event[2])
            .execute(&mut *tx)
            .await
            .expect("event");
            sqlx::query("INSERT INTO order_keys (key, fingerprint, order_id) VALUES (?, ?, ?)")
                .bind(&self.key[0])
                .bind(&self.key[1])
                .bind(&self.order[0])
                .execute(&mut *tx)
                .await
                .expect("key");
            sqlx::query("DELETE FROM carts WHERE id = ?")
                .bind(&self.cart_id)
                .execute(&mut *tx)
                .await
                .expect("cart");
            tx.commit().await.expect("commit");
        }
    }

    pub async fn setup(pool: &SqlitePool) {
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .execute(pool)
            .await
            .expect("bench table");
    }

    /// One single-row INSERT in its own `BEGIN IMMEDIATE ... COMMIT`.
    pub async fn insert_one(pool: &SqlitePool) {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        sqlx::query("INSERT INTO bench_rows (v) VALUES ('x')").execute(&mut *tx).await.expect("insert");
        tx.commit().await.expect("commit");
    }
}

fn sqlx_sync(sync: Synchronous) -> SqliteSynchronous {
    match sync {
        Synchronous::Full => SqliteSynchronous::Full,
        _ => SqliteSynchronous::Normal,
    }
}

async fn writer_pool(path: &str, sync: Synchronous) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlx_sync(sync))
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new().max_connections(1).min_connections(1).connect_with(options).await.expect("pool")
}

fn main() {
    let orders = env_usize("SQLITE_BENCH_ORDERS", 300);
    let runs = env_usize("SQLITE_BENCH_RUNS", 5);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    println!("sqlite place_order: {LINES}-line carts, {orders} orders per run, median of {runs} runs");
    println!("{:<7} {:>5}  {:<28} {:>12}", "sync", "tasks", "measure", "per second");
    rt.block_on(async {
        for sync in [Synchronous::Normal, Synchronous::Full] {
            let b = Arc::new(Bench::new(dir.path(), sync).await);
            let pool = writer_pool(&b.path, sync).await;
            hand::setup(&pool).await;
            for tasks in [1, TASKS] {
                let (mut store, mut handw, mut engine, mut insert) = (vec![], vec![], vec![], vec![]);
                let mut paired = vec![];
                for _ in 0..runs {
                    // The measures alternate in small batches, so that load from other processes
                    // and the growing database affect them alike; each run's rate is the items
                    // over the summed time of its batches.
                    let mut spent = [Duration::ZERO; 4];
                    for _ in 0..orders.div_ceil(BATCH) {
                        let mut reqs = Vec::with_capacity(BATCH);
                        let mut txs = Vec::with_capacity(BATCH);
                        let mut ids = Vec::with_capacity(BATCH);
                        for _ in 0..BATCH {
                            reqs.push(b.request(&b.prepare().await));
                            txs.push(hand::HandOrder::new(&b.request(&b.prepare().await)));
                            ids.push(b.prepare().await.id);
                        }
                        let s = b.timed.clone();
                        spent[0] += timed(reqs, tasks, move |r| {
                            let s = s.clone();
                            async move {
                                s.place_order(r).await.expect("place_order");
                            }
                        })
                        .await;
                        let p = pool.clone();
                        spent[1] += timed(txs, tasks, move |t| {
                            let p = p.clone();
                            async move { t.run(&p).await }
                        })
                        .await;
                        let bb = b.clone();
                        spent[2] += timed(ids, tasks, move |id| {
                            let bb = bb.clone();
                            async move {
                                let key = format!("engine-{}", bb.timed_h.uuid());
                                bb.timed_h.engine.place_order(id, &key).await.expect("engine place_order");
                            }
                        })
                        .await;
                        let p = pool.clone();
                        spent[3] += timed((0..BATCH * 4).collect::<Vec<usize>>(), tasks, move |_| {
                            let p = p.clone();
                            async move { hand::insert_one(&p).await }
                        })
                        .await;
                    }
                    let n = (orders.div_ceil(BATCH) * BATCH) as f64;
                    let rate = |d: Duration| n / d.max(Duration::from_nanos(1)).as_secs_f64();
                    paired.push(spent[1].as_secs_f64() / spent[0].as_secs_f64());
                    store.push(rate(spent[0]));
                    handw.push(rate(spent[1]));
                    engine.push(rate(spent[2]));
                    insert.push(4.0 * rate(spent[3]));
                }
                let (store, handw, engine, insert) =
                    (median(store), median(handw), median(engine), median(insert));
                let name = format!("{sync:?}").to_uppercase();
                for (measure, rate) in [
                    ("store place_order", store),
                    ("hand-written tx", handw),
                    ("engine place_order", engine),
                    ("single-row INSERT commits", insert),
                ] {
                    println!("{name:<7} {tasks:>5}  {measure:<28} {rate:>12.0}");
                }
                println!(
                    "{name:<7} {tasks:>5}  store / hand-written = {:.0}% (median of per-run ratios {:.0}%), \
                     store / INSERT commits = {:.1}%",
                    100.0 * store / handw,
                    100.0 * median(paired),
                    100.0 * store / insert
                );
            }
            pool.close().await;
            b.timed.close().await;
            b.prep.close().await;
        }
    });
}
