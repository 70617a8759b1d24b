//! The shop's end-to-end test harness: a shop started in-process on a free port (on a temporary
//! SQLite file, or on a scratch MariaDB database), a small JSON client (bearer token, guest cart
//! token, idempotency keys), users, the admin, money helpers, and the service gates.
//!
//! Gates: localstripe at `COMMERCE_TEST_STRIPE_URL` (default `http://127.0.0.1:8420`, started by
//! `.ci/setup-stripe.sh`) and MariaDB at `COMMERCE_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`). An unreachable service prints `SKIPPED: <why>` and the
//! test returns, unless `COMMERCE_REQUIRE_SERVICES=1`, where it fails.
#![allow(dead_code)]

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commerce_mysql::ScratchDatabase;
use commerce_shop::{Config, Mail, Shop};
use futures::future::join_all;
use reqwest::Method;
use reqwest::header::HeaderMap;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The admin the shops under test are seeded with.
pub const ADMIN_EMAIL: &str = "admin@shop.test";
/// Its password.
pub const ADMIN_PASSWORD: &str = "admin-e2e-password";
/// The Stripe API key the shops use against localstripe.
pub const STRIPE_KEY: &str = "sk_test_shop_e2e";
/// The webhook signing secret the shops verify `/webhooks/stripe` with.
pub const WEBHOOK_SECRET: &str = "whsec_shop_e2e_signing_secret";
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// How long to wait for anything asynchronous (outbox emails, the Bakong poller).
pub const PATIENCE: Duration = Duration::from_secs(10);

