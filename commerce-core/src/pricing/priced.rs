//! The output: a priced cart, stored later as an immutable order snapshot.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::explain::{ExplanationCode, ExplanationEntry};
use super::tax::TaxMode;
use crate::cart::Quantity;
use crate::ids::{CouponCode, PromotionId, ShippingMethodId, Sku};
use crate::money::{Currency, Money};

/// A discount a promotion gave. `amount` is positive: it is taken off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// The promotion.
    pub promotion: PromotionId,
    /// Its label.
    pub label: Arc<str>,
    /// The amount taken off (never negative).
    pub amount: Money,
}

/// Where a line's unit price came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceSource {
    /// The price list that set it; `None` for the base price.
    pub price_list: Option<Arc<str>>,
    /// The minimum quantity of the volume tier used, if any.
    pub tier_min_quantity: Option<u32>,
}

/// One priced cart line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedLine {
    /// The SKU.
    pub sku: Sku,
    /// The quantity.
    pub quantity: Quantity,
    /// The unit price chosen from the price book.
    pub unit_price: Money,
    /// Where the unit price came from.
    pub price_source: PriceSource,
    /// `unit_price x quantity`.
    pub subtotal: Money,
    /// Item-level discounts (line discounts, buy-X-get-Y), in application order.
    pub adjustments: Vec<Adjustment>,
    /// This line's share of the order-level discounts.
    pub order_discount: Money,
    /// All discounts on the line: the adjustments plus `order_discount`.
    pub discount_total: Money,
    /// The tax rate applied in percent (zero when untaxed).
    pub tax_rate: Decimal,
    /// The line's tax (included in `total` only in tax-exclusive mode; in tax-inclusive mode it
    /// is the portion of `total` that is tax).
    pub tax: Money,
    /// `subtotal - discount_total`, plus `tax` in tax-exclusive mode.
    pub total: Money,
}

/// The shipping charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedShipping {
    /// The method.
    pub method: ShippingMethodId,
    /// Its display name.
    pub name: Arc<str>,
    /// The charge before promotions (zero when the method's free-above threshold is met).
    pub amount: Money,
    /// Promotion discounts on shipping.
    pub adjustments: Vec<Adjustment>,
    /// Their sum.
    pub discount: Money,
    /// The tax on `amount - discount` (see [`PricedLine::tax`] for the two modes).
    pub tax: Money,
    /// `amount - discount`, plus `tax` in tax-exclusive mode.
    pub total: Money,
}

/// Tax collected at one rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    /// The tax rule's id.
    pub rate_id: Arc<str>,
    /// The tax rule's name.
    pub name: Arc<str>,
    /// The rate in percent.
    pub rate: Decimal,
    /// The amount taxed, excluding the tax itself (in tax-inclusive mode: the amounts paid minus
    /// the included tax).
    pub taxable_base: Money,
    /// The tax.
    pub amount: Money,
}

/// A priced cart: every amount exact in the currency's minor units.
///
/// Totals:
/// - `subtotal` = sum of line subtotals; `discount_total` = sum of line `discount_total`s
///   (merchandise discounts; shipping discounts are inside `shipping_total`);
/// - `shipping_total` = shipping `amount - discount` (zero without shipping);
/// - `tax_total` = sum of line taxes + shipping tax = sum of the `taxes` breakdown;
/// - tax-exclusive: `grand_total = subtotal - discount_total + shipping_total + tax_total`;
/// - tax-inclusive: `grand_total = subtotal - discount_total + shipping_total` (tax included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedCart {
    /// The cart's currency.
    pub currency: Currency,
    /// Whether prices included tax.
    pub tax_mode: TaxMode,
    /// The lines, in cart order.
    pub lines: Vec<PricedLine>,
    /// Order-level discounts (their per-line shares are in [`PricedLine::order_discount`]).
    pub order_adjustments: Vec<Adjustment>,
    /// The shipping charge; `None` when no method was chosen or it cannot ship this cart (see
    /// [`PricedCart::shipping_unavailable`]).
    pub shipping: Option<PricedShipping>,
    /// Tax by rate, sorted by rate id.
    pub taxes: Vec<TaxLine>,
    /// Sum of line subtotals.
    pub subtotal: Money,
    /// Sum of merchandise discounts.
    pub discount_total: Money,
    /// Sum of taxes.
    pub tax_total: Money,
    /// Shipping after its discounts (before tax in tax-exclusive mode).
    pub shipping_total: Money,
    /// What the customer pays.
    pub grand_total: Money,
    /// Coupons that produced a discount, in application order: exactly those to redeem.
    pub applied_coupons: Vec<CouponCode>,
    /// Promotions that produced a discount, in application order.
    pub applied_promotions: Vec<PromotionId>,
    /// What applied, what did not and why.
    pub explanation: Vec<ExplanationEntry>,
}

impl PricedCart {
    /// Whether a shipping method was chosen but cannot ship this cart (checkout must refuse).
    pub fn shipping_unavailable(&self) -> bool {
        self.explanation.iter().any(|e| e.code == ExplanationCode::ShippingUnavailable)
    }

    /// Whether the cart had no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}
