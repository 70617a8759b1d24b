//! The typed request: accounts from configuration, [`Money`] amounts, epoch-millisecond times.

use chrono::{DateTime, Utc};
use commerce_core::money::{Currency, Money};
use rust_decimal::Decimal;

use super::error::Result;
use super::sdk::{JsNumber, Loose, SdkInput, Strictness, generate_with};
use super::{AccountKind, Khqr};

/// An individual's Bakong account (tag 29).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndividualInfo {
    bakong_account_id: String,
    account_information: Option<String>,
    acquiring_bank: Option<String>,
}

impl IndividualInfo {
    /// An account such as `jonhsmith@nbcq` (at most 32 characters, with an `@`).
    pub fn new(bakong_account_id: impl Into<String>) -> Self {
        IndividualInfo {
            bakong_account_id: bakong_account_id.into(),
            account_information: None,
            acquiring_bank: None,
        }
    }

    /// Account information (tag 29 sub 01, at most 32), e.g. a bank account number.
    pub fn account_information(mut self, value: impl Into<String>) -> Self {
        self.account_information = Some(value.into());
        self
    }

    /// The acquiring bank (tag 29 sub 02, at most 32).
    pub fn acquiring_bank(mut self, value: impl Into<String>) -> Self {
        self.acquiring_bank = Some(value.into());
        self
    }

    /// The Bakong account id.
    pub fn bakong_account_id(&self) -> &str {
        &self.bakong_account_id
    }
}

/// A merchant's Bakong account (tag 30).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantInfo {
    bakong_account_id: String,
    merchant_id: String,
    acquiring_bank: String,
}

impl MerchantInfo {
    /// A merchant account: Bakong account id, merchant id and acquiring bank (each at most 32).
    pub fn new(
        bakong_account_id: impl Into<String>,
        merchant_id: impl Into<String>,
        acquiring_bank: impl Into<String>,
    ) -> Self {
        MerchantInfo {
            bakong_account_id: bakong_account_id.into(),
            merchant_id: merchant_id.into(),
            acquiring_bank: acquiring_bank.into(),
        }
    }

    /// The Bakong account id.
    pub fn bakong_account_id(&self) -> &str {
        &self.bakong_account_id
    }
}

/// The account a KHQR pays into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// Tag 29.
    Individual(IndividualInfo),
    /// Tag 30.
    Merchant(MerchantInfo),
}

impl From<IndividualInfo> for Account {
    fn from(info: IndividualInfo) -> Self {
        Account::Individual(info)
    }
}

impl From<MerchantInfo> for Account {
    fn from(info: MerchantInfo) -> Self {
        Account::Merchant(info)
    }
}

/// What to put in a KHQR. Build it with [`KhqrRequest::new`] and the setters, then call
/// [`generate`].
///
/// Without an amount the code is static (the payer types the amount); with a non-zero
/// [`amount`](KhqrRequest::amount) it is dynamic and needs an
/// [`expiration`](KhqrRequest::expires_at_ms). Optional text set to `""` counts as absent, as in
/// the SDK. Every rule is checked by [`generate`], in the SDK's order, with the SDK's error codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KhqrRequest {
    account: Account,
    merchant_name: String,
    merchant_city: Option<String>,
    currency: Currency,
    amount: Option<Money>,
    bill_number: Option<String>,
    mobile_number: Option<String>,
    store_label: Option<String>,
    terminal_label: Option<String>,
    purpose_of_transaction: Option<String>,
    language_preference: Option<String>,
    merchant_name_alternate_language: Option<String>,
    merchant_city_alternate_language: Option<String>,
    upi_merchant_account: Option<String>,
    merchant_category_code: Option<String>,
    expires_at_ms: Option<i64>,
}

macro_rules! text_setters {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
}

impl KhqrRequest {
    /// A static KHR code paying `account`, shown to the payer as `merchant_name` (1 to 25).
    pub fn new(account: impl Into<Account>, merchant_name: impl Into<String>) -> Self {
        KhqrRequest {
            account: account.into(),
            merchant_name: merchant_name.into(),
            merchant_city: None,
            currency: Currency::KHR,
            amount: None,
            bill_number: None,
            mobile_number: None,
            store_label: None,
            terminal_label: None,
            purpose_of_transaction: None,
            language_preference: None,
            merchant_name_alternate_language: None,
            merchant_city_alternate_language: None,
            upi_merchant_account: None,
            merchant_category_code: None,
            expires_at_ms: None,
        }
    }

    /// The amount, which also sets the currency. USD has at most two decimals, KHR is whole riel;
    /// zero makes a static code.
    pub fn amount(mut self, amount: Money) -> Self {
        self.currency = amount.currency();
        self.amount = Some(amount);
        self
    }

    /// The currency of a static code (KHR unless set; [`amount`](Self::amount) overrides it).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }

    /// When a dynamic code expires, epoch milliseconds (13 digits).
    pub fn expires_at_ms(mut self, at: i64) -> Self {
        self.expires_at_ms = Some(at);
        self
    }

