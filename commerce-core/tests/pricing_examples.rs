//! Worked pricing examples, one table per rule. Every amount is USD unless stated; the arithmetic
//! is in the comments. The fixture shop is described in `pricing_support`.
#![allow(clippy::unwrap_used)]

mod pricing_support;

use commerce_core::pricing::ExplanationCode as C;
use commerce_core::pricing::*;
use commerce_core::{Currency, Rounding};
use pricing_support::*;

#[test]
fn price_book() {
    let vip = || {
        PriceList::new("vip").with_priority(10).for_group(group("vip")).with_price(sku("TEE"), usd("17.99"))
    };
    run(vec![
        // 3 x 19.99 = 59.97
        ("base price", cart(&[("TEE", 3)]), expect().line("TEE", "19.99", "0", "0", "59.97").grand("59.97")),
        // below the first tier: 9 x 10.00 = 90.00
        ("tier not reached", cart(&[("BULK", 9)]), expect().line("BULK", "10.00", "0", "0", "90.00")),
        // 10+ tier: 10 x 9.00 = 90.00
        ("tier 10+", cart(&[("BULK", 10)]), expect().line("BULK", "9.00", "0", "0", "90.00")),
        // 50+ tier (the largest reached): 50 x 8.00 = 400.00
        ("tier 50+", cart(&[("BULK", 50)]), expect().line("BULK", "8.00", "0", "0", "400.00")),
        // vip list for a vip: 2 x 17.99 = 35.98
        (
            "group list",
            cart(&[("TEE", 2)]).list(vip()).group("vip"),
            expect().line("TEE", "17.99", "0", "0", "35.98"),
        ),
        // vip list for a guest: base 2 x 19.99 = 39.98
        ("group list, other customer", cart(&[("TEE", 2)]).list(vip()), expect().grand("39.98")),
        // list ended 2026-02-01, priced 2026-03-01: base price
        (
            "expired list",
            cart(&[("TEE", 1)]).list(
                PriceList::new("winter")
                    .valid(None, Some(at(2026, 2, 1)))
                    .with_price(sku("TEE"), usd("15.00")),
            ),
            expect().grand("19.99"),
        ),
        // list active 2026-02-01 .. 2026-04-01
        (
            "active list",
            cart(&[("TEE", 1)]).list(
                PriceList::new("spring")
                    .valid(Some(at(2026, 2, 1)), Some(at(2026, 4, 1)))
                    .with_price(sku("TEE"), usd("15.00")),
            ),
            expect().grand("15.00"),
        ),
        // priority 5 at 18.00 beats priority 1 at 15.00: priority first
        (
            "higher priority wins",
            cart(&[("TEE", 1)])
                .list(PriceList::new("a").with_priority(5).with_price(sku("TEE"), usd("18.00")))
                .list(PriceList::new("b").with_priority(1).with_price(sku("TEE"), usd("15.00"))),
            expect().grand("18.00"),
        ),
        // equal priority: the lower price
        (
            "equal priority, lowest price",
            cart(&[("TEE", 1)])
                .list(PriceList::new("a").with_price(sku("TEE"), usd("18.00")))
                .list(PriceList::new("b").with_price(sku("TEE"), usd("17.00"))),
            expect().grand("17.00"),
        ),
        // a list's own tiers: 10 x 16.00 = 160.00
        (
            "list tier",
            cart(&[("TEE", 10)]).list(
                PriceList::new("bulk")
                    .with_entry(PriceEntry::new(sku("TEE"), usd("18.00")).with_tier(10, usd("16.00"))),
            ),
            expect().line("TEE", "16.00", "0", "0", "160.00"),
        ),
        // any active list outranks the base price, even the base's cheaper tier: 10 x 9.50
        (
            "list over base tier",
            cart(&[("BULK", 10)]).list(PriceList::new("promo").with_price(sku("BULK"), usd("9.50"))),
            expect().grand("95.00"),
        ),
    ]);
}

