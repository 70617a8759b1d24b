//! The one error type of KHQR generation, decoding and verification.

use std::fmt;

/// A KHQR field, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KhqrField {
    /// Tag 00, payload format indicator.
    PayloadFormatIndicator,
    /// Tag 01, point of initiation method.
    PointOfInitiation,
    /// Tag 15, UnionPay merchant account.
    UpiMerchantAccount,
    /// Tag 29 or 30 as a whole (the account template).
    AccountTemplate,
    /// Tag 29/30 sub 00, the Bakong account id (`name@bank`).
    BakongAccountId,
    /// Tag 29 sub 01, account information (individual).
    AccountInformation,
    /// Tag 30 sub 01, merchant id.
    MerchantId,
    /// Tag 29/30 sub 02, acquiring bank.
    AcquiringBank,
    /// Tag 52, merchant category code.
    MerchantCategoryCode,
    /// Tag 53, transaction currency.
    Currency,
    /// Tag 54, transaction amount.
    Amount,
    /// Tag 58, country code.
    CountryCode,
    /// Tag 59, merchant name.
    MerchantName,
    /// Tag 60, merchant city.
    MerchantCity,
    /// Tag 62 sub 01, bill number.
    BillNumber,
    /// Tag 62 sub 02, mobile number.
    MobileNumber,
    /// Tag 62 sub 03, store label.
    StoreLabel,
    /// Tag 62 sub 07, terminal label.
    TerminalLabel,
    /// Tag 62 sub 08, purpose of transaction.
    PurposeOfTransaction,
    /// Tag 64 sub 00, language preference.
    LanguagePreference,
    /// Tag 64 sub 01, merchant name in the alternate language.
    MerchantNameAlternateLanguage,
    /// Tag 64 sub 02, merchant city in the alternate language.
    MerchantCityAlternateLanguage,
    /// Tag 99 sub 01, expiration timestamp.
    ExpirationTimestamp,
    /// Tag 63, CRC.
    Crc,
}

impl KhqrField {
    /// The field's name as the SDK spells it (`bakongAccountID`, `billNumber`, ...).
    pub fn sdk_name(self) -> &'static str {
        use KhqrField as F;
        match self {
            F::PayloadFormatIndicator => "payloadFormatIndicator",
            F::PointOfInitiation => "pointOfInitiationMethod",
            F::UpiMerchantAccount => "upiMerchantAccount",
            F::AccountTemplate => "merchantType",
            F::BakongAccountId => "bakongAccountID",
            F::AccountInformation => "accountInformation",
            F::MerchantId => "merchantID",
            F::AcquiringBank => "acquiringBank",
            F::MerchantCategoryCode => "merchantCategoryCode",
            F::Currency => "currency",
            F::Amount => "amount",
            F::CountryCode => "countryCode",
            F::MerchantName => "merchantName",
            F::MerchantCity => "merchantCity",
            F::BillNumber => "billNumber",
            F::MobileNumber => "mobileNumber",
            F::StoreLabel => "storeLabel",
            F::TerminalLabel => "terminalLabel",
            F::PurposeOfTransaction => "purposeOfTransaction",
            F::LanguagePreference => "languagePreference",
            F::MerchantNameAlternateLanguage => "merchantNameAlternateLanguage",
            F::MerchantCityAlternateLanguage => "merchantCityAlternateLanguage",
            F::ExpirationTimestamp => "expirationTimestamp",
            F::Crc => "crc",
        }
    }
}

impl fmt::Display for KhqrField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sdk_name())
    }
}

