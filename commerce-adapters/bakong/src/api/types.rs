//! What the Bakong Open API answers, as domain types (money is [`Money`], times are UTC).

use std::fmt;

use chrono::{DateTime, Utc};
use commerce_core::Money;

/// A Bakong Open API token (a JWT). Its `Debug` never prints it, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    /// The secret itself, for the `Authorization` header or for storing it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A completed Bakong transaction (`check_transaction_by_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The transaction hash (64 hex digits).
    pub hash: String,
    /// The payer's Bakong account.
    pub from_account_id: String,
    /// The payee's Bakong account.
    pub to_account_id: String,
    /// The amount received, exactly as the API wrote it (major units) in its currency.
    pub amount: Money,
    /// The payer's description, if any.
    pub description: Option<String>,
    /// When the transaction was created.
    pub created_at: DateTime<Utc>,
    /// When Bakong acknowledged it.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// External reference (reported by some participants).
    pub external_ref: Option<String>,
    /// Instruction reference (reported by some participants).
    pub instruction_ref: Option<String>,
    /// Tracking status (reported by some participants).
    pub tracking_status: Option<String>,
    /// The receiving bank (reported by some participants).
    pub receiver_bank: Option<String>,
    /// The receiving bank account (reported by some participants).
    pub receiver_bank_account: Option<String>,
}

/// One entry of a `check_transaction_by_md5_list` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Md5Check {
    /// The MD5 asked about (lower case).
    pub md5: String,
    /// What Bakong knows about it.
    pub outcome: Md5Outcome,
}

/// What Bakong knows about one MD5.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Md5Outcome {
    /// `SUCCESS`: paid.
    Paid(Box<Transaction>),
    /// `NOT_FOUND`: not (yet) paid.
    NotFound,
    /// `FAILED`: the transaction failed.
    Failed {
        /// The API's message, if any.
        message: Option<String>,
    },
    /// A status this client does not know; treat it as not paid.
    Unknown {
        /// The status word.
        status: String,
        /// The API's message, if any.
        message: Option<String>,
    },
}

/// The app asking for a deep link (`generate_deeplink_by_qr`'s `sourceInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The app's icon URL.
    pub app_icon_url: String,
    /// The app's name.
    pub app_name: String,
    /// Where the Bakong app returns to after paying.
    pub app_deep_link_callback: String,
}
