//! What is particular to the MySQL backend, beyond the conformance kit: deadlock and lock-wait
//! retries against real competing transactions, the precise stock errors of the batched stock
//! statement, migrations (on open, in a deploy step, concurrent, newer schema), URL errors, exact
//! money and nanosecond timestamps, and scratch databases being dropped.

mod common;

use std::str::FromStr;
use std::time::Duration;

use chrono::DateTime;
use commerce_core::catalog::{Product, Variant};
use commerce_core::customer::{Customer, Email};
use commerce_core::ids::{CheckoutId, CustomerId, ProductId, ReservationId, Sku, TaxClass};
use commerce_core::inventory::{Reservation, ReservationStatus, StockLine};
use commerce_core::ports::storage::{CatalogStore, CustomerStore, InventoryStore, StoreError};
use commerce_core::{Currency, Money};
use commerce_mysql::{Error, MySqlStore};
use rust_decimal_macros::dec;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::{ConnectOptions, Executor, MySqlConnection};

fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

fn uuid() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

fn reservation(lines: &[(&str, i64)]) -> Reservation {
    Reservation {
        id: ReservationId::from_uuid(uuid()),
        checkout_id: CheckoutId::from_uuid(uuid()),
        lines: lines.iter().map(|(s, q)| StockLine { sku: sku(s), quantity: *q }).collect(),
        expires_at: DateTime::from_timestamp(4_000_000_000, 0).unwrap(),
        status: ReservationStatus::Active,
    }
}

/// A connection of "another process" on the same database.
async fn raw(url: &str) -> MySqlConnection {
    MySqlConnectOptions::from_str(url).unwrap().connect().await.unwrap()
}

