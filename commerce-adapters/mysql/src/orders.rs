//! Orders: `place_order` (one transaction, retried on deadlock), updates and queries.
//!
//! `place_order` writes in this order, so that the rows other transactions contend for are locked
//! as late as possible and always in the same order:
//! 1. the idempotency key (a concurrent placement with the same key waits on the unique index,
//!    then gets a duplicate-key error: we roll back and answer from the stored key);
//! 2. the checkout, at its expected version;
//! 3. the reservation (`active` and unexpired -> `committed` in one conditional update);
//! 4. the order, its lines, the payment, the events, the deleted cart (new or private rows);
//! 5. the stock rows, in canonical SKU order, in one conditional update;
//! 6. coupon counters within their limits, and `StockLow` events.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{EventId, OrderId, Sku};
use commerce_core::inventory::StockLine;
use commerce_core::order::Order;
use commerce_core::ports::storage::{
    CouponRedemption, OrderQuery, OrderStore, Page, PlaceOrder, PlaceOrderOutcome, StoreError, StoreResult,
};
use sqlx::{AssertSqlSafe, MySqlConnection};

use crate::MySqlStore;
use crate::carts::CheckoutRecord;
use crate::codec::{bound, key_hash, parse_count, parse_id, ts};
use crate::error::{Fail, TxResult, db, is_unique};
use crate::inventory::parse_lines;
use crate::order_rows::{EncodedOrder, ORDER_COLUMNS, OrderRow, load_order_where, load_orders};
use crate::outbox::{EncodedEvent, insert_events};
use crate::payments::EncodedPayment;
use crate::stock::{self, Sale};
use crate::tx::{Batch, finish_read, store_result};

/// The ids of the `StockLow` events of an order: derived from the order id, so they are the same
/// in every backend and a retried placement never writes two.
fn low_stock_event_ids(order: OrderId, n: usize) -> Vec<EventId> {
    (0..n)
        .map(|i| {
            EventId::from_uuid(uuid::Uuid::new_v5(&order.as_uuid(), format!("stock_low:{i}").as_bytes()))
        })
        .collect()
}

/// `StockLow` events for the SKUs of `lines` (in request order) found in `low`.
fn low_stock_events(
    order: OrderId,
    lines: &[StockLine],
    low: &[(Sku, i64, i64)],
    now: DateTime<Utc>,
) -> Vec<Event> {
    let ids = low_stock_event_ids(order, lines.len());
    lines
        .iter()
        .filter_map(|l| low.iter().find(|(sku, _, _)| *sku == l.sku))
        .zip(ids)
        .map(|((sku, available, threshold), id)| Event {
            id,
            occurred_at: now,
            kind: EventKind::StockLow { sku: sku.clone(), available: *available, threshold: *threshold },
        })
        .collect()
}

/// Counts one use of each coupon, within its limits; `CouponExhausted` otherwise. The counter
/// row is created first, so the conditional increment always has a row to lock and match.
async fn redeem_coupons(
    conn: &mut MySqlConnection,
    coupons: &[CouponRedemption],
    customer: Option<&str>,
) -> TxResult<()> {
    let mut coupons: Vec<&CouponRedemption> = coupons.iter().collect();
    coupons.sort_by(|a, b| a.code.cmp(&b.code));
    for c in coupons {
        let exhausted = || Fail::Store(StoreError::CouponExhausted(c.code.clone()));
        let limit = c.total_limit.map(i64::from);
        sqlx::query(
            "INSERT INTO coupon_usage (code, uses) VALUES (?, 0) ON DUPLICATE KEY UPDATE code = code",
        )
        .bind(c.code.as_str())
        .execute(&mut *conn)
        .await?;
        let n =
            sqlx::query("UPDATE coupon_usage SET uses = uses + 1 WHERE code = ? AND (? IS NULL OR uses < ?)")
                .bind(c.code.as_str())
                .bind(limit)
                .bind(limit)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(exhausted());
        }
        if let Some(customer) = customer {
            let limit = c.per_customer_limit.map(i64::from);
            sqlx::query(
                "INSERT INTO coupon_customer_usage (code, customer_id, uses) VALUES (?, ?, 0) \
                 ON DUPLICATE KEY UPDATE code = code",
            )
            .bind(c.code.as_str())
            .bind(customer)
            .execute(&mut *conn)
            .await?;
            let n = sqlx::query(
                "UPDATE coupon_customer_usage SET uses = uses + 1 \
                 WHERE code = ? AND customer_id = ? AND (? IS NULL OR uses < ?)",
            )
            .bind(c.code.as_str())
            .bind(customer)
            .bind(limit)
            .bind(limit)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(exhausted());
            }
        }
    }
    Ok(())
}