#[test]
fn item_discounts() {
    run(vec![
        // TEE (tees < clothing): 59.97 x 10% = 5.997 -> 6.00; CAP: 9.99 x 10% = 0.999 -> 1.00
        // 82.46 - 7.00 = 75.46
        (
            "percent off a category, through ancestors",
            cart(&[("TEE", 3), ("CAP", 1), ("MUG", 1)]).promo(item_pct("clothes10", clothing(), "10")),
            expect()
                .subtotal("82.46")
                .discount("7.00")
                .grand("75.46")
                .line("TEE", "19.99", "6.00", "0", "53.97")
                .line("CAP", "9.99", "1.00", "0", "8.99")
                .line("MUG", "12.50", "0", "0", "12.50")
                .applied(&["clothes10"])
                .explains(C::PromotionApplied, "7.00 USD off"),
        ),
        // 12.50 x 5% = 0.625 -> 0.62 (half-even)
        (
            "half-even midpoint",
            cart(&[("MUG", 1)]).promo(item_pct("m5", skus(&["MUG"]), "5")),
            expect().discount("0.62"),
        ),
        // 0.625 -> 0.63 (half-up)
        (
            "half-up midpoint",
            cart(&[("MUG", 1)]).promo(item_pct("m5", skus(&["MUG"]), "5")).rounding(Rounding::HalfUp),
            expect().discount("0.63").grand("11.87"),
        ),
        // 2.00 off each of 3 = 6.00
        (
            "fixed amount per unit",
            cart(&[("TEE", 3)]).promo(item_off("tee2", skus(&["TEE"]), "2.00")),
            expect().discount("6.00").grand("53.97"),
        ),
        // 15.00 off each of 2 = 30.00 > 16.00: clamped to 16.00, the line is free, never negative
        (
            "fixed amount clamped at the line",
            cart(&[("BOOK", 2), ("TEE", 1)]).promo(item_off("b15", skus(&["BOOK"]), "15.00")),
            expect()
                .line("BOOK", "8.00", "16.00", "0", "0.00")
                .grand("19.99")
                .explains(C::DiscountClamped, "30.00 USD reduced"),
        ),
        // only MUG: 2 x 12.50 = 25.00 x 10% = 2.50
        (
            "by SKU",
            cart(&[("TEE", 1), ("MUG", 2)]).promo(item_pct("mug10", skus(&["MUG"]), "10")),
            expect().discount("2.50").grand("42.49"),
        ),
        (
            "no matching items",
            cart(&[("TEE", 1)]).promo(item_pct("books", Target::Categories(vec![cat(BOOKS)]), "10")),
            expect().applied(&[]).explains(C::NoMatchingItems, "no item"),
        ),
        // 8 x 12.50 = 100.00; priority 2 first: 10% = 10.00, then 20% of 90.00 = 18.00 -> 28.00
        (
            "combinable percentages compound in priority order",
            cart(&[("MUG", 8)])
                .promo(item_pct("b20", Target::All, "20").with_priority(1))
                .promo(item_pct("a10", Target::All, "10").with_priority(2)),
            expect().discount("28.00").grand("72.00").applied(&["a10", "b20"]),
        ),
        // TEE 19.99 x 50% = 9.995 -> 10.00; MUG 12.50 x 50% = 6.25; 16.25 > cap 10.00.
        // Cap split in SKU order (MUG, TEE) by 6.25 : 10.00 -> 384.6 / 615.4 cents -> 384 + 615,
        // the leftover cent to the larger remainder (MUG .615): MUG 3.85, TEE 6.15.
        (
            "cap split over lines",
            cart(&[("TEE", 1), ("MUG", 1)])
                .promo(item_pct("half", Target::All, "50").with_max_discount(usd("10.00"))),
            expect()
                .discount("10.00")
                .line("MUG", "12.50", "3.85", "0", "8.65")
                .line("TEE", "19.99", "6.15", "0", "13.84")
                .explains(C::DiscountCapped, "16.25 USD capped at the maximum of 10.00 USD"),
        ),
        // a free item and 100% off: nothing goes negative, the later promotion has nothing left
        (
            "everything free",
            cart(&[("FREE", 1), ("TEE", 1)])
                .promo(item_pct("all", Target::All, "100"))
                .promo(order_off("five", "5.00")),
            expect()
                .discount("19.99")
                .grand("0.00")
                .applied(&["all"])
                .explains(C::NoDiscount, "nothing left"),
        ),
    ]);
}

