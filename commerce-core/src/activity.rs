//! Shopper activity and what is derived from it: recently viewed products, "customers also
//! bought", popular products.
//!
//! Activity is recorded by the host (a product page was viewed, a search was run) under a
//! *subject*: a stable key for the shopper, such as `"customer:<id>"` for a signed-in customer or
//! `"cart:<token>"` for a guest. Purchase-based figures come from placed orders, which the store
//! already holds; nothing here needs a second database. (A MongoDB-backed implementation of the
//! same port can take over when analytics outgrow the primary store.)

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, ProductId};

/// The longest subject key accepted, in bytes.
pub const MAX_SUBJECT_LEN: usize = 100;
/// The longest search query recorded, in characters; longer queries are cut.
pub const MAX_QUERY_CHARS: usize = 200;

/// Who did something: a signed-in customer, or an opaque guest key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Subject {
    /// A signed-in customer.
    Customer(CustomerId),
    /// A guest, by an opaque key the host chose (a cart token or session id, at most
    /// [`MAX_SUBJECT_LEN`] bytes).
    Guest(String),
}

impl Subject {
    /// The storage key: `customer:<uuid>` or `guest:<key>`.
    pub fn key(&self) -> String {
        match self {
            Subject::Customer(id) => format!("customer:{id}"),
            Subject::Guest(key) => format!("guest:{key}"),
        }
    }
}

/// What a shopper did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActivityKind {
    /// Opened a product's page.
    ProductViewed {
        /// The product.
        product_id: ProductId,
    },
    /// Searched the catalog.
    Searched {
        /// The query as typed (cut to [`MAX_QUERY_CHARS`]).
        query: String,
    },
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Who.
    pub subject: Subject,
    /// What.
    #[serde(flatten)]
    pub kind: ActivityKind,
    /// When.
    pub at: DateTime<Utc>,
}

/// A product with a count (orders it shared with another product, or units sold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCount {
    /// The product.
    pub product_id: ProductId,
    /// How many.
    pub count: u64,
}
