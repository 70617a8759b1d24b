//! The HTTP client: form-encoded requests, bearer auth, idempotency keys, retries, typed errors.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::config::StripeConfig;
use crate::error::{Error, Result, from_response};
use crate::idempotency::IdempotencyKey;
use crate::retry::{Outcome, is_retryable, parse_retry_after, parse_should_retry};

/// A client for Stripe's REST API (or localstripe, or a stub), cheap to clone.
///
/// The PaymentIntent and refund calls live in [`crate::intents`] and [`crate::refunds`]; every
/// POST carries an [`IdempotencyKey`] and is retried only as Stripe allows (see
/// [`crate::RetryPolicy`]).
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    config: Arc<StripeConfig>,
}

/// Form parameters in Stripe's bracket notation (`metadata[order_id]=42`), in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form(pub(crate) Vec<(String, String)>);

impl Form {
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.push((key.into(), value.into()));
    }

    /// Adds `metadata[k]=v` for each entry, after checking Stripe's limits (50 keys, keys up to
    /// 40 characters without brackets, values up to 500 characters).
    pub(crate) fn metadata(&mut self, metadata: &BTreeMap<String, String>) -> Result<()> {
        let bad = |message: String| Error::InvalidRequest {
            message,
            param: Some("metadata".into()),
            code: Some("metadata_limits".into()),
        };
        if metadata.len() > 50 {
            return Err(bad(format!("{} metadata keys; Stripe allows 50", metadata.len())));
        }
        for (k, v) in metadata {
            if k.is_empty() || k.chars().count() > 40 || k.contains(['[', ']']) {
                return Err(bad(format!("metadata key {k:?} must be 1 to 40 characters without brackets")));
            }
            if v.chars().count() > 500 {
                return Err(bad(format!("metadata value of {k:?} is longer than 500 characters")));
            }
            self.push(format!("metadata[{k}]"), v.clone());
        }
        Ok(())
    }
}

/// Checks that an id can go into a URL path (`pi_123`, `re_ABC`): letters, digits and `_`.
pub(crate) fn check_id(kind: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 255 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::InvalidRequest {
            message: format!("{id:?} is not a Stripe {kind} id"),
            param: Some(kind.to_owned()),
            code: Some("invalid_id".into()),
        });
    }
    Ok(())
}

impl StripeClient {
    /// A client for `config`.
    pub fn new(config: StripeConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("commerce-stripe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(StripeClient { http, config: Arc::new(config) })
    }

    /// The configuration.
    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    /// `POST /v1/{path}` with `form`, under `key`.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Form,
        key: &IdempotencyKey,
    ) -> Result<T> {
        self.execute(Method::POST, path, Some(form), &[], Some(key)).await
    }

    /// `GET /v1/{path}?query`.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        self.execute(Method::GET, path, None, query, None).await
    }

    async fn execute<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        form: Option<&Form>,
        query: &[(&str, &str)],
        key: Option<&IdempotencyKey>,
    ) -> Result<T> {
        let raw = format!("{}/v1/{path}", self.config.base_url.as_str().trim_end_matches('/'));
        let mut url = reqwest::Url::parse(&raw).map_err(|e| Error::Config(format!("URL {raw:?}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let policy = self.config.retry;
        let mut retry = 0;
        loop {
            let mut request =
                self.http.request(method.clone(), url.clone()).bearer_auth(self.config.secret_key.expose());
            if let Some(version) = &self.config.api_version {
                request = request.header("Stripe-Version", version);
            }
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key.as_str());
            }
            if let Some(form) = form {
                request = request.form(&form.0);
            }
            let (outcome, error, retry_after) = match request.send().await {
                Err(e) if e.is_builder() => return Err(Error::Config(format!("request to {path}: {e}"))),
                Err(e) => {
                    (Outcome::NoResponse, Error::Unavailable { status: None, message: describe(&e) }, None)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
                    let should_retry = parse_should_retry(header("stripe-should-retry"));
                    let retry_after = parse_retry_after(header("retry-after"));
                    let request_id = header("request-id").map(str::to_owned);
                    match response.bytes().await {
                        Ok(body) if (200..300).contains(&status) => {
                            return serde_json::from_slice(&body)
                                .map_err(|e| Error::UnexpectedResponse(format!("{method} {path}: {e}")));
                        }
                        Ok(body) => {
                            let error = from_response(status, &body);
                            tracing::debug!(%method, path, status, ?request_id, %error, "Stripe error");
                            (Outcome::Status { status, should_retry }, error, retry_after)
                        }
                        Err(e) => (
                            Outcome::NoResponse,
                            Error::Unavailable { status: Some(status), message: describe(&e) },
                            None,
                        ),
                    }
                }
            };
            if retry < policy.max_retries() && is_retryable(outcome) {
                let wait = policy.backoff(retry, retry_after);
                tracing::info!(%method, path, retry = retry + 1, ?wait, %error, "retrying Stripe request");
                tokio::time::sleep(wait).await;
                retry += 1;
                continue;
            }
            return Err(error);
        }
    }
}

/// A transport error for people, without the URL's query.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_limits_are_checked_before_calling_stripe() {
        let check = |pairs: Vec<(String, String)>, ok: bool| {
            let mut f = Form::default();
            let map: BTreeMap<_, _> = pairs.into_iter().collect();
            assert_eq!(f.metadata(&map).is_ok(), ok, "{map:?}");
        };
        check(vec![("order_id".into(), "42".into())], true);
        check(vec![("k".repeat(40), "v".repeat(500))], true);
        check(vec![("k".repeat(41), "v".into())], false);
        check(vec![("k".into(), "v".repeat(501))], false);
        check(vec![("a[b]".into(), "v".into())], false);
        check(vec![(String::new(), "v".into())], false);
        check((0..51).map(|i| (format!("k{i}"), "v".into())).collect(), false);
        let mut f = Form::default();
        f.metadata(&BTreeMap::from([("payment_id".to_owned(), "p1".to_owned())])).unwrap();
        assert_eq!(f.0, vec![("metadata[payment_id]".to_owned(), "p1".to_owned())]);
    }

    #[test]
    fn ids_are_checked_before_going_into_a_path() {
        for ok in ["pi_3MtwBwLkdIwHu7ix28a3tqPa", "re_1", "ch_ABC_def"] {
            assert!(check_id("payment_intent", ok).is_ok(), "{ok}");
        }
        for bad in ["", "pi_1/../../v1/charges", "pi 1", "pi_1?expand=x", "pi_é"] {
            assert!(check_id("payment_intent", bad).is_err(), "{bad}");
        }
    }
}
