//! The KHQR poller against the sandbox, with a fake host (`KhqrPayments`) that records what it
//! was told.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use commerce_bakong::api::{BakongClient, ClientConfig, RetryPolicy, Transaction};
use commerce_bakong::poller::{HostError, KhqrPayments, PendingKhqr, Poller, PollerConfig, PollerError};
use commerce_bakong::sandbox::{Fault, Sandbox, SandboxHandle};
use commerce_core::ids::PaymentId;
use commerce_core::payment::GatewayStatus;
use commerce_core::ports::FixedClock;
use commerce_core::{Currency, Money};
use rust_decimal_macros::dec;
use uuid::Uuid;

/// What the poller told the host about one payment.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    Settled(GatewayStatus, String),
    Mismatch(Money),
}

#[derive(Default)]
struct FakeHost {
    pending: Mutex<Vec<PendingKhqr>>,
    told: Mutex<Vec<(PaymentId, Told)>>,
    fail_settles: Mutex<usize>,
}

impl FakeHost {
    fn told_about(&self, id: PaymentId) -> Vec<Told> {
        self.told.lock().expect("lock").iter().filter(|(p, _)| *p == id).map(|(_, t)| t.clone()).collect()
    }
    fn settled_count(&self) -> usize {
        self.told.lock().expect("lock").len()
    }
}

#[async_trait]
impl KhqrPayments for FakeHost {
    async fn pending(&self, limit: usize) -> Result<Vec<PendingKhqr>, HostError> {
        Ok(self.pending.lock().expect("lock").iter().take(limit).cloned().collect())
    }

    async fn settle(
        &self,
        payment_id: PaymentId,
        status: GatewayStatus,
        reference: &str,
    ) -> Result<(), HostError> {
        {
            let mut fail = self.fail_settles.lock().expect("lock");
            if *fail > 0 {
                *fail -= 1;
                return Err("database is down".into());
            }
        }
        self.pending.lock().expect("lock").retain(|p| p.payment_id != payment_id);
        self.told.lock().expect("lock").push((payment_id, Told::Settled(status, reference.to_owned())));
        Ok(())
    }

    async fn mismatch(&self, payment: &PendingKhqr, transaction: &Transaction) -> Result<(), HostError> {
        self.pending.lock().expect("lock").retain(|p| p.payment_id != payment.payment_id);
        self.told.lock().expect("lock").push((payment.payment_id, Told::Mismatch(transaction.amount)));
        Ok(())
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid date")
}

fn pending(n: u64, amount: Money, expires_in_minutes: i64) -> PendingKhqr {
    PendingKhqr {
        payment_id: PaymentId::from_uuid(Uuid::from_u64_pair(7, n)),
        md5: format!("{n:032x}"),
        amount,
        expires_at: now() + chrono::Duration::minutes(expires_in_minutes),
    }
}

fn usd(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::USD)
}

struct Setup {
    sandbox: SandboxHandle,
    host: Arc<FakeHost>,
    clock: Arc<FixedClock>,
    poller: Poller<Arc<FakeHost>>,
}

async fn setup(payments: Vec<PendingKhqr>, config: PollerConfig) -> Setup {
    let sandbox = Sandbox::start("127.0.0.1:0").await.expect("sandbox");
    let client = BakongClient::new(
        ClientConfig::new(sandbox.url()).with_token(sandbox.token()).with_retry(RetryPolicy::new(
            1,
            Duration::from_millis(1),
            Duration::from_millis(2),
        )),
    )
    .expect("client");
    let host = Arc::new(FakeHost::default());
    *host.pending.lock().expect("lock") = payments;
    let clock = Arc::new(FixedClock::new(now()));
    let poller = Poller::new(client, Arc::clone(&host), clock.clone(), config);
    Setup { sandbox, host, clock, poller }
}

fn config() -> PollerConfig {
    PollerConfig::default()
        .with_interval(Duration::from_millis(10))
        .with_expiry_grace(Duration::from_secs(30))
        .with_error_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn one_round_settles_what_bakong_knows() {
    let paid = pending(1, usd(150), 10);
    let waiting = pending(2, usd(150), 10);
    let short = pending(3, usd(150), 10);
    let wrong_currency = pending(4, Money::new(dec!(1.5), Currency::KHR), 10);
    let failed = pending(5, usd(150), 10);
    let overdue = pending(6, usd(150), -1);
    let in_grace = pending(7, usd(150), 0);
    let late_but_paid = pending(8, usd(999), -60);
    let s = setup(
        vec![
            paid.clone(),
            waiting.clone(),
            short.clone(),
            wrong_currency.clone(),
            failed.clone(),
            overdue.clone(),
            in_grace.clone(),
            late_but_paid.clone(),
        ],
        config(),
    )
    .await;
    let paid_hash = s.sandbox.pay(&paid.md5, usd(150));
    s.sandbox.pay(&short.md5, usd(149));
    s.sandbox.pay(&wrong_currency.md5, usd(150));
    s.sandbox.fail(&failed.md5);
    let late_hash = s.sandbox.pay(&late_but_paid.md5, usd(999));

    let report = s.poller.poll_once().await.expect("round");

    let table: Vec<(&PendingKhqr, Vec<Told>)> = vec![
        (&paid, vec![Told::Settled(GatewayStatus::Captured { amount: usd(150) }, paid_hash)]),
        (&waiting, vec![]),
        (&short, vec![Told::Mismatch(usd(149))]),
        (&wrong_currency, vec![Told::Mismatch(usd(150))]),
        (
            &failed,
            vec![Told::Settled(
                GatewayStatus::Failed { reason: "Transaction failed.".into() },
                failed.md5.clone(),
            )],
        ),
        (&overdue, vec![Told::Settled(GatewayStatus::Expired, overdue.md5.clone())]),
        (&in_grace, vec![]),
        (&late_but_paid, vec![Told::Settled(GatewayStatus::Captured { amount: usd(999) }, late_hash)]),
    ];
    for (payment, expected) in table {
        assert_eq!(s.host.told_about(payment.payment_id), expected, "payment {}", payment.md5);
    }
    assert_eq!(
        (
            report.pending,
            report.api_calls,
            report.paid,
            report.mismatched,
            report.failed,
            report.expired,
            report.waiting
        ),
        (8, 1, 2, 2, 1, 1, 2)
    );
    assert_eq!(s.sandbox.requests("check_transaction_by_md5_list"), 1);

    // After the grace period the QR that expired at `now` is settled as expired too.
    s.clock.advance(chrono::Duration::seconds(30));
    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.pending, report.expired, report.waiting), (2, 1, 1));
    assert_eq!(
        s.host.told_about(in_grace.payment_id),
        vec![Told::Settled(GatewayStatus::Expired, in_grace.md5)]
    );
}

