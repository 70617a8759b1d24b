//! Identifiers: UUID newtypes for entities, validated codes for things people type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A string identifier failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {input:?}: {reason}")]
pub struct InvalidId {
    /// What kind of identifier (`"SKU"`, `"coupon code"`...).
    pub kind: &'static str,
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Uuid::parse_str(s).map(Self).map_err(|_| InvalidId {
                    kind: stringify!($name),
                    input: s.to_owned(),
                    reason: "not a UUID",
                })
            }
        }
    };
}

uuid_id!(
    /// A product.
    ProductId
);
uuid_id!(
    /// A category.
    CategoryId
);
uuid_id!(
    /// A customer.
    CustomerId
);
uuid_id!(
    /// A cart.
    CartId
);
uuid_id!(
    /// A checkout session.
    CheckoutId
);
uuid_id!(
    /// An order.
    OrderId
);
uuid_id!(
    /// A payment (one attempt to collect money for an order through one gateway).
    PaymentId
);
uuid_id!(
    /// A refund of a payment.
    RefundId
);
uuid_id!(
    /// A domain event.
    EventId
);
uuid_id!(
    /// A stock reservation.
    ReservationId
);
uuid_id!(
    /// A user account (credentials and role) of a customer.
    AccountId
);

/// Rules for a validated code: allowed length and characters, and case folding.
struct CodeRule {
    kind: &'static str,
    max_len: usize,
    upper: bool,
    extra: &'static [u8],
}

impl CodeRule {
    fn check(&self, input: &str) -> Result<String, InvalidId> {
        let fail = |reason| InvalidId { kind: self.kind, input: input.to_owned(), reason };
        if input.is_empty() {
            return Err(fail("empty"));
        }
        if input.len() > self.max_len {
            return Err(fail("too long"));
        }
        let bytes = input.as_bytes();
        if !bytes[0].is_ascii_alphanumeric() {
            return Err(fail("must start with a letter or digit"));
        }
        if !bytes.iter().all(|b| b.is_ascii_alphanumeric() || self.extra.contains(b)) {
            return Err(fail("contains a character that is not allowed"));
        }
        Ok(if self.upper { input.to_ascii_uppercase() } else { input.to_owned() })
    }
}

/// Byte equality for short codes without a call to `memcmp`: codes are compared on every
/// cart line, and most are a few bytes long. Up to 16 bytes as two overlapping words (or, below 8
/// bytes, two overlapping half-words or single bytes); longer ones as slices.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word<const W: usize>(s: &[u8], first: bool) -> [u8; W] {
        let chunk = if first { s.first_chunk::<W>() } else { s.last_chunk::<W>() };
        chunk.copied().unwrap_or([0; W])
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word::<4>(a, true) == word::<4>(b, true) && word::<4>(a, false) == word::<4>(b, false),
        8..=16 => word::<8>(a, true) == word::<8>(b, true) && word::<8>(a, false) == word::<8>(b, false),
        _ => a == b,
    }
}

