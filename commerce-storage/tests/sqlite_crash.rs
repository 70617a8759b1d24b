//! Crash safety: a process placing orders is killed with SIGKILL mid-stream; reopening the
//! database finds every order it reported, complete, and no partial one.
//!
//! How: the test re-runs its own test binary as the child, selecting this same test with
//! `--exact` and passing the database path in `COMMERCE_SQLITE_CRASH_CHILD`. The child places
//! orders through the engine in an endless loop, in batches (lock 8 checkouts' quotes, then place
//! the 8 orders back to back), and prints `PLACED <order id>` (flushed) after each `place_order`
//! returns. The parent waits until the child reported 4 orders, kills it with `Child::kill`
//! (SIGKILL on Unix) at a random point of the next placement (a random fraction of the time one
//! placement took), while it is placing the rest of its batch, reopens the database and checks it. Eight rounds run on the same database, so kills land at many points
//! and recovery after a kill is exercised repeatedly.

#![cfg(feature = "sqlite")]

mod sqlite_support;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use commerce_core::customer::{Address, Email};
use commerce_core::engine::Commerce;
use commerce_core::ids::{OrderId, Region, ShippingMethodId, Sku};
use commerce_core::ports::IdGenerator;
use commerce_core::ports::storage::{
    InventoryStore, OrderQuery, OrderStore, OutboxStore, PaymentStore, Store,
};
use commerce_core::{Currency, Quantity};
use commerce_storage::SqliteStore;
use commerce_storage::testkit::Harness;
use rust_decimal::Decimal;

const CHILD_ENV: &str = "COMMERCE_SQLITE_CRASH_CHILD";
const TEST_NAME: &str = "killed_mid_stream_loses_no_reported_order_and_leaves_no_partial_one";
const SKUS: [&str; 5] = ["CRASH-A", "CRASH-B", "CRASH-C", "CRASH-D", "CRASH-E"];
const INITIAL: i64 = 1_000_000;
const ROUNDS: usize = 8;
/// Orders the child reports before the kill: half of its batch of locked checkouts.
const ORDERS_PER_ROUND: usize = 4;
const BATCH: usize = 8;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).expect("valid sku")
}

#[test]
fn killed_mid_stream_loses_no_reported_order_and_leaves_no_partial_one() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let path = sqlite_support::fresh_db("crash");
    let path = path.to_str().expect("utf-8 path").to_owned();
    let rt = runtime();
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open(&path).await.expect("open"));
        let h = Harness::new(store.clone() as Arc<dyn Store>);
        for s in SKUS {
            h.seed(s, Decimal::new(1250, 2), INITIAL).await;
        }
        store.close().await;
    });
    let mut reported = HashSet::new();
    for round in 0..ROUNDS {
        let new = run_child_until_killed(&path, round);
        assert!(new.len() >= ORDERS_PER_ROUND, "round {round}: child reported {} orders", new.len());
        reported.extend(new);
        rt.block_on(verify(&path, &reported, round + 1));
    }
}

/// Spawns the child, collects what it reports, kills it mid-stream. Returns the reported ids.
fn run_child_until_killed(path: &str, round: usize) -> Vec<OrderId> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut ids = Vec::new();
    let mut first_at = None;
    while ids.len() < ORDERS_PER_ROUND {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                if let Some(id) = placed(&line) {
                    ids.push(id);
                    first_at.get_or_insert_with(Instant::now);
                }
            }
            Err(e) => {
                let _ = child.kill();
                panic!("round {round}: the child stopped reporting after {} orders: {e}", ids.len());
            }
        }
    }
    // Kill at a random point of the next order's placement: after a random fraction of the
    // time one order took so far. The child is placing the rest of its batch.
    let per_order = first_at.map_or(Duration::ZERO, |t| t.elapsed() / (ORDERS_PER_ROUND as u32 - 1));
    let fraction =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().subsec_nanos() % 1000;
    std::thread::sleep(per_order * fraction / 1000);
    assert!(child.try_wait().expect("poll the child").is_none(), "round {round}: the child exited by itself");
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("reap the child");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "round {round}: killed by SIGKILL, got {status}");
    }
    #[cfg(not(unix))]
    assert!(!status.success());
    // Orders reported between the threshold and the kill count too.
    reader.join().expect("reader thread");
    ids.extend(rx.try_iter().filter_map(|l| placed(&l)));
    ids
}

/// The order id of a `PLACED <id>` report. The first may follow libtest's `test <name> ... `
/// on the same line.
fn placed(line: &str) -> Option<OrderId> {
    line.split_once("PLACED ").map(|(_, id)| id.trim().parse().expect("an order id after PLACED"))
}

/// Random ids. (Not the kit's `Harness` ids: its sequential generator makes order numbers from
/// the low 40 bits of an id, which is the bare counter, so numbers would repeat in every new
/// child process and collide with the previous children's orders. See the report.)
struct RandomIds;

impl IdGenerator for RandomIds {
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }
}