    /// When a dynamic code expires.
    pub fn expires_at(self, at: DateTime<Utc>) -> Self {
        self.expires_at_ms(at.timestamp_millis())
    }

    text_setters! {
        /// The merchant city (at most 15; `Phnom Penh` when unset).
        merchant_city;
        /// The bill number (tag 62 sub 01, 1 to 25): the order number.
        bill_number;
        /// A mobile number (tag 62 sub 02, 1 to 25).
        mobile_number;
        /// A store label (tag 62 sub 03, 1 to 25).
        store_label;
        /// A terminal label (tag 62 sub 07, 1 to 25).
        terminal_label;
        /// The purpose of the transaction (tag 62 sub 08, 1 to 25).
        purpose_of_transaction;
        /// The alternate language (tag 64 sub 00, at most 2, e.g. `km`); needs
        /// [`merchant_name_alternate_language`](Self::merchant_name_alternate_language).
        language_preference;
        /// The merchant name in the alternate language (tag 64 sub 01, 1 to 25).
        merchant_name_alternate_language;
        /// The merchant city in the alternate language (tag 64 sub 02, 1 to 15).
        merchant_city_alternate_language;
        /// A UnionPay merchant account (tag 15, at most 99; KHR only).
        upi_merchant_account;
        /// The merchant category code (tag 52, up to 4 digits; `5999` when unset).
        merchant_category_code;
    }

    /// The request in the SDK's shape.
    pub fn to_sdk_input(&self) -> SdkInput {
        let mut input = SdkInput::default();
        match &self.account {
            Account::Individual(info) => {
                input.kind = AccountKind::Individual;
                input.bakong_account_id = Some(info.bakong_account_id.clone());
                input.account_information.clone_from(&info.account_information);
                input.acquiring_bank.clone_from(&info.acquiring_bank);
            }
            Account::Merchant(info) => {
                input.kind = AccountKind::Merchant;
                input.bakong_account_id = Some(info.bakong_account_id.clone());
                input.merchant_id = Some(info.merchant_id.clone());
                input.acquiring_bank = Some(info.acquiring_bank.clone());
            }
        }
        input.merchant_name = Some(self.merchant_name.clone());
        input.merchant_city.clone_from(&self.merchant_city);
        input.currency = Some(Loose::Number(JsNumber::from_i64(i64::from(self.currency.numeric()))));
        input.amount = self.amount.map(|m| Loose::Number(decimal_number(m.amount())));
        input.bill_number.clone_from(&self.bill_number);
        input.mobile_number.clone_from(&self.mobile_number);
        input.store_label.clone_from(&self.store_label);
        input.terminal_label.clone_from(&self.terminal_label);
        input.purpose_of_transaction.clone_from(&self.purpose_of_transaction);
        input.language_preference.clone_from(&self.language_preference);
        input.merchant_name_alternate_language.clone_from(&self.merchant_name_alternate_language);
        input.merchant_city_alternate_language.clone_from(&self.merchant_city_alternate_language);
        input.upi_merchant_account.clone_from(&self.upi_merchant_account);
        input.merchant_category_code = self.merchant_category_code.clone().map(Loose::Text);
        input.expiration_timestamp = self.expires_at_ms.map(|ms| Loose::Number(JsNumber::from_i64(ms)));
        input
    }
}

/// The JavaScript number an exact decimal amount is (trailing zeros do not matter: `10.00` is 10).
fn decimal_number(amount: Decimal) -> JsNumber {
    JsNumber::from_decimal_literal(&amount.normalize().to_string()).unwrap_or(JsNumber::NAN)
}

/// Generates a KHQR created at `created_at_ms` (epoch milliseconds, from your clock).
///
/// Byte-identical to the official SDK for the same inputs and creation time, with one addition:
/// an amount the SDK would write in exponent notation (1e21 and up) is refused.
///
/// ```
/// use commerce_bakong::khqr::{IndividualInfo, KhqrRequest, generate};
/// use commerce_core::money::{Currency, Money};
/// use rust_decimal::Decimal;
///
/// let request = KhqrRequest::new(IndividualInfo::new("jonhsmith@nbcq"), "Jonh Smith")
///     .amount(Money::new(Decimal::new(150, 2), Currency::USD))
///     .bill_number("INV-2026-0001")
///     .expires_at_ms(1_767_226_500_000);
/// let khqr = generate(&request, 1_767_225_600_000)?;
/// assert!(khqr.qr().starts_with("000201010212"));
/// assert_eq!(khqr.md5().len(), 32);
/// # Ok::<(), commerce_bakong::khqr::KhqrError>(())
/// ```
pub fn generate(request: &KhqrRequest, created_at_ms: i64) -> Result<Khqr> {
    generate_with(&request.to_sdk_input(), created_at_ms, Strictness { plain_amount: true })
}

/// [`generate`] with a creation time from a clock (`commerce_core::ports::clock::Clock::now`).
pub fn generate_at(request: &KhqrRequest, created_at: DateTime<Utc>) -> Result<Khqr> {
    generate(request, created_at.timestamp_millis())
}