#[tokio::test]
async fn more_than_fifty_pending_are_checked_in_batches() {
    let payments: Vec<PendingKhqr> = (1..=120).map(|n| pending(n, usd(100 + n as i64), 10)).collect();
    let s = setup(payments.clone(), config().with_round_limit(500)).await;
    for p in &payments {
        s.sandbox.pay(&p.md5, p.amount);
    }
    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.pending, report.api_calls, report.paid), (120, 3, 120));
    assert_eq!(s.sandbox.requests("check_transaction_by_md5_list"), 3);
    assert_eq!(s.host.settled_count(), 120);
    for p in &payments {
        assert!(
            matches!(&s.host.told_about(p.payment_id)[..], [Told::Settled(GatewayStatus::Captured { amount }, _)] if *amount == p.amount),
            "payment {}",
            p.md5
        );
    }
}

#[tokio::test]
async fn the_round_limit_caps_each_round() {
    let payments: Vec<PendingKhqr> = (1..=30).map(|n| pending(n, usd(100), -10)).collect();
    let s = setup(payments, config().with_round_limit(20)).await;
    let first = s.poller.poll_once().await.expect("round");
    assert_eq!((first.pending, first.expired), (20, 20));
    let second = s.poller.poll_once().await.expect("round");
    assert_eq!((second.pending, second.expired), (10, 10));
    assert_eq!(s.host.settled_count(), 30);
}

#[tokio::test]
async fn api_failures_stop_the_round_and_host_failures_are_retried() {
    let p = pending(1, usd(500), 10);
    let s = setup(vec![p.clone()], config()).await;
    s.sandbox.pay(&p.md5, usd(500));

    s.sandbox.inject_times(Fault::ServerError, 2);
    let err = s.poller.poll_once().await.expect_err("Bakong is down");
    assert!(matches!(err, PollerError::Api { .. }), "{err:?}");
    assert_eq!(s.host.settled_count(), 0);

    *s.host.fail_settles.lock().expect("lock") = 1;
    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.paid, report.host_errors), (1, 1));
    assert_eq!(s.host.settled_count(), 0, "the failed settle left it pending");

    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.paid, report.host_errors), (1, 0));
    assert_eq!(s.host.settled_count(), 1);
}

#[tokio::test]
async fn the_spawned_poller_settles_in_the_background_and_stops_on_shutdown() {
    let p = pending(1, usd(250), 10);
    let s = setup(vec![p.clone()], config()).await;
    // Bakong fails a few rounds first: the poller backs off and carries on.
    s.sandbox.inject_times(Fault::ServerError, 4);
    let host = Arc::clone(&s.host);
    let handle = s.poller.spawn();

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(host.settled_count(), 0, "not paid yet");
    s.sandbox.pay(&p.md5, usd(250));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while host.settled_count() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(matches!(&host.told_about(p.payment_id)[..], [Told::Settled(GatewayStatus::Captured { .. }, _)]));

    tokio::time::timeout(Duration::from_secs(2), handle.shutdown()).await.expect("stops promptly");
    let after = s.sandbox.total_requests();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.sandbox.total_requests(), after, "no requests after shutdown");
}

#[tokio::test]
async fn an_unknown_status_never_expires_a_payment() {
    let overdue = pending(1, usd(100), -60);
    let s = setup(vec![overdue.clone()], config()).await;
    s.sandbox.inject(Fault::Raw {
        status: 200,
        body: format!(
            r#"{{"responseCode":0,"responseMessage":"Success","errorCode":null,"data":[{{"md5":"{}","status":"PENDING","message":"in flight","data":null}}]}}"#,
            overdue.md5
        ),
    });
    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.waiting, report.expired), (1, 0));
    assert_eq!(s.host.settled_count(), 0);
    // Once Bakong says NOT_FOUND, the overdue payment expires.
    let report = s.poller.poll_once().await.expect("round");
    assert_eq!((report.waiting, report.expired), (0, 1));
}
