//! A client for the Bakong Open API: transaction checks, deep links, account checks and token
//! renewal.
//!
//! Every call is `POST {base_url}/v1/<endpoint>` with a JSON body and, except token renewal, a
//! bearer token. Requests that fail with HTTP 429, a 5xx status, a connection error or a
//! timeout are retried per the [`RetryPolicy`]; other 4xx answers are returned at once.
//!
//! ```no_run
//! use commerce_bakong::api::{BakongClient, ClientConfig, Token};
//! # async fn demo() -> Result<(), commerce_bakong::api::ApiError> {
//! let client = BakongClient::new(
//!     ClientConfig::new(commerce_bakong::api::SIT_URL).with_token(Token::new("eyJhbGciOi...")),
//! )?;
//! match client.check_transaction_by_md5("d76c833eb7f91f710a622b84b5c86ef5").await {
//!     Ok(tx) => println!("paid {} by {}", tx.amount, tx.from_account_id),
//!     Err(e) if e.code() == Some(1) => println!("not paid yet"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

mod error;
mod retry;
mod types;
mod wire;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use commerce_core::Money;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;

pub use error::ApiError;
pub use retry::RetryPolicy;
pub use types::{Md5Check, Md5Outcome, SourceInfo, Token, Transaction};
#[cfg(feature = "sandbox")]
pub(crate) use wire::exact_decimal;

/// The production Bakong Open API.
pub const PRODUCTION_URL: &str = "https://api-bakong.nbc.gov.kh";
/// Bakong's own test environment (it needs its own token).
pub const SIT_URL: &str = "https://sit-api-bakong.nbc.gov.kh";
/// The most MD5s one `check_transaction_by_md5_list` call accepts.
pub const MAX_MD5_PER_CALL: usize = 50;

