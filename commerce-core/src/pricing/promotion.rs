//! Promotions: what they give, to whom, when, and how they stack.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::PricingError;
use super::item::ItemInfo;
use super::units::{Ratio, Units, units_of};
use crate::ids::{CategoryId, CouponCode, CustomerGroupId, PromotionId, Sku};
use crate::money::{Currency, Money};

/// Which items a promotion is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Every item.
    All,
    /// Items with one of these SKUs.
    Skus(Vec<Sku>),
    /// Items in one of these categories (or their descendants: an item's
    /// [`ItemInfo::categories`] includes ancestors).
    Categories(Vec<CategoryId>),
}

impl Target {
    pub(crate) fn matches(&self, sku: &Sku, info: &ItemInfo) -> bool {
        match self {
            Target::All => true,
            Target::Skus(skus) => skus.contains(sku),
            Target::Categories(cats) => info.in_any(cats),
        }
    }
}

/// An amount taken off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// A percentage from 0 to 100 (`10` is 10%).
    Percent(Decimal),
    /// A fixed amount: **per unit** for [`Benefit::ItemDiscount`], once for
    /// [`Benefit::OrderDiscount`].
    Amount(Money),
}

/// What a promotion gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    /// A discount on each matching line.
    ItemDiscount {
        /// The lines it applies to.
        target: Target,
        /// Percentage of the line, or a fixed amount off each unit.
        discount: Discount,
    },
    /// A discount on the order's merchandise, split over the lines in proportion to their
    /// amounts after item discounts.
    OrderDiscount {
        /// Percentage of the order, or a fixed amount off it.
        discount: Discount,
    },
    /// Buy `buy`, get `get` at `percent_off` (100 = free), among the units matching `target`:
    /// for every `buy + get` matching units, the `get` cheapest are discounted.
    BuyXGetY {
        /// The units counted and discounted.
        target: Target,
        /// Units to buy (at least 1).
        buy: u32,
        /// Units discounted per group (at least 1).
        get: u32,
        /// Percentage off the discounted units, 0 to 100.
        percent_off: Decimal,
    },
    /// The shipping charge is waived (up to the promotion's cap).
    FreeShipping,
}

/// Whether a promotion combines with others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Applies together with other combinable promotions.
    #[default]
    Combinable,
    /// Applies alone: when it gives a discount, no other promotion applies.
    Exclusive,
}

/// A coupon code that unlocks a promotion, with its usage limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRule {
    /// The code customers enter.
    pub code: CouponCode,
    /// Redemptions allowed in all; `None` for unlimited.
    #[serde(default)]
    pub max_uses: Option<u32>,
    /// Redemptions allowed per customer; `None` for unlimited.
    #[serde(default)]
    pub max_uses_per_customer: Option<u32>,
}

/// A promotion.
///
/// ```
/// use commerce_core::pricing::{Benefit, Discount, Promotion};
/// use commerce_core::ids::PromotionId;
/// use commerce_core::{CouponCode, Currency, Money};
/// use rust_decimal_macros::dec;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let save10 = Promotion::new(
///     PromotionId::parse("save10")?,
///     "10% off your order",
///     Benefit::OrderDiscount { discount: Discount::Percent(dec!(10)) },
/// )
/// .with_coupon(CouponCode::parse("SAVE10")?, Some(1000), Some(1))
/// .with_min_subtotal(Money::new(dec!(50), Currency::USD))
/// .with_max_discount(Money::new(dec!(20), Currency::USD));
/// # let _ = save10; Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// Stable identifier.
    pub id: PromotionId,
    /// What the customer sees ("Summer sale").
    pub label: std::sync::Arc<str>,
    /// What it gives.
    pub benefit: Benefit,
    /// The coupon that unlocks it; `None` for an automatic promotion.
    #[serde(default)]
    pub coupon: Option<CouponRule>,
    /// Active from this instant (inclusive).
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Active until this instant (exclusive).
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// Only for these customer groups; empty for everyone.
    #[serde(default)]
    pub customer_groups: Vec<CustomerGroupId>,
    /// The cart subtotal (before discounts) must be at least this.
    #[serde(default)]
    pub min_subtotal: Option<Money>,
    /// The most this promotion takes off in total.
    #[serde(default)]
    pub max_discount: Option<Money>,
    /// Exclusive or combinable.
    #[serde(default)]
    pub stacking: Stacking,
    /// Higher is considered first.
    #[serde(default)]
    pub priority: i32,
}

