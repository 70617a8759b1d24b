//! The pricing function.

use std::sync::Arc;

use super::apply::{self, Conditions, Coupons, Effect, Line, Outcome, PerLine};
use super::context::PricingContext;
use super::error::PricingError;
use super::explain::{ExplanationCode as Code, ExplanationEntry, Shown, What};
use super::input::PricingInput;
use super::price_book;
use super::priced::{Adjustment, PriceSource, PricedCart, PricedLine, PricedShipping};
use super::promotion::{Indexed, Phase, Stacking};
use super::shipping::{ShippingMethod, Unavailable};
use super::tax::TaxMode;
use super::units::{SmallBuf, Units, add, money, overflow, sub, units_of};
use crate::cart::Cart;
use crate::ids::{CouponCode, PromotionId, TaxClass};
use crate::money::Currency;

/// Prices `cart` against `input` in the situation described by `ctx`.
///
/// Pure and deterministic: the same arguments always give the same [`PricedCart`]. See the
/// [module documentation](super) for the rules (price selection, stacking, rounding points, tax
/// modes, shipping). An empty cart prices to zero totals.
///
/// # Errors
/// [`PricingError::UnknownSku`], [`PricingError::NoPrice`], [`PricingError::UnknownShippingMethod`],
/// [`PricingError::CurrencyMismatch`] (the chosen shipping method charges in another currency)
/// and [`PricingError::Money`] (overflow). Nothing a customer can cause is an error.
pub fn price_cart(
    cart: &Cart,
    input: &PricingInput<'_>,
    ctx: &PricingContext,
) -> Result<PricedCart, PricingError> {
    let currency = cart.currency();

    let mut run = Run {
        input,
        ctx,
        currency,
        method: None,
        lines: Vec::new(),
        order_adjustments: Vec::new(),
        shipping: None,
        shipping_quoted: false,
        explanation: Vec::with_capacity(input.promotions.len() + 2),
        applied_promotions: Vec::new(),
        applied_coupons: Vec::new(),
        amounts: PerLine::new(),
    };

    // Each line's entry and price, in cart order (so the first bad line is the one reported).
    let lines_of = cart.lines();
    run.lines.reserve_exact(lines_of.len());
    // An overflowing subtotal is reported only once every line is known and priced.
    let mut subtotal = Some(0);
    for (cart_index, cl) in lines_of.iter().enumerate() {
        let entry =
            input.skus.get(&cl.sku).ok_or_else(|| PricingError::UnknownSku { sku: cl.sku.clone() })?;
        let qty = cl.quantity.get();
        let price = price_book::choose(&entry.prices, currency, qty, ctx.now, ctx.customer_group.as_ref())
            .ok_or_else(|| PricingError::NoPrice { sku: cl.sku.clone(), currency })?;
        let line_subtotal =
            price.unit.checked_mul(i64::from(qty)).ok_or_else(|| overflow("line subtotal"))?;
        subtotal = subtotal.and_then(|s: Units| s.checked_add(line_subtotal));
        run.lines.push(Line {
            cart_index,
            rank: entry.rank,
            sku: &cl.sku,
            quantity: cl.quantity,
            info: entry.info,
            tax_class: entry.tax_class,
            price,
            subtotal: line_subtotal,
            net: line_subtotal,
            order_discount: 0,
            adjustments: Vec::new(),
        });
    }
    let subtotal = subtotal.ok_or_else(|| overflow("add"))?;
    // Then in SKU order, so that nothing depends on the order items were added. Each SKU's rank
    // in the catalog gives that order with integer comparisons; the quantity and then the cart
    // position break ties, should a cart hold a SKU twice.
    run.lines.sort_unstable_by_key(|l| (l.rank, l.quantity, l.cart_index));

    // The shipping method is checked before promotions: an unknown one is an error regardless.
    if let Some(id) = &ctx.shipping_method {
        let (m, name) =
            input.shipping_method(id).ok_or_else(|| PricingError::UnknownShippingMethod(id.clone()))?;
        if let Some(c) = m.currency()
            && c != currency
        {
            return Err(PricingError::CurrencyMismatch {
                what: format!("shipping method {}", m.id),
                expected: currency,
                found: c,
            });
        }
        run.method = Some((m, name));
    }

    // The cart's coupons, then the context's, duplicates ignored.
    let coupons = Coupons { cart: cart.coupons(), extra: &ctx.coupon_codes };
    for (k, code) in coupons.iter().enumerate() {
        if coupons.iter().take(k).any(|c| c == code) {
            continue;
        }
        if !input.promotions.iter().any(|p| p.promo.coupon.as_ref().is_some_and(|c| &c.code == code)) {
            run.explanation.push(ExplanationEntry {
                code: Code::CouponUnknown,
                promotion: None,
                coupon: Some(code.clone()),
                message: format!("coupon {code}: not a valid code").into(),
            });
        }
    }
    run.promotions(subtotal, coupons)?;
    if !run.shipping_quoted {
        let quote = run.quote()?;
        run.settle_quote(quote);
    }
    run.finish(subtotal)
}

