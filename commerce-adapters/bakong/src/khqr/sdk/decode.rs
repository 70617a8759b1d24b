//! Decoding as the SDK's `BakongKHQR.decode` does it: lenient, field names as the SDK spells them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scan::{KNOWN, Template, scan, template};
use crate::khqr::error::Result;

/// What `BakongKHQR.decode(qr).data` holds, field for field (`null` is `None`).
///
/// The SDK never validates here; fields it cannot find are `None`. Serializes with the SDK's key
/// names (including its spelling `pointofInitiationMethod`). The SDK also spreads the characters
/// of a template without known sub-fields into numbered keys (`"0"`, `"1"`, ...); that junk is
/// not reproduced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct SdkDecoded {
    /// `"29"` (individual) or `"30"` (merchant): the last account tag seen.
    pub merchant_type: Option<String>,
    /// Tag 29/30 sub 00.
    #[serde(rename = "bakongAccountID")]
    pub bakong_account_id: Option<String>,
    /// Tag 29 sub 01.
    pub account_information: Option<String>,
    /// Tag 30 sub 01 (when any tag 30 was seen).
    #[serde(rename = "merchantID")]
    pub merchant_id: Option<String>,
    /// Tag 29/30 sub 02.
    pub acquiring_bank: Option<String>,
    /// Tag 62 sub 01.
    pub bill_number: Option<String>,
    /// Tag 62 sub 02.
    pub mobile_number: Option<String>,
    /// Tag 62 sub 03.
    pub store_label: Option<String>,
    /// Tag 62 sub 07.
    pub terminal_label: Option<String>,
    /// Tag 62 sub 08.
    pub purpose_of_transaction: Option<String>,
    /// Tag 64 sub 00.
    pub language_preference: Option<String>,
    /// Tag 64 sub 01.
    pub merchant_name_alternate_language: Option<String>,
    /// Tag 64 sub 02.
    pub merchant_city_alternate_language: Option<String>,
    /// Tag 99 sub 00.
    pub creation_timestamp: Option<String>,
    /// Tag 99 sub 01.
    pub expiration_timestamp: Option<String>,
    /// Tag 00.
    pub payload_format_indicator: Option<String>,
    /// Tag 01.
    #[serde(rename = "pointofInitiationMethod")]
    pub point_of_initiation_method: Option<String>,
    /// Tag 15.
    pub union_pay_merchant: Option<String>,
    /// Tag 52.
    pub merchant_category_code: Option<String>,
    /// Tag 53.
    pub transaction_currency: Option<String>,
    /// Tag 54.
    pub transaction_amount: Option<String>,
    /// Tag 58.
    pub country_code: Option<String>,
    /// Tag 59.
    pub merchant_name: Option<String>,
    /// Tag 60.
    pub merchant_city: Option<String>,
    /// Tag 63.
    pub crc: Option<String>,
}

/// Decodes like `BakongKHQR.decode` of `bakong-khqr@1.0.20`. Never fails on input the SDK
/// returns from; where the SDK loops forever, [`KhqrError::Unparsable`].
///
/// [`KhqrError::Unparsable`]: crate::khqr::KhqrError::Unparsable
pub fn decode(qr: &str) -> Result<SdkDecoded> {
    let units: Vec<u16> = qr.encode_utf16().collect();
    let mut out = SdkDecoded::default();
    let mut merchant = false;
    // Last value per (renamed) tag, with the tag as written.
    let mut tags: BTreeMap<String, (String, Vec<u16>, String)> = BTreeMap::new();
    for entry in scan(&units)? {
        if entry.written == "30" {
            out.merchant_type = Some("30".into());
            merchant = true;
        } else if entry.written == "29" {
            out.merchant_type = Some("29".into());
        }
        if KNOWN.contains(&entry.tag.as_str()) {
            tags.insert(entry.tag, (entry.written, entry.units, entry.value));
        }
    }
    let value = |tag: &str| tags.get(tag).map(|(_, _, v)| v.clone());
    out.payload_format_indicator = value("00");
    out.point_of_initiation_method = value("01");
    out.union_pay_merchant = value("15");
    out.merchant_category_code = value("52");
    out.transaction_currency = value("53");
    out.transaction_amount = value("54");
    out.country_code = value("58");
    out.merchant_name = value("59");
    out.merchant_city = value("60");
    out.crc = value("63");
    let sub = |tag: &str| -> Result<Option<Template>> {
        tags.get(tag).map(|(written, units, _)| template(written, tag, units)).transpose()
    };
    let get = |t: &Option<Template>, name: &str| t.as_ref().and_then(|t| t.get(name)).map(str::to_owned);
    let account = sub("29")?;
    out.bakong_account_id = get(&account, "bakongAccountID");
    if merchant {
        out.merchant_id = get(&account, "accountInformation");
    } else {
        out.account_information = get(&account, "accountInformation");
    }
    out.acquiring_bank = get(&account, "acquiringBank");
    let additional = sub("62")?;
    out.bill_number = get(&additional, "billNumber");
    out.mobile_number = get(&additional, "mobileNumber");
    out.store_label = get(&additional, "storeLabel");
    out.terminal_label = get(&additional, "terminalLabel");
    out.purpose_of_transaction = get(&additional, "purposeOfTransaction");
    let language = sub("64")?;
    out.language_preference = get(&language, "languagePreference");
    out.merchant_name_alternate_language = get(&language, "merchantNameAlternateLanguage");
    out.merchant_city_alternate_language = get(&language, "merchantCityAlternateLanguage");
    let timestamps = sub("99")?;
    out.creation_timestamp = get(&timestamps, "creationTimestamp");
    out.expiration_timestamp = get(&timestamps, "expirationTimestamp");
    Ok(out)
}
