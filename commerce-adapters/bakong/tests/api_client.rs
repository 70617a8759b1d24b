//! The Bakong Open API client against the local sandbox: every documented answer shape, the
//! error codes, retries (counted on the server side), timeouts and exact amounts.

use std::time::Duration;

use commerce_bakong::api::{
    ApiError, BakongClient, ClientConfig, MAX_MD5_PER_CALL, Md5Outcome, RetryPolicy, SourceInfo, Token,
};
use commerce_bakong::sandbox::{Fault, Sandbox, SandboxConfig, SandboxHandle, SandboxPayment};
use commerce_core::{Currency, Money};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const MD5_A: &str = "d76c833eb7f91f710a622b84b5c86ef5";
const MD5_B: &str = "95e4f16a812e674871c2e000ac43f825";
const MD5_C: &str = "e2587cfcbff98fb792ef5c9203970a47";
const RETRIES: u32 = 2;

async fn sandbox() -> SandboxHandle {
    Sandbox::start("127.0.0.1:0").await.expect("start sandbox")
}

fn client_for(sandbox: &SandboxHandle) -> BakongClient {
    BakongClient::new(
        ClientConfig::new(sandbox.url())
            .with_token(sandbox.token())
            .with_timeout(Duration::from_millis(300))
            .with_retry(RetryPolicy::new(RETRIES, Duration::from_millis(1), Duration::from_millis(5))),
    )
    .expect("client")
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, Currency::USD)
}

#[tokio::test]
async fn paid_md5_answers_the_transaction_with_the_exact_amount() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let hash = sandbox.pay_with(
        MD5_A,
        SandboxPayment::new(usd(dec!(1.50)))
            .with_from("buyer@aba")
            .with_to("jonhsmith@nbcq")
            .with_description("order 42"),
    );
    let tx = client.check_transaction_by_md5(MD5_A).await.expect("paid");
    assert_eq!(tx.amount, usd(dec!(1.5)));
    assert_eq!(tx.hash, hash);
    assert_eq!(tx.hash.len(), 64);
    assert_eq!(tx.from_account_id, "buyer@aba");
    assert_eq!(tx.to_account_id, "jonhsmith@nbcq");
    assert_eq!(tx.description.as_deref(), Some("order 42"));
    assert!(tx.acknowledged_at.is_some_and(|ack| ack >= tx.created_at));
    // Upper-case input is the same MD5.
    let again = client.check_transaction_by_md5(&MD5_A.to_uppercase()).await.expect("paid");
    assert_eq!(again.hash, hash);
    assert_eq!(sandbox.requests("check_transaction_by_md5"), 2);
}

#[tokio::test]
async fn amounts_survive_the_wire_exactly() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    // Each is wrong in f64 (or beyond its 53-bit mantissa).
    let table = [
        usd(dec!(0.1)),
        usd(dec!(0.3)),
        usd(dec!(12345678901234567.89)),
        Money::new(dec!(9007199254740993), Currency::KHR),
    ];
    for amount in table {
        sandbox.pay(MD5_B, amount);
        let tx = client.check_transaction_by_md5(MD5_B).await.expect("paid");
        assert_eq!(tx.amount, amount);
        assert_eq!(tx.amount.amount().to_string(), amount.amount().normalize().to_string());
    }
    // And a body written by someone else, with a number f64 would print as 0.30000000000000004.
    sandbox.inject(Fault::Raw {
        status: 200,
        body: r#"{"responseCode":0,"responseMessage":"Success","errorCode":null,"data":{"hash":"ab","fromAccountId":"a@b","toAccountId":"c@d","currency":"USD","amount":0.30000000000000004,"description":null,"createdDateMs":1767225600000,"acknowledgedDateMs":null}}"#.into(),
    });
    let tx = client.check_transaction_by_md5(MD5_B).await.expect("raw body");
    assert_eq!(tx.amount.amount(), dec!(0.30000000000000004));
    assert_ne!(tx.amount.amount(), dec!(0.3));
}

