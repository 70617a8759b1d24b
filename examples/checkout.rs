//! Walks a cart through checkout to a paid order on the embedded default (SQLite, in memory),
//! printing each step.
//!
//! ```text
//! cargo run --example checkout
//! ```
//!
//! The payment goes through the conformance kit's scripted gateway, which plays a provider that
//! asks the buyer to act (like a QR code) and then notifies the shop, twice and out of order.

use std::sync::Arc;

use commerce::catalog::{Product, Variant};
use commerce::customer::{Address, Email};
use commerce::engine::StartPaymentOptions;
use commerce::ports::NotificationRequest;
use commerce::pricing::{
    Benefit, Discount, PricingRules, Promotion, ShippingMethod, Stacking, Target, TaxRule,
};
use commerce::storage::testkit::{Script, ScriptedGateway};
use commerce::{Currency, Money, ProductId, Quantity, Region, ShippingMethodId, Sku, TaxClass};
use rust_decimal_macros::dec;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let gateway = Arc::new(ScriptedGateway::new());
    // The embedded default (SQLite), in memory so the demo leaves no file behind; use
    // "sqlite://shop.db" for a durable one.
    let engine = commerce::Builder::new("sqlite::memory:").gateway(gateway.clone()).build().await?;
    let store = engine.store().clone();

    // Catalog, stock and rules.
    let standard = TaxClass::parse("standard")?;
    let (tee, mug) = (Sku::parse("TEE-BLK-M")?, Sku::parse("MUG-01")?);
    for (sku, name, price, grams) in [(&tee, "T-shirt", dec!(19.99), 200), (&mug, "Mug", dec!(8.50), 400)] {
        store
            .put_product(&Product {
                id: ProductId::from_uuid(uuid::Uuid::now_v7()),
                name: name.into(),
                description: String::new(),
                category: None,
                images: vec![],
                attributes: Default::default(),
                variants: vec![Variant {
                    sku: sku.clone(),
                    name: String::new(),
                    options: Default::default(),
                    prices: vec![Money::new(price, Currency::USD)],
                    weight_grams: grams,
                    tax_class: standard.clone(),
                    active: true,
                }],
                active: true,
            })
            .await?;
        store.set_stock(sku, 20, false, Some(3)).await?;
    }
    let express = ShippingMethodId::parse("express")?;
    store
        .put_pricing_rules(&PricingRules {
            promotions: vec![Promotion {
                id: "tee-10".parse()?,
                label: "10% off T-shirts".into(),
                benefit: Benefit::ItemDiscount {
                    target: Target::Skus(vec![tee.clone()]),
                    discount: Discount::Percent(dec!(10)),
                },
                coupon: None,
                valid_from: None,
                valid_until: None,
                customer_groups: vec![],
                min_subtotal: None,
                max_discount: None,
                stacking: Stacking::Combinable,
                priority: 0,
            }],
            tax_rules: vec![TaxRule::new("kh-vat", "VAT", standard.clone(), Region::parse("KH")?, dec!(10))],
            shipping_methods: vec![ShippingMethod::flat(
                express.clone(),
                "Express",
                Money::new(dec!(4), Currency::USD),
            )],
            ..Default::default()
        })
        .await?;

    // Cart.
    let cart = engine.create_cart(Currency::USD, None).await?;
    engine.add_to_cart(cart.id(), &tee, Quantity::new(2)?).await?;
    engine.add_to_cart(cart.id(), &mug, Quantity::ONE).await?;
    println!("1. cart {} with {} lines", cart.id(), engine.cart(cart.id()).await?.lines().len());

    // Checkout steps.
    let checkout = engine.start_checkout(cart.id()).await?;
    println!("2. checkout {} is {}", checkout.id, checkout.state.as_str());
    let address = Address {
        name: "Sok Dara".into(),
        line1: "12 Street 240".into(),
        line2: None,
        city: "Phnom Penh".into(),
        region: None,
        postal_code: Some("12207".into()),
        country: Region::parse("KH")?,
        phone: None,
    };
    let c =
        engine.set_checkout_addresses(checkout.id, Email::parse("dara@example.com")?, address, None).await?;
    println!("3. addresses set: {}", c.state.as_str());
    let c = engine.select_shipping(checkout.id, express).await?;
    println!("4. shipping chosen: {}", c.state.as_str());
    let c = engine.lock_quote(checkout.id).await?;
    let quote = c.quote.as_ref().expect("a locked quote");
    println!("5. quote locked until {} ({}), stock reserved:", quote.expires_at, c.state.as_str());
    for line in &quote.priced.lines {
        println!("     {} x{} at {} = {}", line.sku, line.quantity.get(), line.unit_price, line.total);
    }
    for e in &quote.priced.explanation {
        println!("     - {}", e.message);
    }
    println!("     total {}", quote.priced.grand_total);
    println!("     available T-shirts now: {}", store.get_stock(&tee).await?.map_or(0, |s| s.available()));

    // Place the order (idempotent by key: the retry returns the same order).
    let order = engine.place_order(checkout.id, "demo-order-1").await?;
    let again = engine.place_order(checkout.id, "demo-order-1").await?;
    assert_eq!(order.id, again.id);
    println!("6. order {} placed: {} for {}", order.number, order.status.as_str(), order.total());

    // Pay: the provider asks the buyer to act, the buyer pays, notifications arrive twice and
    // out of order.
    gateway.set_script(Script::RequireAction);
    let payment = engine.start_payment(order.id, "scripted", StartPaymentOptions::default()).await?;
    println!("7. payment {} is {}", payment.id, payment.status.as_str());
    gateway.take_notifications();
    let reference = payment.reference.clone().unwrap_or_default();
    gateway.buyer_pays(&reference, engine.now());
    let mut notes = gateway.take_notifications();
    notes.extend(notes.clone());
    notes.reverse();
    for n in &notes {
        let (headers, body) = ScriptedGateway::request(n);
        let p = engine.handle_notification("scripted", &NotificationRequest { headers, body: &body }).await?;
        println!("8. notification {} -> payment {}", n.id, p.status.as_str());
    }
    let order = engine.order(order.id).await?;
    println!("9. order {} is {}", order.number, order.status.as_str());
    let events = store.all_events(100).await?;
    println!("10. outbox: {}", events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", "));
    Ok(())
}
