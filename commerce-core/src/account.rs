//! Accounts: the credentials and role of a customer who signs in.
//!
//! The engine stores accounts but never sees a password: the host hashes passwords (argon2 or
//! similar) and hands the engine the PHC hash string. Password-reset tokens are likewise chosen
//! by the host (high-entropy random text); the store keeps only their SHA-256 digest
//! ([`PasswordReset::token_hash`]), computed by the host, so a leaked table cannot be replayed.
//!
//! An [`Account`] belongs to exactly one [`Customer`](crate::customer::Customer): the customer is
//! the commerce identity (carts, orders, customer group), the account is how a person proves to
//! be that customer.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::customer::Email;
use crate::ids::{AccountId, CustomerId, InvalidId};

/// A login name: 3 to 32 characters, ASCII letters, digits, `.`, `_` and `-`, starting with a
/// letter or digit. Case-insensitive: stored lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Validates and lower-cases a username.
    pub fn parse(input: &str) -> Result<Self, InvalidId> {
        let fail = |reason| InvalidId { kind: "username", input: input.to_owned(), reason };
        if input.len() < 3 {
            return Err(fail("shorter than 3 characters"));
        }
        if input.len() > 32 {
            return Err(fail("longer than 32 characters"));
        }
        let bytes = input.as_bytes();
        if !bytes[0].is_ascii_alphanumeric() {
            return Err(fail("must start with a letter or digit"));
        }
        if !bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(fail("only letters, digits, '.', '_' and '-' are allowed"));
        }
        Ok(Username(input.to_ascii_lowercase()))
    }

    /// The name (lower-case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", self.0)
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Username::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shopper.
    Customer,
    /// A merchant operator: catalog, stock, orders, refunds.
    Admin,
}

impl Role {
    /// The snake_case word used in JSON and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    /// Parses [`Role::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user account.
///
/// Unique case-insensitively by username and by email across all accounts.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Id.
    pub id: AccountId,
    /// The customer this account signs in as.
    pub customer_id: CustomerId,
    /// Login name.
    pub username: Username,
    /// Login email (also the customer's contact email).
    pub email: Email,
    /// The password hash as the host produced it (a PHC string such as `$argon2id$...`).
    pub password_hash: String,
    /// What the account may do.
    pub role: Role,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Optimistic-concurrency version, maintained by storage.
    pub version: u64,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Account {
    /// "First Last", or the username when no name is known.
    pub fn display_name(&self) -> String {
        match (self.first_name.as_deref(), self.last_name.as_deref()) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.to_owned(),
            (None, None) => self.username.as_str().to_owned(),
        }
    }
}

impl fmt::Debug for Account {
    // The hash is not a secret in the way a password is, but it has no business in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("customer_id", &self.customer_id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// An outstanding password-reset grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// Lower-case hex SHA-256 of the token the user received (never the token itself).
    pub token_hash: String,
    /// The account it resets.
    pub account_id: AccountId,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// After this instant it is refused.
    pub expires_at: DateTime<Utc>,
}

/// The largest profile name the engine accepts, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Checks an optional personal name: trimmed, non-empty, at most [`MAX_NAME_CHARS`], no control
/// characters. Returns the trimmed name.
pub fn check_name(field: &'static str, name: Option<&str>) -> Result<Option<String>, InvalidId> {
    let Some(raw) = name else { return Ok(None) };
    let name = raw.trim();
    let fail = |reason| InvalidId { kind: field, input: raw.to_owned(), reason };
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(fail("longer than 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(fail("contains control characters"));
    }
    Ok(Some(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("Ann_01").unwrap().as_str(), "ann_01");
        assert_eq!(Username::parse("a.b-c").unwrap().as_str(), "a.b-c");
        for bad in ["", "ab", "_ann", "ann smith", "ann@x", "ännä", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Customer, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn names() {
        assert_eq!(check_name("first name", Some("  Ann ")).unwrap().as_deref(), Some("Ann"));
        assert_eq!(check_name("first name", Some("   ")).unwrap(), None);
        assert!(check_name("first name", Some("a\u{0}b")).is_err());
        assert!(check_name("first name", Some(&"x".repeat(101))).is_err());
    }
}
