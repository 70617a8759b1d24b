//! Orders: `place_order` (one `BEGIN IMMEDIATE` transaction), updates and queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{OrderId, Sku};
use commerce_core::inventory::{StockLine, canonical_lines};
use commerce_core::order::Order;
use commerce_core::ports::storage::{
    CouponRedemption, OrderQuery, OrderStore, Page, PlaceOrder, PlaceOrderOutcome, StoreError, StoreResult,
};
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::carts::CheckoutRecord;
use super::codec::{bound, parse_id, ts};
use super::error::{db, unique_or};
use super::inventory::{Levels, commit_reserved, commit_unreserved, release, restock};
use super::order_rows::{EncodedOrder, ORDER_COLUMNS, OrderRow, load_order_where, load_orders};
use super::outbox::{EncodedEvent, insert_events};
use super::payments::EncodedPayment;
use super::{SqliteStore, commit};

/// Counts one use of each coupon, within its limits (conditional upserts).
async fn redeem_coupons(
    conn: &mut SqliteConnection,
    coupons: &[CouponRedemption],
    customer: Option<&str>,
) -> StoreResult<()> {
    for c in coupons {
        let exhausted = || StoreError::CouponExhausted(c.code.clone());
        let total_limit = c.total_limit.map(i64::from);
        // `uses < limit` is checked on the existing row; a missing row is zero uses.
        let n = sqlx::query(
            "INSERT INTO coupon_usage (code, uses) SELECT ?1, 1 WHERE ?2 IS NULL OR ?2 > 0 \
             ON CONFLICT (code) DO UPDATE SET uses = uses + 1 WHERE ?2 IS NULL OR uses < ?2",
        )
        .bind(c.code.as_str())
        .bind(total_limit)
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 0 {
            return Err(exhausted());
        }
        if let Some(customer) = customer {
            let per_customer = c.per_customer_limit.map(i64::from);
            let n = sqlx::query(
                "INSERT INTO coupon_customer_usage (code, customer_id, uses) SELECT ?1, ?2, 1 \
                 WHERE ?3 IS NULL OR ?3 > 0 \
                 ON CONFLICT (code, customer_id) DO UPDATE SET uses = uses + 1 WHERE ?3 IS NULL OR uses < ?3",
            )
            .bind(c.code.as_str())
            .bind(customer)
            .bind(per_customer)
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
            if n == 0 {
                return Err(exhausted());
            }
        }
    }
    Ok(())
}

/// `StockLow` events for the SKUs of `lines` (in request order) whose level in `levels` is at
/// or below its threshold. Ids derive from the order id, as in the memory backend.
fn low_stock_events(order: OrderId, lines: &[StockLine], levels: &Levels, now: DateTime<Utc>) -> Vec<Event> {
    let low: Vec<(Sku, i64, i64)> = lines
        .iter()
        .filter_map(|l| levels.get(&l.sku).map(|level| (&l.sku, *level)))
        .filter_map(|(sku, (available, threshold))| {
            threshold.filter(|t| available <= *t).map(|t| (sku.clone(), available, t))
        })
        .collect();
    if low.is_empty() {
        return Vec::new();
    }
    let ids = crate::memory::low_stock_event_ids(order, lines.len());
    low.into_iter()
        .zip(ids)
        .map(|((sku, available, threshold), id)| Event {
            id,
            occurred_at: now,
            kind: EventKind::StockLow { sku, available, threshold },
        })
        .collect()
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
    lines: Vec<StockLine>,
    now: String,
}

impl Encoded {
    fn new(req: &PlaceOrder) -> StoreResult<Self> {
        Ok(Encoded {
            order: EncodedOrder::encode(&req.order)?,
            checkout: CheckoutRecord::encode(&req.checkout, Some(req.checkout_version))?,
            payment: EncodedPayment::encode(&req.payment)?,
            events: EncodedEvent::encode_all(&req.events)?,
            reservation_id: req.reservation_id.to_string(),
            customer: req.order.customer_id.map(|c| c.to_string()),
            cart_id: req.cart_id.to_string(),
            lines: canonical_lines(req.lines.iter().cloned()),
            now: ts(req.now)?,
        })
    }
}

