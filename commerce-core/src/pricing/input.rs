//! The validated, indexed rules the engine prices against.

use std::collections::HashMap;
use std::sync::Arc;

use super::context::PricingOptions;
use super::error::PricingError;
use super::item::{ItemInfo, PricingCatalog};
use super::price_book::{self, Candidate, PriceBook};
use super::promotion::{self, Indexed, Promotion};
use super::shipping::{self, ShippingMethod};
use super::tax::{TaxIndex, TaxRule};
use super::units::FxBuild;
use crate::ids::{ShippingMethodId, Sku};

/// What the engine knows about one SKU: its facts and its candidate prices.
#[derive(Debug, Clone)]
pub(crate) struct SkuEntry<'a> {
    pub info: &'a ItemInfo,
    pub prices: Vec<Candidate<'a>>,
    /// The SKU's position among all catalog SKUs in `Sku` order: lines sort by it (an integer
    /// comparison) into the canonical order.
    pub rank: u32,
    /// The index of the SKU's tax class among the classes the tax rules name; `None` when no
    /// rule names it.
    pub tax_class: Option<u32>,
}

/// Everything [`price_cart`](super::price_cart) prices against, validated and indexed once.
///
/// Build it once per rules version and reuse it for every cart: construction validates the
/// rules (refusing e.g. a percentage above 100, a tier in another currency, an amount finer
/// than the currency's minor units, duplicate ids or coupon codes) and indexes the price book
/// by SKU and the tax rules by class.
///
/// ```
/// use commerce_core::pricing::{PriceBook, PricingCatalog, PricingInput, PricingOptions, TaxMode};
/// # fn main() -> Result<(), commerce_core::pricing::PricingError> {
/// let (catalog, book) = (PricingCatalog::new(), PriceBook::new());
/// let input = PricingInput::new(&catalog, &book)?
///     .with_promotions(&[])?
///     .with_tax_rules(&[])?
///     .with_shipping_methods(&[])?
///     .with_options(PricingOptions::default().with_tax_mode(TaxMode::Inclusive));
/// # let _ = input; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PricingInput<'a> {
    pub(crate) catalog: &'a PricingCatalog,
    /// Every catalog SKU with its prices: one look-up per cart line.
    pub(crate) skus: HashMap<&'a Sku, SkuEntry<'a>, FxBuild>,
    pub(crate) promotions: Vec<Indexed<'a>>,
    /// Indexes into `promotions` of the exclusive ones, by priority (highest first), then id.
    pub(crate) exclusive: Vec<usize>,
    pub(crate) taxes: TaxIndex<'a>,
    pub(crate) shipping: &'a [ShippingMethod],
    /// The shipping methods' names, shared by every priced cart that reports them.
    shipping_names: Vec<Arc<str>>,
    pub(crate) options: PricingOptions,
}

impl<'a> PricingInput<'a> {
    /// Indexes the catalog and price book; no promotions, tax rules or shipping methods yet,
    /// default options.
    pub fn new(catalog: &'a PricingCatalog, price_book: &'a PriceBook) -> Result<Self, PricingError> {
        let mut prices = price_book::index(price_book)?;
        let mut sorted: Vec<(&Sku, &ItemInfo)> = catalog.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let too_many = || PricingError::invalid("pricing catalog", "more than 2^32 SKUs");
        let mut skus = HashMap::with_capacity_and_hasher(catalog.len(), FxBuild::default());
        for (rank, (sku, info)) in sorted.into_iter().enumerate() {
            let rank = u32::try_from(rank).map_err(|_| too_many())?;
            let prices = prices.remove(sku).unwrap_or_default();
            skus.insert(sku, SkuEntry { info, prices, rank, tax_class: None });
        }
        Ok(PricingInput {
            catalog,
            skus,
            promotions: Vec::new(),
            exclusive: Vec::new(),
            taxes: TaxIndex::default(),
            shipping: &[],
            shipping_names: Vec::new(),
            options: PricingOptions::default(),
        })
    }

    /// Validates and sets the promotions.
    pub fn with_promotions(mut self, promotions: &'a [Promotion]) -> Result<Self, PricingError> {
        self.promotions = promotion::index(promotions)?;
        let mut exclusive: Vec<usize> = (0..self.promotions.len())
            .filter(|&i| self.promotions[i].promo.stacking == promotion::Stacking::Exclusive)
            .collect();
        exclusive.sort_by(|&a, &b| {
            let (a, b) = (self.promotions[a].promo, self.promotions[b].promo);
            b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id))
        });
        self.exclusive = exclusive;
        Ok(self)
    }

    /// Validates and sets the tax rules.
    pub fn with_tax_rules(mut self, rules: &'a [TaxRule]) -> Result<Self, PricingError> {
        self.taxes = TaxIndex::new(rules)?;
        for entry in self.skus.values_mut() {
            entry.tax_class = self.taxes.class_id(&entry.info.tax_class);
        }
        Ok(self)
    }

    /// Validates and sets the shipping methods.
    pub fn with_shipping_methods(mut self, methods: &'a [ShippingMethod]) -> Result<Self, PricingError> {
        shipping::validate(methods)?;
        self.shipping = methods;
        self.shipping_names = methods.iter().map(|m| Arc::from(m.name.as_str())).collect();
        Ok(self)
    }

    /// Sets the options.
    pub fn with_options(mut self, options: PricingOptions) -> Self {
        self.options = options;
        self
    }

    /// The options in use.
    pub fn options(&self) -> PricingOptions {
        self.options
    }

    /// The item facts.
    pub fn catalog(&self) -> &'a PricingCatalog {
        self.catalog
    }

    /// The method and its shared name.
    pub(crate) fn shipping_method(&self, id: &ShippingMethodId) -> Option<(&'a ShippingMethod, &Arc<str>)> {
        let i = self.shipping.iter().position(|m| &m.id == id)?;
        Some((&self.shipping[i], self.shipping_names.get(i)?))
    }
}
