//! Throughput of the MySQL store against the local MariaDB, next to the limits of the server.
//!
//! Run: `cargo bench -p commerce-mysql --bench mysql` (server from `COMMERCE_TEST_MYSQL_URL`,
//! default `mysql://root@127.0.0.1:3306/test`; `MYSQL_BENCH_RUNS=<n>` repetitions, default 5;
//! `MYSQL_BENCH_ORDERS=<n>` orders per run and measure, default 320; `MYSQL_BENCH_ONLY=hot,orders`
//! to run some of the groups `orders`, `hot`, `limits`, `reads`). Prints the median of the runs
//! for each measure, and the ratios the targets are about.
//!
//! Measures (each run on a fresh scratch database; preparation is never timed):
//! - **store place_order** (1 and 16 tasks): `MySqlStore::place_order` for 10-line carts (16 cart
//!   templates over a 100-SKU catalog), requests built as the engine builds them, checkouts with
//!   active reservations prepared beforehand.
//! - **hand-written tx** (1 and 16 tasks): the same writes as plain sqlx statements in one
//!   transaction (the floor under the store). Alternates with the store in batches of 32, so
//!   background load and table growth hit both alike.
//! - **engine place_order** (1 and 16 tasks): `Commerce::place_order` (reads the key, the
//!   checkout, product names; then the store call).
//! - **hot SKU reserve** (64 tasks): `MySqlStore::reserve` of one unit of one SKU; 20% more
//!   attempts than stock, asserting that exactly the stock is reserved (zero oversell).
//! - **raw hot-row UPDATE** (64 connections): autocommit
//!   `UPDATE stock SET reserved = reserved + 1 WHERE sku = ? AND (backorder OR on_hand - reserved >= 1)`
//!   of another row, same shape (20% more than stock), alternating with the reservations in
//!   batches of 512 so both see the same background load.
//! - **single-row INSERT commits** (1 and 16 tasks): autocommit inserts into a scratch table.
//! - **cart read by id** (16 tasks): `MySqlStore::get_cart` of a 10-line cart.

// Rates and ratios of a benchmark, never money.
#![allow(clippy::float_arithmetic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use commerce_core::ids::{CheckoutId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, ReservationStatus, StockLine};
use commerce_core::ports::storage::{CartStore, InventoryStore, OrderStore, StoreError};
use commerce_mysql::{MySqlStore, ScratchDatabase};
use support::{HandOrder, Shop, timed};

const BATCH: usize = 32;
const HOT_TASKS: usize = 64;
const HOT_STOCK: i64 = 2_560;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.max(Duration::from_nanos(1)).as_secs_f64()
}

async fn open(db: &ScratchDatabase, connections: u32) -> Arc<MySqlStore> {
    Arc::new(db.open_with(MySqlStore::options(db.url()).max_connections(connections)).await.expect("open"))
}

/// Store, hand-written and engine place_order rates (orders/s) for one run at `tasks`.
async fn place_orders(db: &ScratchDatabase, orders: usize, tasks: usize) -> [f64; 3] {
    let store = open(db, 20).await;
    let shop = Arc::new(Shop::new(store.clone()).await);
    let pool = store.pool().clone();
    let mut spent = [Duration::ZERO; 3];
    let batches = orders.div_ceil(BATCH);
    for _ in 0..batches {
        let prepared = shop.prepare_many(3 * BATCH).await;
        let reqs: Vec<_> = prepared[..BATCH].iter().map(|c| shop.request(c)).collect();
        let hands: Vec<_> =
            prepared[BATCH..2 * BATCH].iter().map(|c| HandOrder::new(&shop.request(c))).collect();
        let ids: Vec<CheckoutId> = prepared[2 * BATCH..].iter().map(|c| c.id).collect();
        let s = store.clone();
        spent[0] += timed(reqs, tasks, move |r| {
            let s = s.clone();
            async move {
                s.place_order(r).await.expect("store place_order");
            }
        })
        .await;
        let p = pool.clone();
        spent[1] += timed(hands, tasks, move |h| {
            let p = p.clone();
            async move { h.run(&p).await }
        })
        .await;
        let sh = shop.clone();
        spent[2] += timed(ids, tasks, move |id| {
            let sh = sh.clone();
            async move {
                let key = format!("engine-{}", sh.h.uuid());
                sh.h.engine.place_order(id, &key).await.expect("engine place_order");
            }
        })
        .await;
    }
    let n = batches * BATCH;
    [rate(n, spent[0]), rate(n, spent[1]), rate(n, spent[2])]
}

