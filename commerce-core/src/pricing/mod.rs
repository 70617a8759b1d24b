//! The pricing engine: a pure, deterministic function from a cart and the shop's rules to a
//! [`PricedCart`] with an explanation.
//!
//! ```
//! use commerce_core::pricing::*;
//! use commerce_core::{Cart, CartId, Currency, Money, Quantity, Region, Sku, TaxClass};
//! use chrono::{TimeZone, Utc};
//! use rust_decimal_macros::dec;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tee = Sku::parse("TEE")?;
//! let standard = TaxClass::parse("standard")?;
//! let mut catalog = PricingCatalog::new();
//! catalog.insert(tee.clone(), ItemInfo::new(standard.clone(), 200));
//! let book = PriceBook::new().with_price(tee.clone(), Money::new(dec!(19.99), Currency::USD));
//! let taxes = [TaxRule::new("us-std", "US sales tax", standard, Region::parse("US")?, dec!(8))];
//! let input = PricingInput::new(&catalog, &book)?.with_tax_rules(&taxes)?;
//!
//! let mut cart = Cart::new(CartId::from_uuid(uuid::Uuid::nil()), Currency::USD);
//! cart.add(tee, Quantity::new(3)?)?;
//! let ctx = PricingContext::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap())
//!     .with_region(Region::parse("US-CA")?);
//! let priced = price_cart(&cart, &input, &ctx)?;
//! // 3 x 19.99 = 59.97; 8% of 59.97 = 4.7976 -> 4.80; 59.97 + 4.80 = 64.77
//! assert_eq!(priced.grand_total, Money::new(dec!(64.77), Currency::USD));
//! # Ok(()) }
//! ```
//!
//! # Inputs
//! - A [`PricingCatalog`]: per-SKU [`ItemInfo`] (category ids including ancestors, tax class,
//!   weight). Build it with [`PricingCatalog::from_products`].
//! - A [`PriceBook`], [`Promotion`]s, [`TaxRule`]s, [`ShippingMethod`]s and [`PricingOptions`],
//!   validated and indexed once into a [`PricingInput`] (or kept together as [`PricingRules`]).
//! - A [`PricingContext`] per request: the time, the customer group, the region, extra coupon
//!   codes, coupon usage counts and the chosen shipping method.
//!
//! # Errors and explanations
//! [`price_cart`] fails only on invalid input: a SKU missing from the catalog
//! ([`PricingError::UnknownSku`]), no price in the cart's currency ([`PricingError::NoPrice`]),
//! an unknown shipping method or one priced in another currency, or arithmetic overflow.
//! Invalid rules (a 120% discount, a tier in another currency...) are refused when the
//! [`PricingInput`] is built. Everything a customer can cause (a bad or expired coupon, a usage
//! limit, a minimum not met, a shipping method that does not serve the region) is an
//! [`ExplanationEntry`] in [`PricedCart::explanation`], never an error.
//!
//! # Price selection
//! For each line, the candidate prices are the base price of the SKU in the cart's currency and
//! the price of every [`PriceList`] that is active (`valid_from <= now < valid_until`) and
//! targets the customer's group (or no group). Each candidate's unit price is its quantity tier
//! for the line's quantity (the tier with the largest `min_quantity <= quantity`, else its
//! plain price). **The candidate of the highest priority list wins; among equal priorities the
//! lowest unit price; then the smallest list id.** The base price ranks below every list.
//!
//! # Promotions and stacking
//! A promotion applies when all its conditions hold: its amounts are in the cart's currency, the
//! time is inside its window (`valid_from <= now < valid_until`), the customer's group is
//! targeted (or it targets everyone), its coupon code (if any) was entered and is under its
//! total and per-customer usage limits, the cart subtotal **before any discount** reaches its
//! `min_subtotal`, and its target matches something in the cart. Coupon promotions whose code was
//! not entered are skipped silently; every other non-application is explained.
//!
//! Stacking, exactly:
//! 1. If any eligible promotion is [`Stacking::Exclusive`], the exclusive promotions are tried in
//!    order of priority (highest first, then promotion id). The first one that gives a non-zero
//!    discount **applies alone**; every other eligible promotion is reported
//!    [`ExplanationCode::NotCombinable`]. If no exclusive promotion gives a discount, continue
//!    with step 2.
//! 2. Otherwise all combinable promotions apply, in three phases: item discounts (line
//!    discounts and buy-X-get-Y), then order discounts, then free shipping. Within a phase the
//!    order is priority (highest first), then promotion id. Each promotion works on what the
//!    previous ones left: percentages compound (10% then 20% is 28% off), and a discount never
//!    takes a line, the order or shipping below zero (it is clamped, reported
//!    [`ExplanationCode::DiscountClamped`]).
//! 3. A promotion's `max_discount` caps its total discount across all lines (reported
//!    [`ExplanationCode::DiscountCapped`]); a capped line discount is split over the lines in
//!    proportion to their uncapped discounts, exact to the minor unit.
//!
//! A promotion that ends up giving nothing is reported [`ExplanationCode::NoDiscount`] and is
//! not applied; [`PricedCart::applied_coupons`] lists exactly the coupons of promotions that gave
//! a discount.
//!
//! # Rounding points
//! All money in a [`PricedCart`] is exact in the currency's minor units. Prices, tiers, fixed
//! discounts, caps, thresholds and shipping rates must be exact already (checked when the
//! [`PricingInput`] is built), so the engine computes in integer minor units, exactly, and
//! rounds only at these points, with [`PricingOptions::rounding`] (default
//! [`Rounding::HalfEven`]):
//! - a percentage line discount: once per line and promotion (`59.97 x 10% = 5.997 -> 6.00`);
//! - a buy-X-get-Y discount: once per line (`19.99 x 50% = 9.995 -> 10.00`);
//! - an order-level percentage: once on the order total;
//! - tax: per line and per shipping charge, or once per rate for the whole order
//!   ([`TaxRounding`]).
//!
//! Splitting is never rounding: an order discount is split over the lines in proportion to
//! their amounts after item discounts, a capped line discount in proportion to the uncapped
//! per-line discounts, and a per-order tax over the lines (and shipping) it was computed on, all
//! by the rule of [`Money::allocate`] (each part the floor of its exact share, leftover units to
//! the largest remainders, ties to the line with the smaller SKU), so the parts add up exactly.
//!
//! # Tax modes
//! - [`TaxMode::Exclusive`] (prices exclude tax): tax = rate x (line amount after discounts);
//!   `grand_total = subtotal - discount_total + shipping_total + tax_total`.
//! - [`TaxMode::Inclusive`] (prices include tax): the tax is the included portion,
//!   `amount x rate / (100 + rate)`; `grand_total = subtotal - discount_total + shipping_total`,
//!   and `tax_total` is informational.
//!
//! Discounts reduce the taxable base (order discounts through their per-line shares). A line's
//! rate is the rule for its tax class whose region contains the context's region, the most
//! specific region winning (`US-CA` over `US`). Without a matching rule (or without a region)
//! the line is not taxed, which is explained. Shipping is taxed when its method has a tax class.
//!
//! # Shipping
//! The chosen method (context) must exist ([`PricingError::UnknownShippingMethod`]) and be
//! priced in the cart's currency. If it does not serve the region, the cart is heavier than its
//! last weight tier, or the cart is empty, no shipping is charged, [`PricedCart::shipping`] is
//! `None` and the explanation says why ([`ExplanationCode::ShippingUnavailable`]): **checkout
//! must refuse a cart whose requested method is unavailable** (see
//! [`PricedCart::shipping_unavailable`]). A method's `free_above` threshold compares the
//! merchandise amount after discounts (`subtotal - discount_total`).
//!
//! # Determinism
//! The result depends only on the inputs. Lines are processed in SKU order internally (ties in
//! allocation and "cheapest first" therefore do not depend on the order items were added) and
//! reported in cart order.

mod context;
mod engine;
mod error;
mod explain;
mod input;
mod item;
mod price_book;
mod priced;
mod promotion;
mod rules;
mod shipping;
mod tax;
mod units;

mod apply;

pub use context::{CouponUsage, PricingContext, PricingOptions};
pub use engine::price_cart;
pub use error::PricingError;
pub use explain::{ExplanationCode, ExplanationEntry};
pub use input::PricingInput;
pub use item::{ItemInfo, PricingCatalog};
pub use price_book::{PriceBook, PriceEntry, PriceList, QuantityTier};
pub use priced::{Adjustment, PriceSource, PricedCart, PricedLine, PricedShipping, TaxLine};
pub use promotion::{Benefit, CouponRule, Discount, Promotion, Stacking, Target};
pub use rules::PricingRules;
pub use shipping::{ShippingMethod, ShippingRate, WeightTier};
pub use tax::{TaxMode, TaxRounding, TaxRule};

#[cfg(doc)]
use crate::money::{Money, Rounding};
