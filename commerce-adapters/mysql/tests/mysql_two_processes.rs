//! Two processes, one database: two separate OS processes (this test binary re-invoked as a
//! child) run the engine against the same MariaDB database and buy the same scarce SKUs at once,
//! many tasks each, carts listing the SKUs in different orders, and some purchases reusing the
//! same idempotency key in both processes.
//!
//! Checked afterwards, from the database: no oversell (stock never negative; ordered units plus
//! what is left equal the initial stock), no lost order (every order a child reported exists, with
//! its lines), no phantom order (every stored order was reported), and exactly one order per
//! reused idempotency key.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use commerce_core::engine::Error;
use commerce_core::ids::{OrderId, Sku};
use commerce_core::ports::storage::{OrderQuery, Store};
use commerce_mysql::MySqlStore;
use commerce_storage::testkit::Harness;
use rust_decimal_macros::dec;

/// Set in a child's environment: the database URL to use.
const CHILD_URL: &str = "COMMERCE_MYSQL_TWO_PROCESSES_URL";
/// Set in a child's environment: its number (0 or 1).
const CHILD_NO: &str = "COMMERCE_MYSQL_TWO_PROCESSES_CHILD";

const SKUS: [&str; 4] = ["TP-A", "TP-B", "TP-C", "TP-D"];
const INITIAL: i64 = 40;
const TASKS: usize = 16;
const PURCHASES: usize = 3;
/// The first purchase of tasks `0..SHARED` uses key `shared-<task>` in both processes, each on
/// its own checkout (first purchases, while stock is still plentiful: the key is contested).
const SHARED: usize = 8;

/// The cart of purchase `p` of task `t` in child `c`: 1 to 3 lines in an order that varies.
fn cart(c: usize, t: usize, p: usize) -> Vec<(usize, u32)> {
    let n = 1 + (c + t + p) % 3;
    let start = (t * 7 + p * 3 + c) % SKUS.len();
    let step = if (t + p).is_multiple_of(2) { 1 } else { SKUS.len() - 1 }; // ascending or descending
    (0..n).map(|i| ((start + i * step) % SKUS.len(), 1 + ((t + i) % 2) as u32)).collect()
}

/// The idempotency key of purchase `p` of task `t` in child `c`.
fn key(c: usize, t: usize, p: usize) -> String {
    if p == 0 && t < SHARED { format!("shared-{t}") } else { format!("child{c}-{t}-{p}") }
}

/// The child: runs the purchases and prints one `RESULT` line per placed order.
async fn child(url: &str, c: usize) {
    let store: Arc<dyn Store> = Arc::new(MySqlStore::open(url).await.expect("child opens the database"));
    let h = Arc::new(Harness::new(store));
    let skus: Vec<Sku> = SKUS.iter().map(|s| Sku::parse(s).unwrap()).collect();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let h = h.clone();
            let skus = skus.clone();
            tokio::spawn(async move {
                let mut lines_out = Vec::new();
                for p in 0..PURCHASES {
                    let lines: Vec<(&Sku, u32)> =
                        cart(c, t, p).into_iter().map(|(i, q)| (&skus[i], q)).collect();
                    let k = key(c, t, p);
                    let checkout = match h.checkout(&lines, None, None).await {
                        Ok(id) => id,
                        Err(Error::OutOfStock { .. }) => {
                            lines_out.push(format!("LOG {k} out-of-stock at checkout"));
                            continue;
                        }
                        Err(e) => panic!("checkout: {e}"),
                    };
                    match h.engine.place_order(checkout, &k).await {
                        Ok(order) => {
                            let units: Vec<String> =
                                order.lines.iter().map(|l| format!("{}={}", l.sku, l.quantity)).collect();
                            lines_out.push(format!("RESULT {} {} {}", k, order.id, units.join(",")));
                        }
                        Err(e @ (Error::OutOfStock { .. } | Error::IdempotencyConflict { .. })) => {
                            let what = if matches!(e, Error::OutOfStock { .. }) {
                                "out-of-stock"
                            } else {
                                "key-taken"
                            };
                            lines_out.push(format!("LOG {k} {what} at placement"));
                            // Give the units back (the other process won the key, or stock ran out).
                            h.engine.cancel_checkout(checkout).await.expect("cancel checkout");
                        }
                        Err(e) => panic!("place_order {k}: {e}"),
                    }
                }
                lines_out
            })
        })
        .collect();
    for t in tasks {
        for line in t.await.expect("task") {
            println!("{line}");
        }
    }
}

