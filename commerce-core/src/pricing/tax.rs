//! Tax rules by (tax class, region), tax modes, and the tax computation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::PricingError;
use super::priced::TaxLine;
use super::units::{FxBuild, Ratio, SmallBuf, Units, add, allocate, money, sub};
use crate::ids::{Region, TaxClass};
use crate::money::{Currency, Rounding};

/// Whether catalog prices include tax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices exclude tax; tax is added: `grand = subtotal - discounts + shipping + tax`.
    #[default]
    Exclusive,
    /// Prices include tax; the tax is the included portion `amount x rate / (100 + rate)` and
    /// `grand = subtotal - discounts + shipping`.
    Inclusive,
}

/// Where tax is rounded to minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxRounding {
    /// Each line's (and the shipping charge's) tax is rounded; a rate's total is their sum.
    #[default]
    PerLine,
    /// Each rate's tax is computed on the sum of its taxable amounts and rounded once, then
    /// allocated over those lines (and shipping) in proportion to their amounts, exactly.
    PerOrder,
}

/// A tax rate for one tax class in one region (and its subdivisions, unless a more specific
/// rule exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    /// Stable identifier, reported in the breakdown.
    pub id: String,
    /// Display name ("CA sales tax").
    pub name: String,
    /// The tax class it applies to.
    pub tax_class: TaxClass,
    /// The region it applies in.
    pub region: Region,
    /// The rate in percent (`7.25` is 7.25%), at least 0.
    pub rate: Decimal,
}

impl TaxRule {
    /// A rule.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        tax_class: TaxClass,
        region: Region,
        rate: Decimal,
    ) -> Self {
        TaxRule { id: id.into(), name: name.into(), tax_class, region, rate }
    }
}

#[derive(Debug, Clone)]
struct Entry<'a> {
    rule: &'a TaxRule,
    /// The rule's id and name, shared by every priced cart that reports them.
    id: Arc<str>,
    name: Arc<str>,
    /// `rate / 100`: the tax on a tax-exclusive amount.
    exclusive: Ratio,
    /// `rate / (100 + rate)`: the tax inside a tax-inclusive amount.
    included: Ratio,
}

/// Tax rules indexed by class, most specific region first.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaxIndex<'a> {
    rules: Vec<Entry<'a>>,
    /// Per tax class (by class id): its rules, most specific region first.
    classes: Vec<Vec<usize>>,
    /// Class ids.
    by_class: HashMap<&'a TaxClass, u32, FxBuild>,
}

