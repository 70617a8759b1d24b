//! Shared fixture for the pricing tests: a small shop and a data-driven `check` helper.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use commerce_core::ids::PromotionId;
use commerce_core::pricing::*;
use commerce_core::{
    Cart, CartId, CategoryId, Currency, CustomerGroupId, Money, Quantity, Region, Sku, TaxClass,
};
use commerce_core::{CouponCode, ShippingMethodId};
use rust_decimal::Decimal;
use uuid::Uuid;

pub fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}
pub fn usd(s: &str) -> Money {
    Money::parse(s, Currency::USD).unwrap()
}
pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
pub fn pid(s: &str) -> PromotionId {
    PromotionId::parse(s).unwrap()
}
pub fn code(s: &str) -> CouponCode {
    CouponCode::parse(s).unwrap()
}
pub fn region(s: &str) -> Region {
    Region::parse(s).unwrap()
}
pub fn group(s: &str) -> CustomerGroupId {
    CustomerGroupId::parse(s).unwrap()
}
pub fn class(s: &str) -> TaxClass {
    TaxClass::parse(s).unwrap()
}
pub fn method(s: &str) -> ShippingMethodId {
    ShippingMethodId::parse(s).unwrap()
}
pub fn cat(n: u128) -> CategoryId {
    CategoryId::from_uuid(Uuid::from_u128(n))
}
pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}
/// The instant every example is priced at unless it says otherwise.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

pub const CLOTHING: u128 = 1;
pub const TEES: u128 = 2; // child of CLOTHING
pub const KITCHEN: u128 = 3;
pub const BOOKS: u128 = 4;

/// The shop's catalog.
///
/// | SKU  | price | categories         | tax class | weight |
/// |------|-------|--------------------|-----------|--------|
/// | TEE  | 19.99 | tees, clothing     | standard  | 200 g  |
/// | CAP  |  9.99 | clothing           | standard  | 100 g  |
/// | MUG  | 12.50 | kitchen            | standard  | 400 g  |
/// | BOOK |  8.00 | books              | reduced   | 500 g  |
/// | BULK | 10.00 (10+: 9.00, 50+: 8.00) | none | standard | 1000 g |
/// | FREE |  0.00 | none               | standard  | 0 g    |
///
/// TEE also costs 80000 KHR; NOPRICE is in the catalog but has no price.
pub fn catalog() -> PricingCatalog {
    let std = class("standard");
    PricingCatalog::new()
        .with_item(sku("TEE"), ItemInfo::new(std.clone(), 200).with_categories([cat(TEES), cat(CLOTHING)]))
        .with_item(sku("CAP"), ItemInfo::new(std.clone(), 100).with_categories([cat(CLOTHING)]))
        .with_item(sku("MUG"), ItemInfo::new(std.clone(), 400).with_categories([cat(KITCHEN)]))
        .with_item(sku("BOOK"), ItemInfo::new(class("reduced"), 500).with_categories([cat(BOOKS)]))
        .with_item(sku("BULK"), ItemInfo::new(std.clone(), 1000))
        .with_item(sku("FREE"), ItemInfo::new(std.clone(), 0))
        .with_item(sku("NOPRICE"), ItemInfo::new(std, 0))
}

pub fn price_book() -> PriceBook {
    PriceBook::new()
        .with_price(sku("TEE"), usd("19.99"))
        .with_price(sku("CAP"), usd("9.99"))
        .with_price(sku("MUG"), usd("12.50"))
        .with_price(sku("BOOK"), usd("8.00"))
        .with_entry(
            PriceEntry::new(sku("BULK"), usd("10.00")).with_tier(10, usd("9.00")).with_tier(50, usd("8.00")),
        )
        .with_price(sku("FREE"), usd("0.00"))
        .with_price(sku("TEE"), Money::parse("80000", Currency::KHR).unwrap())
}

