//! Generation, step for step as the SDK's `generateKHQR` does it.

use super::SdkInput;
use super::jsnum::{JsNumber, Loose, js_len, parse_float, parse_int};
use crate::khqr::crc::{crc16_hex, md5_hex};
use crate::khqr::error::{KhqrError, KhqrField as F, Result};
use crate::khqr::{AccountKind, Khqr};

/// Longest value a two-digit length can describe.
const MAX_FIELD: usize = 99;

/// Options the typed API adds on top of the SDK's rules.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Strictness {
    /// Refuse amounts the SDK would write in exponent notation (`1e+21`).
    pub plain_amount: bool,
}

/// Appends `TT LL VALUE` to `out`.
pub(crate) fn push_field(out: &mut String, tag: &str, value: &str) {
    use std::fmt::Write;
    let _ = write!(out, "{tag}{:02}{value}", js_len(value));
}

fn sub(tag: &str, value: &str) -> String {
    let mut s = String::new();
    push_field(&mut s, tag, value);
    s
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn present_loose(v: &Option<Loose>) -> Option<&Loose> {
    v.as_ref().filter(|l| !l.loose_eq_empty())
}

fn at_most(field: F, value: &str, max: usize) -> Result<()> {
    let length = js_len(value);
    if length > max { Err(KhqrError::InvalidLength { field, length, max }) } else { Ok(()) }
}

fn required(field: F, value: &Option<String>) -> Result<&str> {
    present(value).ok_or(KhqrError::Required { field })
}

/// Generates a KHQR from SDK-shaped input, as `generateIndividual` / `generateMerchant` of
/// `bakong-khqr@1.0.20` would with `Date.now()` returning `created_at_ms`.
pub fn generate(input: &SdkInput, created_at_ms: i64) -> Result<Khqr> {
    generate_with(input, created_at_ms, Strictness::default())
}

pub(crate) fn generate_with(input: &SdkInput, created_at_ms: i64, strict: Strictness) -> Result<Khqr> {
    // The SDK's `IndividualInfo` drops optional values that are null, undefined, "" or 0.
    let amount = present_loose(&input.amount);
    let currency =
        present_loose(&input.currency).cloned().unwrap_or_else(|| Loose::Number(JsNumber::from_i64(116)));
    let dynamic = amount.is_some_and(|a| !a.to_number().is_zero());

    let upi = present(&input.upi_merchant_account);
    if let Some(upi) = upi {
        at_most(F::UpiMerchantAccount, upi, 99)?;
    }

    let account = account_template(input)?;

    let mcc = match present_loose(&input.merchant_category_code) {
        None => "5999".to_owned(),
        Some(l) => l.to_js_string().ok_or(KhqrError::ImpreciseNumber { field: F::MerchantCategoryCode })?,
    };
    if mcc.is_empty() {
        return Err(KhqrError::Required { field: F::MerchantCategoryCode });
    }
    at_most(F::MerchantCategoryCode, &mcc, 4)?;
    if !mcc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KhqrError::InvalidMerchantCategoryCode(mcc));
    }

    let currency_text = currency_text(&currency)?;
    if upi.is_some() && currency.loose_eq_i64(840) == Some(true) {
        return Err(KhqrError::UpiWithUsd);
    }

    let amount_text = match amount {
        Some(a) if dynamic => Some(amount_text(a, &currency, strict)?),
        _ => None,
    };

    let name = required(F::MerchantName, &input.merchant_name)?;
    at_most(F::MerchantName, name, 25)?;
    let city = present(&input.merchant_city).unwrap_or("Phnom Penh");
    at_most(F::MerchantCity, city, 15)?;

    let additional = additional_data(input)?;
    let language = language_template(input)?;

    let timestamps = if dynamic { Some(timestamps(input, created_at_ms, created_at_ms)?) } else { None };

    let mut fields: Vec<(&'static str, String)> =
        vec![("00", "01".into()), ("01", if dynamic { "12" } else { "11" }.into())];
    if let Some(upi) = upi {
        fields.push(("15", upi.to_owned()));
    }
    fields.push((if input.kind == AccountKind::Merchant { "30" } else { "29" }, account));
    fields.push(("52", mcc));
    fields.push(("53", currency_text));
    if let Some(amount) = amount_text {
        fields.push(("54", amount));
    }
    fields.push(("58", "KH".into()));
    fields.push(("59", name.to_owned()));
    fields.push(("60", city.to_owned()));
    if let Some(additional) = additional {
        fields.push(("62", additional));
    }
    if let Some(language) = language {
        fields.push(("64", language));
    }
    if let Some(timestamps) = timestamps {
        fields.push(("99", timestamps));
    }
    encode(&fields)
}

