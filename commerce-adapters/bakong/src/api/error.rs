//! Errors of the Bakong Open API client.

use std::time::Duration;

use commerce_core::ports::GatewayError;

/// An error from the Bakong Open API client.
///
/// Every documented `errorCode` has its own variant (the `message` is the API's
/// `responseMessage`); transport failures, timeouts, rate limiting and unreadable bodies have
/// theirs. Variants that the client retried (429, 5xx, connection errors, timeouts) carry the
/// number of attempts made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// errorCode 1: no such transaction (for an MD5: not paid yet).
    #[error("transaction not found: {message}")]
    NotFound {
        /// The API's message.
        message: String,
    },
    /// errorCode 2: a static QR (no amount) cannot be checked.
    #[error("static QR codes cannot be checked: {message}")]
    StaticQr {
        /// The API's message.
        message: String,
    },
    /// errorCode 3: the transaction failed.
    #[error("transaction failed: {message}")]
    TransactionFailed {
        /// The API's message.
        message: String,
    },
    /// errorCode 4: the deep-link provider failed.
    #[error("deep-link provider error: {message}")]
    DeepLinkProvider {
        /// The API's message.
        message: String,
    },
    /// errorCode 5: required fields are missing or invalid.
    #[error("missing or invalid fields: {message}")]
    MissingFields {
        /// The API's message.
        message: String,
    },
    /// errorCode 6 or HTTP 401: the token is missing, wrong or expired. Renew it
    /// ([`BakongClient::renew_token`](super::BakongClient::renew_token)) and install the new one.
    #[error("unauthorized: the Bakong token is invalid or expired: {message}")]
    TokenExpired {
        /// The API's message.
        message: String,
    },
    /// errorCode 9: Bakong could not connect to a participant.
    #[error("Bakong cannot connect: {message}")]
    CannotConnect {
        /// The API's message.
        message: String,
    },
    /// errorCode 10: the email is not registered (token renewal).
    #[error("email not registered: {message}")]
    NotRegistered {
        /// The API's message.
        message: String,
    },
    /// errorCode 11: the Bakong account does not exist.
    #[error("Bakong account not found: {message}")]
    AccountNotFound {
        /// The API's message.
        message: String,
    },
    /// errorCode 12: the Bakong account id is invalid.
    #[error("Bakong account id invalid: {message}")]
    AccountInvalid {
        /// The API's message.
        message: String,
    },
    /// An error code this client does not know, or an error envelope without a code.
    #[error("Bakong error (HTTP {status}, code {code:?}): {message}")]
    Other {
        /// The `errorCode`, when the body had one.
        code: Option<i64>,
        /// The HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// HTTP 429 on every attempt.
    #[error("rate limited by Bakong after {attempts} attempts")]
    RateLimited {
        /// Requests made.
        attempts: u32,
    },
    /// HTTP 5xx on every attempt.
    #[error("Bakong server error HTTP {status} after {attempts} attempts: {message}")]
    Server {
        /// The last HTTP status.
        status: u16,
        /// Requests made.
        attempts: u32,
        /// The last response's message or a snippet of its body.
        message: String,
    },
    /// A client error status (4xx other than 401/429) without a documented error code.
    #[error("Bakong answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The response's message or a snippet of its body.
        message: String,
    },
    /// The connection failed on every attempt.
    #[error("cannot reach Bakong after {attempts} attempts: {message}")]
    Transport {
        /// Requests made.
        attempts: u32,
        /// What went wrong.
        message: String,
    },
    /// No complete answer within the timeout, on every attempt.
    #[error("Bakong did not answer within {timeout:?} ({attempts} attempts)")]
    Timeout {
        /// The per-request timeout.
        timeout: Duration,
        /// Requests made.
        attempts: u32,
    },
    /// The body is not the documented shape (not JSON, missing fields, inexact amount).
    #[error("malformed Bakong response (HTTP {status}): {reason}")]
    MalformedBody {
        /// The HTTP status.
        status: u16,
        /// What did not fit.
        reason: String,
    },
    /// More MD5s than one `check_transaction_by_md5_list` call accepts.
    #[error("{count} MD5s given, at most {max} per call")]
    TooManyMd5s {
        /// How many were given.
        count: usize,
        /// The limit (50).
        max: usize,
    },
    /// An argument was refused before any request was sent (an MD5 that is not 32 hex digits,
    /// a hash that is not 64, a currency KHQR does not have).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// No token configured for an endpoint that needs one.
    #[error("no Bakong token configured")]
    MissingToken,
    /// The client could not be built (bad base URL, TLS setup).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ApiError {
    /// Maps a documented `errorCode` to its variant.
    pub fn from_code(code: Option<i64>, status: u16, message: String) -> ApiError {
        match code {
            Some(1) => ApiError::NotFound { message },
            Some(2) => ApiError::StaticQr { message },
            Some(3) => ApiError::TransactionFailed { message },
            Some(4) => ApiError::DeepLinkProvider { message },
            Some(5) => ApiError::MissingFields { message },
            Some(6) => ApiError::TokenExpired { message },
            Some(9) => ApiError::CannotConnect { message },
            Some(10) => ApiError::NotRegistered { message },
            Some(11) => ApiError::AccountNotFound { message },
            Some(12) => ApiError::AccountInvalid { message },
            None if status == 401 => ApiError::TokenExpired { message },
            code => ApiError::Other { code, status, message },
        }
    }

    /// The documented `errorCode` this error stands for, if any.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::NotFound { .. } => Some(1),
            ApiError::StaticQr { .. } => Some(2),
            ApiError::TransactionFailed { .. } => Some(3),
            ApiError::DeepLinkProvider { .. } => Some(4),
            ApiError::MissingFields { .. } => Some(5),
            ApiError::TokenExpired { .. } => Some(6),
            ApiError::CannotConnect { .. } => Some(9),
            ApiError::NotRegistered { .. } => Some(10),
            ApiError::AccountNotFound { .. } => Some(11),
            ApiError::AccountInvalid { .. } => Some(12),
            ApiError::Other { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether trying again later may succeed (rate limiting, server errors, network trouble).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Transport { .. }
                | ApiError::Timeout { .. }
                | ApiError::CannotConnect { .. }
        )
    }
}

impl From<ApiError> for GatewayError {
    fn from(e: ApiError) -> Self {
        let text = e.to_string();
        match e {
            ApiError::NotFound { message } => GatewayError::NotFound(message),
            ApiError::TokenExpired { .. } | ApiError::MissingToken => GatewayError::Unauthorized(text),
            ApiError::RateLimited { .. } => GatewayError::RateLimited,
            ApiError::Server { .. }
            | ApiError::Transport { .. }
            | ApiError::Timeout { .. }
            | ApiError::CannotConnect { .. } => GatewayError::Unavailable(text),
            ApiError::StaticQr { .. }
            | ApiError::MissingFields { .. }
            | ApiError::TooManyMd5s { .. }
            | ApiError::InvalidArgument(_)
            | ApiError::AccountInvalid { .. } => GatewayError::InvalidRequest(text),
            _ => GatewayError::Provider(text),
        }
    }
}
