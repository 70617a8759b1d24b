//! Invalid input is a typed error; invalid rules are refused when the input is built.
#![allow(clippy::unwrap_used)]

mod pricing_support;

use commerce_core::pricing::*;
use commerce_core::{Cart, CartId, Currency, Money, Quantity};
use pricing_support::*;
use uuid::Uuid;

#[test]
fn invalid_carts_are_errors() {
    let cases: Vec<(&str, Scenario, PricingError)> = vec![
        ("unknown SKU", cart(&[("TEE", 1), ("GHOST", 1)]), PricingError::UnknownSku { sku: sku("GHOST") }),
        (
            "no price at all",
            cart(&[("NOPRICE", 1)]),
            PricingError::NoPrice { sku: sku("NOPRICE"), currency: Currency::USD },
        ),
        (
            "no price in the cart's currency",
            cart(&[("TEE", 1), ("MUG", 1)]).in_currency(Currency::KHR),
            PricingError::NoPrice { sku: sku("MUG"), currency: Currency::KHR },
        ),
        (
            // Every line is looked up and priced before the subtotal is summed.
            "an unknown SKU after lines whose subtotal overflows",
            cart(&[("TEE", 1), ("MUG", 1), ("GHOST", 1)]).list(
                PriceList::new("huge")
                    .with_price(sku("TEE"), Money::from_minor_units(i64::MAX / 2 + 1, Currency::USD))
                    .with_price(sku("MUG"), Money::from_minor_units(i64::MAX / 2 + 1, Currency::USD)),
            ),
            PricingError::UnknownSku { sku: sku("GHOST") },
        ),
        (
            "unknown shipping method",
            cart(&[("TEE", 1)]).ship("teleport"),
            PricingError::UnknownShippingMethod(method("teleport")),
        ),
        (
            "shipping method in another currency",
            cart(&[("TEE", 1)]).in_currency(Currency::KHR).ship("standard"),
            PricingError::CurrencyMismatch {
                what: "shipping method standard".into(),
                expected: Currency::KHR,
                found: Currency::USD,
            },
        ),
    ];
    for (name, scenario, want) in cases {
        assert_eq!(scenario.price().unwrap_err(), want, "{name}");
    }
}

#[test]
fn customer_caused_problems_are_not_errors() {
    // bad coupon, expired promotion, unavailable shipping: all priced, all explained
    let p = cart(&[("BULK", 6)])
        .coupon("NOPE")
        .promo(order_pct("old", "10").valid(None, Some(at(2020, 1, 1))))
        .ship("weight")
        .price()
        .unwrap();
    assert!(p.shipping.is_none() && p.shipping_unavailable());
    let codes: Vec<_> = p.explanation.iter().map(|e| e.code).collect();
    use ExplanationCode as C;
    assert_eq!(codes, [C::CouponUnknown, C::Expired, C::ShippingUnavailable, C::NoTaxRegion]);
}

fn refused(what: &str, f: impl FnOnce() -> Result<(), PricingError>) -> String {
    match f() {
        Err(PricingError::InvalidRule { what: w, reason }) => format!("{w}: {reason}"),
        other => panic!("{what}: expected InvalidRule, got {other:?}"),
    }
}

type Build = Box<dyn FnOnce() -> Result<(), PricingError>>;

fn with_book(book: PriceBook) -> Build {
    Box::new(move || PricingInput::new(&catalog(), &book).map(|_| ()))
}
fn with_promos(promos: Vec<Promotion>) -> Build {
    Box::new(move || PricingInput::new(&catalog(), &PriceBook::new())?.with_promotions(&promos).map(|_| ()))
}
fn with_taxes(rules: Vec<TaxRule>) -> Build {
    Box::new(move || PricingInput::new(&catalog(), &PriceBook::new())?.with_tax_rules(&rules).map(|_| ()))
}
fn with_methods(methods: Vec<ShippingMethod>) -> Build {
    Box::new(move || {
        PricingInput::new(&catalog(), &PriceBook::new())?.with_shipping_methods(&methods).map(|_| ())
    })
}

