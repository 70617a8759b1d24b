//! How to reach Stripe: key, base URL, timeouts, retries, webhook secret, and the explicit
//! localstripe accommodations.

use std::time::Duration;

use reqwest::Url;

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::secret::{SecretKey, WebhookSecret};

/// Stripe's production API.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";

/// Which server the adapter talks to, and so which parameters it may send.
///
/// Everything the adapter sends in [`Compatibility::Localstripe`] mode is also valid on real
/// Stripe; the mode only leaves out what localstripe (a test stand-in) rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compatibility {
    /// Real Stripe: every parameter the adapter knows is sent.
    #[default]
    Stripe,
    /// localstripe 1.15, which refuses unknown parameters with HTTP 400. Not sent in this mode:
    /// `automatic_payment_methods`, `description`, `receipt_email`, `return_url`,
    /// `cancellation_reason`, and a refund's `reason`. (The adapter never confirms with a
    /// `payment_method` parameter on `/confirm`, which localstripe answers with HTTP 500: a
    /// payment method given up front is passed at creation with `confirm=true`, which works on
    /// both.)
    Localstripe,
}

/// Which payment methods a new PaymentIntent accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaymentMethods {
    /// The methods enabled in the Stripe Dashboard (`automatic_payment_methods[enabled]=true`).
    /// With `allow_redirects: false`, methods that leave the page are excluded. An intent
    /// confirmed on the server (a payment method given up front) while no return URL is
    /// configured excludes them too, since Stripe refuses that confirmation otherwise.
    Automatic {
        /// Allow redirect-based methods (then confirming on the server needs a return URL).
        allow_redirects: bool,
    },
    /// Only these types (`payment_method_types[]=card`).
    Types(Vec<String>),
}

impl Default for PaymentMethods {
    fn default() -> Self {
        PaymentMethods::Automatic { allow_redirects: true }
    }
}

/// Configuration of a [`crate::StripeClient`] and [`crate::StripeGateway`].
///
/// ```
/// use std::time::Duration;
/// use commerce_stripe::{RetryPolicy, SecretKey, StripeConfig, WebhookSecret};
/// let config = StripeConfig::new(SecretKey::new("sk_test_123456")?)
///     .with_webhook_secret(WebhookSecret::new("whsec_abc")?)
///     .with_timeout(Duration::from_secs(20))
///     .with_retry(RetryPolicy::default());
/// assert_eq!(config.base_url().as_str(), "https://api.stripe.com/");
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub(crate) secret_key: SecretKey,
    pub(crate) base_url: Url,
    pub(crate) api_version: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) compatibility: Compatibility,
    pub(crate) payment_methods: PaymentMethods,
    pub(crate) return_url: Option<String>,
    pub(crate) webhook_secret: Option<WebhookSecret>,
    pub(crate) webhook_tolerance: Duration,
}

impl StripeConfig {
    /// Real Stripe with `secret_key`, 30 s request timeout, 10 s connect timeout, the default
    /// [`RetryPolicy`], automatic payment methods, no webhook secret, 300 s webhook tolerance.
    pub fn new(secret_key: SecretKey) -> Self {
        StripeConfig {
            secret_key,
            base_url: Url::parse(STRIPE_API_BASE).unwrap_or_else(|_| unreachable!("constant URL")),
            api_version: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            compatibility: Compatibility::Stripe,
            payment_methods: PaymentMethods::default(),
            return_url: None,
            webhook_secret: None,
            webhook_tolerance: Duration::from_secs(300),
        }
    }

    /// Points the client elsewhere (localstripe, a proxy, a test stub): `http(s)://host[:port]`.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self> {
        let url = Url::parse(base_url).map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(Error::Config(format!("base URL {base_url:?} must be http(s)")));
        }
        self.base_url = url;
        Ok(self)
    }

    /// Pins the API version (`Stripe-Version` header). Without it the account's default applies;
    /// pin it in production so that response shapes do not change under you.
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Whole-request timeout (each try).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (each try).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Which server dialect to speak; see [`Compatibility`].
    pub fn with_compatibility(mut self, compatibility: Compatibility) -> Self {
        self.compatibility = compatibility;
        self
    }

    /// Payment methods new intents accept.
    pub fn with_payment_methods(mut self, methods: PaymentMethods) -> Self {
        self.payment_methods = methods;
        self
    }

    /// Where Stripe sends the buyer back after a redirect, when confirming on the server.
    pub fn with_return_url(mut self, url: impl Into<String>) -> Self {
        self.return_url = Some(url.into());
        self
    }

    /// The webhook endpoint's signing secret (needed to verify notifications).
    pub fn with_webhook_secret(mut self, secret: WebhookSecret) -> Self {
        self.webhook_secret = Some(secret);
        self
    }

    /// How old a webhook may be (default 300 s; zero disables the check, as in Stripe's SDKs).
    pub fn with_webhook_tolerance(mut self, tolerance: Duration) -> Self {
        self.webhook_tolerance = tolerance;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The compatibility mode.
    pub fn compatibility(&self) -> Compatibility {
        self.compatibility
    }

    /// The retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The webhook tolerance.
    pub fn webhook_tolerance(&self) -> Duration {
        self.webhook_tolerance
    }

    /// Whether parameters localstripe rejects may be sent.
    pub(crate) fn full_params(&self) -> bool {
        self.compatibility == Compatibility::Stripe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        let key = SecretKey::new("sk_test_123456").unwrap();
        let c = StripeConfig::new(key.clone());
        for ok in ["http://127.0.0.1:8420", "https://example.test/stripe/"] {
            assert!(c.clone().with_base_url(ok).is_ok(), "{ok}");
        }
        for bad in ["", "127.0.0.1:8420", "ftp://x", "mailto:a@b"] {
            assert!(matches!(c.clone().with_base_url(bad), Err(Error::Config(_))), "{bad}");
        }
        assert!(!format!("{c:?}").contains("123456"));
    }
}