/// The shipping charge while promotions apply.
struct Shipping<'i> {
    method: &'i ShippingMethod,
    /// The method's name, shared.
    name: Arc<str>,
    amount: Units,
    discount: Units,
    adjustments: Vec<Adjustment>,
}

/// A shipping quote not yet committed: the charge (if any) and what to explain.
struct Quote<'i> {
    shipping: Option<Shipping<'i>>,
    notes: Vec<ExplanationEntry>,
}

struct Run<'x, 'i> {
    input: &'x PricingInput<'i>,
    ctx: &'x PricingContext,
    currency: Currency,
    method: Option<(&'i ShippingMethod, &'x Arc<str>)>,
    /// Canonical (SKU) order; each line collects its item-level adjustments.
    lines: Vec<Line<'x>>,
    order_adjustments: Vec<Adjustment>,
    shipping: Option<Shipping<'i>>,
    shipping_quoted: bool,
    explanation: Vec<ExplanationEntry>,
    /// Promotions that gave a discount, in application order.
    applied_promotions: Vec<PromotionId>,
    /// Their coupons, in application order.
    applied_coupons: Vec<CouponCode>,
    /// The per-line amounts of the outcome being evaluated.
    amounts: PerLine<(usize, Units)>,
}

impl<'x, 'i> Run<'x, 'i> {
    /// Evaluates conditions, resolves exclusivity and applies promotions (module docs).
    fn promotions(&mut self, subtotal: Units, coupons: Coupons<'_>) -> Result<(), PricingError> {
        let promos = &self.input.promotions;
        if promos.is_empty() {
            return Ok(());
        }
        let conditions = Conditions {
            now: self.ctx.now,
            currency: self.currency,
            group: self.ctx.customer_group.as_ref(),
            subtotal,
            coupons,
            usage: &self.ctx.coupon_usage,
        };
        let mut eligible: SmallBuf<bool, 32> = SmallBuf::filled(false, promos.len());
        for (i, p) in promos.iter().enumerate() {
            match apply::eligibility(p, &self.lines, &conditions) {
                Ok(()) => eligible[i] = true,
                Err(Some(entry)) => self.explanation.push(entry),
                Err(None) => {}
            }
        }

        // 1. The first exclusive promotion (priority, then id) that gives a discount wins alone.
        for &i in &self.input.exclusive {
            if !eligible[i] {
                continue;
            }
            let p = &promos[i];
            let (outcome, quote) = self.evaluate(p)?;
            if outcome.total == 0 {
                self.no_discount(p);
                eligible[i] = false;
                continue;
            }
            if let Some(q) = quote {
                self.settle_quote(q);
            }
            self.commit(p, outcome)?;
            for (j, other) in promos.iter().enumerate() {
                if eligible[j] && j != i {
                    self.explanation.push(ExplanationEntry::about(
                        Code::NotCombinable,
                        other.promo,
                        format_args!("not combinable with exclusive promotion \"{}\"", p.promo.label),
                    ));
                }
            }
            return Ok(());
        }

        // 2. Every combinable promotion, by phase, priority and id, each on what is left.
        for (i, p) in promos.iter().enumerate() {
            if !eligible[i] || p.promo.stacking == Stacking::Exclusive {
                continue;
            }
            let (outcome, quote) = self.evaluate(p)?;
            if let Some(q) = quote {
                self.settle_quote(q);
            }
            if outcome.total == 0 {
                self.no_discount(p);
            } else {
                self.commit(p, outcome)?;
            }
        }
        Ok(())
    }