#[test]
fn invalid_rules_are_refused() {
    let khr = |s: &str| Money::parse(s, Currency::KHR).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "negative price",
            refused("neg", with_book(PriceBook::new().with_price(sku("TEE"), usd("-1.00")))),
            "negative price",
        ),
        (
            "price finer than cents",
            refused(
                "fine",
                with_book(PriceBook::new().with_price(sku("TEE"), Money::new(dec("19.999"), Currency::USD))),
            ),
            "finer than the currency",
        ),
        (
            "two base prices",
            refused(
                "dup",
                with_book(
                    PriceBook::new().with_price(sku("TEE"), usd("1.00")).with_price(sku("TEE"), usd("2.00")),
                ),
            ),
            "two base prices for TEE in USD",
        ),
        (
            "tier in another currency",
            refused(
                "tier",
                with_book(
                    PriceBook::new()
                        .with_entry(PriceEntry::new(sku("TEE"), usd("1.00")).with_tier(5, khr("100"))),
                ),
            ),
            "is in KHR",
        ),
        (
            "tier from 1",
            refused(
                "tier1",
                with_book(
                    PriceBook::new()
                        .with_entry(PriceEntry::new(sku("TEE"), usd("1.00")).with_tier(1, usd("0.50"))),
                ),
            ),
            "below 2 units",
        ),
        (
            "list window inverted",
            refused(
                "window",
                with_book(
                    PriceBook::new()
                        .with_list(PriceList::new("x").valid(Some(at(2026, 2, 1)), Some(at(2026, 1, 1)))),
                ),
            ),
            "price list x: valid_from is not before valid_until",
        ),
        (
            "duplicate list id",
            refused(
                "lists",
                with_book(PriceBook::new().with_list(PriceList::new("x")).with_list(PriceList::new("x"))),
            ),
            "two price lists",
        ),
        (
            "percent above 100",
            refused("120", with_promos(vec![order_pct("p", "120")])),
            "promotion p: the percentage",
        ),
        (
            "negative percent",
            refused("-5", with_promos(vec![item_pct("p", Target::All, "-5")])),
            "the percentage",
        ),
        (
            "empty target",
            refused("target", with_promos(vec![item_pct("p", Target::Skus(vec![]), "5")])),
            "names no SKU",
        ),
        ("buy 0", refused("buy0", with_promos(vec![bxgy("p", Target::All, 0, 1, "100")])), "at least 1"),
        (
            "mixed currencies",
            refused("mixed", with_promos(vec![order_off("p", "5.00").with_min_subtotal(khr("100"))])),
            "different currencies",
        ),
        (
            "cap finer than cents",
            refused(
                "cap",
                with_promos(vec![free_ship("p").with_max_discount(Money::new(dec("0.001"), Currency::USD))]),
            ),
            "finer",
        ),
        (
            "duplicate promotion id",
            refused("ids", with_promos(vec![free_ship("p"), free_ship("p")])),
            "two promotions",
        ),
        (
            "coupon on two promotions",
            refused(
                "codes",
                with_promos(vec![
                    free_ship("a").with_coupon(code("X"), None, None),
                    free_ship("b").with_coupon(code("X"), None, None),
                ]),
            ),
            "coupon X belongs to two promotions",
        ),
        (
            "promotion window inverted",
            refused(
                "pw",
                with_promos(vec![free_ship("p").valid(Some(at(2026, 2, 1)), Some(at(2026, 2, 1)))]),
            ),
            "valid_from",
        ),
        (
            "two rules for one class and region",
            refused(
                "tax",
                with_taxes(vec![
                    TaxRule::new("a", "A", class("standard"), region("US"), dec("5")),
                    TaxRule::new("b", "B", class("standard"), region("US"), dec("6")),
                ]),
            ),
            "two rules for class standard in US",
        ),
        (
            "negative rate",
            refused(
                "rate",
                with_taxes(vec![TaxRule::new("a", "A", class("standard"), region("US"), dec("-1"))]),
            ),
            "negative rate",
        ),
        (
            "weight tiers out of order",
            refused(
                "tiers",
                with_methods(vec![ShippingMethod::by_weight(
                    method("w"),
                    "W",
                    vec![
                        WeightTier { up_to_grams: 5000, price: usd("9.00") },
                        WeightTier { up_to_grams: 1000, price: usd("4.00") },
                    ],
                )]),
            ),
            "strictly increasing",
        ),
        (
            "no weight tiers",
            refused("none", with_methods(vec![ShippingMethod::by_weight(method("w"), "W", vec![])])),
            "no weight tiers",
        ),
        (
            "threshold in another currency",
            refused(
                "thr",
                with_methods(vec![
                    ShippingMethod::flat(method("f"), "F", usd("5.00")).free_above(khr("100")),
                ]),
            ),
            "different currencies",
        ),
    ];
    for (name, message, fragment) in cases {
        assert!(message.contains(fragment), "{name}: {message:?} does not contain {fragment:?}");
    }
}

