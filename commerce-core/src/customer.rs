//! Customers, emails and addresses.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{CustomerGroupId, CustomerId, InvalidId, Region};

/// A syntactically plausible email address (one `@`, non-empty local part, a dot in the domain,
/// no whitespace, at most 254 characters). Stored as given, compared case-insensitively in the
/// domain by lower-casing it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Validates an address.
    pub fn parse(input: &str) -> Result<Self, InvalidId> {
        let fail = |reason| InvalidId { kind: "email", input: input.to_owned(), reason };
        if input.len() > 254 {
            return Err(fail("too long"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("contains whitespace"));
        }
        let (local, domain) = input.split_once('@').ok_or_else(|| fail("missing '@'"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(fail("expected exactly one '@' with a name before it"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(fail("the domain needs a dot"));
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A postal address. `country` (and optionally `region`) drive tax and shipping rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Recipient.
    pub name: String,
    /// First line.
    pub line1: String,
    /// Second line.
    #[serde(default)]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State or province code within the country (`CA`), if any.
    #[serde(default)]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166 country code (`KH`, `US`).
    pub country: Region,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
}

impl Address {
    /// The most specific region code for tax and shipping: `US-CA` when a state is given,
    /// else the country.
    pub fn tax_region(&self) -> Region {
        self.region
            .as_deref()
            .and_then(|r| Region::parse(&format!("{}-{}", self.country, r)).ok())
            .unwrap_or_else(|| self.country.clone())
    }
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Id.
    pub id: CustomerId,
    /// Email.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// The customer group price lists and promotions may target.
    pub group: Option<CustomerGroupId>,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("Ann@Example.COM").unwrap().as_str(), "Ann@example.com");
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.c", "a@c."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tax_region() {
        let mut a = Address {
            name: "A".into(),
            line1: "1".into(),
            line2: None,
            city: "X".into(),
            region: Some("ca".into()),
            postal_code: None,
            country: Region::parse("US").unwrap(),
            phone: None,
        };
        assert_eq!(a.tax_region().as_str(), "US-CA");
        a.region = None;
        assert_eq!(a.tax_region().as_str(), "US");
    }
}