fn require_services() -> bool {
    std::env::var("COMMERCE_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// Prints `SKIPPED: why`, or fails when services are required.
pub fn skip(why: &str) {
    if require_services() {
        panic!("{why} (COMMERCE_REQUIRE_SERVICES=1)");
    }
    println!("SKIPPED: {why}");
}

/// localstripe's URL when it answers.
pub async fn stripe_url() -> Option<String> {
    let url = std::env::var("COMMERCE_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into());
    let ok = reqwest::Client::new()
        .get(format!("{url}/v1/payment_intents"))
        .bearer_auth("sk_test_probe")
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .is_ok();
    if ok {
        Some(url)
    } else {
        skip(&format!("localstripe not reachable at {url} (run .ci/setup-stripe.sh)"));
        None
    }
}

/// A fresh scratch database on the MariaDB server when it answers.
pub async fn mysql_database() -> Option<ScratchDatabase> {
    let url = std::env::var("COMMERCE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    match ScratchDatabase::create(&url).await {
        Ok(db) => Some(db),
        Err(e) => {
            skip(&format!("MariaDB not usable at {url}: {e} (run .ci/setup-mysql.sh)"));
            None
        }
    }
}

/// What a test shop runs with.
#[derive(Default)]
pub struct Options {
    /// localstripe's URL: Stripe offered, with [`WEBHOOK_SECRET`].
    pub stripe: Option<String>,
    /// `BAKONG_SANDBOX=1`.
    pub bakong: bool,
    /// Run on this MariaDB database instead of a temporary SQLite file.
    pub mysql: Option<ScratchDatabase>,
    /// Reuse this SQLite directory (a restart); a new temporary one otherwise.
    pub dir: Option<Arc<tempfile::TempDir>>,
    /// More variables (override the defaults).
    pub vars: Vec<(&'static str, String)>,
}

/// A running shop and what it needs to stay alive.
pub struct TestShop {
    shop: Option<Shop>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// localstripe's URL when Stripe is configured.
    pub stripe: Option<String>,
    http: reqwest::Client,
    /// The SQLite directory (kept for a restart).
    pub dir: Arc<tempfile::TempDir>,
    /// The MariaDB database, dropped after the shop.
    pub db: Option<ScratchDatabase>,
}

/// The variables a test shop starts with.
pub fn vars(opts: &Options, dir: &tempfile::TempDir) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut set = |k: &str, v: String| {
        vars.insert(k.to_owned(), v);
    };
    set("SHOP_ADDR", "127.0.0.1:0".into());
    let database_url = match &opts.mysql {
        Some(db) => db.url().to_owned(),
        None => format!("sqlite://{}", dir.path().join("shop.db").display()),
    };
    set("DATABASE_URL", database_url);
    set("SHOP_ADMIN_EMAIL", ADMIN_EMAIL.into());
    set("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD.into());
    set("JWT_SECRET", "e2e-test-jwt-secret-with-at-least-32-bytes".into());
    set("SHOP_WORKER_INTERVAL_MS", "50".into());
    set("SHOP_POLL_INTERVAL_MS", "200".into());
    if let Some(stripe) = &opts.stripe {
        set("STRIPE_SECRET_KEY", STRIPE_KEY.into());
        set("STRIPE_API_BASE", stripe.clone());
        set("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into());
    }
    if opts.bakong {
        set("BAKONG_SANDBOX", "1".into());
    }
    for (k, v) in &opts.vars {
        set(k, v.clone());
    }
    vars
}

impl TestShop {
    /// Starts a shop.
    pub async fn start(opts: Options) -> TestShop {
        let dir = opts.dir.clone().unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("a temp dir")));
        let vars = vars(&opts, &dir);
        let config = Config::from_vars(|k| vars.get(k).cloned()).expect("a valid test configuration");
        let shop = commerce_shop::start(config).await.expect("the shop starts");
        let url = shop.url();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client");
        TestShop { shop: Some(shop), url, stripe: opts.stripe, http, dir, db: opts.mysql }
    }

    /// A client without credentials.
    pub fn client(&self) -> Client {
        Client {
            http: self.http.clone(),
            base: self.url.clone(),
            bearer: None,
            cart_token: Arc::new(Mutex::new(None)),
        }
    }

    /// The emails sent so far.
    pub fn mail(&self) -> Vec<Mail> {
        self.shop.as_ref().expect("running").mail()
    }

    /// Waits for an email to `to` whose subject contains `subject`.
    pub async fn wait_mail(&self, to: &str, subject: &str) -> Mail {
        eventually(&format!("an email to {to} about {subject:?}"), || async {
            self.mail().into_iter().find(|m| m.to == to && m.subject.contains(subject))
        })
        .await
    }

    /// Signs in as the seeded admin.
    pub async fn admin(&self) -> Client {
        let mut c = self.client();
        let t = c.post("/api/users/token", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
        c.bearer = Some(t.expect(200, "admin login")["access"].as_str().expect("an access token").to_owned());
        c
    }

    /// Registers a new customer (unique name from `tag`) and signs in.
    pub async fn customer(&self, tag: &str) -> User {
        let n = SERIAL.fetch_add(1, Ordering::Relaxed);
        let username = format!("{tag}-{n}");
        let email = format!("{username}@example.com");
        let c = self.client();
        let body = json!({
            "email": email, "username": username, "password": PASSWORD,
            "first_name": "Test", "last_name": tag,
        });
        let account = c.post("/api/users/register", body).await.expect(201, "register");
        let mut user =
            User { client: c, username, email, password: PASSWORD.into(), id: account["id"].clone() };
        user.login().await;
        user
    }

    /// Stops the shop gracefully (then the database goes).
    pub async fn shutdown(mut self) {
        if let Some(shop) = self.shop.take() {
            tokio::time::timeout(Duration::from_secs(15), shop.shutdown())
                .await
                .expect("the shop shuts down within 15 s");
        }
    }
}

static SERIAL: AtomicU64 = AtomicU64::new(1);

/// A signed-in customer.
pub struct User {
    /// Their client (bearer set).
    pub client: Client,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Current password.
    pub password: String,
    /// Account id.
    pub id: Value,
}

impl User {
    /// Signs in with the username and current password (bearer replaced).
    pub async fn login(&mut self) {
        let mut anon = self.client.clone();
        anon.bearer = None;
        let t = anon
            .post("/api/users/token", json!({"username": self.username, "password": self.password}))
            .await
            .expect(200, "login");
        assert_eq!(t["token_type"], "Bearer", "{t}");
        self.client.bearer = Some(t["access"].as_str().expect("an access token").to_owned());
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body text.
    pub text: String,
    /// Body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// What was asked ("POST /api/cart/add").
    pub what: String,
}

impl Resp {
    /// The JSON body, asserting the status.
    #[track_caller]
    pub fn expect(self, status: u16, context: &str) -> Value {
        assert_eq!(self.status, status, "{context}: {} answered {}: {}", self.what, self.status, self.text);
        self.json
    }

    /// Asserts an error answer: `status` and `{"error": {"code": code, "message": non-empty}}`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str, context: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "{context}: {} answered {}: {}",
            self.what,
            self.status,
            self.text
        );
        self.assert_error_message(context);
    }

    /// Asserts a 4xx error answer with a code and a message; returns the code.
    #[track_caller]
    pub fn expect_client_error(&self, context: &str) -> String {
        assert!(
            (400..500).contains(&self.status),
            "{context}: {} answered {} (expected a 4xx): {}",
            self.what,
            self.status,
            self.text
        );
        assert!(!self.code().is_empty(), "{context}: {} has no error code: {}", self.what, self.text);
        self.assert_error_message(context);
        self.code().to_owned()
    }

    #[track_caller]
    fn assert_error_message(&self, context: &str) {
        let message = self.json["error"]["message"].as_str().unwrap_or("");
        assert!(!message.trim().is_empty(), "{context}: {} gave no error message: {}", self.what, self.text);
    }

    /// `error.code`, or "".
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

/// A JSON client of the shop. Clones share the guest cart token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// `Authorization: Bearer` token.
    pub bearer: Option<String>,
    /// The guest cart token: sent as `X-Cart-Token`, updated from answers carrying one.
    pub cart_token: Arc<Mutex<Option<String>>>,
}

/// A request being built.
pub struct Req<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    body: Option<(Vec<u8>, Option<&'static str>)>,
    headers: Vec<(String, String)>,
    cart_token: bool,
}

impl Req<'_> {
    /// A JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some((serde_json::to_vec(body).expect("JSON"), Some("application/json")));
        self
    }

    /// A raw body with an optional content type.
    pub fn raw(mut self, body: impl Into<Vec<u8>>, content_type: Option<&'static str>) -> Self {
        self.body = Some((body.into(), content_type));
        self
    }

    /// A header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Idempotency-Key`.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("Idempotency-Key", key)
    }

    /// Leaves out the client's cart token.
    pub fn without_cart_token(mut self) -> Self {
        self.cart_token = false;
        self
    }

    /// Sends it.
    pub async fn send(self) -> Resp {
        let what = format!("{} {}", self.method, self.path);
        let url = if self.path.starts_with("http") {
            self.path.clone()
        } else {
            format!("{}{}", self.client.base, self.path)
        };
        let mut rb = self.client.http.request(self.method, url);
        if let Some(token) = &self.client.bearer {
            rb = rb.bearer_auth(token);
        }
        let token = self.client.cart_token.lock().unwrap().clone();
        if self.cart_token
            && let Some(token) = token
        {
            rb = rb.header("X-Cart-Token", token);
        }
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        if let Some((body, content_type)) = self.body {
            if let Some(ct) = content_type {
                rb = rb.header("Content-Type", ct);
            }
            rb = rb.body(body);
        }
        let resp = rb.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(token) = headers.get("x-cart-token").and_then(|v| v.to_str().ok()) {
            *self.client.cart_token.lock().unwrap() = Some(token.to_owned());
        }
        Resp { status, headers, text, json, what }
    }
}

