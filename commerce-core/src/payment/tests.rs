use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::*;
use crate::money::Currency;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}
fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}
fn payment(amount: Decimal) -> Payment {
    Payment::new(
        PaymentId::from_uuid(Uuid::from_u128(1)),
        OrderId::from_uuid(Uuid::from_u128(2)),
        "test",
        usd(amount),
        now(),
    )
}
fn auth(a: Decimal) -> GatewayStatus {
    GatewayStatus::Authorized { amount: usd(a) }
}
fn cap(a: Decimal) -> GatewayStatus {
    GatewayStatus::Captured { amount: usd(a) }
}

/// Applies observations in order; returns the final status and whether each one changed it.
fn run(amount: Decimal, steps: &[GatewayStatus]) -> (Payment, Vec<bool>) {
    let mut p = payment(amount);
    let changed = steps
        .iter()
        .map(|s| matches!(p.observe(s, Some("ref_1"), now()).unwrap(), Observed::Changed(_)))
        .collect();
    (p, changed)
}

#[test]
fn forward_only_sequences() {
    let qr = GatewayStatus::RequiresAction {
        action: PaymentAction::ShowQr { qr: "000201".into(), md5: "abc".into(), expires_at: None },
    };
    // (observations, final status, which observations changed the payment)
    let cases: Vec<(Vec<GatewayStatus>, PaymentStatus, Vec<bool>)> = vec![
        (vec![auth(dec!(10)), cap(dec!(10))], PaymentStatus::Captured, vec![true, true]),
        // a late "authorized" after "captured" never moves it back
        (vec![cap(dec!(10)), auth(dec!(10))], PaymentStatus::Captured, vec![true, false]),
        // replays are no-ops
        (
            vec![auth(dec!(10)), auth(dec!(10)), cap(dec!(10)), cap(dec!(10))],
            PaymentStatus::Captured,
            vec![true, false, true, false],
        ),
        (vec![qr.clone(), qr.clone(), cap(dec!(10))], PaymentStatus::Captured, vec![true, false, true]),
        // partial capture of an authorization
        (vec![auth(dec!(10)), cap(dec!(6))], PaymentStatus::PartiallyCaptured, vec![true, true]),
        // failure after capture is ignored
        (
            vec![cap(dec!(10)), GatewayStatus::Failed { reason: "x".into() }],
            PaymentStatus::Captured,
            vec![true, false],
        ),
        (
            vec![qr.clone(), GatewayStatus::Expired, GatewayStatus::Expired],
            PaymentStatus::Expired,
            vec![true, true, false],
        ),
        (
            vec![auth(dec!(10)), GatewayStatus::Voided, cap(dec!(0))],
            PaymentStatus::Voided,
            vec![true, true, false],
        ),
        // pending never changes anything
        (vec![GatewayStatus::Pending], PaymentStatus::Pending, vec![false]),
    ];
    for (steps, status, changed) in cases {
        let (p, got) = run(dec!(10), &steps);
        assert_eq!((p.status, &got), (status, &changed), "{steps:?}");
        p.check_invariants().unwrap();
    }
}

#[test]
fn late_capture_after_expiry_is_kept_and_flagged() {
    let (p, changed) = run(dec!(10), &[GatewayStatus::Expired, cap(dec!(10))]);
    assert_eq!(changed, vec![true, true]);
    assert_eq!(p.status, PaymentStatus::Captured);
    assert!(p.late_capture);
    // after a failure, a capture is a retry that worked: not late
    let (p, _) = run(dec!(10), &[GatewayStatus::Failed { reason: "declined".into() }, cap(dec!(10))]);
    assert_eq!((p.status, p.late_capture), (PaymentStatus::Captured, false));
}

#[test]
fn amounts_over_the_payment_or_in_another_currency_are_mismatches() {
    let mut p = payment(dec!(10));
    assert!(matches!(p.observe(&cap(dec!(10.01)), None, now()), Err(PaymentError::AmountMismatch { .. })));
    let khr = GatewayStatus::Captured { amount: Money::new(dec!(10), Currency::KHR) };
    assert!(matches!(p.observe(&khr, None, now()), Err(PaymentError::AmountMismatch { .. })));
    assert_eq!(p.status, PaymentStatus::Pending, "a rejected observation changes nothing");
    p.observe(&auth(dec!(8)), None, now()).unwrap();
    assert!(matches!(p.observe(&cap(dec!(9)), None, now()), Err(PaymentError::AmountMismatch { .. })));
}

