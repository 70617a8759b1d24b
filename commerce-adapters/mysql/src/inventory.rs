//! Stock levels and reservations.
//!
//! A reservation's writes are ordered so the stock rows, the contended ones, are locked last and
//! held only until the commit: first the checkout's previous reservations (locked and marked
//! released), then the new reservation's rows, then one conditional stock `UPDATE`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{EventId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, StockLevel, StockLine};
use commerce_core::ports::storage::{InventoryStore, StoreError, StoreResult};
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{bound, parse_enum, parse_id, parse_ts, placeholders, ts, value_rows};
use crate::error::{Fail, TxResult, db, unique_or};
use crate::outbox::{EncodedEvent, insert_events};
use crate::stock;
use crate::tx::{Batch, finish_read};

#[derive(FromRow)]
struct StockRow {
    sku: String,
    on_hand: i64,
    reserved: i64,
    backorder: bool,
    low_threshold: Option<i64>,
}

impl StockRow {
    fn into_domain(self) -> StoreResult<StockLevel> {
        Ok(StockLevel {
            sku: parse_id(&self.sku)?,
            on_hand: self.on_hand,
            reserved: self.reserved,
            backorder: self.backorder,
            low_stock_threshold: self.low_threshold,
        })
    }
}

#[derive(FromRow)]
struct ReservationRow {
    id: String,
    checkout_id: String,
    expires_at: String,
    status: String,
}

const STOCK_COLUMNS: &str = "sku, on_hand, reserved, backorder, low_threshold";

async fn get_level(conn: &mut MySqlConnection, sku: &Sku, lock: bool) -> TxResult<Option<StockLevel>> {
    let sql =
        format!("SELECT {STOCK_COLUMNS} FROM stock WHERE sku = ?{}", if lock { " FOR UPDATE" } else { "" });
    let row: Option<StockRow> =
        sqlx::query_as(AssertSqlSafe(sql)).bind(sku.as_str()).fetch_optional(&mut *conn).await?;
    Ok(row.map(StockRow::into_domain).transpose()?)
}

/// The lines of reservations `ids`, in one statement.
pub(crate) async fn lines_of(conn: &mut MySqlConnection, ids: &[String]) -> TxResult<Vec<StockLine>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT sku, quantity FROM reservation_lines WHERE reservation_id IN ({}) ORDER BY reservation_id, position",
        placeholders(ids.len())
    );
    let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(sku, quantity)| Ok(StockLine { sku: parse_id(&sku)?, quantity }))
        .collect::<StoreResult<_>>()
        .map_err(Fail::Store)
}

