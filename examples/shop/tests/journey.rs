//! The whole shopper journey against a shop on a temporary SQLite file, with the Bakong sandbox
//! and localstripe (`COMMERCE_TEST_STRIPE_URL`): catalog, search, accounts, a guest cart merged
//! at login, a coupon, idempotent orders, KHQR and card payments, Stripe webhooks, password
//! reset, admin fulfilment and refunds, discovery, and the outbox emails.
//!
//! Without localstripe the Stripe steps print `SKIPPED:` (or fail with
//! `COMMERCE_REQUIRE_SERVICES=1`) and the rest still runs.

mod common;

use std::sync::Arc;

use common::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_journey() {
    let stripe = stripe_url().await;
    let shop = TestShop::start(Options { stripe: stripe.clone(), bakong: true, ..Default::default() }).await;
    let anon = shop.client();

    // Health.
    assert_eq!(anon.get("/health").await.expect(200, "health"), json!({"status": "ok"}));

    // Catalog: categories, paged products, a category filter, a product.
    let categories = anon.get("/api/categories").await.expect(200, "categories");
    let categories = categories["items"].as_array().expect("items").clone();
    assert_eq!(categories.len(), 5, "the demo has five categories: {categories:?}");
    for c in &categories {
        assert!(c["id"].is_string() && c["name"].is_string() && c["slug"].is_string(), "{c}");
    }
    let page1 = anon.get("/api/products?page=1&page_size=20").await.expect(200, "page 1");
    assert_eq!((page1["page"].as_u64(), page1["page_size"].as_u64()), (Some(1), Some(20)), "{page1}");
    assert_eq!(page1["total"], 50, "the demo has 50 products");
    let page3 = anon.get("/api/products?page=3&page_size=20").await.expect(200, "page 3");
    assert_eq!(page3["items"].as_array().map(Vec::len), Some(10), "50 = 20 + 20 + 10");
    let page2 = anon.get("/api/products?page=2&page_size=20").await.expect(200, "page 2");
    let mut all: Vec<String> = [&page1, &page2, &page3].iter().flat_map(|p| ids(p)).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 50, "pages do not overlap");
    let category = categories[1]["id"].as_str().expect("id");
    let in_category = anon.get(&format!("/api/products?category={category}&page_size=50")).await;
    let in_category = in_category.expect(200, "category filter");
    assert_eq!(in_category["total"], 10, "ten products per demo category");
    for p in in_category["items"].as_array().expect("items") {
        assert_eq!(p["category_id"], category, "{p}");
    }
    let first = &page1["items"][0];
    let product = anon.get(&format!("/api/products/{}", first["id"].as_str().unwrap())).await;
    let product = product.expect(200, "a product");
    assert_eq!((&product["id"], &product["name"]), (&first["id"], &first["name"]));
    for v in product["variants"].as_array().expect("variants") {
        assert_eq!(v["currency"], "USD", "{v}");
        assert!(dec(&v["price"]) > Decimal::ZERO && v["sku"].is_string() && v["available"].is_i64(), "{v}");
    }
    let missing = anon.get("/api/products/00000000-0000-7000-8000-000000000000").await;
    missing.expect_error(404, "not_found", "an unknown product");
    let q = anon.get("/api/products?q=lamp&page_size=50").await.expect(200, "q filter");
    assert!(q["total"].as_u64().unwrap_or(0) >= 1, "{q}");
    for p in q["items"].as_array().expect("items") {
        let text = format!("{} {}", p["name"], p["description"]).to_lowercase();
        assert!(text.contains("lamp"), "q=lamp matched {p}");
    }

    // Search ranks an exact name first, scores descending.
    let items = pick_items(&anon, 6).await;
    let (w, x, y, z) = (&items[0], &items[1], &items[2], &items[3]);
    let search = anon.get(&format!("/api/products/search?q={}", urlencode(&x.name))).await;
    let search = search.expect(200, "search");
    assert_eq!(search["items"][0]["id"], x.id.as_str(), "an exact name ranks first: {search}");
    let scores: Vec<u64> =
        search["items"].as_array().unwrap().iter().map(|p| p["score"].as_u64().expect("a score")).collect();
    assert!(scores.windows(2).all(|s| s[0] >= s[1]), "ranked by score: {scores:?}");
    let nothing = anon.get("/api/products/search?q=zzqxv").await.expect(200, "search for nothing");
    assert_eq!((nothing["total"].as_u64(), nothing["items"].as_array().map(Vec::len)), (Some(0), Some(0)));

    // Accounts: register, duplicates, login, refresh, profile.
    let mut alice = shop.customer("alice").await;
    let again = anon
        .post(
            "/api/users/register",
            json!({"email": "other@example.com", "username": alice.username, "password": PASSWORD}),
        )
        .await;
    again.expect_error(409, "already_exists", "a taken username");
    let again = anon
        .post(
            "/api/users/register",
            json!({"email": alice.email.to_uppercase(), "username": "someone-else", "password": PASSWORD}),
        )
        .await;
    again.expect_error(409, "already_exists", "a taken email (case-insensitive)");
    let wrong = anon
        .post("/api/users/token", json!({"username": alice.username, "password": "wrong password"}))
        .await;
    wrong.expect_error(401, "invalid_credentials", "a wrong password");
    let by_email = anon.post("/api/users/token", json!({"email": alice.email, "password": PASSWORD})).await;
    let tokens = by_email.expect(200, "login by email");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap_or(0) > 0, "{tokens}");
    let refreshed = anon.post("/api/users/token/refresh", json!({"refresh": tokens["refresh"]})).await;
    let refreshed = refreshed.expect(200, "refresh");
    assert!(refreshed["access"].is_string() && refreshed["refresh"].is_string(), "{refreshed}");
    let misuse = anon.post("/api/users/token/refresh", json!({"refresh": tokens["access"]})).await;
    assert_eq!(misuse.status, 401, "an access token is not a refresh token: {}", misuse.text);
    let profile = alice.client.get("/api/users/profile").await.expect(200, "profile");
    assert_eq!((&profile["username"], &profile["email"]), (&json!(alice.username), &json!(alice.email)));
    assert_eq!(profile["role"], "customer", "{profile}");
    assert!(profile.get("password_hash").is_none() && !profile.to_string().contains("argon2"), "{profile}");
    let updated =
        alice.client.put("/api/users/profile", json!({"first_name": "Alice", "last_name": "Sok"})).await;
    let updated = updated.expect(200, "profile update");
    assert_eq!((&updated["first_name"], &updated["last_name"]), (&json!("Alice"), &json!("Sok")));
    assert_eq!(alice.client.get("/api/users/profile").await.expect(200, "profile")["first_name"], "Alice");

    // A guest cart merged at login: alice has 1 x, the guest 2 x and 1 y.
    alice.client.add(&x.sku, 1).await;
    let guest = shop.client();
    let cart = guest.add(&x.sku, 2).await;
    let guest_token = guest.cart_token().expect("a guest gets an X-Cart-Token");
    assert_eq!(lines(&cart), vec![(x.sku.clone(), 2)]);
    guest.add(&y.sku, 1).await;
    assert_eq!(lines(&guest.cart().await), sorted(vec![(x.sku.clone(), 2), (y.sku.clone(), 1)]));
    let login = anon
        .req(Method::POST, "/api/users/token")
        .header("X-Cart-Token", &guest_token)
        .json(&json!({"username": alice.username, "password": PASSWORD}))
        .send()
        .await;
    alice.client.bearer =
        Some(login.expect(200, "login with a guest cart")["access"].as_str().unwrap().into());
    let merged = sorted(vec![(x.sku.clone(), 3), (y.sku.clone(), 1)]);
    assert_eq!(lines(&alice.client.cart().await), merged, "the guest lines merged into alice's cart");
    // The guest cart was consumed: logging in with its token again merges nothing twice.
    let login = anon
        .req(Method::POST, "/api/users/token")
        .header("X-Cart-Token", &guest_token)
        .json(&json!({"username": alice.username, "password": PASSWORD}))
        .send()
        .await;
    login.expect(200, "a second login with the old guest token");
    assert_eq!(lines(&alice.client.cart().await), merged, "no double merge");

    // Coupons: an unknown code is refused and changes nothing; WELCOME10 applies.
    let before = alice.client.cart().await;
    let unknown = alice.client.post("/api/cart/coupon", json!({"code": "NOPE-NOT-A-COUPON"})).await;
    unknown.expect_error(400, "invalid_coupon", "an unknown coupon");
    assert_eq!(alice.client.cart().await, before, "a refused coupon changes nothing");
    let cart =
        alice.client.post("/api/cart/coupon", json!({"code": "welcome10"})).await.expect(200, "WELCOME10");
    assert_eq!(cart["coupons"], json!(["WELCOME10"]), "{cart}");
    let [subtotal, discount, tax, shipping, total] = totals(&cart);
    assert!(discount > Decimal::ZERO, "WELCOME10 gives a discount: {cart}");
    assert_eq!(
        total,
        subtotal - discount + tax + shipping,
        "total = subtotal - discount + tax + shipping: {cart}"
    );
    let line_sum: Decimal = cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| dec(&l["unit_price"]) * Decimal::from(l["quantity"].as_i64().unwrap()))
        .sum();
    assert_eq!(subtotal, line_sum, "subtotal = sum of quantity x unit price: {cart}");
    assert_eq!(subtotal, x.price * Decimal::from(3) + y.price, "{cart}");
    for l in cart["lines"].as_array().unwrap() {
        let p = if l["sku"] == x.sku.as_str() { x } else { y };
        assert_eq!(
            (l["product_id"].as_str(), l["name"].as_str()),
            (Some(p.id.as_str()), Some(p.name.as_str()))
        );
    }

    // Orders: the key is required; the same key gives the same order; totals = the cart's.
    let missing_key = alice
        .client
        .req(Method::POST, "/api/orders/create")
        .json(&json!({"shipping_address": address()}))
        .send()
        .await;
    missing_key.expect_error(400, "missing_idempotency_key", "no Idempotency-Key");
    assert_eq!(alice.client.cart().await, cart, "a refused order changes nothing");
    let order1 = alice.client.order("journey-order-1").await;
    assert_eq!(
        (&order1["status"], &order1["currency"]),
        (&json!("pending_payment"), &json!("USD")),
        "{order1}"
    );
    assert_eq!(
        totals(&order1),
        totals(&cart),
        "the order's totals are the priced cart's: {order1} vs {cart}"
    );
    let order_lines: Vec<(String, i64)> = sorted(
        order1["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["sku"].as_str().unwrap().to_owned(), l["quantity"].as_i64().unwrap()))
            .collect(),
    );
    assert_eq!(order_lines, merged, "{order1}");
    assert!(order1["number"].as_str().is_some_and(|n| !n.is_empty()) && order1["created_at"].is_string());
    let replay = alice.client.order("journey-order-1").await;
    assert_eq!(replay["id"], order1["id"], "the same key gives the same order");
    assert!(lines(&alice.client.cart().await).is_empty(), "the cart is emptied by the order");
    let order1_id = order1["id"].as_str().unwrap().to_owned();
    let fetched = alice.client.get(&format!("/api/orders/{order1_id}")).await.expect(200, "the order");
    assert_eq!(totals(&fetched), totals(&order1));

    // Bakong: a KHQR to show, unpaid until the buyer pays, then captured and the order paid.
    let pay = alice
        .client
        .post("/api/payments/process", json!({"order_id": order1_id, "provider": "bakong"}))
        .await;
    let pay = pay.expect(201, "a KHQR payment");
    assert_eq!(pay["status"], "requires_action", "{pay}");
    let khqr = pay["khqr"].as_str().expect("a khqr");
    assert!(khqr.starts_with("000201") && khqr.len() > 50, "a KHQR payload: {khqr}");
    let md5 = pay["md5"].as_str().expect("an md5").to_owned();
    assert!(md5.len() == 32 && md5.chars().all(|c| c.is_ascii_hexdigit()), "{md5}");
    assert!(pay["expires_at"].is_string(), "{pay}");
    let payment1 = pay["payment_id"].as_str().expect("a payment_id").to_owned();
    let svg = alice.client.get(pay["qr_svg_url"].as_str().expect("a qr_svg_url")).await;
    assert_eq!(svg.status, 200, "{}", svg.text);
    assert!(svg.header("content-type").is_some_and(|t| t.starts_with("image/svg+xml")), "{:?}", svg.headers);
    assert!(svg.text.contains("<svg") && svg.text.trim_end().ends_with("</svg>"), "an SVG document");
    let p = alice.client.get(&format!("/api/payments/{payment1}")).await.expect(200, "the payment");
    assert_eq!((&p["status"], &p["provider"]), (&json!("requires_action"), &json!("bakong")), "{p}");
    assert_eq!((dec(&p["amount"]), &p["currency"]), (totals(&order1)[4], &json!("USD")), "{p}");
    assert_eq!(order_status(&alice.client, &order1_id).await, "pending_payment");
    anon.post(&format!("/api/dev/bakong/{md5}/pay"), json!({})).await.expect(200, "the buyer pays");
    let p = eventually("the KHQR payment captured", || async {
        let p = alice.client.get(&format!("/api/payments/{payment1}")).await.expect(200, "the payment");
        (p["status"] == "captured").then_some(p)
    })
    .await;
    assert_eq!(dec(&p["captured"]), totals(&order1)[4], "{p}");
    assert_eq!(order_status(&alice.client, &order1_id).await, "paid");

    // Stripe: a card payment, a webhook, a refund.
    let mut stripe_orders: Option<(String, String, String)> = None; // (order2, payment2, order3)
    if let Some(stripe_url) = &stripe {
        // Order 2: 2 x z, paid by card at once.
        alice.client.add(&z.sku, 2).await;
        let order2 = alice.client.order("journey-order-2").await;
        let order2_id = order2["id"].as_str().unwrap().to_owned();
        let pay = alice
            .client
            .post(
                "/api/payments/process",
                json!({"order_id": order2_id, "provider": "stripe", "payment_method": "pm_card_visa"}),
            )
            .await
            .expect(201, "a card payment");
        assert_eq!(pay["status"], "captured", "{pay}");
        let payment2 = pay["payment_id"].as_str().unwrap().to_owned();
        let p = alice.client.get(&format!("/api/payments/{payment2}")).await.expect(200, "payment 2");
        assert_eq!((&p["status"], &p["provider"]), (&json!("captured"), &json!("stripe")), "{p}");
        assert_eq!(dec(&p["amount"]), totals(&order2)[4]);
        assert_eq!(order_status(&alice.client, &order2_id).await, "paid");

        // Order 3: 1 x w, an intent confirmed at Stripe, learnt by webhook.
        alice.client.add(&w.sku, 1).await;
        let order3 = alice.client.order("journey-order-3").await;
        let order3_id = order3["id"].as_str().unwrap().to_owned();
        let pay = alice
            .client
            .post("/api/payments/process", json!({"order_id": order3_id, "provider": "stripe"}))
            .await
            .expect(201, "a card payment confirmed on the client");
        assert_eq!(pay["status"], "requires_action", "{pay}");
        let secret = pay["client_secret"].as_str().expect("a client_secret");
        let pi = secret.split("_secret_").next().unwrap().to_owned();
        assert!(pi.starts_with("pi_"), "{secret}");
        let payment3 = pay["payment_id"].as_str().unwrap().to_owned();
        let stripe_api = reqwest::Client::new();
        let intent = |pi: String| {
            let stripe_api = stripe_api.clone();
            async move {
                let r = stripe_api
                    .get(format!("{stripe_url}/v1/payment_intents/{pi}"))
                    .bearer_auth(STRIPE_KEY)
                    .send()
                    .await
                    .expect("localstripe");
                assert!(r.status().is_success(), "GET intent: {}", r.status());
                r.json::<Value>().await.expect("an intent")
            }
        };
        // Bad signatures, a missing one, a stale one: 400, and nothing changes.
        let unconfirmed = intent(pi.clone()).await;
        let mut forged = unconfirmed.clone();
        forged["status"] = json!("succeeded");
        forged["amount_received"] = forged["amount"].clone();
        let forged = event("evt_journey_forged", &forged);
        for (header, why) in [
            (Some(stripe_signature("whsec_not_the_shops_secret", now(), &forged)), "a wrong secret"),
            (Some(stripe_signature(WEBHOOK_SECRET, now(), b"{\"id\":\"evt_other\"}")), "another body's"),
            (Some("t=1,v1=00".into()), "garbage"),
            (None, "no signature"),
            (Some(stripe_signature(WEBHOOK_SECRET, now() - 3600, &forged)), "an hour old"),
        ] {
            let mut req =
                anon.req(Method::POST, "/webhooks/stripe").raw(forged.clone(), Some("application/json"));
            if let Some(h) = &header {
                req = req.header("Stripe-Signature", h);
            }
            let r = req.send().await;
            assert_eq!(r.status, 400, "a webhook with {why} is refused: {}", r.text);
        }
        assert_eq!(order_status(&alice.client, &order3_id).await, "pending_payment");
        let p = alice.client.get(&format!("/api/payments/{payment3}")).await.expect(200, "payment 3");
        assert_eq!(p["status"], "requires_action", "a refused webhook changes nothing: {p}");

        // The buyer's card is confirmed at Stripe; the signed event pays the order.
        for (path, form) in [
            (format!("/v1/payment_intents/{pi}"), vec![("payment_method", "pm_card_visa")]),
            (format!("/v1/payment_intents/{pi}/confirm"), vec![]),
        ] {
            let r = stripe_api
                .post(format!("{stripe_url}{path}"))
                .bearer_auth(STRIPE_KEY)
                .form(&form)
                .send()
                .await
                .expect("localstripe");
            assert!(r.status().is_success(), "POST {path}: {}", r.text().await.unwrap_or_default());
        }
        let succeeded = intent(pi.clone()).await;
        assert_eq!(succeeded["status"], "succeeded", "{succeeded}");
        assert_eq!(order_status(&alice.client, &order3_id).await, "pending_payment", "not yet told");
        let body = event("evt_journey_succeeded", &succeeded);
        let signed = |body: &[u8]| stripe_signature(WEBHOOK_SECRET, now(), body);
        for attempt in ["the event", "its redelivery"] {
            let r = anon
                .req(Method::POST, "/webhooks/stripe")
                .raw(body.clone(), Some("application/json"))
                .header("Stripe-Signature", &signed(&body))
                .send()
                .await;
            assert_eq!(r.status, 200, "{attempt}: {}", r.text);
            assert_eq!(order_status(&alice.client, &order3_id).await, "paid", "after {attempt}");
        }
        let p = alice.client.get(&format!("/api/payments/{payment3}")).await.expect(200, "payment 3");
        assert_eq!((&p["status"], dec(&p["captured"])), (&json!("captured"), totals(&order3)[4]), "{p}");
        stripe_orders = Some((order2_id, payment2, order3_id));
    }

    // Order 4, cancelled: its stock comes back, and it counts for nothing.
    let admin = shop.admin().await;
    let before = admin.stock(&y.sku).await;
    alice.client.add(&y.sku, 2).await;
    let order4 = alice.client.order("journey-order-4").await;
    let order4_id = order4["id"].as_str().unwrap().to_owned();
    let held = admin.stock(&y.sku).await;
    assert_eq!(held.2, before.2 - 2, "the order holds two units: {before:?} -> {held:?}");
    let fulfil_unpaid = admin.post(&format!("/api/admin/orders/{order4_id}/fulfil"), json!({})).await;
    assert_eq!(fulfil_unpaid.status, 409, "an unpaid order cannot be fulfilled: {}", fulfil_unpaid.text);
    let cancelled = alice.client.post(&format!("/api/orders/{order4_id}/cancel"), json!({})).await;
    assert_eq!(cancelled.expect(200, "cancel")["status"], "cancelled");
    assert_eq!(admin.stock(&y.sku).await, before, "cancelling gives the stock back");
    // Cancelling again is idempotent (or refused): either way the stock comes back once only.
    let twice = alice.client.post(&format!("/api/orders/{order4_id}/cancel"), json!({})).await;
    assert!(
        (twice.status == 200 && twice.json["status"] == "cancelled") || twice.status == 409,
        "a cancelled order stays cancelled: {}",
        twice.text
    );
    assert_eq!(admin.stock(&y.sku).await, before, "a second cancel restocks nothing");

    // Admin: the paid orders, fulfilment, a partial refund.
    let paid = admin.get("/api/admin/orders?status=paid").await.expect(200, "paid orders");
    let paid_ids = ids(&paid);
    assert!(paid_ids.contains(&order1_id) && !paid_ids.contains(&order4_id), "{paid}");
    for o in paid["items"].as_array().unwrap() {
        assert_eq!(o["status"], "paid", "{o}");
    }
    let fulfilled = admin.post(&format!("/api/admin/orders/{order1_id}/fulfil"), json!({})).await;
    assert_eq!(fulfilled.expect(200, "fulfil")["status"], "fulfilled");
    assert_eq!(order_status(&alice.client, &order1_id).await, "fulfilled");
    if let Some((order2_id, payment2, order3_id)) = &stripe_orders {
        assert!(paid_ids.contains(order2_id) && paid_ids.contains(order3_id), "{paid}");
        let captured = alice.client.get(&format!("/api/payments/{payment2}")).await.expect(200, "payment 2");
        for (body, why) in [
            (json!({"amount": 5}), "an amount as a JSON number"),
            (json!({"amount": "5.00", "amount_cents": 500}), "an unknown field"),
            (json!({"amount": "5.001"}), "an amount with excess precision"),
            (json!({"amount": "-5.00"}), "a negative amount"),
            (json!({"amount": "0"}), "a zero amount"),
        ] {
            let r = admin.post(&format!("/api/admin/orders/{order2_id}/refund"), body).await;
            r.expect_client_error(why);
            let p = alice.client.get(&format!("/api/payments/{payment2}")).await.expect(200, "payment 2");
            assert_eq!(p, captured, "a refused refund ({why}) changes nothing");
        }
        let malformed = admin
            .req(Method::POST, &format!("/api/admin/orders/{order2_id}/refund"))
            .raw(&b"{\"amount\": "[..], Some("application/json"))
            .send()
            .await;
        malformed.expect_error(400, "invalid_json", "a malformed refund");
        assert_eq!(alice.client.get(&format!("/api/payments/{payment2}")).await.json, captured);
        let refund =
            admin.post(&format!("/api/admin/orders/{order2_id}/refund"), json!({"amount": "5.00"})).await;
        refund.expect(200, "a partial refund");
        assert_eq!(order_status(&alice.client, order2_id).await, "partially_refunded");
        let p = alice.client.get(&format!("/api/payments/{payment2}")).await.expect(200, "payment 2");
        assert_eq!(
            (&p["status"], dec(&p["refunded"])),
            (&json!("partially_refunded"), Decimal::new(500, 2)),
            "{p}"
        );
        let too_much = admin
            .post(&format!("/api/admin/orders/{order2_id}/refund"), json!({"amount": "100000.00"}))
            .await;
        too_much.expect_client_error("refunding more than was captured");
        let p2 = alice.client.get(&format!("/api/payments/{payment2}")).await.expect(200, "payment 2");
        assert_eq!(p2, p, "a refused refund changes nothing");
        let not_admin = alice.client.post(&format!("/api/admin/orders/{order2_id}/refund"), json!({})).await;
        not_admin.expect_error(403, "forbidden", "a customer refunding");
        assert_eq!(alice.client.get(&format!("/api/payments/{payment2}")).await.json, p);
    }

    // Own orders.
    let mine = alice.client.get("/api/orders").await.expect(200, "own orders");
    let mut expected = vec![order1_id.clone(), order4_id.clone()];
    if let Some((order2_id, _, order3_id)) = &stripe_orders {
        expected.extend([order2_id.clone(), order3_id.clone()]);
    }
    let mut got = ids(&mine);
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "alice's orders, all of them, only them: {mine}");

    // Discovery: also bought, best sellers, recently viewed.
    let recs =
        anon.get(&format!("/api/recommendations?product_id={}", x.id)).await.expect(200, "recommendations");
    let rec_ids: Vec<&str> =
        recs["items"].as_array().unwrap().iter().map(|i| i["product"]["id"].as_str().unwrap()).collect();
    assert_eq!(rec_ids, vec![y.id.as_str()], "x was bought with y (order 4 was cancelled): {recs}");
    assert_eq!(recs["items"][0]["count"], 1, "{recs}");
    let popular = anon.get("/api/popular").await.expect(200, "popular");
    let counts: Vec<(String, u64)> = popular["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["product"]["id"].as_str().unwrap().to_owned(), i["count"].as_u64().unwrap()))
        .collect();
    let mut expected = vec![(x.id.clone(), 3), (y.id.clone(), 1)];
    if stripe_orders.is_some() {
        expected.extend([(z.id.clone(), 2), (w.id.clone(), 1)]);
    }
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(counts, expected, "units sold, cancelled orders left out: {popular}");
    alice.client.get(&format!("/api/products/{}", w.id)).await.expect(200, "view w");
    alice.client.get(&format!("/api/products/{}", x.id)).await.expect(200, "view x");
    alice.client.get(&format!("/api/products/{}", w.id)).await.expect(200, "view w again");
    let viewed = alice.client.get("/api/recently-viewed").await.expect(200, "recently viewed");
    assert_eq!(ids(&viewed), vec![w.id.clone(), x.id.clone()], "most recent first, each once: {viewed}");
    let browser = shop.client();
    browser.get("/api/cart").await.expect(200, "a guest cart");
    assert!(browser.cart_token().is_some(), "a guest gets a cart token");
    browser.get(&format!("/api/products/{}", items[4].id)).await.expect(200, "a guest view");
    let viewed = browser.get("/api/recently-viewed").await.expect(200, "a guest's recently viewed");
    assert_eq!(ids(&viewed), vec![items[4].id.clone()], "the guest's own views: {viewed}");
    let viewed = alice.client.get("/api/recently-viewed").await.expect(200, "recently viewed");
    assert_eq!(ids(&viewed), vec![w.id.clone(), x.id.clone()], "views are per shopper: {viewed}");

    // Password reset: the token comes by email, works once, and only the new password works.
    let nobody = anon.post("/api/users/password_reset", json!({"email": "nobody@example.com"})).await;
    let nobody = nobody.expect(202, "a reset for nobody");
    let accepted = anon.post("/api/users/password_reset", json!({"email": alice.email})).await;
    let accepted = accepted.expect(202, "a reset");
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    assert_eq!(accepted, nobody, "the same answer whether or not the account exists");
    let mail = shop.wait_mail(&alice.email, "Reset your password").await;
    let token = mail
        .body
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .unwrap_or_else(|| panic!("no token line in {:?}", mail.body))
        .trim()
        .to_owned();
    let new_password = "a brand new passphrase";
    let weak = anon
        .post("/api/users/password_reset/confirm", json!({"token": token, "new_password": "short"}))
        .await;
    weak.expect_client_error("a too short new password");
    let confirm =
        anon.post("/api/users/password_reset/confirm", json!({"token": token, "new_password": new_password}));
    confirm.await.expect(200, "the reset");
    let old = anon.post("/api/users/token", json!({"username": alice.username, "password": PASSWORD})).await;
    old.expect_error(401, "invalid_credentials", "the old password");
    alice.password = new_password.into();
    alice.login().await;
    let reuse = anon.post(
        "/api/users/password_reset/confirm",
        json!({"token": token, "new_password": "yet another one"}),
    );
    reuse.await.expect_error(400, "invalid_token", "a used token");
    let unknown = anon.post(
        "/api/users/password_reset/confirm",
        json!({"token": "not-a-token", "new_password": "yet another one"}),
    );
    unknown.await.expect_error(400, "invalid_token", "an unknown token");
    alice.login().await; // the new password still works
    let stale = anon.post("/api/users/token/refresh", json!({"refresh": tokens["refresh"]})).await;
    assert_eq!(stale.status, 401, "a refresh token from before the reset is revoked: {}", stale.text);
    assert!(!shop.mail().iter().any(|m| m.to == "nobody@example.com"), "no email for an unknown address");

    // The outbox's emails: confirmations, receipts (one per capture), a stock-low notice if any.
    let number = |o: &Value| o["number"].as_str().unwrap().to_owned();
    let n1 = number(&order1);
    shop.wait_mail(&alice.email, &format!("Order {n1} confirmed")).await;
    let receipt = shop.wait_mail(&alice.email, &format!("Payment received for order {n1}")).await;
    assert!(
        receipt.body.contains(&totals(&order1)[4].to_string()),
        "the receipt names the amount: {receipt:?}"
    );
    shop.wait_mail(&alice.email, &format!("Order {} confirmed", number(&order4))).await;
    if let Some((order2_id, _, order3_id)) = &stripe_orders {
        for id in [order2_id, order3_id] {
            let o = alice.client.get(&format!("/api/orders/{id}")).await.expect(200, "an order");
            shop.wait_mail(&alice.email, &format!("Order {} confirmed", number(&o))).await;
            shop.wait_mail(&alice.email, &format!("Payment received for order {}", number(&o))).await;
        }
    }
    let receipts = shop.mail().into_iter().filter(|m| m.subject.starts_with("Payment received")).count();
    assert_eq!(receipts, if stripe_orders.is_some() { 3 } else { 1 }, "one receipt per paid order");
    for m in shop.mail() {
        assert!(m.to == alice.email || m.to == ADMIN_EMAIL, "an email to a stranger: {m:?}");
    }

    shop.shutdown().await;
}

