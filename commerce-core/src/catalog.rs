//! Catalog types: products, variants, categories as a tree, customer groups.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::ids::{CategoryId, CustomerGroupId, ProductId, Sku, TaxClass};
use crate::money::{Currency, Money};

/// A product image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Where the image is served from.
    pub url: String,
    /// Alternative text for screen readers.
    pub alt: String,
    /// Display order, lowest first.
    pub position: u32,
}

/// A product: what a customer sees in the catalog. What is bought is one of its [`Variant`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Identifier.
    pub id: ProductId,
    /// Display name.
    pub name: String,
    /// Long description (plain text or the host's markup).
    pub description: String,
    /// The category it is filed under, if any.
    pub category: Option<CategoryId>,
    /// Images, in `position` order.
    pub images: Vec<Image>,
    /// Free-form attributes (brand, material, specifications...).
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The purchasable variants.
    pub variants: Vec<Variant>,
    /// Whether the product is offered at all; an inactive product cannot be added to a cart.
    pub active: bool,
}

impl Product {
    /// The variant with `sku`, if this product has it.
    pub fn variant(&self, sku: &Sku) -> Option<&Variant> {
        self.variants.iter().find(|v| &v.sku == sku)
    }
}

/// A purchasable variant of a product, identified by its SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// The stock keeping unit.
    pub sku: Sku,
    /// Variant name (`"Red / M"`); may be empty for a single-variant product.
    pub name: String,
    /// Option values (`color: red`, `size: M`).
    pub options: BTreeMap<String, String>,
    /// List price, at most one per currency. The price book may override it.
    pub prices: Vec<Money>,
    /// Shipping weight in grams.
    pub weight_grams: u32,
    /// Tax class used to look up the tax rate.
    pub tax_class: TaxClass,
    /// Whether the variant can be bought.
    pub active: bool,
}

impl Variant {
    /// The list price in `currency`, if one is set.
    pub fn price(&self, currency: Currency) -> Option<Money> {
        self.prices.iter().copied().find(|m| m.currency() == currency)
    }
}

/// A category node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Identifier.
    pub id: CategoryId,
    /// Display name.
    pub name: String,
    /// URL-friendly name.
    pub slug: String,
    /// The parent category; `None` for a root.
    pub parent: Option<CategoryId>,
    /// Display order among siblings.
    pub position: u32,
}

/// Why a set of categories is not a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CategoryTreeError {
    /// Two categories share an id.
    #[error("category {0} appears twice")]
    Duplicate(CategoryId),
    /// A parent id names no category.
    #[error("category {child} names a parent {parent} that does not exist")]
    MissingParent {
        /// The category.
        child: CategoryId,
        /// Its missing parent.
        parent: CategoryId,
    },
    /// Following parents from this category comes back to it.
    #[error("category {0} is its own ancestor")]
    Cycle(CategoryId),
}

/// Categories validated as a forest (no cycles, no dangling parents), with ancestor look-ups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryTree {
    nodes: HashMap<CategoryId, Category>,
}

impl CategoryTree {
    /// Builds and validates the tree.
    pub fn new(categories: impl IntoIterator<Item = Category>) -> Result<Self, CategoryTreeError> {
        let mut nodes = HashMap::new();
        for c in categories {
            if nodes.contains_key(&c.id) {
                return Err(CategoryTreeError::Duplicate(c.id));
            }
            nodes.insert(c.id, c);
        }
        for c in nodes.values() {
            if let Some(p) = c.parent
                && !nodes.contains_key(&p)
            {
                return Err(CategoryTreeError::MissingParent { child: c.id, parent: p });
            }
            // A walk longer than the number of nodes must have looped.
            let mut cur = c.parent;
            let mut steps = 0;
            while let Some(p) = cur {
                if p == c.id || steps > nodes.len() {
                    return Err(CategoryTreeError::Cycle(c.id));
                }
                cur = nodes.get(&p).and_then(|n| n.parent);
                steps += 1;
            }
        }
        Ok(CategoryTree { nodes })
    }

    /// A category by id.
    pub fn get(&self, id: CategoryId) -> Option<&Category> {
        self.nodes.get(&id)
    }

    /// `id` followed by its ancestors up to the root. Empty when `id` is unknown.
    pub fn path_to_root(&self, id: CategoryId) -> Vec<CategoryId> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(&id).map(|c| c.id);
        while let Some(c) = cur {
            out.push(c);
            cur = self.nodes.get(&c).and_then(|n| n.parent);
        }
        out
    }

    /// Direct children of `parent` (`None` for the roots), by position then name.
    pub fn children(&self, parent: Option<CategoryId>) -> Vec<&Category> {
        let mut v: Vec<_> = self.nodes.values().filter(|c| c.parent == parent).collect();
        v.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.name.cmp(&b.name)));
        v
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no categories.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A group of customers that price lists and promotions can target (`wholesale`, `vip`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerGroup {
    /// Identifier.
    pub id: CustomerGroupId,
    /// Display name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn cat(n: u128, parent: Option<u128>) -> Category {
        Category {
            id: CategoryId::from_uuid(Uuid::from_u128(n)),
            name: format!("c{n}"),
            slug: format!("c{n}"),
            parent: parent.map(|p| CategoryId::from_uuid(Uuid::from_u128(p))),
            position: 0,
        }
    }

    #[test]
    fn tree_paths() {
        let t = CategoryTree::new([cat(1, None), cat(2, Some(1)), cat(3, Some(2)), cat(4, None)]).unwrap();
        let id = |n| CategoryId::from_uuid(Uuid::from_u128(n));
        assert_eq!(t.path_to_root(id(3)), vec![id(3), id(2), id(1)]);
        assert_eq!(t.children(None).len(), 2);
        assert_eq!(t.children(Some(id(1)))[0].id, id(2));
        assert!(t.path_to_root(id(9)).is_empty());
    }

    #[test]
    fn tree_errors() {
        assert!(matches!(
            CategoryTree::new([cat(1, None), cat(1, None)]),
            Err(CategoryTreeError::Duplicate(_))
        ));
        assert!(matches!(CategoryTree::new([cat(1, Some(7))]), Err(CategoryTreeError::MissingParent { .. })));
        assert!(matches!(
            CategoryTree::new([cat(1, Some(2)), cat(2, Some(1))]),
            Err(CategoryTreeError::Cycle(_))
        ));
        assert!(matches!(CategoryTree::new([cat(1, Some(1))]), Err(CategoryTreeError::Cycle(_))));
    }
}
