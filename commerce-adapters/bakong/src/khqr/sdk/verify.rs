//! Verification, rule for rule and in the order of the SDK's `BakongKHQR.verify`.

use super::generate::check_expiration;
use super::jsnum::{JsNumber, js_len, parse_int, string_to_number};
use super::scan::{KNOWN, Template, scan, template};
use crate::khqr::crc::crc16_hex;
use crate::khqr::error::{KhqrError, KhqrField as F, Result};

/// Verifies a KHQR exactly as `BakongKHQR.verify` of `bakong-khqr@1.0.20` does with `Date.now()`
/// returning `now_ms`: `Ok(())` where the SDK answers `isValid: true`, otherwise the first rule
/// that failed (the SDK only says `false`).
///
/// The checks, in order: the string ends in `6304` and four hex digits whose CRC matches; it is
/// at least 12 UTF-16 code units long; a dynamic code (`01` = `12`) has an amount and tag 99; an
/// amount has tag 99; tags 00, 29 or 30, 52, 53, 58, 59, 60 and 63 are present; then every field,
/// in the order written, passes the generation rules, and a dynamic code's expiration has 13
/// digits, is not before its creation and not before `now_ms`.
pub fn verify(qr: &str, now_ms: i64) -> Result<()> {
    let units: Vec<u16> = qr.encode_utf16().collect();
    let n = units.len();
    let is_hex = |u: &u16| u8::try_from(*u).is_ok_and(|b| b.is_ascii_hexdigit());
    if n < 8 || units[n - 8..n - 4] != [0x36, 0x33, 0x30, 0x34] || !units[n - 4..].iter().all(is_hex) {
        return Err(KhqrError::MissingCrc);
    }
    // The last four code units are ASCII, so this is a char boundary.
    let (body, found) = qr.split_at(qr.len() - 4);
    let computed = crc16_hex(body);
    if computed != found.to_ascii_uppercase() {
        return Err(KhqrError::CrcMismatch { computed, found: found.to_owned() });
    }
    if n < 12 {
        return Err(KhqrError::TooShort { length: n });
    }
    fields(&units, now_ms)
}

fn fields(units: &[u16], now_ms: i64) -> Result<()> {
    let entries: Vec<_> = scan(units)?.into_iter().filter(|e| KNOWN.contains(&e.tag.as_str())).collect();
    let has = |tag: &str| entries.iter().any(|e| e.tag == tag);
    if entries.iter().any(|e| e.tag == "01" && e.value == "12") {
        if !has("54") {
            return Err(KhqrError::DynamicWithoutAmount);
        }
        if !has("99") {
            return Err(KhqrError::Required { field: F::ExpirationTimestamp });
        }
    }
    if has("54") && !has("99") {
        return Err(KhqrError::Required { field: F::ExpirationTimestamp });
    }
    let required = [
        ("00", F::PayloadFormatIndicator),
        ("29", F::AccountTemplate),
        ("52", F::MerchantCategoryCode),
        ("53", F::Currency),
        ("58", F::CountryCode),
        ("59", F::MerchantName),
        ("60", F::MerchantCity),
        ("63", F::Crc),
    ];
    if let Some((_, field)) = required.iter().find(|(tag, _)| !has(tag)) {
        return Err(KhqrError::Required { field: *field });
    }
    let mut point_of_initiation: Option<&str> = None;
    for entry in &entries {
        let value = entry.value.as_str();
        match entry.tag.as_str() {
            "29" => account(&template(&entry.written, "29", &entry.units)?)?,
            "62" => additional_data(&template(&entry.written, "62", &entry.units)?)?,
            "64" => language(&template(&entry.written, "64", &entry.units)?)?,
            "99" => {
                let t = template(&entry.written, "99", &entry.units)?;
                if point_of_initiation == Some("12") {
                    timestamps(&t, now_ms)?;
                }
            }
            "00" => non_empty_at_most(F::PayloadFormatIndicator, value, 2)?,
            "01" => {
                point_of_initiation = Some(value);
                at_most(F::PointOfInitiation, value, 2)?;
                if value != "11" && value != "12" {
                    return Err(KhqrError::InvalidPointOfInitiation(value.to_owned()));
                }
            }
            "52" => {
                non_empty_at_most(F::MerchantCategoryCode, value, 4)?;
                if !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(KhqrError::InvalidMerchantCategoryCode(value.to_owned()));
                }
            }
            "53" => {
                non_empty_at_most(F::Currency, value, 3)?;
                if !matches!(parse_int(value), Some(116 | 840)) {
                    return Err(KhqrError::UnsupportedCurrency(value.to_owned()));
                }
            }
            "54" => {
                let invalid = |reason| KhqrError::InvalidAmount { amount: value.to_owned(), reason };
                if js_len(value) > 13 {
                    return Err(invalid("longer than 13 characters"));
                }
                if value.contains('-') {
                    return Err(invalid("negative"));
                }
                if value.is_empty() {
                    return Err(invalid("empty"));
                }
            }
            "58" => non_empty_at_most(F::CountryCode, value, 3)?,
            "59" => non_empty_at_most(F::MerchantName, value, 25)?,
            "60" => non_empty_at_most(F::MerchantCity, value, 15)?,
            "63" => non_empty_at_most(F::Crc, value, 4)?,
            // "15": at most 99 characters, which a two-digit length always is.
            _ => {}
        }
    }
    Ok(())
}