#[test]
fn order_discounts() {
    run(vec![
        // 59.97 + 12.50 = 72.47 >= 50; 10% = 7.247 -> 7.25, split by 12.50 : 59.97 in SKU order:
        // MUG 125.05 -> 125, TEE 599.95 -> 599, leftover cent to TEE (.95): MUG 1.25, TEE 6.00
        (
            "percent off above a minimum, allocated",
            cart(&[("TEE", 3), ("MUG", 1)]).promo(order_pct("o10", "10").with_min_subtotal(usd("50.00"))),
            expect()
                .discount("7.25")
                .grand("65.22")
                .line("MUG", "12.50", "1.25", "0", "11.25")
                .line("TEE", "19.99", "6.00", "0", "53.97"),
        ),
        // 2 x 19.99 = 39.98 < 50.00
        (
            "minimum not met",
            cart(&[("TEE", 2)]).promo(order_pct("o10", "10").with_min_subtotal(usd("50.00"))),
            expect().discount("0").applied(&[]).explains(
                C::MinimumSubtotalNotMet,
                "minimum subtotal 50.00 USD not met (subtotal 39.98 USD)",
            ),
        ),
        // 5 x 10.00 = 50.00: the minimum is inclusive; 10% = 5.00
        (
            "minimum exactly met",
            cart(&[("BULK", 5)]).promo(order_pct("o10", "10").with_min_subtotal(usd("50.00"))),
            expect().grand("45.00"),
        ),
        // 5.00 over MUG 12.50 : TEE 19.99 (32.49): 192.37 -> 192, 307.63 -> 307, +1 to TEE
        (
            "fixed off the order",
            cart(&[("TEE", 1), ("MUG", 1)]).promo(order_off("five", "5.00")),
            expect()
                .grand("27.49")
                .line("MUG", "12.50", "1.92", "0", "10.58")
                .line("TEE", "19.99", "3.08", "0", "16.91"),
        ),
        // 100.00 off a 19.99 order: clamped to 19.99
        (
            "fixed off clamped at the order",
            cart(&[("TEE", 1)]).promo(order_off("big", "100.00")),
            expect().discount("19.99").grand("0.00").explains(C::DiscountClamped, "100.00 USD reduced"),
        ),
        // item phase first: TEE 59.97 x 10% = 6.00 -> 53.97; order 10% of (53.97 + 12.50 = 66.47)
        // = 6.647 -> 6.65 split 12.50 : 53.97 -> 125.06 / 539.94 -> MUG 1.25, TEE 5.40
        // TEE 6.00 + 5.40 = 11.40; total discount 12.65; 72.47 - 12.65 = 59.82
        (
            "order discount works on what item discounts left",
            cart(&[("TEE", 3), ("MUG", 1)])
                .promo(order_pct("o10", "10").with_min_subtotal(usd("50.00")).with_priority(99))
                .promo(item_pct("tee10", skus(&["TEE"]), "10")),
            expect()
                .discount("12.65")
                .grand("59.82")
                .line("TEE", "19.99", "11.40", "0", "48.57")
                .applied(&["tee10", "o10"]),
        ),
    ]);
}

