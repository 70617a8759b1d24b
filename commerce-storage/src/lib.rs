//! # commerce-storage
//!
//! Embedded storage backends for the `commerce` engine, and the conformance kit every backend
//! runs.
//!
//! - [`memory::MemoryStore`]: thread-safe, in-process, not durable. The reference backend.
//! - [`worker::OutboxWorker`] (feature `worker`, on by default): delivers outbox events to
//!   handlers with leases, retries, backoff and dead letters.
//! - `testkit` (feature): one async function per behaviour, [`testkit::run_all`], and the
//!   [`conformance_tests!`] macro. Not semver-stable.
//!
//! Use it through the `commerce` facade crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod memory;
#[cfg(feature = "worker")]
pub mod worker;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use memory::MemoryStore;
