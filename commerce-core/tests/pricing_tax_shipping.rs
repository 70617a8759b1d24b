//! Worked examples for shipping, tax and the empty cart. Amounts are USD unless stated; the
//! arithmetic is in the comments. The fixture shop is described in `pricing_support`.
#![allow(clippy::unwrap_used)]

mod pricing_support;

use commerce_core::pricing::ExplanationCode as C;
use pricing_support::*;

#[test]
fn shipping() {
    run(vec![
        ("flat rate", cart(&[("TEE", 1)]).ship("standard"), expect().shipping("5.00").grand("24.99")),
        // 59.97 >= 50.00: free
        (
            "free above a threshold",
            cart(&[("TEE", 3)]).ship("standard"),
            expect()
                .shipping("0")
                .grand("59.97")
                .explains(C::FreeShippingThreshold, "free shipping from 50.00 USD"),
        ),
        // 59.97 x 20% = 11.994 -> 11.99; 47.98 < 50.00 after the discount: charged
        (
            "threshold after discounts",
            cart(&[("TEE", 3)]).ship("standard").promo(item_pct("c20", clothing(), "20")),
            expect().shipping("5.00").grand("52.98").never(C::FreeShippingThreshold),
        ),
        // 3 x 200 g = 600 g <= 1000 g: 4.00
        ("first weight band", cart(&[("TEE", 3)]).ship("weight"), expect().shipping("4.00").grand("63.97")),
        // 3 x 500 g = 1500 g: 9.00; 24.00 + 9.00
        ("second weight band", cart(&[("BOOK", 3)]).ship("weight"), expect().shipping("9.00").grand("33.00")),
        // 6 x 1000 g = 6000 g > 5000 g: not shippable with this method, explained
        (
            "too heavy",
            cart(&[("BULK", 6)]).ship("weight"),
            expect()
                .shipping("0")
                .grand("60.00")
                .explains(C::ShippingUnavailable, "ships carts up to 5000 g; this cart weighs 6000 g"),
        ),
        // express is US only; in KH the TEE is taxed 10%: 1.999 -> 2.00
        (
            "region restricted",
            cart(&[("TEE", 1)]).ship("express").region("KH"),
            expect()
                .shipping("0")
                .grand("21.99")
                .explains(C::ShippingUnavailable, "Express does not ship to KH"),
        ),
        (
            "region restricted, no region",
            cart(&[("TEE", 1)]).ship("express"),
            expect().explains(C::ShippingUnavailable, "needs a destination region"),
        ),
        // express 15.00 waived; TEE 19.99 x 7.25% = 1.449275 -> 1.45; 19.99 + 1.45
        (
            "free shipping promotion",
            cart(&[("TEE", 1)]).ship("express").region("US-CA").promo(free_ship("fs")),
            expect().shipping("0").tax("1.45").grand("21.44").applied(&["fs"]),
        ),
        // threshold already made it free
        (
            "free shipping promotion, already free",
            cart(&[("TEE", 3)]).ship("standard").promo(free_ship("fs")),
            expect().applied(&[]).explains(C::NoDiscount, "nothing left"),
        ),
        // waive at most 10.00 of 15.00; US 5%: TEE 0.9995 -> 1.00, shipping 5.00 x 5% = 0.25
        // 19.99 + 5.00 + 1.25 = 26.24
        (
            "capped free shipping",
            cart(&[("TEE", 1)])
                .ship("express")
                .region("US-OR")
                .promo(free_ship("fs").with_max_discount(usd("10.00"))),
            expect()
                .shipping("5.00")
                .tax("1.25")
                .grand("26.24")
                .explains(C::DiscountCapped, "capped at the maximum of 10.00 USD"),
        ),
    ]);
}

