//! commerce-bakong: work in progress.
pub mod api;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod poller;