    /// The outcome of `p` on the current state, with the shipping quote it needed (not yet
    /// committed) when shipping had not been quoted.
    fn evaluate(&mut self, p: &Indexed<'_>) -> Result<(Outcome, Option<Quote<'i>>), PricingError> {
        let mut quote = None;
        let due = if p.promo.phase() == Phase::Shipping {
            let shipping = if self.shipping_quoted {
                self.shipping.as_ref()
            } else {
                quote.insert(self.quote()?).shipping.as_ref()
            };
            shipping.map(|s| sub(s.amount, s.discount)).transpose()?
        } else {
            None
        };
        let outcome = apply::outcome(p, &self.lines, due, self.input.options.rounding, &mut self.amounts)?;
        Ok((outcome, quote))
    }

    fn no_discount(&mut self, p: &Indexed<'_>) {
        self.explanation.push(ExplanationEntry::about_what(
            Code::NoDiscount,
            p.promo,
            What::Text("nothing left to discount on this cart"),
        ));
    }

    fn commit(&mut self, p: &Indexed<'i>, out: Outcome) -> Result<(), PricingError> {
        let promo = p.promo;
        let c = self.currency;
        let adjustment = |amount: Units| Adjustment {
            promotion: promo.id.clone(),
            label: promo.label.clone(),
            amount: money(amount, c),
        };
        match out.effect {
            Effect::Lines => {
                for &(i, d) in self.amounts.iter() {
                    if let Some(l) = self.lines.get_mut(i) {
                        l.net = sub(l.net, d)?;
                        l.adjustments.push(adjustment(d));
                    }
                }
            }
            Effect::Order => {
                for &(i, d) in self.amounts.iter() {
                    if let Some(l) = self.lines.get_mut(i) {
                        l.net = sub(l.net, d)?;
                        l.order_discount = add(l.order_discount, d)?;
                    }
                }
                self.order_adjustments.push(adjustment(out.total));
            }
            Effect::Shipping => {
                if let Some(s) = &mut self.shipping {
                    s.discount = add(s.discount, out.total)?;
                    s.adjustments.push(adjustment(out.total));
                }
            }
        }
        if let Some(asked) = out.clamped_from {
            self.explanation.push(ExplanationEntry::about_what(
                Code::DiscountClamped,
                promo,
                What::Clamped(Shown(asked, c)),
            ));
        }
        if let (Some(before), Some(cap)) = (out.capped_from, p.cap) {
            self.explanation.push(ExplanationEntry::about_what(
                Code::DiscountCapped,
                promo,
                What::Capped(Shown(before, c), Shown(cap, c)),
            ));
        }
        self.explanation.push(ExplanationEntry::about_what(
            Code::PromotionApplied,
            promo,
            What::Applied(Shown(out.total, c)),
        ));
        self.applied_promotions.push(promo.id.clone());
        if let Some(coupon) = &promo.coupon {
            self.applied_coupons.push(coupon.code.clone());
        }
        Ok(())
    }

