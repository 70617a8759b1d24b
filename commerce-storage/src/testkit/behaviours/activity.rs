//! Shopper activity (recently viewed, recent searches) and the purchase-derived figures
//! ("customers also bought", best sellers) over real placed orders.

use std::sync::Arc;

use chrono::Duration;
use commerce_core::Sku;
use commerce_core::activity::{Activity, ActivityKind, ProductCount, Subject};
use commerce_core::ids::{CustomerId, ProductId};
use commerce_core::ports::storage::Store;
use rust_decimal_macros::dec;

use crate::testkit::Harness;

fn viewed(subject: &Subject, product: ProductId, at: chrono::DateTime<chrono::Utc>) -> Activity {
    Activity { subject: subject.clone(), kind: ActivityKind::ProductViewed { product_id: product }, at }
}

fn searched(subject: &Subject, query: &str, at: chrono::DateTime<chrono::Utc>) -> Activity {
    Activity { subject: subject.clone(), kind: ActivityKind::Searched { query: query.into() }, at }
}

/// Recently viewed products and recent searches: each once (at its latest time), newest first
/// (the later record first among records of one instant), at most `limit`, per subject (a
/// customer and guests are kept apart; views and searches too).
pub async fn recent_activity_per_subject(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let customer = Subject::Customer(CustomerId::from_uuid(h.uuid()));
    let guest = Subject::Guest("cart-token-1".into());
    let other_guest = Subject::Guest("cart-token-2".into());
    let [p1, p2, p3, p4] = [(); 4].map(|_| ProductId::from_uuid(h.uuid()));
    let t = |minutes: i64| h.now() + Duration::minutes(minutes);
    for a in [
        viewed(&customer, p1, t(0)),
        viewed(&customer, p2, t(1)),
        viewed(&customer, p1, t(2)), // p1 again: moves to the front
        viewed(&customer, p3, t(3)),
        viewed(&guest, p4, t(4)),
        searched(&customer, "red shirt", t(5)),
        viewed(&customer, p4, t(6)),
        viewed(&customer, p2, t(6)), // same instant, recorded later: first
        searched(&customer, "blue jeans", t(7)),
        searched(&customer, "Red Shirt", t(8)), // another query (case kept)
        searched(&customer, "red shirt", t(9)),
        searched(&guest, "socks", t(10)),
        viewed(&guest, p1, t(11)),
    ] {
        store.record_activity(&a).await.unwrap();
    }
    assert_eq!(store.recently_viewed(&customer, 10).await.unwrap(), vec![p2, p4, p3, p1]);
    assert_eq!(store.recently_viewed(&customer, 2).await.unwrap(), vec![p2, p4], "limit");
    assert_eq!(store.recently_viewed(&customer, 0).await.unwrap(), Vec::<ProductId>::new());
    assert_eq!(store.recently_viewed(&guest, 10).await.unwrap(), vec![p1, p4], "per subject");
    assert_eq!(store.recently_viewed(&other_guest, 10).await.unwrap(), Vec::<ProductId>::new());
    assert_eq!(
        store.recent_searches(&customer, 10).await.unwrap(),
        ["red shirt", "Red Shirt", "blue jeans"],
        "distinct, newest first"
    );
    assert_eq!(store.recent_searches(&customer, 1).await.unwrap(), ["red shirt"], "limit");
    assert_eq!(store.recent_searches(&guest, 10).await.unwrap(), ["socks"]);
    assert_eq!(store.recent_searches(&other_guest, 10).await.unwrap(), Vec::<String>::new());
    // a guest key that looks like a customer key is still another subject
    let lookalike = Subject::Guest(match &customer {
        Subject::Customer(id) => format!("customer:{id}"),
        Subject::Guest(_) => unreachable!(),
    });
    assert_eq!(store.recently_viewed(&lookalike, 10).await.unwrap(), Vec::<ProductId>::new());
}

/// Sorts counts as the ports return them: most first, ties by product id.
fn ranked(mut v: Vec<ProductCount>) -> Vec<ProductCount> {
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.product_id.cmp(&b.product_id)));
    v
}

fn pc(product_id: ProductId, count: u64) -> ProductCount {
    ProductCount { product_id, count }
}

