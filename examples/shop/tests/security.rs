//! Isolation between users, admin-only routes, and bad input: every refused request answers a
//! 4xx with an error code and a message, and changes nothing.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_cannot_reach_each_others_carts_orders_and_payments() {
    let shop = TestShop::start(Options { bakong: true, ..Default::default() }).await;
    let items = pick_items(&shop.client(), 3).await;
    let alice = shop.customer("alice").await;
    let bob = shop.customer("bob").await;

    // Alice: an order with a KHQR payment, and a cart with something in it.
    alice.client.add(&items[0].sku, 1).await;
    let order = alice.client.order("alice-order").await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let pay =
        alice.client.post("/api/payments/process", json!({"order_id": order_id, "provider": "bakong"})).await;
    let pay = pay.expect(201, "a KHQR payment");
    let payment_id = pay["payment_id"].as_str().unwrap().to_owned();
    alice.client.add(&items[1].sku, 2).await;
    let alice_cart = alice.client.cart().await;
    let alice_cart_id = alice_cart["id"].as_str().unwrap().to_owned();
    let alice_payment = alice.client.get(&format!("/api/payments/{payment_id}")).await.expect(200, "payment");

    // Bob gets 404 for all of it, whatever the verb.
    for (method, path, body) in [
        (Method::GET, format!("/api/orders/{order_id}"), None),
        (Method::POST, format!("/api/orders/{order_id}/cancel"), Some(json!({}))),
        (Method::GET, format!("/api/payments/{payment_id}"), None),
        (Method::GET, format!("/api/payments/{payment_id}/qr.svg"), None),
        (
            Method::POST,
            "/api/payments/process".into(),
            Some(json!({"order_id": order_id, "provider": "bakong"})),
        ),
    ] {
        let mut req = bob.client.req(method, &path);
        if let Some(b) = &body {
            req = req.json(b);
        }
        req.send().await.expect_error(404, "not_found", "another user's order or payment");
    }
    let bobs = bob.client.get("/api/orders").await.expect(200, "bob's orders");
    assert_eq!(bobs["items"], json!([]), "bob sees none of alice's orders: {bobs}");
    // Nothing changed for alice.
    let again = alice.client.get(&format!("/api/orders/{order_id}")).await.expect(200, "alice's order");
    assert_eq!(again["status"], "pending_payment");
    assert_eq!(alice.client.get(&format!("/api/payments/{payment_id}")).await.json, alice_payment);

    // Carts: bob's is his own; alice's cart id as a cart token exposes nothing, signed in or not.
    let bob_cart = bob.client.cart().await;
    assert_ne!(bob_cart["id"], alice_cart_id.as_str());
    assert!(lines(&bob_cart).is_empty(), "{bob_cart}");
    let forged = bob.client.req(Method::GET, "/api/cart").header("X-Cart-Token", &alice_cart_id).send().await;
    let forged = forged.expect(200, "bob's cart with alice's cart id as a token");
    assert_eq!((&forged["id"], lines(&forged)), (&bob_cart["id"], vec![]), "{forged}");
    let stranger = shop.client();
    let as_guest = stranger.req(Method::GET, "/api/cart").header("X-Cart-Token", &alice_cart_id).send().await;
    if as_guest.status == 200 {
        assert_ne!(
            as_guest.json["id"],
            alice_cart_id.as_str(),
            "a guest reads a customer's cart: {}",
            as_guest.text
        );
        assert!(lines(&as_guest.json).is_empty(), "{}", as_guest.text);
    } else {
        as_guest.expect_client_error("a customer's cart id as a guest token");
    }
    let add = stranger
        .req(Method::POST, "/api/cart/add")
        .header("X-Cart-Token", &alice_cart_id)
        .json(&json!({"sku": items[2].sku, "quantity": 1}))
        .send()
        .await;
    assert!(add.status == 201 || (400..500).contains(&add.status), "{}", add.text);
    // Logging in as bob with alice's cart id merges nothing of hers.
    let login = shop
        .client()
        .req(Method::POST, "/api/users/token")
        .header("X-Cart-Token", &alice_cart_id)
        .json(&json!({"username": bob.username, "password": bob.password}))
        .send()
        .await;
    login.expect(200, "bob logs in with alice's cart id as a guest token");
    assert!(lines(&bob.client.cart().await).is_empty(), "bob got alice's lines");
    assert_eq!(alice.client.cart().await, alice_cart, "alice's cart is untouched");

    // A guest's cart is the guest's: bob cannot read it by token while signed in.
    let guest = shop.client();
    guest.add(&items[2].sku, 3).await;
    let token = guest.cart_token().unwrap();
    let peek = bob.client.req(Method::GET, "/api/cart").header("X-Cart-Token", &token).send().await;
    assert!(lines(&peek.expect(200, "bob's cart")).is_empty(), "a signed-in user reads his own cart only");
    assert_eq!(lines(&guest.cart().await), vec![(items[2].sku.clone(), 3)], "the guest's cart is intact");

    // Admin routes: 401 without a token (or with a bad one), 403 for a customer.
    let routes: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/api/admin/orders".into(), json!(null)),
        (Method::POST, format!("/api/admin/orders/{order_id}/fulfil"), json!({})),
        (Method::POST, format!("/api/admin/orders/{order_id}/refund"), json!({"amount": "1.00"})),
        (Method::GET, format!("/api/admin/stock/{}", items[0].sku), json!(null)),
        (Method::PUT, format!("/api/admin/stock/{}", items[0].sku), json!({"on_hand": 1000})),
        (Method::POST, "/api/admin/categories".into(), json!({"name": "Hacked"})),
        (Method::POST, "/api/categories".into(), json!({"name": "Hacked"})),
        (Method::POST, "/api/admin/products".into(), product_body("HACK-1", "1.00")),
        (Method::POST, "/api/products".into(), product_body("HACK-2", "1.00")),
        (Method::PUT, format!("/api/products/{}", items[0].id), product_body(&items[0].sku, "0.01")),
        (Method::DELETE, format!("/api/products/{}", items[0].id), json!(null)),
        (Method::DELETE, format!("/api/admin/products/{}", items[0].id), json!(null)),
    ];
    let admin = shop.admin().await;
    let stock_before = admin.stock(&items[0].sku).await;
    let categories_before = shop.client().get("/api/categories").await.expect(200, "categories");
    let product_before =
        shop.client().get(&format!("/api/products/{}", items[0].id)).await.expect(200, "a product");
    let mut bad_token = shop.client();
    bad_token.bearer = Some("not.a.jwt".into());
    for (method, path, body) in &routes {
        for (who, client, status, code) in [
            ("nobody", shop.client(), 401, "unauthorized"),
            ("a bad token", bad_token.clone(), 401, "unauthorized"),
            ("a customer", bob.client.clone(), 403, "forbidden"),
        ] {
            let mut req = client.req(method.clone(), path);
            if !body.is_null() {
                req = req.json(body);
            }
            req.send().await.expect_error(status, code, &format!("{who} on {method} {path}"));
        }
    }
    assert_eq!(admin.stock(&items[0].sku).await, stock_before);
    assert_eq!(shop.client().get("/api/categories").await.json, categories_before);
    assert_eq!(shop.client().get(&format!("/api/products/{}", items[0].id)).await.json, product_before);
    assert_eq!(alice.client.get(&format!("/api/orders/{order_id}")).await.json["status"], "pending_payment");
    // A forged admin token (signed with another secret) is no token.
    let forged_admin = forge_jwt(admin.bearer.as_deref().unwrap());
    let mut forger = shop.client();
    forger.bearer = Some(forged_admin);
    forger.get("/api/admin/orders").await.expect_error(
        401,
        "unauthorized",
        "a token with a forged signature",
    );

    shop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_is_refused_and_changes_nothing() {
    let shop = TestShop::start(Options { bakong: true, ..Default::default() }).await;
    let items = pick_items(&shop.client(), 2).await;
    let sku = items[0].sku.clone();
    let alice = shop.customer("alice").await;
    let admin = shop.admin().await;
    alice.client.add(&sku, 2).await;
    let cart = alice.client.cart().await;
    let stock = admin.stock(&sku).await;
    let products =
        shop.client().get("/api/products?page_size=1").await.expect(200, "products")["total"].clone();
    let big = "x".repeat(70 * 1024);

    type Case = (&'static str, Method, String, Body);
    let cases: Vec<Case> = vec![
        (
            "an unknown product",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"product_id": "00000000-0000-7000-8000-000000000001"})),
        ),
        (
            "an unknown SKU",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": "NO-SUCH-SKU", "quantity": 1})),
        ),
        ("neither product nor SKU", Method::POST, "/api/cart/add".into(), Body::Json(json!({"quantity": 1}))),
        ("quantity 0", Method::POST, "/api/cart/add".into(), Body::Json(json!({"sku": sku, "quantity": 0}))),
        (
            "quantity -1",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": -1})),
        ),
        (
            "quantity 1000000",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": 1_000_000})),
        ),
        (
            "quantity 2^40",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": 1_099_511_627_776_i64})),
        ),
        (
            "quantity \"2\"",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": "2"})),
        ),
        (
            "quantity 2.5",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": 2.5})),
        ),
        (
            "a SKU as a number",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": 12345, "quantity": 1})),
        ),
        (
            "a product id as a bool",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"product_id": true})),
        ),
        (
            "malformed JSON",
            Method::POST,
            "/api/cart/add".into(),
            Body::Raw(b"{\"sku\": ".to_vec(), Some("application/json")),
        ),
        ("a JSON array", Method::POST, "/api/cart/add".into(), Body::Json(json!([sku, 1]))),
        (
            "no content type",
            Method::POST,
            "/api/cart/add".into(),
            Body::Raw(format!("{{\"sku\":\"{sku}\"}}").into_bytes(), None),
        ),
        (
            "an oversized body",
            Method::POST,
            "/api/cart/add".into(),
            Body::Json(json!({"sku": sku, "quantity": 1, "padding": big})),
        ),
        (
            "set quantity -1",
            Method::PATCH,
            format!("/api/cart/lines/{sku}"),
            Body::Json(json!({"quantity": -1})),
        ),
        (
            "set quantity 1000000",
            Method::PATCH,
            format!("/api/cart/lines/{sku}"),
            Body::Json(json!({"quantity": 1_000_000})),
        ),
        (
            "set quantity \"3\"",
            Method::PATCH,
            format!("/api/cart/lines/{sku}"),
            Body::Json(json!({"quantity": "3"})),
        ),
        (
            "set quantity of a SKU not in the cart",
            Method::PATCH,
            format!("/api/cart/lines/{}", items[1].sku),
            Body::Json(json!({"quantity": 1})),
        ),
        (
            "remove a SKU not in the cart",
            Method::DELETE,
            format!("/api/cart/lines/{}", items[1].sku),
            Body::None,
        ),
        ("a coupon as a number", Method::POST, "/api/cart/coupon".into(), Body::Json(json!({"code": 10}))),
        ("an empty coupon", Method::POST, "/api/cart/coupon".into(), Body::Json(json!({"code": ""}))),
        ("an order without an address", Method::POST, "/api/orders/create".into(), Body::Json(json!({}))),
        (
            "an order with a malformed body",
            Method::POST,
            "/api/orders/create".into(),
            Body::Raw(b"{".to_vec(), Some("application/json")),
        ),
        (
            "an order to no country",
            Method::POST,
            "/api/orders/create".into(),
            Body::Json(json!({"shipping_address": {"name": "A", "line1": "B", "city": "C", "country": ""}})),
        ),
        (
            "an order to an unknown shipping method",
            Method::POST,
            "/api/orders/create".into(),
            Body::Json(json!({"shipping_address": address(), "shipping_method": "teleport"})),
        ),
        (
            "an oversized order",
            Method::POST,
            "/api/orders/create".into(),
            Body::Json(json!({"shipping_address": address(), "note": big})),
        ),
        (
            "an unknown order to pay",
            Method::POST,
            "/api/payments/process".into(),
            Body::Json(json!({"order_id": "00000000-0000-7000-8000-000000000002", "provider": "bakong"})),
        ),
        ("a malformed order id", Method::GET, "/api/orders/not-an-id".into(), Body::None),
        (
            "a profile email that is not one",
            Method::PUT,
            "/api/users/profile".into(),
            Body::Json(json!({"email": "not an email"})),
        ),
    ];
    for (what, method, path, body) in &cases {
        let resp = send(&alice.client, method.clone(), path, body).await;
        let code = resp.expect_client_error(what);
        match *what {
            "malformed JSON" | "an order with a malformed body" => {
                resp.expect_error(400, "invalid_json", what);
            }
            "an oversized body" | "an oversized order" => {
                assert_eq!(resp.status, 413, "{what}: {}", resp.text)
            }
            "quantity \"2\""
            | "quantity 2.5"
            | "a SKU as a number"
            | "a product id as a bool"
            | "a JSON array" => {
                assert!(
                    [400, 422].contains(&resp.status)
                        && ["invalid_input", "invalid_json"].contains(&code.as_str()),
                    "{what}: {}: {}",
                    resp.status,
                    resp.text
                );
            }
            "an unknown product" | "a malformed order id" | "an unknown order to pay" => {
                resp.expect_error(404, "not_found", what)
            }
            // The engine reports a SKU it cannot sell as `unavailable`.
            "an unknown SKU" => assert!([404, 422].contains(&resp.status), "{what}: {}", resp.text),
            _ => {}
        }
        assert_eq!(alice.client.cart().await, cart, "{what} changed the cart");
    }
    assert_eq!(admin.stock(&sku).await, stock, "the stock is unchanged");
    assert_eq!(alice.client.get("/api/orders").await.expect(200, "orders")["items"], json!([]), "no order");

    // Paying with a provider the shop does not offer (Stripe is not configured here).
    let order = alice.client.order("bad-input-order").await;
    let order_id = order["id"].as_str().unwrap();
    for provider in ["paypal", "stripe", "", "BAKONG"] {
        let r = alice
            .client
            .post("/api/payments/process", json!({"order_id": order_id, "provider": provider}))
            .await;
        r.expect_error(400, "unknown_provider", &format!("provider {provider:?}"));
    }
    let r = alice
        .client
        .post("/api/payments/process", json!({"order_id": order_id, "provider": "bakong", "amount": "0.01"}));
    r.await.expect_client_error("an amount chosen by the buyer");
    let again = alice.client.get(&format!("/api/orders/{order_id}")).await.expect(200, "the order");
    assert_eq!(again, order, "refused payments change nothing");
    let anon = shop.client();
    let hook = anon.req(Method::POST, "/webhooks/stripe").raw(b"{}".to_vec(), Some("application/json"));
    assert_eq!(hook.send().await.status, 404, "no Stripe, no Stripe webhook");
    let held = admin.stock(&sku).await;
    assert_eq!(held.2, stock.2 - 2, "the order holds two units");
    let stock = held;

    // Admin input: money as a number, negative stock, bad ids; nothing created or changed.
    let admin_cases: Vec<Case> = vec![
        (
            "a price as a JSON number",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(
                json!({"name": "Numbers", "description": "", "variants": [{"sku": "NUM-1", "price": 12.5}]}),
            ),
        ),
        (
            "a price with excess precision",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(product_body("NUM-2", "12.505")),
        ),
        (
            "a negative price",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(product_body("NUM-3", "-1.00")),
        ),
        (
            "a price in words",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(product_body("NUM-4", "twelve")),
        ),
        (
            "no variants",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(json!({"name": "Empty", "description": "", "variants": []})),
        ),
        ("a taken SKU", Method::POST, "/api/admin/products".into(), Body::Json(product_body(&sku, "1.00"))),
        (
            "a bad SKU",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(product_body("has spaces in it", "1.00")),
        ),
        (
            "an unknown category",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(json!({
                "name": "Lost", "description": "", "category_id": "00000000-0000-7000-8000-000000000003",
                "variants": [{"sku": "LOST-1", "price": "1.00"}],
            })),
        ),
        (
            "negative stock",
            Method::PUT,
            format!("/api/admin/stock/{sku}"),
            Body::Json(json!({"on_hand": -5})),
        ),
        (
            "stock as text",
            Method::PUT,
            format!("/api/admin/stock/{sku}"),
            Body::Json(json!({"on_hand": "5"})),
        ),
        ("stock of an unknown SKU", Method::GET, "/api/admin/stock/NO-SUCH-SKU".into(), Body::None),
        (
            "a refund as a number",
            Method::POST,
            format!("/api/admin/orders/{order_id}/refund"),
            Body::Json(json!({"amount": 5})),
        ),
        (
            "refunding an unpaid order",
            Method::POST,
            format!("/api/admin/orders/{order_id}/refund"),
            Body::Json(json!({"amount": "1.00"})),
        ),
        (
            "refunding an unknown order",
            Method::POST,
            "/api/admin/orders/00000000-0000-7000-8000-000000000004/refund".into(),
            Body::Json(json!({})),
        ),
        (
            "fulfilling an unknown order",
            Method::POST,
            "/api/admin/orders/00000000-0000-7000-8000-000000000004/fulfil".into(),
            Body::Json(json!({})),
        ),
        (
            "an oversized product",
            Method::POST,
            "/api/admin/products".into(),
            Body::Json(
                json!({"name": "Big", "description": big, "variants": [{"sku": "BIG-1", "price": "1.00"}]}),
            ),
        ),
    ];
    for (what, method, path, body) in &admin_cases {
        let resp = send(&admin, method.clone(), path, body).await;
        resp.expect_client_error(what);
        if *what == "an oversized product" {
            assert_eq!(resp.status, 413, "{what}: {}", resp.text);
        }
        match *what {
            "a price as a JSON number" | "a refund as a number" => {
                assert!([400, 422].contains(&resp.status), "{what}: {}", resp.text)
            }
            "refunding an unpaid order" => resp.expect_error(409, "not_refundable", what),
            "refunding an unknown order" | "fulfilling an unknown order" | "stock of an unknown SKU" => {
                resp.expect_error(404, "not_found", what)
            }
            _ => {}
        }
    }
    assert_eq!(admin.stock(&sku).await, stock, "the stock is unchanged");
    let now_total =
        shop.client().get("/api/products?page_size=1").await.expect(200, "products")["total"].clone();
    assert_eq!(now_total, products, "no product was created");
    assert_eq!(
        alice.client.get(&format!("/api/orders/{order_id}")).await.json,
        order,
        "the order is unchanged"
    );
    for s in ["NUM-1", "NUM-2", "NUM-3", "NUM-4", "LOST-1", "BIG-1"] {
        admin.get(&format!("/api/admin/stock/{s}")).await.expect_error(404, "not_found", s);
    }

    // Registration input.
    for (what, body) in [
        ("a short password", json!({"email": "s@example.com", "username": "shorty", "password": "1234567"})),
        ("a bad email", json!({"email": "not-an-email", "username": "bademail", "password": PASSWORD})),
        ("no username", json!({"email": "nouser@example.com", "password": PASSWORD})),
        (
            "a password as a number",
            json!({"email": "n@example.com", "username": "numeric", "password": 12345678}),
        ),
    ] {
        anon.post("/api/users/register", body).await.expect_client_error(what);
    }
    for login in ["shorty", "bademail", "numeric", "s@example.com", "not-an-email"] {
        let r = anon.post("/api/users/token", json!({"username": login, "password": PASSWORD})).await;
        r.expect_error(401, "invalid_credentials", &format!("{login} was not registered"));
    }

    shop.shutdown().await;
}

/// A request body.
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>, Option<&'static str>),
}

async fn send(c: &Client, method: Method, path: &str, body: &Body) -> Resp {
    let mut req = c.req(method, path);
    if path == "/api/orders/create" {
        // With a key, so what is refused is the body.
        req = req.idempotency_key(&format!("bad-input-{}", now_nanos()));
    }
    match body {
        Body::None => req,
        Body::Json(v) => req.json(v),
        Body::Raw(bytes, ct) => req.raw(bytes.clone(), *ct),
    }
    .send()
    .await
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

fn product_body(sku: &str, price: &str) -> Value {
    json!({
        "name": "Test product", "description": "made by a test",
        "variants": [{"sku": sku, "price": price, "stock": 5}],
    })
}

/// The same claims with the signature of another key (HS256 over `header.payload`).
fn forge_jwt(token: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut parts = token.splitn(3, '.');
    let (h, p) = (parts.next().unwrap(), parts.next().unwrap());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"not the shop's secret, but long enough").unwrap();
    mac.update(format!("{h}.{p}").as_bytes());
    let sig = mac.finalize().into_bytes();
    format!("{h}.{p}.{}", base64url(&sig))
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