/// The child: places orders of 1 to 3 lines through the engine until it is killed.
fn child(path: &str) {
    let rt = runtime();
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open(path).await.expect("child: open"));
        let engine = Commerce::builder(store as Arc<dyn Store>).ids(Arc::new(RandomIds)).build();
        let skus: Vec<Sku> = SKUS.iter().map(|s| sku(s)).collect();
        let email = Email::parse("crash@example.com").expect("email");
        let address = Address {
            name: "Sok Dara".into(),
            line1: "12 Street 240".into(),
            line2: None,
            city: "Phnom Penh".into(),
            region: None,
            postal_code: None,
            country: Region::parse("KH").expect("region"),
            phone: None,
        };
        let standard = ShippingMethodId::parse("standard").expect("method");
        let mut out = std::io::stdout();
        let mut i = 0usize;
        loop {
            // Lock a batch of checkouts first, then place them back to back: the parent's kill
            // then lands among `place_order` calls.
            let mut batch = Vec::with_capacity(BATCH);
            for _ in 0..BATCH {
                let cart = engine.create_cart(Currency::USD, None).await.expect("child: cart");
                for k in 0..1 + i % 3 {
                    let q = Quantity::new(1 + ((i + k) % 4) as u32).expect("quantity");
                    engine.add_to_cart(cart.id(), &skus[(i + k) % skus.len()], q).await.expect("child: add");
                }
                let c = engine.start_checkout(cart.id()).await.expect("child: checkout");
                engine
                    .set_checkout_addresses(c.id, email.clone(), address.clone(), None)
                    .await
                    .expect("child: address");
                engine.select_shipping(c.id, standard.clone()).await.expect("child: shipping");
                engine.lock_quote(c.id).await.expect("child: quote");
                batch.push(c.id);
                i += 1;
            }
            for id in batch {
                let key = format!("crash-{}", uuid::Uuid::new_v4());
                let order = engine.place_order(id, &key).await.expect("child: place");
                writeln!(out, "PLACED {}", order.id).expect("child: report");
                out.flush().expect("child: flush");
            }
        }
    });
}

/// Every reported order is whole; every order in the database is whole; stock adds up.
/// `kills` children were killed so far: each may have committed one order it did not report.
async fn verify(path: &str, reported: &HashSet<OrderId>, kills: usize) {
    let store = SqliteStore::open(path).await.expect("reopen after the kill");
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.expect("raw connection");
    let orders =
        store.list_orders(&OrderQuery { limit: u64::MAX, ..Default::default() }).await.unwrap().items;
    let placed: HashSet<OrderId> = store
        .all_events(u32::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            commerce_core::events::EventKind::OrderPlaced { order_id, .. } => Some(order_id),
            _ => None,
        })
        .collect();
    let in_db: HashSet<OrderId> = orders.iter().map(|o| o.id).collect();
    for id in reported {
        assert!(in_db.contains(id), "reported order {id} is missing after the crash");
    }
    assert!(in_db.len() >= reported.len());
    assert!(in_db.len() <= reported.len() + kills, "at most the order in flight was committed unreported");
    let mut sold: BTreeMap<Sku, i64> = BTreeMap::new();
    for o in &orders {
        assert!(!o.lines.is_empty(), "order {} has no lines", o.id);
        let payments = store.payments_of_order(o.id).await.unwrap();
        assert_eq!(payments.len(), 1, "order {} has one payment record", o.id);
        assert_eq!(payments[0].amount, o.total(), "order {} payment amount", o.id);
        assert!(placed.contains(&o.id), "order {} has its order_placed event", o.id);
        let (_, by_key) = store
            .order_by_idempotency_key(&key_of(&raw, o.id).await)
            .await
            .unwrap()
            .expect("the order's idempotency key");
        assert_eq!(by_key.id, o.id);
        for l in &o.lines {
            *sold.entry(l.sku.clone()).or_default() += i64::from(l.quantity);
        }
    }
    assert_eq!(placed.len(), orders.len(), "no order_placed event without its order");
    let held = active_reservations(&raw).await;
    for s in SKUS {
        let level = store.get_stock(&sku(s)).await.unwrap().expect("stock record");
        let sold = sold.get(&sku(s)).copied().unwrap_or(0);
        assert_eq!(level.on_hand, INITIAL - sold, "{s}: on_hand = initial - ordered");
        assert_eq!(level.reserved, held.get(s).copied().unwrap_or(0), "{s}: reserved = active reservations");
    }
    let check: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&raw).await.expect("integrity_check");
    assert_eq!(check, "ok");
    raw.close().await;
    store.close().await;
}

/// The idempotency key an order was placed with (the harness makes random keys).
async fn key_of(raw: &sqlx::SqlitePool, id: OrderId) -> String {
    sqlx::query_scalar("SELECT key FROM order_keys WHERE order_id = ?")
        .bind(id.to_string())
        .fetch_one(raw)
        .await
        .expect("an idempotency key row")
}

/// Units held by active reservations, per SKU.
async fn active_reservations(raw: &sqlx::SqlitePool) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT l.sku, SUM(l.quantity) FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id \
         WHERE r.status = 'active' GROUP BY l.sku",
    )
    .fetch_all(raw)
    .await
    .expect("active reservations");
    rows.into_iter().collect()
}
