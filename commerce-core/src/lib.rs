//! # commerce-core
//!
//! The pure domain of the `commerce` engine: exact [`money`], the [`catalog`], the [`cart`],
//! the [`pricing`] engine, and (as they land) the checkout, order, payment and inventory state
//! machines with the ports that storage and payment adapters implement.
//!
//! Architecture invariant: this crate performs no I/O. It depends on no database, network,
//! filesystem or async-runtime crate; `.ci/run` checks this with `cargo tree`.
//!
//! Use it through the `commerce` facade crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod money;

pub mod cart;
pub mod catalog;
pub mod ids;

pub use cart::{Cart, CartError, CartLine, CartPolicy, Quantity};
pub use ids::{
    CartId, CategoryId, CouponCode, CustomerGroupId, CustomerId, ProductId, Region, Sku, TaxClass,
};
pub use money::{Currency, Money, MoneyError, Rounding};
pub mod events;
pub mod payment;
pub mod ports;
