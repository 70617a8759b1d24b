//! # commerce-core
//!
//! The pure domain of the `commerce` engine:
//! - exact [`money`] (`Decimal` + ISO 4217 currency, named rounding, allocation);
//! - the [`catalog`], [`customer`]s and the [`cart`];
//! - the [`pricing`] engine: a pure function from a cart and the shop's rules to a priced cart
//!   with an explanation;
//! - the state machines of [`checkout`], [`order`], [`payment`] and [`inventory`], with the
//!   domain [`events`] they emit;
//! - the [`ports`] storage backends and payment gateways implement;
//! - the [`engine`]: the service a host calls, generic over the ports.
//!
//! Architecture invariant: this crate performs no I/O. It depends on no database, network,
//! filesystem or async-runtime crate; `.ci/run` checks this with `cargo tree`.
//!
//! Use it through the `commerce` facade crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod account;
pub mod activity;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod customer;
pub mod engine;
pub mod events;
pub mod ids;
pub mod inventory;
pub mod money;
pub mod order;
pub mod payment;
pub mod ports;
pub mod pricing;
pub mod search;

#[cfg(test)]
mod testing;

pub use cart::{Cart, CartError, CartLine, CartPolicy, Quantity};
pub use engine::{Commerce, EngineConfig, Error, Result};
pub use ids::{
    AccountId, CartId, CategoryId, CheckoutId, CouponCode, CustomerGroupId, CustomerId, EventId, OrderId,
    PaymentId, ProductId, RefundId, Region, ReservationId, ShippingMethodId, Sku, TaxClass,
};
pub use money::{Currency, Money, MoneyError, Rounding};
