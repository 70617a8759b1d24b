//! SDK-shaped JSON input: the keys `new IndividualInfo(...)` / `new MerchantInfo(...)` take.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::SdkInput;
use super::jsnum::{JsNumber, Loose};
use crate::khqr::AccountKind;

/// Why a JSON line is not an SDK-shaped request. These are shape errors of the JSON itself,
/// before any KHQR rule applies, so they carry no SDK error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Not a JSON object.
    #[error("not a JSON object: {0}")]
    NotJson(String),
    /// A key this format does not have (a typo?).
    #[error("unknown key {0:?}")]
    UnknownKey(String),
    /// A value of the wrong JSON type.
    #[error("{key} must be {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What it must be.
        expected: &'static str,
    },
}

/// An SDK-shaped generation request, with the creation time the SDK would read from `Date.now()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdkRequest {
    /// The request.
    pub input: SdkInput,
    /// `creationTimestamp`, epoch milliseconds; `None` when the line has none.
    pub created_at_ms: Option<i64>,
}

enum Raw<'a> {
    Null,
    Text(String),
    Number(&'a str),
    Other,
}

fn classify(raw: &RawValue) -> Raw<'_> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'n') => Raw::Null,
        Some(b'"') => serde_json::from_str(text).map_or(Raw::Other, Raw::Text),
        Some(b'-' | b'0'..=b'9') => Raw::Number(text),
        _ => Raw::Other,
    }
}

impl SdkRequest {
    /// Parses one JSON object with the SDK's key names: `type` (`"individual"` or `"merchant"`),
    /// `bakongAccountID`, `merchantName`, `merchantCity`, `merchantID`, `acquiringBank`,
    /// `accountInformation`, `currency`, `amount`, `billNumber`, `mobileNumber`, `storeLabel`,
    /// `terminalLabel`, `purposeOfTransaction`, `languagePreference`,
    /// `merchantNameAlternateLanguage`, `merchantCityAlternateLanguage`, `upiMerchantAccount`,
    /// `merchantCategoryCode`, `expirationTimestamp` and `creationTimestamp`.
    ///
    /// Text keys take a string or `null`; `amount`, `currency`, `merchantCategoryCode` and
    /// `expirationTimestamp` take a string or a number (kept exactly as written, never through a
    /// float); `creationTimestamp` takes an integer.
    ///
    /// ```
    /// use commerce_bakong::khqr::sdk::{SdkRequest, generate};
    /// let line = r#"{"type":"individual","bakongAccountID":"jonhsmith@nbcq","merchantName":"Jonh Smith",
    ///                "currency":840,"amount":1.5,"expirationTimestamp":1767226500000,
    ///                "creationTimestamp":1767225600000}"#;
    /// let request = SdkRequest::from_json(line)?;
    /// let khqr = generate(&request.input, request.created_at_ms.unwrap_or_default())?;
    /// assert!(khqr.qr().contains("54041.50"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(json: &str) -> Result<SdkRequest, InputError> {
        let map: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(json).map_err(|e| InputError::NotJson(e.to_string()))?;
        let mut request = SdkRequest::default();
        let input = &mut request.input;
        for (key, raw) in &map {
            let value = classify(raw);
            let text = |value: Raw<'_>| -> Result<Option<String>, InputError> {
                match value {
                    Raw::Null => Ok(None),
                    Raw::Text(s) => Ok(Some(s)),
                    _ => Err(InputError::WrongType { key: key.clone(), expected: "a string or null" }),
                }
            };
            let loose = |value: Raw<'_>| -> Result<Option<Loose>, InputError> {
                match value {
                    Raw::Null => Ok(None),
                    Raw::Text(s) => Ok(Some(Loose::Text(s))),
                    Raw::Number(n) => JsNumber::from_decimal_literal(n)
                        .map(|n| Some(Loose::Number(n)))
                        .ok_or(InputError::WrongType {
                            key: key.clone(),
                            expected: "a string, a number or null",
                        }),
                    Raw::Other => Err(InputError::WrongType {
                        key: key.clone(),
                        expected: "a string, a number or null",
                    }),
                }
            };
            match key.as_str() {
                "type" => {
                    input.kind = match text(value)?.as_deref() {
                        Some("individual") | None => AccountKind::Individual,
                        Some("merchant") => AccountKind::Merchant,
                        Some(_) => {
                            return Err(InputError::WrongType {
                                key: key.clone(),
                                expected: "\"individual\" or \"merchant\"",
                            });
                        }
                    }
                }
                "bakongAccountID" => input.bakong_account_id = text(value)?,
                "merchantName" => input.merchant_name = text(value)?,
                "merchantCity" => input.merchant_city = text(value)?,
                "merchantID" => input.merchant_id = text(value)?,
                "acquiringBank" => input.acquiring_bank = text(value)?,
                "accountInformation" => input.account_information = text(value)?,
                "billNumber" => input.bill_number = text(value)?,
                "mobileNumber" => input.mobile_number = text(value)?,
                "storeLabel" => input.store_label = text(value)?,
                "terminalLabel" => input.terminal_label = text(value)?,
                "purposeOfTransaction" => input.purpose_of_transaction = text(value)?,
                "languagePreference" => input.language_preference = text(value)?,
                "merchantNameAlternateLanguage" => input.merchant_name_alternate_language = text(value)?,
                "merchantCityAlternateLanguage" => input.merchant_city_alternate_language = text(value)?,
                "upiMerchantAccount" => input.upi_merchant_account = text(value)?,
                "currency" => input.currency = loose(value)?,
                "amount" => input.amount = loose(value)?,
                "merchantCategoryCode" => input.merchant_category_code = loose(value)?,
                "expirationTimestamp" => input.expiration_timestamp = loose(value)?,
                "creationTimestamp" => {
                    request.created_at_ms = match value {
                        Raw::Null => None,
                        Raw::Number(n) => Some(n.parse::<i64>().map_err(|_| InputError::WrongType {
                            key: key.clone(),
                            expected: "an integer (epoch milliseconds)",
                        })?),
                        _ => {
                            return Err(InputError::WrongType {
                                key: key.clone(),
                                expected: "an integer (epoch milliseconds)",
                            });
                        }
                    }
                }
                _ => return Err(InputError::UnknownKey(key.clone())),
            }
        }
        Ok(request)
    }
}
