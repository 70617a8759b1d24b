//! Hand-written cases, one per SDK rule and per precedence between rules. Used by
//! `khqr_errors.rs` (our answers) and by the SDK cross-check (the SDK's answers).

use commerce_bakong::khqr::crc16_hex;

pub const CREATED: i64 = 1_767_225_600_000;
pub const EXPIRES: i64 = 1_767_226_500_000;

const INDIVIDUAL: &str = r#""type":"individual","bakongAccountID":"jonhsmith@nbcq","merchantName":"Jonh Smith","creationTimestamp":1767225600000"#;
const MERCHANT: &str = r#""type":"merchant","bakongAccountID":"coffee@devb","merchantName":"Coffee Klaing","merchantID":"123456","acquiringBank":"Dev Bank","creationTimestamp":1767225600000"#;

fn individual(extra: &str) -> String {
    if extra.is_empty() { format!("{{{INDIVIDUAL}}}") } else { format!("{{{INDIVIDUAL},{extra}}}") }
}

fn merchant(extra: &str) -> String {
    if extra.is_empty() { format!("{{{MERCHANT}}}") } else { format!("{{{MERCHANT},{extra}}}") }
}

/// Later keys win in our parser and in `JSON.parse`, so `extra` can override the base.
fn long(n: usize) -> String {
    "x".repeat(n)
}

