//! Seeded random cases for the SDK cross-check: SDK-shaped generation inputs (valid ones, then
//! with a few fields corrupted) and mutations of KHQR strings.

use std::collections::BTreeMap;

use commerce_bakong::khqr::crc16_hex;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::value::RawValue;

pub const CREATED: i64 = 1_767_225_600_000;

pub type Input = BTreeMap<String, Box<RawValue>>;

fn json_string(s: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(s).unwrap_or_else(|e| panic!("string to JSON: {e}"))
}

fn json_number(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap_or_else(|e| panic!("number {text}: {e}"))
}

fn json_null() -> Box<RawValue> {
    json_number("null")
}

const ASCII: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -#._/";
const KHMER: &[char] = &['ក', 'ខ', 'គ', 'ស', 'ៀ', 'ម', 'រ', 'ា', 'ប', 'ន', '្', 'ី'];

/// A string of exactly `units` UTF-16 code units: mostly ASCII, some Khmer, now and then an
/// emoji (two code units).
pub fn text(rng: &mut StdRng, units: usize) -> String {
    let mut s = String::new();
    let mut left = units;
    while left > 0 {
        let roll = rng.random_range(0..100);
        if roll < 4 && left >= 2 {
            s.push('😀');
            left -= 2;
            continue;
        }
        if roll < 20 {
            s.push(KHMER[rng.random_range(0..KHMER.len())]);
        } else {
            s.push(char::from(ASCII[rng.random_range(0..ASCII.len())]));
        }
        left -= 1;
    }
    s
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

fn account_id(rng: &mut StdRng) -> String {
    let name_len = rng.random_range(1..=20);
    let bank_len = rng.random_range(1..=(31 - name_len).min(10));
    let name: String = (0..name_len).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect();
    let bank: String = (0..bank_len).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect();
    format!("{name}@{bank}")
}

/// A valid request in the SDK's shape: each optional field drawn independently.
pub fn valid_input(rng: &mut StdRng) -> Input {
    let mut m = Input::new();
    let merchant = rng.random_bool(0.5);
    m.insert("type".into(), json_string(if merchant { "merchant" } else { "individual" }));
    m.insert("bakongAccountID".into(), json_string(&account_id(rng)));
    let name_len = rng.random_range(1..=25);
    m.insert("merchantName".into(), json_string(&text(rng, name_len)));
    if rng.random_bool(0.7) {
        let len = rng.random_range(1..=15);
        m.insert("merchantCity".into(), json_string(&text(rng, len)));
    }
    if merchant {
        let len = rng.random_range(1..=32);
        m.insert("merchantID".into(), json_string(&text(rng, len)));
        let len = rng.random_range(1..=32);
        m.insert("acquiringBank".into(), json_string(&text(rng, len)));
    } else {
        for key in ["accountInformation", "acquiringBank"] {
            if rng.random_bool(0.3) {
                let len = rng.random_range(1..=32);
                m.insert(key.into(), json_string(&text(rng, len)));
            }
        }
    }
    let khr = rng.random_bool(0.5);
    let currency = if khr { "116" } else { "840" };
    m.insert(
        "currency".into(),
        if rng.random_bool(0.8) { json_number(currency) } else { json_string(currency) },
    );
    if rng.random_bool(0.6) {
        let amount = if khr {
            rng.random_range(1..1_000_000_000u64).to_string()
        } else {
            let cents = rng.random_range(1..10_000_000u64);
            match rng.random_range(0..3) {
                0 => format!("{}.{:02}", cents / 100, cents % 100),
                1 => format!("{}.{}", cents / 100, cents % 10),
                _ => (cents / 100 + 1).to_string(),
            }
        };
        m.insert(
            "amount".into(),
            if rng.random_bool(0.5) { json_number(&amount) } else { json_string(&amount) },
        );
        let expires = (CREATED + rng.random_range(0..100_000_000)).to_string();
        m.insert(
            "expirationTimestamp".into(),
            if rng.random_bool(0.7) { json_number(&expires) } else { json_string(&expires) },
        );
    } else if rng.random_bool(0.3) {
        let zero = ["0", "\"0\"", "\"0.00\"", "null"][rng.random_range(0..4)];
        m.insert("amount".into(), json_number(zero));
    }
    // Now and then every additional field, long: tag 62 then passes 99 characters.
    let (share, shortest) = if rng.random_bool(0.1) { (1.0, 18) } else { (0.25, 1) };
    for key in ["billNumber", "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction"] {
        if rng.random_bool(share) {
            let len = rng.random_range(shortest..=25);
            let value = if key == "mobileNumber" { digits(rng, len) } else { text(rng, len) };
            m.insert(key.into(), json_string(&value));
        }
    }
    if rng.random_bool(0.2) {
        m.insert("languagePreference".into(), json_string(["km", "k", "en"][rng.random_range(0..3)]));
        let len = rng.random_range(1..=25);
        m.insert("merchantNameAlternateLanguage".into(), json_string(&text(rng, len)));
        if rng.random_bool(0.5) {
            let len = rng.random_range(1..=15);
            m.insert("merchantCityAlternateLanguage".into(), json_string(&text(rng, len)));
        }
    }
    if khr && rng.random_bool(0.1) {
        let len = rng.random_range(1..=99);
        m.insert("upiMerchantAccount".into(), json_string(&text(rng, len)));
    }
    if rng.random_bool(0.3) {
        let len = rng.random_range(1..=4);
        let mcc = digits(rng, len);
        let value = if rng.random_bool(0.3) {
            json_number(&mcc.parse::<u32>().unwrap_or_default().to_string())
        } else {
            json_string(&mcc)
        };
        m.insert("merchantCategoryCode".into(), value);
    }
    let created =
        if rng.random_bool(0.85) { CREATED } else { rng.random_range(1_600_000_000_000..1_900_000_000_000) };
    m.insert("creationTimestamp".into(), json_number(&created.to_string()));
    m
}

/// Replaces one field with something the SDK's rules may refuse.
pub fn corrupt(rng: &mut StdRng, m: &mut Input) {
    const TEXT_KEYS: [(&str, usize); 13] = [
        ("bakongAccountID", 32),
        ("merchantName", 25),
        ("merchantCity", 15),
        ("merchantID", 32),
        ("acquiringBank", 32),
        ("accountInformation", 32),
        ("billNumber", 25),
        ("mobileNumber", 25),
        ("storeLabel", 25),
        ("terminalLabel", 25),
        ("purposeOfTransaction", 25),
        ("merchantNameAlternateLanguage", 25),
        ("merchantCityAlternateLanguage", 15),
    ];
    let pick = |rng: &mut StdRng, list: &[&str]| list[rng.random_range(0..list.len())].to_owned();
    match rng.random_range(0..12) {
        0 | 1 => {
            let (key, max) = TEXT_KEYS[rng.random_range(0..TEXT_KEYS.len())];
            let value = match rng.random_range(0..4) {
                0 => None,
                1 => Some(json_null()),
                2 => Some(json_string("")),
                _ => {
                    let len = max + rng.random_range(1..4);
                    Some(json_string(&text(rng, len)))
                }
            };
            match value {
                Some(v) => m.insert(key.into(), v),
                None => m.remove(key),
            };
        }
        2 => {
            let len = rng.random_range(1..=20);
            m.insert("bakongAccountID".into(), json_string(&text(rng, len).replace('@', "")));
        }
        3 | 4 => {
            let raw = pick(
                rng,
                &[
                    "\"1.234\"",
                    "-5",
                    "\"-1\"",
                    "\"abc\"",
                    "\"abc.1\"",
                    "\"1e3\"",
                    "\"1.e5\"",
                    "\" 12 \"",
                    "\"0x10\"",
                    "\"1.2.3\"",
                    "\"1.\"",
                    "\".5\"",
                    "\"-0\"",
                    "\"+5\"",
                    "\"Infinity\"",
                    "1e21",
                    "1.5e-7",
                    "1234567890123.5",
                    "99999999999999",
                    "\"12345678901234\"",
                    "1.5",
                    "\"5e4\"",
                    "0.001",
                    "\"0\"",
                    "\"\"",
                    "\" \"",
                    "12.34",
                    "\"1,5\"",
                    "100000000000000000000000",
                    "\"1.5x\"",
                    "\"x.12\"",
                ],
            );
            m.insert("amount".into(), json_number(&raw));
            if !m.contains_key("expirationTimestamp") && rng.random_bool(0.7) {
                m.insert("expirationTimestamp".into(), json_number("1767226500000"));
            }
        }
        5 => {
            let raw = pick(
                rng,
                &[
                    "978", "\"USD\"", "\"1160\"", "116.5", "840.25", "0", "\"\"", "null", "\"84\"",
                    "\"116\"", "-116", "1e21", "\" 840\"",
                ],
            );
            m.insert("currency".into(), json_number(&raw));
        }
        6 => {
            let raw = pick(
                rng,
                &["\"12345\"", "\"58a4\"", "\"0\"", "\"\"", "58.1", "0", "\"-1\"", "12345", "\"٣\"", "7"],
            );
            m.insert("merchantCategoryCode".into(), json_number(&raw));
        }
        7 | 8 => {
            let raw = pick(
                rng,
                &[
                    "176722650000",
                    "17672265000000",
                    "1767225599999",
                    "\"abc\"",
                    "0",
                    "\"0\"",
                    "\"1767226500000\"",
                    "\" 1767226500000 \"",
                    "\"17672265000.5\"",
                    "\"-176722650000\"",
                    "1.7672265e12",
                    "\"0x19B7E6D4C20\"",
                ],
            );
            m.insert("expirationTimestamp".into(), json_number(&raw));
            if !m.contains_key("amount") {
                m.insert("amount".into(), json_number("\"25\""));
            }
        }
        9 => {
            m.insert("upiMerchantAccount".into(), json_string("UPI-ACCOUNT-1"));
            if rng.random_bool(0.5) {
                m.insert("currency".into(), json_number("840"));
            }
        }
        10 => match rng.random_range(0..4) {
            0 => {
                m.insert("languagePreference".into(), json_string("km"));
                m.remove("merchantNameAlternateLanguage");
            }
            1 => {
                m.remove("languagePreference");
                m.insert("merchantNameAlternateLanguage".into(), json_string("ឈ្មោះ"));
            }
            2 => {
                m.insert("languagePreference".into(), json_string("kmx"));
                m.insert("merchantNameAlternateLanguage".into(), json_string("ឈ្មោះ"));
            }
            _ => {
                m.remove("languagePreference");
                m.remove("merchantNameAlternateLanguage");
                m.insert("merchantCityAlternateLanguage".into(), json_string("ភ្នំពេញ"));
            }
        },
        _ => {
            m.remove("expirationTimestamp");
        }
    }
}

/// A generation case: valid, or valid with one to three fields corrupted.
pub fn input(rng: &mut StdRng) -> Input {
    let mut m = valid_input(rng);
    let corruptions = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=7 => 1,
        _ => rng.random_range(2..=3),
    };
    for _ in 0..corruptions {
        corrupt(rng, &mut m);
    }
    m
}