/// Where the client talks to, with what token, and how patiently.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The API root, e.g. [`PRODUCTION_URL`], [`SIT_URL`] or a local sandbox.
    pub base_url: String,
    /// The bearer token (not needed for [`BakongClient::renew_token`] alone).
    pub token: Option<Token>,
    /// The whole request, body included, must finish within this.
    pub timeout: Duration,
    /// Connecting must finish within this.
    pub connect_timeout: Duration,
    /// Retries on 429, 5xx, connection errors and timeouts.
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// A configuration for `base_url` without a token, with a 15 s timeout (5 s to connect) and
    /// the default [`RetryPolicy`].
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            token: None,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the token.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets the per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// A Bakong Open API client. Cheap to clone (clones share the connection pool and the token).
#[derive(Clone)]
pub struct BakongClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: RwLock<Option<Token>>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl std::fmt::Debug for BakongClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BakongClient")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.token().map(|_| "<redacted>"))
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl BakongClient {
    /// Builds a client. Fails with [`ApiError::Config`] on a base URL that is not http(s).
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| ApiError::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ApiError::Config(format!("base URL {base_url:?} is not http or https")));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("commerce-bakong/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(e.to_string()))?;
        Ok(BakongClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                token: RwLock::new(config.token),
                timeout: config.timeout,
                retry: config.retry,
            }),
        })
    }

    /// The API root this client talks to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Installs a new token (after [`renew_token`](Self::renew_token) or a rotation).
    pub fn set_token(&self, token: Token) {
        *self.inner.token.write().unwrap_or_else(|e| e.into_inner()) = Some(token);
    }

    fn token(&self) -> Option<Token> {
        self.inner.token.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Looks a payment up by the MD5 of its KHQR string.
    ///
    /// Not paid yet is [`ApiError::NotFound`]; a failed payment is
    /// [`ApiError::TransactionFailed`]; a static QR is [`ApiError::StaticQr`].
    pub async fn check_transaction_by_md5(&self, md5: &str) -> Result<Transaction, ApiError> {
        let md5 = normalize_hex(md5, 32, "MD5")?;
        let data = self.call("check_transaction_by_md5", &wire::Md5Body { md5: &md5 }, true).await?;
        wire::transaction(wire::open_envelope(data.0, &data.1)?)
    }

    /// Looks a transaction up by its full hash (64 hex digits).
    pub async fn check_transaction_by_hash(&self, hash: &str) -> Result<Transaction, ApiError> {
        let hash = normalize_hex(hash, 64, "transaction hash")?;
        let data = self.call("check_transaction_by_hash", &wire::HashBody { hash: &hash }, true).await?;
        wire::transaction(wire::open_envelope(data.0, &data.1)?)
    }

    /// Looks a transaction up by the first 8 hex digits of its hash and its amount.
    pub async fn check_transaction_by_short_hash(
        &self,
        short_hash: &str,
        amount: Money,
    ) -> Result<Transaction, ApiError> {
        let hash = normalize_hex(short_hash, 8, "short hash")?;
        let body = wire::ShortHashBody {
            hash: &hash,
            amount: wire::json_number(amount.amount())?,
            currency: amount.currency().code(),
        };
        let data = self.call("check_transaction_by_short_hash", &body, true).await?;
        wire::transaction(wire::open_envelope(data.0, &data.1)?)
    }

    /// Checks up to [`MAX_MD5_PER_CALL`] MD5s in one call. More is
    /// [`ApiError::TooManyMd5s`] (nothing is sent); none answers an empty list without a call.
    pub async fn check_transactions_by_md5_list(&self, md5s: &[String]) -> Result<Vec<Md5Check>, ApiError> {
        if md5s.len() > MAX_MD5_PER_CALL {
            return Err(ApiError::TooManyMd5s { count: md5s.len(), max: MAX_MD5_PER_CALL });
        }
        if md5s.is_empty() {
            return Ok(Vec::new());
        }
        let md5s = md5s.iter().map(|m| normalize_hex(m, 32, "MD5")).collect::<Result<Vec<_>, _>>()?;
        let data = self.call("check_transaction_by_md5_list", &md5s, true).await?;
        wire::md5_list(wire::open_envelope(data.0, &data.1)?)
    }

    /// Asks Bakong for a short link that opens the Bakong app on this KHQR.
    pub async fn generate_deeplink(&self, qr: &str, source: &SourceInfo) -> Result<String, ApiError> {
        if qr.is_empty() {
            return Err(ApiError::InvalidArgument("empty QR".into()));
        }
        let body = wire::DeepLinkBody { qr, source_info: source.into() };
        let data = self.call("generate_deeplink_by_qr", &body, true).await?;
        wire::short_link(wire::open_envelope(data.0, &data.1)?)
    }

    /// Checks that a Bakong account exists: `Ok(())` when it does,
    /// [`ApiError::AccountNotFound`] or [`ApiError::AccountInvalid`] when not.
    pub async fn check_bakong_account(&self, account_id: &str) -> Result<(), ApiError> {
        if account_id.is_empty() {
            return Err(ApiError::InvalidArgument("empty account id".into()));
        }
        let data = self.call("check_bakong_account", &wire::AccountBody { account_id }, true).await?;
        wire::open_envelope(data.0, &data.1).map(|_| ())
    }

    /// Renews the token for the registered `email` (no token needed) and installs it on this
    /// client. An unknown email is [`ApiError::NotRegistered`]. Store the returned token: it is
    /// what the next process starts with.
    pub async fn renew_token(&self, email: &str) -> Result<Token, ApiError> {
        if email.is_empty() {
            return Err(ApiError::InvalidArgument("empty email".into()));
        }
        let data = self.call("renew_token", &wire::EmailBody { email }, false).await?;
        let token = Token::new(wire::token(wire::open_envelope(data.0, &data.1)?)?);
        self.set_token(token.clone());
        Ok(token)
    }

    /// Sends one request with retries; answers the final status and body (any status that is
    /// not retried, or the last one after retries ran out, turned into an error where it must).
    async fn call<B: Serialize + ?Sized>(
        &self,
        endpoint: &'static str,
        body: &B,
        auth: bool,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let body = serde_json::to_vec(body).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
        let token = if auth { Some(self.token().ok_or(ApiError::MissingToken)?) } else { None };
        let url = format!("{}/v1/{endpoint}", self.inner.base_url);
        let policy = self.inner.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let last_try = attempt > policy.max_retries;
            let mut request =
                self.inner.http.post(&url).header(CONTENT_TYPE, "application/json").body(body.clone());
            if let Some(token) = &token {
                request = request.bearer_auth(token.expose());
            }
            let (failure, retry_after) = match send(request).await {
                Ok((status, _, bytes)) if !retryable_status(status) => return Ok((status.as_u16(), bytes)),
                Ok((status, retry_after, bytes)) => (retry_failure(status, &bytes, attempt), retry_after),
                Err(e) => (self.transport_failure(&e, attempt), None),
            };
            if last_try {
                return Err(failure);
            }
            let wait = policy.backoff(attempt - 1, retry_after);
            tracing::warn!(endpoint, attempt, ?wait, error = %failure, "Bakong request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn transport_failure(&self, e: &reqwest::Error, attempts: u32) -> ApiError {
        if e.is_timeout() {
            ApiError::Timeout { timeout: self.inner.timeout, attempts }
        } else {
            ApiError::Transport { attempts, message: error_chain(e) }
        }
    }
}

async fn send(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, Option<Duration>, Vec<u8>), reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let bytes = response.bytes().await?;
    Ok((status, retry_after, bytes.to_vec()))
}

fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The error a retryable status stands for, were it the last attempt.
fn retry_failure(status: StatusCode, body: &[u8], attempts: u32) -> ApiError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ApiError::RateLimited { attempts };
    }
    match wire::open_envelope(status.as_u16(), body) {
        Err(e @ ApiError::CannotConnect { .. }) => e,
        Err(ApiError::Http { message, .. }) | Err(ApiError::Other { message, .. }) => {
            ApiError::Server { status: status.as_u16(), attempts, message }
        }
        _ => ApiError::Server { status: status.as_u16(), attempts, message: wire::snippet(body) },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Checks `value` is `len` hex digits and lower-cases it.
fn normalize_hex(value: &str, len: usize, what: &str) -> Result<String, ApiError> {
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::InvalidArgument(format!("{what} must be {len} hex digits, got {value:?}")));
    }
    Ok(value.to_ascii_lowercase())
}
