//! The KHQR `PaymentGateway` against the sandbox: the QR it makes, and what `fetch_status`
//! answers for each state of the payment.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use commerce_bakong::api::{BakongClient, ClientConfig, RetryPolicy};
use commerce_bakong::gateway::{BakongGateway, GatewayConfig, KhqrReference};
use commerce_bakong::khqr::{self, IndividualInfo, KhqrRequest, MerchantInfo};
use commerce_bakong::poller::PendingKhqr;
use commerce_bakong::sandbox::{Fault, Sandbox, SandboxHandle};
use commerce_core::ids::{OrderId, PaymentId, RefundId};
use commerce_core::payment::{GatewayStatus, PaymentAction};
use commerce_core::ports::{
    CaptureMode, CapturePayment, FixedClock, GatewayError, NotificationRequest, PaymentGateway,
    RefundPayment, StartPayment,
};
use commerce_core::{Currency, Money};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_767_225_600_000).single().expect("valid time")
}

fn payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u64_pair(1, 1))
}

fn start_request(amount: Money, order_number: &str, expires_in: chrono::Duration) -> StartPayment {
    StartPayment {
        payment_id: payment_id(),
        order_id: OrderId::from_uuid(Uuid::from_u64_pair(2, 1)),
        order_number: order_number.into(),
        amount,
        capture: CaptureMode::Automatic,
        payment_method: None,
        expires_at: Some(t0() + expires_in),
        email: None,
        idempotency_key: "start-1".into(),
        metadata: BTreeMap::new(),
    }
}

struct Setup {
    sandbox: SandboxHandle,
    clock: Arc<FixedClock>,
    gateway: BakongGateway,
}

async fn setup(template: KhqrRequest) -> Setup {
    let sandbox = Sandbox::start("127.0.0.1:0").await.expect("sandbox");
    let client = BakongClient::new(
        ClientConfig::new(sandbox.url()).with_token(sandbox.token()).with_retry(RetryPolicy::new(
            1,
            Duration::from_millis(1),
            Duration::from_millis(2),
        )),
    )
    .expect("client");
    let clock = Arc::new(FixedClock::new(t0()));
    let config = GatewayConfig::new(template).with_expiry_grace(Duration::from_secs(30));
    let gateway = BakongGateway::new(client, clock.clone(), config);
    Setup { sandbox, clock, gateway }
}

fn individual() -> KhqrRequest {
    KhqrRequest::new(IndividualInfo::new("jonhsmith@nbcq"), "Jonh Smith")
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, Currency::USD)
}

/// Starts a payment and returns its reference and md5.
async fn started(s: &Setup, amount: Money) -> (String, String) {
    let answer = s
        .gateway
        .start(start_request(amount, "K7M2-9QXD", chrono::Duration::minutes(15)))
        .await
        .expect("start");
    let md5 = KhqrReference::parse(&answer.reference).expect("reference").md5().to_owned();
    (answer.reference, md5)
}

#[tokio::test]
async fn start_makes_a_dynamic_khqr_for_the_payment() {
    let table = [
        (individual(), usd(dec!(1.50)), "INV-2026-0001", "1.50", "840"),
        (individual(), Money::new(dec!(50000), Currency::KHR), "ORDER-42", "50000", "116"),
        (
            KhqrRequest::new(MerchantInfo::new("coffee@devb", "123456", "Dev Bank"), "Coffee Klaing"),
            usd(dec!(10.00)),
            "K7M2-9QXD",
            "10",
            "840",
        ),
    ];
    for (template, amount, order_number, amount_text, currency_code) in table {
        let s = setup(template.clone()).await;
        let expires_at = t0() + chrono::Duration::minutes(15);
        let answer = s
            .gateway
            .start(start_request(amount, order_number, chrono::Duration::minutes(15)))
            .await
            .expect("start");
        let GatewayStatus::RequiresAction { action: PaymentAction::ShowQr { qr, md5, expires_at: shown } } =
            answer.status
        else {
            panic!("{order_number}: expected ShowQr, got {:?}", answer.status);
        };
        let decoded = khqr::verify(&qr, t0().timestamp_millis()).expect("a valid KHQR");
        assert!(decoded.is_dynamic(), "{order_number}");
        assert_eq!(decoded.money(), Some(amount), "{order_number}");
        assert_eq!(decoded.amount.as_deref(), Some(amount_text), "{order_number}");
        assert_eq!(decoded.currency.as_deref(), Some(currency_code), "{order_number}");
        assert_eq!(decoded.bill_number(), Some(order_number));
        assert_eq!(decoded.created_at_ms(), Some(t0().timestamp_millis()));
        assert_eq!(decoded.expires_at_ms(), Some(expires_at.timestamp_millis()));
        assert_eq!(shown, Some(expires_at));
        assert_eq!(md5, khqr::md5_hex(&qr));
        assert_eq!(answer.reference, format!("{md5}:{qr}"));
        // The same QR the KHQR module makes for the same request at the same time.
        let direct = khqr::generate_at(
            &template.clone().amount(amount).bill_number(order_number).expires_at(expires_at),
            t0(),
        )
        .expect("generate");
        assert_eq!(direct.qr(), qr);
    }
}