/// Top-level `TT LL VALUE` fields of a well-formed code (lengths in UTF-16 code units).
pub fn split_fields(qr: &str) -> Vec<(String, String)> {
    let units: Vec<u16> = qr.encode_utf16().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= units.len() {
        let head = String::from_utf16_lossy(&units[i..i + 4]);
        let Ok(len) = head[2..].parse::<usize>() else { break };
        let end = (i + 4 + len).min(units.len());
        out.push((head[..2].to_owned(), String::from_utf16_lossy(&units[i + 4..end])));
        i = end;
    }
    out
}

fn join(fields: &[(String, String)]) -> String {
    fields.iter().map(|(t, v)| format!("{t}{:02}{v}", v.encode_utf16().count())).collect()
}

/// The body of a code (everything before `6304`) with a fresh CRC.
pub fn with_crc(body: &str) -> String {
    let mut s = format!("{body}6304");
    let crc = crc16_hex(&s);
    s.push_str(&crc);
    s
}

fn random_char(rng: &mut StdRng) -> char {
    const CHARS: &[u8] = b"0123456789012345678901234567890123456789abcXYZ -@.";
    if rng.random_bool(0.05) { 'ស' } else { char::from(CHARS[rng.random_range(0..CHARS.len())]) }
}

/// A mutation of a well-formed code's body (without its CRC field).
pub fn mutate_body(rng: &mut StdRng, body: &str) -> String {
    let mut fields: Vec<(String, String)> = split_fields(body);
    let mut chars: Vec<char> = body.chars().collect();
    // Arm 10 (lengths that make the SDK loop forever) is drawn a third as often as the others:
    // each true hang costs the harness a timeout.
    let arm = match rng.random_range(0..34) {
        n @ 0..=29 => n / 3,
        30 => 10,
        _ => 11,
    };
    match arm {
        0 if !chars.is_empty() => {
            let i = rng.random_range(0..chars.len());
            chars[i] = random_char(rng);
            chars.into_iter().collect()
        }
        1 if !chars.is_empty() => {
            chars.remove(rng.random_range(0..chars.len()));
            chars.into_iter().collect()
        }
        2 => {
            let i = rng.random_range(0..=chars.len());
            chars.insert(i, random_char(rng));
            chars.into_iter().collect()
        }
        3 if !fields.is_empty() => {
            // Rewrite one field's length.
            let i = rng.random_range(0..fields.len());
            let len = fields[i].1.encode_utf16().count() as i64;
            let written = [
                format!("{:02}", (len + 1).min(99)),
                format!("{:02}", (len - 1).max(0)),
                " 5".to_owned(),
                "-1".to_owned(),
                "xx".to_owned(),
                "-4".to_owned(),
            ][rng.random_range(0..6)]
            .clone();
            let mut out = join(&fields[..i]);
            out.push_str(&fields[i].0);
            out.push_str(&written);
            out.push_str(&fields[i].1);
            out.push_str(&join(&fields[i + 1..]));
            out
        }
        4 if !fields.is_empty() => {
            let i = rng.random_range(0..fields.len());
            let f = fields[i].clone();
            let at = rng.random_range(0..=fields.len());
            fields.insert(at, f);
            join(&fields)
        }
        5 if !fields.is_empty() => {
            fields.remove(rng.random_range(0..fields.len()));
            join(&fields)
        }
        6 if fields.len() > 1 => {
            let i = rng.random_range(0..fields.len() - 1);
            fields.swap(i, i + 1);
            join(&fields)
        }
        7 => {
            let at = rng.random_range(0..=fields.len());
            fields.insert(at, ("26".into(), "hello".into()));
            join(&fields)
        }
        8 => {
            for f in fields.iter_mut().filter(|f| f.0 == "01") {
                f.1 = ["11", "12", "13", "1", ""][rng.random_range(0..5)].into();
            }
            join(&fields)
        }
        9 if !fields.is_empty() => {
            // Empty or rewrite one (sub-)field value.
            let i = rng.random_range(0..fields.len());
            let templates = ["29", "30", "62", "64", "99"];
            if templates.contains(&fields[i].0.as_str()) && rng.random_bool(0.7) {
                let mut subs = split_fields(&fields[i].1);
                if !subs.is_empty() {
                    let j = rng.random_range(0..subs.len());
                    subs[j].1 = ["", "-1", "x", "12345678901234567890123456"][rng.random_range(0..4)].into();
                    if rng.random_bool(0.2) {
                        subs[j].0 = ["00", "01", "05", "99"][rng.random_range(0..4)].into();
                    }
                }
                fields[i].1 = join(&subs);
            } else {
                fields[i].1 = ["", "-1", "0", "abc", "1.5", "11"][rng.random_range(0..6)].into();
            }
            join(&fields)
        }
        10 => {
            // A template whose sub-field lengths are not numbers.
            let at = rng.random_range(0..=fields.len());
            let tag = ["62", "29", "64", "99"][rng.random_range(0..4)];
            fields.insert(at, (tag.into(), ["01xx", "0", "01-4ab", "ab"][rng.random_range(0..4)].into()));
            join(&fields)
        }
        _ => {
            let n = rng.random_range(0..40);
            (0..n).map(|_| random_char(rng)).collect()
        }
    }
}