/// Claims the idempotency key for this order. If the key was used before, returns the answer
/// to replay: the order it placed (same fingerprint) or `IdempotencyConflict`.
async fn claim_key(
    conn: &mut SqliteConnection,
    key: &str,
    fingerprint: &str,
    order_id: &str,
) -> StoreResult<Option<Order>> {
    let claimed = sqlx::query(
        "INSERT INTO order_keys (key, fingerprint, order_id) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(fingerprint)
    .bind(order_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| unique_or(e, "order", order_id))?
    .rows_affected();
    if claimed == 1 {
        return Ok(None);
    }
    let (stored, placed): (String, String) =
        sqlx::query_as("SELECT fingerprint, order_id FROM order_keys WHERE key = ?")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    if stored != fingerprint {
        return Err(StoreError::IdempotencyConflict { key: key.to_owned() });
    }
    load_order_where(conn, "id", &placed)
        .await?
        .map(Some)
        .ok_or_else(|| StoreError::Data(format!("idempotency key {key:?} names a missing order")))
}

/// Converts the reservation (or takes the units directly if it lapsed), in canonical order, and
/// marks the reservation committed.
async fn take_stock(
    conn: &mut SqliteConnection,
    e: &Encoded,
    now: &str,
    levels: &mut Levels,
) -> StoreResult<()> {
    // The usual case in one statement: the reservation is active and unexpired.
    let converted = sqlx::query(
        "UPDATE reservations SET status = 'committed' WHERE id = ? AND status = 'active' AND expires_at > ?",
    )
    .bind(&e.reservation_id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected()
        == 1;
    if converted {
        for l in &e.lines {
            commit_reserved(conn, &l.sku, l.quantity, levels).await?;
        }
        return Ok(());
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM reservations WHERE id = ?")
        .bind(&e.reservation_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    for l in &e.lines {
        commit_unreserved(conn, &l.sku, l.quantity, levels).await?;
    }
    if status.as_deref() == Some("active") {
        // Active but lapsed: its units are still held; give them back.
        release(conn, &e.reservation_id, levels).await?;
    }
    if status.is_some() {
        sqlx::query("UPDATE reservations SET status = 'committed' WHERE id = ?")
            .bind(&e.reservation_id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_order(&self, req: PlaceOrder) -> StoreResult<PlaceOrderOutcome> {
        let e = Encoded::new(&req)?;
        let mut tx = self.write().await?;
        if let Some(order) = claim_key(&mut tx, &req.idempotency_key, &req.fingerprint, &e.order.id).await? {
            return Ok(PlaceOrderOutcome::AlreadyPlaced(order));
        }
        e.checkout.save(&mut tx).await?;
        e.order.insert(&mut tx, 1).await?;
        let mut levels = Levels::new();
        take_stock(&mut tx, &e, &e.now, &mut levels).await?;
        redeem_coupons(&mut tx, &req.coupons, e.customer.as_deref()).await?;
        e.payment.insert(&mut tx, 1).await?;
        insert_events(&mut tx, &e.events).await?;
        let low = low_stock_events(req.order.id, &req.lines, &levels, req.now);
        if !low.is_empty() {
            insert_events(&mut tx, &EncodedEvent::encode_all(&low)?).await?;
        }
        sqlx::query("DELETE FROM carts WHERE id = ?").bind(&e.cart_id).execute(&mut *tx).await.map_err(db)?;
        commit(tx).await?;
        let mut order = req.order;
        order.version = 1;
        Ok(PlaceOrderOutcome::Placed(order))
    }

    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(String, Order)>> {
        let mut tx = self.read().await?;
        let found: Option<(String, String)> =
            sqlx::query_as("SELECT fingerprint, order_id FROM order_keys WHERE key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some((fingerprint, order_id)) = found else { return Ok(None) };
        Ok(load_order_where(&mut tx, "id", &order_id).await?.map(|o| (fingerprint, o)))
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        let mut tx = self.read().await?;
        load_order_where(&mut tx, "id", &id.to_string()).await
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>> {
        let mut tx = self.read().await?;
        load_order_where(&mut tx, "number", number).await
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        const FILTER: &str = "(?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR status = ?2)";
        let customer = q.customer.map(|c| c.to_string());
        let status = q.status.map(|s| s.as_str());
        let mut tx = self.read().await?;
        let total: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM orders WHERE {FILTER}")))
                .bind(&customer)
                .bind(status)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let rows: Vec<OrderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE {FILTER} ORDER BY placed_at DESC, id DESC LIMIT ?3 OFFSET ?4"
        )))
        .bind(&customer)
        .bind(status)
        .bind(bound(q.limit))
        .bind(bound(q.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let items = load_orders(&mut tx, rows).await?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
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
        let mut tx = self.write().await?;
        let v = encoded.update(&mut tx, expected_version).await?;
        restock(&mut tx, restock_lines).await?;
        insert_events(&mut tx, &events).await?;
        commit(tx).await?;
        Ok(v)
    }

    async fn stale_pending_orders(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status = 'pending_payment' AND placed_at < ? \
             ORDER BY placed_at, id LIMIT ?",
        )
        .bind(ts(before)?)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }
}