#[test]
fn buy_x_get_y() {
    run(vec![
        // 3 clothing units -> 1 group -> the cheapest (CAP 9.99) free; 49.97 - 9.99 = 39.98
        (
            "buy 2 get 1 free, cheapest free",
            cart(&[("TEE", 2), ("CAP", 1)]).promo(bxgy("b2g1", clothing(), 2, 1, "100")),
            expect()
                .subtotal("49.97")
                .discount("9.99")
                .grand("39.98")
                .line("CAP", "9.99", "9.99", "0", "0.00"),
        ),
        // 5 units -> 1 group (5 / 3 = 1) -> one TEE free: 99.95 - 19.99 = 79.96
        (
            "five units, one group",
            cart(&[("TEE", 5)]).promo(bxgy("b2g1", clothing(), 2, 1, "100")),
            expect().discount("19.99").grand("79.96"),
        ),
        // 6 units -> 2 groups -> the 2 cheapest (both CAPs) free: 19.98 off
        (
            "two groups, cheapest first",
            cart(&[("TEE", 4), ("CAP", 2)]).promo(bxgy("b2g1", clothing(), 2, 1, "100")),
            expect().discount("19.98").line("TEE", "19.99", "0", "0", "79.96"),
        ),
        // one unit at 50%: 59.97 x 1/3 = 19.99 x 50% = 9.995 -> 10.00 (half-even)
        (
            "third at half price",
            cart(&[("TEE", 3)]).promo(bxgy("b2g1h", clothing(), 2, 1, "50")),
            expect().discount("10.00").grand("49.97"),
        ),
        (
            "not enough items",
            cart(&[("TEE", 2)]).promo(bxgy("b2g1", clothing(), 2, 1, "100")),
            expect().discount("0").explains(C::NotEnoughItems, "2 qualifying item(s) in the cart, 3 needed"),
        ),
    ]);
}

#[test]
fn coupons() {
    let save10 = || order_pct("save10", "10").with_coupon(code("SAVE10"), Some(100), Some(1));
    run(vec![
        // 59.97 x 10% = 5.997 -> 6.00
        (
            "valid coupon",
            cart(&[("TEE", 3)]).promo(save10()).coupon("SAVE10"),
            expect()
                .discount("6.00")
                .coupons(&["SAVE10"])
                .applied(&["save10"])
                .explains(C::PromotionApplied, "coupon SAVE10"),
        ),
        (
            "codes are case-insensitive",
            cart(&[("TEE", 3)]).promo(save10()).coupon("save10"),
            expect().coupons(&["SAVE10"]),
        ),
        (
            "expired coupon",
            cart(&[("TEE", 3)]).promo(save10().valid(None, Some(at(2026, 1, 31)))).coupon("SAVE10"),
            expect().discount("0").coupons(&[]).explains(C::Expired, "coupon SAVE10: expired on 2026-01-31"),
        ),
        (
            "coupon not yet valid",
            cart(&[("TEE", 3)]).promo(save10().valid(Some(at(2026, 4, 1)), None)).coupon("SAVE10"),
            expect().coupons(&[]).explains(C::NotYetActive, "not valid before 2026-04-01"),
        ),
        (
            "total usage limit reached",
            cart(&[("TEE", 3)]).promo(save10()).coupon("SAVE10").usage("SAVE10", 100, 0),
            expect().coupons(&[]).explains(C::UsageLimitReached, "usage limit reached"),
        ),
        (
            "per-customer limit reached",
            cart(&[("TEE", 3)]).promo(save10()).coupon("SAVE10").usage("SAVE10", 5, 1),
            expect().coupons(&[]).explains(C::CustomerUsageLimitReached, "limit per customer is 1"),
        ),
        (
            "under both limits",
            cart(&[("TEE", 3)]).promo(save10()).coupon("SAVE10").usage("SAVE10", 99, 0),
            expect().coupons(&["SAVE10"]),
        ),
        (
            "unknown coupon",
            cart(&[("TEE", 3)]).promo(save10()).coupon("BOGUS"),
            expect().coupons(&[]).explains(C::CouponUnknown, "coupon BOGUS: not a valid code"),
        ),
        // a coupon promotion whose code was not entered is silent
        (
            "coupon not entered",
            cart(&[("TEE", 3)]).promo(save10()),
            expect().discount("0").coupons(&[]).never(C::MinimumSubtotalNotMet),
        ),
        // the coupon is valid but gives nothing (no shipping chosen): not redeemed
        (
            "coupon without effect is not applied",
            cart(&[("TEE", 1)])
                .promo(free_ship("fs").with_coupon(code("SHIPFREE"), None, None))
                .coupon("SHIPFREE"),
            expect().coupons(&[]).applied(&[]).explains(C::NoDiscount, "coupon SHIPFREE"),
        ),
        (
            "coupon below its minimum",
            cart(&[("TEE", 1)]).promo(save10().with_min_subtotal(usd("50.00"))).coupon("SAVE10"),
            expect()
                .coupons(&[])
                .explains(C::MinimumSubtotalNotMet, "coupon SAVE10: minimum subtotal 50.00 USD not met"),
        ),
    ]);
}

