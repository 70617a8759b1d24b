//! Fixtures for unit tests.

use chrono::{DateTime, Utc};
use rust_decimal_macros::dec;
use uuid::Uuid;

use crate::cart::{Cart, Quantity};
use crate::customer::Address;
use crate::ids::{CartId, CheckoutId, OrderId, Region, Sku, TaxClass};
use crate::money::{Currency, Money};
use crate::order::{Order, OrderLine, OrderStatus};
use crate::pricing::{
    ItemInfo, PriceBook, PricedCart, PricingCatalog, PricingContext, PricingInput, price_cart,
};

pub fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

pub fn address(country: &str) -> Address {
    Address {
        name: "Ann".into(),
        line1: "1 Main St".into(),
        line2: None,
        city: "Phnom Penh".into(),
        region: None,
        postal_code: None,
        country: Region::parse(country).unwrap(),
        phone: None,
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

/// A cart of `lines` (sku, quantity), every SKU at 10.00 USD, priced without tax or shipping.
pub fn priced_lines(lines: &[(&str, u32)]) -> PricedCart {
    let class = TaxClass::parse("standard").unwrap();
    let mut catalog = PricingCatalog::new();
    let mut book = PriceBook::new();
    let mut cart = Cart::new(CartId::from_uuid(Uuid::from_u128(1)), Currency::USD);
    for (s, q) in lines {
        catalog.insert(sku(s), ItemInfo::new(class.clone(), 100));
        book = book.with_price(sku(s), Money::new(dec!(10), Currency::USD));
        cart.add(sku(s), Quantity::new(*q).unwrap()).unwrap();
    }
    let input = PricingInput::new(&catalog, &book).unwrap();
    price_cart(&cart, &input, &PricingContext::new(now())).unwrap()
}

pub fn priced_fixture() -> PricedCart {
    priced_lines(&[("A", 1)])
}

pub fn order_fixture(lines: &[(&str, u32)]) -> Order {
    let priced = priced_lines(lines);
    Order {
        id: OrderId::from_uuid(Uuid::from_u128(2)),
        number: "ABCD-1234".into(),
        checkout_id: CheckoutId::from_uuid(Uuid::from_u128(3)),
        customer_id: None,
        email: "ann@example.com".into(),
        status: OrderStatus::PendingPayment,
        lines: priced
            .lines
            .iter()
            .map(|l| OrderLine {
                sku: l.sku.clone(),
                name: l.sku.to_string(),
                quantity: l.quantity.get(),
                fulfilled: 0,
                unit_price: l.unit_price,
                total: l.total,
            })
            .collect(),
        priced,
        shipping_address: address("KH"),
        billing_address: address("KH"),
        cancel_reason: None,
        version: 1,
        placed_at: now(),
        updated_at: now(),
    }
}