/// What a sandbox set-up makes one MD5 check answer, and how many requests it took.
async fn check(
    setup: impl FnOnce(&SandboxHandle),
    expected: fn(&ApiError) -> bool,
    requests: u64,
    name: &str,
) {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    setup(&sandbox);
    match client.check_transaction_by_md5(MD5_A).await {
        Err(e) => assert!(expected(&e), "{name}: unexpected error {e:?}"),
        Ok(tx) => panic!("{name}: expected an error, got {tx:?}"),
    }
    assert_eq!(sandbox.requests("check_transaction_by_md5"), requests, "{name}: requests made");
}

#[tokio::test]
async fn md5_check_errors_and_retry_counts() {
    let all = u64::from(RETRIES) + 1;
    check(|_| {}, |e| matches!(e, ApiError::NotFound { .. }) && e.code() == Some(1), 1, "not paid").await;
    check(|s| s.fail(MD5_A), |e| matches!(e, ApiError::TransactionFailed { .. }), 1, "failed").await;
    check(|s| s.mark_static(MD5_A), |e| matches!(e, ApiError::StaticQr { .. }), 1, "static QR").await;
    check(|s| s.expire_token(), |e| matches!(e, ApiError::TokenExpired { .. }), 1, "expired token").await;
    check(
        |s| s.inject_times(Fault::RateLimited, 10),
        |e| matches!(e, ApiError::RateLimited { attempts } if *attempts == RETRIES + 1),
        all,
        "429 forever",
    )
    .await;
    check(
        |s| s.inject_times(Fault::ServerError, 10),
        |e| matches!(e, ApiError::Server { status: 500, attempts, .. } if *attempts == RETRIES + 1),
        all,
        "500 forever",
    )
    .await;
    check(
        |s| s.inject_times(Fault::Code { status: 503, error_code: 9 }, 10),
        |e| matches!(e, ApiError::CannotConnect { .. }),
        all,
        "503 cannot connect",
    )
    .await;
    check(
        |s| s.inject_times(Fault::Code { status: 200, error_code: 9 }, 10),
        |e| matches!(e, ApiError::CannotConnect { .. }),
        1,
        "200 cannot connect is an answer, not retried",
    )
    .await;
    check(
        |s| s.inject(Fault::MalformedBody),
        |e| matches!(e, ApiError::MalformedBody { .. }),
        1,
        "malformed",
    )
    .await;
    check(
        |s| s.inject(Fault::Code { status: 400, error_code: 5 }),
        |e| matches!(e, ApiError::MissingFields { .. }),
        1,
        "400 is not retried",
    )
    .await;
    check(
        |s| s.inject(Fault::Raw { status: 403, body: "<html>Forbidden</html>".into() }),
        |e| matches!(e, ApiError::Http { status: 403, .. }),
        1,
        "403 without an envelope",
    )
    .await;
    check(
        |s| s.inject(Fault::Raw { status: 404, body: String::new() }),
        |e| matches!(e, ApiError::Http { status: 404, .. }),
        1,
        "404 is not retried",
    )
    .await;
    check(
        |s| s.inject_times(Fault::Slow(Duration::from_secs(2)), 10),
        |e| matches!(e, ApiError::Timeout { attempts, timeout } if *attempts == RETRIES + 1 && *timeout == Duration::from_millis(300)),
        all,
        "slow",
    )
    .await;
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let table: [(&str, Vec<Fault>); 4] = [
        ("429 then success", vec![Fault::RateLimited]),
        ("500, 500 then success", vec![Fault::ServerError, Fault::ServerError]),
        ("slow then success", vec![Fault::Slow(Duration::from_secs(2))]),
        ("429, 500 then success", vec![Fault::RateLimited, Fault::ServerError]),
    ];
    for (name, faults) in table {
        let sandbox = sandbox().await;
        let client = client_for(&sandbox);
        sandbox.pay(MD5_C, usd(dec!(10)));
        let expected_requests = faults.len() as u64 + 1;
        for fault in faults {
            sandbox.inject(fault);
        }
        let tx = client.check_transaction_by_md5(MD5_C).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(tx.amount, usd(dec!(10)), "{name}");
        assert_eq!(sandbox.requests("check_transaction_by_md5"), expected_requests, "{name}");
    }
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error_after_retries() {
    // Nothing listens on port 1 (a fixed port, so no other test's server can take it over).
    let client = BakongClient::new(
        ClientConfig::new("http://127.0.0.1:1").with_token(Token::new("t")).with_retry(RetryPolicy::new(
            1,
            Duration::from_millis(1),
            Duration::from_millis(2),
        )),
    )
    .expect("client");
    let err = client.check_transaction_by_md5(MD5_A).await.expect_err("nobody listens");
    assert!(matches!(err, ApiError::Transport { attempts: 2, .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn md5_list_reports_each_md5() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    sandbox.pay(MD5_A, Money::new(dec!(50000), Currency::KHR));
    sandbox.fail(MD5_B);
    let answers = client
        .check_transactions_by_md5_list(&[MD5_A.into(), MD5_B.into(), MD5_C.to_uppercase()])
        .await
        .expect("list");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0].md5, MD5_A);
    assert!(
        matches!(&answers[0].outcome, Md5Outcome::Paid(tx) if tx.amount == Money::new(dec!(50000), Currency::KHR))
    );
    assert!(matches!(answers[1].outcome, Md5Outcome::Failed { .. }));
    assert_eq!(answers[2].md5, MD5_C);
    assert_eq!(answers[2].outcome, Md5Outcome::NotFound);
    assert_eq!(sandbox.requests("check_transaction_by_md5_list"), 1);
}

#[tokio::test]
async fn md5_list_size_is_checked_before_sending() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let md5s = |n: usize| (0..n).map(|i| format!("{i:032x}")).collect::<Vec<_>>();

    let full = client.check_transactions_by_md5_list(&md5s(MAX_MD5_PER_CALL)).await.expect("50 is fine");
    assert_eq!(full.len(), 50);
    assert!(full.iter().all(|a| a.outcome == Md5Outcome::NotFound));

    let err = client.check_transactions_by_md5_list(&md5s(51)).await.expect_err("51 is too many");
    assert_eq!(err, ApiError::TooManyMd5s { count: 51, max: 50 });

    assert_eq!(client.check_transactions_by_md5_list(&[]).await, Ok(vec![]));

    let err = client.check_transactions_by_md5_list(&["not-an-md5".into()]).await.expect_err("bad md5");
    assert!(matches!(err, ApiError::InvalidArgument(_)), "{err:?}");

    assert_eq!(sandbox.requests("check_transaction_by_md5_list"), 1, "only the valid call was sent");
}

#[tokio::test]
async fn hash_and_short_hash_lookups() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let hash = sandbox.pay(MD5_A, usd(dec!(2.25)));

    let tx = client.check_transaction_by_hash(&hash).await.expect("by hash");
    assert_eq!(tx.amount, usd(dec!(2.25)));
    let missing = client.check_transaction_by_hash(&"0".repeat(64)).await;
    assert!(matches!(missing, Err(ApiError::NotFound { .. })), "{missing:?}");

    let short = &hash[..8];
    let tx = client.check_transaction_by_short_hash(short, usd(dec!(2.25))).await.expect("by short hash");
    assert_eq!(tx.hash, hash);
    let wrong_amount = client.check_transaction_by_short_hash(short, usd(dec!(2.26))).await;
    assert!(matches!(wrong_amount, Err(ApiError::NotFound { .. })), "{wrong_amount:?}");
    let wrong_currency =
        client.check_transaction_by_short_hash(short, Money::new(dec!(2.25), Currency::KHR)).await;
    assert!(matches!(wrong_currency, Err(ApiError::NotFound { .. })), "{wrong_currency:?}");

    for bad in ["abc", "zzzzzzzz", "123456789"] {
        let err = client.check_transaction_by_short_hash(bad, usd(dec!(1))).await;
        assert!(matches!(err, Err(ApiError::InvalidArgument(_))), "{bad}: {err:?}");
    }
}