/// Writes the fields, then `6304` and the CRC. Refuses a value over 99 characters, which the SDK
/// writes with a three-digit length.
pub(crate) fn encode(fields: &[(&'static str, String)]) -> Result<Khqr> {
    let mut qr = String::with_capacity(160);
    for (tag, value) in fields {
        let length = js_len(value);
        if length > MAX_FIELD {
            return Err(KhqrError::TemplateTooLong { tag, length });
        }
        push_field(&mut qr, tag, value);
    }
    qr.push_str("6304");
    let crc = crc16_hex(&qr);
    qr.push_str(&crc);
    let md5 = md5_hex(&qr);
    Ok(Khqr { qr, md5 })
}

fn account_template(input: &SdkInput) -> Result<String> {
    let id = required(F::BakongAccountId, &input.bakong_account_id)?;
    at_most(F::BakongAccountId, id, 32)?;
    if !id.contains('@') {
        return Err(KhqrError::AccountIdWithoutAt(id.to_owned()));
    }
    let mut template = sub("00", id);
    match input.kind {
        AccountKind::Merchant => {
            let merchant_id = required(F::MerchantId, &input.merchant_id)?;
            at_most(F::MerchantId, merchant_id, 32)?;
            let bank = required(F::AcquiringBank, &input.acquiring_bank)?;
            at_most(F::AcquiringBank, bank, 32)?;
            push_field(&mut template, "01", merchant_id);
            push_field(&mut template, "02", bank);
        }
        AccountKind::Individual => {
            if let Some(info) = present(&input.account_information) {
                at_most(F::AccountInformation, info, 32)?;
                push_field(&mut template, "01", info);
            }
            if let Some(bank) = present(&input.acquiring_bank) {
                at_most(F::AcquiringBank, bank, 32)?;
                push_field(&mut template, "02", bank);
            }
        }
    }
    Ok(template)
}

/// The SDK's `TransactionCurrency` check; the tag 53 value is `String(currency)`.
fn currency_text(currency: &Loose) -> Result<String> {
    if currency.loose_eq_empty() {
        return Err(KhqrError::Required { field: F::Currency });
    }
    if let Loose::Text(s) = currency {
        at_most(F::Currency, s, 3)?;
    }
    let text = currency.to_js_string().ok_or(KhqrError::ImpreciseNumber { field: F::Currency })?;
    match parse_int(&text) {
        Some(116 | 840) => Ok(text),
        _ => Err(KhqrError::UnsupportedCurrency(text)),
    }
}

fn amount_text(amount: &Loose, currency: &Loose, strict: Strictness) -> Result<String> {
    let shown = || amount.to_js_string().unwrap_or_default();
    let invalid = |reason| KhqrError::InvalidAmount { amount: shown(), reason };
    let imprecise = KhqrError::ImpreciseNumber { field: F::Amount };
    let value = if currency.loose_eq_i64(116) == Some(true) {
        let n = amount.to_number();
        match n.is_integral() {
            None => return Err(imprecise),
            Some(false) => return Err(invalid("a KHR amount is a whole number of riel")),
            Some(true) => Loose::Number(n),
        }
    } else {
        let text = amount.to_js_string().ok_or_else(|| imprecise.clone())?;
        match text.split('.').nth(1) {
            Some(decimals) if js_len(decimals) > 2 => {
                return Err(invalid("a USD amount has at most two decimals"));
            }
            Some(_) => Loose::Text(parse_float(&text).to_fixed_2().ok_or_else(|| imprecise.clone())?),
            None => amount.clone(),
        }
    };
    let text = value.to_js_string().ok_or(imprecise)?;
    if js_len(&text) > 13 {
        return Err(invalid("longer than 13 characters"));
    }
    if text.contains('-') {
        return Err(invalid("negative"));
    }
    if value.loose_eq_empty() {
        return Err(invalid("empty"));
    }
    if strict.plain_amount && !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid("not a plain decimal number"));
    }
    Ok(text)
}

