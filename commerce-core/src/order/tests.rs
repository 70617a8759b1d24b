use chrono::{DateTime, Utc};

use super::*;
use crate::testing::{order_fixture, sku};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

/// Applies actions in order and returns the status after each, or the error text.
fn run(actions: Vec<OrderAction>) -> Vec<Result<OrderStatus, String>> {
    let mut o = order_fixture(&[("A", 2), ("B", 1)]);
    actions.into_iter().map(|a| o.apply(a, now()).map(|_| o.status).map_err(|e| e.to_string())).collect()
}

#[test]
fn happy_path_and_illegal_moves() {
    use OrderStatus as S;
    let got = run(vec![
        OrderAction::Ship,
        OrderAction::MarkPaid,
        OrderAction::MarkPaid,
        OrderAction::Fulfil { sku: sku("A"), quantity: 1 },
        OrderAction::Fulfil { sku: sku("A"), quantity: 2 },
        OrderAction::Fulfil { sku: sku("Z"), quantity: 1 },
        OrderAction::Fulfil { sku: sku("A"), quantity: 1 },
        OrderAction::Fulfil { sku: sku("B"), quantity: 1 },
        OrderAction::Ship,
        OrderAction::Deliver,
        OrderAction::Complete,
        OrderAction::Cancel { reason: "late".into() },
    ]);
    assert_eq!(
        got,
        vec![
            Err("cannot ship an order that is pending_payment".into()),
            Ok(S::Paid),
            Err("cannot mark paid an order that is paid".into()),
            Ok(S::PartiallyFulfilled),
            Err("cannot fulfil 2 of A: more than remains to fulfil".into()),
            Err("cannot fulfil 1 of Z: not in the order".into()),
            Ok(S::PartiallyFulfilled),
            Ok(S::Fulfilled),
            Ok(S::Shipped),
            Ok(S::Delivered),
            Ok(S::Completed),
            Err("cannot cancel an order that is completed".into()),
        ]
    );
}

#[test]
fn cancel_and_refund() {
    use OrderStatus as S;
    let usd = |a: i64| Money::from_minor_units(a, crate::money::Currency::USD);
    let got = run(vec![
        OrderAction::Refunded { total_refunded: usd(100), total_captured: usd(1000) },
        OrderAction::MarkPaid,
        OrderAction::Refunded { total_refunded: usd(100), total_captured: usd(1000) },
        OrderAction::Refunded { total_refunded: usd(1000), total_captured: usd(1000) },
    ]);
    assert_eq!(
        got,
        vec![
            Err("cannot refund an order that is pending_payment".into()),
            Ok(S::Paid),
            Ok(S::PartiallyRefunded),
            Ok(S::Refunded),
        ]
    );
    let got = run(vec![OrderAction::Cancel { reason: "changed mind".into() }, OrderAction::MarkPaid]);
    assert_eq!(got, vec![Ok(S::Cancelled), Err("cannot mark paid an order that is cancelled".into())]);
}

#[test]
fn events_of_transitions() {
    let mut o = order_fixture(&[("A", 1)]);
    assert!(matches!(o.apply(OrderAction::MarkPaid, now()).unwrap()[..], [EventKind::OrderPaid { .. }]));
    assert!(matches!(
        o.apply(OrderAction::FulfilAll, now()).unwrap()[..],
        [EventKind::OrderStatusChanged { .. }]
    ));
    let mut o = order_fixture(&[("A", 1)]);
    let ev = o.apply(OrderAction::Cancel { reason: "x".into() }, now()).unwrap();
    assert!(matches!(&ev[..], [EventKind::OrderCancelled { reason, .. }] if reason == "x"));
    assert_eq!(o.cancel_reason.as_deref(), Some("x"));
}

#[test]
fn status_words_round_trip() {
    for s in
        ["pending_payment", "paid", "fulfilled", "shipped", "cancelled", "partially_refunded", "refunded"]
    {
        assert_eq!(OrderStatus::parse(s).unwrap().as_str(), s);
    }
    assert_eq!(OrderStatus::parse("lost"), None);
}
