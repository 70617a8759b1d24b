//! The pricing function.

use super::apply::{self, Conditions, Effect, Line, Outcome};
use super::context::PricingContext;
use super::error::PricingError;
use super::explain::{ExplanationCode as Code, ExplanationEntry, Part, Shown};
use super::input::PricingInput;
use super::price_book;
use super::priced::{Adjustment, PriceSource, PricedCart, PricedLine, PricedShipping};
use super::promotion::{Indexed, Phase, Promotion, Stacking};
use super::shipping::{ShippingMethod, Unavailable};
use super::tax::TaxMode;
use super::units::{Units, add, money, overflow, sub, units_of};
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

    // Lines, in SKU order so that nothing depends on the order items were added.
    let mut lines = Vec::with_capacity(cart.lines().len());
    for (cart_index, cl) in cart.lines().iter().enumerate() {
        let entry =
            input.skus.get(&cl.sku).ok_or_else(|| PricingError::UnknownSku { sku: cl.sku.clone() })?;
        let qty = cl.quantity.get();
        let price = price_book::choose(&entry.prices, currency, qty, ctx.now, ctx.customer_group.as_ref())
            .ok_or_else(|| PricingError::NoPrice { sku: cl.sku.clone(), currency })?;
        let subtotal = price.unit.checked_mul(i64::from(qty)).ok_or_else(|| overflow("line subtotal"))?;
        lines.push(Line {
            cart_index,
            sku: &cl.sku,
            quantity: cl.quantity,
            info: entry.info,
            price,
            subtotal,
            net: subtotal,
            order_discount: 0,
        });
    }
    lines.sort_by(|a, b| a.sku.cmp(b.sku).then(a.quantity.cmp(&b.quantity)));
    let subtotal = lines.iter().try_fold(0, |s, l| add(s, l.subtotal))?;
    let lines_len = lines.len();

    // The shipping method is checked before promotions: an unknown one is an error regardless.
    let method = match &ctx.shipping_method {
        Some(id) => {
            let m =
                input.shipping_method(id).ok_or_else(|| PricingError::UnknownShippingMethod(id.clone()))?;
            match m.currency() {
                Some(c) if c != currency => {
                    return Err(PricingError::CurrencyMismatch {
                        what: format!("shipping method {}", m.id),
                        expected: currency,
                        found: c,
                    });
                }
                _ => Some(m),
            }
        }
        None => None,
    };

    let mut run = Run {
        input,
        ctx,
        currency,
        method,
        lines,
        adjustments: Vec::with_capacity(lines_len),
        order_adjustments: Vec::new(),
        shipping: None,
        shipping_quoted: false,
        explanation: Vec::with_capacity(input.promotions.len() + 2),
        applied: Vec::with_capacity(input.promotions.len()),
    };

    if !cart.coupons().is_empty() || !ctx.coupon_codes.is_empty() {
        let mut coupons: Vec<&CouponCode> = Vec::with_capacity(cart.coupons().len() + ctx.coupon_codes.len());
        for code in cart.coupons().iter().chain(&ctx.coupon_codes) {
            if !coupons.contains(&code) {
                coupons.push(code);
            }
        }
        for code in &coupons {
            if !input.promotions.iter().any(|p| p.promo.coupon.as_ref().is_some_and(|c| &c.code == *code)) {
                run.explanation.push(ExplanationEntry {
                    code: Code::CouponUnknown,
                    promotion: None,
                    coupon: Some((*code).clone()),
                    message: format!("coupon {code}: not a valid code"),
                });
            }
        }
        run.promotions(subtotal, &coupons)?;
    } else {
        run.promotions(subtotal, &[])?;
    }
    if !run.shipping_quoted {
        let quote = run.quote()?;
        run.settle_quote(quote);
    }
    run.finish(subtotal)
}

