//! Base prices, price lists and quantity tiers, and the choice of a unit price.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::PricingError;
use super::units::{Units, units_of};
use crate::catalog::Product;
use crate::ids::{CustomerGroupId, Sku};
use crate::money::{Currency, Money};

/// Volume pricing: from `min_quantity` units on, each unit costs `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityTier {
    /// The smallest line quantity the tier applies to (at least 2).
    pub min_quantity: u32,
    /// The unit price from that quantity on, in the entry's currency.
    pub unit_price: Money,
}

/// The price of one SKU in one currency, with optional quantity tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    /// The SKU.
    pub sku: Sku,
    /// The unit price (its currency is the entry's currency).
    pub unit_price: Money,
    /// Volume tiers; the one with the largest `min_quantity <= quantity` applies.
    #[serde(default)]
    pub tiers: Vec<QuantityTier>,
}

impl PriceEntry {
    /// A price without tiers.
    pub fn new(sku: Sku, unit_price: Money) -> Self {
        PriceEntry { sku, unit_price, tiers: Vec::new() }
    }

    /// Adds a tier: from `min_quantity` units on, `unit_price` each.
    pub fn with_tier(mut self, min_quantity: u32, unit_price: Money) -> Self {
        self.tiers.push(QuantityTier { min_quantity, unit_price });
        self
    }

    /// Validates the entry; returns its unit price and tiers in minor units.
    fn validate(&self, what: &dyn Fn() -> String) -> Result<(Units, Vec<(u32, Units)>), PricingError> {
        let currency = self.unit_price.currency();
        let unit = check_price(self.unit_price, &self.sku, what)?;
        let mut tiers = Vec::with_capacity(self.tiers.len());
        let mut seen = HashSet::new();
        for t in &self.tiers {
            if t.unit_price.currency() != currency {
                return Err(PricingError::invalid(
                    what(),
                    format!(
                        "tier of {} is in {}, the price in {currency}",
                        self.sku,
                        t.unit_price.currency()
                    ),
                ));
            }
            tiers.push((t.min_quantity, check_price(t.unit_price, &self.sku, what)?));
            if t.min_quantity < 2 {
                return Err(PricingError::invalid(
                    what(),
                    format!("tier of {} starts below 2 units; use the unit price", self.sku),
                ));
            }
            if !seen.insert(t.min_quantity) {
                return Err(PricingError::invalid(
                    what(),
                    format!("two tiers of {} start at {} units", self.sku, t.min_quantity),
                ));
            }
        }
        // Largest minimum first: the first tier reached is the one that applies.
        tiers.sort_by_key(|t| std::cmp::Reverse(t.0));
        Ok((unit, tiers))
    }
}

fn check_price(price: Money, sku: &Sku, what: &dyn Fn() -> String) -> Result<Units, PricingError> {
    if price.is_negative() {
        return Err(PricingError::invalid(what(), format!("negative price {price} for {sku}")));
    }
    units_of(price).map_err(|_| {
        PricingError::invalid(
            what(),
            format!(
                "price {} for {sku} is finer than the currency's minor units or too large",
                price.amount()
            ),
        )
    })
}

/// Prices that override the base price for a customer group and/or a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    /// Stable identifier; the last tie-breaker between lists.
    pub id: String,
    /// Higher wins over lower.
    #[serde(default)]
    pub priority: i32,
    /// Only for this group; `None` for every customer.
    #[serde(default)]
    pub customer_group: Option<CustomerGroupId>,
    /// Active from this instant (inclusive).
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Active until this instant (exclusive).
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// The prices, at most one per SKU and currency.
    pub prices: Vec<PriceEntry>,
}

impl PriceList {
    /// An always-active list for everyone with priority 0.
    pub fn new(id: impl Into<String>) -> Self {
        PriceList {
            id: id.into(),
            priority: 0,
            customer_group: None,
            valid_from: None,
            valid_until: None,
            prices: Vec::new(),
        }
    }

    /// Sets the priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Restricts the list to a customer group.
    pub fn for_group(mut self, group: CustomerGroupId) -> Self {
        self.customer_group = Some(group);
        self
    }

    /// Sets the validity window (`from` inclusive, `until` exclusive).
    pub fn valid(mut self, from: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Self {
        self.valid_from = from;
        self.valid_until = until;
        self
    }

    /// Adds a price entry.
    pub fn with_entry(mut self, entry: PriceEntry) -> Self {
        self.prices.push(entry);
        self
    }

    /// Adds a plain price.
    pub fn with_price(self, sku: Sku, unit_price: Money) -> Self {
        self.with_entry(PriceEntry::new(sku, unit_price))
    }

    fn applies(&self, now: DateTime<Utc>, group: Option<&CustomerGroupId>) -> bool {
        self.valid_from.is_none_or(|f| f <= now)
            && self.valid_until.is_none_or(|u| now < u)
            && self.customer_group.as_ref().is_none_or(|g| Some(g) == group)
    }
}

/// Base prices and price lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBook {
    /// Base prices, at most one per SKU and currency.
    #[serde(default)]
    pub prices: Vec<PriceEntry>,
    /// Overriding price lists.
    #[serde(default)]
    pub lists: Vec<PriceList>,
}

impl PriceBook {
    /// An empty price book.
    pub fn new() -> Self {
        Self::default()
    }

