//! Properties: nothing panics or loops on arbitrary input; generated codes decode and verify
//! back to what was asked; a valid code with any single character changed never still passes
//! with the old CRC.

use commerce_bakong::khqr::sdk::{self, SdkRequest};
use commerce_bakong::khqr::{self, IndividualInfo, KhqrRequest, MerchantInfo, crc16_hex};
use commerce_core::money::{Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;

const CREATED: i64 = 1_767_225_600_000;

/// Every entry point, on one string. Must return (not panic, not hang).
fn all_entry_points(s: &str) {
    let _ = khqr::decode(s);
    let _ = khqr::verify(s, CREATED);
    let _ = sdk::decode(s);
    let _ = sdk::verify(s, CREATED);
}

fn valid_codes() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        "[a-z]{1,12}@[a-z]{1,8}",
        "[A-Za-z ]{1,25}",
        proptest::option::of("[A-Za-z]{1,15}"),
        proptest::option::of(1i64..100_000_000),
        any::<bool>(),
        proptest::option::of("[A-Z0-9#-]{1,25}"),
        proptest::option::of("[0-9]{1,4}"),
    )
        .prop_map(|(merchant, account, name, city, cents, usd, bill, mcc)| {
            let mut request = if merchant {
                KhqrRequest::new(MerchantInfo::new(account, "M-1", "Dev Bank"), name)
            } else {
                KhqrRequest::new(IndividualInfo::new(account), name)
            };
            if let Some(city) = city {
                request = request.merchant_city(city);
            }
            if let Some(cents) = cents {
                let money = if usd {
                    Money::new(Decimal::new(cents, 2), Currency::USD)
                } else {
                    Money::new(Decimal::from(cents), Currency::KHR)
                };
                request = request.amount(money).expires_at_ms(CREATED + 900_000);
            }
            if let Some(bill) = bill {
                request = request.bill_number(bill);
            }
            if let Some(mcc) = mcc {
                request = request.merchant_category_code(mcc);
            }
            khqr::generate(&request, CREATED).map(khqr::Khqr::into_qr).unwrap_or_default()
        })
        .prop_filter("generation succeeded", |qr| !qr.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        all_entry_points(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        all_entry_points(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn digit_soup_with_a_valid_crc_never_panics(body in "[0-9 x@-]{0,120}") {
        // Mostly digits: the parsers see plausible tags and lengths, and the CRC passes.
        let qr = format!("{body}6304");
        let qr = format!("{qr}{}", crc16_hex(&qr));
        all_entry_points(&qr);
    }

    #[test]
    fn mutated_valid_codes_never_panic(
        qr in valid_codes(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..4),
        fix_crc in any::<bool>(),
    ) {
        let mut chars: Vec<char> = qr.chars().collect();
        for (at, c, op) in edits {
            if chars.is_empty() { break; }
            let i = at.index(chars.len());
            match op {
                0 => chars[i] = c,
                1 => { chars.remove(i); }
                _ => chars.insert(i, c),
            }
        }
        let mut mutated: String = chars.into_iter().collect();
        if fix_crc && mutated.len() > 8 && mutated.is_char_boundary(mutated.len() - 8) {
            mutated.truncate(mutated.len() - 8);
            mutated.push_str("6304");
            let crc = crc16_hex(&mutated);
            mutated.push_str(&crc);
        }
        all_entry_points(&mutated);
    }

    #[test]
    fn generated_codes_verify_and_decode_back(qr in valid_codes()) {
        let decoded = khqr::verify(&qr, CREATED);
        prop_assert!(decoded.is_ok(), "{qr}: {decoded:?}");
        prop_assert!(sdk::verify(&qr, CREATED).is_ok());
        let decoded = decoded.unwrap_or_default();
        prop_assert_eq!(&decoded.md5, &khqr::md5_hex(&qr));
        prop_assert!(decoded.unknown.is_empty());
        prop_assert_eq!(decoded.is_dynamic(), decoded.amount.is_some());
    }

    #[test]
    fn one_changed_character_fails_the_crc(qr in valid_codes(), at in any::<prop::sample::Index>(), c in "[0-9A-Za-z]") {
        // Change one character before the CRC field; keep the old CRC.
        let body: Vec<char> = qr[..qr.len() - 8].chars().collect();
        let i = at.index(body.len());
        let replacement = c.chars().next().unwrap_or('0');
        prop_assume!(body[i] != replacement);
        let mut changed = body;
        changed[i] = replacement;
        let mutated = format!("{}{}", changed.into_iter().collect::<String>(), &qr[qr.len() - 8..]);
        prop_assert!(sdk::verify(&mutated, CREATED).is_err());
        prop_assert!(khqr::verify(&mutated, CREATED).is_err());
    }

    #[test]
    fn sdk_json_input_never_panics(
        keys in proptest::collection::btree_map(
            prop::sample::select(vec![
                "bakongAccountID", "merchantName", "merchantCity", "merchantID", "acquiringBank",
                "accountInformation", "currency", "amount", "billNumber", "mobileNumber", "storeLabel",
                "terminalLabel", "purposeOfTransaction", "languagePreference",
                "merchantNameAlternateLanguage", "merchantCityAlternateLanguage", "upiMerchantAccount",
                "merchantCategoryCode", "expirationTimestamp",
            ]),
            prop_oneof![
                any::<String>().prop_map(serde_json::Value::String),
                "-?[0-9]{1,20}(\\.[0-9]{1,20})?(e-?[0-9]{1,3})?".prop_map(|n| serde_json::from_str(&n).unwrap_or(serde_json::Value::Null)),
                Just(serde_json::Value::Null),
            ],
            0..12,
        ),
        merchant in any::<bool>(),
    ) {
        let mut object: serde_json::Map<String, serde_json::Value> =
            keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert("type".into(), (if merchant { "merchant" } else { "individual" }).into());
        let line = serde_json::Value::Object(object).to_string();
        if let Ok(request) = SdkRequest::from_json(&line)
            && let Ok(code) = sdk::generate(&request.input, CREATED)
        {
            // Whatever the SDK's rules let through still has a valid CRC and parses.
            prop_assert!(code.qr().ends_with(&crc16_hex(&code.qr()[..code.qr().len() - 4])));
            prop_assert!(sdk::decode(code.qr()).is_ok());
        }
    }
}
