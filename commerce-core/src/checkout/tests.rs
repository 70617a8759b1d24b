use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::*;
use crate::testing::{address, priced_fixture};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}
fn rid(n: u128) -> ReservationId {
    ReservationId::from_uuid(Uuid::from_u128(n))
}
fn quote(n: u128) -> Quote {
    Quote { priced: priced_fixture(), expires_at: now() + Duration::minutes(15), reservation_id: rid(n) }
}
fn addresses() -> CheckoutAction {
    CheckoutAction::SetAddresses {
        email: Email::parse("ann@example.com").unwrap(),
        shipping: address("KH"),
        billing: None,
    }
}
fn ship(m: &str) -> CheckoutAction {
    CheckoutAction::SelectShipping(ShippingMethodId::parse(m).unwrap())
}
fn complete() -> CheckoutAction {
    CheckoutAction::Complete(OrderId::from_uuid(Uuid::from_u128(9)))
}

/// Runs actions from a fresh checkout; each step gives the state after it (or the error text)
/// and the reservation it asks to release.
fn run(actions: Vec<CheckoutAction>) -> Vec<(Result<&'static str, String>, Option<ReservationId>)> {
    let mut c = Checkout::new(
        CheckoutId::from_uuid(Uuid::from_u128(1)),
        CartId::from_uuid(Uuid::from_u128(2)),
        None,
        Currency::USD,
        now(),
    );
    actions
        .into_iter()
        .map(|a| match c.apply(a, now()) {
            Ok(e) => (Ok(c.state.as_str()), e.release_reservation),
            Err(e) => (Err(e.to_string()), None),
        })
        .collect()
}

#[test]
fn happy_path() {
    assert_eq!(
        run(vec![addresses(), ship("standard"), CheckoutAction::LockQuote(quote(1)), complete()]),
        vec![
            (Ok("addressed"), None),
            (Ok("shipping_selected"), None),
            (Ok("payment_pending"), None),
            (Ok("completed"), None),
        ]
    );
}

#[test]
fn illegal_moves_name_the_state_and_action() {
    assert_eq!(
        run(vec![ship("standard"), CheckoutAction::LockQuote(quote(1)), complete()]),
        vec![
            (Err("cannot select shipping a checkout that is open".into()), None),
            (Err("cannot lock the quote a checkout that is open".into()), None),
            (Err("cannot complete a checkout that is open".into()), None),
        ]
    );
    assert_eq!(
        run(vec![CheckoutAction::Cancel, addresses(), CheckoutAction::Expire]),
        vec![
            (Ok("cancelled"), None),
            (Err("cannot set addresses a checkout that is cancelled".into()), None),
            (Err("cannot expire a checkout that is cancelled".into()), None),
        ]
    );
}

#[test]
fn editing_an_earlier_step_moves_back_and_releases_the_reservation() {
    assert_eq!(
        run(vec![
            addresses(),
            ship("standard"),
            CheckoutAction::LockQuote(quote(1)),
            ship("express"),
            CheckoutAction::LockQuote(quote(2)),
            CheckoutAction::LockQuote(quote(3)),
            addresses(),
            complete(),
        ]),
        vec![
            (Ok("addressed"), None),
            (Ok("shipping_selected"), None),
            (Ok("payment_pending"), None),
            (Ok("shipping_selected"), Some(rid(1))),
            (Ok("payment_pending"), None),
            (Ok("payment_pending"), Some(rid(2))),
            (Ok("addressed"), Some(rid(3))),
            (Err("cannot complete a checkout that is addressed".into()), None),
        ]
    );
}

#[test]
fn cancel_and_expire_release() {
    assert_eq!(
        run(vec![addresses(), ship("standard"), CheckoutAction::LockQuote(quote(1)), CheckoutAction::Expire]),
        vec![
            (Ok("addressed"), None),
            (Ok("shipping_selected"), None),
            (Ok("payment_pending"), None),
            (Ok("expired"), Some(rid(1))),
        ]
    );
}

#[test]
fn new_address_clears_shipping_method() {
    let mut c = Checkout::new(
        CheckoutId::from_uuid(Uuid::from_u128(1)),
        CartId::from_uuid(Uuid::from_u128(2)),
        None,
        Currency::USD,
        now(),
    );
    c.apply(addresses(), now()).unwrap();
    c.apply(ship("standard"), now()).unwrap();
    c.apply(addresses(), now()).unwrap();
    assert_eq!(c.shipping_method, None);
}

#[test]
fn an_expired_quote_cannot_complete() {
    let mut c = Checkout::new(
        CheckoutId::from_uuid(Uuid::from_u128(1)),
        CartId::from_uuid(Uuid::from_u128(2)),
        None,
        Currency::USD,
        now(),
    );
    c.apply(addresses(), now()).unwrap();
    c.apply(ship("standard"), now()).unwrap();
    c.apply(CheckoutAction::LockQuote(quote(1)), now()).unwrap();
    let later = now() + Duration::minutes(15);
    assert!(matches!(c.apply(complete(), later), Err(CheckoutError::QuoteExpired(_))));
    assert_eq!(c.state, CheckoutState::PaymentPending);
}
