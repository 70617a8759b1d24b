//! KHQR: Cambodia's national EMV merchant-presented QR code.
//!
//! - [`generate`] a code from a typed [`KhqrRequest`] (individual or merchant account,
//!   [`Money`](commerce_core::money::Money) amount, bill number, expiry), byte-identical to the
//!   official `bakong-khqr@1.0.20` SDK for the same inputs and creation time;
//! - [`decode`] any code into a [`DecodedKhqr`], unknown tags kept;
//! - [`verify`] a code against the SDK's rules and an injected `now`.
//!
//! Errors are [`KhqrError`]s; [`KhqrError::code`] is the SDK's numeric code. The [`sdk`]
//! module takes the SDK's loose JSON shapes and reproduces its decode and verify verdicts.
//!
//! The path a payment gateway takes:
//!
//! ```
//! use commerce_bakong::khqr::{self, KhqrRequest, MerchantInfo};
//! use commerce_core::money::{Currency, Money};
//! use rust_decimal::Decimal;
//!
//! let account = MerchantInfo::new("coffee@devb", "123456", "Dev Bank"); // from configuration
//! let now_ms = 1_767_225_600_000; // from the injected clock
//! let request = KhqrRequest::new(account, "Coffee Klaing")
//!     .amount(Money::new(Decimal::from(100_000), Currency::KHR))
//!     .bill_number("#0001") // the order number
//!     .expires_at_ms(now_ms + 15 * 60 * 1000);
//! let code = khqr::generate(&request, now_ms)?;
//! // Show `code.qr()` as a QR image; poll the Bakong Open API with `code.md5()`.
//! let decoded = khqr::verify(code.qr(), now_ms)?;
//! assert_eq!(decoded.money(), Some(Money::new(Decimal::from(100_000), Currency::KHR)));
//! assert_eq!(decoded.md5, code.md5());
//! # Ok::<(), khqr::KhqrError>(())
//! ```

mod crc;
mod decode;
mod error;
mod request;
pub mod sdk;

pub use crc::{crc16, crc16_hex, md5_hex};
pub use decode::{AccountTemplate, AdditionalData, DecodedKhqr, Field, LanguageTemplate, Timestamps, decode};
pub use error::{KhqrError, KhqrField, Result, sdk_message};
pub use request::{Account, IndividualInfo, KhqrRequest, MerchantInfo, generate, generate_at};

/// Individual (tag 29) or merchant (tag 30) account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccountKind {
    /// Tag 29.
    #[default]
    Individual,
    /// Tag 30.
    Merchant,
}

/// A generated KHQR: the string to show as a QR code, and its MD5, the key to look the payment
/// up with on the Bakong Open API.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Khqr {
    pub(crate) qr: String,
    pub(crate) md5: String,
}

impl Khqr {
    /// The KHQR string.
    pub fn qr(&self) -> &str {
        &self.qr
    }

    /// Lower-case hex MD5 of [`Khqr::qr`].
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// The string, consumed.
    pub fn into_qr(self) -> String {
        self.qr
    }
}

/// Verifies a KHQR against `now_ms` (epoch milliseconds) and decodes it.
///
/// Passes exactly when the SDK's `BakongKHQR.verify` passes (see [`sdk::verify`] for the rules
/// and their order) and the code is also well-formed for [`decode`]: the SDK tolerates a few
/// malformed shapes (a length written `" 5"`, a tag repeated) that this refuses as
/// [`KhqrError::Malformed`].
pub fn verify(qr: &str, now_ms: i64) -> Result<DecodedKhqr> {
    sdk::verify(qr, now_ms)?;
    decode(qr)
}
