//! Cart operations: each loads the cart, applies a pure [`Cart`] operation and saves it with an
//! optimistic-concurrency check, retrying when another request changed the cart meanwhile.

use super::{Commerce, Error, Result};
use crate::cart::{Cart, MergeAdjustment, Quantity};
use crate::ids::{CartId, CouponCode, CustomerId, Sku};
use crate::money::Currency;
use crate::ports::storage::{Store, StoreError};

impl<S: Store + ?Sized> Commerce<S> {
    /// Creates an empty cart in `currency`, optionally owned by a customer.
    pub async fn create_cart(&self, currency: Currency, customer: Option<CustomerId>) -> Result<Cart> {
        let mut cart =
            Cart::with_policy(CartId::from_uuid(self.ids.uuid()), currency, self.config.cart_policy);
        cart.set_customer(customer);
        self.store.save_cart(&cart, None).await?;
        Ok(cart)
    }

    /// A cart by id.
    pub async fn cart(&self, id: CartId) -> Result<Cart> {
        Ok(self.store.get_cart(id).await?.ok_or_else(|| Error::not_found("cart", id))?.0)
    }

    /// Loads, changes with `f`, saves; retries on a concurrent change.
    async fn update_cart<T>(
        &self,
        id: CartId,
        mut f: impl FnMut(&mut Cart) -> Result<T>,
    ) -> Result<(Cart, T)> {
        for _ in 0..=self.config.max_retries {
            let (mut cart, version) =
                self.store.get_cart(id).await?.ok_or_else(|| Error::not_found("cart", id))?;
            let out = f(&mut cart)?;
            match self.store.save_cart(&cart, Some(version)).await {
                Ok(_) => return Ok((cart, out)),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "cart", id: id.to_string() })
    }

    /// Checks that `sku` exists, is active and has a price in `currency`.
    async fn check_buyable(&self, sku: &Sku, currency: Currency) -> Result<()> {
        let product = self
            .store
            .product_by_sku(sku)
            .await?
            .ok_or(Error::Unavailable { sku: sku.clone(), reason: "unknown SKU" })?;
        let variant =
            product.variant(sku).ok_or(Error::Unavailable { sku: sku.clone(), reason: "unknown SKU" })?;
        if !product.active || !variant.active {
            return Err(Error::Unavailable { sku: sku.clone(), reason: "not for sale" });
        }
        let rules = self.store.pricing_rules().await?;
        if !self.has_price(&rules, variant, currency) {
            return Err(Error::Unavailable { sku: sku.clone(), reason: "no price in the cart's currency" });
        }
        Ok(())
    }

    /// Adds `quantity` of `sku` (merging with an existing line).
    pub async fn add_to_cart(&self, cart_id: CartId, sku: &Sku, quantity: Quantity) -> Result<Cart> {
        let currency = self.cart(cart_id).await?.currency();
        self.check_buyable(sku, currency).await?;
        Ok(self.update_cart(cart_id, |c| Ok(c.add(sku.clone(), quantity)?)).await?.0)
    }

    /// Sets a line's quantity; 0 removes it.
    pub async fn set_cart_quantity(&self, cart_id: CartId, sku: &Sku, quantity: u32) -> Result<Cart> {
        Ok(self.update_cart(cart_id, |c| Ok(c.set_quantity(sku, quantity)?)).await?.0)
    }

    /// Removes a line.
    pub async fn remove_from_cart(&self, cart_id: CartId, sku: &Sku) -> Result<Cart> {
        Ok(self.update_cart(cart_id, |c| Ok(c.remove(sku)?)).await?.0)
    }

    /// Enters a coupon code. Whether it applies is explained by pricing.
    pub async fn apply_coupon(&self, cart_id: CartId, code: CouponCode) -> Result<Cart> {
        Ok(self
            .update_cart(cart_id, |c| {
                c.apply_coupon(code.clone());
                Ok(())
            })
            .await?
            .0)
    }

    /// Removes a coupon code.
    pub async fn remove_coupon(&self, cart_id: CartId, code: &CouponCode) -> Result<Cart> {
        Ok(self
            .update_cart(cart_id, |c| {
                c.remove_coupon(code);
                Ok(())
            })
            .await?
            .0)
    }

    /// At login: merges the guest cart into the customer's cart (or hands the guest cart to the
    /// customer if they have none) and deletes the guest cart. Returns the customer's cart and
    /// the lines that had to be clamped or dropped.
    pub async fn merge_guest_cart(
        &self,
        guest: CartId,
        customer: CustomerId,
    ) -> Result<(Cart, Vec<MergeAdjustment>)> {
        let guest_cart = self.cart(guest).await?;
        match self.store.cart_of_customer(customer).await? {
            Some((mine, _)) if mine.id() != guest => {
                let (cart, report) = self.update_cart(mine.id(), |c| Ok(c.merge_from(&guest_cart)?)).await?;
                self.store.delete_cart(guest).await?;
                Ok((cart, report))
            }
            _ => {
                let (cart, ()) = self
                    .update_cart(guest, |c| {
                        c.set_customer(Some(customer));
                        Ok(())
                    })
                    .await?;
                Ok((cart, Vec::new()))
            }
        }
    }
}