/// Everything `place_order` writes, encoded before the transaction starts.
struct Encoded {
    order: EncodedOrder,
    checkout: CheckoutRecord,
    payment: EncodedPayment,
    events: Vec<EncodedEvent>,
    reservation_id: String,
    customer: Option<String>,
    cart_id: String,
    now: String,
}

impl Encoded {
    fn new(req: &PlaceOrder) -> StoreResult<Self> {
        stock::check_lines(&req.lines)?;
        Ok(Encoded {
            order: EncodedOrder::encode(&req.order)?,
            checkout: CheckoutRecord::encode(&req.checkout, Some(req.checkout_version))?,
            payment: EncodedPayment::encode(&req.payment)?,
            events: EncodedEvent::encode_all(&req.events)?,
            reservation_id: req.reservation_id.to_string(),
            customer: req.order.customer_id.map(|c| c.to_string()),
            cart_id: req.cart_id.to_string(),
            now: ts(req.now)?,
        })
    }
}

/// Commits the reservation and says how the sale takes its units (see [`Sale`]).
async fn claim_reservation(conn: &mut MySqlConnection, e: &Encoded) -> TxResult<Option<Vec<StockLine>>> {
    // The common case in one statement: active and unexpired -> committed.
    let n = sqlx::query(
        "UPDATE reservations SET status = 'committed', active_checkout = NULL \
         WHERE id = ? AND status = 'active' AND expires_at > ?",
    )
    .bind(&e.reservation_id)
    .bind(&e.now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(None);
    }
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT status, stock_lines FROM reservations WHERE id = ? FOR UPDATE")
            .bind(&e.reservation_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((status, lines)) = found else { return Ok(Some(Vec::new())) };
    // Active but lapsed: its units are still held and are given back with the sale.
    let held = if status == "active" { parse_lines(&lines)? } else { Vec::new() };
    sqlx::query("UPDATE reservations SET status = 'committed', active_checkout = NULL WHERE id = ?")
        .bind(&e.reservation_id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(held))
}

/// One attempt at `place_order`, in the caller's transaction.
async fn place(conn: &mut MySqlConnection, req: &PlaceOrder, e: &Encoded, batch: Batch) -> TxResult<()> {
    if let Err(err) = sqlx::query(
        "INSERT INTO order_keys (key_hash, idempotency_key, fingerprint, order_id) VALUES (?, ?, ?, ?)",
    )
    .bind(key_hash(&req.idempotency_key))
    .bind(&req.idempotency_key)
    .bind(&req.fingerprint)
    .bind(&e.order.id)
    .execute(&mut *conn)
    .await
    {
        // A key in use by this order id cannot happen (ids are fresh); any duplicate is the key.
        return Err(if is_unique(&err) { Fail::KeyTaken } else { err.into() });
    }
    e.checkout.save(conn).await?;
    let held = claim_reservation(conn, e).await?;
    e.order.insert(conn, 1).await?;
    e.payment.insert(conn, 1).await?;
    insert_events(conn, &e.events).await?;
    sqlx::query("DELETE FROM carts WHERE id = ?").bind(&e.cart_id).execute(&mut *conn).await?;
    let how = match &held {
        None => Sale::Reserved,
        Some(held) if held.is_empty() => Sale::Unreserved,
        Some(held) => Sale::Lapsed(held),
    };
    stock::apply(conn, &stock::sale(&req.lines, how), batch).await?;
    redeem_coupons(conn, &req.coupons, e.customer.as_deref()).await?;
    let skus: Vec<&Sku> = req.lines.iter().map(|l| &l.sku).collect();
    let low = stock::low_levels(conn, &skus).await?;
    if !low.is_empty() {
        let events = low_stock_events(req.order.id, &req.lines, &low, req.now);
        insert_events(conn, &EncodedEvent::encode_all(&events)?).await?;
    }
    Ok(())
}

/// The stored answer for an idempotency key, if the key is used.
async fn replay(store: &MySqlStore, key: &str, fingerprint: &str) -> StoreResult<Option<Order>> {
    match store.order_by_idempotency_key(key).await? {
        None => Ok(None),
        Some((stored, _)) if stored != fingerprint => {
            Err(StoreError::IdempotencyConflict { key: key.to_owned() })
        }
        Some((_, order)) => Ok(Some(order)),
    }
}

#[async_trait]
impl OrderStore for MySqlStore {
    async fn place_order(&self, req: PlaceOrder) -> StoreResult<PlaceOrderOutcome> {
        let e = Encoded::new(&req)?;
        // No read of the key first: the engine just did that, and the insert in the transaction
        // finds a used key anyway (then the stored answer is read below).
        match transaction!(self, |tx, batch| place(tx, &req, &e, batch).await) {
            Ok(()) => {
                let mut order = req.order;
                order.version = 1;
                Ok(PlaceOrderOutcome::Placed(order))
            }
            // The key was used before, or a concurrent placement with it committed first.
            Err(Fail::KeyTaken) => match replay(self, &req.idempotency_key, &req.fingerprint).await? {
                Some(order) => Ok(PlaceOrderOutcome::AlreadyPlaced(order)),
                None => Err(StoreError::Backend(format!(
                    "idempotency key {:?} was taken but its order cannot be read",
                    req.idempotency_key
                ))),
            },
            Err(other) => store_result(Err(other)),
        }
    }

    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(String, Order)>> {
        // A locking read: if a placement with this key is in flight (its key row inserted, not
        // yet committed), wait for it and answer with its order rather than "unused".
        let found: Option<(String, String)> = sqlx::query_as(
            "SELECT fingerprint, order_id FROM order_keys WHERE key_hash = ? AND idempotency_key = ? \
             LOCK IN SHARE MODE",
        )
        .bind(key_hash(key))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some((fingerprint, order_id)) = found else { return Ok(None) };
        let mut tx = self.snapshot().await?;
        let order = load_order_where(&mut tx, "id", &order_id).await?;
        finish_read(tx).await?;
        Ok(order.map(|o| (fingerprint, o)))
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        let mut tx = self.snapshot().await?;
        let order = load_order_where(&mut tx, "id", &id.to_string()).await?;
        finish_read(tx).await?;
        Ok(order)
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>> {
        let mut tx = self.snapshot().await?;
        let order = load_order_where(&mut tx, "number", number).await?;
        finish_read(tx).await?;
        Ok(order)
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        const FILTER: &str = "(? IS NULL OR customer_id = ?) AND (? IS NULL OR status = ?)";
        let customer = q.customer.map(|c| c.to_string());
        let status = q.status.map(|s| s.as_str());
        let mut tx = self.snapshot().await?;
        let total: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM orders WHERE {FILTER}")))
                .bind(&customer)
                .bind(&customer)
                .bind(status)
                .bind(status)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let rows: Vec<OrderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE {FILTER} ORDER BY placed_at DESC, id DESC LIMIT ? OFFSET ?"
        )))
        .bind(&customer)
        .bind(&customer)
        .bind(status)
        .bind(status)
        .bind(bound(q.limit))
        .bind(bound(q.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let items = load_orders(&mut tx, rows).await?;
        finish_read(tx).await?;
        Ok(Page { items, total: parse_count(total) })
    }

    async fn update_order(
        &self,
        order: &Order,
        expected_version: u64,
        restock_lines: &[StockLine],
        events: &[Event],
    ) -> StoreResult<u64> {
        let encoded = EncodedOrder::encode(order)?;
        let events = EncodedEvent::encode_all(events)?;
        stock::check_lines(restock_lines)?;
        let restock = stock::restock(restock_lines);
        write!(self, |tx, batch| {
            let v = encoded.update(tx, expected_version).await?;
            insert_events(tx, &events).await?;
            stock::apply(tx, &restock, batch).await?;
            Ok(v)
        })
    }

    async fn stale_pending_orders(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status = 'pending_payment' AND placed_at < ? \
             ORDER BY placed_at, id LIMIT ?",
        )
        .bind(ts(before)?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_stock_events_follow_the_request_order_with_derived_ids() {
        let order = OrderId::from_uuid(uuid::Uuid::from_u128(7));
        let sku = |s: &str| Sku::parse(s).unwrap();
        let lines = vec![
            StockLine { sku: sku("A"), quantity: 1 },
            StockLine { sku: sku("B"), quantity: 1 },
            StockLine { sku: sku("C"), quantity: 1 },
        ];
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let low = vec![(sku("C"), 0, 1), (sku("A"), 2, 2)];
        let events = low_stock_events(order, &lines, &low, now);
        let ids = low_stock_event_ids(order, 3);
        let got: Vec<(EventId, String)> = events
            .iter()
            .map(|e| match &e.kind {
                EventKind::StockLow { sku, .. } => (e.id, sku.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, vec![(ids[0], "A".to_owned()), (ids[1], "C".to_owned())]);
        // the same derivation as the other backends
        assert_eq!(ids[0], EventId::from_uuid(uuid::Uuid::new_v5(&order.as_uuid(), b"stock_low:0")));
    }
}