/// Entry point of the children; does nothing in a normal run.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_child_entry() {
    let (Ok(url), Ok(c)) = (std::env::var(CHILD_URL), std::env::var(CHILD_NO)) else { return };
    child(&url, c.parse().expect("child number")).await;
}

/// What the children reported: (key, order id, units per SKU, child).
type Reports = Vec<(String, OrderId, BTreeMap<String, u32>, usize)>;

fn parse_reports(stdout: &str, child: usize) -> Reports {
    stdout
        .lines()
        // libtest prints "test ... " without a newline before the child's first line.
        .filter_map(|l| l.find("RESULT ").map(|i| &l[i + "RESULT ".len()..]))
        .map(|l| {
            let mut parts = l.split(' ');
            let key = parts.next().expect("key").to_owned();
            let id: OrderId = parts.next().expect("id").parse().expect("order id");
            let units = parts
                .next()
                .expect("units")
                .split(',')
                .map(|u| {
                    let (s, q) = u.split_once('=').expect("sku=q");
                    (s.to_owned(), q.parse().expect("quantity"))
                })
                .collect();
            (key, id, units, child)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_database() {
    let Some(db) = common::scratch().await else { return };
    let mysql = Arc::new(db.open().await.expect("open"));
    let store: Arc<dyn Store> = mysql.clone();
    let h = Harness::new(store.clone());
    for s in SKUS {
        h.seed(s, dec!(10), INITIAL).await;
    }
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..2)
        .map(|c| {
            tokio::process::Command::new(&exe)
                .args(["--exact", "two_processes_child_entry", "--nocapture", "--test-threads=1"])
                .env(CHILD_URL, db.url())
                .env(CHILD_NO, c.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let mut reports: Reports = Vec::new();
    let mut logs: Vec<String> = Vec::new();
    for (c, child) in children.into_iter().enumerate() {
        let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
            .await
            .expect("child finished in time")
            .expect("child output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child {c} failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        logs.extend(stdout.lines().filter_map(|l| l.find("LOG ").map(|i| format!("child{c} {}", &l[i..]))));
        let mine = parse_reports(&stdout, c);
        println!("child {c}: {} orders placed", mine.len());
        reports.extend(mine);
    }
    assert!(!reports.is_empty(), "the children placed orders");

    // Every purchase of each child has exactly one outcome line.
    for c in 0..2 {
        for t in 0..TASKS {
            for p in 0..PURCHASES {
                let k = key(c, t, p);
                let placed = reports.iter().filter(|r| r.0 == k && r.3 == c).count();
                let logged = logs.iter().filter(|l| l.starts_with(&format!("child{c} LOG {k} "))).count();
                assert_eq!(placed + logged, 1, "child {c} purchase {k}: one outcome");
            }
        }
    }
    // Each reused key: placed by exactly one child; the other lost the key (or ran out first).
    let mut key_conflicts = 0;
    for i in 0..SHARED {
        let k = format!("shared-{i}");
        let placed = reports.iter().filter(|r| r.0 == k).count();
        let taken = logs.iter().filter(|l| l.contains(&format!("LOG {k} key-taken"))).count();
        let out = logs.iter().filter(|l| l.contains(&format!("LOG {k} out-of-stock"))).count();
        assert!(placed <= 1, "{k}: placed {placed} times");
        assert_eq!(placed + taken + out, 2, "{k}: both children tried it");
        key_conflicts += taken;
    }
    println!("{key_conflicts} of {SHARED} reused keys were refused to the second process");
    assert!(key_conflicts >= SHARED / 2, "the reused keys were contested");

    // No lost order: every reported order exists with the reported lines.
    let mut ordered: BTreeMap<String, i64> = BTreeMap::new();
    let reported: BTreeSet<OrderId> = reports.iter().map(|r| r.1).collect();
    for id in &reported {
        let order = store.get_order(*id).await.unwrap().unwrap_or_else(|| panic!("order {id} was lost"));
        for l in &order.lines {
            *ordered.entry(l.sku.to_string()).or_default() += i64::from(l.quantity);
        }
    }
    for (key, id, units, _) in &reports {
        let order = store.get_order(*id).await.unwrap().expect("order");
        let stored: BTreeMap<String, u32> =
            order.lines.iter().map(|l| (l.sku.to_string(), l.quantity)).collect();
        assert_eq!(&stored, units, "order {id} ({key}) as reported");
    }
    // No phantom order: the store holds exactly the reported ones.
    let all = store.list_orders(&OrderQuery { limit: 10_000, ..Default::default() }).await.unwrap();
    let stored: BTreeSet<OrderId> = all.items.iter().map(|o| o.id).collect();
    for phantom in stored.difference(&reported) {
        let key: Option<String> =
            sqlx::query_scalar("SELECT idempotency_key FROM order_keys WHERE order_id = ?")
                .bind(phantom.to_string())
                .fetch_optional(mysql.pool())
                .await
                .unwrap();
        println!("unreported order {phantom} under key {key:?}");
        for r in reports.iter().filter(|r| Some(&r.0) == key.as_ref()) {
            println!("  reported for that key: {} {:?}", r.1, r.2);
        }
        for l in logs.iter().filter(|l| key.as_ref().is_some_and(|k| l.contains(&format!("LOG {k} ")))) {
            println!("  {l}");
        }
    }
    assert_eq!(stored, reported, "stored orders are the reported ones");

    // One order per reused key, reported by exactly one process.
    for i in 0..SHARED {
        let key = format!("shared-{i}");
        let ids: BTreeSet<OrderId> = reports.iter().filter(|r| r.0 == key).map(|r| r.1).collect();
        let by_key = store.order_by_idempotency_key(&key).await.unwrap().map(|(_, o)| o.id);
        match by_key {
            Some(id) => assert_eq!(ids, BTreeSet::from([id]), "{key}: one order"),
            None => assert!(ids.is_empty(), "{key}: reported but not stored"),
        }
    }

    // No oversell: ordered + remaining = initial, nothing negative, nothing left reserved.
    for s in SKUS {
        let level = store.get_stock(&Sku::parse(s).unwrap()).await.unwrap().expect("stock");
        let sold = ordered.get(s).copied().unwrap_or(0);
        assert!(level.on_hand >= 0 && level.available() >= 0, "{s} oversold: {level:?}");
        assert_eq!(level.reserved, 0, "{s}: every checkout was placed or cancelled");
        assert_eq!(sold + level.on_hand, INITIAL, "{s}: sold {sold} + left {} = initial", level.on_hand);
    }
    let total_sold: i64 = ordered.values().sum();
    println!("{} orders, {total_sold} units sold of {}", reported.len(), INITIAL * SKUS.len() as i64);
}

#[test]
fn carts_vary_the_sku_order_and_keys_are_shared_as_planned() {
    // (child, task, purchase) -> cart
    assert_eq!(cart(0, 0, 0), vec![(0, 1)]);
    assert_eq!(cart(0, 1, 0), vec![(3, 2), (2, 1)], "descending");
    assert_eq!(cart(1, 0, 1), vec![(0, 1), (3, 2), (2, 1)], "descending, three lines");
    assert_eq!(cart(1, 2, 0), vec![(3, 1)]);
    let ascending = cart(0, 0, 2);
    assert!(ascending.windows(2).all(|w| (w[0].0 + 1) % SKUS.len() == w[1].0), "{ascending:?}");
    assert_eq!(key(0, 3, 0), key(1, 3, 0), "shared between the children");
    assert_eq!(key(1, 7, 0), "shared-7");
    assert_ne!(key(0, 8, 0), key(1, 8, 0), "private from task SHARED on");
    assert_ne!(key(0, 0, 1), key(1, 0, 1), "private after the first purchase");
}