macro_rules! code_id {
    ($(#[$m:meta])* $name:ident, $rule:expr) => {
        $(#[$m])*
        #[derive(Clone, Eq, PartialOrd, Ord)]
        pub struct $name(std::sync::Arc<str>);

        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                short_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        // By the text, as equality compares it.
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }

        impl $name {
            const RULE: CodeRule = $rule;

            /// Validates and builds the code.
            pub fn parse(input: &str) -> Result<Self, InvalidId> {
                Self::RULE.check(input).map(|s| Self(s.into()))
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;
            fn try_from(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_id!(
    /// A stock keeping unit: 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `/`, starting with a
    /// letter or digit. Case is kept and significant.
    Sku,
    CodeRule { kind: "SKU", max_len: 64, upper: false, extra: b"-_./" }
);
code_id!(
    /// A coupon code as a customer types it: 1 to 32 letters, digits, `-` or `_`; stored upper
    /// case, so `welcome10` and `WELCOME10` are the same coupon.
    CouponCode,
    CodeRule { kind: "coupon code", max_len: 32, upper: true, extra: b"-_" }
);
code_id!(
    /// A promotion's stable identifier (`summer-sale`): 1 to 64 letters, digits, `-`, `_`, `.`.
    PromotionId,
    CodeRule { kind: "promotion id", max_len: 64, upper: false, extra: b"-_." }
);
code_id!(
    /// A customer group (`wholesale`, `vip`).
    CustomerGroupId,
    CodeRule { kind: "customer group", max_len: 64, upper: false, extra: b"-_." }
);
code_id!(
    /// A tax class (`standard`, `reduced`, `zero`).
    TaxClass,
    CodeRule { kind: "tax class", max_len: 64, upper: false, extra: b"-_." }
);
code_id!(
    /// A region code used by tax and shipping rules: an ISO 3166 country (`KH`) or a subdivision
    /// (`US-CA`); letters, digits and `-`, stored upper case.
    Region,
    CodeRule { kind: "region", max_len: 16, upper: true, extra: b"-" }
);
code_id!(
    /// A shipping method's code (`standard`, `express`).
    ShippingMethodId,
    CodeRule { kind: "shipping method", max_len: 64, upper: false, extra: b"-_." }
);

impl Region {
    /// Whether this region is `other` or inside it: `US-CA` is within `US`.
    pub fn is_within(&self, other: &Region) -> bool {
        self == other
            || (self.0.len() > other.0.len()
                && self.0.starts_with(&*other.0)
                && self.0.as_bytes()[other.0.len()] == b'-')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_equality_is_byte_equality() {
        let words = [
            "",
            "A",
            "AB",
            "ABC",
            "ABD",
            "ABCD",
            "ABCE",
            "XBCD",
            "SKU-001",
            "SKU-002",
            "TKU-001",
            "SKU-0001",
            "SKU-00010",
            "SKU-00011",
            "SKU-000000000001",
            "SKU-000000000002",
            "TKU-000000000001",
            "SKU-0000000000001",
            "SKU-0000000000002",
            "A-much-longer-code-for-the-slice-path",
        ];
        for a in words {
            for b in words {
                assert_eq!(short_eq(a.as_bytes(), b.as_bytes()), a == b, "{a} vs {b}");
            }
        }
        // Every position of every length matters.
        for n in 1..=24 {
            let base = vec![b'a'; n];
            for i in 0..n {
                let mut other = base.clone();
                other[i] = b'b';
                assert!(!short_eq(&base, &other), "length {n}, position {i}");
            }
        }
    }

    #[test]
    fn sku_rules() {
        for ok in ["A", "TSHIRT-RED-M", "sku_1.2/b", "0"] {
            assert_eq!(Sku::parse(ok).unwrap().as_str(), ok);
        }
        for (bad, reason) in [
            ("", "empty"),
            ("-A", "must start"),
            ("A B", "not allowed"),
            ("ÄB", "must start"),
            (&"x".repeat(65), "too long"),
        ] {
            let e = Sku::parse(bad).unwrap_err();
            assert!(e.to_string().contains(reason), "{bad}: {e}");
        }
        assert!(serde_json::from_str::<Sku>("\"bad sku\"").is_err());
    }

    #[test]
    fn coupon_codes_fold_case() {
        assert_eq!(CouponCode::parse("welcome10").unwrap(), CouponCode::parse("WELCOME10").unwrap());
        assert_eq!(CouponCode::parse("welcome10").unwrap().as_str(), "WELCOME10");
    }

    #[test]
    fn regions_nest() {
        let us = Region::parse("us").unwrap();
        let ca = Region::parse("US-CA").unwrap();
        assert!(ca.is_within(&us));
        assert!(us.is_within(&us));
        assert!(!us.is_within(&ca));
        assert!(!Region::parse("USA").unwrap().is_within(&us));
    }

    #[test]
    fn uuid_ids_parse() {
        let id: CartId = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap();
        assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert!("nope".parse::<CartId>().is_err());
    }
}
