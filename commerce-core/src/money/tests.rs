use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;

fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}

#[test]
fn arithmetic() {
    let a = usd(dec!(10.25));
    let b = usd(dec!(0.75));
    assert_eq!(a.checked_add(b).unwrap(), usd(dec!(11.00)));
    assert_eq!(a.checked_sub(b).unwrap(), usd(dec!(9.50)));
    assert_eq!(a.negate(), usd(dec!(-10.25)));
    assert_eq!(a.times(4).unwrap(), usd(dec!(41.00)));
    // 10.25 * 0.1 = 1.025, kept exact until rounded.
    assert_eq!(a.mul_rate(dec!(0.1)).unwrap().amount(), dec!(1.025));
    assert_eq!(Money::sum(Currency::USD, [a, b, b]).unwrap(), usd(dec!(11.75)));
    // results that cancel to zero are exact whatever their scale
    assert!(usd(dec!(0)).checked_sub(usd(dec!(0.00))).unwrap().is_zero());
    assert!(usd(dec!(10.00)).checked_add(usd(dec!(-10))).unwrap().is_zero());
    assert_eq!(usd(dec!(5)).checked_sub(usd(dec!(0.00))).unwrap(), usd(dec!(5)));
    assert_eq!(usd(dec!(0.000)).checked_add(usd(dec!(5))).unwrap(), usd(dec!(5)));
}

#[test]
fn mixing_currencies_is_an_error() {
    let err = usd(dec!(1)).checked_add(Money::new(dec!(1), Currency::KHR)).unwrap_err();
    assert_eq!(err, MoneyError::CurrencyMismatch { left: Currency::USD, right: Currency::KHR });
    assert!(usd(dec!(1)).checked_sub(Money::new(dec!(1), Currency::EUR)).is_err());
    assert!(usd(dec!(1)).min(Money::new(dec!(1), Currency::EUR)).is_err());
}

#[test]
fn overflow_is_an_error() {
    let big = usd(Decimal::MAX);
    assert!(matches!(big.checked_add(usd(dec!(1))), Err(MoneyError::Overflow { .. })));
    assert!(matches!(big.negate().checked_sub(usd(dec!(1))), Err(MoneyError::Overflow { .. })));
    assert!(matches!(big.times(2), Err(MoneyError::Overflow { .. })));
    assert!(matches!(big.mul_rate(dec!(1.5)), Err(MoneyError::Overflow { .. })));
    assert!(matches!(big.to_minor_units(), Err(MoneyError::Overflow { .. })));
}

#[test]
fn rounding_strategies() {
    // (amount, strategy, expected) at 2 dp
    let cases = [
        (dec!(0.125), Rounding::HalfEven, dec!(0.12)),
        (dec!(0.135), Rounding::HalfEven, dec!(0.14)),
        (dec!(0.125), Rounding::HalfUp, dec!(0.13)),
        (dec!(-0.125), Rounding::HalfUp, dec!(-0.13)),
        (dec!(0.129), Rounding::TowardZero, dec!(0.12)),
        (dec!(-0.129), Rounding::TowardZero, dec!(-0.12)),
        (dec!(0.121), Rounding::AwayFromZero, dec!(0.13)),
        (dec!(-0.121), Rounding::AwayFromZero, dec!(-0.13)),
    ];
    for (amount, strategy, expected) in cases {
        assert_eq!(usd(amount).round(strategy).amount(), expected, "{amount} {strategy:?}");
    }
    // JPY has no minor units, KWD three.
    assert_eq!(Money::new(dec!(10.5), Currency::JPY).round(Rounding::HalfEven).amount(), dec!(10));
    assert_eq!(Money::new(dec!(1.2345), Currency::KWD).round(Rounding::HalfUp).amount(), dec!(1.235));
}

#[test]
fn cash_rounding() {
    let khr = |a| Money::new(a, Currency::KHR);
    let chf = |a| Money::new(a, Currency::CHF);
    // 12,345 riel -> 12,300 (nearest 100); 12,350 -> 12,400 half-even (123.5 -> 124).
    assert_eq!(khr(dec!(12345)).round_to_increment(dec!(100), Rounding::HalfEven).unwrap(), khr(dec!(12300)));
    assert_eq!(khr(dec!(12350)).round_to_increment(dec!(100), Rounding::HalfEven).unwrap(), khr(dec!(12400)));
    assert_eq!(khr(dec!(12250)).round_to_increment(dec!(100), Rounding::HalfEven).unwrap(), khr(dec!(12200)));
    // 1.02 CHF -> 1.00; 1.03 -> 1.05; 1.025 half-up -> 1.05 (20.5 steps -> 21).
    assert_eq!(chf(dec!(1.02)).round_to_increment(dec!(0.05), Rounding::HalfUp).unwrap(), chf(dec!(1.00)));
    assert_eq!(chf(dec!(1.03)).round_to_increment(dec!(0.05), Rounding::HalfUp).unwrap(), chf(dec!(1.05)));
    assert_eq!(chf(dec!(1.025)).round_to_increment(dec!(0.05), Rounding::HalfUp).unwrap(), chf(dec!(1.05)));
    assert!(matches!(
        chf(dec!(1)).round_to_increment(dec!(0), Rounding::HalfUp),
        Err(MoneyError::InvalidIncrement(_))
    ));
}

