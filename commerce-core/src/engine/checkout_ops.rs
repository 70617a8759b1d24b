//! Checkout steps and order placement.

use std::collections::BTreeMap;

use super::{Commerce, Error, PriceOptions, Result};
use crate::checkout::{Checkout, CheckoutAction, CheckoutEffects, CheckoutError, CheckoutState, Quote};
use crate::customer::{Address, Email};
use crate::events::EventKind;
use crate::ids::{CartId, CheckoutId, OrderId, PaymentId, ReservationId, ShippingMethodId};
use crate::inventory::{Reservation, ReservationStatus, StockLine, canonical_lines};
use crate::order::{Order, OrderLine, OrderStatus};
use crate::payment::Payment;
use crate::ports::storage::{PlaceOrder, PlaceOrderOutcome, Store, StoreError};

/// The provider name of a payment record written with an order before the buyer chose how to
/// pay. [`Commerce::start_payment`] assigns the real provider.
pub const UNASSIGNED_PROVIDER: &str = "unassigned";

impl<S: Store + ?Sized> Commerce<S> {
    /// Starts a checkout for a cart.
    pub async fn start_checkout(&self, cart_id: CartId) -> Result<Checkout> {
        let cart = self.cart(cart_id).await?;
        if cart.is_empty() {
            return Err(Error::EmptyCart);
        }
        let mut checkout = Checkout::new(
            CheckoutId::from_uuid(self.ids.uuid()),
            cart_id,
            cart.customer(),
            cart.currency(),
            self.clock.now(),
        );
        checkout.version = self.store.save_checkout(&checkout, None).await?;
        Ok(checkout)
    }

    /// A checkout by id.
    pub async fn checkout(&self, id: CheckoutId) -> Result<Checkout> {
        self.store.get_checkout(id).await?.ok_or_else(|| Error::not_found("checkout", id))
    }

