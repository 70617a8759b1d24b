//! Tax rules by (tax class, region), tax modes, and the tax computation.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::PricingError;
use super::priced::TaxLine;
use crate::ids::{Region, TaxClass};
use crate::money::{Currency, Money, MoneyError, Rounding};

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

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    rule: &'a TaxRule,
    /// `rate / 100`.
    fraction: Decimal,
}

/// Tax rules indexed by class, most specific region first.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaxIndex<'a> {
    rules: Vec<Entry<'a>>,
    by_class: HashMap<&'a TaxClass, Vec<usize>>,
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
            let fraction = rule
                .rate
                .checked_div(Decimal::ONE_HUNDRED)
                .ok_or(MoneyError::Overflow { operation: "tax rate" })?;
            index.by_class.entry(&rule.tax_class).or_default().push(index.rules.len());
            index.rules.push(Entry { rule, fraction });
        }
        for ids in index.by_class.values_mut() {
            // Longest region code first: `US-CA` before `US` (nested regions only grow).
            ids.sort_by_key(|&i| std::cmp::Reverse(index.rules[i].rule.region.as_str().len()));
        }
        Ok(index)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The most specific rule for `class` whose region contains `region`.
    pub(crate) fn lookup(&self, class: &TaxClass, region: &Region) -> Option<usize> {
        self.by_class.get(class)?.iter().copied().find(|&i| region.is_within(&self.rules[i].rule.region))
    }

    pub(crate) fn rate(&self, rule: usize) -> Decimal {
        self.rules.get(rule).map_or(Decimal::ZERO, |e| e.rule.rate)
    }

    fn tax_on(&self, rule: usize, amount: Money, mode: TaxMode) -> Result<Money, MoneyError> {
        let Some(e) = self.rules.get(rule) else { return Ok(Money::zero(amount.currency())) };
        let overflow = MoneyError::Overflow { operation: "tax" };
        match mode {
            TaxMode::Exclusive => amount.mul_rate(e.fraction),
            TaxMode::Inclusive => {
                // amount x rate / (100 + rate), in this order so that exact cases stay exact.
                let divisor = e.rule.rate.checked_add(Decimal::ONE_HUNDRED).ok_or(overflow.clone())?;
                let tax = amount
                    .amount()
                    .checked_mul(e.rule.rate)
                    .and_then(|x| x.checked_div(divisor))
                    .ok_or(overflow)?;
                Ok(Money::new(tax, amount.currency()))
            }
        }
    }

    /// Taxes `members` (each an optional rule and a taxable amount: net of discounts, and tax
    /// included in inclusive mode). Returns each member's tax and the breakdown by rate, sorted
    /// by rule id.
    pub(crate) fn compute(
        &self,
        members: &[(Option<usize>, Money)],
        currency: Currency,
        mode: TaxMode,
        level: TaxRounding,
        rounding: Rounding,
    ) -> Result<(Vec<Money>, Vec<TaxLine>), PricingError> {
        let zero = Money::zero(currency);
        let mut taxes = vec![zero; members.len()];
        // (rule, sum of amounts, sum of taxes)
        let mut groups: Vec<(usize, Money, Money)> = Vec::new();
        for (i, &(rule, amount)) in members.iter().enumerate() {
            let Some(rule) = rule else { continue };
            let g = match groups.iter().position(|g| g.0 == rule) {
                Some(g) => g,
                None => {
                    groups.push((rule, zero, zero));
                    groups.len() - 1
                }
            };
            groups[g].1 = groups[g].1.checked_add(amount)?;
            if level == TaxRounding::PerLine {
                let tax = self.tax_on(rule, amount, mode)?.round(rounding);
                taxes[i] = tax;
                groups[g].2 = groups[g].2.checked_add(tax)?;
            }
        }
        if level == TaxRounding::PerOrder {
            let mut weights = Vec::new();
            for g in &mut groups {
                let tax = self.tax_on(g.0, g.1, mode)?.round(rounding);
                g.2 = tax;
                if tax.is_zero() {
                    continue;
                }
                weights.clear();
                weights.extend(
                    members.iter().map(|&(r, m)| if r == Some(g.0) { m.amount() } else { Decimal::ZERO }),
                );
                for (i, share) in tax.allocate(&weights)?.into_iter().enumerate() {
                    if members[i].0 == Some(g.0) {
                        taxes[i] = share;
                    }
                }
            }
        }
        let mut lines = Vec::with_capacity(groups.len());
        for (rule, base, tax) in groups {
            let Some(e) = self.rules.get(rule) else { continue };
            let taxable_base = match mode {
                TaxMode::Exclusive => base,
                TaxMode::Inclusive => base.checked_sub(tax)?,
            };
            lines.push(TaxLine {
                rate_id: e.rule.id.clone(),
                name: e.rule.name.clone(),
                rate: e.rule.rate,
                taxable_base,
                amount: tax,
            });
        }
        lines.sort_by(|a, b| a.rate_id.cmp(&b.rate_id));
        Ok((taxes, lines))
    }
}
