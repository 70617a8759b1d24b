//! Pricing throughput: carts of 1, 10 and 100 lines with three active promotions (a category
//! discount, a coupon order discount with a minimum, capped free shipping), per-line tax in a
//! subdivision that falls back to its country's rules, and weight-tiered taxed shipping.
//!
//! Run with `cargo bench --bench pricing`. `reference/clone_cart_10_lines` is a yardstick for
//! this machine's speed in the same run (see `docs/PERFORMANCE.md`).

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use commerce::catalog::{Category, CategoryTree, Product, Variant};
use commerce::ids::PromotionId;
use commerce::pricing::*;
use commerce::{
    Cart, CartId, CategoryId, CouponCode, Currency, Money, ProductId, Quantity, Region, ShippingMethodId,
    Sku, TaxClass,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rust_decimal_macros::dec;

fn usd(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::USD)
}

fn id<T: std::str::FromStr>(n: u128) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("00000000-0000-0000-0000-{n:012x}").parse().expect("a valid uuid")
}

struct Shop {
    catalog: PricingCatalog,
    book: PriceBook,
    promotions: Vec<Promotion>,
    taxes: Vec<TaxRule>,
    methods: Vec<ShippingMethod>,
}

fn shop(skus: usize) -> Result<Shop, Box<dyn std::error::Error>> {
    let clothing: CategoryId = id(1);
    let tops: CategoryId = id(2);
    let home: CategoryId = id(3);
    let category = |cid: CategoryId, parent: Option<CategoryId>| Category {
        id: cid,
        name: cid.to_string(),
        slug: cid.to_string(),
        parent,
        position: 0,
    };
    let tree =
        CategoryTree::new([category(clothing, None), category(tops, Some(clothing)), category(home, None)])?;
    let standard = TaxClass::parse("standard")?;
    let products: Vec<Product> = (0..skus)
        .map(|i| -> Result<Product, Box<dyn std::error::Error>> {
            Ok(Product {
                id: id::<ProductId>(100 + i as u128),
                name: format!("Product {i}"),
                description: String::new(),
                category: Some(if i % 2 == 0 { tops } else { home }),
                images: vec![],
                attributes: Default::default(),
                variants: vec![Variant {
                    sku: Sku::parse(&format!("SKU-{i:03}"))?,
                    name: String::new(),
                    options: Default::default(),
                    prices: vec![usd(999 + 137 * i as i64)],
                    weight_grams: 150 + 10 * i as u32,
                    tax_class: standard.clone(),
                    active: true,
                }],
                active: true,
            })
        })
        .collect::<Result<_, _>>()?;
    let catalog = PricingCatalog::from_products(&products, &tree);
    let book = PriceBook::from_products(&products);
    let promotions = vec![
        Promotion::new(
            PromotionId::parse("clothing-10")?,
            "10% off clothing",
            Benefit::ItemDiscount {
                target: Target::Categories(vec![clothing]),
                discount: Discount::Percent(dec!(10)),
            },
        ),
        Promotion::new(
            PromotionId::parse("save5")?,
            "5.00 off orders from 50.00",
            Benefit::OrderDiscount { discount: Discount::Amount(usd(500)) },
        )
        .with_coupon(CouponCode::parse("SAVE5")?, Some(10_000), Some(1))
        .with_min_subtotal(usd(5000)),
        Promotion::new(PromotionId::parse("ship")?, "Shipping up to 5.00 off", Benefit::FreeShipping)
            .with_max_discount(usd(500)),
    ];
    let taxes = vec![
        TaxRule::new("us", "US", standard.clone(), Region::parse("US")?, dec!(5)),
        TaxRule::new("us-ca", "California", standard.clone(), Region::parse("US-CA")?, dec!(7.25)),
    ];
    let methods = vec![
        ShippingMethod::by_weight(
            ShippingMethodId::parse("ground")?,
            "Ground",
            vec![
                WeightTier { up_to_grams: 1_000, price: usd(599) },
                WeightTier { up_to_grams: 10_000, price: usd(1299) },
                WeightTier { up_to_grams: 1_000_000, price: usd(4999) },
            ],
        )
        .in_regions([Region::parse("US")?])
        .taxed_as(standard),
    ];
    Ok(Shop { catalog, book, promotions, taxes, methods })
}

fn cart(lines: usize) -> Result<Cart, Box<dyn std::error::Error>> {
    let mut cart = Cart::new(id::<CartId>(9), Currency::USD);
    for i in 0..lines {
        cart.add(Sku::parse(&format!("SKU-{i:03}"))?, Quantity::new(1 + (i % 3) as u32)?)?;
    }
    cart.apply_coupon(CouponCode::parse("SAVE5")?);
    Ok(cart)
}

fn bench(c: &mut Criterion) {
    let shop = shop(100).expect("the benchmark shop is valid");
    let input = PricingInput::new(&shop.catalog, &shop.book)
        .and_then(|i| i.with_promotions(&shop.promotions))
        .and_then(|i| i.with_tax_rules(&shop.taxes))
        .and_then(|i| i.with_shipping_methods(&shop.methods))
        .expect("the benchmark rules are valid");
    let ctx = PricingContext::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("a valid date"))
        .with_region(Region::parse("US-CA").expect("a region"))
        .with_shipping_method(ShippingMethodId::parse("ground").expect("a method id"));
    let mut group = c.benchmark_group("price_cart");
    for lines in [1usize, 10, 100] {
        let cart = cart(lines).expect("the benchmark cart is valid");
        let priced = price_cart(&cart, &input, &ctx).expect("the benchmark cart prices");
        // Every run really applies the three promotions (the 1-line cart is below the coupon's
        // minimum, so it applies two), tax and shipping.
        assert!(
            priced.applied_promotions.len() >= 2 && !priced.tax_total.is_zero() && priced.shipping.is_some()
        );
        group.bench_with_input(BenchmarkId::from_parameter(format!("{lines}_lines")), &cart, |b, cart| {
            b.iter(|| price_cart(black_box(cart), &input, &ctx))
        });
    }
    group.finish();

    // A yardstick measured in the same run: cloning and dropping the 10-line cart (an
    // allocation, ten reference-count increments and decrements, some copying), the same kind of
    // work pricing spends much of its time on. This VM's speed changes from hour to hour by more
    // than the pricing target's margin; the ratio `price_cart/10_lines / reference` does not.
    let ten = cart(10).expect("the benchmark cart is valid");
    c.bench_function("reference/clone_cart_10_lines", |b| b.iter(|| black_box(&ten).clone()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