/// (what, SDK-shaped JSON, the SDK's error code or `None` for success)
pub fn generation() -> Vec<(&'static str, String, Option<u32>)> {
    let dynamic = r#""currency":840,"amount":"1.5","expirationTimestamp":1767226500000"#;
    vec![
        ("static individual", individual(""), None),
        ("static merchant", merchant(""), None),
        ("dynamic USD", individual(dynamic), None),
        ("missing account id", individual(r#""bakongAccountID":null"#), Some(1)),
        ("empty account id", individual(r#""bakongAccountID":"""#), Some(1)),
        ("account id without @", individual(r#""bakongAccountID":"jonhsmith""#), Some(3)),
        ("account id of 32 is fine", individual(&format!(r#""bakongAccountID":"{}@b""#, long(30))), None),
        ("account id of 33", individual(&format!(r#""bakongAccountID":"{}@b""#, long(31))), Some(6)),
        (
            "length is checked before the @",
            individual(&format!(r#""bakongAccountID":"{}""#, long(33))),
            Some(6),
        ),
        ("empty merchant name", individual(r#""merchantName":"""#), Some(2)),
        ("merchant name of 26", individual(&format!(r#""merchantName":"{}""#, long(26))), Some(7)),
        (
            "merchant name of 25 Khmer letters",
            individual(&format!(r#""merchantName":"{}""#, "ក".repeat(25))),
            None,
        ),
        (
            "merchant name of 13 emoji is 26 UTF-16 units",
            individual(&format!(r#""merchantName":"{}""#, "😀".repeat(13))),
            Some(7),
        ),
        (
            "USD amount with 3 decimals",
            individual(r#""currency":840,"amount":"1.234","expirationTimestamp":1767226500000"#),
            Some(4),
        ),
        (
            "KHR amount with a fraction",
            individual(r#""currency":116,"amount":1.5,"expirationTimestamp":1767226500000"#),
            Some(4),
        ),
        (
            "negative amount",
            individual(r#""currency":116,"amount":-5,"expirationTimestamp":1767226500000"#),
            Some(4),
        ),
        (
            "amount of 14 characters",
            individual(r#""currency":840,"amount":"12345678901.50","expirationTimestamp":1767226500000"#),
            Some(4),
        ),
        ("unsupported currency", individual(r#""currency":978"#), Some(28)),
        ("currency as letters", individual(r#""currency":"USD""#), Some(28)),
        ("currency text of 4", individual(r#""currency":"1160""#), Some(19)),
        ("bill number of 26", individual(&format!(r#""billNumber":"{}""#, long(26))), Some(10)),
        ("store label of 26", individual(&format!(r#""storeLabel":"{}""#, long(26))), Some(11)),
        ("terminal label of 26", individual(&format!(r#""terminalLabel":"{}""#, long(26))), Some(12)),
        ("mobile number of 26", individual(&format!(r#""mobileNumber":"{}""#, long(26))), Some(34)),
        (
            "account information of 33",
            individual(&format!(r#""accountInformation":"{}""#, long(33))),
            Some(35),
        ),
        ("purpose of 26", individual(&format!(r#""purposeOfTransaction":"{}""#, long(26))), Some(42)),
        ("merchant without merchant id", merchant(r#""merchantID":null"#), Some(30)),
        ("merchant id of 33", merchant(&format!(r#""merchantID":"{}""#, long(33))), Some(32)),
        ("merchant with empty acquiring bank", merchant(r#""acquiringBank":"""#), Some(31)),
        ("acquiring bank of 33", merchant(&format!(r#""acquiringBank":"{}""#, long(33))), Some(33)),
        (
            "individual acquiring bank of 33",
            individual(&format!(r#""acquiringBank":"{}""#, long(33))),
            Some(33),
        ),
        (
            "language preference of 3",
            individual(r#""languagePreference":"kmx","merchantNameAlternateLanguage":"ឈ្មោះ""#),
            Some(38),
        ),
        ("language preference without a name", individual(r#""languagePreference":"km""#), Some(39)),
        (
            "alternate name of 26",
            individual(&format!(
                r#""languagePreference":"km","merchantNameAlternateLanguage":"{}""#,
                long(26)
            )),
            Some(40),
        ),
        (
            "alternate city of 16",
            individual(&format!(
                r#""languagePreference":"km","merchantNameAlternateLanguage":"n","merchantCityAlternateLanguage":"{}""#,
                long(16)
            )),
            Some(41),
        ),
        ("alternate city alone is written", individual(r#""merchantCityAlternateLanguage":"ភ្នំពេញ""#), None),
        (
            "UnionPay account of 100",
            individual(&format!(r#""upiMerchantAccount":"{}""#, long(100))),
            Some(43),
        ),
        ("UnionPay account with USD", individual(r#""upiMerchantAccount":"UPI-1","currency":840"#), Some(44)),
        ("dynamic without expiration", individual(r#""currency":840,"amount":"1.5""#), Some(45)),
        (
            "expiration of 12 digits",
            individual(r#""currency":840,"amount":"1.5","expirationTimestamp":176722650000"#),
            Some(49),
        ),
        (
            "expiration before creation",
            individual(r#""currency":840,"amount":"1.5","expirationTimestamp":1767225599999"#),
            Some(50),
        ),
        (
            "expiration equal to creation",
            individual(r#""currency":840,"amount":"1.5","expirationTimestamp":1767225600000"#),
            None,
        ),
        ("merchant category code with a letter", individual(r#""merchantCategoryCode":"58a4""#), Some(51)),
        ("merchant category code of 5", individual(r#""merchantCategoryCode":"12345""#), Some(18)),
        ("merchant category code of 1 digit", individual(r#""merchantCategoryCode":"7""#), None),
        ("merchant city of 16", individual(&format!(r#""merchantCity":"{}""#, long(16))), Some(21)),
        ("zero amount is static", individual(r#""currency":840,"amount":"0.00""#), None),
        ("static ignores the expiration", individual(r#""expirationTimestamp":1"#), None),
        // Precedence: the SDK checks UnionPay, account, MCC, currency, UnionPay+USD, amount, name,
        // city, additional data, language, timestamps.
        (
            "UnionPay length before account",
            individual(&format!(r#""upiMerchantAccount":"{}","bakongAccountID":"""#, long(100))),
            Some(43),
        ),
        ("account before name", individual(r#""bakongAccountID":"","merchantName":"""#), Some(1)),
        ("MCC before currency", individual(r#""merchantCategoryCode":"5a","currency":978"#), Some(51)),
        (
            "currency before amount",
            individual(r#""currency":978,"amount":"abc","expirationTimestamp":1767226500000"#),
            Some(28),
        ),
        (
            "UnionPay+USD before amount",
            individual(
                r#""upiMerchantAccount":"U","currency":840,"amount":"1.234","expirationTimestamp":1767226500000"#,
            ),
            Some(44),
        ),
        (
            "amount before name",
            individual(
                r#""merchantName":"","currency":840,"amount":"1.234","expirationTimestamp":1767226500000"#,
            ),
            Some(4),
        ),
        (
            "additional data before language",
            individual(&format!(r#""billNumber":"{}","languagePreference":"km""#, long(26))),
            Some(10),
        ),
        (
            "language before timestamps",
            individual(r#""languagePreference":"km","currency":840,"amount":"1""#),
            Some(39),
        ),
    ]
}

/// A code from `(tag, value)` fields, with lengths in UTF-16 units and a valid CRC.
pub fn code(fields: &[(&str, &str)]) -> String {
    with_crc(
        &fields.iter().map(|(t, v)| format!("{t}{:02}{v}", v.encode_utf16().count())).collect::<String>(),
    )
}

/// `body`, `6304` and the CRC.
pub fn with_crc(body: &str) -> String {
    let mut s = body.to_owned();
    s.push_str("6304");
    let crc = crc16_hex(&s);
    s.push_str(&crc);
    s
}

const ACCOUNT: &str = "0014jonhsmith@nbcq";

/// The fields of a valid dynamic code, with `change` applied: `(tag, Some(value))` replaces or
/// appends, `(tag, None)` removes.
fn dynamic_with(change: &[(&str, Option<&str>)]) -> String {
    let mut fields: Vec<(&str, &str)> = vec![
        ("00", "01"),
        ("01", "12"),
        ("29", ACCOUNT),
        ("52", "5999"),
        ("53", "840"),
        ("54", "1.50"),
        ("58", "KH"),
        ("59", "Jonh Smith"),
        ("60", "Phnom Penh"),
        ("99", "0013176722560000001131767226500000"),
    ];
    for (tag, value) in change {
        match (fields.iter().position(|(t, _)| t == tag), value) {
            (Some(i), Some(v)) => fields[i].1 = v,
            (Some(i), None) => {
                fields.remove(i);
            }
            (None, Some(v)) => fields.push((tag, v)),
            (None, None) => {}
        }
    }
    code(&fields)
}

/// (what, code, now, our SDK-compatible error code or `None` for valid)
pub fn verification() -> Vec<(&'static str, String, i64, Option<u32>)> {
    let d = dynamic_with;
    let valid = d(&[]);
    let lower = format!("{}{}", &valid[..valid.len() - 4], valid[valid.len() - 4..].to_lowercase());
    let bad_crc = format!("{}0000", &valid[..valid.len() - 4]);
    vec![
        ("valid dynamic", valid.clone(), CREATED, None),
        ("valid at the expiration instant", valid.clone(), EXPIRES, None),
        ("expired", valid.clone(), EXPIRES + 1, Some(46)),
        ("lower-case CRC", lower, CREATED, None),
        ("wrong CRC", bad_crc, CREATED, Some(8)),
        ("no CRC", valid[..valid.len() - 8].to_owned(), CREATED, Some(8)),
        ("too short", with_crc("00"), CREATED, Some(8)),
        ("dynamic without amount", d(&[("54", None)]), CREATED, Some(47)),
        ("dynamic without timestamps", d(&[("99", None)]), CREATED, Some(45)),
        ("amount without timestamps", d(&[("01", Some("11")), ("99", None)]), CREATED, Some(45)),
        ("static with garbage timestamps", d(&[("01", Some("11")), ("99", Some("0102xx"))]), CREATED, None),
        ("missing 00", d(&[("00", None)]), CREATED, Some(23)),
        ("missing account", d(&[("29", None)]), CREATED, Some(5)),
        ("missing MCC", d(&[("52", None)]), CREATED, Some(25)),
        ("missing currency", d(&[("53", None)]), CREATED, Some(9)),
        ("missing country", d(&[("58", None)]), CREATED, Some(26)),
        ("missing name", d(&[("59", None)]), CREATED, Some(2)),
        ("missing city", d(&[("60", None)]), CREATED, Some(27)),
        ("long payload format", d(&[("00", Some("012"))]), CREATED, Some(16)),
        ("empty payload format", d(&[("00", Some(""))]), CREATED, Some(23)),
        ("long point of initiation", d(&[("01", Some("123"))]), CREATED, Some(17)),
        ("point of initiation 13", d(&[("01", Some("13"))]), CREATED, Some(48)),
        ("MCC of 5", d(&[("52", Some("12345"))]), CREATED, Some(18)),
        ("MCC with a letter", d(&[("52", Some("59a9"))]), CREATED, Some(51)),
        ("empty MCC", d(&[("52", Some(""))]), CREATED, Some(25)),
        ("empty currency", d(&[("53", Some(""))]), CREATED, Some(9)),
        ("currency of 4", d(&[("53", Some("8400"))]), CREATED, Some(19)),
        ("currency 978", d(&[("53", Some("978"))]), CREATED, Some(28)),
        ("negative amount", d(&[("54", Some("-1"))]), CREATED, Some(4)),
        ("amount of 14", d(&[("54", Some("12345678901.50"))]), CREATED, Some(4)),
        ("amount that is not a number passes the SDK", d(&[("54", Some("abc"))]), CREATED, None),
        ("country of 4", d(&[("58", Some("KHMR"))]), CREATED, Some(20)),
        ("empty name", d(&[("59", Some(""))]), CREATED, Some(2)),
        ("empty city", d(&[("60", Some(""))]), CREATED, Some(27)),
        ("city of 16", d(&[("60", Some("Phnom Penh Thmei"))]), CREATED, Some(21)),
        ("account without known sub-fields", d(&[("29", Some("0503abc"))]), CREATED, Some(1)),
        ("account id without @", d(&[("29", Some("0009jonhsmith"))]), CREATED, Some(3)),
        ("empty acquiring bank", d(&[("29", Some("0014jonhsmith@nbcq0200"))]), CREATED, Some(31)),
        (
            "merchant tag 30 is checked like 29",
            d(&[("29", None), ("30", Some("0011coffee@devb0106123456"))]),
            CREATED,
            None,
        ),
        ("empty bill number", d(&[("62", Some("0100"))]), CREATED, Some(10)),
        ("empty mobile number", d(&[("62", Some("0200"))]), CREATED, Some(34)),
        ("name in another language without preference", d(&[("64", Some("0101x"))]), CREATED, Some(37)),
        ("preference without a name", d(&[("64", Some("0002km"))]), CREATED, Some(39)),
        ("preference of 3", d(&[("64", Some("0003kmx0101x"))]), CREATED, Some(38)),
        (
            "expiration of 12 digits",
            d(&[("99", Some("001317672256000000112176722650000"))]),
            CREATED,
            Some(49),
        ),
        (
            "expiration before creation",
            d(&[("99", Some("0013176722560000101131767225600000"))]),
            CREATED,
            Some(50),
        ),
        ("expiration without creation", d(&[("99", Some("01131767226500000"))]), CREATED, None),
        ("timestamps without known sub-fields", d(&[("99", Some("0501x"))]), CREATED, Some(45)),
        ("unknown tags are allowed", d(&[("26", Some("0005hello"))]), CREATED, None),
        (
            "tag 30 with a length that is not a number",
            format!("{}30xx", &valid[..valid.len() - 8]),
            CREATED,
            Some(8),
        ),
    ]
}