/// US 5% (standard), US-CA 7.25% (standard), US 0% (reduced), KH 10% (standard).
pub fn tax_rules() -> Vec<TaxRule> {
    vec![
        TaxRule::new("us-std", "US sales tax", class("standard"), region("US"), dec("5")),
        TaxRule::new("ca-std", "CA sales tax", class("standard"), region("US-CA"), dec("7.25")),
        TaxRule::new("us-red", "US reduced", class("reduced"), region("US"), dec("0")),
        TaxRule::new("kh-vat", "KH VAT", class("standard"), region("KH"), dec("10")),
    ]
}

/// `standard`: 5.00 flat, free from 50.00. `weight`: up to 1000 g 4.00, up to 5000 g 9.00.
/// `express`: 15.00 flat, US only, taxed as standard.
pub fn shipping_methods() -> Vec<ShippingMethod> {
    vec![
        ShippingMethod::flat(method("standard"), "Standard", usd("5.00")).free_above(usd("50.00")),
        ShippingMethod::by_weight(
            method("weight"),
            "By weight",
            vec![
                WeightTier { up_to_grams: 1000, price: usd("4.00") },
                WeightTier { up_to_grams: 5000, price: usd("9.00") },
            ],
        ),
        ShippingMethod::flat(method("express"), "Express", usd("15.00"))
            .in_regions([region("US")])
            .taxed_as(class("standard")),
    ]
}

pub fn item_pct(id: &str, target: Target, pct: &str) -> Promotion {
    Promotion::new(
        pid(id),
        format!("{pct}% off {id}"),
        Benefit::ItemDiscount { target, discount: Discount::Percent(dec(pct)) },
    )
}
pub fn item_off(id: &str, target: Target, each: &str) -> Promotion {
    Promotion::new(
        pid(id),
        format!("{each} off {id}"),
        Benefit::ItemDiscount { target, discount: Discount::Amount(usd(each)) },
    )
}
pub fn order_pct(id: &str, pct: &str) -> Promotion {
    Promotion::new(
        pid(id),
        format!("{pct}% off the order"),
        Benefit::OrderDiscount { discount: Discount::Percent(dec(pct)) },
    )
}
pub fn order_off(id: &str, amount: &str) -> Promotion {
    Promotion::new(
        pid(id),
        format!("{amount} off the order"),
        Benefit::OrderDiscount { discount: Discount::Amount(usd(amount)) },
    )
}
pub fn bxgy(id: &str, target: Target, buy: u32, get: u32, pct: &str) -> Promotion {
    Promotion::new(
        pid(id),
        format!("buy {buy} get {get}"),
        Benefit::BuyXGetY { target, buy, get, percent_off: dec(pct) },
    )
}
pub fn free_ship(id: &str) -> Promotion {
    Promotion::new(pid(id), "Free shipping", Benefit::FreeShipping)
}
pub fn clothing() -> Target {
    Target::Categories(vec![cat(CLOTHING)])
}
pub fn skus(s: &[&str]) -> Target {
    Target::Skus(s.iter().map(|x| sku(x)).collect())
}

