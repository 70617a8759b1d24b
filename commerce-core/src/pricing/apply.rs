//! Promotion conditions (eligibility) and what an eligible promotion takes off (its effect).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::context::CouponUsage;
use super::error::PricingError;
use super::explain::{ExplanationCode as Code, ExplanationEntry, When};
use super::item::ItemInfo;
use super::price_book::ChosenPrice;
use super::promotion::{Benefit, Discount, Indexed, Target};
use crate::cart::Quantity;
use crate::ids::{CouponCode, CustomerGroupId, Sku};
use crate::money::{Currency, Money, MoneyError, Rounding};

/// A cart line while it is being priced.
#[derive(Debug)]
pub(crate) struct Line<'x> {
    pub cart_index: usize,
    pub sku: &'x Sku,
    pub quantity: Quantity,
    pub info: &'x ItemInfo,
    pub price: ChosenPrice<'x>,
    pub subtotal: Money,
    /// `subtotal` minus every discount so far; never negative.
    pub net: Money,
    pub adjustments: Vec<super::priced::Adjustment>,
    pub order_discount: Money,
}

/// What the conditions look at.
pub(crate) struct Conditions<'x> {
    pub now: DateTime<Utc>,
    pub currency: Currency,
    pub group: Option<&'x CustomerGroupId>,
    /// The subtotal before any discount.
    pub subtotal: Money,
    pub coupons: &'x [&'x CouponCode],
    pub usage: &'x HashMap<CouponCode, CouponUsage>,
}