impl<'a> TaxIndex<'a> {
    pub(crate) fn new(rules: &'a [TaxRule]) -> Result<Self, PricingError> {
        let mut index = TaxIndex::default();
        let mut ids = HashSet::new();
        let mut keys = HashSet::new();
        for rule in rules {
            let what = || format!("tax rule {}", rule.id);
            if !ids.insert(rule.id.as_str()) {
                return Err(PricingError::invalid(what(), "two tax rules have this id"));
            }
            if !keys.insert((&rule.tax_class, &rule.region)) {
                return Err(PricingError::invalid(
                    what(),
                    format!("two rules for class {} in {}", rule.tax_class, rule.region),
                ));
            }
            if rule.rate.is_sign_negative() && !rule.rate.is_zero() {
                return Err(PricingError::invalid(what(), "negative rate"));
            }
            let (Some(exclusive), Some(included)) = (Ratio::percent(rule.rate), Ratio::included(rule.rate))
            else {
                return Err(PricingError::invalid(what(), "the rate has too many digits"));
            };
            let next = u32::try_from(index.classes.len())
                .map_err(|_| PricingError::invalid(what(), "more than 2^32 tax classes"))?;
            let class = *index.by_class.entry(&rule.tax_class).or_insert(next);
            if class == next {
                index.classes.push(Vec::new());
            }
            index.classes[class as usize].push(index.rules.len());
            index.rules.push(Entry {
                rule,
                id: rule.id.as_str().into(),
                name: rule.name.as_str().into(),
                exclusive,
                included,
            });
        }
        for ids in &mut index.classes {
            // Longest region code first: `US-CA` before `US` (nested regions only grow).
            ids.sort_by_key(|&i| std::cmp::Reverse(index.rules[i].rule.region.as_str().len()));
        }
        Ok(index)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The id of `class` if a rule names it.
    pub(crate) fn class_id(&self, class: &TaxClass) -> Option<u32> {
        self.by_class.get(class).copied()
    }

    /// The most specific rule for the class `class_id` whose region contains `region`.
    pub(crate) fn lookup(&self, class_id: u32, region: &Region) -> Option<usize> {
        let rules = self.classes.get(class_id as usize)?;
        rules.iter().copied().find(|&i| region.is_within(&self.rules[i].rule.region))
    }

    pub(crate) fn rate(&self, rule: usize) -> Decimal {
        self.rules.get(rule).map_or(Decimal::ZERO, |e| e.rule.rate)
    }

    fn tax_on(
        &self,
        rule: usize,
        amount: Units,
        mode: TaxMode,
        rounding: Rounding,
    ) -> Result<Units, PricingError> {
        let Some(e) = self.rules.get(rule) else { return Ok(0) };
        match mode {
            TaxMode::Exclusive => e.exclusive.of(amount, rounding),
            TaxMode::Inclusive => e.included.of(amount, rounding),
        }
    }

    /// Taxes `members` (each an optional rule and a taxable amount: net of discounts, and tax
    /// included in inclusive mode) into `taxes` (one per member, zero when untaxed). Returns the
    /// breakdown by rate, sorted by rule id.
    pub(crate) fn compute(
        &self,
        members: &[(Option<usize>, Units)],
        currency: Currency,
        (mode, level, rounding): (TaxMode, TaxRounding, Rounding),
        taxes: &mut [Units],
    ) -> Result<Vec<TaxLine>, PricingError> {
        debug_assert_eq!(members.len(), taxes.len());
        taxes.fill(0);
        // (rule, sum of amounts, sum of taxes)
        let mut groups: SmallBuf<(usize, Units, Units), 8> = SmallBuf::new();
        for (i, &(rule, amount)) in members.iter().enumerate() {
            let Some(rule) = rule else { continue };
            let tax =
                if level == TaxRounding::PerLine { self.tax_on(rule, amount, mode, rounding)? } else { 0 };
            taxes[i] = tax;
            match groups.iter_mut().find(|g| g.0 == rule) {
                Some(g) => {
                    g.1 = add(g.1, amount)?;
                    g.2 = add(g.2, tax)?;
                }
                None => groups.push((rule, amount, tax)),
            }
        }
        if level == TaxRounding::PerOrder {
            let mut weights: SmallBuf<Units, 16> = SmallBuf::filled(0, members.len());
            let mut shares: SmallBuf<Units, 16> = SmallBuf::filled(0, members.len());
            for g in groups.iter_mut() {
                g.2 = self.tax_on(g.0, g.1, mode, rounding)?;
                if g.2 == 0 {
                    continue;
                }
                for (w, &(r, m)) in weights.iter_mut().zip(members) {
                    *w = if r == Some(g.0) { m } else { 0 };
                }
                allocate(g.2, &weights, &mut shares)?;
                for (i, &share) in shares.iter().enumerate() {
                    if members[i].0 == Some(g.0) {
                        taxes[i] = share;
                    }
                }
            }
        }
        let mut lines = Vec::with_capacity(groups.len());
        for &(rule, base, tax) in groups.iter() {
            let Some(e) = self.rules.get(rule) else { continue };
            let taxable_base = match mode {
                TaxMode::Exclusive => base,
                TaxMode::Inclusive => sub(base, tax)?,
            };
            lines.push(TaxLine {
                rate_id: e.id.clone(),
                name: e.name.clone(),
                rate: e.rule.rate,
                taxable_base: money(taxable_base, currency),
                amount: money(tax, currency),
            });
        }
        lines.sort_by(|a, b| a.rate_id.cmp(&b.rate_id));
        Ok(lines)
    }
}