/// Marks active reservations `ids` released and gives their units back, in the caller's
/// transaction. Returns the ids that were still active (and so released now).
pub(crate) async fn release_all(
    conn: &mut MySqlConnection,
    ids: &[String],
    batch: Batch,
) -> TxResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Lock them first: of two concurrent releases, one sees them active, the other waits and
    // then sees them released, so stock is given back once.
    let sql = format!(
        "SELECT id FROM reservations WHERE id IN ({}) AND status = 'active' ORDER BY id FOR UPDATE",
        placeholders(ids.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    let active: Vec<String> = q.fetch_all(&mut *conn).await?;
    if active.is_empty() {
        return Ok(active);
    }
    let sql =
        format!("UPDATE reservations SET status = 'released' WHERE id IN ({})", placeholders(active.len()));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in &active {
        q = q.bind(id);
    }
    q.execute(&mut *conn).await?;
    let lines = lines_of(conn, &active).await?;
    stock::apply(conn, &stock::release(&lines), batch).await?;
    Ok(active)
}

/// Inserts a reservation and its lines as active.
async fn insert_reservation(conn: &mut MySqlConnection, r: &Reservation, expires_at: &str) -> TxResult<()> {
    let id = r.id.to_string();
    sqlx::query("INSERT INTO reservations (id, checkout_id, expires_at, status) VALUES (?, ?, ?, 'active')")
        .bind(&id)
        .bind(r.checkout_id.to_string())
        .bind(expires_at)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_or(e, "reservation", &id))?;
    if r.lines.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO reservation_lines (reservation_id, position, sku, quantity) VALUES {}",
        value_rows(r.lines.len(), 4)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (position, l) in r.lines.iter().enumerate() {
        q = q.bind(&id).bind(bound(position as u64)).bind(l.sku.as_str()).bind(l.quantity);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

#[async_trait]
impl InventoryStore for MySqlStore {
    async fn set_stock(
        &self,
        sku: &Sku,
        on_hand: i64,
        backorder: bool,
        low_stock_threshold: Option<i64>,
    ) -> StoreResult<StockLevel> {
        write!(self, |tx, _| {
            sqlx::query(
                "INSERT INTO stock (sku, on_hand, reserved, backorder, low_threshold) VALUES (?, ?, 0, ?, ?) \
                 ON DUPLICATE KEY UPDATE on_hand = VALUES(on_hand), backorder = VALUES(backorder), \
                 low_threshold = VALUES(low_threshold)",
            )
            .bind(sku.as_str())
            .bind(on_hand)
            .bind(backorder)
            .bind(low_stock_threshold)
            .execute(&mut *tx)
            .await?;
            get_level(tx, sku, false).await?.ok_or_else(|| Fail::Store(StoreError::UnknownSku(sku.clone())))
        })
    }

    async fn adjust_stock(&self, sku: &Sku, delta: i64) -> StoreResult<StockLevel> {
        write!(self, |tx, _| {
            let mut level = get_level(tx, sku, true)
                .await?
                .ok_or_else(|| Fail::Store(StoreError::UnknownSku(sku.clone())))?;
            level.on_hand = level
                .on_hand
                .checked_add(delta)
                .ok_or_else(|| Fail::Store(StoreError::Data(format!("stock of {sku} overflows"))))?;
            sqlx::query("UPDATE stock SET on_hand = ? WHERE sku = ?")
                .bind(level.on_hand)
                .bind(sku.as_str())
                .execute(&mut *tx)
                .await?;
            Ok(level)
        })
    }

    async fn get_stock(&self, sku: &Sku) -> StoreResult<Option<StockLevel>> {
        let row: Option<StockRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {STOCK_COLUMNS} FROM stock WHERE sku = ?")))
                .bind(sku.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(StockRow::into_domain).transpose()
    }

    async fn reserve(&self, reservation: &Reservation) -> StoreResult<()> {
        stock::check_lines(&reservation.lines)?;
        let checkout_id = reservation.checkout_id.to_string();
        let expires_at = ts(reservation.expires_at)?;
        write!(self, |tx, batch| {
            // The checkout's active reservations, locked: a re-lock never holds stock twice.
            let previous: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM reservations WHERE checkout_id = ? AND status = 'active' ORDER BY id FOR UPDATE",
            )
            .bind(&checkout_id)
            .fetch_all(&mut *tx)
            .await?;
            let old = if previous.is_empty() {
                Vec::new()
            } else {
                let sql = format!(
                    "UPDATE reservations SET status = 'released' WHERE id IN ({})",
                    placeholders(previous.len())
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for id in &previous {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await?;
                lines_of(tx, &previous).await?
            };
            insert_reservation(tx, reservation, &expires_at).await?;
            // Last, so the contended rows are held only until the commit.
            stock::apply(tx, &stock::relock(&old, &reservation.lines), batch).await
        })
    }

    async fn get_reservation(&self, id: ReservationId) -> StoreResult<Option<Reservation>> {
        let mut tx = self.snapshot().await?;
        let row: Option<ReservationRow> =
            sqlx::query_as("SELECT id, checkout_id, expires_at, status FROM reservations WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(row) = row else {
            finish_read(tx).await?;
            return Ok(None);
        };
        let lines: Vec<(String, i64)> = sqlx::query_as(
            "SELECT sku, quantity FROM reservation_lines WHERE reservation_id = ? ORDER BY position",
        )
        .bind(&row.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        finish_read(tx).await?;
        Ok(Some(Reservation {
            id: parse_id(&row.id)?,
            checkout_id: parse_id(&row.checkout_id)?,
            lines: lines
                .into_iter()
                .map(|(sku, quantity)| Ok(StockLine { sku: parse_id(&sku)?, quantity }))
                .collect::<StoreResult<_>>()?,
            expires_at: parse_ts(&row.expires_at)?,
            status: parse_enum(&row.status, "reservation status")?,
        }))
    }

    async fn release_reservation(&self, id: ReservationId) -> StoreResult<bool> {
        let ids = [id.to_string()];
        write!(self, |tx, batch| Ok(!release_all(tx, &ids, batch).await?.is_empty()))
    }

    async fn release_expired_reservations(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>> {
        let now_text = ts(now)?;
        write!(self, |tx, batch| {
            // Skip reservations another sweep (or a placement) holds right now.
            let expired: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, checkout_id FROM reservations WHERE status = 'active' AND expires_at <= ? \
                 ORDER BY expires_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
            )
            .bind(&now_text)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            let ids: Vec<String> = expired.iter().map(|(id, _)| id.clone()).collect();
            let released = release_all(tx, &ids, batch).await?;
            let mut events = Vec::with_capacity(released.len());
            let mut out = Vec::with_capacity(released.len());
            for (id, checkout_id) in expired.iter().filter(|(id, _)| released.contains(id)) {
                let reservation: ReservationId = parse_id(id)?;
                let event = Event {
                    id: EventId::from_uuid(uuid::Uuid::new_v5(
                        &reservation.as_uuid(),
                        b"reservation_expired",
                    )),
                    occurred_at: now,
                    kind: EventKind::ReservationExpired { checkout_id: parse_id(checkout_id)? },
                };
                events.push(EncodedEvent::encode(&event)?);
                out.push(reservation);
            }
            insert_events(tx, &events).await?;
            Ok(out)
        })
    }
}
