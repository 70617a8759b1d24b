//! The SDK-compatible layer: the loose inputs of the official `bakong-khqr@1.0.20` npm SDK, and
//! its generation, decoding and verification reproduced byte for byte and error code for error
//! code.
//!
//! Use it when you receive SDK-shaped JSON (from a JavaScript front end, or the `khqr` CLI) or
//! need the SDK's exact verdict. New Rust code should prefer the typed API in
//! [`crate::khqr`], which cannot express most of the quirks below.
//!
//! # Reproduced quirks
//! - Optional values that are `null`, `""` or the number `0` are dropped; a missing currency
//!   is KHR; an empty merchant city becomes `Phnom Penh`.
//! - An amount that is `0`, `"0"`, `"0.00"` or only whitespace makes a static QR.
//! - KHR amounts go through `Number(x)`: `"5e4"` and `"0x10"` are accepted and written as
//!   `50000` and `16`. Other currencies keep the text as given when it has no `.`: `"abc"` is
//!   written as is; with a `.` it is `parseFloat(x).toFixed(2)`, so `"abc.1"` becomes `NaN`.
//! - A currency is accepted when `parseInt(String(x))` is 116 or 840 (the number `116.5`
//!   passes and is written as `116.5`, then treated as "not KHR").
//! - The merchant category code is any 1 to 4 ASCII digits.
//! - Verification never checks the amount's digits, accepts duplicate (non-adjacent) tags,
//!   parses lengths with `parseInt` (`" 5"` is 5) and stops at the first repeated tag.
//!
//! # Deliberate differences (each excluded, by name, from the cross-check against the SDK)
//! - A template over 99 characters is [`KhqrError::TemplateTooLong`] (the SDK writes a
//!   three-digit length and produces a code its own `verify` rejects).
//! - An alternate-language merchant name without a language preference is
//!   [`KhqrError::Required`] (`LanguagePreference`, code 37); the SDK returns a `TypeError` in
//!   place of the QR string.
//! - Numbers (or numeric strings where the SDK converts them) with more than 15 significant
//!   digits are [`KhqrError::ImpreciseNumber`]: the SDK rounds them to a binary double first,
//!   and this crate does no floating point.
//! - Where the SDK's parser loops forever (tag 30, or a template's sub-field, whose length is
//!   not a number or is -4 or less), [`decode`] and [`verify`] return
//!   [`KhqrError::Unparsable`].
//!
//! [`KhqrError::TemplateTooLong`]: crate::khqr::KhqrError::TemplateTooLong
//! [`KhqrError::Required`]: crate::khqr::KhqrError::Required
//! [`KhqrError::ImpreciseNumber`]: crate::khqr::KhqrError::ImpreciseNumber
//! [`KhqrError::Unparsable`]: crate::khqr::KhqrError::Unparsable

mod decode;
mod generate;
mod jsnum;
mod json;
mod scan;
mod verify;

pub use decode::{SdkDecoded, decode};
pub use generate::generate;
pub(crate) use generate::{Strictness, generate_with};
pub use jsnum::{JsNumber, Loose};
pub use json::{InputError, SdkRequest};
pub use verify::verify;

use super::AccountKind;

/// A KHQR request in the SDK's shape: what `new IndividualInfo(...)` or `new MerchantInfo(...)`
/// receives. `None` is JavaScript's `null` / `undefined`.
///
/// For a merchant, `merchant_id` and `acquiring_bank` are the constructor's positional
/// arguments; for an individual, `merchant_id` is ignored and `acquiring_bank` and
/// `account_information` are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdkInput {
    /// Individual (tag 29) or merchant (tag 30).
    pub kind: AccountKind,
    /// `bakongAccountID`.
    pub bakong_account_id: Option<String>,
    /// `merchantName`.
    pub merchant_name: Option<String>,
    /// `merchantCity`.
    pub merchant_city: Option<String>,
    /// `merchantID` (merchant only).
    pub merchant_id: Option<String>,
    /// `acquiringBank`.
    pub acquiring_bank: Option<String>,
    /// `accountInformation` (individual only).
    pub account_information: Option<String>,
    /// `currency`: 116 (KHR) or 840 (USD); KHR when absent.
    pub currency: Option<Loose>,
    /// `amount`.
    pub amount: Option<Loose>,
    /// `billNumber`.
    pub bill_number: Option<String>,
    /// `mobileNumber`.
    pub mobile_number: Option<String>,
    /// `storeLabel`.
    pub store_label: Option<String>,
    /// `terminalLabel`.
    pub terminal_label: Option<String>,
    /// `purposeOfTransaction`.
    pub purpose_of_transaction: Option<String>,
    /// `languagePreference`.
    pub language_preference: Option<String>,
    /// `merchantNameAlternateLanguage`.
    pub merchant_name_alternate_language: Option<String>,
    /// `merchantCityAlternateLanguage`.
    pub merchant_city_alternate_language: Option<String>,
    /// `upiMerchantAccount`.
    pub upi_merchant_account: Option<String>,
    /// `merchantCategoryCode`.
    pub merchant_category_code: Option<Loose>,
    /// `expirationTimestamp`, epoch milliseconds.
    pub expiration_timestamp: Option<Loose>,
}