#[tokio::test]
async fn start_refuses_what_a_khqr_cannot_carry() {
    let s = setup(individual()).await;
    type Expect = fn(&GatewayError) -> bool;
    let table: [(Money, &str, chrono::Duration, Expect); 6] = [
        (Money::new(dec!(10), Currency::EUR), "A-1", chrono::Duration::minutes(5), |e| {
            matches!(e, GatewayError::InvalidAmount { .. })
        }),
        (usd(dec!(1.005)), "A-2", chrono::Duration::minutes(5), |e| {
            matches!(e, GatewayError::InvalidAmount { .. })
        }),
        (Money::new(dec!(100.5), Currency::KHR), "A-3", chrono::Duration::minutes(5), |e| {
            matches!(e, GatewayError::InvalidAmount { .. })
        }),
        (usd(dec!(0)), "A-4", chrono::Duration::minutes(5), |e| {
            matches!(e, GatewayError::InvalidAmount { .. })
        }),
        (usd(dec!(1)), "A-5", chrono::Duration::minutes(-1), |e| {
            matches!(e, GatewayError::InvalidRequest(_))
        }),
        (usd(dec!(1)), "AN-ORDER-NUMBER-THAT-IS-TOO-LONG", chrono::Duration::minutes(5), |e| {
            matches!(e, GatewayError::InvalidRequest(_))
        }),
    ];
    for (amount, order_number, expires_in, expected) in table {
        let got = s.gateway.start(start_request(amount, order_number, expires_in)).await;
        match got {
            Err(e) => assert!(expected(&e), "{order_number}: unexpected {e:?}"),
            Ok(answer) => panic!("{order_number}: expected an error, got {answer:?}"),
        }
    }
    assert_eq!(s.sandbox.total_requests(), 0, "start never calls Bakong");
}

/// What `fetch_status` answers after `setup` acted on the sandbox and the clock.
async fn check(
    amount: Money,
    act: impl FnOnce(&Setup, &str),
    expected: impl FnOnce(Result<GatewayStatus, GatewayError>) -> bool,
    name: &str,
) {
    let s = setup(individual()).await;
    let (reference, md5) = started(&s, amount).await;
    act(&s, &md5);
    let got = s.gateway.fetch_status(payment_id(), &reference).await;
    if let Ok(answer) = &got {
        assert_eq!(answer.reference, reference, "{name}: the reference is kept");
    }
    let got = got.map(|a| a.status);
    let shown = format!("{got:?}");
    assert!(expected(got), "{name}: unexpected {shown}");
}

#[tokio::test]
async fn fetch_status_follows_the_payment() {
    let amount = usd(dec!(1.50));
    check(
        amount,
        |s, md5| drop(s.sandbox.pay(md5, usd(dec!(1.5)))),
        |r| r == Ok(GatewayStatus::Captured { amount }),
        "paid",
    )
    .await;
    check(
        amount,
        |s, md5| drop(s.sandbox.pay(md5, usd(dec!(1.49)))),
        |r| r == Err(GatewayError::AmountMismatch { expected: amount, reported: usd(dec!(1.49)) }),
        "paid too little",
    )
    .await;
    check(
        amount,
        |s, md5| drop(s.sandbox.pay(md5, usd(dec!(15)))),
        |r| matches!(r, Err(GatewayError::AmountMismatch { .. })),
        "paid too much",
    )
    .await;
    check(
        amount,
        |s, md5| drop(s.sandbox.pay(md5, Money::new(dec!(1.5), Currency::KHR))),
        |r| {
            r == Err(GatewayError::AmountMismatch {
                expected: amount,
                reported: Money::new(dec!(1.5), Currency::KHR),
            })
        },
        "paid in another currency",
    )
    .await;
    check(
        amount,
        |_, _| {},
        |r| matches!(r, Ok(GatewayStatus::RequiresAction { action: PaymentAction::ShowQr { .. } })),
        "not paid yet",
    )
    .await;
    check(
        amount,
        |s, _| s.clock.advance(chrono::Duration::minutes(15)),
        |r| matches!(r, Ok(GatewayStatus::RequiresAction { .. })),
        "just expired, within the grace period",
    )
    .await;
    check(
        amount,
        |s, _| s.clock.advance(chrono::Duration::minutes(15) + chrono::Duration::seconds(30)),
        |r| r == Ok(GatewayStatus::Expired),
        "expired",
    )
    .await;
    check(
        amount,
        |s, md5| {
            s.clock.advance(chrono::Duration::hours(1));
            drop(s.sandbox.pay(md5, usd(dec!(1.50))));
        },
        |r| r == Ok(GatewayStatus::Captured { amount }),
        "paid, seen after expiry: money wins",
    )
    .await;
    check(amount, |s, md5| s.sandbox.fail(md5), |r| matches!(r, Ok(GatewayStatus::Failed { .. })), "failed")
        .await;
    check(
        amount,
        |s, _| s.sandbox.expire_token(),
        |r| matches!(r, Err(GatewayError::Unauthorized(_))),
        "token expired",
    )
    .await;
    check(
        amount,
        |s, _| s.sandbox.inject_times(Fault::ServerError, 5),
        |r| matches!(r, Err(GatewayError::Unavailable(_))),
        "Bakong down",
    )
    .await;
    check(
        amount,
        |s, _| s.sandbox.inject_times(Fault::RateLimited, 5),
        |r| r == Err(GatewayError::RateLimited),
        "rate limited",
    )
    .await;
}

