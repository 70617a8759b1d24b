#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use commerce_core as core;
pub use commerce_core::*;
