//! Prices a small cart with a coupon, promotions, tax and shipping, and prints the result with
//! its explanation.
//!
//! Run with `cargo run --example pricing`.

use chrono::{TimeZone, Utc};
use commerce::catalog::{Category, CategoryTree, Product, Variant};
use commerce::ids::PromotionId;
use commerce::pricing::{
    Benefit, CouponUsage, Discount, PriceBook, PriceList, PricedCart, PricingCatalog, PricingContext,
    PricingInput, Promotion, ShippingMethod, Target, TaxRule, WeightTier, price_cart,
};
use commerce::{
    Cart, CartId, CategoryId, CouponCode, Currency, CustomerGroupId, Money, ProductId, Quantity, Region,
    ShippingMethodId, Sku, TaxClass,
};
use rust_decimal_macros::dec;

type Error = Box<dyn std::error::Error>;

fn usd(amount: &str) -> Result<Money, Error> {
    Ok(Money::parse(amount, Currency::USD)?)
}

fn product(
    id: u128,
    name: &str,
    category: CategoryId,
    sku: &str,
    price: &str,
    grams: u32,
) -> Result<Product, Error> {
    Ok(Product {
        id: format!("00000000-0000-0000-0000-{id:012}").parse::<ProductId>()?,
        name: name.into(),
        description: String::new(),
        category: Some(category),
        images: vec![],
        attributes: Default::default(),
        variants: vec![Variant {
            sku: Sku::parse(sku)?,
            name: String::new(),
            options: Default::default(),
            prices: vec![usd(price)?],
            weight_grams: grams,
            tax_class: TaxClass::parse("standard")?,
            active: true,
        }],
        active: true,
    })
}

fn main() -> Result<(), Error> {
    // Catalog: Clothing > T-shirts, and Kitchen.
    let id = |n: u128| format!("00000000-0000-0000-0000-{n:012}").parse::<CategoryId>();
    let (clothing, tees, kitchen) = (id(1)?, id(2)?, id(3)?);
    let category = |id: CategoryId, name: &str, parent: Option<CategoryId>| Category {
        id,
        name: name.into(),
        slug: name.to_lowercase(),
        parent,
        position: 0,
    };
    let tree = CategoryTree::new([
        category(clothing, "Clothing", None),
        category(tees, "T-shirts", Some(clothing)),
        category(kitchen, "Kitchen", None),
    ])?;
    let products = [
        product(1, "Logo tee", tees, "TEE-LOGO", "19.99", 200)?,
        product(2, "Cap", clothing, "CAP", "9.99", 100)?,
        product(3, "Mug", kitchen, "MUG", "12.50", 400)?,
    ];
    let catalog = PricingCatalog::from_products(&products, &tree);

    // Prices: the variants' list prices, and a members' price list.
    let members = CustomerGroupId::parse("members")?;
    let book = PriceBook::from_products(&products).with_list(
        PriceList::new("members")
            .with_priority(10)
            .for_group(members.clone())
            .with_price(Sku::parse("MUG")?, usd("11.00")?),
    );

    let promotions = [
        Promotion::new(
            PromotionId::parse("clothing-15")?,
            "15% off clothing",
            Benefit::ItemDiscount {
                target: Target::Categories(vec![clothing]),
                discount: Discount::Percent(dec!(15)),
            },
        ),
        Promotion::new(
            PromotionId::parse("save5")?,
            "5.00 off orders from 40.00",
            Benefit::OrderDiscount { discount: Discount::Amount(usd("5.00")?) },
        )
        .with_coupon(CouponCode::parse("SAVE5")?, Some(1000), Some(1))
        .with_min_subtotal(usd("40.00")?),
        Promotion::new(PromotionId::parse("winter")?, "Winter sale", Benefit::FreeShipping)
            .with_coupon(CouponCode::parse("WINTER")?, None, None)
            .valid(None, Some(Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).single().ok_or("date")?)),
    ];
    let standard = TaxClass::parse("standard")?;
    let taxes = [
        TaxRule::new("us", "US sales tax", standard.clone(), Region::parse("US")?, dec!(5)),
        TaxRule::new("us-ca", "California sales tax", standard.clone(), Region::parse("US-CA")?, dec!(7.25)),
    ];
    let shipping = [ShippingMethod::by_weight(
        ShippingMethodId::parse("ground")?,
        "Ground",
        vec![
            WeightTier { up_to_grams: 1_000, price: usd("5.99")? },
            WeightTier { up_to_grams: 10_000, price: usd("12.99")? },
        ],
    )
    .in_regions([Region::parse("US")?])
    .free_above(usd("100.00")?)
    .taxed_as(standard)];

    let input = PricingInput::new(&catalog, &book)?
        .with_promotions(&promotions)?
        .with_tax_rules(&taxes)?
        .with_shipping_methods(&shipping)?;

    let mut cart = Cart::new("00000000-0000-0000-0000-000000000042".parse::<CartId>()?, Currency::USD);
    cart.add(Sku::parse("TEE-LOGO")?, Quantity::new(2)?)?;
    cart.add(Sku::parse("CAP")?, Quantity::new(1)?)?;
    cart.add(Sku::parse("MUG")?, Quantity::new(1)?)?;
    cart.apply_coupon(CouponCode::parse("save5")?);
    cart.apply_coupon(CouponCode::parse("WINTER")?);
    cart.apply_coupon(CouponCode::parse("BOGUS")?);

    let ctx = PricingContext::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().ok_or("date")?)
        .with_customer_group(members)
        .with_region(Region::parse("US-CA")?)
        .with_shipping_method(ShippingMethodId::parse("ground")?)
        .with_coupon_usage(CouponCode::parse("SAVE5")?, CouponUsage { total: 12, by_this_customer: 0 });

    let priced = price_cart(&cart, &input, &ctx)?;
    print(&priced);
    Ok(())
}

