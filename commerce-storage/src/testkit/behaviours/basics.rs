//! Catalog, carts, checkout steps, idempotency records.

use std::sync::Arc;

use commerce_core::catalog::{Category, Image};
use commerce_core::checkout::CheckoutState;
use commerce_core::customer::Customer;
use commerce_core::engine::Error;
use commerce_core::ids::{CategoryId, CustomerId, ShippingMethodId};
use commerce_core::ports::storage::{IdempotencyRecord, ProductQuery, Store, StoreError};
use commerce_core::{Currency, Quantity};
use rust_decimal_macros::dec;

use crate::testkit::Harness;
use crate::testkit::harness::{address, email, standard};

/// Products, categories and customers round-trip exactly; SKUs are unique across products;
/// listing filters by category and text and pages.
pub async fn catalog_round_trip(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let sku = h.seed("RT-1", dec!(12.50), 3).await;
    let mut p = store.product_by_sku(&sku).await.unwrap().expect("product by sku");
    let cat = Category {
        id: CategoryId::from_uuid(h.uuid()),
        name: "Shirts".into(),
        slug: "shirts".into(),
        parent: None,
        position: 1,
    };
    store.put_category(&cat).await.unwrap();
    p.category = Some(cat.id);
    p.description = "Soft cotton, ម្ចាស់ហាង".into();
    p.images.push(Image { url: "https://img.example/1.png".into(), alt: "front".into(), position: 0 });
    p.attributes.insert("brand".into(), serde_json::json!({"name": "Acme", "since": 1999}));
    store.put_product(&p).await.unwrap();
    assert_eq!(store.get_product(p.id).await.unwrap().as_ref(), Some(&p), "product round trip");
    assert_eq!(store.list_categories().await.unwrap(), vec![cat.clone()]);
    // another product may not take the same SKU
    let mut q = p.clone();
    q.id = commerce_core::ProductId::from_uuid(h.uuid());
    assert!(matches!(store.put_product(&q).await, Err(StoreError::Conflict { .. })), "duplicate sku");
    for i in 0..5 {
        h.seed(&format!("LIST-{i}"), dec!(1), 1).await;
    }
    let page = store
        .list_products(&ProductQuery {
            text: Some("product list".into()),
            limit: 2,
            offset: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Product LIST-1", "Product LIST-2"]
    );
    let by_cat = store
        .list_products(&ProductQuery { category: Some(cat.id), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_cat.total, 1);
    let by_text = store
        .list_products(&ProductQuery { text: Some("COTTON".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_text.items.len(), 1, "text search is case-insensitive over the description");
    assert!(store.delete_product(p.id).await.unwrap());
    assert!(!store.delete_product(p.id).await.unwrap());
    assert_eq!(store.product_by_sku(&sku).await.unwrap(), None, "sku index follows deletes");
    // customers
    let c = Customer {
        id: CustomerId::from_uuid(h.uuid()),
        email: email(),
        name: "B".into(),
        group: None,
        created_at: h.now(),
    };
    store.put_customer(&c).await.unwrap();
    assert_eq!(store.customer_by_email(&email()).await.unwrap(), Some(c.clone()));
    let other = Customer { id: CustomerId::from_uuid(h.uuid()), ..c.clone() };
    assert!(matches!(store.put_customer(&other).await, Err(StoreError::Conflict { .. })), "duplicate email");
}

/// Concurrent cart updates never lose a write: 20 tasks each add one unit.
pub async fn cart_optimistic_concurrency(store: Arc<dyn Store>) {
    let h = Arc::new(Harness::new(store.clone()));
    let sku = h.seed("CART-1", dec!(3), 100).await;
    let cart = h.engine.create_cart(Currency::USD, None).await.unwrap();
    let cart_id = cart.id();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let h = h.clone();
            let sku = sku.clone();
            tokio::spawn(async move { h.engine.add_to_cart(cart_id, &sku, Quantity::ONE).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(h.engine.cart(cart.id()).await.unwrap().quantity_of(&sku), 20, "no lost update");
    // a stale version is refused
    let (c, v) = store.get_cart(cart.id()).await.unwrap().unwrap();
    store.save_cart(&c, Some(v)).await.unwrap();
    assert!(matches!(store.save_cart(&c, Some(v)).await, Err(StoreError::Conflict { .. })));
    assert!(
        matches!(store.save_cart(&c, None).await, Err(StoreError::Conflict { .. })),
        "insert of an existing id"
    );
    // unknown or unpriced SKUs cannot be added
    let bad = commerce_core::Sku::parse("NOPE").unwrap();
    assert!(matches!(
        h.engine.add_to_cart(cart.id(), &bad, Quantity::ONE).await,
        Err(Error::Unavailable { .. })
    ));
    let khr = h.engine.create_cart(Currency::KHR, None).await.unwrap();
    assert!(matches!(
        h.engine.add_to_cart(khr.id(), &sku, Quantity::ONE).await,
        Err(Error::Unavailable { .. })
    ));
    assert!(store.delete_cart(cart.id()).await.unwrap());
    assert_eq!(store.get_cart(cart.id()).await.unwrap(), None);
}

/// The checkout moves through its steps; illegal moves are typed errors; a re-lock never holds
/// stock twice; a new address releases the reservation.
pub async fn checkout_flow_and_illegal_moves(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let sku = h.seed("CO-1", dec!(10), 5).await;
    let cart = h.cart(&[(&sku, 2)], None, None).await.unwrap();
    let c = h.engine.start_checkout(cart.id()).await.unwrap();
    assert_eq!(c.state, CheckoutState::Open);
    let err = h.engine.lock_quote(c.id).await.unwrap_err();
    assert!(matches!(err, Error::Missing("shipping address")), "{err}");
    h.engine.set_checkout_addresses(c.id, email(), address(), None).await.unwrap();
    let unknown = ShippingMethodId::parse("teleport").unwrap();
    assert!(matches!(h.engine.select_shipping(c.id, unknown).await, Err(Error::NotFound { .. })));
    let err = h.engine.place_order(c.id, "k1").await.unwrap_err();
    assert!(matches!(err, Error::Checkout(_)), "place before the quote: {err}");
    h.engine.select_shipping(c.id, standard()).await.unwrap();
    let locked = h.engine.lock_quote(c.id).await.unwrap();
    assert_eq!(locked.state, CheckoutState::PaymentPending);
    let q = locked.quote.expect("quote");
    // 2 x 10.00 + 5.00 shipping
    assert_eq!(q.priced.grand_total.amount(), dec!(25.00));
    assert_eq!(h.available(&sku).await, 3);
    h.engine.lock_quote(c.id).await.unwrap();
    assert_eq!(h.available(&sku).await, 3, "re-locking replaces the reservation");
    h.engine.set_checkout_addresses(c.id, email(), address(), None).await.unwrap();
    assert_eq!(h.available(&sku).await, 5, "a new address drops the quote and its reservation");
    let cancelled = h.engine.cancel_checkout(c.id).await.unwrap();
    assert_eq!(cancelled.state, CheckoutState::Cancelled);
    assert!(matches!(h.engine.select_shipping(c.id, standard()).await, Err(Error::Checkout(_))));
    let empty = h.engine.create_cart(Currency::USD, None).await.unwrap();
    assert!(matches!(h.engine.start_checkout(empty.id()).await, Err(Error::EmptyCart)));
}

/// Idempotency records: first write wins; reads return it.
pub async fn idempotency_records(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let r1 = IdempotencyRecord {
        key: "refund:abc".into(),
        fingerprint: "f1".into(),
        response: "{\"a\":1}".into(),
        created_at: h.now(),
    };
    let r2 = IdempotencyRecord { fingerprint: "f2".into(), response: "{}".into(), ..r1.clone() };
    assert_eq!(store.get_idempotency("refund:abc").await.unwrap(), None);
    assert_eq!(store.put_idempotency(&r1).await.unwrap(), r1);
    assert_eq!(store.put_idempotency(&r2).await.unwrap(), r1, "the first record stays");
    assert_eq!(store.get_idempotency("refund:abc").await.unwrap(), Some(r1));
}