#[test]
fn targeting_and_currency() {
    let vip = || item_pct("vip15", Target::All, "15").for_groups([group("vip")]);
    run(vec![
        (
            "group promotion, guest",
            cart(&[("TEE", 1)]).promo(vip()),
            expect().applied(&[]).explains(C::CustomerGroupNotEligible, "customer group"),
        ),
        // 19.99 x 15% = 2.9985 -> 3.00
        (
            "group promotion, member",
            cart(&[("TEE", 1)]).promo(vip()).group("vip"),
            expect().discount("3.00").applied(&["vip15"]),
        ),
        // a USD amount never applies to a KHR cart
        (
            "other currency",
            cart(&[("TEE", 1)]).in_currency(Currency::KHR).promo(order_off("five", "5.00")),
            expect().grand("80000").applied(&[]).explains(C::CurrencyNotSupported, "defined in USD"),
        ),
        // a percentage has no currency: 80000 x 10% = 8000
        (
            "percentage in any currency",
            cart(&[("TEE", 1)]).in_currency(Currency::KHR).promo(order_pct("o10", "10")),
            expect().grand("72000"),
        ),
    ]);
}

#[test]
fn stacking() {
    run(vec![
        // exclusive 20%: 59.97 x 20% = 11.994 -> 11.99; the combinable one is reported, not applied
        (
            "an exclusive promotion applies alone",
            cart(&[("TEE", 3)])
                .promo(item_pct("ex20", Target::All, "20").exclusive())
                .promo(order_pct("o10", "10").with_priority(5)),
            expect()
                .discount("11.99")
                .grand("47.98")
                .applied(&["ex20"])
                .explains(C::NotCombinable, "not combinable with exclusive promotion \"20% off ex20\""),
        ),
        // two exclusives: priority 2 (30%) wins: 59.97 x 30% = 17.991 -> 17.99
        (
            "highest-priority exclusive wins",
            cart(&[("TEE", 3)])
                .promo(item_pct("ex20", Target::All, "20").exclusive().with_priority(1))
                .promo(item_pct("ex30", Target::All, "30").exclusive().with_priority(2)),
            expect().discount("17.99").applied(&["ex30"]).explains(C::NotCombinable, "ex30"),
        ),
        // the exclusive free shipping has nothing to waive (no method): combinables apply
        (
            "an exclusive without effect does not block",
            cart(&[("TEE", 3)]).promo(free_ship("fs").exclusive()).promo(item_pct("t10", Target::All, "10")),
            expect()
                .discount("6.00")
                .applied(&["t10"])
                .explains(C::NoDiscount, "Free shipping")
                .never(C::NotCombinable),
        ),
        // an ineligible exclusive (minimum not met) does not block either
        (
            "an ineligible exclusive does not block",
            cart(&[("TEE", 3)])
                .promo(order_pct("big", "50").exclusive().with_min_subtotal(usd("100.00")))
                .promo(item_pct("t10", Target::All, "10")),
            expect().discount("6.00").applied(&["t10"]).never(C::NotCombinable),
        ),
    ]);
}