/// `Ok` if `p` applies to the cart; `Err(None)` if it is a coupon promotion whose code was not
/// entered (skipped silently); `Err(Some(entry))` with the reason otherwise.
pub(crate) fn eligibility(
    p: &Indexed<'_>,
    lines: &[Line<'_>],
    c: &Conditions<'_>,
) -> Result<(), Option<ExplanationEntry>> {
    let promo = p.promo;
    let no = |code, args: std::fmt::Arguments<'_>| Err(Some(ExplanationEntry::about(code, promo, args)));
    if let Some(coupon) = &promo.coupon
        && !c.coupons.contains(&&coupon.code)
    {
        return Err(None);
    }
    if let Some(cur) = promo.currency()
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
    if let Some(min) = promo.min_subtotal
        && c.subtotal.amount() < min.amount()
    {
        return no(
            Code::MinimumSubtotalNotMet,
            format_args!("minimum subtotal {min} not met (subtotal {})", c.subtotal),
        );
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

/// Where a promotion's discount goes.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Amounts off lines (indexes into the canonical lines).
    Lines(Vec<(usize, Money)>),
    /// An order discount and its per-line shares (one per canonical line).
    Order(Vec<Money>),
    /// An amount off shipping.
    Shipping,
}

/// A promotion's effect on the cart as it stands.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub effect: Effect,
    /// What it takes off in total.
    pub total: Money,
    /// The total before the cap, when the cap bit.
    pub capped_from: Option<Money>,
    /// The total before clamping, when a discount had to be reduced to avoid a negative amount.
    pub clamped_from: Option<Money>,
}

fn gt(a: Money, b: Money) -> bool {
    a.amount() > b.amount()
}

/// What `p` would take off. `shipping_due` is the shipping charge still payable, if any.
pub(crate) fn outcome(
    p: &Indexed<'_>,
    lines: &[Line<'_>],
    shipping_due: Option<Money>,
    currency: Currency,
    rounding: Rounding,
) -> Result<Outcome, PricingError> {
    let zero = Money::zero(currency);
    let mut clamped_from = None;
    let (effect, total) = match &p.promo.benefit {
        Benefit::ItemDiscount { target, discount } => {
            let mut amounts = Vec::new();
            let (mut asked, mut total) = (zero, zero);
            for (i, l) in lines.iter().enumerate() {
                if !target.matches(l.sku, l.info) {
                    continue;
                }
                let d = match discount {
                    Discount::Percent(_) => l.net.mul_rate(p.fraction)?.round(rounding),
                    Discount::Amount(a) => a.times(l.quantity.get())?,
                };
                asked = asked.checked_add(d)?;
                let d = if gt(d, l.net) { l.net } else { d };
                total = total.checked_add(d)?;
                if !d.is_zero() {
                    amounts.push((i, d));
                }
            }
            if asked != total {
                clamped_from = Some(asked);
            }
            (Effect::Lines(amounts), total)
        }
        Benefit::BuyXGetY { target, buy, get, .. } => {
            let (amounts, total) = buy_x_get_y(target, *buy, *get, p.fraction, lines, zero, rounding)?;
            (Effect::Lines(amounts), total)
        }
        Benefit::OrderDiscount { discount } => {
            let net = Money::sum(currency, lines.iter().map(|l| l.net))?;
            let asked = match discount {
                Discount::Percent(_) => net.mul_rate(p.fraction)?.round(rounding),
                Discount::Amount(a) => *a,
            };
            let total = if gt(asked, net) {
                clamped_from = Some(asked);
                net
            } else {
                asked
            };
            (Effect::Order(Vec::new()), total)
        }
        Benefit::FreeShipping => (Effect::Shipping, shipping_due.unwrap_or(zero)),
    };
    let mut out = Outcome { effect, total, capped_from: None, clamped_from };
    if let Some(cap) = p.promo.max_discount
        && gt(out.total, cap)
    {
        out.capped_from = Some(out.total);
        out.total = cap;
        if let Effect::Lines(amounts) = &mut out.effect {
            let weights: Vec<Decimal> = amounts.iter().map(|(_, m)| m.amount()).collect();
            for ((_, m), share) in amounts.iter_mut().zip(cap.allocate(&weights)?) {
                *m = share;
            }
            amounts.retain(|(_, m)| !m.is_zero());
        }
    }
    if let Effect::Order(shares) = &mut out.effect
        && !out.total.is_zero()
    {
        let weights: Vec<Decimal> = lines.iter().map(|l| l.net.amount()).collect();
        *shares = out.total.allocate(&weights)?;
    }
    Ok(out)
}

/// For every `buy + get` matching units, the `get` cheapest (by current unit amount, then line
/// order) are discounted by `fraction`.
fn buy_x_get_y(
    target: &Target,
    buy: u32,
    get: u32,
    fraction: Decimal,
    lines: &[Line<'_>],
    zero: Money,
    rounding: Rounding,
) -> Result<(Vec<(usize, Money)>, Money), MoneyError> {
    let mut matching: Vec<usize> =
        (0..lines.len()).filter(|&i| target.matches(lines[i].sku, lines[i].info)).collect();
    let units: u64 = matching.iter().map(|&i| u64::from(lines[i].quantity.get())).sum();
    let group = u64::from(buy) + u64::from(get);
    let mut free = units / group * u64::from(get);
    // Cheapest unit first: compare net_a / qty_a with net_b / qty_b by cross-multiplying.
    matching.sort_by(|&a, &b| {
        let (la, lb) = (&lines[a], &lines[b]);
        let x = la.net.amount().checked_mul(Decimal::from(lb.quantity.get()));
        let y = lb.net.amount().checked_mul(Decimal::from(la.quantity.get()));
        match (x, y) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => la.price.unit_price.amount().cmp(&lb.price.unit_price.amount()),
        }
        .then(a.cmp(&b))
    });
    let mut amounts = Vec::new();
    let mut total = zero;
    for i in matching {
        if free == 0 {
            break;
        }
        let l = &lines[i];
        let qty = u64::from(l.quantity.get());
        let k = free.min(qty);
        free -= k;
        let discounted = if k == qty {
            l.net
        } else {
            // k < qty <= u32::MAX
            let share = l
                .net
                .amount()
                .checked_mul(Decimal::from(k))
                .and_then(|x| x.checked_div(Decimal::from(qty)))
                .ok_or(MoneyError::Overflow { operation: "buy x get y" })?;
            Money::new(share, l.net.currency())
        };
        let d = discounted.mul_rate(fraction)?.round(rounding);
        let d = if gt(d, l.net) { l.net } else { d };
        if !d.is_zero() {
            total = total.checked_add(d)?;
            amounts.push((i, d));
        }
    }
    Ok((amounts, total))
}
