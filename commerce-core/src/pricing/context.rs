//! Per-request context and engine options.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tax::{TaxMode, TaxRounding};
use crate::ids::{CouponCode, CustomerGroupId, CustomerId, Region, ShippingMethodId};
use crate::money::Rounding;

/// How often a coupon was redeemed, as counted by the caller (usually from placed orders).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponUsage {
    /// Redemptions by everyone.
    pub total: u32,
    /// Redemptions by the customer being priced for.
    pub by_this_customer: u32,
}

/// Everything about one pricing request that is not the cart or the shop's rules.
///
/// Build it with [`PricingContext::new`] and the `with_*` methods.
///
/// Coupon codes considered are the cart's [`coupons`](crate::Cart::coupons) followed by
/// [`coupon_codes`](Self::coupon_codes) (duplicates ignored).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PricingContext {
    /// The instant prices, lists and promotions are evaluated at.
    pub now: DateTime<Utc>,
    /// The customer, if known; informational (per-customer limits use
    /// [`coupon_usage`](Self::coupon_usage), counted by the caller for this customer).
    pub customer: Option<CustomerId>,
    /// The customer's group, for price lists and promotions that target groups.
    pub customer_group: Option<CustomerGroupId>,
    /// The destination region for tax and shipping (`US-CA`, `KH`). Without it nothing is
    /// taxed and region-restricted shipping methods are unavailable.
    pub region: Option<Region>,
    /// Coupon codes entered in addition to the cart's own.
    pub coupon_codes: Vec<CouponCode>,
    /// Usage counts per coupon code; a code absent here has never been used.
    pub coupon_usage: HashMap<CouponCode, CouponUsage>,
    /// The chosen shipping method, if any.
    pub shipping_method: Option<ShippingMethodId>,
}

impl PricingContext {
    /// A context at `now` with no customer, group, region, coupons or shipping method.
    pub fn new(now: DateTime<Utc>) -> Self {
        PricingContext {
            now,
            customer: None,
            customer_group: None,
            region: None,
            coupon_codes: Vec::new(),
            coupon_usage: HashMap::new(),
            shipping_method: None,
        }
    }

    /// Sets the customer.
    pub fn with_customer(mut self, customer: CustomerId) -> Self {
        self.customer = Some(customer);
        self
    }

    /// Sets the customer group.
    pub fn with_customer_group(mut self, group: CustomerGroupId) -> Self {
        self.customer_group = Some(group);
        self
    }

    /// Sets the destination region.
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Adds a coupon code.
    pub fn with_coupon(mut self, code: CouponCode) -> Self {
        if !self.coupon_codes.contains(&code) {
            self.coupon_codes.push(code);
        }
        self
    }

    /// Records how often `code` was used.
    pub fn with_coupon_usage(mut self, code: CouponCode, usage: CouponUsage) -> Self {
        self.coupon_usage.insert(code, usage);
        self
    }

    /// Chooses the shipping method.
    pub fn with_shipping_method(mut self, method: ShippingMethodId) -> Self {
        self.shipping_method = Some(method);
        self
    }
}

/// Engine options: tax mode, tax rounding level and rounding strategy.
///
/// The default is tax-exclusive prices, tax rounded per line, half-even rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PricingOptions {
    /// Whether prices include tax.
    #[serde(default)]
    pub tax_mode: TaxMode,
    /// Whether tax is rounded per line or once per rate for the order.
    #[serde(default)]
    pub tax_rounding: TaxRounding,
    /// The rounding strategy for percentage discounts and tax.
    #[serde(default)]
    pub rounding: Rounding,
}

impl PricingOptions {
    /// Sets the tax mode.
    pub fn with_tax_mode(mut self, mode: TaxMode) -> Self {
        self.tax_mode = mode;
        self
    }

    /// Sets the tax rounding level.
    pub fn with_tax_rounding(mut self, level: TaxRounding) -> Self {
        self.tax_rounding = level;
        self
    }

    /// Sets the rounding strategy.
    pub fn with_rounding(mut self, rounding: Rounding) -> Self {
        self.rounding = rounding;
        self
    }
}