#[test]
fn tax() {
    run(vec![
        // TEE 59.97 x 7.25% = 4.347825 -> 4.35; MUG 12.50 x 7.25% = 0.90625 -> 0.91; 5.26
        (
            "exclusive, per line, most specific region",
            cart(&[("TEE", 3), ("MUG", 1)]).region("US-CA"),
            expect()
                .tax("5.26")
                .grand("77.73")
                .line("TEE", "19.99", "0", "4.35", "64.32")
                .line("MUG", "12.50", "0", "0.91", "13.41")
                .taxes(&[("ca-std", "72.47", "5.26")]),
        ),
        // 72.47 x 7.25% = 5.254075 -> 5.25 once; split 12.50 : 59.97 -> 90.55 / 434.45 cents
        // -> 90 + 434, leftover cent to MUG (.55): MUG 0.91, TEE 4.34
        (
            "exclusive, per order",
            cart(&[("TEE", 3), ("MUG", 1)]).region("US-CA").per_order(),
            expect()
                .tax("5.25")
                .grand("77.72")
                .line("TEE", "19.99", "0", "4.34", "64.31")
                .line("MUG", "12.50", "0", "0.91", "13.41"),
        ),
        // US-NY has no rule of its own: US 5%; 59.97 x 5% = 2.9985 -> 3.00
        (
            "country rule for a subdivision",
            cart(&[("TEE", 3)]).region("US-NY"),
            expect().tax("3.00").taxes(&[("us-std", "59.97", "3.00")]),
        ),
        // TEE 19.99 x 7.25% = 1.449275 -> 1.45; BOOK reduced 0%
        (
            "breakdown by rate",
            cart(&[("TEE", 1), ("BOOK", 1)]).region("US-CA"),
            expect()
                .tax("1.45")
                .grand("29.44")
                .taxes(&[("ca-std", "19.99", "1.45"), ("us-red", "8.00", "0.00")]),
        ),
        // no reduced rule in KH: BOOK untaxed; TEE 19.99 x 10% = 1.999 -> 2.00
        (
            "no rule for a class",
            cart(&[("TEE", 1), ("BOOK", 1)]).region("KH"),
            expect().tax("2.00").explains(C::NoTaxRule, "no tax rate for tax class reduced in KH"),
        ),
        (
            "no region",
            cart(&[("TEE", 1)]),
            expect().tax("0").explains(C::NoTaxRegion, "no destination region"),
        ),
        // (59.97 - 6.00) x 7.25% = 3.912825 -> 3.91
        (
            "discounts reduce the base",
            cart(&[("TEE", 3)]).region("US-CA").promo(item_pct("c10", clothing(), "10")),
            expect().tax("3.91").grand("57.88"),
        ),
        // order 10%: MUG 11.25 x 7.25% = 0.815625 -> 0.82; TEE 53.97 -> 3.91; 65.22 + 4.73
        (
            "order discount shares reduce each line's base",
            cart(&[("TEE", 3), ("MUG", 1)]).region("US-CA").promo(order_pct("o10", "10")),
            expect().tax("4.73").grand("69.95").line("MUG", "12.50", "1.25", "0.82", "12.07"),
        ),
        // inclusive: 59.97 x 10 / 110 = 5.45181.. -> 5.45; the customer pays 59.97
        (
            "inclusive",
            cart(&[("TEE", 3)]).region("KH").inclusive(),
            expect()
                .tax("5.45")
                .grand("59.97")
                .line("TEE", "19.99", "0", "5.45", "59.97")
                .taxes(&[("kh-vat", "54.52", "5.45")]),
        ),
        // inclusive after a discount: 53.97 x 10 / 110 = 4.90636.. -> 4.91
        (
            "inclusive with a discount",
            cart(&[("TEE", 3)]).region("KH").inclusive().promo(item_pct("c10", clothing(), "10")),
            expect().tax("4.91").grand("53.97"),
        ),
        // per line: MUG 1.13636 -> 1.14, TEE 1.81727 -> 1.82 = 2.96; per order 32.49 / 11 =
        // 2.95363 -> 2.95, split 113.496 / 181.504 -> 113 + 181, cent to TEE: 1.13 / 1.82
        (
            "inclusive, per order",
            cart(&[("TEE", 1), ("MUG", 1)]).region("KH").inclusive().per_order(),
            expect()
                .tax("2.95")
                .grand("32.49")
                .line("MUG", "12.50", "0", "1.13", "12.50")
                .line("TEE", "19.99", "0", "1.82", "19.99"),
        ),
        (
            "inclusive, per line",
            cart(&[("TEE", 1), ("MUG", 1)]).region("KH").inclusive(),
            expect().tax("2.96").grand("32.49"),
        ),
        // express taxed: 15.00 x 7.25% = 1.0875 -> 1.09; TEE 1.45; 19.99 + 15.00 + 2.54
        (
            "taxed shipping",
            cart(&[("TEE", 1)]).region("US-CA").ship("express"),
            expect().tax("2.54").shipping("15.00").grand("37.53").taxes(&[("ca-std", "34.99", "2.54")]),
        ),
        // standard shipping has no tax class
        (
            "untaxed shipping",
            cart(&[("TEE", 1)]).region("US-CA").ship("standard"),
            expect().tax("1.45").grand("26.44"),
        ),
        // inclusive: TEE 19.99 x 7.25 / 107.25 = 1.35125.. -> 1.35; 15 x 7.25 / 107.25 = 1.01398.. -> 1.01
        (
            "inclusive taxed shipping",
            cart(&[("TEE", 1)]).region("US-CA").ship("express").inclusive(),
            expect().tax("2.36").grand("34.99"),
        ),
    ]);
}

#[test]
fn empty_cart() {
    run(vec![
        ("empty", cart(&[]), expect().subtotal("0").discount("0").tax("0").shipping("0").grand("0")),
        (
            "empty with shipping, coupon and promotions",
            cart(&[])
                .ship("standard")
                .region("US-CA")
                .promo(order_off("five", "5.00"))
                .promo(free_ship("fs"))
                .coupon("X"),
            expect().grand("0").applied(&[]).explains(C::ShippingUnavailable, "nothing to ship"),
        ),
    ]);
}
