//! Promotion conditions (eligibility) and what an eligible promotion takes off (its effect).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::context::CouponUsage;
use super::error::PricingError;
use super::explain::{ExplanationCode as Code, ExplanationEntry, Shown, What, When};
use super::item::ItemInfo;
use super::price_book::ChosenPrice;
use super::priced::Adjustment;
use super::promotion::{Benefit, Discount, Indexed, Target};
use super::units::{SmallBuf, Units, add, allocate, overflow};
use crate::cart::Quantity;
use crate::ids::{CouponCode, CustomerGroupId, Sku};
use crate::money::{Currency, Rounding};

/// A cart line while it is being priced; amounts in minor units.
#[derive(Debug)]
pub(crate) struct Line<'x> {
    pub cart_index: usize,
    /// The SKU's rank in the catalog's SKU order.
    pub rank: u32,
    pub sku: &'x Sku,
    pub quantity: Quantity,
    pub info: &'x ItemInfo,
    /// The tax class's id in the tax index (`None`: no rule names it).
    pub tax_class: Option<u32>,
    pub price: ChosenPrice<'x>,
    pub subtotal: Units,
    /// `subtotal` minus every discount so far; never negative.
    pub net: Units,
    /// This line's share of order-level discounts.
    pub order_discount: Units,
    /// Item-level discounts given so far, in application order.
    pub adjustments: Vec<Adjustment>,
}

/// The coupon codes entered: the cart's, then the context's (a code may be in both).
#[derive(Clone, Copy)]
pub(crate) struct Coupons<'x> {
    pub cart: &'x [CouponCode],
    pub extra: &'x [CouponCode],
}

impl<'x> Coupons<'x> {
    pub(crate) fn iter(self) -> impl Iterator<Item = &'x CouponCode> {
        self.cart.iter().chain(self.extra)
    }

    fn contains(self, code: &CouponCode) -> bool {
        self.cart.contains(code) || self.extra.contains(code)
    }
}

/// What the conditions look at.
pub(crate) struct Conditions<'x> {
    pub now: DateTime<Utc>,
    pub currency: Currency,
    pub group: Option<&'x CustomerGroupId>,
    /// The subtotal before any discount.
    pub subtotal: Units,
    pub coupons: Coupons<'x>,
    pub usage: &'x HashMap<CouponCode, CouponUsage>,
}

/// `Ok` if `p` applies to the cart; `Err(None)` if it is a coupon promotion whose code was not
/// entered (skipped silently); `Err(Some(entry))` with the reason otherwise.
// The entry is built only for a promotion that does not apply, and moved once.
#[allow(clippy::result_large_err)]
pub(crate) fn eligibility(
    p: &Indexed<'_>,
    lines: &[Line<'_>],
    c: &Conditions<'_>,
) -> Result<(), Option<ExplanationEntry>> {
    let promo = p.promo;
    let no = |code, args: std::fmt::Arguments<'_>| Err(Some(ExplanationEntry::about(code, promo, args)));
    if let Some(coupon) = &promo.coupon
        && !c.coupons.contains(&coupon.code)
    {
        return Err(None);
    }
    if let Some(cur) = p.currency
        && cur != c.currency
    {
        return no(
            Code::CurrencyNotSupported,
            format_args!("not available for {} carts (defined in {cur})", c.currency),
        );
    }
    if let Some(from) = promo.valid_from
        && c.now < from
    {
        return no(Code::NotYetActive, format_args!("not valid before {}", When(from)));
    }
    if let Some(until) = promo.valid_until
        && c.now >= until
    {
        return no(Code::Expired, format_args!("expired on {}", When(until)));
    }
    if !promo.customer_groups.is_empty() && !c.group.is_some_and(|g| promo.customer_groups.contains(g)) {
        return no(Code::CustomerGroupNotEligible, format_args!("not available for your customer group"));
    }
    if let Some(coupon) = &promo.coupon {
        let usage = c.usage.get(&coupon.code).copied().unwrap_or_default();
        if coupon.max_uses.is_some_and(|max| usage.total >= max) {
            return no(Code::UsageLimitReached, format_args!("usage limit reached"));
        }
        if let Some(max) = coupon.max_uses_per_customer
            && usage.by_this_customer >= max
        {
            return no(
                Code::CustomerUsageLimitReached,
                format_args!(
                    "already used {} time(s), the limit per customer is {max}",
                    usage.by_this_customer
                ),
            );
        }
    }
    if let Some(min) = p.min_subtotal
        && c.subtotal < min
    {
        return Err(Some(ExplanationEntry::about_what(
            Code::MinimumSubtotalNotMet,
            promo,
            What::MinimumNotMet(Shown(min, c.currency), Shown(c.subtotal, c.currency)),
        )));
    }
    match &promo.benefit {
        Benefit::ItemDiscount { target, .. } => {
            if !lines.iter().any(|l| target.matches(l.sku, l.info)) {
                return no(Code::NoMatchingItems, format_args!("no item in the cart qualifies"));
            }
        }
        Benefit::BuyXGetY { target, buy, get, .. } => {
            let units: u64 = lines
                .iter()
                .filter(|l| target.matches(l.sku, l.info))
                .map(|l| u64::from(l.quantity.get()))
                .sum();
            let needed = u64::from(*buy) + u64::from(*get);
            if units < needed {
                return no(
                    Code::NotEnoughItems,
                    format_args!(
                        "buy {buy} get {get}: {units} qualifying item(s) in the cart, {needed} needed"
                    ),
                );
            }
        }
        Benefit::OrderDiscount { .. } | Benefit::FreeShipping => {}
    }
    Ok(())
}

/// Amounts per line (scratch: inline for carts of up to 16 lines).
pub(crate) type PerLine<T> = SmallBuf<T, 16>;

/// Where a promotion's discount goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Amounts off lines: the `amounts` filled by [`outcome`] (canonical line, amount).
    Lines,
    /// An order discount's per-line shares: the `amounts` filled by [`outcome`], one per
    /// canonical line.
    Order,
    /// An amount off shipping.
    Shipping,
}

