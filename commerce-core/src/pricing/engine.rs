//! The pricing function.

use super::apply::{self, Conditions, Effect, Line, Outcome};
use super::context::PricingContext;
use super::error::PricingError;
use super::explain::{ExplanationCode as Code, ExplanationEntry};
use super::input::PricingInput;
use super::priced::{Adjustment, PriceSource, PricedCart, PricedLine, PricedShipping};
use super::promotion::{Indexed, Phase, Stacking};
use super::shipping::{ShippingMethod, Unavailable};
use super::tax::TaxMode;
use crate::cart::Cart;
use crate::ids::{CouponCode, TaxClass};
use crate::money::{Currency, Money};

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
    let zero = Money::zero(currency);

    // Lines, in SKU order so that nothing depends on the order items were added.
    let mut lines = Vec::with_capacity(cart.lines().len());
    for (cart_index, cl) in cart.lines().iter().enumerate() {
        let info =
            input.catalog.get(&cl.sku).ok_or_else(|| PricingError::UnknownSku { sku: cl.sku.clone() })?;
        let qty = cl.quantity.get();
        let price = input
            .prices
            .choose(&cl.sku, currency, qty, ctx.now, ctx.customer_group.as_ref())
            .ok_or_else(|| PricingError::NoPrice { sku: cl.sku.clone(), currency })?;
        let subtotal = price.unit_price.times(qty)?;
        lines.push(Line {
            cart_index,
            sku: &cl.sku,
            quantity: cl.quantity,
            info,
            price,
            subtotal,
            net: subtotal,
            adjustments: Vec::new(),
            order_discount: zero,
        });
    }
    lines.sort_by(|a, b| a.sku.cmp(b.sku).then(a.quantity.cmp(&b.quantity)));
    let subtotal = Money::sum(currency, lines.iter().map(|l| l.subtotal))?;

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

    let mut coupons: Vec<&CouponCode> = Vec::with_capacity(cart.coupons().len() + ctx.coupon_codes.len());
    for code in cart.coupons().iter().chain(&ctx.coupon_codes) {
        if !coupons.contains(&code) {
            coupons.push(code);
        }
    }

    let mut run = Run {
        input,
        ctx,
        currency,
        method,
        lines,
        order_adjustments: Vec::new(),
        shipping: None,
        shipping_quoted: false,
        explanation: Vec::new(),
        applied_promotions: Vec::new(),
        applied_coupons: Vec::new(),
    };

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
    if !run.shipping_quoted {
        let quote = run.quote()?;
        run.settle_quote(quote);
    }
    run.finish(subtotal)
}

/// The shipping charge while promotions apply.
struct Shipping<'x> {
    method: &'x ShippingMethod,
    amount: Money,
    adjustments: Vec<Adjustment>,
    discount: Money,
}

/// A shipping quote not yet committed: the charge (if any) and what to explain.
struct Quote<'x> {
    shipping: Option<Shipping<'x>>,
    notes: Vec<ExplanationEntry>,
}

struct Run<'x, 'i> {
    input: &'x PricingInput<'i>,
    ctx: &'x PricingContext,
    currency: Currency,
    method: Option<&'i ShippingMethod>,
    /// Canonical (SKU) order.
    lines: Vec<Line<'x>>,
    order_adjustments: Vec<Adjustment>,
    shipping: Option<Shipping<'i>>,
    shipping_quoted: bool,
    explanation: Vec<ExplanationEntry>,
    applied_promotions: Vec<crate::ids::PromotionId>,
    applied_coupons: Vec<CouponCode>,
}

impl<'x, 'i> Run<'x, 'i> {
    fn zero(&self) -> Money {
        Money::zero(self.currency)
    }