/// Hot SKU: `MySqlStore::reserve` of one unit of one SKU by 64 tasks, against raw autocommit
/// conditional updates of another row from 64 connections, alternating in batches of 64 x 8 so
/// background load hits both alike. Each side makes 20% more attempts than its row has stock;
/// asserts that exactly the stock was taken (zero oversell). Returns (reserve, raw) attempts/s.
async fn hot_sku(db: &ScratchDatabase) -> (f64, f64) {
    let store = open(db, HOT_TASKS as u32).await;
    let (hot, raw) = (Sku::parse("HOT-RESERVE").expect("sku"), Sku::parse("HOT-RAW").expect("sku"));
    store.set_stock(&hot, HOT_STOCK, false, None).await.expect("stock");
    store.set_stock(&raw, HOT_STOCK, false, None).await.expect("stock");
    let attempts = HOT_STOCK as usize * 6 / 5;
    let batch = HOT_TASKS * 8;
    let far = chrono::DateTime::from_timestamp(4_000_000_000, 0).expect("time");
    let reserved = Arc::new(AtomicI64::new(0));
    let matched = Arc::new(AtomicI64::new(0));
    let mut spent = [Duration::ZERO; 2];
    let mut done = 0;
    while done < attempts {
        let n = batch.min(attempts - done);
        done += n;
        let reservations: Vec<Reservation> = (0..n)
            .map(|_| Reservation {
                id: ReservationId::from_uuid(uuid::Uuid::new_v4()),
                checkout_id: CheckoutId::from_uuid(uuid::Uuid::new_v4()),
                lines: vec![StockLine { sku: hot.clone(), quantity: 1 }],
                expires_at: far,
                status: ReservationStatus::Active,
            })
            .collect();
        let (s, ok) = (store.clone(), reserved.clone());
        spent[0] += timed(reservations, HOT_TASKS, move |r| {
            let (s, ok) = (s.clone(), ok.clone());
            async move {
                match s.reserve(&r).await {
                    Ok(()) => {
                        ok.fetch_add(1, Relaxed);
                    }
                    Err(StoreError::OutOfStock { .. }) => {}
                    Err(e) => panic!("reserve: {e}"),
                }
            }
        })
        .await;
        let (pool, m) = (store.pool().clone(), matched.clone());
        spent[1] += timed((0..n).collect::<Vec<_>>(), HOT_TASKS, move |_| {
            let (p, m) = (pool.clone(), m.clone());
            async move {
                let n = sqlx::query(
                    "UPDATE stock SET reserved = reserved + 1 \
                     WHERE sku = 'HOT-RAW' AND (backorder OR on_hand - reserved >= 1)",
                )
                .execute(&p)
                .await
                .expect("update")
                .rows_affected();
                m.fetch_add(n as i64, Relaxed);
            }
        })
        .await;
    }
    let level = store.get_stock(&hot).await.expect("stock").expect("level");
    assert_eq!(reserved.load(Relaxed), HOT_STOCK, "exactly the stock was reserved");
    assert_eq!((level.reserved, level.available()), (HOT_STOCK, 0), "zero oversell");
    assert_eq!(matched.load(Relaxed), HOT_STOCK, "raw: exactly the stock");
    (rate(attempts, spent[0]), rate(attempts, spent[1]))
}