/// (on_hand, reserved) of each SKU.
async fn levels(store: &MySqlStore, skus: &[&str]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for s in skus {
        let l = store.get_stock(&sku(s)).await.unwrap().unwrap();
        out.push((l.on_hand, l.reserved));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_is_retried_and_succeeds() {
    let Some(db) = common::scratch().await else { return };
    let store = std::sync::Arc::new(db.open().await.unwrap());
    for s in ["DL-A", "DL-B"] {
        store.set_stock(&sku(s), 10, false, None).await.unwrap();
    }
    // The other transaction: heavy (many rows written, so InnoDB picks the store's transaction as
    // the victim), then holds DL-B.
    let mut other = raw(db.url()).await;
    other.execute("BEGIN").await.unwrap();
    for i in 0..200 {
        sqlx::query("INSERT INTO coupon_usage (code, uses) VALUES (?, 0)")
            .bind(format!("HEAVY{i}"))
            .execute(&mut other)
            .await
            .unwrap();
    }
    other.execute("SELECT * FROM stock WHERE sku = 'DL-B' FOR UPDATE").await.unwrap();
    // The store locks DL-A, then waits for DL-B...
    let reserve = {
        let store = store.clone();
        tokio::spawn(async move { store.reserve(&reservation(&[("DL-A", 1), ("DL-B", 1)])).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // ...and the other transaction now wants DL-A: a deadlock.
    other.execute("UPDATE stock SET on_hand = on_hand + 5 WHERE sku = 'DL-A'").await.unwrap();
    other.execute("COMMIT").await.unwrap();
    reserve.await.unwrap().expect("the store's transaction was retried after the deadlock");
    assert!(store.transaction_retries() >= 1, "a retry happened");
    assert_eq!(levels(&store, &["DL-A", "DL-B"]).await, [(15, 1), (10, 1)], "both changes, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_wait_timeouts_are_retried_then_reported() {
    let Some(db) = common::scratch().await else { return };
    let patient = MySqlStore::options(db.url()).lock_wait_timeout(Duration::from_secs(1)).max_retries(5);
    let store = std::sync::Arc::new(db.open_with(patient).await.unwrap());
    store.set_stock(&sku("LW-1"), 1, false, None).await.unwrap();

    // Held for 1.5 s: the first attempt times out after 1 s, a retry gets the row.
    let mut other = raw(db.url()).await;
    other.execute("BEGIN").await.unwrap();
    other.execute("SELECT * FROM stock WHERE sku = 'LW-1' FOR UPDATE").await.unwrap();
    let adjust = {
        let store = store.clone();
        tokio::spawn(async move { store.adjust_stock(&sku("LW-1"), 2).await })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    other.execute("COMMIT").await.unwrap();
    assert_eq!(adjust.await.unwrap().unwrap().on_hand, 3);
    assert!(store.transaction_retries() >= 1);

    // Held longer than every attempt: a backend error, and nothing changed.
    let impatient = MySqlStore::options(db.url()).lock_wait_timeout(Duration::from_secs(1)).max_retries(1);
    let store = db.open_with(impatient).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other.execute("SELECT * FROM stock WHERE sku = 'LW-1' FOR UPDATE").await.unwrap();
    let err = store.adjust_stock(&sku("LW-1"), 2).await.unwrap_err();
    assert!(matches!(&err, StoreError::Backend(m) if m.contains("after 1 retries")), "{err}");
    other.execute("ROLLBACK").await.unwrap();
    assert_eq!(store.get_stock(&sku("LW-1")).await.unwrap().unwrap().on_hand, 3);
    assert_eq!(store.transaction_retries(), 1);
}

#[tokio::test]
async fn stock_errors_name_the_first_sku_short_in_canonical_order() {
    let Some(store) = common::scratch_store().await else { return };
    // (sku, on hand, backorder)
    for (s, on_hand, backorder) in [("P-A", 5, false), ("P-B", 1, false), ("P-C", 0, true)] {
        store.set_stock(&sku(s), on_hand, backorder, None).await.unwrap();
    }
    let all = ["P-A", "P-B", "P-C"];
    let before = levels(&store, &all).await;
    // (lines as the cart lists them, expected error)
    type Case = (Vec<(&'static str, i64)>, Option<StoreError>);
    let cases: Vec<Case> = vec![
        (
            vec![("P-B", 2), ("P-A", 1)],
            Some(StoreError::OutOfStock { sku: sku("P-B"), requested: 2, available: 1 }),
        ),
        (vec![("Z-1", 1), ("P-A", 1)], Some(StoreError::UnknownSku(sku("Z-1")))),
        (
            vec![("P-B", 9), ("A-0", 1), ("P-A", 6)],
            Some(StoreError::UnknownSku(sku("A-0"))), // A-0 sorts first
        ),
        (
            vec![("P-B", 2), ("P-A", 6)],
            Some(StoreError::OutOfStock { sku: sku("P-A"), requested: 6, available: 5 }),
        ),
        // one SKU: the reservation's last round trip carries the guard that stops the commit
        (vec![("P-B", 2)], Some(StoreError::OutOfStock { sku: sku("P-B"), requested: 2, available: 1 })),
        (vec![("Z-9", 1)], Some(StoreError::UnknownSku(sku("Z-9")))),
        (vec![("P-A", 2), ("P-A", 3)], None), // merged: 5 of 5
        (vec![("P-C", 7), ("P-B", 1)], None), // backorder goes below zero
    ];
    for (lines, expected) in cases {
        let r = reservation(&lines);
        assert_eq!(store.reserve(&r).await.err(), expected, "{lines:?}");
        if expected.is_none() {
            assert_ne!(levels(&store, &all).await, before, "{lines:?} holds stock");
            assert!(store.release_reservation(r.id).await.unwrap());
        }
        assert_eq!(levels(&store, &all).await, before, "nothing held after {lines:?}");
    }
}

/// A database restored from a dump without routines (`mysqldump` leaves them out by default) has
/// no `commerce_reserve`: reservations still work, through the general path, with the same
/// answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_work_without_the_stored_procedure() {
    let Some(store) = common::scratch_store().await else { return };
    store.set_stock(&sku("N-A"), 3, false, None).await.unwrap();
    store.set_stock(&sku("N-B"), 1, false, None).await.unwrap();
    store.pool().execute("DROP PROCEDURE commerce_reserve").await.unwrap();
    let all = ["N-A", "N-B"];
    // The first call meets the missing procedure, then takes the general path.
    let first = reservation(&[("N-B", 1), ("N-A", 2)]);
    store.reserve(&first).await.unwrap();
    assert_eq!(levels(&store, &all).await, vec![(3, 2), (1, 1)]);
    let short = reservation(&[("N-A", 2)]);
    assert_eq!(
        store.reserve(&short).await.err(),
        Some(StoreError::OutOfStock { sku: sku("N-A"), requested: 2, available: 1 })
    );
    assert_eq!(
        store.reserve(&reservation(&[("Z-1", 1)])).await.err(),
        Some(StoreError::UnknownSku(sku("Z-1")))
    );
    // A re-lock of the first checkout gives its units back in the same transaction.
    let relock = Reservation {
        id: ReservationId::from_uuid(uuid()),
        lines: vec![StockLine { sku: sku("N-A"), quantity: 3 }],
        ..first.clone()
    };
    store.reserve(&relock).await.unwrap();
    assert_eq!(levels(&store, &all).await, vec![(3, 3), (1, 0)]);
    assert!(store.release_reservation(relock.id).await.unwrap());
    assert_eq!(levels(&store, &all).await, vec![(3, 0), (1, 0)]);
}

/// The versions of the migrations in `migrations/` (`NNNN_name.sql`).
fn migration_versions() -> Vec<i64> {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".sql")?.split('_').next()?.parse().ok()
        })
        .collect()
}

fn newest_migration() -> i64 {
    migration_versions().into_iter().max().unwrap()
}

fn migration_count() -> i64 {
    i64::try_from(migration_versions().len()).unwrap()
}

#[tokio::test]
async fn migrations_on_open_in_a_deploy_step_and_concurrently() {
    let Some(db) = common::scratch().await else { return };
    let check_only = || MySqlStore::options(db.url()).migrate_on_open(false);
    let err = db.open_with(check_only()).await.unwrap_err();
    let newest = newest_migration();
    assert!(matches!(err, Error::SchemaBehind { applied: None, expected } if expected == newest), "{err}");
    MySqlStore::options(db.url()).migrate().await.unwrap();
    MySqlStore::options(db.url()).migrate().await.expect("idempotent");
    let store = db.open_with(check_only()).await.expect("current schema");
    store.migrate().await.expect("nothing to do");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, migration_count());

    // A newer version wrote this database: refused either way, as a Data error through `open`.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'future', TRUE, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let err = db.open_with(check_only()).await.unwrap_err();
    assert!(matches!(err, Error::NewerSchema { version: 99 }), "{err}");
    let err = db.open().await.unwrap_err();
    assert!(matches!(err, Error::NewerSchema { version: 99 }), "{err}");
    assert!(matches!(MySqlStore::open(db.url()).await, Err(StoreError::Data(_))));

    // Four processes starting at once on a new database apply the migration once.
    let Some(fresh) = common::scratch().await else { return };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let fresh = fresh.clone();
            tokio::spawn(async move { fresh.open().await })
        })
        .collect();
    for o in opens {
        o.await.unwrap().expect("concurrent open");
    }
    let store = fresh.open().await.unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, migration_count());
}

#[tokio::test]
async fn bad_urls_and_unreachable_servers_are_typed_errors() {
    // (url, expected error)
    type Expect = fn(&Error) -> bool;
    let cases: [(&str, Expect); 4] = [
        ("postgres://root@127.0.0.1/test", |e| matches!(e, Error::InvalidUrl { .. })),
        (
            "mysql://root@127.0.0.1:3306",
            |e| matches!(e, Error::InvalidUrl { reason, .. } if reason.contains("database")),
        ),
        (
            "mysql://root:hunter2@127.0.0.1:1/test",
            |e| matches!(e, Error::Connect { url, .. } if url.contains("***") && !url.contains("hunter2")),
        ),
        ("mysql://", |e| matches!(e, Error::InvalidUrl { .. })),
    ];
    for (url, expected) in cases {
        let err = MySqlStore::options(url).acquire_timeout(Duration::from_secs(2)).open().await.unwrap_err();
        assert!(expected(&err), "{url}: {err}");
        assert!(!err.to_string().contains("hunter2"), "password leaked: {err}");
    }
    assert!(matches!(MySqlStore::open("mysql://root@127.0.0.1:1/test").await, Err(StoreError::Backend(_))));
}

#[tokio::test]
async fn money_is_never_rounded_and_timestamps_keep_nanoseconds() {
    let Some(store) = common::scratch_store().await else { return };
    let product = |price| Product {
        id: ProductId::from_uuid(uuid()),
        name: "Tea".into(),
        description: String::new(),
        category: None,
        images: Vec::new(),
        attributes: Default::default(),
        variants: vec![Variant {
            sku: sku("TEA-1"),
            name: String::new(),
            options: Default::default(),
            prices: vec![Money::new(price, Currency::USD)],
            weight_grams: 100,
            tax_class: TaxClass::parse("standard").unwrap(),
            active: true,
        }],
        active: true,
    };
    // (price, stored?)
    for (price, stored) in [(dec!(1.23456), false), (dec!(1234567890123456), false), (dec!(1.2345), true)] {
        let p = product(price);
        let result = store.put_product(&p).await;
        assert_eq!(result.is_ok(), stored, "{price}: {result:?}");
        if stored {
            assert_eq!(store.get_product(p.id).await.unwrap(), Some(p), "{price} exactly");
        } else {
            assert!(matches!(result, Err(StoreError::Data(_))));
            assert_eq!(store.get_product(p.id).await.unwrap(), None, "nothing written for {price}");
        }
    }
    let customer = Customer {
        id: CustomerId::from_uuid(uuid()),
        email: Email::parse("nano@example.com").unwrap(),
        name: "N".into(),
        group: None,
        created_at: DateTime::from_timestamp(1_767_225_600, 123_456_789).unwrap(),
    };
    store.put_customer(&customer).await.unwrap();
    assert_eq!(store.get_customer(customer.id).await.unwrap(), Some(customer));
}

#[tokio::test]
async fn scratch_databases_are_dropped_with_their_last_store() {
    let Some(db) = common::scratch().await else { return };
    let name = db.name().to_owned();
    let store = db.open().await.unwrap();
    drop(db);
    let exists = |pool: sqlx::MySqlPool, name: String| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?",
        )
        .bind(name)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .is_some()
    };
    let admin = sqlx::MySqlPool::connect(&common::server_url()).await.unwrap();
    assert!(exists(admin.clone(), name.clone()).await, "alive while a store uses it");
    drop(store);
    assert!(!exists(admin, name.clone()).await, "dropped with the last store");
}
