//! State-machine transitions, and place-order on the in-memory backend with 1 and 16 tasks.
//!
//! ```text
//! cargo bench --bench engine
//! ```
//! Throughput is reported as elements (orders) per second. Checkouts are prepared (priced and
//! reserved) outside the timed region: the timed part is `Commerce::place_order`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use commerce::checkout::{Checkout, CheckoutAction};
use commerce::customer::{Address, Email};
use commerce::ids::CheckoutId;
use commerce::payment::{GatewayStatus, Payment};
use commerce::storage::testkit::Harness;
use commerce::{CartId, Currency, Money, OrderId, PaymentId, Region, ShippingMethodId, Sku};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal_macros::dec;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

fn transitions(c: &mut Criterion) {
    let mut g = c.benchmark_group("transitions");
    let usd = |a| Money::new(a, Currency::USD);
    g.bench_function("payment authorize+capture+replay", |b| {
        b.iter(|| {
            let mut p = Payment::new(
                PaymentId::from_uuid(uuid::Uuid::nil()),
                OrderId::from_uuid(uuid::Uuid::nil()),
                "x",
                usd(dec!(10)),
                now(),
            );
            let _ = p.observe(&GatewayStatus::Authorized { amount: usd(dec!(10)) }, Some("r"), now());
            let _ = p.observe(&GatewayStatus::Captured { amount: usd(dec!(10)) }, Some("r"), now());
            let _ = p.observe(&GatewayStatus::Captured { amount: usd(dec!(10)) }, Some("r"), now());
            black_box(p)
        })
    });
    let address = Address {
        name: "A".into(),
        line1: "1".into(),
        line2: None,
        city: "C".into(),
        region: None,
        postal_code: None,
        country: Region::parse("KH").unwrap_or_else(|_| unreachable!()),
        phone: None,
    };
    let email = Email::parse("a@b.co").unwrap_or_else(|_| unreachable!());
    let method = ShippingMethodId::parse("standard").unwrap_or_else(|_| unreachable!());
    g.bench_function("checkout address+shipping+cancel", |b| {
        b.iter(|| {
            let mut c = Checkout::new(
                CheckoutId::from_uuid(uuid::Uuid::nil()),
                CartId::from_uuid(uuid::Uuid::nil()),
                None,
                Currency::USD,
                now(),
            );
            let _ = c.apply(
                CheckoutAction::SetAddresses {
                    email: email.clone(),
                    shipping: address.clone(),
                    billing: None,
                },
                now(),
            );
            let _ = c.apply(CheckoutAction::SelectShipping(method.clone()), now());
            let _ = c.apply(CheckoutAction::Cancel, now());
            black_box(c)
        })
    });
    g.finish();
}

/// Prepares `n` checkouts of one unit of a 10-line cart on a fresh in-memory store.
async fn prepared(n: u64) -> (Arc<Harness>, Vec<CheckoutId>) {
    let h = Arc::new(Harness::new(Arc::new(commerce::MemoryStore::new())));
    let mut skus: Vec<Sku> = Vec::new();
    for i in 0..10 {
        skus.push(h.seed(&format!("B-{i}"), dec!(10), 1_000_000_000).await);
    }
    let lines: Vec<(&Sku, u32)> = skus.iter().map(|s| (s, 1)).collect();
    let mut ids = Vec::with_capacity(n as usize);
    for _ in 0..n {
        ids.push(h.checkout(&lines, None, None).await.unwrap_or_else(|e| panic!("checkout: {e}")));
    }
    (h, ids)
}

fn place_order(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("place_order/memory");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    for tasks in [1usize, 16] {
        g.bench_with_input(BenchmarkId::new("tasks", tasks), &tasks, |b, &tasks| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let (h, ids) = prepared(iters).await;
                let chunks: Vec<Vec<CheckoutId>> =
                    ids.chunks(ids.len().div_ceil(tasks).max(1)).map(|c| c.to_vec()).collect();
                let start = Instant::now();
                let handles: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        let h = h.clone();
                        tokio::spawn(async move {
                            for id in chunk {
                                h.engine
                                    .place_order(id, &format!("k-{id}"))
                                    .await
                                    .unwrap_or_else(|e| panic!("{e}"));
                            }
                        })
                    })
                    .collect();
                for t in handles {
                    t.await.unwrap_or_else(|e| panic!("{e}"));
                }
                start.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, transitions, place_order);
criterion_main!(benches);