    /// The base prices of every variant of `products` (the variants' list prices).
    pub fn from_products<'p>(products: impl IntoIterator<Item = &'p Product>) -> Self {
        let mut book = PriceBook::new();
        for p in products {
            for v in &p.variants {
                for price in &v.prices {
                    book.prices.push(PriceEntry::new(v.sku.clone(), *price));
                }
            }
        }
        book
    }

    /// Adds a base price entry.
    pub fn with_entry(mut self, entry: PriceEntry) -> Self {
        self.prices.push(entry);
        self
    }

    /// Adds a plain base price.
    pub fn with_price(self, sku: Sku, unit_price: Money) -> Self {
        self.with_entry(PriceEntry::new(sku, unit_price))
    }

    /// Adds a price list.
    pub fn with_list(mut self, list: PriceList) -> Self {
        self.lists.push(list);
        self
    }
}

/// One way a SKU can be priced: the base entry (no list) or a list's entry, in minor units.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    /// `None` for the base price, which ranks below every list.
    list: Option<&'a PriceList>,
    /// The list's id, shared by every priced cart that reports it.
    list_id: Option<Arc<str>>,
    currency: Currency,
    unit: Units,
    /// (minimum quantity, unit price), largest minimum first.
    tiers: Vec<(u32, Units)>,
}

impl Candidate<'_> {
    fn rank(&self) -> i64 {
        self.list.map_or(i64::MIN, |l| i64::from(l.priority))
    }

    /// The unit price for `quantity`, and the tier's minimum quantity if a tier applies.
    fn unit_for(&self, quantity: u32) -> (Units, Option<u32>) {
        match self.tiers.iter().find(|t| t.0 <= quantity) {
            Some(&(min, unit)) => (unit, Some(min)),
            None => (self.unit, None),
        }
    }
}

/// A chosen unit price.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChosenPrice<'a> {
    pub unit: Units,
    pub list: Option<&'a Arc<str>>,
    pub tier_min_quantity: Option<u32>,
}

/// Validates the price book; returns each SKU's candidates sorted by rank (highest first), then
/// list id.
pub(crate) fn index(book: &PriceBook) -> Result<HashMap<&Sku, Vec<Candidate<'_>>>, PricingError> {
    let mut by_sku: HashMap<&Sku, Vec<Candidate<'_>>> = HashMap::new();
    let mut seen = HashSet::new();
    for entry in &book.prices {
        let (unit, tiers) = entry.validate(&|| "price book".to_owned())?;
        if !seen.insert((&entry.sku, entry.unit_price.currency())) {
            return Err(PricingError::invalid(
                "price book",
                format!("two base prices for {} in {}", entry.sku, entry.unit_price.currency()),
            ));
        }
        let currency = entry.unit_price.currency();
        by_sku.entry(&entry.sku).or_default().push(Candidate {
            list: None,
            list_id: None,
            currency,
            unit,
            tiers,
        });
    }
    let mut ids = HashSet::new();
    for list in &book.lists {
        let what = || format!("price list {}", list.id);
        if !ids.insert(list.id.as_str()) {
            return Err(PricingError::invalid(what(), "two price lists have this id"));
        }
        if let (Some(f), Some(u)) = (list.valid_from, list.valid_until)
            && f >= u
        {
            return Err(PricingError::invalid(what(), "valid_from is not before valid_until"));
        }
        let mut seen = HashSet::new();
        let list_id: Arc<str> = list.id.as_str().into();
        for entry in &list.prices {
            let (unit, tiers) = entry.validate(&what)?;
            let currency = entry.unit_price.currency();
            if !seen.insert((&entry.sku, currency)) {
                return Err(PricingError::invalid(
                    what(),
                    format!("two prices for {} in {}", entry.sku, entry.unit_price.currency()),
                ));
            }
            by_sku.entry(&entry.sku).or_default().push(Candidate {
                list: Some(list),
                list_id: Some(list_id.clone()),
                currency,
                unit,
                tiers,
            });
        }
    }
    for candidates in by_sku.values_mut() {
        candidates.sort_by(|a, b| {
            b.rank().cmp(&a.rank()).then_with(|| a.list.map(|l| &l.id).cmp(&b.list.map(|l| &l.id)))
        });
    }
    Ok(by_sku)
}

/// The unit price of `quantity` units among `candidates` (see the module docs for the rule).
#[inline]
pub(crate) fn choose<'a>(
    candidates: &'a [Candidate<'_>],
    currency: Currency,
    quantity: u32,
    now: DateTime<Utc>,
    group: Option<&CustomerGroupId>,
) -> Option<ChosenPrice<'a>> {
    // Usual case: a base price only, no list, no tiers.
    if let [only] = candidates
        && only.list.is_none()
        && only.tiers.is_empty()
    {
        return (only.currency == currency).then_some(ChosenPrice {
            unit: only.unit,
            list: None,
            tier_min_quantity: None,
        });
    }
    let mut best: Option<(i64, ChosenPrice<'a>)> = None;
    for c in candidates {
        if c.currency != currency {
            continue;
        }
        if let Some((rank, _)) = best
            && c.rank() < rank
        {
            break; // sorted by rank: nothing further can win
        }
        if c.list.is_some_and(|l| !l.applies(now, group)) {
            continue;
        }
        let (unit, tier) = c.unit_for(quantity);
        // Same rank: strictly lower price wins; equal prices keep the smaller list id
        // (candidates are sorted by id within a rank).
        if best.as_ref().is_none_or(|(_, b)| unit < b.unit) {
            best = Some((c.rank(), ChosenPrice { unit, list: c.list_id.as_ref(), tier_min_quantity: tier }));
        }
    }
    best.map(|(_, p)| p)
}
