//! Secrets: the API key and the webhook signing secret. Their `Debug` and `Display` never print
//! the value, so they can sit in configs that get logged.

use std::fmt;

use crate::error::{Error, Result};

/// A Stripe secret (`sk_...`) or restricted (`rk_...`) API key.
///
/// ```
/// use commerce_stripe::SecretKey;
/// let key = SecretKey::new("sk_test_4eC39HqLyjWDarjtT1zdp7dc")?;
/// assert_eq!(format!("{key:?}"), "SecretKey(sk_test_****)");
/// assert!(!key.to_string().contains("4eC39"));
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Checks the shape (`sk_` or `rk_` prefix, no whitespace) and wraps the key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let prefixed = key.starts_with("sk_") || key.starts_with("rk_");
        if !prefixed || key.len() < 6 || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Config(
                "the Stripe API key must start with `sk_` or `rk_` and contain no whitespace".into(),
            ));
        }
        Ok(SecretKey(key))
    }

    /// Whether this is a live-mode key (`sk_live_`/`rk_live_`).
    pub fn is_live(&self) -> bool {
        self.0[3..].starts_with("live_")
    }

    /// The key itself, for the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn redacted(&self) -> String {
        // Keep the mode visible (`sk_test_`), never any of the secret part.
        let mode = if self.is_live() {
            "live_"
        } else if self.0[3..].starts_with("test_") {
            "test_"
        } else {
            ""
        };
        format!("{}{mode}****", &self.0[..3])
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.redacted())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A webhook endpoint's signing secret (`whsec_...`). The whole string, prefix included, is the
/// HMAC key.
///
/// ```
/// use commerce_stripe::WebhookSecret;
/// let secret = WebhookSecret::new("whsec_abc123")?;
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(****)");
/// # Ok::<(), commerce_stripe::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// Wraps a signing secret. Empty or whitespace-only secrets are refused (Stripe's SDKs refuse
    /// them too). Any other text is accepted as is: Stripe's secrets start with `whsec_`, but
    /// the signature is defined over whatever string the endpoint was configured with.
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = secret.into();
        // The same characters Python's `str.strip(" \t\r\n\f\v")` removes in Stripe's SDK.
        if secret.trim_matches([' ', '\t', '\r', '\n', '\x0c', '\x0b']).is_empty() {
            return Err(Error::Config("the webhook secret is empty".into()));
        }
        Ok(WebhookSecret(secret))
    }

    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(****)")
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("whsec_****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_print_their_secret_part() {
        for (raw, shown) in [
            ("sk_test_51HxSECRETxyz", "sk_test_****"),
            ("sk_live_51HxSECRETxyz", "sk_live_****"),
            ("rk_test_SECRETxyz", "rk_test_****"),
            ("sk_SECRETxyz", "sk_****"),
        ] {
            let key = SecretKey::new(raw).unwrap();
            assert_eq!(key.to_string(), shown);
            assert_eq!(format!("{key:?}"), format!("SecretKey({shown})"));
            assert!(!format!("{key:?}{key}").contains("SECRET"));
        }
        let w = WebhookSecret::new("whsec_SECRET").unwrap();
        assert!(!format!("{w:?}{w}").contains("SECRET"));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["", "pk_test_abc", "sk_", "sk_te st", "sk_test\n"] {
            assert!(matches!(SecretKey::new(bad), Err(Error::Config(_))), "{bad:?}");
        }
        for bad in ["", "  ", "\t\r\n\x0b\x0c"] {
            assert!(matches!(WebhookSecret::new(bad), Err(Error::Config(_))), "{bad:?}");
        }
        assert!(WebhookSecret::new(" x ").is_ok());
    }
}
