//! The journey's core on MariaDB (`COMMERCE_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306/test`, each test on its own scratch database): accounts, a guest
//! cart merged at login, a coupon, an idempotent order, a KHQR payment through the Bakong sandbox,
//! the outbox emails, and concurrent buyers for scarce stock.
//! Unreachable MariaDB: `SKIPPED:`, or a failure with `COMMERCE_REQUIRE_SERVICES=1`.

mod common;

use common::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journey_on_mariadb() {
    let Some(db) = mysql_database().await else { return };
    let shop = TestShop::start(Options { bakong: true, mysql: Some(db), ..Default::default() }).await;
    let anon = shop.client();
    assert_eq!(anon.get("/api/products?page_size=5").await.expect(200, "products")["total"], 50, "seeded");
    let items = pick_items(&anon, 2).await;
    let (x, y) = (&items[0], &items[1]);
    let search = anon.get(&format!("/api/products/search?q={}", urlencode(&x.name))).await;
    assert_eq!(search.expect(200, "search")["items"][0]["id"], x.id.as_str(), "an exact name ranks first");

    // Accounts.
    let mut alice = shop.customer("alice").await;
    let dup = anon
        .post(
            "/api/users/register",
            json!({"email": alice.email, "username": "alice-two", "password": PASSWORD}),
        )
        .await;
    dup.expect_error(409, "already_exists", "a taken email");
    let wrong = anon
        .post("/api/users/token", json!({"username": alice.username, "password": "nope nope nope"}))
        .await;
    wrong.expect_error(401, "invalid_credentials", "a wrong password");

    // A guest cart merged at login, and WELCOME10.
    alice.client.add(&x.sku, 1).await;
    let guest = shop.client();
    guest.add(&x.sku, 2).await;
    guest.add(&y.sku, 1).await;
    let login = anon
        .req(Method::POST, "/api/users/token")
        .header("X-Cart-Token", &guest.cart_token().expect("a guest cart token"))
        .json(&json!({"username": alice.username, "password": alice.password}))
        .send()
        .await;
    alice.client.bearer = Some(login.expect(200, "login")["access"].as_str().unwrap().into());
    let mut merged = vec![(x.sku.clone(), 3), (y.sku.clone(), 1)];
    merged.sort();
    assert_eq!(lines(&alice.client.cart().await), merged);
    let cart =
        alice.client.post("/api/cart/coupon", json!({"code": "WELCOME10"})).await.expect(200, "WELCOME10");
    let [subtotal, discount, tax, shipping, total] = totals(&cart);
    assert!(discount > Decimal::ZERO, "{cart}");
    assert_eq!(total, subtotal - discount + tax + shipping, "{cart}");

    // An idempotent order.
    let order = alice.client.order("mariadb-order-1").await;
    assert_eq!(totals(&order), totals(&cart), "{order} vs {cart}");
    assert_eq!(
        alice.client.order("mariadb-order-1").await["id"],
        order["id"],
        "the same key, the same order"
    );
    let order_id = order["id"].as_str().unwrap().to_owned();

    // Paid by KHQR.
    let pay =
        alice.client.post("/api/payments/process", json!({"order_id": order_id, "provider": "bakong"})).await;
    let pay = pay.expect(201, "a KHQR payment");
    assert_eq!(pay["status"], "requires_action");
    let payment_id = pay["payment_id"].as_str().unwrap().to_owned();
    let md5 = pay["md5"].as_str().expect("an md5").to_owned();
    let p = alice.client.get(&format!("/api/payments/{payment_id}")).await.expect(200, "payment");
    assert_eq!(p["status"], "requires_action");
    anon.post(&format!("/api/dev/bakong/{md5}/pay"), json!({})).await.expect(200, "the buyer pays");
    eventually("the payment captured", || async {
        let p = alice.client.get(&format!("/api/payments/{payment_id}")).await.expect(200, "payment");
        (p["status"] == "captured").then_some(())
    })
    .await;
    let o = alice.client.get(&format!("/api/orders/{order_id}")).await.expect(200, "order");
    assert_eq!(o["status"], "paid", "{o}");
    let number = o["number"].as_str().unwrap();
    shop.wait_mail(&alice.email, &format!("Order {number} confirmed")).await;
    shop.wait_mail(&alice.email, &format!("Payment received for order {number}")).await;

    // Isolation holds on this backend too.
    let bob = shop.customer("bob").await;
    bob.client.get(&format!("/api/orders/{order_id}")).await.expect_error(404, "not_found", "alice's order");
    bob.client.get(&format!("/api/payments/{payment_id}")).await.expect_error(
        404,
        "not_found",
        "alice's payment",
    );
    let mine = alice.client.get("/api/orders").await.expect(200, "orders");
    assert_eq!(ids(&mine), vec![order_id.clone()]);

    // Discovery reads the same backend.
    let recs = anon.get(&format!("/api/recommendations?product_id={}", x.id)).await.expect(200, "recs");
    assert_eq!(recs["items"][0]["product"]["id"], y.id.as_str(), "{recs}");
    alice.client.get(&format!("/api/products/{}", y.id)).await.expect(200, "a view");
    let viewed = alice.client.get("/api/recently-viewed").await.expect(200, "recently viewed");
    assert_eq!(ids(&viewed), vec![y.id.clone()]);

    shop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_buyers_on_mariadb() {
    let Some(db) = mysql_database().await else { return };
    let shop = TestShop::start(Options { mysql: Some(db), ..Default::default() }).await;
    let admin = shop.admin().await;
    admin
        .post(
            "/api/admin/products",
            json!({"name": "Rare Rattan Tray", "description": "Three left.",
                   "variants": [{"sku": "RARE-1", "price": "9.90", "stock": 3}]}),
        )
        .await
        .expect(201, "a scarce product");
    buy_concurrently(&shop, &admin, "RARE-1", 3, 12).await;
    shop.shutdown().await;
}
