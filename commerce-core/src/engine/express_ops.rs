//! One-call checkout for hosts whose API takes the whole checkout in one request
//! (`POST /orders` with addresses and a shipping method), and a customer's current cart.

use super::{Commerce, Error, Result};
use crate::cart::Cart;
use crate::customer::{Address, Email};
use crate::ids::{CartId, CustomerId, ShippingMethodId};
use crate::money::Currency;
use crate::order::Order;
use crate::ports::storage::Store;

/// What [`Commerce::checkout_cart`] needs.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Contact email.
    pub email: Email,
    /// Where to ship.
    pub shipping_address: Address,
    /// Billing address; defaults to the shipping address.
    pub billing_address: Option<Address>,
    /// Shipping method; defaults to the first method in the rules that serves the address.
    pub shipping_method: Option<ShippingMethodId>,
}

impl<S: Store + ?Sized> Commerce<S> {
    /// The customer's current cart, created empty in `currency` if they have none.
    pub async fn cart_for_customer(&self, customer: CustomerId, currency: Currency) -> Result<Cart> {
        match self.store.cart_of_customer(customer).await? {
            Some((cart, _)) => Ok(cart),
            None => self.create_cart(currency, Some(customer)).await,
        }
    }

    /// The shipping method used when a checkout names none: the first in the rules that serves
    /// `address`.
    pub async fn default_shipping_method(&self, address: &Address) -> Result<ShippingMethodId> {
        let rules = self.store.pricing_rules().await?;
        rules
            .shipping_methods
            .iter()
            .find(|m| self.check_shipping_method(&rules, &m.id, address).is_ok())
            .map(|m| m.id.clone())
            .ok_or(Error::Missing("a shipping method serving this address"))
    }

    /// Checks a cart out in one call: starts a checkout, sets the addresses, selects the
    /// shipping method, locks the quote (reserving stock) and places the order under
    /// `idempotency_key`.
    ///
    /// Idempotent by key: when an order was already placed under `idempotency_key` it is
    /// returned as it is (the cart is gone by then), also when two calls with the same key race.
    /// Hosts should namespace keys per customer (`"<customer id>:<key>"`) so one customer's key
    /// can never answer with another's order. When a step fails, the checkout is cancelled and
    /// its reservation released, so a failed attempt holds no stock.
    ///
    /// Calls racing with one key each hold a reservation until one places the order and the
    /// others answer with it. When stock is too short for all of them at once, a duplicate can
    /// fail with [`Error::OutOfStock`] while the first succeeds; retrying with the same key then
    /// returns the order.
    pub async fn checkout_cart(
        &self,
        cart_id: CartId,
        request: CheckoutRequest,
        idempotency_key: &str,
    ) -> Result<Order> {
        if idempotency_key.is_empty() || idempotency_key.len() > 255 {
            return Err(Error::Invalid("idempotency key must be 1 to 255 characters".into()));
        }
        if let Some((_, order)) = self.store.order_by_idempotency_key(idempotency_key).await? {
            return Ok(order);
        }
        let method = match request.shipping_method {
            Some(m) => m,
            None => self.default_shipping_method(&request.shipping_address).await?,
        };
        // A call racing another with the same key can find the cart already gone (the other
        // placed the order and deleted it) or lose at `place_order`: whenever a step fails, an
        // order under the key is the answer.
        let checkout = match self.start_checkout(cart_id).await {
            Ok(c) => c,
            Err(e) => return self.order_under_key_or(idempotency_key, e).await,
        };
        let placed = async {
            self.set_checkout_addresses(
                checkout.id,
                request.email,
                request.shipping_address,
                request.billing_address,
            )
            .await?;
            self.select_shipping(checkout.id, method).await?;
            self.lock_quote(checkout.id).await?;
            self.place_order(checkout.id, idempotency_key).await
        }
        .await;
        match placed {
            Ok(order) => Ok(order),
            Err(e) => {
                // Best effort: the reservation would lapse on its own at expiry anyway.
                let _ = self.cancel_checkout(checkout.id).await;
                self.order_under_key_or(idempotency_key, e).await
            }
        }
    }

    /// The order placed under `key`, if there is one; otherwise `error`.
    async fn order_under_key_or(&self, key: &str, error: Error) -> Result<Order> {
        match self.store.order_by_idempotency_key(key).await? {
            Some((_, order)) => Ok(order),
            None => Err(error),
        }
    }
}
