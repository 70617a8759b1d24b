//! The engine's account, discovery and one-call checkout operations on the in-memory backend:
//! registration and uniqueness, profile changes, password resets, ranked search, activity, and
//! `checkout_cart` (idempotent by key, also when two calls race; a failed attempt holds no stock).

use std::sync::Arc;

use chrono::Duration;
use commerce::account::{Role, Username};
use commerce::activity::Subject;
use commerce::customer::{Address, Email};
use commerce::engine::{CheckoutRequest, Error, NewAccount, ProfileUpdate};
use commerce::events::EventKind;
use commerce::storage::testkit::Harness;
use commerce::{MemoryStore, Region};
use rust_decimal_macros::dec;
use sha2::{Digest, Sha256};

fn harness() -> Harness {
    Harness::new(Arc::new(MemoryStore::new()))
}

fn new_account(username: &str, email: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(username).unwrap(),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Customer,
        first_name: Some("  Ann ".into()),
        last_name: None,
    }
}

fn address() -> Address {
    Address {
        name: "Ann".into(),
        line1: "1 Street 240".into(),
        line2: None,
        city: "Phnom Penh".into(),
        region: None,
        postal_code: None,
        country: Region::parse("KH").unwrap(),
        phone: None,
    }
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn registration_is_unique_by_username_and_email_and_logins_ignore_case() {
    let h = harness();
    let a = h.engine.register(new_account("Ann", "ann@example.com")).await.unwrap();
    assert_eq!(a.first_name.as_deref(), Some("Ann"), "names are trimmed");
    assert_eq!(a.username.as_str(), "ann");
    let customer = h.store.get_customer(a.customer_id).await.unwrap().expect("the customer was created");
    assert_eq!(customer.email.as_str(), "ann@example.com");

    let dup_user = h.engine.register(new_account("ANN", "other@example.com")).await.unwrap_err();
    assert!(matches!(dup_user, Error::AlreadyExists { field: "username", .. }), "{dup_user:?}");
    let dup_email = h.engine.register(new_account("bob", "ANN@example.com")).await.unwrap_err();
    assert!(matches!(dup_email, Error::AlreadyExists { field: "email", .. }), "{dup_email:?}");
    assert_eq!(dup_email.code(), "already_exists");

    for login in ["ann", "ANN", "Ann@Example.com"] {
        assert_eq!(h.engine.account_by_login(login).await.unwrap().map(|x| x.id), Some(a.id), "{login}");
    }
    assert!(h.engine.account_by_login("nobody").await.unwrap().is_none());
    assert!(h.engine.account_by_login("").await.unwrap().is_none());
    let registered = h
        .store
        .all_events(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::AccountRegistered { .. }))
        .count();
    assert_eq!(registered, 1, "one event per successful registration");

    let updated = h
        .engine
        .update_profile(
            a.id,
            ProfileUpdate {
                email: Some(Email::parse("ann.s@example.com").unwrap()),
                first_name: None,
                last_name: Some(Some("Sok".into())),
            },
        )
        .await
        .unwrap();
    assert_eq!((updated.email.as_str(), updated.last_name.as_deref()), ("ann.s@example.com", Some("Sok")));
    assert_eq!(updated.first_name.as_deref(), Some("Ann"), "untouched fields stay");
    assert!(updated.version > a.version);
    h.engine.register(new_account("bob", "bob@example.com")).await.unwrap();
    let taken = h
        .engine
        .update_profile(
            a.id,
            ProfileUpdate { email: Some(Email::parse("bob@example.com").unwrap()), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(taken, Error::AlreadyExists { field: "email", .. }), "{taken:?}");
    assert_eq!(h.engine.account(a.id).await.unwrap().email.as_str(), "ann.s@example.com", "nothing changed");
}

#[tokio::test]
async fn password_resets_are_single_use_and_expire() {
    let h = harness();
    let a = h.engine.register(new_account("ann", "ann@example.com")).await.unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let token = "a-long-random-token-0001";
    let expires =
        h.engine.request_password_reset(&email, token, &sha256(token), Duration::minutes(30)).await.unwrap();
    assert_eq!(expires, Some(h.now() + Duration::minutes(30)));
    // No account: no grant, same kind of answer.
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert_eq!(
        h.engine.request_password_reset(&nobody, token, &sha256(token), Duration::minutes(30)).await.unwrap(),
        None
    );
    // The email job carries the token.
    let sent = h.store.all_events(100).await.unwrap().into_iter().filter_map(|e| match e.kind {
        EventKind::PasswordResetRequested { token, .. } => Some(token),
        _ => None,
    });
    assert_eq!(sent.collect::<Vec<_>>(), vec![token.to_owned()]);

    // A wrong token does nothing; the right one works once.
    assert!(matches!(
        h.engine.reset_password(&sha256("wrong-token-000000"), "$new").await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(h.engine.reset_password(&sha256(token), "$new-hash").await.unwrap(), a.id);
    assert_eq!(h.engine.account(a.id).await.unwrap().password_hash, "$new-hash");
    assert!(matches!(h.engine.reset_password(&sha256(token), "$again").await, Err(Error::Invalid(_))));
    assert_eq!(h.engine.account(a.id).await.unwrap().password_hash, "$new-hash");
    // Bad inputs are refused before the store.
    assert!(matches!(
        h.engine.request_password_reset(&email, "short", &sha256("short"), Duration::minutes(1)).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        h.engine.request_password_reset(&email, token, "not-hex", Duration::minutes(1)).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn search_ranks_and_activity_is_recorded_per_subject() {
    let h = harness();
    for (sku, _) in [("TEA-1", 0), ("MUG-1", 0), ("TEA-2", 0)] {
        h.seed(sku, dec!(5), 10).await;
    }
    // Rename the seeded products so the query has something to rank.
    for (sku, name, description) in [
        ("TEA-1", "Jasmine tea", "Loose leaves"),
        ("TEA-2", "Teapot", "For jasmine tea and green tea"),
        ("MUG-1", "Mug", "Holds coffee"),
    ] {
        let mut p = h.store.product_by_sku(&sku.parse().unwrap()).await.unwrap().unwrap();
        p.name = name.into();
        p.description = description.into();
        h.store.put_product(&p).await.unwrap();
    }
    let (hits, total) = h.engine.search_products("jasmine TEA", 0, 10).await.unwrap();
    let names: Vec<&str> = hits.iter().map(|(p, _)| p.name.as_str()).collect();
    assert_eq!((names, total), (vec!["Jasmine tea", "Teapot"], 2));
    let (page2, total) = h.engine.search_products("jasmine tea", 1, 10).await.unwrap();
    assert_eq!((page2.len(), total), (1, 2));
    assert!(h.engine.search_products("  ", 0, 10).await.unwrap().0.is_empty());

    let ann = Subject::Guest("cart-token-1".into());
    let bob = Subject::Guest("cart-token-2".into());
    let (tea, mug) =
        (hits[0].0.id, h.store.product_by_sku(&"MUG-1".parse().unwrap()).await.unwrap().unwrap().id);
    h.engine.record_view(&ann, tea).await.unwrap();
    h.engine.record_view(&ann, mug).await.unwrap();
    h.engine.record_view(&bob, mug).await.unwrap();
    h.engine.record_search(&ann, "  jasmine  ").await.unwrap();
    h.engine.record_search(&ann, "   ").await.unwrap();
    assert_eq!(h.engine.recently_viewed(&bob, 10).await.unwrap(), vec![mug]);
    let ann_views = h.engine.recently_viewed(&ann, 10).await.unwrap();
    assert_eq!(ann_views.len(), 2);
    assert!(ann_views.contains(&tea) && ann_views.contains(&mug));
    assert_eq!(h.engine.recent_searches(&ann, 10).await.unwrap(), vec!["jasmine".to_owned()]);
    let too_long = Subject::Guest("x".repeat(101));
    assert!(matches!(h.engine.record_view(&too_long, tea).await, Err(Error::Invalid(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkout_cart_is_idempotent_even_when_racing_and_holds_no_stock_on_failure() {
    let h = Arc::new(harness());
    // Ample stock: racers on one key each hold a reservation while they run (see `checkout_cart`).
    let sku = h.seed("TEE-1", dec!(10), 100).await;
    let a = h.engine.register(new_account("ann", "ann@example.com")).await.unwrap();
    let cart = h.engine.cart_for_customer(a.customer_id, commerce::Currency::USD).await.unwrap();
    assert_eq!(
        h.engine.cart_for_customer(a.customer_id, commerce::Currency::USD).await.unwrap().id(),
        cart.id()
    );
    h.engine.add_to_cart(cart.id(), &sku, commerce::Quantity::new(2).unwrap()).await.unwrap();
    let request = || CheckoutRequest {
        email: a.email.clone(),
        shipping_address: address(),
        billing_address: None,
        shipping_method: None,
    };
    // Eight calls with one key race on four threads: one order, the same for all.
    let mut tasks = Vec::new();
    let cart_id = cart.id();
    for _ in 0..8 {
        let (h, req) = (h.clone(), request());
        tasks.push(tokio::spawn(async move { h.engine.checkout_cart(cart_id, req, "ann:k1").await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every racer got the same order");
    let x = h.engine.order(ids[0]).await.unwrap();
    assert_eq!(h.engine.checkout_cart(cart.id(), request(), "ann:k1").await.unwrap().id, x.id, "a replay");
    assert_eq!(h.available(&sku).await, 98, "two units sold once, nothing left reserved by the losers");
    assert_eq!(x.total(), commerce::Money::new(dec!(25), commerce::Currency::USD), "2 x 10 + 5 shipping");

    // Out of stock: an error, and the attempt reserves nothing.
    h.store.set_stock(&sku, 3, false, None).await.unwrap();
    let cart = h.engine.cart_for_customer(a.customer_id, commerce::Currency::USD).await.unwrap();
    h.engine.add_to_cart(cart.id(), &sku, commerce::Quantity::new(4).unwrap()).await.unwrap();
    let err = h.engine.checkout_cart(cart.id(), request(), "ann:k2").await.unwrap_err();
    assert!(matches!(err, Error::OutOfStock { .. }), "{err:?}");
    assert_eq!(h.available(&sku).await, 3);
    let empty = h.engine.create_cart(commerce::Currency::USD, None).await.unwrap();
    assert!(matches!(h.engine.checkout_cart(empty.id(), request(), "ann:k3").await, Err(Error::EmptyCart)));
    assert!(matches!(h.engine.checkout_cart(cart.id(), request(), "").await, Err(Error::Invalid(_))));
}

#[tokio::test]
async fn two_variants_of_one_product_price_and_sell_together() {
    use commerce::catalog::{Product, Variant};
    let h = harness();
    h.seed("SEED-1", dec!(1), 1).await; // the harness's shipping method
    let variant = |sku: &str, price| Variant {
        sku: sku.parse().unwrap(),
        name: sku.into(),
        options: Default::default(),
        prices: vec![commerce::Money::new(price, commerce::Currency::USD)],
        weight_grams: 100,
        tax_class: commerce::TaxClass::parse("standard").unwrap(),
        active: true,
    };
    let product = Product {
        id: commerce::ProductId::from_uuid(h.uuid()),
        name: "Tee".into(),
        description: String::new(),
        category: None,
        images: vec![],
        attributes: Default::default(),
        variants: vec![variant("TEE-M", dec!(10)), variant("TEE-L", dec!(12))],
        active: true,
    };
    h.store.put_product(&product).await.unwrap();
    for sku in ["TEE-M", "TEE-L"] {
        h.store.set_stock(&sku.parse().unwrap(), 5, false, None).await.unwrap();
    }
    let (m, l) = ("TEE-M".parse().unwrap(), "TEE-L".parse().unwrap());
    let order = h.buy(&[(&m, 1), (&l, 2)]).await.unwrap();
    assert_eq!(order.priced.subtotal, commerce::Money::new(dec!(34), commerce::Currency::USD));
    assert_eq!(order.lines.len(), 2);
    assert_eq!((h.available(&m).await, h.available(&l).await), (4, 3));
}
