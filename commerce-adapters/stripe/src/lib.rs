#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

//! ## Modules
//! - [`gateway`]: [`StripeGateway`], the engine's payment port.
//! - [`client`], [`intents`], [`refunds`]: the REST client and its PaymentIntent and refund calls.
//! - [`transformers`]: [`commerce_core::Money`] to and from Stripe's integer amounts.
//! - [`webhook`]: `Stripe-Signature` verification and event mapping.
//! - [`retry`], [`idempotency`]: when to retry, and the keys that make retries safe.

pub mod client;
pub mod config;
pub mod error;
pub mod gateway;
pub mod idempotency;
pub mod intents;
pub mod refunds;
pub mod retry;
mod secret;
pub mod status;
pub mod transformers;
pub mod types;
pub mod webhook;

pub use client::StripeClient;
pub use config::{Compatibility, PaymentMethods, STRIPE_API_BASE, StripeConfig};
pub use error::{ApiErrorBody, Error, Result};
pub use gateway::StripeGateway;
pub use idempotency::IdempotencyKey;
pub use retry::RetryPolicy;
pub use secret::{SecretKey, WebhookSecret};
pub use webhook::{WebhookError, WebhookVerifier};