impl Promotion {
    /// An automatic, combinable, always-active promotion for everyone with priority 0.
    pub fn new(id: PromotionId, label: impl Into<std::sync::Arc<str>>, benefit: Benefit) -> Self {
        Promotion {
            id,
            label: label.into(),
            benefit,
            coupon: None,
            valid_from: None,
            valid_until: None,
            customer_groups: Vec::new(),
            min_subtotal: None,
            max_discount: None,
            stacking: Stacking::Combinable,
            priority: 0,
        }
    }

    /// Requires a coupon code, with optional total and per-customer usage limits.
    pub fn with_coupon(mut self, code: CouponCode, max_uses: Option<u32>, per_customer: Option<u32>) -> Self {
        self.coupon = Some(CouponRule { code, max_uses, max_uses_per_customer: per_customer });
        self
    }

    /// Sets the validity window (`from` inclusive, `until` exclusive).
    pub fn valid(mut self, from: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Self {
        self.valid_from = from;
        self.valid_until = until;
        self
    }

    /// Restricts to customer groups.
    pub fn for_groups(mut self, groups: impl IntoIterator<Item = CustomerGroupId>) -> Self {
        self.customer_groups = groups.into_iter().collect();
        self
    }

    /// Requires a minimum subtotal.
    pub fn with_min_subtotal(mut self, min: Money) -> Self {
        self.min_subtotal = Some(min);
        self
    }

    /// Caps the total discount.
    pub fn with_max_discount(mut self, cap: Money) -> Self {
        self.max_discount = Some(cap);
        self
    }

    /// Makes it exclusive.
    pub fn exclusive(mut self) -> Self {
        self.stacking = Stacking::Exclusive;
        self
    }

    /// Sets the priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The currency of the promotion's amounts, if it has any (all must agree).
    pub(crate) fn currency(&self) -> Option<Currency> {
        self.amounts().next().map(|m| m.currency())
    }

    fn amounts(&self) -> impl Iterator<Item = Money> + '_ {
        let fixed = match &self.benefit {
            Benefit::ItemDiscount { discount: Discount::Amount(m), .. }
            | Benefit::OrderDiscount { discount: Discount::Amount(m) } => Some(*m),
            _ => None,
        };
        fixed.into_iter().chain(self.min_subtotal).chain(self.max_discount)
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.benefit {
            Benefit::ItemDiscount { .. } | Benefit::BuyXGetY { .. } => Phase::Items,
            Benefit::OrderDiscount { .. } => Phase::Order,
            Benefit::FreeShipping => Phase::Shipping,
        }
    }

