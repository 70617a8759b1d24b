//! Idempotency keys: one per engine operation, the same on every retry.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Stripe's limit on an `Idempotency-Key`.
const MAX_LEN: usize = 255;

/// An `Idempotency-Key` for a Stripe POST: 1 to 255 visible ASCII characters.
///
/// Keys are derived from the engine's own operation ids with [`IdempotencyKey::derive`], so a
/// retried engine call (after a crash, a timeout, a redeploy) sends the same key and Stripe
/// replays the first result instead of moving money twice.
///
/// ```
/// use commerce_stripe::IdempotencyKey;
/// let a = IdempotencyKey::derive("refund", "5f0c...-refund-id");
/// assert_eq!(a.as_str(), "commerce-refund-5f0c...-refund-id");
/// assert_eq!(a, IdempotencyKey::derive("refund", "5f0c...-refund-id"));
/// assert_ne!(a, IdempotencyKey::derive("capture", "5f0c...-refund-id"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Uses `key` as given; it must be 1 to 255 visible ASCII characters.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "an idempotency key must be 1 to {MAX_LEN} visible ASCII characters, got {} bytes",
                key.len()
            )));
        }
        Ok(IdempotencyKey(key))
    }

    /// `commerce-{operation}-{id}`: distinct per operation (Stripe refuses one key reused for
    /// different parameters), stable for the same operation. An `id` that would make the key too
    /// long or is not visible ASCII is replaced by its SHA-256, so any engine key works.
    pub fn derive(operation: &str, id: &str) -> Self {
        let plain = format!("commerce-{operation}-{id}");
        if plain.len() <= MAX_LEN && plain.bytes().all(|b| b.is_ascii_graphic()) {
            return IdempotencyKey(plain);
        }
        let digest = hex::encode(Sha256::digest(id.as_bytes()));
        let op: String = operation.chars().filter(char::is_ascii_graphic).take(64).collect();
        IdempotencyKey(format!("commerce-{op}-sha256-{digest}"))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_stable_distinct_and_valid() {
        let long = "x".repeat(300);
        for (op, id) in
            [("pi-create", "abc"), ("refund", long.as_str()), ("capture", "with space"), ("x", "ключ")]
        {
            let k = IdempotencyKey::derive(op, id);
            assert_eq!(k, IdempotencyKey::derive(op, id));
            assert!(IdempotencyKey::new(k.as_str()).is_ok(), "{k}");
            assert_ne!(k, IdempotencyKey::derive("other", id));
        }
        assert_ne!(IdempotencyKey::derive("r", &long), IdempotencyKey::derive("r", &"x".repeat(299)));
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("a b").is_err());
        assert!(IdempotencyKey::new("k".repeat(256)).is_err());
        assert!(IdempotencyKey::new("k".repeat(255)).is_ok());
    }
}