/// "Also bought" counts the orders a product shares with each other product (any variant, once
/// per order), best sellers count units; both leave cancelled orders and SKUs no longer in the
/// catalog out, rank most first with ties by product id, and honour `limit`; best sellers honour
/// `since` (inclusive).
pub async fn also_bought_and_popular(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let a1 = h.seed("AB-A1", dec!(10), 100).await;
    let b = h.seed("AB-B", dec!(5), 100).await;
    let c = h.seed("AB-C", dec!(7), 100).await;
    let d = h.seed("AB-D", dec!(3), 100).await;
    let e = h.seed("AB-E", dec!(2), 100).await;
    let _lonely = h.seed("AB-F", dec!(1), 100).await;
    // AB-A2 is sold as its own product first and becomes A's second variant after the sales
    // below (the engine cannot price one cart holding two variants of one product yet).
    let a2 = h.seed("AB-A2", dec!(10), 100).await;
    let id = |sku: &Sku| {
        let store = store.clone();
        let sku = sku.clone();
        async move { store.product_by_sku(&sku).await.unwrap().unwrap().id }
    };
    let (pa, pb, pc_, pd, pe) = (id(&a1).await, id(&b).await, id(&c).await, id(&d).await, id(&e).await);

    // Day 0.
    h.buy(&[(&a1, 1), (&b, 2)]).await.unwrap();
    h.buy(&[(&a1, 1), (&b, 1), (&c, 1)]).await.unwrap();
    h.buy(&[(&a1, 3), (&c, 1)]).await.unwrap();
    let cancelled = h.buy(&[(&a1, 1), (&d, 5)]).await.unwrap();
    h.engine.cancel_order(cancelled.id, "changed my mind").await.unwrap();
    // Day 1.
    h.clock.advance(Duration::days(1));
    let day1 = h.now();
    h.buy(&[(&b, 1), (&c, 2)]).await.unwrap();
    h.buy(&[(&a1, 1), (&a2, 1), (&e, 1)]).await.unwrap();
    let g = store.product_by_sku(&a2).await.unwrap().unwrap();
    assert!(store.delete_product(g.id).await.unwrap());
    let mut product_a = store.get_product(pa).await.unwrap().unwrap();
    product_a.variants.extend(g.variants);
    store.put_product(&product_a).await.unwrap();

    let also = store.also_bought(pa, 10).await.unwrap();
    assert_eq!(also, ranked(vec![pc(pb, 2), pc(pc_, 2), pc(pe, 1)]), "also bought A");
    assert_eq!(store.also_bought(pa, 2).await.unwrap(), also[..2].to_vec(), "limit");
    assert_eq!(
        store.also_bought(pb, 10).await.unwrap(),
        ranked(vec![pc(pa, 2), pc(pc_, 2)]),
        "also bought B"
    );
    assert_eq!(store.also_bought(pe, 10).await.unwrap(), vec![pc(pa, 1)], "two variants count once");
    assert_eq!(store.also_bought(pd, 10).await.unwrap(), Vec::new(), "only in a cancelled order");
    assert_eq!(store.also_bought(ProductId::from_uuid(h.uuid()), 10).await.unwrap(), Vec::new());

    let all = store.popular_products(None, 10).await.unwrap();
    assert_eq!(all, ranked(vec![pc(pa, 7), pc(pb, 4), pc(pc_, 4), pc(pe, 1)]), "units, all time");
    assert_eq!(store.popular_products(None, 2).await.unwrap(), all[..2].to_vec(), "limit");
    assert_eq!(
        store.popular_products(Some(day1), 10).await.unwrap(),
        ranked(vec![pc(pa, 2), pc(pc_, 2), pc(pb, 1), pc(pe, 1)]),
        "since day 1, inclusive"
    );
    assert_eq!(store.popular_products(Some(day1 + Duration::seconds(1)), 10).await.unwrap(), Vec::new());

    // A product removed from the catalog drops out.
    assert!(store.delete_product(pe).await.unwrap());
    assert_eq!(store.also_bought(pa, 10).await.unwrap(), ranked(vec![pc(pb, 2), pc(pc_, 2)]));
    assert_eq!(store.popular_products(None, 10).await.unwrap(), all[..3].to_vec());
}
