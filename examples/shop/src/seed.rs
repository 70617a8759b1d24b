//! The demo catalog, rules and admin, written on first start.
//!
//! Ids are UUIDv5 of fixed names, so the seed is the same on every machine; it only runs when
//! the store has no products (and the rules only when there are none), so a shop's own changes
//! are never overwritten.

use commerce::account::{Role, Username};
use commerce::catalog::{Category, Image, Product, Variant};
use commerce::customer::Email;
use commerce::engine::NewAccount;
use commerce::ids::CouponCode;
use commerce::ports::storage::ProductQuery;
use commerce::pricing::{
    Benefit, CouponRule, Discount, PricingRules, Promotion, ShippingMethod, Stacking, Target, TaxRule,
    WeightTier,
};
use commerce::{CategoryId, Currency, Engine, Money, ProductId, Region, ShippingMethodId, Sku, TaxClass};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth;

const NAMESPACE: Uuid = Uuid::from_u128(0x6d2c_8a0e_2f64_4e47_9d3e_5b1c_0a7f_c0de);

fn uuid(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

fn usd(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), Currency::USD)
}

/// A demo category: (slug, name, product nouns, base price in cents, grams, sized?).
type DemoCategory = (&'static str, &'static str, &'static [&'static str], i64, u32, bool);

const CATEGORIES: &[DemoCategory] = &[
    (
        "apparel",
        "Apparel",
        &["T-shirt", "Hoodie", "Cap", "Scarf", "Polo", "Jacket", "Socks", "Beanie", "Shorts", "Krama"],
        1500,
        300,
        true,
    ),
    (
        "home",
        "Home",
        &["Mug", "Candle", "Cushion", "Vase", "Lamp", "Blanket", "Bowl", "Tray", "Clock", "Planter"],
        1200,
        600,
        false,
    ),
    (
        "coffee-tea",
        "Coffee & Tea",
        &[
            "Mondulkiri coffee",
            "Jasmine tea",
            "Espresso beans",
            "Green tea",
            "Cold brew pack",
            "Kampot pepper tea",
            "Drip bags",
            "Oolong",
            "Chai mix",
            "Lemongrass tea",
        ],
        800,
        250,
        false,
    ),
    (
        "electronics",
        "Electronics",
        &[
            "Charger",
            "Cable",
            "Earbuds",
            "Power bank",
            "Speaker",
            "Phone stand",
            "Mouse",
            "Keyboard",
            "Webcam",
            "Hub",
        ],
        2500,
        200,
        false,
    ),
    (
        "books",
        "Books",
        &[
            "Cookbook",
            "Travel guide",
            "Notebook",
            "Novel",
            "Phrasebook",
            "Sketchbook",
            "Atlas",
            "Journal",
            "Poetry",
            "Field guide",
        ],
        1100,
        400,
        false,
    ),
];

const ADJECTIVES: &[&str] =
    &["Classic", "Angkor", "Mekong", "Urban", "Lotus", "Sunset", "Silk", "Temple", "River", "Palm"];

/// The standard tax class every demo variant uses.
pub fn standard() -> TaxClass {
    TaxClass::parse("standard").expect("a valid tax class")
}

/// The demo products (50), in a fixed order.
pub fn demo_products() -> Vec<Product> {
    let mut out = Vec::new();
    for (ci, (slug, cat_name, nouns, base, grams, sized)) in CATEGORIES.iter().enumerate() {
        for (i, noun) in nouns.iter().enumerate() {
            let adjective = ADJECTIVES[(i + ci * 3) % ADJECTIVES.len()];
            let name = format!("{adjective} {noun}");
            let code =
                format!("{}-{:02}", slug.split('-').next().unwrap_or(slug).to_ascii_uppercase(), i + 1);
            let price = base + (i as i64 % 5) * 250 + 99 - 100; // x.99 style prices
            let sizes: &[&str] = if *sized { &["S", "M", "L"] } else { &[""] };
            let variants = sizes
                .iter()
                .map(|size| Variant {
                    sku: Sku::parse(&if size.is_empty() { code.clone() } else { format!("{code}-{size}") })
                        .expect("a valid SKU"),
                    name: if size.is_empty() { String::new() } else { format!("Size {size}") },
                    options: if size.is_empty() {
                        Default::default()
                    } else {
                        [("size".to_owned(), (*size).to_owned())].into()
                    },
                    prices: vec![usd(price)],
                    weight_grams: *grams,
                    tax_class: standard(),
                    active: true,
                })
                .collect();
            out.push(Product {
                id: ProductId::from_uuid(uuid(&format!("product/{code}"))),
                description: format!(
                    "The {name}: a {} favourite from our {} range, made in Cambodia.",
                    noun.to_lowercase(),
                    cat_name.to_lowercase()
                ),
                name,
                category: Some(CategoryId::from_uuid(uuid(&format!("category/{slug}")))),
                images: vec![Image {
                    url: format!("https://images.example.com/{}.jpg", code.to_lowercase()),
                    alt: format!("{adjective} {noun}"),
                    position: 0,
                }],
                attributes: [("origin".to_owned(), serde_json::json!("KH"))].into(),
                variants,
                active: true,
            });
        }
    }
    out
}