#[tokio::test]
async fn deep_links() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let source = SourceInfo {
        app_icon_url: "https://shop.example/icon.png".into(),
        app_name: "Shop".into(),
        app_deep_link_callback: "https://shop.example/paid".into(),
    };
    let qr = "00020101021229180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6010Phnom Penh6304856B";
    let link = client.generate_deeplink(qr, &source).await.expect("link");
    assert!(link.starts_with(sandbox.url()), "{link}");

    let refused = client.generate_deeplink("not a khqr", &source).await;
    assert!(matches!(refused, Err(ApiError::DeepLinkProvider { .. })), "{refused:?}");

    sandbox.inject(Fault::Code { status: 200, error_code: 4 });
    let provider_down = client.generate_deeplink(qr, &source).await;
    assert!(matches!(provider_down, Err(ApiError::DeepLinkProvider { .. })), "{provider_down:?}");
    assert_eq!(sandbox.requests("generate_deeplink_by_qr"), 3);
}

#[tokio::test]
async fn account_checks() {
    let sandbox = Sandbox::start_with("127.0.0.1:0", SandboxConfig::default().with_account("jonhsmith@nbcq"))
        .await
        .expect("sandbox");
    let client = client_for(&sandbox);
    type Expect = fn(&Result<(), ApiError>) -> bool;
    let table: [(&str, Expect); 5] = [
        ("jonhsmith@nbcq", |r| r.is_ok()),
        ("merchant@sandbox", |r| r.is_ok()),
        ("nobody@nbcq", |r| matches!(r, Err(ApiError::AccountNotFound { .. }))),
        ("no-at-sign", |r| matches!(r, Err(ApiError::AccountInvalid { .. }))),
        ("two@@signs", |r| matches!(r, Err(ApiError::AccountInvalid { .. }))),
    ];
    for (account, expected) in table {
        let got = client.check_bakong_account(account).await;
        assert!(expected(&got), "{account}: {got:?}");
    }
}