/// A restarted shop keeps its data, does not seed twice, and honours old tokens (same secret).
#[tokio::test]
async fn a_restart_keeps_the_data_and_seeds_once() {
    let shop = TestShop::start(Options::default()).await;
    let dir = shop.dir.clone();
    let alice = shop.customer("restart").await;
    let item = pick_items(&alice.client, 1).await.remove(0);
    alice.client.add(&item.sku, 2).await;
    let before = alice.client.cart().await;
    let admin = shop.admin().await;
    admin
        .put(&format!("/api/admin/stock/{}", item.sku), json!({"on_hand": 7}))
        .await
        .expect(200, "set stock");
    let token = alice.client.bearer.clone();
    shop.shutdown().await;

    let shop = TestShop::start(Options { dir: Some(Arc::clone(&dir)), ..Default::default() }).await;
    let mut c = shop.client();
    c.bearer = token;
    assert_eq!(c.cart().await, before, "the cart survived the restart");
    let products = c.get("/api/products?page_size=1").await.expect(200, "products");
    assert_eq!(products["total"], 50, "the catalog was not seeded twice");
    let admin = shop.admin().await;
    assert_eq!(admin.stock(&item.sku).await, (7, 0, 7), "the admin's stock change was not overwritten");
    shop.shutdown().await;
}

fn sorted(mut v: Vec<(String, i64)>) -> Vec<(String, i64)> {
    v.sort();
    v
}

async fn order_status(c: &Client, id: &str) -> String {
    let o = c.get(&format!("/api/orders/{id}")).await.expect(200, "the order");
    o["status"].as_str().expect("a status").to_owned()
}

/// A Stripe event about `intent`, as Stripe sends it.
fn event(id: &str, intent: &Value) -> Vec<u8> {
    let event = json!({
        "id": format!("{id}_{}", now()),
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": now(),
        "livemode": false,
        "api_version": "2024-06-20",
        "pending_webhooks": 1,
        "data": {"object": intent},
    });
    serde_json::to_vec(&event).expect("JSON")
}