#[tokio::test]
async fn a_reference_is_checked_before_it_is_trusted() {
    let s = setup(individual()).await;
    let (reference, md5) = started(&s, usd(dec!(2))).await;
    let qr = reference.split_once(':').map(|(_, qr)| qr.to_owned()).expect("md5:qr");
    // The amount changed in the QR, CRC kept: the MD5 no longer matches, and with the MD5
    // recomputed the CRC does not.
    let tampered = qr.replacen("54012", "54019", 1);
    assert_ne!(tampered, qr);
    let table = [
        md5.clone(),
        format!("{md5}:"),
        format!("{md5}:{tampered}"),
        format!("{}:{tampered}", khqr::md5_hex(&tampered)),
        "garbage".to_owned(),
    ];
    for bad in table {
        let got = s.gateway.fetch_status(payment_id(), &bad).await;
        assert!(matches!(got, Err(GatewayError::InvalidRequest(_))), "{bad}: {got:?}");
    }
    assert_eq!(s.sandbox.total_requests(), 0, "nothing was asked about a bad reference");
}

#[tokio::test]
async fn capture_void_refund_and_notifications() {
    let s = setup(individual()).await;
    let amount = usd(dec!(3.25));
    let (reference, md5) = started(&s, amount).await;
    let capture = CapturePayment {
        payment_id: payment_id(),
        reference: reference.clone(),
        amount,
        idempotency_key: "capture-1".into(),
    };

    let unpaid = s.gateway.capture(capture.clone()).await;
    assert!(matches!(unpaid, Err(GatewayError::InvalidRequest(_))), "{unpaid:?}");
    s.sandbox.pay(&md5, amount);
    let paid = s.gateway.capture(capture).await.expect("paid, so captured");
    assert_eq!(paid.status, GatewayStatus::Captured { amount });

    let requests = s.sandbox.total_requests();
    let voided = s.gateway.void(payment_id(), &reference).await.expect("void");
    assert_eq!(voided.status, GatewayStatus::Voided);
    assert_eq!(s.sandbox.total_requests(), requests, "void is local");

    let refund = RefundPayment {
        payment_id: payment_id(),
        refund_id: RefundId::from_uuid(Uuid::from_u64_pair(3, 1)),
        reference: reference.clone(),
        amount,
        idempotency_key: "refund-1".into(),
    };
    assert_eq!(
        s.gateway.refund(refund).await,
        Err(GatewayError::Unsupported { operation: "refund", gateway: "bakong" })
    );
    let notification = NotificationRequest { headers: BTreeMap::new(), body: b"{}" };
    assert!(matches!(s.gateway.verify_notification(&notification), Err(GatewayError::Unsupported { .. })));

    let caps = s.gateway.capabilities();
    assert!(!caps.refund && !caps.partial_refund && !caps.notifications && !caps.manual_capture);
    assert!(caps.void);
    assert_eq!(s.gateway.name(), "bakong");
}

#[tokio::test]
async fn without_an_expiry_the_default_ttl_applies() {
    let s = setup(individual()).await;
    let mut request = start_request(usd(dec!(5)), "NO-TTL", chrono::Duration::zero());
    request.expires_at = None;
    let answer = s.gateway.start(request).await.expect("start");
    let GatewayStatus::RequiresAction { action: PaymentAction::ShowQr { expires_at, .. } } = answer.status
    else {
        panic!("expected ShowQr");
    };
    assert_eq!(expires_at, Some(t0() + chrono::Duration::minutes(15)));
}

#[tokio::test]
async fn the_reference_alone_feeds_the_poller_and_the_sandbox_pays_a_qr() {
    let s = setup(individual()).await;
    let amount = Money::new(dec!(12000), Currency::KHR);
    let (reference, md5) = started(&s, amount).await;

    let pending = PendingKhqr::from_reference(payment_id(), &reference).expect("pending");
    assert_eq!(pending.md5, md5);
    assert_eq!(pending.amount, amount);
    assert_eq!(pending.expires_at, t0() + chrono::Duration::minutes(15));
    assert!(PendingKhqr::from_reference(payment_id(), "nonsense").is_err());

    let qr = KhqrReference::parse(&reference).expect("reference").qr().to_owned();
    let hash = s.sandbox.pay_qr(&qr).expect("a dynamic QR");
    assert_eq!(hash.len(), 64);
    let answer = s.gateway.fetch_status(payment_id(), &reference).await.expect("status");
    assert_eq!(answer.status, GatewayStatus::Captured { amount });

    let static_qr =
        "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6010Phnom Penh6304856B";
    assert_eq!(s.sandbox.pay_qr(static_qr), None, "a static QR has no amount to pay");
    assert_eq!(s.sandbox.pay_qr("not a qr"), None);
}