fn print(p: &PricedCart) {
    println!(
        "{:<10} {:>4} {:>12} {:>12} {:>12} {:>10} {:>12}",
        "SKU", "qty", "unit", "subtotal", "discount", "tax", "total"
    );
    for l in &p.lines {
        println!(
            "{:<10} {:>4} {:>12} {:>12} {:>12} {:>10} {:>12}",
            l.sku.as_str(),
            l.quantity.get(),
            l.unit_price.to_string(),
            l.subtotal.to_string(),
            l.discount_total.to_string(),
            l.tax.to_string(),
            l.total.to_string()
        );
        if let Some(list) = &l.price_source.price_list {
            println!("{:<16}price list {list}", "");
        }
        for a in &l.adjustments {
            println!("{:<16}- {} ({}): {}", "", a.label, a.promotion, a.amount);
        }
        if !l.order_discount.is_zero() {
            println!("{:<16}- share of order discounts: {}", "", l.order_discount);
        }
    }
    for a in &p.order_adjustments {
        println!("order: {} ({}): -{}", a.label, a.promotion, a.amount);
    }
    if let Some(s) = &p.shipping {
        println!("shipping {}: {} - {} discount + {} tax = {}", s.name, s.amount, s.discount, s.tax, s.total);
    }
    for t in &p.taxes {
        println!("tax {} ({}%): {} on {}", t.name, t.rate, t.amount, t.taxable_base);
    }
    println!();
    println!("subtotal        {:>14}", p.subtotal.to_string());
    println!("discounts      -{:>14}", p.discount_total.to_string());
    println!("shipping       +{:>14}", p.shipping_total.to_string());
    println!("tax            +{:>14}", p.tax_total.to_string());
    println!("grand total     {:>14}", p.grand_total.to_string());
    let coupons: Vec<&str> = p.applied_coupons.iter().map(|c| c.as_str()).collect();
    println!("coupons to redeem: {coupons:?}");
    println!();
    println!("Explanation:");
    for e in &p.explanation {
        println!("  [{:?}] {}", e.code, e.message);
    }
}