/// The shipping charge while promotions apply.
struct Shipping<'i> {
    method: &'i ShippingMethod,
    amount: Units,
    discount: Units,
    adjustments: Vec<(&'i Promotion, Units)>,
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
    method: Option<&'i ShippingMethod>,
    /// Canonical (SKU) order.
    lines: Vec<Line<'x>>,
    /// Item-level discounts: (canonical line, promotion, amount), in application order.
    adjustments: Vec<(usize, &'i Promotion, Units)>,
    order_adjustments: Vec<(&'i Promotion, Units)>,
    shipping: Option<Shipping<'i>>,
    shipping_quoted: bool,
    explanation: Vec<ExplanationEntry>,
    /// Promotions that gave a discount, in application order.
    applied: Vec<&'i Promotion>,
}

impl<'x, 'i> Run<'x, 'i> {
    /// Evaluates conditions, resolves exclusivity and applies promotions (module docs).
    fn promotions(&mut self, subtotal: Units, coupons: &[&CouponCode]) -> Result<(), PricingError> {
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
        let mut eligible = vec![false; promos.len()];
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
    fn evaluate(&self, p: &Indexed<'_>) -> Result<(Outcome, Option<Quote<'i>>), PricingError> {
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
        let outcome = apply::outcome(p, &self.lines, due, self.input.options.rounding)?;
        Ok((outcome, quote))
    }

    fn no_discount(&mut self, p: &Indexed<'_>) {
        self.explanation.push(ExplanationEntry::about(
            Code::NoDiscount,
            p.promo,
            format_args!("nothing left to discount on this cart"),
        ));
    }

    fn commit(&mut self, p: &Indexed<'i>, out: Outcome) -> Result<(), PricingError> {
        let promo = p.promo;
        match out.effect {
            Effect::Lines(amounts) => {
                for (i, d) in amounts {
                    if let Some(l) = self.lines.get_mut(i) {
                        l.net = sub(l.net, d)?;
                        self.adjustments.push((i, promo, d));
                    }
                }
            }
            Effect::Order(shares) => {
                for (l, d) in self.lines.iter_mut().zip(shares) {
                    l.net = sub(l.net, d)?;
                    l.order_discount = add(l.order_discount, d)?;
                }
                self.order_adjustments.push((promo, out.total));
            }
            Effect::Shipping => {
                if let Some(s) = &mut self.shipping {
                    s.discount = add(s.discount, out.total)?;
                    s.adjustments.push((promo, out.total));
                }
            }
        }
        let c = self.currency;
        if let Some(asked) = out.clamped_from {
            self.explanation.push(ExplanationEntry::about_parts(
                Code::DiscountClamped,
                promo,
                &[
                    Part::Text("discount of "),
                    Part::Amount(Shown(asked, c)),
                    Part::Text(" reduced so that no amount goes below zero"),
                ],
            ));
        }
        if let (Some(before), Some(cap)) = (out.capped_from, p.cap) {
            self.explanation.push(ExplanationEntry::about_parts(
                Code::DiscountCapped,
                promo,
                &[
                    Part::Text("discount of "),
                    Part::Amount(Shown(before, c)),
                    Part::Text(" capped at the maximum of "),
                    Part::Amount(Shown(cap, c)),
                ],
            ));
        }
        self.explanation.push(ExplanationEntry::about_parts(
            Code::PromotionApplied,
            promo,
            &[Part::Amount(Shown(out.total, c)), Part::Text(" off")],
        ));
        self.applied.push(promo);
        Ok(())
    }

    /// The shipping charge for the cart as it stands (merchandise discounts so far).
    fn quote(&self) -> Result<Quote<'i>, PricingError> {
        let mut notes = Vec::new();
        let Some(method) = self.method else { return Ok(Quote { shipping: None, notes }) };
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
        let shipping = Shipping { method, amount, discount: 0, adjustments: Vec::new() };
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
    fn finish(mut self, subtotal: Units) -> Result<PricedCart, PricingError> {
        let c = self.currency;
        let options = self.input.options;
        let taxes = &self.input.taxes;

        // Tax members: the lines (canonical order), then shipping.
        let mut members = Vec::with_capacity(self.lines.len() + 1);
        let region = self.ctx.region.as_ref();
        if region.is_none() && !taxes.is_empty() && !self.lines.is_empty() {
            self.explanation.push(ExplanationEntry::general(
                Code::NoTaxRegion,
                "no destination region given: tax is not computed".to_owned(),
            ));
        }
        // A few distinct tax classes per cart: a linear cache beats hashing.
        let mut classes: Vec<(&TaxClass, Option<usize>)> = Vec::new();
        let mut rule_of = |class: &'x TaxClass, explanation: &mut Vec<ExplanationEntry>| {
            let region = region?;
            if let Some(&(_, r)) = classes.iter().find(|(c, _)| *c == class) {
                return r;
            }
            let r = taxes.lookup(class, region);
            if r.is_none() && !taxes.is_empty() {
                explanation.push(ExplanationEntry::general(
                    Code::NoTaxRule,
                    format!("no tax rate for tax class {class} in {region}: not taxed"),
                ));
            }
            classes.push((class, r));
            r
        };
        for l in &self.lines {
            members.push((rule_of(&l.info.tax_class, &mut self.explanation), l.net));
        }
        let shipping_due = match &self.shipping {
            Some(s) => {
                let due = sub(s.amount, s.discount)?;
                let rule =
                    s.method.tax_class.as_ref().and_then(|class| rule_of(class, &mut self.explanation));
                members.push((rule, due));
                due
            }
            None => 0,
        };
        let mut member_tax = Vec::with_capacity(members.len());
        let tax_lines = taxes.compute(
            &members,
            c,
            (options.tax_mode, options.tax_rounding, options.rounding),
            &mut member_tax,
        )?;
        let inclusive = options.tax_mode == TaxMode::Inclusive;
        let with_tax = |net: Units, tax: Units| if inclusive { Ok(net) } else { add(net, tax) };
        let adjustment = |p: &Promotion, amount: Units| Adjustment {
            promotion: p.id.clone(),
            label: p.label.clone(),
            amount: money(amount, c),
        };

        // Output lines in cart order.
        let mut position = vec![0; self.lines.len()];
        for (k, l) in self.lines.iter().enumerate() {
            position[l.cart_index] = k;
        }
        let mut out_lines = Vec::with_capacity(self.lines.len());
        let (mut discount_total, mut tax_total) = (0, 0);
        for &k in &position {
            let l = &self.lines[k];
            let tax = member_tax[k];
            let discount = sub(l.subtotal, l.net)?;
            discount_total = add(discount_total, discount)?;
            tax_total = add(tax_total, tax)?;
            out_lines.push(PricedLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: money(l.price.unit, c),
                price_source: PriceSource {
                    price_list: l.price.list.map(str::to_owned),
                    tier_min_quantity: l.price.tier_min_quantity,
                },
                subtotal: money(l.subtotal, c),
                adjustments: self
                    .adjustments
                    .iter()
                    .filter(|a| a.0 == k)
                    .map(|a| adjustment(a.1, a.2))
                    .collect(),
                order_discount: money(l.order_discount, c),
                discount_total: money(discount, c),
                tax_rate: members[k].0.map_or(rust_decimal::Decimal::ZERO, |r| taxes.rate(r)),
                tax: money(tax, c),
                total: money(with_tax(l.net, tax)?, c),
            });
        }
        let shipping = match self.shipping {
            Some(s) => {
                let tax = member_tax.get(self.lines.len()).copied().unwrap_or(0);
                tax_total = add(tax_total, tax)?;
                Some(PricedShipping {
                    method: s.method.id.clone(),
                    name: s.method.name.clone(),
                    amount: money(s.amount, c),
                    adjustments: s.adjustments.iter().map(|a| adjustment(a.0, a.1)).collect(),
                    discount: money(s.discount, c),
                    tax: money(tax, c),
                    total: money(with_tax(shipping_due, tax)?, c),
                })
            }
            None => None,
        };
        let merchandise = add(sub(subtotal, discount_total)?, shipping_due)?;
        let grand_total = if inclusive { merchandise } else { add(merchandise, tax_total)? };
        let applied_promotions: Vec<PromotionId> = self.applied.iter().map(|p| p.id.clone()).collect();
        let applied_coupons =
            self.applied.iter().filter_map(|p| p.coupon.as_ref().map(|c| c.code.clone())).collect();
        Ok(PricedCart {
            currency: c,
            tax_mode: options.tax_mode,
            lines: out_lines,
            order_adjustments: self.order_adjustments.iter().map(|a| adjustment(a.0, a.1)).collect(),
            shipping,
            taxes: tax_lines,
            subtotal: money(subtotal, c),
            discount_total: money(discount_total, c),
            tax_total: money(tax_total, c),
            shipping_total: money(shipping_due, c),
            grand_total: money(grand_total, c),
            applied_coupons,
            applied_promotions,
            explanation: self.explanation,
        })
    }
}
