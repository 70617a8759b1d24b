//! Gathers what the pure pricing function needs from storage: products and categories of the
//! cart's SKUs, the shop's rules, the customer's group and coupon usage counts.

use super::{Commerce, Error, Result};
use crate::cart::Cart;
use crate::catalog::{CategoryTree, Variant};
use crate::customer::Address;
use crate::ids::{CartId, CustomerId, Region, ShippingMethodId};
use crate::money::Currency;
use crate::ports::storage::{CouponRedemption, Store};
use crate::pricing::{
    CouponUsage, PriceBook, PricedCart, PricingCatalog, PricingContext, PricingInput, PricingRules,
    price_cart,
};

/// Where and for whom a cart is priced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceOptions {
    /// Tax region (from the shipping address); without one no tax rule matches.
    pub region: Option<Region>,
    /// Shipping method to price.
    pub shipping_method: Option<ShippingMethodId>,
    /// The customer (for group prices and per-customer coupon limits); defaults to the cart's.
    pub customer: Option<CustomerId>,
}

impl<S: Store + ?Sized> Commerce<S> {
    pub(super) fn has_price(&self, rules: &PricingRules, variant: &Variant, currency: Currency) -> bool {
        variant.price(currency).is_some()
            || rules
                .price_book
                .prices
                .iter()
                .any(|e| e.sku == variant.sku && e.unit_price.currency() == currency)
    }

    pub(super) fn check_shipping_method(
        &self,
        rules: &PricingRules,
        method: &ShippingMethodId,
        address: &Address,
    ) -> Result<()> {
        let m = rules
            .shipping_methods
            .iter()
            .find(|m| &m.id == method)
            .ok_or_else(|| Error::not_found("shipping method", method))?;
        let region = address.tax_region();
        if !m.regions.is_empty() && !m.regions.iter().any(|r| region.is_within(r)) {
            return Err(Error::ShippingUnavailable(method.clone()));
        }
        Ok(())
    }

    /// Prices a stored cart.
    pub async fn price_cart(&self, cart_id: CartId, options: &PriceOptions) -> Result<PricedCart> {
        let cart = self.cart(cart_id).await?;
        self.price(&cart, options).await
    }

    /// Prices a cart value against the stored catalog and rules.
    pub async fn price(&self, cart: &Cart, options: &PriceOptions) -> Result<PricedCart> {
        Ok(self.price_with_products(cart, options).await?.0)
    }

    /// [`Commerce::price`], also returning the products of the cart's SKUs (each once), which
    /// pricing had to load anyway: hosts showing names and images need no second read.
    pub async fn price_with_products(
        &self,
        cart: &Cart,
        options: &PriceOptions,
    ) -> Result<(PricedCart, Vec<crate::catalog::Product>)> {
        let rules = self.store.pricing_rules().await?;
        let mut products: Vec<crate::catalog::Product> = Vec::with_capacity(cart.lines().len());
        for line in cart.lines() {
            // Several variants of one product: load and list the product once.
            if products.iter().any(|p| p.variant(&line.sku).is_some()) {
                continue;
            }
            let p = self
                .store
                .product_by_sku(&line.sku)
                .await?
                .ok_or(Error::Unavailable { sku: line.sku.clone(), reason: "unknown SKU" })?;
            products.push(p);
        }
        let tree = CategoryTree::new(self.store.list_categories().await?)
            .map_err(|e| Error::Invalid(format!("stored categories are not a tree: {e}")))?;
        let catalog = PricingCatalog::from_products(&products, &tree);
        // Variants' list prices are the base; explicit base prices in the rules replace them.
        let mut book = PriceBook::from_products(&products);
        book.prices.retain(|e| {
            !rules
                .price_book
                .prices
                .iter()
                .any(|r| r.sku == e.sku && r.unit_price.currency() == e.unit_price.currency())
        });
        book.prices.extend(rules.price_book.prices.iter().cloned());
        book.lists = rules.price_book.lists.clone();
        let input = PricingInput::new(&catalog, &book)?
            .with_promotions(&rules.promotions)?
            .with_tax_rules(&rules.tax_rules)?
            .with_shipping_methods(&rules.shipping_methods)?
            .with_options(rules.options);
        let customer = options.customer.or(cart.customer());
        let mut ctx = PricingContext::new(self.clock.now());
        if let Some(c) = customer {
            ctx = ctx.with_customer(c);
            if let Some(group) = self.store.get_customer(c).await?.and_then(|c| c.group) {
                ctx = ctx.with_customer_group(group);
            }
        }
        if let Some(r) = &options.region {
            ctx = ctx.with_region(r.clone());
        }
        if let Some(m) = &options.shipping_method {
            ctx = ctx.with_shipping_method(m.clone());
        }
        for code in cart.coupons() {
            if rules.promotions.iter().any(|p| p.coupon.as_ref().is_some_and(|c| &c.code == code)) {
                let (total, mine) = self.store.coupon_usage(code, customer).await?;
                ctx = ctx.with_coupon_usage(code.clone(), CouponUsage { total, by_this_customer: mine });
            }
        }
        let priced = price_cart(cart, &input, &ctx)?;
        if let Some(m) = &options.shipping_method
            && priced.shipping_unavailable()
        {
            return Err(Error::ShippingUnavailable(m.clone()));
        }
        Ok((priced, products))
    }

    /// The coupon redemptions `place_order` must record, with their limits.
    pub(super) async fn redemptions(&self, priced: &PricedCart) -> Result<Vec<CouponRedemption>> {
        if priced.applied_coupons.is_empty() {
            return Ok(Vec::new());
        }
        let rules = self.store.pricing_rules().await?;
        Ok(priced
            .applied_coupons
            .iter()
            .map(|code| {
                let rule =
                    rules.promotions.iter().filter_map(|p| p.coupon.as_ref()).find(|c| &c.code == code);
                CouponRedemption {
                    code: code.clone(),
                    total_limit: rule.and_then(|r| r.max_uses),
                    per_customer_limit: rule.and_then(|r| r.max_uses_per_customer),
                }
            })
            .collect())
    }
}
