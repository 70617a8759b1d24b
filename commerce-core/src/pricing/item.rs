//! What the engine needs to know about each SKU besides its price.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{CategoryTree, Product};
use crate::ids::{CategoryId, Sku, TaxClass};

/// Pricing-relevant facts about one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemInfo {
    /// The SKU's categories **including their ancestors**, so that a promotion on "Clothing"
    /// matches a T-shirt filed under "Clothing / Tops".
    pub categories: Vec<CategoryId>,
    /// The tax class used to find the tax rate.
    pub tax_class: TaxClass,
    /// Shipping weight of one unit, in grams.
    pub weight_grams: u32,
}

impl ItemInfo {
    /// An item in no category.
    pub fn new(tax_class: TaxClass, weight_grams: u32) -> Self {
        ItemInfo { categories: Vec::new(), tax_class, weight_grams }
    }

    /// Sets the categories (include ancestors).
    pub fn with_categories(mut self, categories: impl IntoIterator<Item = CategoryId>) -> Self {
        self.categories = categories.into_iter().collect();
        self
    }

    pub(crate) fn in_any(&self, categories: &[CategoryId]) -> bool {
        self.categories.iter().any(|c| categories.contains(c))
    }
}

/// Item facts keyed by SKU. A cart SKU missing here is [`PricingError::UnknownSku`].
///
/// [`PricingError::UnknownSku`]: super::PricingError::UnknownSku
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingCatalog {
    items: HashMap<Sku, ItemInfo>,
}

impl PricingCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every variant of `products` (active or not), with its product's category and that
    /// category's ancestors from `tree`. A category missing from the tree is kept without
    /// ancestors.
    pub fn from_products<'p>(products: impl IntoIterator<Item = &'p Product>, tree: &CategoryTree) -> Self {
        let mut catalog = PricingCatalog::new();
        for product in products {
            let categories = match product.category {
                Some(c) => {
                    let path = tree.path_to_root(c);
                    if path.is_empty() { vec![c] } else { path }
                }
                None => Vec::new(),
            };
            for variant in &product.variants {
                catalog.insert(
                    variant.sku.clone(),
                    ItemInfo {
                        categories: categories.clone(),
                        tax_class: variant.tax_class.clone(),
                        weight_grams: variant.weight_grams,
                    },
                );
            }
        }
        catalog
    }

    /// Adds or replaces a SKU's facts.
    pub fn insert(&mut self, sku: Sku, info: ItemInfo) {
        self.items.insert(sku, info);
    }

    /// Adds a SKU's facts, builder style.
    pub fn with_item(mut self, sku: Sku, info: ItemInfo) -> Self {
        self.insert(sku, info);
        self
    }

    /// A SKU's facts.
    pub fn get(&self, sku: &Sku) -> Option<&ItemInfo> {
        self.items.get(sku)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Sku, &ItemInfo)> {
        self.items.iter()
    }

    /// Number of SKUs.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