/// A promotion's effect on the cart as it stands.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub effect: Effect,
    /// What it takes off in total.
    pub total: Units,
    /// The total before the cap, when the cap bit.
    pub capped_from: Option<Units>,
    /// The total asked before clamping, when a discount had to be reduced to avoid a negative
    /// amount.
    pub clamped_from: Option<Units>,
}

/// What `p` would take off. `shipping_due` is the shipping charge still payable, if any. The
/// amounts per line (for [`Effect::Lines`] and [`Effect::Order`]) go to `amounts`, which is
/// scratch space reused from one promotion to the next.
pub(crate) fn outcome(
    p: &Indexed<'_>,
    lines: &[Line<'_>],
    shipping_due: Option<Units>,
    rounding: Rounding,
    amounts: &mut PerLine<(usize, Units)>,
) -> Result<Outcome, PricingError> {
    amounts.clear();
    let mut clamped_from = None;
    let (effect, total) = match &p.promo.benefit {
        Benefit::ItemDiscount { target, discount } => {
            let (mut asked, mut total) = (0, 0);
            for (i, l) in lines.iter().enumerate() {
                if !target.matches(l.sku, l.info) {
                    continue;
                }
                let d = match discount {
                    Discount::Percent(_) => p.ratio.of(l.net, rounding)?,
                    Discount::Amount(_) => p
                        .amount
                        .checked_mul(i64::from(l.quantity.get()))
                        .ok_or_else(|| overflow("discount"))?,
                };
                asked = add(asked, d)?;
                let d = d.min(l.net);
                total = add(total, d)?;
                if d != 0 {
                    amounts.push((i, d));
                }
            }
            if asked != total {
                clamped_from = Some(asked);
            }
            (Effect::Lines, total)
        }
        Benefit::BuyXGetY { target, buy, get, .. } => {
            (Effect::Lines, buy_x_get_y(p, target, *buy, *get, lines, rounding, amounts)?)
        }
        Benefit::OrderDiscount { discount } => {
            let net = lines.iter().try_fold(0, |s, l| add(s, l.net))?;
            let asked = match discount {
                Discount::Percent(_) => p.ratio.of(net, rounding)?,
                Discount::Amount(_) => p.amount,
            };
            if asked > net {
                clamped_from = Some(asked);
            }
            (Effect::Order, asked.min(net))
        }
        Benefit::FreeShipping => (Effect::Shipping, shipping_due.unwrap_or(0)),
    };
    let mut out = Outcome { effect, total, capped_from: None, clamped_from };
    if let Some(cap) = p.cap
        && out.total > cap
    {
        out.capped_from = Some(out.total);
        out.total = cap;
        if out.effect == Effect::Lines {
            let mut weights: PerLine<Units> = PerLine::new();
            for a in amounts.iter() {
                weights.push(a.1);
            }
            let mut shares: PerLine<Units> = SmallBuf::filled(0, weights.len());
            allocate(cap, &weights, &mut shares)?;
            // Zero shares are dropped.
            let mut kept = 0;
            for j in 0..shares.len() {
                if shares[j] != 0 {
                    amounts[kept] = (amounts[j].0, shares[j]);
                    kept += 1;
                }
            }
            amounts.truncate(kept);
        }
    }
    if out.effect == Effect::Order {
        let mut weights: PerLine<Units> = PerLine::new();
        for l in lines {
            weights.push(l.net);
        }
        let mut shares: PerLine<Units> = SmallBuf::filled(0, lines.len());
        if out.total != 0 {
            allocate(out.total, &weights, &mut shares)?;
        }
        for (i, &share) in shares.iter().enumerate() {
            amounts.push((i, share));
        }
    }
    Ok(out)
}

/// For every `buy + get` matching units, the `get` cheapest (by current unit amount, then line
/// order) are discounted by the promotion's percentage, rounded once per line.
fn buy_x_get_y(
    p: &Indexed<'_>,
    target: &Target,
    buy: u32,
    get: u32,
    lines: &[Line<'_>],
    rounding: Rounding,
    amounts: &mut PerLine<(usize, Units)>,
) -> Result<Units, PricingError> {
    let mut matching: Vec<usize> =
        (0..lines.len()).filter(|&i| target.matches(lines[i].sku, lines[i].info)).collect();
    let units: u64 = matching.iter().map(|&i| u64::from(lines[i].quantity.get())).sum();
    let group = u64::from(buy) + u64::from(get);
    let mut free = units / group * u64::from(get);
    // Cheapest unit first: compare net_a / qty_a with net_b / qty_b by cross-multiplying
    // (exact in 128 bits).
    matching.sort_by(|&a, &b| {
        let (la, lb) = (&lines[a], &lines[b]);
        let x = i128::from(la.net) * i128::from(lb.quantity.get());
        let y = i128::from(lb.net) * i128::from(la.quantity.get());
        x.cmp(&y).then(a.cmp(&b))
    });
    let mut total = 0;
    for i in matching {
        if free == 0 {
            break;
        }
        let l = &lines[i];
        let qty = u64::from(l.quantity.get());
        let k = free.min(qty);
        free -= k;
        let d = p.ratio.of_part(l.net, k, qty, rounding)?.min(l.net);
        if d != 0 {
            total = add(total, d)?;
            amounts.push((i, d));
        }
    }
    Ok(total)
}