#[test]
fn minor_units() {
    assert_eq!(usd(dec!(59.90)).to_minor_units().unwrap(), 5990);
    assert_eq!(usd(dec!(59.9)).to_minor_units().unwrap(), 5990);
    assert_eq!(Money::new(dec!(1000), Currency::JPY).to_minor_units().unwrap(), 1000);
    assert_eq!(Money::new(dec!(1.234), Currency::KWD).to_minor_units().unwrap(), 1234);
    assert_eq!(usd(dec!(-0.01)).to_minor_units().unwrap(), -1);
    assert!(matches!(usd(dec!(0.001)).to_minor_units(), Err(MoneyError::TooPrecise { .. })));
    assert!(matches!(
        Money::new(dec!(1.5), Currency::JPY).to_minor_units(),
        Err(MoneyError::TooPrecise { .. })
    ));
    assert_eq!(Money::from_minor_units(5990, Currency::USD), usd(dec!(59.90)));
    assert_eq!(Money::from_minor_units(1234, Currency::BHD).amount(), dec!(1.234));
}

#[test]
fn allocation_examples() {
    // (total cents, weights, expected parts)
    let cases: &[(i64, &[Decimal], &[i64])] = &[
        // 10.00 over 1:1:1 -> exact shares 333.33.. each; one leftover cent to the first.
        (1000, &[dec!(1), dec!(1), dec!(1)], &[334, 333, 333]),
        // 5.00 discount over subtotals 30, 20, 50 -> 150, 100, 250 exactly.
        (500, &[dec!(30), dec!(20), dec!(50)], &[150, 100, 250]),
        // 1.00 over 1:2 -> 33.33 and 66.67: remainders .33 and .67, the cent goes to the second.
        (100, &[dec!(1), dec!(2)], &[33, 67]),
        // zero weight gets nothing
        (100, &[dec!(0), dec!(1)], &[0, 100]),
        // negative total mirrors the positive split
        (-1000, &[dec!(1), dec!(1), dec!(1)], &[-334, -333, -333]),
        // fewer units than parts: 2 cents over 3 equal parts, earlier indexes win ties
        (2, &[dec!(1), dec!(1), dec!(1)], &[1, 1, 0]),
    ];
    for (total, weights, expected) in cases {
        assert_eq!(&allocate_minor(*total, weights).unwrap()[..], *expected, "{total} over {weights:?}");
    }
    assert!(matches!(allocate_minor(1, &[]), Err(MoneyError::InvalidWeights(_))));
    assert!(matches!(allocate_minor(1, &[dec!(0)]), Err(MoneyError::InvalidWeights(_))));
    assert!(matches!(allocate_minor(1, &[dec!(-1), dec!(2)]), Err(MoneyError::InvalidWeights(_))));
    let parts = usd(dec!(10)).allocate(&[dec!(1), dec!(1), dec!(1)]).unwrap();
    assert_eq!(parts, vec![usd(dec!(3.34)), usd(dec!(3.33)), usd(dec!(3.33))]);
}

