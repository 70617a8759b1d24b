//! The JSON of a priced cart is a stored format (order snapshots in the SQLite and MySQL stores,
//! the HTTP shop): these tests pin it byte for byte.
#![allow(clippy::unwrap_used)]

mod pricing_support;

use commerce_core::pricing::*;
use pricing_support::*;

/// Every part of the output: a price list with a tier, item discounts, an order discount split
/// over the lines, a capped shipping discount, a coupon, tax with a region fallback and taxed
/// shipping, and explanation entries both structured (amounts) and plain (dates, codes).
fn priced() -> PricedCart {
    cart(&[("TEE", 2), ("MUG", 1), ("BULK", 10), ("BOOK", 1)])
        .list(
            PriceList::new("vip")
                .with_entry(PriceEntry::new(sku("TEE"), usd("18.00")).with_tier(2, usd("17.00"))),
        )
        .promo(item_pct("tee10", clothing(), "10"))
        .promo(order_off("save5", "5.00").with_coupon(code("SAVE5"), Some(100), Some(1)))
        .promo(free_ship("ship").with_max_discount(usd("10.00")))
        .promo(order_pct("big", "10").with_min_subtotal(usd("1000.00")))
        .promo(item_off("later", clothing(), "1.00").valid(Some(at(2027, 1, 1)), None))
        .promo(item_off("huge", skus(&["MUG"]), "20.00"))
        .coupon("SAVE5")
        .coupon("NOPE")
        .region("US-CA")
        .ship("express")
        .price()
        .unwrap()
}

#[test]
fn a_priced_cart_serializes_exactly_so() {
    let priced = priced();
    let json = serde_json::to_string_pretty(&priced).unwrap();
    assert_eq!(json, include_str!("pricing_json/priced_cart.json").trim_end());
    // Reading it back gives the same value and the same text.
    let back: PricedCart = serde_json::from_str(&json).unwrap();
    assert_eq!(back, priced);
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
}

#[test]
fn messages_read_as_text() {
    let priced = priced();
    for e in &priced.explanation {
        let text: &str = &e.message;
        assert_eq!(e.message.to_string(), text);
        assert_eq!(serde_json::to_value(&e.message).unwrap(), serde_json::Value::String(text.to_owned()));
        assert!(e.message == *text && e.message.as_str() == text);
    }
}