    /// Evaluates conditions, resolves exclusivity and applies promotions (module docs).
    fn promotions(&mut self, subtotal: Money, coupons: &[&CouponCode]) -> Result<(), PricingError> {
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
            if outcome.total.is_zero() {
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
            if outcome.total.is_zero() {
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
            let shipping = match &self.shipping {
                _ if self.shipping_quoted => self.shipping.as_ref(),
                _ => quote.insert(self.quote()?).shipping.as_ref(),
            };
            shipping.map(|s| s.amount.checked_sub(s.discount)).transpose()?
        } else {
            None
        };
        let outcome = apply::outcome(p, &self.lines, due, self.currency, self.input.options.rounding)?;
        Ok((outcome, quote))
    }

    fn no_discount(&mut self, p: &Indexed<'_>) {
        self.explanation.push(ExplanationEntry::about(
            Code::NoDiscount,
            p.promo,
            format_args!("nothing left to discount on this cart"),
        ));
    }

    fn commit(&mut self, p: &Indexed<'_>, out: Outcome) -> Result<(), PricingError> {
        let promo = p.promo;
        let adjustment =
            |amount| Adjustment { promotion: promo.id.clone(), label: promo.label.clone(), amount };
        match out.effect {
            Effect::Lines(amounts) => {
                for (i, d) in amounts {
                    if let Some(l) = self.lines.get_mut(i) {
                        l.net = l.net.checked_sub(d)?;
                        l.adjustments.push(adjustment(d));
                    }
                }
            }
            Effect::Order(shares) => {
                for (l, d) in self.lines.iter_mut().zip(shares) {
                    l.net = l.net.checked_sub(d)?;
                    l.order_discount = l.order_discount.checked_add(d)?;
                }
                self.order_adjustments.push(adjustment(out.total));
            }
            Effect::Shipping => {
                if let Some(s) = &mut self.shipping {
                    s.discount = s.discount.checked_add(out.total)?;
                    s.adjustments.push(adjustment(out.total));
                }
            }
        }
        if let Some(asked) = out.clamped_from {
            self.explanation.push(ExplanationEntry::about(
                Code::DiscountClamped,
                promo,
                format_args!("discount of {asked} reduced so that no amount goes below zero"),
            ));
        }
        if let (Some(before), Some(cap)) = (out.capped_from, promo.max_discount) {
            self.explanation.push(ExplanationEntry::about(
                Code::DiscountCapped,
                promo,
                format_args!("discount of {before} capped at the maximum of {cap}"),
            ));
        }
        self.explanation.push(ExplanationEntry::about(
            Code::PromotionApplied,
            promo,
            format_args!("{} off", out.total),
        ));
        self.applied_promotions.push(promo.id.clone());
        if let Some(c) = &promo.coupon {
            self.applied_coupons.push(c.code.clone());
        }
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
        let mut amount = match method.charge(self.ctx.region.as_ref(), self.weight()) {
            Ok(a) => a,
            Err(why) => {
                notes.push(unavailable(why));
                return Ok(Quote { shipping: None, notes });
            }
        };
        if let Some(threshold) = method.free_above {
            let merchandise = Money::sum(self.currency, self.lines.iter().map(|l| l.net))?;
            if merchandise.amount() >= threshold.amount() && !amount.is_zero() {
                notes.push(ExplanationEntry::general(
                    Code::FreeShippingThreshold,
                    format!("{}: free shipping from {threshold}", method.name),
                ));
                amount = self.zero();
            }
        }
        let shipping = Shipping { method, amount, adjustments: Vec::new(), discount: self.zero() };
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
    fn finish(mut self, subtotal: Money) -> Result<PricedCart, PricingError> {
        let zero = self.zero();
        let options = self.input.options;
        let taxes = &self.input.taxes;

        // Tax members: the lines (canonical order), then shipping.
        let mut members = Vec::with_capacity(self.lines.len() + 1);
        let mut classes: Vec<(&TaxClass, Option<usize>)> = Vec::new();
        let region = self.ctx.region.as_ref();
        if region.is_none() && !taxes.is_empty() && !self.lines.is_empty() {
            self.explanation.push(ExplanationEntry::general(
                Code::NoTaxRegion,
                "no destination region given: tax is not computed".to_owned(),
            ));
        }
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
                let due = s.amount.checked_sub(s.discount)?;
                let rule = s.method.tax_class.as_ref().and_then(|c| rule_of(c, &mut self.explanation));
                members.push((rule, due));
                due
            }
            None => zero,
        };
        let (member_tax, tax_lines) = taxes.compute(
            &members,
            self.currency,
            options.tax_mode,
            options.tax_rounding,
            options.rounding,
        )?;
        let inclusive = options.tax_mode == TaxMode::Inclusive;
        let with_tax = |net: Money, tax: Money| if inclusive { Ok(net) } else { net.checked_add(tax) };

        // Output lines in cart order.
        let mut position = vec![0; self.lines.len()];
        for (k, l) in self.lines.iter().enumerate() {
            position[l.cart_index] = k;
        }
        let mut out_lines = Vec::with_capacity(self.lines.len());
        let (mut discount_total, mut tax_total) = (zero, zero);
        for &k in &position {
            let l = &mut self.lines[k];
            let tax = member_tax[k];
            let discount = l.subtotal.checked_sub(l.net)?;
            discount_total = discount_total.checked_add(discount)?;
            tax_total = tax_total.checked_add(tax)?;
            out_lines.push(PricedLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: l.price.unit_price,
                price_source: PriceSource {
                    price_list: l.price.list.map(str::to_owned),
                    tier_min_quantity: l.price.tier_min_quantity,
                },
                subtotal: l.subtotal,
                adjustments: std::mem::take(&mut l.adjustments),
                order_discount: l.order_discount,
                discount_total: discount,
                tax_rate: members[k].0.map_or(rust_decimal::Decimal::ZERO, |r| taxes.rate(r)),
                tax,
                total: with_tax(l.net, tax)?,
            });
        }
        let shipping = match self.shipping {
            Some(s) => {
                let tax = member_tax.get(self.lines.len()).copied().unwrap_or(zero);
                tax_total = tax_total.checked_add(tax)?;
                Some(PricedShipping {
                    method: s.method.id.clone(),
                    name: s.method.name.clone(),
                    amount: s.amount,
                    adjustments: s.adjustments,
                    discount: s.discount,
                    tax,
                    total: with_tax(shipping_due, tax)?,
                })
            }
            None => None,
        };
        let merchandise = subtotal.checked_sub(discount_total)?.checked_add(shipping_due)?;
        let grand_total = if inclusive { merchandise } else { merchandise.checked_add(tax_total)? };
        Ok(PricedCart {
            currency: self.currency,
            tax_mode: options.tax_mode,
            lines: out_lines,
            order_adjustments: self.order_adjustments,
            shipping,
            taxes: tax_lines,
            subtotal,
            discount_total,
            tax_total,
            shipping_total: shipping_due,
            grand_total,
            applied_coupons: self.applied_coupons,
            applied_promotions: self.applied_promotions,
            explanation: self.explanation,
        })
    }
}