pub type Table = Vec<(&'static str, Scenario, Expect)>;

/// Checks every row of a table of examples.
pub fn run(table: Table) {
    for (name, scenario, expected) in table {
        check(name, scenario, expected);
    }
}

/// One pricing situation, built from the fixture shop.
#[derive(Clone)]
pub struct Scenario {
    pub lines: Vec<(&'static str, u32)>,
    pub currency: Currency,
    pub promotions: Vec<Promotion>,
    pub lists: Vec<PriceList>,
    pub options: PricingOptions,
    pub ctx: PricingContext,
}

pub fn cart(lines: &[(&'static str, u32)]) -> Scenario {
    Scenario {
        lines: lines.to_vec(),
        currency: Currency::USD,
        promotions: Vec::new(),
        lists: Vec::new(),
        options: PricingOptions::default(),
        ctx: PricingContext::new(now()),
    }
}

impl Scenario {
    pub fn promo(mut self, p: Promotion) -> Self {
        self.promotions.push(p);
        self
    }
    pub fn list(mut self, l: PriceList) -> Self {
        self.lists.push(l);
        self
    }
    pub fn region(mut self, r: &str) -> Self {
        self.ctx.region = Some(region(r));
        self
    }
    pub fn group(mut self, g: &str) -> Self {
        self.ctx.customer_group = Some(group(g));
        self
    }
    pub fn coupon(mut self, c: &str) -> Self {
        self.ctx.coupon_codes.push(code(c));
        self
    }
    pub fn usage(mut self, c: &str, total: u32, mine: u32) -> Self {
        self.ctx.coupon_usage.insert(code(c), CouponUsage { total, by_this_customer: mine });
        self
    }
    pub fn ship(mut self, m: &str) -> Self {
        self.ctx.shipping_method = Some(method(m));
        self
    }
    pub fn at(mut self, t: DateTime<Utc>) -> Self {
        self.ctx.now = t;
        self
    }
    pub fn inclusive(mut self) -> Self {
        self.options = self.options.with_tax_mode(TaxMode::Inclusive);
        self
    }
    pub fn per_order(mut self) -> Self {
        self.options = self.options.with_tax_rounding(TaxRounding::PerOrder);
        self
    }
    pub fn rounding(mut self, r: commerce_core::Rounding) -> Self {
        self.options = self.options.with_rounding(r);
        self
    }
    pub fn in_currency(mut self, c: Currency) -> Self {
        self.currency = c;
        self
    }

    pub fn price(&self) -> Result<PricedCart, PricingError> {
        let catalog = catalog();
        let mut book = price_book();
        book.lists = self.lists.clone();
        let taxes = tax_rules();
        let methods = shipping_methods();
        let input = PricingInput::new(&catalog, &book)?
            .with_promotions(&self.promotions)?
            .with_tax_rules(&taxes)?
            .with_shipping_methods(&methods)?
            .with_options(self.options);
        let mut cart = Cart::new(CartId::from_uuid(Uuid::from_u128(7)), self.currency);
        for (s, q) in &self.lines {
            cart.add(sku(s), Quantity::new(*q).unwrap()).unwrap();
        }
        price_cart(&cart, &input, &self.ctx)
    }
}

/// What an example expects; unset fields are not checked.
#[derive(Default, Clone)]
pub struct Expect {
    pub subtotal: Option<&'static str>,
    pub discount: Option<&'static str>,
    pub tax: Option<&'static str>,
    pub shipping: Option<&'static str>,
    pub grand: Option<&'static str>,
    /// (sku, unit price, discount_total, tax, total)
    pub lines: Vec<(&'static str, &'static str, &'static str, &'static str, &'static str)>,
    pub applied: Option<Vec<&'static str>>,
    pub coupons: Option<Vec<&'static str>>,
    /// Explanation codes that must appear (with a message fragment).
    pub explains: Vec<(ExplanationCode, &'static str)>,
    /// Explanation codes that must not appear.
    pub never: Vec<ExplanationCode>,
    /// (rate id, taxable base, amount)
    pub taxes: Option<Vec<(&'static str, &'static str, &'static str)>>,
}

pub fn expect() -> Expect {
    Expect::default()
}

impl Expect {
    pub fn subtotal(mut self, v: &'static str) -> Self {
        self.subtotal = Some(v);
        self
    }
    pub fn discount(mut self, v: &'static str) -> Self {
        self.discount = Some(v);
        self
    }
    pub fn tax(mut self, v: &'static str) -> Self {
        self.tax = Some(v);
        self
    }
    pub fn shipping(mut self, v: &'static str) -> Self {
        self.shipping = Some(v);
        self
    }
    pub fn grand(mut self, v: &'static str) -> Self {
        self.grand = Some(v);
        self
    }
    pub fn line(
        mut self,
        sku: &'static str,
        unit: &'static str,
        discount: &'static str,
        tax: &'static str,
        total: &'static str,
    ) -> Self {
        self.lines.push((sku, unit, discount, tax, total));
        self
    }
    pub fn applied(mut self, ids: &[&'static str]) -> Self {
        self.applied = Some(ids.to_vec());
        self
    }
    pub fn coupons(mut self, codes: &[&'static str]) -> Self {
        self.coupons = Some(codes.to_vec());
        self
    }
    pub fn explains(mut self, code: ExplanationCode, fragment: &'static str) -> Self {
        self.explains.push((code, fragment));
        self
    }
    pub fn never(mut self, code: ExplanationCode) -> Self {
        self.never.push(code);
        self
    }
    pub fn taxes(mut self, t: &[(&'static str, &'static str, &'static str)]) -> Self {
        self.taxes = Some(t.to_vec());
        self
    }
}

/// Prices `scenario` and compares with `expected`; also checks the invariants every priced cart
/// must satisfy.
pub fn check(name: &str, scenario: Scenario, expected: Expect) {
    let priced = match scenario.price() {
        Ok(p) => p,
        Err(e) => panic!("{name}: pricing failed: {e}"),
    };
    let m = |s: &str| Money::parse(s, scenario.currency).unwrap();
    let show = || format!("{name}:\n{}", serde_json::to_string_pretty(&priced).unwrap());
    for (label, want, got) in [
        ("subtotal", expected.subtotal, priced.subtotal),
        ("discount_total", expected.discount, priced.discount_total),
        ("tax_total", expected.tax, priced.tax_total),
        ("shipping_total", expected.shipping, priced.shipping_total),
        ("grand_total", expected.grand, priced.grand_total),
    ] {
        if let Some(want) = want {
            assert_eq!(got, m(want), "{label} of {}", show());
        }
    }
    for (s, unit, discount, tax, total) in &expected.lines {
        let line =
            priced.lines.iter().find(|l| l.sku.as_str() == *s).unwrap_or_else(|| panic!("{name}: no {s}"));
        assert_eq!(
            (line.unit_price, line.discount_total, line.tax, line.total),
            (m(unit), m(discount), m(tax), m(total)),
            "line {s} (unit, discount, tax, total) of {}",
            show()
        );
    }
    if let Some(ids) = &expected.applied {
        let got: Vec<&str> = priced.applied_promotions.iter().map(|p| p.as_str()).collect();
        assert_eq!(&got, ids, "applied promotions of {}", show());
    }
    if let Some(codes) = &expected.coupons {
        let got: Vec<&str> = priced.applied_coupons.iter().map(|c| c.as_str()).collect();
        assert_eq!(&got, codes, "applied coupons of {}", show());
    }
    for (c, fragment) in &expected.explains {
        assert!(
            priced.explanation.iter().any(|e| e.code == *c && e.message.contains(fragment)),
            "expected {c:?} containing {fragment:?} in {}",
            show()
        );
    }
    for c in &expected.never {
        assert!(!priced.explanation.iter().any(|e| e.code == *c), "unexpected {c:?} in {}", show());
    }
    if let Some(taxes) = &expected.taxes {
        let got: Vec<(&str, Money, Money)> =
            priced.taxes.iter().map(|t| (&*t.rate_id, t.taxable_base, t.amount)).collect();
        let want: Vec<(&str, Money, Money)> = taxes.iter().map(|(id, b, a)| (*id, m(b), m(a))).collect();
        assert_eq!(got, want, "tax breakdown of {}", show());
    }
    invariants(&priced).unwrap_or_else(|e| panic!("{name}: invariant broken: {e}\n{}", show()));
}

/// The invariants every priced cart satisfies (also used by the property tests).
pub fn invariants(p: &PricedCart) -> Result<(), String> {
    let c = p.currency;
    let sum = |it: &mut dyn Iterator<Item = Money>| Money::sum(c, it).map_err(|e| e.to_string());
    let zero = Money::zero(c);
    let nonneg = |what: &str, m: Money| {
        if m.is_negative() { Err(format!("{what} is negative: {m}")) } else { Ok(()) }
    };
    let exact = |what: &str, m: Money| {
        if m.is_exact() && m.currency() == c { Ok(()) } else { Err(format!("{what} is not exact: {m}")) }
    };
    let shipping_tax = p.shipping.as_ref().map_or(zero, |s| s.tax);
    for l in &p.lines {
        for (what, v) in [
            ("unit price", l.unit_price),
            ("line subtotal", l.subtotal),
            ("line discount", l.discount_total),
            ("line tax", l.tax),
            ("line total", l.total),
            ("order discount share", l.order_discount),
        ] {
            nonneg(what, v)?;
            exact(what, v)?;
        }
        let adj = sum(&mut l.adjustments.iter().map(|a| a.amount))?;
        if adj.checked_add(l.order_discount).unwrap() != l.discount_total {
            return Err(format!("{}: adjustments + order share != discount total", l.sku));
        }
        if l.unit_price.times(l.quantity.get()).unwrap() != l.subtotal {
            return Err(format!("{}: unit x quantity != subtotal", l.sku));
        }
        let net = l.subtotal.checked_sub(l.discount_total).unwrap();
        nonneg("line net", net)?;
        let want = match p.tax_mode {
            TaxMode::Exclusive => net.checked_add(l.tax).unwrap(),
            TaxMode::Inclusive => net,
        };
        if want != l.total {
            return Err(format!("{}: line total {} != {}", l.sku, l.total, want));
        }
    }
    for (what, v) in [
        ("subtotal", p.subtotal),
        ("discount total", p.discount_total),
        ("tax total", p.tax_total),
        ("shipping total", p.shipping_total),
        ("grand total", p.grand_total),
    ] {
        nonneg(what, v)?;
        exact(what, v)?;
    }
    if sum(&mut p.lines.iter().map(|l| l.subtotal))? != p.subtotal {
        return Err("subtotal != sum of line subtotals".into());
    }
    if sum(&mut p.lines.iter().map(|l| l.discount_total))? != p.discount_total {
        return Err("discount total != sum of line discounts".into());
    }
    let order_adj = sum(&mut p.order_adjustments.iter().map(|a| a.amount))?;
    if order_adj != sum(&mut p.lines.iter().map(|l| l.order_discount))? {
        return Err("order adjustments != sum of order shares".into());
    }
    let line_tax = sum(&mut p.lines.iter().map(|l| l.tax))?;
    if line_tax.checked_add(shipping_tax).unwrap() != p.tax_total {
        return Err("tax total != line taxes + shipping tax".into());
    }
    if sum(&mut p.taxes.iter().map(|t| t.amount))? != p.tax_total {
        return Err("tax total != sum of the breakdown".into());
    }
    match &p.shipping {
        Some(s) => {
            nonneg("shipping amount", s.amount)?;
            nonneg("shipping discount", s.discount)?;
            if s.amount.checked_sub(s.discount).unwrap() != p.shipping_total {
                return Err("shipping total != amount - discount".into());
            }
            nonneg("shipping net", p.shipping_total)?;
        }
        None if !p.shipping_total.is_zero() => return Err("shipping total without shipping".into()),
        None => {}
    }
    let base = p.subtotal.checked_sub(p.discount_total).unwrap().checked_add(p.shipping_total).unwrap();
    let grand = match p.tax_mode {
        TaxMode::Exclusive => base.checked_add(p.tax_total).unwrap(),
        TaxMode::Inclusive => base,
    };
    if grand != p.grand_total {
        return Err(format!("totals equation: expected grand total {grand}, got {}", p.grand_total));
    }
    let line_totals = sum(&mut p.lines.iter().map(|l| l.total))?;
    let ship = p.shipping.as_ref().map_or(zero, |s| s.total);
    if line_totals.checked_add(ship).unwrap() != p.grand_total {
        return Err("grand total != line totals + shipping total".into());
    }
    let applied: BTreeSet<_> = p.applied_promotions.iter().collect();
    if applied.len() != p.applied_promotions.len() {
        return Err("a promotion applied twice".into());
    }
    Ok(())
}
