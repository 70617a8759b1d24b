//! Order queries, fulfilment, cancellation and expiry sweeps.

use super::{Commerce, Error, Result};
use crate::ids::{OrderId, ReservationId};
use crate::inventory::StockLine;
use crate::order::{Order, OrderAction, OrderStatus};
use crate::payment::{GatewayStatus, PaymentStatus};
use crate::ports::storage::{OrderQuery, Page, Store, StoreError};

impl<S: Store + ?Sized> Commerce<S> {
    /// An order by id.
    pub async fn order(&self, id: OrderId) -> Result<Order> {
        self.store.get_order(id).await?.ok_or_else(|| Error::not_found("order", id))
    }

    /// An order by its number.
    pub async fn order_by_number(&self, number: &str) -> Result<Order> {
        self.store.order_by_number(number).await?.ok_or_else(|| Error::not_found("order", number))
    }

    /// Orders, newest first.
    pub async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        Ok(self.store.list_orders(query).await?)
    }

    /// Applies a fulfilment action (fulfil, ship, deliver, complete) with optimistic concurrency.
    pub async fn advance_order(&self, id: OrderId, action: OrderAction) -> Result<Order> {
        if let OrderAction::Cancel { reason } = &action {
            return self.cancel_order(id, reason).await;
        }
        for _ in 0..=self.config.max_retries {
            let mut order = self.order(id).await?;
            let version = order.version;
            let kinds = order.apply(action.clone(), self.clock.now())?;
            let events = self.events(kinds);
            match self.store.update_order(&order, version, &[], &events).await {
                Ok(v) => {
                    order.version = v;
                    return Ok(order);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention { entity: "order", id: id.to_string() })
    }

    /// Cancels an order: returns its stock, voids open payments and refunds captured money
    /// (idempotently: cancelling again changes nothing and refunds nothing twice).
    pub async fn cancel_order(&self, id: OrderId, reason: &str) -> Result<Order> {
        let mut cancelled = None;
        for _ in 0..=self.config.max_retries {
            let mut order = self.order(id).await?;
            if order.status == OrderStatus::Cancelled {
                cancelled = Some(order);
                break;
            }
            let version = order.version;
            let kinds = order.apply(OrderAction::Cancel { reason: reason.to_owned() }, self.clock.now())?;
            let restock: Vec<StockLine> = order
                .lines
                .iter()
                .map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity) })
                .collect();
            let events = self.events(kinds);
            match self.store.update_order(&order, version, &restock, &events).await {
                Ok(v) => {
                    order.version = v;
                    cancelled = Some(order);
                    break;
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let _cancelled =
            cancelled.ok_or_else(|| Error::Contention { entity: "order", id: id.to_string() })?;
        for p in self.store.payments_of_order(id).await? {
            if p.status.is_open() {
                self.void_payment(p.id).await?;
            } else if p.status.is_captured() && p.refundable()?.amount() > rust_decimal::Decimal::ZERO {
                let gateway = self.gateway(&p.provider)?;
                if gateway.capabilities().refund {
                    self.refund_payment(p.id, None, &format!("cancel-{id}"), Some(reason.to_owned())).await?;
                }
            }
        }
        self.order(id).await
    }

    /// Releases up to `limit` stock reservations whose time ran out. Hosts call this periodically
    /// (the outbox worker's loop is a good place).
    pub async fn release_expired_reservations(&self, limit: u32) -> Result<Vec<ReservationId>> {
        Ok(self.store.release_expired_reservations(self.clock.now(), limit).await?)
    }

    /// Cancels up to `limit` orders still unpaid after `payment_ttl`, returning their stock.
    /// Open payments are asked about once more first (a buyer may have paid at the last second);
    /// those still unpaid are marked expired, which cancels the order.
    pub async fn expire_unpaid_orders(&self, limit: u32) -> Result<Vec<OrderId>> {
        let cutoff = self.clock.now() - self.config.payment_ttl;
        let mut expired = Vec::new();
        for id in self.store.stale_pending_orders(cutoff, limit).await? {
            for p in self.store.payments_of_order(id).await? {
                if !p.status.is_open() {
                    continue;
                }
                if let (Some(reference), Ok(gateway)) = (p.reference.as_deref(), self.gateway(&p.provider))
                    && let Ok(answer) = gateway.fetch_status(p.id, reference).await
                {
                    let p = self
                        .apply_gateway_status(p.id, &answer.status, Some(&answer.reference), None)
                        .await?;
                    if !p.status.is_open() {
                        continue;
                    }
                }
                self.apply_gateway_status(p.id, &GatewayStatus::Expired, None, None).await?;
            }
            let order = self.order(id).await?;
            if order.status == OrderStatus::PendingPayment {
                let any_captured = self
                    .store
                    .payments_of_order(id)
                    .await?
                    .iter()
                    .any(|p| p.status.is_captured() || p.status == PaymentStatus::Authorized);
                if !any_captured {
                    self.cancel_order(id, "payment window expired").await?;
                }
            }
            if self.order(id).await?.status == OrderStatus::Cancelled {
                expired.push(id);
            }
        }
        Ok(expired)
    }
}
