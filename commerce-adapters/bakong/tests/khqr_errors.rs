//! Every SDK rule, and the order in which the SDK applies them, as a table: generation through
//! the SDK-shaped input, verification of hand-built codes. The same tables run against the
//! official SDK in `khqr_sdk_crosscheck.rs`.

#[path = "sdk/cases.rs"]
mod cases;

use commerce_bakong::khqr::sdk::{self, SdkRequest};
use commerce_bakong::khqr::{self, KhqrError};

fn check_generation(what: &str, json: &str, expected: Option<u32>) {
    let request = SdkRequest::from_json(json).unwrap_or_else(|e| panic!("{what}: {e}"));
    let got = sdk::generate(&request.input, request.created_at_ms.unwrap_or(cases::CREATED));
    match (expected, &got) {
        (None, Ok(code)) => {
            // A success verifies with the SDK's rules.
            assert_eq!(sdk::verify(code.qr(), cases::CREATED), Ok(()), "{what}: {}", code.qr());
        }
        (Some(code), Err(e)) => assert_eq!(e.code(), code, "{what}: {e}"),
        _ => panic!("{what}: expected {expected:?}, got {got:?}"),
    }
}

#[test]
fn generation_rules_and_their_order() {
    for (what, json, expected) in cases::generation() {
        check_generation(what, &json, expected);
    }
}

fn check_verification(what: &str, qr: &str, now: i64, expected: Option<u32>) {
    let got = sdk::verify(qr, now);
    assert_eq!(got.as_ref().err().map(KhqrError::code), expected, "{what}: {qr} -> {got:?}");
}

#[test]
fn verification_rules() {
    for (what, qr, now, expected) in cases::verification() {
        check_verification(what, &qr, now, expected);
    }
}

#[test]
fn errors_name_the_rule() {
    let request = SdkRequest::from_json(r#"{"bakongAccountID":"jonhsmith","merchantName":"x"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let err = sdk::generate(&request.input, cases::CREATED).err();
    assert_eq!(err, Some(KhqrError::AccountIdWithoutAt("jonhsmith".into())));
    assert_eq!(err.as_ref().map(KhqrError::sdk_message), Some("Bakong Account ID is invalid"));
    let expired = khqr::verify(&cases::verification()[0].1, cases::EXPIRES + 1).err();
    assert_eq!(
        expired,
        Some(KhqrError::Expired { expires_at_ms: cases::EXPIRES, now_ms: cases::EXPIRES + 1 })
    );
}

#[test]
fn template_over_99_is_refused_where_the_sdk_writes_a_corrupt_code() {
    let long = "x".repeat(25);
    let json = format!(
        r#"{{"bakongAccountID":"jonhsmith@nbcq","merchantName":"J","billNumber":"{long}","storeLabel":"{long}","terminalLabel":"{long}","purposeOfTransaction":"{long}"}}"#
    );
    let request = SdkRequest::from_json(&json).unwrap_or_else(|e| panic!("{e}"));
    let err = sdk::generate(&request.input, cases::CREATED).err();
    assert_eq!(err, Some(KhqrError::TemplateTooLong { tag: "62", length: 116 }));
    assert_eq!(err.map(|e| e.code()), Some(8));
}

#[test]
fn typed_amounts_follow_the_sdk() {
    use commerce_bakong::khqr::{IndividualInfo, KhqrRequest};
    use commerce_core::money::{Currency, Money};
    use rust_decimal::Decimal;
    /// Tag 54 as written (`None`: static), or the SDK error code.
    type Expected = Result<Option<&'static str>, u32>;
    let cases: [(Decimal, Currency, Expected); 10] = [
        (Decimal::new(150, 2), Currency::USD, Ok(Some("1.50"))),
        (Decimal::new(1000, 2), Currency::USD, Ok(Some("10"))),
        (Decimal::new(1, 2), Currency::USD, Ok(Some("0.01"))),
        (Decimal::new(1234, 3), Currency::USD, Err(4)),
        (Decimal::new(50_000, 0), Currency::KHR, Ok(Some("50000"))),
        (Decimal::new(5_000_000, 2), Currency::KHR, Ok(Some("50000"))),
        (Decimal::new(15, 1), Currency::KHR, Err(4)),
        (Decimal::ZERO, Currency::USD, Ok(None)),
        (Decimal::new(-5, 0), Currency::KHR, Err(4)),
        (Decimal::new(100, 0), Currency::EUR, Err(28)),
    ];
    for (amount, currency, expected) in cases {
        let request = KhqrRequest::new(IndividualInfo::new("jonhsmith@nbcq"), "Jonh Smith")
            .amount(Money::new(amount, currency))
            .expires_at_ms(cases::EXPIRES);
        let got = khqr::generate(&request, cases::CREATED)
            .map(|c| khqr::decode(c.qr()).ok().and_then(|d| d.amount))
            .map_err(|e| e.code());
        assert_eq!(got, expected.map(|a| a.map(str::to_owned)), "{amount} {currency}");
    }
    // 1e21 and beyond: the SDK writes "1e+21"; the typed API refuses.
    let huge = Money::new(Decimal::from_i128_with_scale(10_i128.pow(21), 0), Currency::KHR);
    let request = KhqrRequest::new(IndividualInfo::new("jonhsmith@nbcq"), "J")
        .amount(huge)
        .expires_at_ms(cases::EXPIRES);
    assert_eq!(khqr::generate(&request, cases::CREATED).err().map(|e| e.code()), Some(4));
}