    /// The shipping charge for the cart as it stands (merchandise discounts so far).
    fn quote(&self) -> Result<Quote<'i>, PricingError> {
        let mut notes = Vec::new();
        let Some((method, name)) = self.method else { return Ok(Quote { shipping: None, notes }) };
        let unavailable = |why: Unavailable| {
            let name = &method.name;
            let message = match (why, &self.ctx.region) {
                (Unavailable::EmptyCart, _) => format!("{name}: nothing to ship"),
                (Unavailable::NoRegion, _) | (Unavailable::Region, None) => {
                    format!("{name}: needs a destination region")
                }
                (Unavailable::Region, Some(r)) => format!("{name} does not ship to {r}"),
                (Unavailable::TooHeavy { max_grams }, _) => {
                    format!("{name} ships carts up to {max_grams} g; this cart weighs {} g", self.weight())
                }
            };
            ExplanationEntry::general(Code::ShippingUnavailable, message)
        };
        if self.lines.is_empty() {
            notes.push(unavailable(Unavailable::EmptyCart));
            return Ok(Quote { shipping: None, notes });
        }
        let charge = match method.charge(self.ctx.region.as_ref(), self.weight()) {
            Ok(a) => a,
            Err(why) => {
                notes.push(unavailable(why));
                return Ok(Quote { shipping: None, notes });
            }
        };
        let mut amount = units_of(charge)?;
        if let Some(threshold) = method.free_above {
            let threshold = units_of(threshold)?;
            let merchandise = self.lines.iter().try_fold(0, |s, l| add(s, l.net))?;
            if merchandise >= threshold && amount != 0 {
                notes.push(ExplanationEntry::general(
                    Code::FreeShippingThreshold,
                    format!("{}: free shipping from {}", method.name, Shown(threshold, self.currency)),
                ));
                amount = 0;
            }
        }
        let shipping = Shipping { method, name: name.clone(), amount, discount: 0, adjustments: Vec::new() };
        Ok(Quote { shipping: Some(shipping), notes })
    }

    fn settle_quote(&mut self, quote: Quote<'i>) {
        self.shipping = quote.shipping;
        self.explanation.extend(quote.notes);
        self.shipping_quoted = true;
    }

    fn weight(&self) -> u64 {
        self.lines
            .iter()
            .map(|l| u128::from(l.info.weight_grams) * u128::from(l.quantity.get()))
            .sum::<u128>()
            .try_into()
            .unwrap_or(u64::MAX)
    }

    /// Tax, output lines in cart order, totals.
    fn finish(&mut self, subtotal: Units) -> Result<PricedCart, PricingError> {
        let c = self.currency;
        let options = self.input.options;
        let taxes = &self.input.taxes;

        // Tax members: the lines (canonical order), then shipping.
        let mut members: SmallBuf<(Option<usize>, Units), 16> = SmallBuf::new();
        let region = self.ctx.region.as_ref();
        if region.is_none() && !taxes.is_empty() && !self.lines.is_empty() {
            self.explanation.push(ExplanationEntry::general(
                Code::NoTaxRegion,
                "no destination region given: tax is not computed".to_owned(),
            ));
        }
        // A few distinct tax classes per cart: a linear cache beats hashing. Classes no rule
        // names have no id and are told apart by name, to explain each once.
        let mut classes: SmallBuf<(Option<u32>, Option<&TaxClass>, Option<usize>), 4> = SmallBuf::new();
        let mut rule_of = |id: Option<u32>, class: &'x TaxClass, explanation: &mut Vec<ExplanationEntry>| {
            let region = region?;
            let seen = classes
                .iter()
                .find(|&&(i, c, _)| if id.is_some() { i == id } else { i.is_none() && c == Some(class) });
            if let Some(&(_, _, r)) = seen {
                return r;
            }
            let r = id.and_then(|id| taxes.lookup(id, region));
            if r.is_none() && !taxes.is_empty() {
                explanation.push(ExplanationEntry::general(
                    Code::NoTaxRule,
                    format!("no tax rate for tax class {class} in {region}: not taxed"),
                ));
            }
            classes.push((id, Some(class), r));
            r
        };
        for l in &self.lines {
            members.push((rule_of(l.tax_class, &l.info.tax_class, &mut self.explanation), l.net));
        }
        let shipping_due = match &self.shipping {
            Some(s) => {
                let due = sub(s.amount, s.discount)?;
                let rule = s
                    .method
                    .tax_class
                    .as_ref()
                    .and_then(|class| rule_of(taxes.class_id(class), class, &mut self.explanation));
                members.push((rule, due));
                due
            }
            None => 0,
        };
        let mut member_tax: SmallBuf<Units, 16> = SmallBuf::filled(0, members.len());
        let tax_lines = taxes.compute(
            &members,
            c,
            (options.tax_mode, options.tax_rounding, options.rounding),
            &mut member_tax,
        )?;
        let inclusive = options.tax_mode == TaxMode::Inclusive;
        let with_tax = |net: Units, tax: Units| if inclusive { Ok(net) } else { add(net, tax) };

        // Output lines in cart order.
        let mut position: SmallBuf<usize, 32> = SmallBuf::filled(0, self.lines.len());
        for (k, l) in self.lines.iter().enumerate() {
            position[l.cart_index] = k;
        }
        // Plain slices from here: the loops index them once per line.
        let (members, member_tax, position) = (&*members, &*member_tax, &*position);
        // The checked sums first, so that the output lines are built by an infallible map
        // (`extend` writes each straight into the vector; a `push` loop copies each one more).
        let (mut discount_total, mut tax_total) = (0, 0);
        let mut totals: SmallBuf<(Units, Units), 16> = SmallBuf::filled((0, 0), self.lines.len());
        for (k, l) in self.lines.iter().enumerate() {
            let discount = sub(l.subtotal, l.net)?;
            discount_total = add(discount_total, discount)?;
            tax_total = add(tax_total, member_tax[k])?;
            totals[k] = (discount, with_tax(l.net, member_tax[k])?);
        }
        let totals = &*totals;
        let lines = &mut self.lines;
        let mut out_lines = Vec::with_capacity(lines.len());
        out_lines.extend(position.iter().map(|&k| {
            let l = &mut lines[k];
            let (discount, total) = totals[k];
            PricedLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: money(l.price.unit, c),
                price_source: PriceSource {
                    price_list: l.price.list.cloned(),
                    tier_min_quantity: l.price.tier_min_quantity,
                },
                subtotal: money(l.subtotal, c),
                adjustments: std::mem::take(&mut l.adjustments),
                order_discount: money(l.order_discount, c),
                discount_total: money(discount, c),
                tax_rate: members[k].0.map_or(rust_decimal::Decimal::ZERO, |r| taxes.rate(r)),
                tax: money(member_tax[k], c),
                total: money(total, c),
            }
        }));
        let shipping = match self.shipping.take() {
            Some(s) => {
                let tax = member_tax.get(self.lines.len()).copied().unwrap_or(0);
                tax_total = add(tax_total, tax)?;
                Some(PricedShipping {
                    method: s.method.id.clone(),
                    name: s.name,
                    amount: money(s.amount, c),
                    adjustments: s.adjustments,
                    discount: money(s.discount, c),
                    tax: money(tax, c),
                    total: money(with_tax(shipping_due, tax)?, c),
                })
            }
            None => None,
        };
        let merchandise = add(sub(subtotal, discount_total)?, shipping_due)?;
        let grand_total = if inclusive { merchandise } else { add(merchandise, tax_total)? };
        Ok(PricedCart {
            currency: c,
            tax_mode: options.tax_mode,
            lines: out_lines,
            order_adjustments: std::mem::take(&mut self.order_adjustments),
            shipping,
            taxes: tax_lines,
            subtotal: money(subtotal, c),
            discount_total: money(discount_total, c),
            tax_total: money(tax_total, c),
            shipping_total: money(shipping_due, c),
            grand_total: money(grand_total, c),
            applied_coupons: std::mem::take(&mut self.applied_coupons),
            applied_promotions: std::mem::take(&mut self.applied_promotions),
            explanation: std::mem::take(&mut self.explanation),
        })
    }
}