#[test]
fn refunds_reserve_then_settle() {
    let (mut p, _) = run(dec!(10), &[cap(dec!(10))]);
    let r1 = RefundId::from_uuid(Uuid::from_u128(10));
    let r2 = RefundId::from_uuid(Uuid::from_u128(11));
    p.begin_refund(r1, usd(dec!(6)), None, now()).unwrap();
    // 6 in flight: only 4 left to refund
    assert_eq!(p.refundable().unwrap(), usd(dec!(4)));
    assert!(matches!(
        p.begin_refund(r2, usd(dec!(5)), None, now()),
        Err(PaymentError::RefundExceedsCaptured { .. })
    ));
    p.begin_refund(r2, usd(dec!(4)), None, now()).unwrap();
    assert!(matches!(p.complete_refund(r1, Some("re_1"), true, now()).unwrap(), Observed::Changed(_)));
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    // replay is a no-op
    assert_eq!(p.complete_refund(r1, Some("re_1"), true, now()).unwrap(), Observed::Unchanged);
    // the second fails: its 4 become refundable again
    p.complete_refund(r2, Some("re_2"), false, now()).unwrap();
    assert_eq!(p.refundable().unwrap(), usd(dec!(4)));
    assert_eq!(p.refunded, usd(dec!(6)));
    // a webhook about re_1 again changes nothing; an unknown dashboard refund of 4 completes it
    let again = GatewayStatus::RefundSucceeded { reference: "re_1".into(), amount: usd(dec!(6)) };
    assert_eq!(p.observe(&again, None, now()).unwrap(), Observed::Unchanged);
    let external = GatewayStatus::RefundSucceeded { reference: "re_x".into(), amount: usd(dec!(4)) };
    p.observe(&external, None, now()).unwrap();
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(p.refunded, usd(dec!(10)));
    let more = GatewayStatus::RefundSucceeded { reference: "re_y".into(), amount: usd(dec!(0.01)) };
    assert!(matches!(p.observe(&more, None, now()), Err(PaymentError::RefundExceedsCaptured { .. })));
}

#[test]
fn refund_rules() {
    let mut p = payment(dec!(10));
    let r = RefundId::from_uuid(Uuid::from_u128(10));
    assert!(matches!(
        p.begin_refund(r, usd(dec!(1)), None, now()),
        Err(PaymentError::InvalidTransition { .. })
    ));
    p.observe(&cap(dec!(10)), None, now()).unwrap();
    assert!(matches!(p.begin_refund(r, usd(dec!(0)), None, now()), Err(PaymentError::NonPositiveRefund(_))));
    assert!(matches!(
        p.begin_refund(r, Money::new(dec!(1), Currency::EUR), None, now()),
        Err(PaymentError::AmountMismatch { .. })
    ));
    assert!(matches!(p.complete_refund(r, None, true, now()), Err(PaymentError::UnknownRefund(_))));
}

#[test]
fn history_records_each_change_with_its_reference() {
    let (p, _) = run(dec!(10), &[auth(dec!(10)), auth(dec!(10)), cap(dec!(10))]);
    let h: Vec<_> = p.history.iter().map(|t| (t.from, t.to, t.reference.as_deref())).collect();
    assert_eq!(
        h,
        vec![
            (PaymentStatus::Pending, PaymentStatus::Authorized, Some("ref_1")),
            (PaymentStatus::Authorized, PaymentStatus::Captured, Some("ref_1")),
        ]
    );
    assert_eq!(p.reference.as_deref(), Some("ref_1"));
}

mod props {
    use proptest::prelude::*;

    use super::*;

    fn observation() -> impl Strategy<Value = GatewayStatus> {
        let amt = (0i64..=1200).prop_map(|c| usd(Decimal::new(c, 2)));
        prop_oneof![
            Just(GatewayStatus::Pending),
            amt.clone().prop_map(|amount| GatewayStatus::Authorized { amount }),
            amt.clone().prop_map(|amount| GatewayStatus::Captured { amount }),
            Just(GatewayStatus::Voided),
            Just(GatewayStatus::Expired),
            Just(GatewayStatus::Failed { reason: "declined".into() }),
            (0u8..4, amt).prop_map(|(r, amount)| GatewayStatus::RefundSucceeded {
                reference: format!("re_{r}"),
                amount
            }),
            (0u8..4).prop_map(|r| GatewayStatus::RefundFailed { reference: format!("re_{r}") }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Whatever the gateway says, in any order and any number of times, the invariants hold
        /// and the progress rank never decreases.
        #[test]
        fn invariants_hold_under_any_observations(steps in proptest::collection::vec(observation(), 0..20)) {
            let mut p = payment(dec!(10));
            for s in &steps {
                let before = p.clone();
                match p.observe(s, Some("ref"), now()) {
                    Ok(_) => prop_assert!(p.status.rank() >= before.status.rank()),
                    Err(_) => prop_assert_eq!(&p, &before),
                }
                p.check_invariants().unwrap();
                prop_assert!(p.captured.amount() >= before.captured.amount());
                prop_assert!(p.refunded.amount() >= before.refunded.amount());
            }
        }
    }
}