    fn validate(&self) -> Result<(), PricingError> {
        let fail = |reason: &str| Err(PricingError::invalid(format!("promotion {}", self.id), reason));
        let percent_ok = |p: &Decimal| *p >= Decimal::ZERO && *p <= Decimal::ONE_HUNDRED;
        match &self.benefit {
            Benefit::ItemDiscount { target, discount } => {
                if is_empty(target) {
                    return fail("the target names no SKU or category");
                }
                if let Discount::Percent(p) = discount
                    && !percent_ok(p)
                {
                    return fail("the percentage is not between 0 and 100");
                }
            }
            Benefit::OrderDiscount { discount: Discount::Percent(p) } if !percent_ok(p) => {
                return fail("the percentage is not between 0 and 100");
            }
            Benefit::BuyXGetY { target, buy, get, percent_off } => {
                if is_empty(target) {
                    return fail("the target names no SKU or category");
                }
                if *buy == 0 || *get == 0 {
                    return fail("buy and get must both be at least 1");
                }
                if buy.checked_add(*get).is_none() {
                    return fail("buy + get is too large");
                }
                if !percent_ok(percent_off) {
                    return fail("the percentage is not between 0 and 100");
                }
            }
            _ => {}
        }
        if let Some(currency) = self.currency() {
            for m in self.amounts() {
                if m.currency() != currency {
                    return fail("its amounts are in different currencies");
                }
                if m.is_negative() || !m.is_exact() {
                    return fail("an amount is negative or finer than the currency's minor units");
                }
            }
        }
        if let (Some(f), Some(u)) = (self.valid_from, self.valid_until)
            && f >= u
        {
            return fail("valid_from is not before valid_until");
        }
        Ok(())
    }
}

fn is_empty(target: &Target) -> bool {
    match target {
        Target::All => false,
        Target::Skus(s) => s.is_empty(),
        Target::Categories(c) => c.is_empty(),
    }
}

/// The three application phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Items,
    Order,
    Shipping,
}

/// A validated promotion with its numbers in engine form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Indexed<'a> {
    pub promo: &'a Promotion,
    /// `percent / 100` for percentage benefits, else zero.
    pub ratio: Ratio,
    /// The fixed amount of an [`Discount::Amount`] benefit, in minor units.
    pub amount: Units,
    /// `min_subtotal` in minor units.
    pub min_subtotal: Option<Units>,
    /// `max_discount` in minor units.
    pub cap: Option<Units>,
    /// The currency of the promotion's amounts, if it has any.
    pub currency: Option<Currency>,
}

/// Validates promotions and orders them by phase, priority (highest first), then id.
pub(crate) fn index(promotions: &[Promotion]) -> Result<Vec<Indexed<'_>>, PricingError> {
    let mut ids = HashSet::new();
    let mut codes = HashSet::new();
    let mut out = Vec::with_capacity(promotions.len());
    for p in promotions {
        p.validate()?;
        if !ids.insert(&p.id) {
            return Err(PricingError::invalid(format!("promotion {}", p.id), "two promotions have this id"));
        }
        if let Some(c) = &p.coupon
            && !codes.insert(&c.code)
        {
            return Err(PricingError::invalid(
                format!("promotion {}", p.id),
                format!("coupon {} belongs to two promotions", c.code),
            ));
        }
        let invalid = |reason: &str| PricingError::invalid(format!("promotion {}", p.id), reason);
        let units = |m: Money| units_of(m).map_err(|_| invalid("an amount is too large"));
        let (ratio, amount) = match &p.benefit {
            Benefit::ItemDiscount { discount: Discount::Percent(x), .. }
            | Benefit::OrderDiscount { discount: Discount::Percent(x) }
            | Benefit::BuyXGetY { percent_off: x, .. } => {
                (Ratio::percent(*x).ok_or_else(|| invalid("the percentage has too many digits"))?, 0)
            }
            Benefit::ItemDiscount { discount: Discount::Amount(m), .. }
            | Benefit::OrderDiscount { discount: Discount::Amount(m) } => (Ratio::ZERO, units(*m)?),
            Benefit::FreeShipping => (Ratio::ZERO, 0),
        };
        out.push(Indexed {
            promo: p,
            ratio,
            amount,
            min_subtotal: p.min_subtotal.map(units).transpose()?,
            cap: p.max_discount.map(units).transpose()?,
            currency: p.currency(),
        });
    }
    out.sort_by(|a, b| {
        (a.promo.phase(), b.promo.priority, &a.promo.id).cmp(&(
            b.promo.phase(),
            a.promo.priority,
            &b.promo.id,
        ))
    });
    Ok(out)
}