fn at_most(field: F, value: &str, max: usize) -> Result<()> {
    let length = js_len(value);
    if length > max { Err(KhqrError::InvalidLength { field, length, max }) } else { Ok(()) }
}

fn non_empty_at_most(field: F, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(KhqrError::Required { field });
    }
    at_most(field, value, max)
}

/// A sub-field that, when present, must be 1 to `max` long.
fn sub_length(field: F, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.is_empty() || js_len(v) > max => {
            Err(KhqrError::InvalidLength { field, length: js_len(v), max })
        }
        _ => Ok(()),
    }
}

/// `GlobalUniqueIdentifier` as verify builds it: always the individual branch (the decoded
/// object carries no merchant flag), so a merchant id is checked as account information.
fn account(t: &Template) -> Result<()> {
    let id = t.get("bakongAccountID").unwrap_or_default();
    if id.is_empty() {
        return Err(KhqrError::Required { field: F::BakongAccountId });
    }
    at_most(F::BakongAccountId, id, 32)?;
    if !id.contains('@') {
        return Err(KhqrError::AccountIdWithoutAt(id.to_owned()));
    }
    if let Some(info) = t.get("accountInformation") {
        at_most(F::AccountInformation, info, 32)?;
    }
    if let Some(bank) = t.get("acquiringBank") {
        if bank.is_empty() {
            return Err(KhqrError::Required { field: F::AcquiringBank });
        }
        at_most(F::AcquiringBank, bank, 32)?;
    }
    Ok(())
}

fn additional_data(t: &Template) -> Result<()> {
    sub_length(F::BillNumber, t.get("billNumber"), 25)?;
    sub_length(F::MobileNumber, t.get("mobileNumber"), 25)?;
    sub_length(F::StoreLabel, t.get("storeLabel"), 25)?;
    sub_length(F::TerminalLabel, t.get("terminalLabel"), 25)?;
    sub_length(F::PurposeOfTransaction, t.get("purposeOfTransaction"), 25)
}

fn language(t: &Template) -> Result<()> {
    let preference = t.get("languagePreference");
    let name = t.get("merchantNameAlternateLanguage");
    if preference.is_some_and(|p| !p.is_empty()) && name.is_none_or(str::is_empty) {
        return Err(KhqrError::Required { field: F::MerchantNameAlternateLanguage });
    }
    if name.is_some() {
        // The SDK throws a TypeError (reading `null.length`) here: invalid either way.
        let preference = preference.ok_or(KhqrError::Required { field: F::LanguagePreference })?;
        sub_length(F::LanguagePreference, Some(preference), 2)?;
        sub_length(F::MerchantNameAlternateLanguage, name, 25)?;
    }
    sub_length(F::MerchantCityAlternateLanguage, t.get("merchantCityAlternateLanguage"), 15)
}

/// `TimeStamp` for a dynamic code. A raw template has no fields (`Number(undefined)` is NaN); an
/// object's missing field is `null` (`Number(null)` is 0).
fn timestamps(t: &Template, now_ms: i64) -> Result<()> {
    let missing = KhqrError::Required { field: F::ExpirationTimestamp };
    let (created, expiration) = match t {
        Template::Raw => return Err(missing),
        Template::Object(_) => {
            let number = |name| t.get(name).map_or_else(|| JsNumber::from_i64(0), string_to_number);
            (number("creationTimestamp"), number("expirationTimestamp"))
        }
    };
    let created = (!created.is_nan()).then_some(created);
    check_expiration(&expiration, created.as_ref(), now_ms)
}
