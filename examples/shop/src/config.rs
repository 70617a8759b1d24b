//! Configuration from the environment. Every variable is optional; a bad value fails at start
//! with a message naming the variable.

use std::net::SocketAddr;
use std::time::Duration;

/// A configuration variable with a bad value.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// What is wrong.
    pub message: String,
}

fn bad(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

/// Stripe settings (offered only when `STRIPE_SECRET_KEY` is set).
#[derive(Clone)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY`.
    pub secret_key: String,
    /// `STRIPE_API_BASE` (localstripe in tests), or Stripe itself.
    pub api_base: Option<String>,
    /// `STRIPE_WEBHOOK_SECRET`; without it `/webhooks/stripe` answers 503.
    pub webhook_secret: Option<String>,
}

/// Bakong settings.
#[derive(Clone)]
pub enum BakongSettings {
    /// The real Open API (`BAKONG_API_URL`, `BAKONG_TOKEN`, `BAKONG_ACCOUNT_ID`).
    Live {
        /// Base URL.
        api_url: String,
        /// Bearer token.
        token: String,
        /// The merchant's Bakong account (`name@bank`).
        account_id: String,
    },
    /// `BAKONG_SANDBOX=1` without a token: the adapter's local stand-in, and the dev pay route.
    Sandbox {
        /// The account the QR codes pay into.
        account_id: String,
    },
}

/// Everything the shop reads from its environment.
#[derive(Clone)]
pub struct Config {
    /// `SHOP_ADDR` (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// `DATABASE_URL` (default `sqlite://shop.db`).
    pub database_url: String,
    /// `SHOP_ADMIN_EMAIL` (default `admin@example.com`).
    pub admin_email: String,
    /// `SHOP_ADMIN_PASSWORD` (default `admin-demo-password`).
    pub admin_password: String,
    /// `SHOP_SEED` (default on): seed the demo catalog into an empty store.
    pub seed: bool,
    /// `JWT_SECRET`; a random one per process when unset (tokens then die with the process).
    pub jwt_secret: Option<String>,
    /// Stripe, when configured.
    pub stripe: Option<StripeSettings>,
    /// Bakong, when configured.
    pub bakong: Option<BakongSettings>,
    /// `MERCHANT_NAME` (default `Commerce Demo Shop`): on KHQR codes and emails.
    pub merchant_name: String,
    /// `MERCHANT_CITY` (default `Phnom Penh`).
    pub merchant_city: String,
    /// `SMTP_URL` (`smtp://user:pass@host:port` or `smtps://...`); without it emails are logged.
    pub smtp_url: Option<String>,
    /// `SHOP_MAIL_FROM` (default `shop@example.com`).
    pub mail_from: String,
    /// `SHOP_WORKER_INTERVAL_MS` (default 500): outbox worker idle poll.
    pub worker_interval: Duration,
    /// `SHOP_POLL_INTERVAL_MS` (default 2000): Bakong payment poller round.
    pub poll_interval: Duration,
    /// `SHOP_LOW_STOCK` (default 5): stock-low threshold set on seeded and created SKUs.
    pub low_stock_threshold: i64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("admin_email", &self.admin_email)
            .field("stripe", &self.stripe.is_some())
            .field("bakong", &self.bakong.as_ref().map(|b| matches!(b, BakongSettings::Sandbox { .. })))
            .field("smtp", &self.smtp_url.is_some())
            .finish_non_exhaustive()
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn millis(var: &'static str, v: Option<String>, default: u64) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(Duration::from_millis(default)),
        Some(s) => match s.trim().parse::<u64>() {
            Ok(n) if (1..=3_600_000).contains(&n) => Ok(Duration::from_millis(n)),
            _ => Err(bad(var, format!("expected milliseconds between 1 and 3600000, got {s:?}"))),
        },
    }
}

