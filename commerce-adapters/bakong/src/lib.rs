#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod gateway;
pub mod host;
pub mod khqr;
pub mod poller;
#[cfg(feature = "qr-image")]
pub mod qr_image;
#[cfg(feature = "sandbox")]
pub mod sandbox;
