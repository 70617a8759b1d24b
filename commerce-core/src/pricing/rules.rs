//! All pricing rules of a shop as one owned, storable document.

use serde::{Deserialize, Serialize};

use super::context::PricingOptions;
use super::error::PricingError;
use super::input::PricingInput;
use super::item::PricingCatalog;
use super::price_book::PriceBook;
use super::promotion::Promotion;
use super::shipping::ShippingMethod;
use super::tax::TaxRule;

/// The price book, promotions, tax rules, shipping methods and options of a shop, as one value
/// that storage keeps and versions. [`PricingRules::input`] validates and indexes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingRules {
    /// Base prices and price lists.
    #[serde(default)]
    pub price_book: PriceBook,
    /// Promotions.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Tax rules.
    #[serde(default)]
    pub tax_rules: Vec<TaxRule>,
    /// Shipping methods.
    #[serde(default)]
    pub shipping_methods: Vec<ShippingMethod>,
    /// Engine options.
    #[serde(default)]
    pub options: PricingOptions,
}

impl PricingRules {
    /// Validates the rules and indexes them with `catalog` for [`price_cart`](super::price_cart).
    pub fn input<'a>(&'a self, catalog: &'a PricingCatalog) -> Result<PricingInput<'a>, PricingError> {
        Ok(PricingInput::new(catalog, &self.price_book)?
            .with_promotions(&self.promotions)?
            .with_tax_rules(&self.tax_rules)?
            .with_shipping_methods(&self.shipping_methods)?
            .with_options(self.options))
    }
}
