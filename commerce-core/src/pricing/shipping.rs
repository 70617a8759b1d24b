//! Shipping methods: flat or by weight, free above a threshold, restricted to regions.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::PricingError;
use crate::ids::{Region, ShippingMethodId, TaxClass};
use crate::money::{Currency, Money};

/// One weight band: carts up to `up_to_grams` (inclusive) cost `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightTier {
    /// The heaviest cart this band covers, in grams.
    pub up_to_grams: u64,
    /// The charge.
    pub price: Money,
}

/// How a method's charge is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingRate {
    /// The same charge for every cart.
    Flat(Money),
    /// By total cart weight: the first band (in increasing `up_to_grams` order) that holds the
    /// cart. A cart heavier than the last band cannot be shipped with this method.
    WeightTiers(Vec<WeightTier>),
}

/// A shipping method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingMethod {
    /// Identifier, chosen in [`PricingContext::shipping_method`](super::PricingContext).
    pub id: ShippingMethodId,
    /// Display name.
    pub name: String,
    /// The charge.
    pub rate: ShippingRate,
    /// Free when the merchandise after discounts (`subtotal - discount_total`) is at least this.
    #[serde(default)]
    pub free_above: Option<Money>,
    /// Destinations served (a region serves its subdivisions); empty for everywhere.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// The tax class of the charge; `None` when shipping is not taxed.
    #[serde(default)]
    pub tax_class: Option<TaxClass>,
}

impl ShippingMethod {
    /// A method with a flat rate, everywhere, untaxed.
    pub fn flat(id: ShippingMethodId, name: impl Into<String>, price: Money) -> Self {
        Self::with_rate(id, name, ShippingRate::Flat(price))
    }

    /// A method with weight bands, everywhere, untaxed.
    pub fn by_weight(id: ShippingMethodId, name: impl Into<String>, tiers: Vec<WeightTier>) -> Self {
        Self::with_rate(id, name, ShippingRate::WeightTiers(tiers))
    }

    fn with_rate(id: ShippingMethodId, name: impl Into<String>, rate: ShippingRate) -> Self {
        ShippingMethod { id, name: name.into(), rate, free_above: None, regions: Vec::new(), tax_class: None }
    }

    /// Free above this merchandise amount.
    pub fn free_above(mut self, threshold: Money) -> Self {
        self.free_above = Some(threshold);
        self
    }

    /// Restricts to regions.
    pub fn in_regions(mut self, regions: impl IntoIterator<Item = Region>) -> Self {
        self.regions = regions.into_iter().collect();
        self
    }

    /// Taxes the charge with `class`.
    pub fn taxed_as(mut self, class: TaxClass) -> Self {
        self.tax_class = Some(class);
        self
    }

    /// The currency the method charges in.
    pub fn currency(&self) -> Option<Currency> {
        match &self.rate {
            ShippingRate::Flat(m) => Some(m.currency()),
            ShippingRate::WeightTiers(t) => t.first().map(|t| t.price.currency()),
        }
    }

    fn validate(&self) -> Result<(), PricingError> {
        let fail = |reason: &str| Err(PricingError::invalid(format!("shipping method {}", self.id), reason));
        let mut amounts: Vec<Money> = self.free_above.into_iter().collect();
        match &self.rate {
            ShippingRate::Flat(m) => amounts.push(*m),
            ShippingRate::WeightTiers(tiers) => {
                if tiers.is_empty() {
                    return fail("no weight tiers");
                }
                if tiers.windows(2).any(|w| w[0].up_to_grams >= w[1].up_to_grams) {
                    return fail("weight tiers are not in strictly increasing order");
                }
                amounts.extend(tiers.iter().map(|t| t.price));
            }
        }
        let currency = self.currency();
        for m in amounts {
            if Some(m.currency()) != currency {
                return fail("its amounts are in different currencies");
            }
            if m.is_negative() || !m.is_exact() {
                return fail("an amount is negative or finer than the currency's minor units");
            }
        }
        Ok(())
    }

    /// Why this method cannot ship the cart, or its charge before any threshold or promotion.
    pub(crate) fn charge(&self, region: Option<&Region>, weight_grams: u64) -> Result<Money, Unavailable> {
        if !self.regions.is_empty() {
            let Some(region) = region else { return Err(Unavailable::NoRegion) };
            if !self.regions.iter().any(|r| region.is_within(r)) {
                return Err(Unavailable::Region);
            }
        }
        match &self.rate {
            ShippingRate::Flat(m) => Ok(*m),
            ShippingRate::WeightTiers(tiers) => tiers
                .iter()
                .find(|t| weight_grams <= t.up_to_grams)
                .map(|t| t.price)
                .ok_or(Unavailable::TooHeavy { max_grams: tiers.last().map_or(0, |t| t.up_to_grams) }),
        }
    }
}

/// Why a method cannot ship a cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unavailable {
    EmptyCart,
    NoRegion,
    Region,
    TooHeavy { max_grams: u64 },
}

pub(crate) fn validate(methods: &[ShippingMethod]) -> Result<(), PricingError> {
    let mut ids = HashSet::new();
    for m in methods {
        m.validate()?;
        if !ids.insert(&m.id) {
            return Err(PricingError::invalid(
                format!("shipping method {}", m.id),
                "two methods have this id",
            ));
        }
    }
    Ok(())
}
