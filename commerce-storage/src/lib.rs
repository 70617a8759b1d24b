//! # commerce-storage
//!
//! Embedded storage backends for the `commerce` engine, and the conformance kit every backend
//! runs.
//!
//! - [`memory::MemoryStore`]: thread-safe, in-process, not durable. The reference backend.
//! - [`sqlite::SqliteStore`] (feature `sqlite`): durable, shareable between processes; WAL,
//!   embedded migrations, exact money.
//! - [`worker::OutboxWorker`] (feature `worker`, on by default): delivers outbox events to
//!   handlers with leases, retries, backoff and dead letters.
//! - `testkit` (feature): one async function per behaviour, [`testkit::run_all`], and the
//!   [`conformance_tests!`] macro. Not semver-stable.
//!
//! Use it through the `commerce` facade crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod codec;
pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "testkit")]
#[allow(clippy::unwrap_used)]
pub mod testkit;
#[cfg(feature = "worker")]
pub mod worker;

pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