fn additional_data(input: &SdkInput) -> Result<Option<String>> {
    let parts = [
        ("01", F::BillNumber, &input.bill_number),
        ("02", F::MobileNumber, &input.mobile_number),
        ("03", F::StoreLabel, &input.store_label),
        ("07", F::TerminalLabel, &input.terminal_label),
        ("08", F::PurposeOfTransaction, &input.purpose_of_transaction),
    ];
    let mut template = String::new();
    let mut any = false;
    for (tag, field, value) in parts {
        if let Some(value) = present(value) {
            at_most(field, value, 25)?;
            push_field(&mut template, tag, value);
            any = true;
        }
    }
    Ok(any.then_some(template))
}

fn language_template(input: &SdkInput) -> Result<Option<String>> {
    let preference = present(&input.language_preference);
    let name = present(&input.merchant_name_alternate_language);
    let city = present(&input.merchant_city_alternate_language);
    if preference.is_none() && name.is_none() && city.is_none() {
        return Ok(None);
    }
    if preference.is_some() && name.is_none() {
        return Err(KhqrError::Required { field: F::MerchantNameAlternateLanguage });
    }
    let mut template = String::new();
    if let Some(name) = name {
        // The SDK crashes here (a TypeError returned in place of the QR); we report error 37.
        let preference = preference.ok_or(KhqrError::Required { field: F::LanguagePreference })?;
        at_most(F::LanguagePreference, preference, 2)?;
        push_field(&mut template, "00", preference);
        at_most(F::MerchantNameAlternateLanguage, name, 25)?;
        push_field(&mut template, "01", name);
    }
    if let Some(city) = city {
        at_most(F::MerchantCityAlternateLanguage, city, 15)?;
        push_field(&mut template, "02", city);
    }
    Ok(Some(template))
}

fn timestamps(input: &SdkInput, created_at_ms: i64, now_ms: i64) -> Result<String> {
    let missing = KhqrError::Required { field: F::ExpirationTimestamp };
    let expiration = present_loose(&input.expiration_timestamp).ok_or_else(|| missing.clone())?;
    let expiration = expiration.to_number();
    let created = JsNumber::from_i64(created_at_ms);
    check_expiration(&expiration, Some(&created), now_ms)?;
    let mut template = String::new();
    push_field(&mut template, "00", &created_at_ms.to_string());
    push_field(
        &mut template,
        "01",
        &expiration.to_js_string().ok_or(KhqrError::ImpreciseNumber { field: F::ExpirationTimestamp })?,
    );
    Ok(template)
}

/// The SDK's `TimeStamp` rules for a dynamic KHQR: present, 13 characters, not before creation,
/// not before now. A `None` creation is JavaScript's `NaN`, which compares false.
pub(crate) fn check_expiration(expiration: &JsNumber, created: Option<&JsNumber>, now_ms: i64) -> Result<()> {
    if !expiration.is_truthy() {
        return Err(KhqrError::Required { field: F::ExpirationTimestamp });
    }
    let text =
        expiration.to_js_string().ok_or(KhqrError::ImpreciseNumber { field: F::ExpirationTimestamp })?;
    let length = js_len(&text);
    if length != 13 {
        return Err(KhqrError::InvalidLength { field: F::ExpirationTimestamp, length, max: 13 });
    }
    // `new Date(x)` is invalid only beyond ±8.64e15 ms, which 13 characters cannot reach.
    let expires_at_ms = expiration.to_i64_trunc();
    let imprecise = KhqrError::ImpreciseNumber { field: F::ExpirationTimestamp };
    if let Some(created) = created
        && expiration.js_less_than(created).ok_or_else(|| imprecise.clone())?
    {
        return Err(KhqrError::ExpirationBeforeCreation {
            created_at_ms: created.to_i64_trunc(),
            expires_at_ms,
        });
    }
    if expiration.js_less_than(&JsNumber::from_i64(now_ms)).ok_or(imprecise)? {
        return Err(KhqrError::Expired { expires_at_ms, now_ms });
    }
    Ok(())
}