/// Autocommit single-row inserts: commits/s.
async fn raw_inserts(db: &ScratchDatabase, n: usize, tasks: usize) -> f64 {
    let store = open(db, tasks as u32).await;
    let pool = store.pool().clone();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL) \
         ENGINE = InnoDB",
    )
    .execute(&pool)
    .await
    .expect("table");
    let spent = timed((0..n).collect::<Vec<_>>(), tasks, move |i| {
        let p = pool.clone();
        async move {
            sqlx::query("INSERT INTO bench_rows (v) VALUES (?)")
                .bind(format!("row {i}"))
                .execute(&p)
                .await
                .expect("insert");
        }
    })
    .await;
    rate(n, spent)
}

/// Cart reads by id from 16 tasks: reads/s.
async fn cart_reads(db: &ScratchDatabase, n: usize) -> f64 {
    let store = open(db, 16).await;
    let shop = Shop::new(store.clone()).await;
    let id = support::stored_cart(&shop).await;
    let s = store.clone();
    let spent = timed((0..n).collect::<Vec<_>>(), 16, move |_| {
        let s = s.clone();
        async move {
            let (cart, _) = s.get_cart(id).await.expect("get_cart").expect("cart");
            assert_eq!(cart.lines().len(), support::LINES);
        }
    })
    .await;
    rate(n, spent)
}

fn main() {
    let url = std::env::var("COMMERCE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let runs = env_usize("MYSQL_BENCH_RUNS", 5).max(1);
    let orders = env_usize("MYSQL_BENCH_ORDERS", 320);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    rt.block_on(async {
        if let Err(e) = ScratchDatabase::create(&url).await {
            println!("SKIPPED: MySQL unreachable at {url}: {e}");
            return;
        }
        let mut results: Vec<(String, Vec<f64>)> = Vec::new();
        let mut record = |name: &str, value: f64| match results.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => v.push(value),
            None => results.push((name.to_owned(), vec![value])),
        };
        // MYSQL_BENCH_ONLY=orders,hot,limits,reads picks groups (default: all).
        let only = std::env::var("MYSQL_BENCH_ONLY").unwrap_or_default();
        let on = |group: &str| only.is_empty() || only.split(',').any(|g| g.trim() == group);
        for run in 0..runs {
            eprintln!("run {}/{runs}", run + 1);
            for tasks in [1, 16].into_iter().filter(|_| on("orders")) {
                let db = ScratchDatabase::create(&url).await.expect("scratch");
                let n = if tasks == 1 { orders / 4 } else { orders };
                let [store, hand, engine] = place_orders(&db, n, tasks).await;
                record(&format!("store place_order, {tasks} task(s) [orders/s]"), store);
                record(&format!("hand-written tx, {tasks} task(s) [orders/s]"), hand);
                record(&format!("engine place_order, {tasks} task(s) [orders/s]"), engine);
                record(&format!("store / hand-written, {tasks} task(s)"), store / hand);
            }
            let db = ScratchDatabase::create(&url).await.expect("scratch");
            if on("hot") {
                let (reserve, raw) = hot_sku(&db).await;
                record("hot SKU reserve, 64 tasks [attempts/s]", reserve);
                record("raw hot-row UPDATE, 64 connections [updates/s]", raw);
                record("hot reserve / raw hot-row UPDATE", reserve / raw);
            }
            if on("limits") {
                record("single-row INSERT commits, 1 task [commits/s]", raw_inserts(&db, 300, 1).await);
                record("single-row INSERT commits, 16 tasks [commits/s]", raw_inserts(&db, 1600, 16).await);
            }
            if on("reads") {
                record("cart read by id, 16 tasks [reads/s]", cart_reads(&db, 8000).await);
            }
        }
        println!("mysql store benchmark: median of {runs} runs ({orders} orders per 16-task measure)");
        println!("{:<52} {:>12}", "measure", "median");
        for (name, values) in results {
            println!("{name:<52} {:>12.2}", median(values));
        }
    });
}
