//! SQLite specifics beyond the kit: locations, durability across reopen, exact money columns,
//! schema versions, and two stores (two writers, as two processes would be) on one file.

#![cfg(feature = "sqlite")]

mod sqlite_support;

use std::sync::Arc;

use commerce_core::ids::Sku;
use commerce_core::ports::storage::{
    CatalogStore, InventoryStore, OrderQuery, OrderStore, OutboxStore, PaymentStore, Store,
};
use commerce_storage::SqliteStore;
use commerce_storage::sqlite::Error;
use commerce_storage::testkit::Harness;
use rust_decimal_macros::dec;

fn path_str(p: &std::path::Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

/// What opening a location should give: a durable store, a private in-memory one, or an error.
#[derive(Debug, PartialEq)]
enum Opened {
    Durable,
    Memory,
    InvalidLocation,
    Open,
}

async fn check(location: &str, expected: Opened) {
    let got = match SqliteStore::open(location).await {
        Ok(s) if s.capabilities().durable => Opened::Durable,
        Ok(_) => Opened::Memory,
        Err(Error::InvalidLocation { .. }) => Opened::InvalidLocation,
        Err(Error::Open { .. }) => Opened::Open,
        Err(e) => panic!("{location}: unexpected {e}"),
    };
    assert_eq!(got, expected, "{location}");
}

#[tokio::test]
async fn locations() {
    let dir = sqlite_support::dir();
    let plain = path_str(&sqlite_support::fresh_db("loc-plain"));
    let url = format!("sqlite://{}", path_str(&sqlite_support::fresh_db("loc-url")));
    let short = format!("sqlite:{}", path_str(&sqlite_support::fresh_db("loc-short")));
    let missing_dir = path_str(&dir.join("no-such-dir").join("x.db"));
    let not_a_db = path_str(&sqlite_support::fresh_db("loc-garbage"));
    std::fs::write(&not_a_db, b"this is not a database, just text long enough to fill a header....").unwrap();
    for (location, expected) in [
        (plain.as_str(), Opened::Durable),
        (url.as_str(), Opened::Durable),
        (short.as_str(), Opened::Durable),
        ("sqlite::memory:", Opened::Memory),
        (":memory:", Opened::Memory),
        ("sqlite://:memory:", Opened::Memory),
        ("", Opened::InvalidLocation),
        ("sqlite://x.db?mode=bogus", Opened::InvalidLocation),
        (missing_dir.as_str(), Opened::Open),
        (not_a_db.as_str(), Opened::Open),
    ] {
        check(location, expected).await;
    }
    // the file forms really created their files
    assert!(std::path::Path::new(&plain).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_reopen() {
    let path = path_str(&sqlite_support::fresh_db("reopen"));
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let h = Harness::new(store.clone() as Arc<dyn Store>);
    let sku = h.seed("RE-1", dec!(19.99), 10).await;
    let order = h.buy(&[(&sku, 3)]).await.unwrap();
    let payments = store.payments_of_order(order.id).await.unwrap();
    let events = store.all_events(1000).await.unwrap();
    let product = store.product_by_sku(&sku).await.unwrap();
    let stock = store.get_stock(&sku).await.unwrap();
    store.close().await;
    drop(h);

    let again = SqliteStore::open(&path).await.unwrap();
    assert_eq!(again.get_order(order.id).await.unwrap(), Some(order.clone()));
    assert_eq!(again.order_by_number(&order.number).await.unwrap().map(|o| o.id), Some(order.id));
    assert_eq!(again.payments_of_order(order.id).await.unwrap(), payments);
    assert_eq!(again.all_events(1000).await.unwrap(), events);
    assert_eq!(again.product_by_sku(&sku).await.unwrap(), product);
    assert_eq!(again.get_stock(&sku).await.unwrap(), stock);
    assert_eq!(stock.map(|s| (s.on_hand, s.reserved)), Some((7, 0)));
    // 3 x 19.99 + 5.00 shipping, to the cent
    assert_eq!(order.total().amount(), dec!(64.97));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_is_exact_text_and_no_column_is_real() {
    let path = path_str(&sqlite_support::fresh_db("money"));
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let h = Harness::new(store.clone() as Arc<dyn Store>);
    let sku = h.seed("MNY-1", dec!(0.10), 100).await;
    let order = h.buy(&[(&sku, 3)]).await.unwrap(); // 0.30 + 5.00: binary floats cannot hold 0.1
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();

    // (query, expected typeof, expected text)
    let cases = [
        ("SELECT typeof(total), total FROM orders", "text", "5.30"),
        ("SELECT typeof(unit_price), unit_price FROM order_lines", "text", "0.10"),
        ("SELECT typeof(total), total FROM order_lines", "text", "0.30"),
        ("SELECT typeof(amount), amount FROM payments", "text", "5.30"),
        ("SELECT typeof(amount), amount FROM variant_prices", "text", "0.10"),
        ("SELECT typeof(currency), currency FROM orders", "text", "USD"),
        ("SELECT typeof(placed_at), placed_at FROM orders", "text", "2026-01-01T00:00:00.000000000Z"),
    ];
    for (sql, typ, text) in cases {
        let (t, v): (String, String) = sqlx::query_as(sql).fetch_one(&raw).await.unwrap();
        assert_eq!((t.as_str(), v.as_str()), (typ, text), "{sql}");
    }
    assert_eq!(order.total().amount(), dec!(5.30));

    // No table declares a floating-point column.
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table'",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert!(columns.len() > 50, "saw the schema");
    for (table, column, typ) in columns {
        let t = typ.to_ascii_uppercase();
        assert!(
            !(t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB")),
            "{table}.{column} is {typ}"
        );
    }
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let path = path_str(&sqlite_support::fresh_db("newer"));
    SqliteStore::open(&path).await.unwrap().close().await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'from the future', 1, x'00', 0)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    match SqliteStore::open(&path).await {
        Err(Error::NewerSchema { version }) => assert_eq!(version, 99999),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

/// Two stores on one file are two independent writers (as two processes are): they take turns
/// through SQLite's lock and never oversell.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_never_oversell() {
    let path = path_str(&sqlite_support::fresh_db("two"));
    let a = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b = Arc::new(SqliteStore::open(&path).await.unwrap());
    let ha = Arc::new(Harness::new(a.clone() as Arc<dyn Store>));
    let hb = Arc::new(Harness::new(b.clone() as Arc<dyn Store>));
    let sku = ha.seed("TWO-1", dec!(5), 12).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let h = if i % 2 == 0 { ha.clone() } else { hb.clone() };
            let sku: Sku = sku.clone();
            tokio::spawn(async move { h.buy(&[(&sku, 1)]).await })
        })
        .collect();
    let (mut ok, mut out) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(commerce_core::engine::Error::OutOfStock { .. }) => out += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((ok, out), (12, 28));
    let s = b.get_stock(&sku).await.unwrap().unwrap();
    assert_eq!((s.on_hand, s.reserved), (0, 0));
    assert_eq!(a.list_orders(&OrderQuery { limit: 100, ..Default::default() }).await.unwrap().total, 12);
}