#[tokio::test]
async fn expired_token_is_renewed_by_email() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    sandbox.pay(MD5_A, usd(dec!(1)));
    sandbox.expire_token();
    let err = client.check_transaction_by_md5(MD5_A).await.expect_err("expired");
    assert!(matches!(err, ApiError::TokenExpired { .. }) && err.code() == Some(6), "{err:?}");

    let unknown = client.renew_token("stranger@example.com").await;
    assert!(matches!(unknown, Err(ApiError::NotRegistered { .. })), "{unknown:?}");

    let token = client.renew_token("dev@example.com").await.expect("renewed");
    assert_eq!(token, sandbox.token());
    assert_ne!(token, Token::new("sandbox-token"));
    let tx = client.check_transaction_by_md5(MD5_A).await.expect("works again");
    assert_eq!(tx.amount, usd(dec!(1)));
}

#[tokio::test]
async fn missing_or_wrong_token() {
    let sandbox = sandbox().await;
    let no_token = BakongClient::new(ClientConfig::new(sandbox.url())).expect("client");
    assert_eq!(no_token.check_transaction_by_md5(MD5_A).await, Err(ApiError::MissingToken));
    assert_eq!(sandbox.total_requests(), 0);

    let wrong =
        BakongClient::new(ClientConfig::new(sandbox.url()).with_token(Token::new("nope"))).expect("client");
    let err = wrong.check_transaction_by_md5(MD5_A).await;
    assert!(matches!(err, Err(ApiError::TokenExpired { .. })), "{err:?}");
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let secret = "eyJhbGciOiJIUzI1NiJ9.super-secret";
    let config = ClientConfig::new("https://example.invalid").with_token(Token::new(secret));
    let client = BakongClient::new(config.clone()).expect("client");
    for text in [format!("{config:?}"), format!("{client:?}"), format!("{:?}", Token::new(secret))] {
        assert!(!text.contains("super-secret"), "leaked: {text}");
        assert!(text.contains("redacted"), "{text}");
    }
}

#[test]
fn base_urls_are_validated() {
    for bad in ["not a url", "ftp://example.com", ""] {
        let got = BakongClient::new(ClientConfig::new(bad));
        assert!(matches!(got, Err(ApiError::Config(_))), "{bad:?}: {got:?}");
    }
    let ok = BakongClient::new(ClientConfig::new("http://127.0.0.1:1/prefix/")).expect("valid");
    assert_eq!(ok.base_url(), "http://127.0.0.1:1/prefix");
}