#[test]
fn serde_round_trip_and_shape() {
    let m = usd(dec!(59.9));
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"amount":"59.90","currency":"USD"}"#);
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    // trailing zeros past the currency's precision are dropped on output, so it reads back
    let wide = usd(dec!(10.500));
    assert_eq!(serde_json::to_string(&wide).unwrap(), r#"{"amount":"10.50","currency":"USD"}"#);
    assert_eq!(serde_json::from_str::<Money>(&serde_json::to_string(&wide).unwrap()).unwrap(), wide);
    assert_eq!(serde_json::to_string(&usd(dec!(0.000))).unwrap(), r#"{"amount":"0.00","currency":"USD"}"#);
    let jpy: Money = serde_json::from_str(r#"{"amount":"1000","currency":"JPY"}"#).unwrap();
    assert_eq!(jpy.amount(), dec!(1000));
}

#[test]
fn serde_rejects_bad_amounts_with_a_reason() {
    let cases = [
        (r#"{"amount":59.90,"currency":"USD"}"#, "invalid type"),
        (r#"{"amount":5990,"currency":"USD"}"#, "invalid type"),
        (r#"{"amount":"1e3","currency":"USD"}"#, "exponent"),
        (r#"{"amount":"NaN","currency":"USD"}"#, "not a finite number"),
        (r#"{"amount":" 12","currency":"USD"}"#, "whitespace"),
        (r#"{"amount":"12.345","currency":"USD"}"#, "more than 2 decimal places"),
        (r#"{"amount":"10.5","currency":"JPY"}"#, "more than 0 decimal places"),
        (r#"{"amount":"+1","currency":"USD"}"#, "expected digits"),
        (r#"{"amount":".5","currency":"USD"}"#, "expected digits"),
        (r#"{"amount":"5.","currency":"USD"}"#, "expected digits"),
        (r#"{"amount":"1,000","currency":"USD"}"#, "expected digits"),
        (r#"{"amount":"","currency":"USD"}"#, "empty"),
        (r#"{"amount":"99999999999999999999999999999999","currency":"USD"}"#, "too many digits"),
        (r#"{"amount":"1","currency":"XYZ"}"#, "unknown currency"),
        (r#"{"amount":"1"}"#, "missing field `currency`"),
    ];
    for (json, needle) in cases {
        let err = serde_json::from_str::<Money>(json).unwrap_err().to_string();
        assert!(err.contains(needle), "{json}: {err}");
    }
}

#[test]
fn display_pads_to_minor_units() {
    assert_eq!(usd(dec!(5)).to_string(), "5.00 USD");
    assert_eq!(Money::new(dec!(5), Currency::JPY).to_string(), "5 JPY");
    assert_eq!(Money::new(dec!(0.5), Currency::KWD).to_string(), "0.500 KWD");
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(n, scale)| Decimal::new(n, scale))
}

fn any_wide_decimal() -> impl Strategy<Value = Decimal> {
    (any::<[u32; 3]>(), any::<bool>(), 0u32..=28)
        .prop_map(|([lo, mid, hi], neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn money_ops_never_panic(a in any_wide_decimal(), b in any_wide_decimal(), q in any::<u32>(),
                             r in any_wide_decimal(), inc in any_wide_decimal()) {
        let x = usd(a);
        let y = usd(b);
        let _ = x.checked_add(y);
        let _ = x.checked_sub(y);
        let _ = x.times(q);
        let _ = x.mul_rate(r);
        let _ = x.to_minor_units();
        let _ = x.round_to_increment(inc, Rounding::HalfUp);
        let _ = x.allocate(&[a.abs(), b.abs(), r.abs()]);
        for s in [Rounding::HalfEven, Rounding::HalfUp, Rounding::TowardZero, Rounding::AwayFromZero] {
            let _ = x.round(s);
        }
        let _ = x.negate();
    }

    #[test]
    fn serde_round_trips_values_exact_in_minor_units(n in -(1i64 << 50)..(1i64 << 50), extra in 0u32..10) {
        let mut d = Decimal::new(n, 2);
        d.rescale(2 + extra); // same value, more trailing zeros
        let m = usd(d);
        let back: Money = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn parse_never_panics(s in ".{0,40}") {
        let _ = parse_amount(&s);
        let _ = parse_amount_for(&s, Currency::JPY);
    }

    #[test]
    fn parse_round_trips_displayed_amounts(n in any::<i64>(), scale in 0u32..=2) {
        let d = Decimal::new(n, scale);
        prop_assert_eq!(parse_amount_for(&d.to_string(), Currency::USD).unwrap(), d);
    }

    #[test]
    fn allocation_parts_sum_and_stay_within_one_unit(
        total in -1_000_000_000i64..1_000_000_000,
        weights in proptest::collection::vec(0u32..1_000_000, 1..20),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let w: Vec<Decimal> = weights.iter().map(|&x| Decimal::from(x)).collect();
        let parts = allocate_minor(total, &w).unwrap();
        prop_assert_eq!(parts.iter().sum::<i64>(), total);
        let sum: Decimal = w.iter().sum();
        for (p, wi) in parts.iter().zip(&w) {
            let exact = Decimal::from(total) * wi / sum;
            prop_assert!((Decimal::from(*p) - exact).abs() < Decimal::ONE,
                "part {} exact {}", p, exact);
        }
        // deterministic
        prop_assert_eq!(allocate_minor(total, &w).unwrap(), parts);
    }

    #[test]
    fn minor_units_round_trip(units in any::<i64>()) {
        for c in [Currency::USD, Currency::JPY, Currency::KWD] {
            prop_assert_eq!(Money::from_minor_units(units, c).to_minor_units().unwrap(), units);
        }
    }

    #[test]
    fn add_then_sub_is_identity(a in any_decimal(), b in any_decimal()) {
        let (x, y) = (usd(a), usd(b));
        if let Ok(s) = x.checked_add(y) {
            prop_assert_eq!(s.checked_sub(y).unwrap().amount(), a);
        }
    }
}