fn flag(var: &'static str, v: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(bad(var, format!("expected 1/0, true/false, got {other:?}"))),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(|k| std::env::var(k).ok())
    }

    /// Reads variables from `get` (the environment, or a map in tests).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let addr = match get("SHOP_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(s) => s.trim().parse().map_err(|_| {
                bad("SHOP_ADDR", format!("expected host:port such as 127.0.0.1:8080, got {s:?}"))
            })?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://shop.db".into());
        if !["sqlite:", "mysql://", "mariadb://", "memory:"].iter().any(|p| database_url.starts_with(p)) {
            return Err(bad(
                "DATABASE_URL",
                format!("expected sqlite://..., mysql://... or memory:, got {:?}", redact_url(&database_url)),
            ));
        }
        for (var, what) in [("REDIS_URL", "Redis"), ("MONGODB_URL", "MongoDB")] {
            if get(var).is_some() {
                return Err(bad(
                    var,
                    format!(
                        "this build has no {what} adapter yet; the shop runs entirely on DATABASE_URL \
                         (unset {var})"
                    ),
                ));
            }
        }
        let admin_email = get("SHOP_ADMIN_EMAIL").unwrap_or_else(|| "admin@example.com".into());
        commerce::customer::Email::parse(&admin_email).map_err(|e| bad("SHOP_ADMIN_EMAIL", e.to_string()))?;
        let admin_password = get("SHOP_ADMIN_PASSWORD").unwrap_or_else(|| "admin-demo-password".into());
        if admin_password.chars().count() < 8 {
            return Err(bad("SHOP_ADMIN_PASSWORD", "needs at least 8 characters"));
        }
        let jwt_secret = get("JWT_SECRET");
        if let Some(s) = &jwt_secret
            && s.len() < 32
        {
            return Err(bad("JWT_SECRET", "needs at least 32 bytes"));
        }
        let stripe = match get("STRIPE_SECRET_KEY") {
            None => {
                for var in ["STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"] {
                    if get(var).is_some() {
                        return Err(bad(var, "set, but STRIPE_SECRET_KEY is not"));
                    }
                }
                None
            }
            Some(key) => {
                commerce::stripe::SecretKey::new(key.clone())
                    .map_err(|e| bad("STRIPE_SECRET_KEY", e.to_string()))?;
                let api_base = get("STRIPE_API_BASE");
                if let Some(b) = &api_base
                    && !(b.starts_with("http://") || b.starts_with("https://"))
                {
                    return Err(bad("STRIPE_API_BASE", format!("expected an http(s) URL, got {b:?}")));
                }
                let webhook_secret = get("STRIPE_WEBHOOK_SECRET");
                if let Some(w) = &webhook_secret {
                    commerce::stripe::WebhookSecret::new(w.clone())
                        .map_err(|e| bad("STRIPE_WEBHOOK_SECRET", e.to_string()))?;
                }
                Some(StripeSettings { secret_key: key, api_base, webhook_secret })
            }
        };
        let sandbox = flag("BAKONG_SANDBOX", get("BAKONG_SANDBOX"), false)?;
        let bakong = match (get("BAKONG_TOKEN"), sandbox) {
            (Some(token), _) => {
                let api_url = get("BAKONG_API_URL")
                    .ok_or_else(|| bad("BAKONG_API_URL", "required with BAKONG_TOKEN"))?;
                let account_id = get("BAKONG_ACCOUNT_ID")
                    .ok_or_else(|| bad("BAKONG_ACCOUNT_ID", "required with BAKONG_TOKEN"))?;
                Some(BakongSettings::Live { api_url, token, account_id })
            }
            (None, true) => Some(BakongSettings::Sandbox {
                account_id: get("BAKONG_ACCOUNT_ID").unwrap_or_else(|| "demo_shop@devb".into()),
            }),
            (None, false) => {
                if get("BAKONG_API_URL").is_some() {
                    return Err(bad("BAKONG_TOKEN", "BAKONG_API_URL is set but BAKONG_TOKEN is not"));
                }
                None
            }
        };
        if let Some(BakongSettings::Live { account_id, .. } | BakongSettings::Sandbox { account_id }) =
            &bakong
            && !account_id.contains('@')
        {
            return Err(bad("BAKONG_ACCOUNT_ID", format!("expected name@bank, got {account_id:?}")));
        }
        let merchant_name = get("MERCHANT_NAME").unwrap_or_else(|| "Commerce Demo Shop".into());
        if merchant_name.chars().count() > 25 {
            return Err(bad("MERCHANT_NAME", "KHQR allows at most 25 characters"));
        }
        let merchant_city = get("MERCHANT_CITY").unwrap_or_else(|| "Phnom Penh".into());
        if merchant_city.chars().count() > 15 {
            return Err(bad("MERCHANT_CITY", "KHQR allows at most 15 characters"));
        }
        let smtp_url = get("SMTP_URL");
        if let Some(u) = &smtp_url
            && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
        {
            return Err(bad("SMTP_URL", "expected smtp://... or smtps://..."));
        }
        let low_stock_threshold =
            match get("SHOP_LOW_STOCK") {
                None => 5,
                Some(s) => s.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    bad("SHOP_LOW_STOCK", format!("expected a whole number >= 0, got {s:?}"))
                })?,
            };
        Ok(Config {
            addr,
            database_url,
            admin_email,
            admin_password,
            seed: flag("SHOP_SEED", get("SHOP_SEED"), true)?,
            jwt_secret,
            stripe,
            bakong,
            merchant_name,
            merchant_city,
            smtp_url,
            mail_from: get("SHOP_MAIL_FROM").unwrap_or_else(|| "shop@example.com".into()),
            worker_interval: millis("SHOP_WORKER_INTERVAL_MS", get("SHOP_WORKER_INTERVAL_MS"), 500)?,
            poll_interval: millis("SHOP_POLL_INTERVAL_MS", get("SHOP_POLL_INTERVAL_MS"), 2000)?,
            low_stock_threshold,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://shop.db");
        assert!(c.stripe.is_none() && c.bakong.is_none() && c.smtp_url.is_none());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (vars, var) in [
            (vec![("SHOP_ADDR", "localhost")], "SHOP_ADDR"),
            (vec![("DATABASE_URL", "postgres://x")], "DATABASE_URL"),
            (vec![("REDIS_URL", "redis://127.0.0.1")], "REDIS_URL"),
            (vec![("JWT_SECRET", "short")], "JWT_SECRET"),
            (vec![("STRIPE_WEBHOOK_SECRET", "whsec_x")], "STRIPE_WEBHOOK_SECRET"),
            (vec![("STRIPE_SECRET_KEY", "not-a-key")], "STRIPE_SECRET_KEY"),
            (vec![("BAKONG_TOKEN", "t")], "BAKONG_API_URL"),
            (vec![("BAKONG_SANDBOX", "maybe")], "BAKONG_SANDBOX"),
            (vec![("SHOP_POLL_INTERVAL_MS", "0")], "SHOP_POLL_INTERVAL_MS"),
            (vec![("MERCHANT_NAME", "A name far too long for a KHQR code")], "MERCHANT_NAME"),
            (vec![("SHOP_ADMIN_PASSWORD", "short")], "SHOP_ADMIN_PASSWORD"),
        ] {
            let e = config(&vars).err().unwrap_or_else(|| panic!("{vars:?} accepted"));
            assert_eq!(e.var, var, "{vars:?}: {e}");
            assert!(e.to_string().starts_with(var));
        }
    }

    #[test]
    fn sandbox_and_passwords_are_redacted() {
        let c =
            config(&[("BAKONG_SANDBOX", "1"), ("DATABASE_URL", "mysql://shop:s3cret@db:3306/shop")]).unwrap();
        assert!(matches!(c.bakong, Some(BakongSettings::Sandbox { .. })));
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("shop:***@db"), "{debug}");
    }
}
