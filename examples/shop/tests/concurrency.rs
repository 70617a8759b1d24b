//! Scarce stock under concurrent checkouts: 40 buyers for the last 10 units never oversell, every
//! order costs what its cart said, and one key sent twice at once makes one order.

mod common;

use common::*;
use futures::future::join_all;
use serde_json::json;

const UNITS: i64 = 10;
const BUYERS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn forty_buyers_for_ten_units() {
    let shop = TestShop::start(Options::default()).await;
    let admin = shop.admin().await;
    let product = admin
        .post(
            "/api/admin/products",
            json!({
                "name": "Last Lotus Lantern", "description": "Only ten were made.",
                "variants": [{"sku": "SCARCE-1", "price": "12.50", "weight_grams": 300, "stock": UNITS}],
            }),
        )
        .await
        .expect(201, "a scarce product");
    assert_eq!(product["variants"][0]["price"], "12.50", "{product}");
    assert_eq!(admin.stock("SCARCE-1").await, (UNITS, 0, UNITS));

    buy_concurrently(&shop, &admin, "SCARCE-1", UNITS, BUYERS).await;

    // The admin hears that the SKU ran low.
    let mail = shop.wait_mail(ADMIN_EMAIL, "Stock low: SCARCE-1").await;
    assert!(mail.body.contains("SCARCE-1"), "{mail:?}");
    shop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn one_key_sent_twice_at_once_makes_one_order() {
    let shop = TestShop::start(Options::default()).await;
    let admin = shop.admin().await;
    let item = pick_items(&admin, 1).await.remove(0);
    let before = admin.stock(&item.sku).await;
    let buyer = shop.customer("twice").await;
    buyer.client.add(&item.sku, 2).await;
    let cart = buyer.client.cart().await;

    for round in 0..3 {
        let key = format!("double-click-{round}");
        if round > 0 {
            buyer.client.add(&item.sku, 2).await;
        }
        let answers = join_all((0..4).map(|_| buyer.client.create_order(&key))).await;
        let mut ids = Vec::new();
        for a in answers {
            assert!(a.status == 201 || a.status == 200, "{}: {} {}", a.what, a.status, a.text);
            assert_eq!(totals(&a.json), totals(&cart), "{}", a.text);
            ids.push(a.json["id"].as_str().expect("an id").to_owned());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one key, one order: {ids:?}");
    }
    let orders = buyer.client.get("/api/orders").await.expect(200, "orders");
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(3), "three keys, three orders: {orders}");
    let after = admin.stock(&item.sku).await;
    assert_eq!(after.2, before.2 - 6, "three orders of two units hold six: {before:?} -> {after:?}");
    assert!(lines(&buyer.client.cart().await).is_empty());
    shop.shutdown().await;
}