#[test]
fn rules_round_trip_through_json_and_build_an_input() {
    let rules = PricingRules {
        price_book: price_book()
            .with_list(PriceList::new("vip").for_group(group("vip")).with_price(sku("TEE"), usd("17.99"))),
        promotions: vec![
            order_pct("save10", "10")
                .with_coupon(code("SAVE10"), Some(100), Some(1))
                .with_min_subtotal(usd("50.00")),
            bxgy("b2g1", clothing(), 2, 1, "100").exclusive().with_priority(3),
            free_ship("fs").valid(Some(at(2026, 1, 1)), None),
        ],
        tax_rules: tax_rules(),
        shipping_methods: shipping_methods(),
        options: PricingOptions::default().with_tax_rounding(TaxRounding::PerOrder),
    };
    let json = serde_json::to_string(&rules).unwrap();
    assert!(!json.contains("e-"), "no floats or exponents: {json}");
    let back: PricingRules = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rules);
    let catalog = catalog();
    let input = back.input(&catalog).unwrap();
    let mut c = Cart::new(CartId::from_uuid(Uuid::from_u128(1)), Currency::USD);
    c.add(sku("TEE"), Quantity::new(3).unwrap()).unwrap();
    // coupons entered on the cart itself count too
    c.apply_coupon(code("save10"));
    let priced = price_cart(&c, &input, &PricingContext::new(now())).unwrap();
    // the exclusive buy-2-get-1 wins alone: one TEE free
    assert_eq!(priced.discount_total, usd("19.99"));
    assert_eq!(priced.applied_promotions, vec![pid("b2g1")]);
    assert!(priced.applied_coupons.is_empty());
    // a priced cart is a storable snapshot
    let snapshot = serde_json::to_string(&priced).unwrap();
    assert_eq!(serde_json::from_str::<PricedCart>(&snapshot).unwrap(), priced);
}

#[test]
fn price_source_names_the_list_and_tier() {
    let p = cart(&[("TEE", 10), ("BULK", 12)])
        .list(
            PriceList::new("bulk")
                .with_entry(PriceEntry::new(sku("TEE"), usd("18.00")).with_tier(10, usd("16.00"))),
        )
        .price()
        .unwrap();
    let tee = p.lines.iter().find(|l| l.sku == sku("TEE")).unwrap();
    assert_eq!(
        tee.price_source,
        PriceSource { price_list: Some("bulk".into()), tier_min_quantity: Some(10) }
    );
    let bulk = p.lines.iter().find(|l| l.sku == sku("BULK")).unwrap();
    assert_eq!(bulk.price_source, PriceSource { price_list: None, tier_min_quantity: Some(10) });
    // lines come back in cart order
    assert_eq!(p.lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>(), ["TEE", "BULK"]);
}

#[test]
fn catalog_from_products_includes_ancestor_categories() {
    use commerce_core::ProductId;
    use commerce_core::catalog::{Category, CategoryTree, Product, Variant};
    let category = |n: u128, parent: Option<u128>| Category {
        id: cat(n),
        name: format!("c{n}"),
        slug: format!("c{n}"),
        parent: parent.map(cat),
        position: 0,
    };
    let tree = CategoryTree::new([category(CLOTHING, None), category(TEES, Some(CLOTHING))]).unwrap();
    let product = Product {
        id: ProductId::from_uuid(Uuid::from_u128(9)),
        name: "Tee".into(),
        description: String::new(),
        category: Some(cat(TEES)),
        images: vec![],
        attributes: Default::default(),
        variants: vec![Variant {
            sku: sku("TEE-M"),
            name: "M".into(),
            options: Default::default(),
            prices: vec![usd("19.99"), Money::parse("80000", Currency::KHR).unwrap()],
            weight_grams: 210,
            tax_class: class("standard"),
            active: true,
        }],
        active: true,
    };
    let catalog = PricingCatalog::from_products([&product], &tree);
    let info = catalog.get(&sku("TEE-M")).unwrap();
    assert_eq!(info.categories, vec![cat(TEES), cat(CLOTHING)]);
    assert_eq!(info.weight_grams, 210);
    let book = PriceBook::from_products([&product]);
    assert_eq!(book.prices.len(), 2);
    let input = PricingInput::new(&catalog, &book).unwrap();
    let mut c = Cart::new(CartId::from_uuid(Uuid::from_u128(1)), Currency::KHR);
    c.add(sku("TEE-M"), Quantity::new(2).unwrap()).unwrap();
    assert_eq!(
        price_cart(&c, &input, &PricingContext::new(now())).unwrap().grand_total.amount(),
        dec("160000")
    );
}