impl Client {
    /// A request.
    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req { client: self, method, path: path.to_owned(), body: None, headers: Vec::new(), cart_token: true }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Resp {
        self.req(Method::GET, path).send().await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.req(Method::POST, path).json(&body).send().await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.req(Method::PUT, path).json(&body).send().await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.req(Method::PATCH, path).json(&body).send().await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Resp {
        self.req(Method::DELETE, path).send().await
    }

    /// The guest cart token, if any.
    pub fn cart_token(&self) -> Option<String> {
        self.cart_token.lock().unwrap().clone()
    }

    /// A copy of this client with its own (empty) cart token and no bearer.
    pub fn anonymous(&self) -> Client {
        Client { http: self.http.clone(), base: self.base.clone(), bearer: None, cart_token: Arc::default() }
    }

    /// The priced cart.
    pub async fn cart(&self) -> Value {
        self.get("/api/cart").await.expect(200, "the cart")
    }

    /// Adds `quantity` of `sku` to the cart.
    pub async fn add(&self, sku: &str, quantity: i64) -> Value {
        self.post("/api/cart/add", json!({"sku": sku, "quantity": quantity})).await.expect(201, "add to cart")
    }

    /// Places an order for the cart with `key`, asserting 201 (or 200 for a replay).
    pub async fn order(&self, key: &str) -> Value {
        let r = self.create_order(key).await;
        assert!(r.status == 201 || r.status == 200, "{} answered {}: {}", r.what, r.status, r.text);
        r.json
    }

    /// `POST /api/orders/create` to Phnom Penh with `key`.
    pub async fn create_order(&self, key: &str) -> Resp {
        self.req(Method::POST, "/api/orders/create")
            .idempotency_key(key)
            .json(&json!({"shipping_address": address()}))
            .send()
            .await
    }

    /// Admin: the stock of `sku` as (on_hand, reserved, available).
    pub async fn stock(&self, sku: &str) -> (i64, i64, i64) {
        let s = self.get(&format!("/api/admin/stock/{sku}")).await.expect(200, "stock");
        assert_eq!(s["sku"], sku, "{s}");
        let n = |k: &str| s[k].as_i64().unwrap_or_else(|| panic!("stock.{k} is not a number: {s}"));
        let (on_hand, reserved, available) = (n("on_hand"), n("reserved"), n("available"));
        assert_eq!(available, on_hand - reserved, "available = on_hand - reserved: {s}");
        (on_hand, reserved, available)
    }
}

/// A shipping address in Phnom Penh.
pub fn address() -> Value {
    json!({
        "name": "Sok Dara", "line1": "12 Street 240", "city": "Phnom Penh",
        "postal_code": "12207", "country": "KH", "phone": "+855 12 345 678"
    })
}

/// A money string field as an exact decimal (a JSON number is a failure: money is text).
#[track_caller]
pub fn dec(v: &Value) -> Decimal {
    let s = v.as_str().unwrap_or_else(|| panic!("money must be a JSON string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|e| panic!("money {s:?}: {e}"))
}

/// The totals of a priced cart or an order, in order: subtotal, discount, tax, shipping, total.
#[track_caller]
pub fn totals(v: &Value) -> [Decimal; 5] {
    ["subtotal", "discount_total", "tax_total", "shipping_total", "total"].map(|k| dec(&v[k]))
}

/// A cart's lines as (sku, quantity), sorted.
pub fn lines(cart: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = cart["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines: {cart}"))
        .iter()
        .map(|l| (l["sku"].as_str().expect("a sku").to_owned(), l["quantity"].as_i64().expect("a quantity")))
        .collect();
    out.sort();
    out
}

/// The ids in a list answer's `items`.
pub fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Polls `f` every 25 ms until it answers `Some`, for at most [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {PATIENCE:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A `Stripe-Signature` header for `payload` signed with `secret` at unix time `t`.
pub fn stripe_signature(secret: &str, t: i64, payload: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

/// A product the tests buy: its id, its only SKU, its price.
#[derive(Debug, Clone)]
pub struct Item {
    /// Product id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The SKU.
    pub sku: String,
    /// Unit price.
    pub price: Decimal,
}

/// `n` distinct catalog products with a single variant and at least 20 units available, in
/// catalog order.
pub async fn pick_items(c: &Client, n: usize) -> Vec<Item> {
    let mut out = Vec::new();
    let mut page = 1;
    while out.len() < n {
        let list = c.get(&format!("/api/products?page={page}&page_size=50")).await.expect(200, "products");
        let items = list["items"].as_array().expect("items").clone();
        assert!(!items.is_empty(), "the catalog has fewer than {n} single-variant products in stock");
        for p in &items {
            let variants = p["variants"].as_array().expect("variants");
            if let [v] = variants.as_slice()
                && v["available"].as_i64().unwrap_or(0) >= 20
                && v["price"].is_string()
                && out.len() < n
            {
                out.push(Item {
                    id: p["id"].as_str().expect("id").to_owned(),
                    name: p["name"].as_str().expect("name").to_owned(),
                    sku: v["sku"].as_str().expect("sku").to_owned(),
                    price: dec(&v["price"]),
                });
            }
        }
        page += 1;
    }
    out
}

/// `buyers` customers each put one unit of `sku` (with `units` in stock) in their cart and order
/// at once: exactly `units` orders succeed, the others get `out_of_stock` and keep their carts.
pub async fn buy_concurrently(shop: &TestShop, admin: &Client, sku: &str, units: i64, buyers: usize) {
    let users = join_all((0..buyers).map(|i| async move { shop.customer(&format!("buyer{i}")).await })).await;
    let mut carts = Vec::new();
    for u in &users {
        u.client.add(sku, 1).await;
        carts.push(u.client.cart().await);
    }
    assert_eq!(admin.stock(sku).await.2, units, "carts hold no stock");

    let answers = join_all(
        users
            .iter()
            .enumerate()
            .map(|(i, u)| async move { u.client.create_order(&format!("scarce-{i}")).await }),
    )
    .await;
    let mut won = Vec::new();
    for (i, a) in answers.iter().enumerate() {
        match a.status {
            201 => {
                assert_eq!(
                    totals(&a.json),
                    totals(&carts[i]),
                    "buyer {i} pays what the cart said: {}",
                    a.text
                );
                assert_eq!(a.json["status"], "pending_payment");
                won.push(i);
            }
            409 => a.expect_error(409, "out_of_stock", &format!("buyer {i}")),
            other => panic!("buyer {i}: unexpected {other}: {}", a.text),
        }
    }
    assert_eq!(won.len() as i64, units, "exactly {units} orders for {units} units");

    let (on_hand, reserved, available) = admin.stock(sku).await;
    assert_eq!(available, 0, "sold out");
    assert!(on_hand >= 0 && reserved >= 0, "({on_hand}, {reserved})");
    assert_eq!(on_hand - reserved, 0, "every unit is in exactly one order: ({on_hand}, {reserved})");
    assert!(
        (on_hand, reserved) == (units, units) || (on_hand, reserved) == (0, 0),
        "held by the orders or taken off the shelf, not both: ({on_hand}, {reserved})"
    );
    // The losers' carts are as they were; the winners' are empty; nobody can still buy.
    for (i, u) in users.iter().enumerate() {
        let cart = u.client.cart().await;
        if won.contains(&i) {
            assert!(lines(&cart).is_empty(), "buyer {i}'s cart was ordered: {cart}");
        } else {
            assert_eq!(cart, carts[i], "buyer {i}'s refused order changed the cart");
        }
    }
    let late = users.iter().enumerate().find(|(i, _)| !won.contains(i)).map(|(_, u)| u).expect("a loser");
    late.client.create_order("scarce-late").await.expect_error(409, "out_of_stock", "a late buyer");
    // The orders, seen by the admin: `units` of them, one unit each.
    let all = admin.get("/api/admin/orders?status=pending_payment&page_size=100").await.expect(200, "orders");
    let mine: Vec<&Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| o["lines"].as_array().is_some_and(|l| l.iter().any(|l| l["sku"] == sku)))
        .collect();
    assert_eq!(mine.len() as i64, units, "{all}");
    let sold: i64 = mine
        .iter()
        .flat_map(|o| o["lines"].as_array().unwrap().iter())
        .filter(|l| l["sku"] == sku)
        .map(|l| l["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(sold, units, "no oversell");
}

/// `s` percent-encoded for a query string.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
