#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod open;

#[cfg(feature = "bakong")]
pub use commerce_bakong as bakong;
pub use commerce_core::*;
#[cfg(feature = "mysql")]
pub use commerce_mysql as mysql;
pub use commerce_storage as storage;
pub use commerce_storage::MemoryStore;
pub use commerce_storage::worker;
#[cfg(feature = "stripe")]
pub use commerce_stripe as stripe;

pub use open::{Builder, Engine, OpenError, RandomIds, open};