/// Why a KHQR could not be generated, decoded or verified.
///
/// Every variant maps to the numeric error code of the official `bakong-khqr` SDK through
/// [`KhqrError::code`] (and its message through [`KhqrError::sdk_message`]), so callers that
/// speak the SDK's codes keep working. Lengths are in UTF-16 code units, as the SDK counts them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KhqrError {
    /// A required field is missing or empty.
    #[error("{field} is required")]
    Required {
        /// The field.
        field: KhqrField,
    },
    /// A field is too long (or, for fields that must not be empty, empty).
    #[error("{field} has an invalid length {length} (maximum {max})")]
    InvalidLength {
        /// The field.
        field: KhqrField,
        /// Its length in UTF-16 code units.
        length: usize,
        /// The maximum the SDK allows.
        max: usize,
    },
    /// The Bakong account id has no `@` (it must look like `name@bank`).
    #[error("Bakong account id {0:?} is invalid: it must look like name@bank")]
    AccountIdWithoutAt(String),
    /// The amount cannot be written in a KHQR (negative, too long, a fraction of a riel, more
    /// than two decimals of a dollar, not a number).
    #[error("amount {amount:?} is invalid: {reason}")]
    InvalidAmount {
        /// The amount as given.
        amount: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The currency is neither KHR (116) nor USD (840).
    #[error("currency {0:?} is not supported: KHQR carries KHR (116) or USD (840) only")]
    UnsupportedCurrency(String),
    /// A UnionPay merchant account was given with USD.
    #[error("a UnionPay merchant account cannot be used with USD")]
    UpiWithUsd,
    /// The merchant category code is not 1 to 4 digits.
    #[error("merchant category code {0:?} is invalid: expected up to 4 digits")]
    InvalidMerchantCategoryCode(String),
    /// Tag 01 is neither `11` (static) nor `12` (dynamic).
    #[error("point of initiation method {0:?} is invalid: expected 11 or 12")]
    InvalidPointOfInitiation(String),
    /// A dynamic KHQR without an amount.
    #[error("dynamic KHQR without a transaction amount")]
    DynamicWithoutAmount,
    /// The expiration is before the creation time.
    #[error("expiration {expires_at_ms} is before creation {created_at_ms}")]
    ExpirationBeforeCreation {
        /// Creation, epoch milliseconds.
        created_at_ms: i64,
        /// Expiration, epoch milliseconds.
        expires_at_ms: i64,
    },
    /// A number with more significant digits than a JavaScript number keeps exactly (15); the SDK
    /// would round it to binary floating point first, so its result is not reproducible.
    #[error("{field} has more than 15 significant digits")]
    ImpreciseNumber {
        /// The field.
        field: KhqrField,
    },
    /// The KHQR expired.
    #[error("KHQR expired at {expires_at_ms} (now {now_ms})")]
    Expired {
        /// Expiration, epoch milliseconds.
        expires_at_ms: i64,
        /// The time it was checked against.
        now_ms: i64,
    },
    /// The string does not end in `6304` and four hex digits.
    #[error("no CRC: a KHQR ends in 6304 and four hex digits")]
    MissingCrc,
    /// The CRC does not match the content.
    #[error("CRC mismatch: computed {computed}, found {found}")]
    CrcMismatch {
        /// The CRC of the content.
        computed: String,
        /// The CRC written in the code.
        found: String,
    },
    /// Shorter than any KHQR can be.
    #[error("KHQR too short ({length} UTF-16 code units, minimum 12)")]
    TooShort {
        /// Its length.
        length: usize,
    },
    /// A template (29, 30, 62, ...) would exceed 99 characters, which a two-digit length
    /// cannot express. The SDK forgets this check and writes a corrupt code.
    #[error("tag {tag} would be {length} characters long; a field holds at most 99")]
    TemplateTooLong {
        /// The tag.
        tag: &'static str,
        /// Its length in UTF-16 code units.
        length: usize,
    },
    /// A field whose length (or a template whose sub-field lengths) cannot be read, in a way
    /// that makes the SDK's parser loop forever (a length like `xx` or `-4` on tag 30 or inside
    /// a template).
    #[error("field {tag} cannot be parsed: its length, or a sub-field's, is not a number")]
    Unparsable {
        /// The tag.
        tag: String,
    },
    /// Not a well-formed sequence of `TT LL VALUE` fields.
    #[error("malformed KHQR at UTF-16 offset {offset}: {reason}")]
    Malformed {
        /// Where, in UTF-16 code units from the start.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A `Result` whose error is [`KhqrError`].
pub type Result<T, E = KhqrError> = std::result::Result<T, E>;

impl KhqrError {
    /// The `bakong-khqr` SDK's numeric error code for this error.
    ///
    /// Errors the SDK has no code of its own for (a CRC or structure problem, a template over 99
    /// characters) are `8`, the SDK's "KHQR provided is invalid".
    pub fn code(&self) -> u32 {
        use KhqrField as F;
        match self {
            KhqrError::Required { field } => match field {
                F::BakongAccountId => 1,
                F::MerchantName => 2,
                F::AccountTemplate => 5,
                F::Currency => 9,
                F::PayloadFormatIndicator => 23,
                F::Crc => 24,
                F::MerchantCategoryCode => 25,
                F::CountryCode => 26,
                F::MerchantCity => 27,
                F::MerchantId => 30,
                F::AcquiringBank => 31,
                F::LanguagePreference => 37,
                F::MerchantNameAlternateLanguage => 39,
                F::ExpirationTimestamp => 45,
                _ => 8,
            },
            KhqrError::InvalidLength { field, .. } => match field {
                F::Amount => 4,
                F::BakongAccountId => 6,
                F::MerchantName => 7,
                F::BillNumber => 10,
                F::StoreLabel => 11,
                F::TerminalLabel => 12,
                F::PayloadFormatIndicator => 16,
                F::PointOfInitiation => 17,
                F::MerchantCategoryCode => 18,
                F::Currency => 19,
                F::CountryCode => 20,
                F::MerchantCity => 21,
                F::Crc => 22,
                F::MerchantId => 32,
                F::AcquiringBank => 33,
                F::MobileNumber => 34,
                F::AccountInformation => 35,
                F::LanguagePreference => 38,
                F::MerchantNameAlternateLanguage => 40,
                F::MerchantCityAlternateLanguage => 41,
                F::PurposeOfTransaction => 42,
                F::UpiMerchantAccount => 43,
                F::ExpirationTimestamp => 49,
                _ => 8,
            },
            KhqrError::ImpreciseNumber { field } => match field {
                F::MerchantCategoryCode => 18,
                F::Currency => 28,
                F::ExpirationTimestamp => 49,
                _ => 4,
            },
            KhqrError::AccountIdWithoutAt(_) => 3,
            KhqrError::InvalidAmount { .. } => 4,
            KhqrError::UnsupportedCurrency(_) => 28,
            KhqrError::UpiWithUsd => 44,
            KhqrError::Expired { .. } => 46,
            KhqrError::DynamicWithoutAmount => 47,
            KhqrError::InvalidPointOfInitiation(_) => 48,
            KhqrError::ExpirationBeforeCreation { .. } => 50,
            KhqrError::InvalidMerchantCategoryCode(_) => 51,
            KhqrError::MissingCrc
            | KhqrError::CrcMismatch { .. }
            | KhqrError::TooShort { .. }
            | KhqrError::TemplateTooLong { .. }
            | KhqrError::Unparsable { .. }
            | KhqrError::Malformed { .. } => 8,
        }
    }

    /// The SDK's message for [`KhqrError::code`], word for word.
    pub fn sdk_message(&self) -> &'static str {
        sdk_message(self.code())
    }
}

/// The SDK's message for one of its error codes (empty for an unknown code).
pub fn sdk_message(code: u32) -> &'static str {
    match code {
        1 => "Bakong Account ID cannot be null or empty",
        2 => "Merchant name cannot be null or empty",
        3 => "Bakong Account ID is invalid",
        4 => "Amount is invalid",
        5 => "Merchant type cannot be null or empty",
        6 => "Bakong Account ID Length is Invalid",
        7 => "Merchant Name Length is invalid",
        8 => "KHQR provided is invalid",
        9 => "Currency type cannot be null or empty",
        10 => "Bill Name Length is invalid",
        11 => "Store Label Length is invalid",
        12 => "Terminal Label Length is invalid",
        16 => "Payload Format indicator Length is invalid",
        17 => "Point of initiation Length is invalid",
        18 => "Merchant code Length is invalid",
        19 => "Transaction currency Length is invalid",
        20 => "Country code Length is invalid",
        21 => "Merchant city Length is invalid",
        22 => "CRC Length is invalid",
        23 => "Payload format indicator tag required",
        24 => "CRC tag required",
        25 => "Merchant category tag required",
        26 => "Country Code cannot be null or empty",
        27 => "Merchant City cannot be null or empty",
        28 => "Unsupported currency",
        30 => "Merchant ID cannot be null or empty",
        31 => "Acquiring Bank cannot be null or empty",
        32 => "Merchant ID Length is invalid",
        33 => "Acquiring Bank Length is invalid",
        34 => "Mobile Number Length is invalid",
        35 => "Account Information Length is invalid",
        37 => "Language Preference cannot be null or empty",
        38 => "Language Preference Length is invalid",
        39 => "Merchant Name Alternate Language cannot be null or empty",
        40 => "Merchant Name Alternate Language Length is invalid",
        41 => "Merchant City Alternate Language Length is invalid",
        42 => "Purpose of Transaction Length is invalid",
        43 => "Upi Account Information Length is invalid",
        44 => "Upi Account Information Length does not accept USD",
        45 => "Expiration timestamp is required for dynamic KHQR",
        46 => "This dynamic KHQR has expired",
        47 => "This dynamic KHQR has invalid field transaction amount",
        48 => "Point of Initiation Method is invalid",
        49 => "Expiration timestamp length is invalid",
        50 => "Expiration timestamp is in the past",
        51 => "Invalid merchant category code",
        _ => "",
    }
}