    /// Applies a checkout action with optimistic concurrency and releases any reservation the
    /// move dropped.
    async fn step(&self, id: CheckoutId, mut action: impl FnMut() -> CheckoutAction) -> Result<Checkout> {
        for _ in 0..=self.config.max_retries {
            let mut c = self.checkout(id).await?;
            let version = c.version;
            let CheckoutEffects { release_reservation } = c.apply(action(), self.clock.now())?;
            match self.store.save_checkout(&c, Some(version)).await {
                Ok(v) => {
                    c.version = v;
                    if let Some(r) = release_reservation {
                        self.store.release_reservation(r).await?;
                    }
                    return Ok(c);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "checkout", id: id.to_string() })
    }

    /// Sets the contact email and addresses (billing defaults to shipping). Moves the checkout
    /// back to `addressed` from any later step, clearing the shipping method and quote.
    pub async fn set_checkout_addresses(
        &self,
        id: CheckoutId,
        email: Email,
        shipping: Address,
        billing: Option<Address>,
    ) -> Result<Checkout> {
        self.step(id, || CheckoutAction::SetAddresses {
            email: email.clone(),
            shipping: shipping.clone(),
            billing: billing.clone(),
        })
        .await
    }

    /// Chooses a shipping method (it must exist and serve the shipping address).
    pub async fn select_shipping(&self, id: CheckoutId, method: ShippingMethodId) -> Result<Checkout> {
        let c = self.checkout(id).await?;
        let address = c.shipping_address.as_ref().ok_or(Error::Missing("shipping address"))?;
        let rules = self.store.pricing_rules().await?;
        self.check_shipping_method(&rules, &method, address)?;
        self.step(id, || CheckoutAction::SelectShipping(method.clone())).await
    }

    /// Prices the cart for this checkout, reserves the stock for `reservation_ttl`, and locks the
    /// quote (`payment_pending`). Out-of-stock is an error and reserves nothing.
    pub async fn lock_quote(&self, id: CheckoutId) -> Result<Checkout> {
        for _ in 0..=self.config.max_retries {
            let c = self.checkout(id).await?;
            let (cart, _) =
                self.store.get_cart(c.cart_id).await?.ok_or_else(|| Error::not_found("cart", c.cart_id))?;
            if cart.is_empty() {
                return Err(Error::EmptyCart);
            }
            let address = c.shipping_address.clone().ok_or(Error::Missing("shipping address"))?;
            let options = PriceOptions {
                region: Some(address.tax_region()),
                shipping_method: c.shipping_method.clone(),
                customer: c.customer_id,
            };
            let priced = self.price(&cart, &options).await?;
            let now = self.clock.now();
            let expires_at = now + self.config.reservation_ttl;
            let reservation = Reservation {
                id: ReservationId::from_uuid(self.ids.uuid()),
                checkout_id: id,
                lines: canonical_lines(
                    cart.lines()
                        .iter()
                        .map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity.get()) }),
                ),
                expires_at,
                status: ReservationStatus::Active,
            };
            let mut next = c.clone();
            // Validate the move before reserving anything.
            next.apply(
                CheckoutAction::LockQuote(Quote {
                    priced: priced.clone(),
                    expires_at,
                    reservation_id: reservation.id,
                }),
                now,
            )?;
            self.store.reserve(&reservation).await?;
            match self.store.save_checkout(&next, Some(c.version)).await {
                Ok(v) => {
                    next.version = v;
                    return Ok(next);
                }
                Err(StoreError::Conflict { .. }) => {
                    self.store.release_reservation(reservation.id).await?;
                    continue;
                }
                Err(e) => {
                    self.store.release_reservation(reservation.id).await?;
                    return Err(e.into());
                }
            }
        }
        Err(Error::Contention { entity: "checkout", id: id.to_string() })
    }

    /// Cancels a checkout and releases its reservation.
    pub async fn cancel_checkout(&self, id: CheckoutId) -> Result<Checkout> {
        self.step(id, || CheckoutAction::Cancel).await
    }

    /// Places the order for a checkout in `payment_pending`, idempotently by `idempotency_key`.
    ///
    /// The same key again returns the same order (even after the checkout completed); the same
    /// key for another checkout is [`Error::IdempotencyConflict`]. If the quote expired, the
    /// checkout is re-quoted first: an unchanged total proceeds, a changed one is
    /// [`Error::QuoteChanged`]. If a coupon ran out meanwhile, the checkout is re-quoted without
    /// it and [`Error::CouponUnavailable`] is returned; placing again proceeds at the new price.
    /// Everything the order needs is written in one [`crate::ports::storage::OrderStore::place_order`].
    pub async fn place_order(&self, id: CheckoutId, idempotency_key: &str) -> Result<Order> {
        if idempotency_key.is_empty() || idempotency_key.len() > 255 {
            return Err(Error::Invalid("idempotency key must be 1 to 255 characters".into()));
        }
        let fingerprint = format!("checkout:{id}");
        if let Some((fp, order)) = self.store.order_by_idempotency_key(idempotency_key).await? {
            return if fp == fingerprint {
                Ok(order)
            } else {
                Err(Error::IdempotencyConflict { key: idempotency_key.to_owned() })
            };
        }
        for _ in 0..=self.config.max_retries {
            let mut c = self.checkout(id).await?;
            let now = self.clock.now();
            let quote = match (&c.quote, c.state) {
                (Some(q), CheckoutState::PaymentPending) if now < q.expires_at => q.clone(),
                (Some(q), CheckoutState::PaymentPending) => {
                    let old = q.priced.grand_total;
                    let relocked = self.lock_quote(id).await?;
                    let new = relocked.quote.as_ref().map_or(old, |q| q.priced.grand_total);
                    if new != old {
                        return Err(Error::QuoteChanged { old, new });
                    }
                    continue;
                }
                (_, state) => {
                    // A concurrent placement with the same key may have completed the checkout
                    // between the key lookup above and loading it: answer from the key.
                    if let Some((fp, order)) = self.store.order_by_idempotency_key(idempotency_key).await? {
                        return if fp == fingerprint {
                            Ok(order)
                        } else {
                            Err(Error::IdempotencyConflict { key: idempotency_key.to_owned() })
                        };
                    }
                    return Err(CheckoutError::InvalidTransition {
                        state: state.as_str(),
                        action: "place an order for",
                    }
                    .into());
                }
            };
            let version = c.version;
            let order_id = OrderId::from_uuid(self.ids.uuid());
            c.apply(CheckoutAction::Complete(order_id), now)?;
            let email = c.email.clone().ok_or(Error::Missing("email"))?;
            let shipping_address = c.shipping_address.clone().ok_or(Error::Missing("shipping address"))?;
            let billing_address = c.billing_address.clone().unwrap_or_else(|| shipping_address.clone());
            let names = self.line_names(&quote.priced).await?;
            let lines: Vec<OrderLine> = quote
                .priced
                .lines
                .iter()
                .map(|l| OrderLine {
                    sku: l.sku.clone(),
                    name: names.get(&l.sku).cloned().unwrap_or_default(),
                    quantity: l.quantity.get(),
                    fulfilled: 0,
                    unit_price: l.unit_price,
                    total: l.total,
                })
                .collect();
            let order = Order {
                id: order_id,
                number: self.order_number(),
                checkout_id: id,
                customer_id: c.customer_id,
                email: email.to_string(),
                status: OrderStatus::PendingPayment,
                lines,
                priced: quote.priced.clone(),
                shipping_address,
                billing_address,
                cancel_reason: None,
                version: 0,
                placed_at: now,
                updated_at: now,
            };
            let payment = Payment::new(
                PaymentId::from_uuid(self.ids.uuid()),
                order_id,
                UNASSIGNED_PROVIDER,
                order.total(),
                now,
            );
            let events = self.events(vec![EventKind::OrderPlaced {
                order_id,
                number: order.number.clone(),
                customer_id: order.customer_id,
                email: order.email.clone(),
                total: order.total(),
            }]);
            let stock = canonical_lines(
                order.lines.iter().map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity) }),
            );
            let coupons = self.redemptions(&quote.priced).await?;
            let request = PlaceOrder {
                order,
                checkout: c.clone(),
                checkout_version: version,
                reservation_id: quote.reservation_id,
                lines: stock,
                coupons,
                payment,
                events,
                cart_id: c.cart_id,
                idempotency_key: idempotency_key.to_owned(),
                fingerprint: fingerprint.clone(),
                now,
            };
            match self.store.place_order(request).await {
                Ok(PlaceOrderOutcome::Placed(o) | PlaceOrderOutcome::AlreadyPlaced(o)) => return Ok(o),
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::CouponExhausted(code)) => {
                    // Re-quote: pricing now sees the coupon's usage at its limit and explains it.
                    self.lock_quote(id).await?;
                    return Err(Error::CouponUnavailable(code));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "checkout", id: id.to_string() })
    }

    /// Product and variant names for the order lines.
    async fn line_names(
        &self,
        priced: &crate::pricing::PricedCart,
    ) -> Result<BTreeMap<crate::ids::Sku, String>> {
        let mut names = BTreeMap::new();
        for l in &priced.lines {
            if let Some(p) = self.store.product_by_sku(&l.sku).await? {
                let variant = p.variant(&l.sku).map(|v| v.name.clone()).unwrap_or_default();
                let name =
                    if variant.is_empty() { p.name.clone() } else { format!("{} ({variant})", p.name) };
                names.insert(l.sku.clone(), name);
            }
        }
        Ok(names)
    }
}