/// The demo categories.
pub fn demo_categories() -> Vec<Category> {
    CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, (slug, name, ..))| Category {
            id: CategoryId::from_uuid(uuid(&format!("category/{slug}"))),
            name: (*name).to_owned(),
            slug: (*slug).to_owned(),
            parent: None,
            position: i as u32,
        })
        .collect()
}

/// The demo rules: 10% off Coffee & Tea, coupon WELCOME10 (10% off orders from 20.00, once per
/// customer), VAT 10% in Cambodia, and three shipping methods.
pub fn demo_rules() -> PricingRules {
    let coffee = CategoryId::from_uuid(uuid("category/coffee-tea"));
    let kh = Region::parse("KH").expect("a region");
    PricingRules {
        promotions: vec![
            Promotion {
                id: "coffee-10".parse().expect("an id"),
                label: "10% off Coffee & Tea".into(),
                benefit: Benefit::ItemDiscount {
                    target: Target::Categories(vec![coffee]),
                    discount: Discount::Percent(Decimal::new(10, 0)),
                },
                coupon: None,
                valid_from: None,
                valid_until: None,
                customer_groups: vec![],
                min_subtotal: None,
                max_discount: None,
                stacking: Stacking::Combinable,
                priority: 10,
            },
            Promotion {
                id: "welcome-10".parse().expect("an id"),
                label: "Welcome: 10% off your order".into(),
                benefit: Benefit::OrderDiscount { discount: Discount::Percent(Decimal::new(10, 0)) },
                coupon: Some(CouponRule {
                    code: CouponCode::parse("WELCOME10").expect("a code"),
                    max_uses: None,
                    max_uses_per_customer: Some(1),
                }),
                valid_from: None,
                valid_until: None,
                customer_groups: vec![],
                min_subtotal: Some(usd(2000)),
                max_discount: Some(usd(5000)),
                stacking: Stacking::Combinable,
                priority: 0,
            },
        ],
        tax_rules: vec![TaxRule::new("kh-vat", "VAT 10%", standard(), kh.clone(), Decimal::new(10, 0))],
        shipping_methods: vec![
            ShippingMethod {
                free_above: Some(usd(5000)),
                regions: vec![kh.clone()],
                ..ShippingMethod::flat(
                    ShippingMethodId::parse("standard").expect("an id"),
                    "Standard (free from 50.00)",
                    usd(250),
                )
            },
            ShippingMethod {
                regions: vec![kh],
                ..ShippingMethod::by_weight(
                    ShippingMethodId::parse("express").expect("an id"),
                    "Express",
                    vec![
                        WeightTier { up_to_grams: 1000, price: usd(500) },
                        WeightTier { up_to_grams: 5000, price: usd(900) },
                        WeightTier { up_to_grams: u64::MAX, price: usd(1500) },
                    ],
                )
            },
            ShippingMethod::flat(
                ShippingMethodId::parse("international").expect("an id"),
                "International",
                usd(1500),
            ),
        ],
        ..Default::default()
    }
}

/// Seeds what is missing: the demo catalog (into an empty catalog), the rules (when none are
/// stored) and the admin account. Returns whether the catalog was seeded.
pub async fn seed(engine: &Engine, config: &crate::config::Config) -> anyhow::Result<bool> {
    let store = engine.store();
    let empty = store
        .list_products(&ProductQuery { limit: 1, include_inactive: true, ..Default::default() })
        .await?
        .total
        == 0;
    if config.seed && empty {
        for c in demo_categories() {
            store.put_category(&c).await?;
        }
        for (i, p) in demo_products().iter().enumerate() {
            store.put_product(p).await?;
            for v in &p.variants {
                // A few SKUs start low, so the stock-low job has something to say.
                let on_hand = if i % 17 == 3 { 6 } else { 25 + (i as i64 % 4) * 10 };
                store.set_stock(&v.sku, on_hand, false, Some(config.low_stock_threshold)).await?;
            }
        }
    }
    if config.seed && store.pricing_rules().await? == PricingRules::default() {
        store.put_pricing_rules(&demo_rules()).await?;
    }
    if engine.account_by_login(&config.admin_email).await?.is_none() {
        let hash = auth::hash_password(config.admin_password.clone())
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let username = Username::parse("admin")?;
        let username = if engine.account_by_login(username.as_str()).await?.is_some() {
            Username::parse(&format!("admin-{}", &Uuid::now_v7().simple().to_string()[..8]))?
        } else {
            username
        };
        engine
            .register(NewAccount {
                username,
                email: Email::parse(&config.admin_email)?,
                password_hash: hash,
                role: Role::Admin,
                first_name: Some("Shop".into()),
                last_name: Some("Admin".into()),
            })
            .await?;
    }
    Ok(config.seed && empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_products_with_unique_skus_in_five_categories() {
        let products = demo_products();
        assert_eq!(products.len(), 50);
        let mut skus: Vec<_> =
            products.iter().flat_map(|p| p.variants.iter().map(|v| v.sku.clone())).collect();
        let n = skus.len();
        skus.sort();
        skus.dedup();
        assert_eq!(skus.len(), n, "SKUs are unique");
        assert_eq!(n, 10 * 3 + 40, "apparel comes in three sizes");
        let cats: std::collections::BTreeSet<_> = products.iter().filter_map(|p| p.category).collect();
        assert_eq!(cats.len(), 5);
        assert_eq!(demo_rules().promotions.len(), 2);
    }
}
