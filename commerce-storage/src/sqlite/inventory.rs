//! Stock levels and reservations, and the stock statements `place_order`, `update_order` and
//! `save_payment` share.
//!
//! Every change to a stock row is one conditional `UPDATE` whose rows-affected (or `RETURNING`
//! row) says whether it applied; lines are always processed in canonical SKU order.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{EventId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, StockLevel, StockLine, canonical_lines};
use commerce_core::ports::storage::{InventoryStore, StoreError, StoreResult};
use sqlx::{FromRow, SqliteConnection};

use super::codec::{bound, parse_enum, parse_id, parse_ts, ts};
use super::error::db;
use super::outbox::EncodedEvent;
use super::{SqliteStore, commit};

/// Available units and low-stock threshold of a SKU after a change.
pub(crate) type Levels = BTreeMap<Sku, (i64, Option<i64>)>;

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

#[derive(FromRow)]
struct LineRow {
    sku: String,
    quantity: i64,
}

const STOCK_COLUMNS: &str = "sku, on_hand, reserved, backorder, low_threshold";

fn check_qty(q: i64) -> StoreResult<()> {
    if q <= 0 { Err(StoreError::Data(format!("invalid stock quantity {q}"))) } else { Ok(()) }
}

/// The error for a conditional stock update that matched no row: the SKU is unknown, or short.
async fn shortage(conn: &mut SqliteConnection, sku: &Sku, requested: i64) -> StoreError {
    let available: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT on_hand - reserved FROM stock WHERE sku = ?")
            .bind(sku.as_str())
            .fetch_optional(&mut *conn)
            .await;
    match available {
        Ok(Some(available)) => StoreError::OutOfStock { sku: sku.clone(), requested, available },
        Ok(None) => StoreError::UnknownSku(sku.clone()),
        Err(e) => db(e),
    }
}

/// Holds `q` units of `sku` unless that takes available stock below zero without backorder.
pub(crate) async fn reserve_units(conn: &mut SqliteConnection, sku: &Sku, q: i64) -> StoreResult<()> {
    check_qty(q)?;
    let n = sqlx::query(
        "UPDATE stock SET reserved = reserved + ?1 \
         WHERE sku = ?2 AND (backorder = 1 OR on_hand - reserved >= ?1)",
    )
    .bind(q)
    .bind(sku.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 { Err(shortage(conn, sku, q).await) } else { Ok(()) }
}

/// Converts `q` reserved units into a sale; records the level in `levels`.
pub(crate) async fn commit_reserved(
    conn: &mut SqliteConnection,
    sku: &Sku,
    q: i64,
    levels: &mut Levels,
) -> StoreResult<()> {
    check_qty(q)?;
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "UPDATE stock SET on_hand = on_hand - ?1, reserved = MAX(reserved - ?1, 0) WHERE sku = ?2 \
         RETURNING on_hand - reserved, low_threshold",
    )
    .bind(q)
    .bind(sku.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let level = row.ok_or_else(|| StoreError::UnknownSku(sku.clone()))?;
    levels.insert(sku.clone(), level);
    Ok(())
}

/// Sells `q` units that were not reserved, re-checking availability; records the level.
pub(crate) async fn commit_unreserved(
    conn: &mut SqliteConnection,
    sku: &Sku,
    q: i64,
    levels: &mut Levels,
) -> StoreResult<()> {
    check_qty(q)?;
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "UPDATE stock SET on_hand = on_hand - ?1 \
         WHERE sku = ?2 AND (backorder = 1 OR on_hand - reserved >= ?1) \
         RETURNING on_hand - reserved, low_threshold",
    )
    .bind(q)
    .bind(sku.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match row {
        Some(level) => {
            levels.insert(sku.clone(), level);
            Ok(())
        }
        None => Err(shortage(conn, sku, q).await),
    }
}

/// Puts sold units back on hand (a cancelled order), in canonical order.
pub(crate) async fn restock(conn: &mut SqliteConnection, lines: &[StockLine]) -> StoreResult<()> {
    for l in canonical_lines(lines.iter().cloned()) {
        check_qty(l.quantity)?;
        let n = sqlx::query("UPDATE stock SET on_hand = on_hand + ? WHERE sku = ?")
            .bind(l.quantity)
            .bind(l.sku.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::UnknownSku(l.sku));
        }
    }
    Ok(())
}

/// Releases an active reservation: gives its units back (SKUs without a stock record are
/// skipped) and marks it released. Records the new levels in `levels`. `false` if it was not
/// active (or does not exist).
pub(crate) async fn release(conn: &mut SqliteConnection, id: &str, levels: &mut Levels) -> StoreResult<bool> {
    let n = sqlx::query("UPDATE reservations SET status = 'released' WHERE id = ? AND status = 'active'")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    let lines: Vec<LineRow> =
        sqlx::query_as("SELECT sku, quantity FROM reservation_lines WHERE reservation_id = ? ORDER BY sku")
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    for l in lines {
        check_qty(l.quantity)?;
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "UPDATE stock SET reserved = MAX(reserved - ?, 0) WHERE sku = ? \
             RETURNING on_hand - reserved, low_threshold",
        )
        .bind(l.quantity)
        .bind(&l.sku)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if let Some(level) = row {
            levels.insert(parse_id(&l.sku)?, level);
        }
    }
    Ok(true)
}

async fn get_level(conn: &mut SqliteConnection, sku: &Sku) -> StoreResult<Option<StockLevel>> {
    let row: Option<StockRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {STOCK_COLUMNS} FROM stock WHERE sku = ?")))
            .bind(sku.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    row.map(StockRow::into_domain).transpose()
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn set_stock(
        &self,
        sku: &Sku,
        on_hand: i64,
        backorder: bool,
        low_stock_threshold: Option<i64>,
    ) -> StoreResult<StockLevel> {
        let mut tx = self.write().await?;
        let row: StockRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO stock (sku, on_hand, reserved, backorder, low_threshold) VALUES (?, ?, 0, ?, ?) \
             ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, backorder = excluded.backorder, \
             low_threshold = excluded.low_threshold RETURNING {STOCK_COLUMNS}"
        )))
        .bind(sku.as_str())
        .bind(on_hand)
        .bind(backorder)
        .bind(low_stock_threshold)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await?;
        row.into_domain()
    }

    async fn adjust_stock(&self, sku: &Sku, delta: i64) -> StoreResult<StockLevel> {
        let mut tx = self.write().await?;
        let mut level = get_level(&mut tx, sku).await?.ok_or_else(|| StoreError::UnknownSku(sku.clone()))?;
        level.on_hand = level
            .on_hand
            .checked_add(delta)
            .ok_or_else(|| StoreError::Data(format!("stock of {sku} overflows")))?;
        sqlx::query("UPDATE stock SET on_hand = ? WHERE sku = ?")
            .bind(level.on_hand)
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit(tx).await?;
        Ok(level)
    }

    async fn get_stock(&self, sku: &Sku) -> StoreResult<Option<StockLevel>> {
        let mut conn = self.reader().acquire().await.map_err(db)?;
        get_level(&mut conn, sku).await
    }

    async fn reserve(&self, reservation: &Reservation) -> StoreResult<()> {
        let id = reservation.id.to_string();
        let checkout_id = reservation.checkout_id.to_string();
        let expires_at = ts(reservation.expires_at)?;
        let mut tx = self.write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reservations WHERE id = ?")
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if exists.is_some() {
            return Err(StoreError::Conflict { entity: "reservation", id });
        }
        // A re-lock never holds stock twice: release the checkout's active reservations first.
        let previous: Vec<String> =
            sqlx::query_scalar("SELECT id FROM reservations WHERE checkout_id = ? AND status = 'active'")
                .bind(&checkout_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        let mut levels = Levels::new();
        for p in &previous {
            release(&mut tx, p, &mut levels).await?;
        }
        for l in canonical_lines(reservation.lines.iter().cloned()) {
            reserve_units(&mut tx, &l.sku, l.quantity).await?;
        }
        sqlx::query(
            "INSERT INTO reservations (id, checkout_id, expires_at, status) VALUES (?, ?, ?, 'active')",
        )
        .bind(&id)
        .bind(&checkout_id)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        for (position, l) in reservation.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO reservation_lines (reservation_id, position, sku, quantity) VALUES (?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(bound(position as u64))
            .bind(l.sku.as_str())
            .bind(l.quantity)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        commit(tx).await
    }

    async fn get_reservation(&self, id: ReservationId) -> StoreResult<Option<Reservation>> {
        let mut tx = self.read().await?;
        let row: Option<ReservationRow> =
            sqlx::query_as("SELECT id, checkout_id, expires_at, status FROM reservations WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let lines: Vec<LineRow> = sqlx::query_as(
            "SELECT sku, quantity FROM reservation_lines WHERE reservation_id = ? ORDER BY position",
        )
        .bind(&row.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        Ok(Some(Reservation {
            id: parse_id(&row.id)?,
            checkout_id: parse_id(&row.checkout_id)?,
            lines: lines
                .into_iter()
                .map(|l| Ok(StockLine { sku: parse_id(&l.sku)?, quantity: l.quantity }))
                .collect::<StoreResult<_>>()?,
            expires_at: parse_ts(&row.expires_at)?,
            status: parse_enum(&row.status, "reservation status")?,
        }))
    }

    async fn release_reservation(&self, id: ReservationId) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let released = release(&mut tx, &id.to_string(), &mut Levels::new()).await?;
        commit(tx).await?;
        Ok(released)
    }

    async fn release_expired_reservations(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>> {
        let now_text = ts(now)?;
        let mut tx = self.write().await?;
        let expired: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, checkout_id FROM reservations WHERE status = 'active' AND expires_at <= ? \
             ORDER BY expires_at, id LIMIT ?",
        )
        .bind(&now_text)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(expired.len());
        for (id, checkout_id) in expired {
            release(&mut tx, &id, &mut Levels::new()).await?;
            let reservation: ReservationId = parse_id(&id)?;
            let event = Event {
                id: EventId::from_uuid(uuid::Uuid::new_v5(&reservation.as_uuid(), b"reservation_expired")),
                occurred_at: now,
                kind: EventKind::ReservationExpired { checkout_id: parse_id(&checkout_id)? },
            };
            EncodedEvent::encode(&event)?.insert(&mut tx).await?;
            out.push(reservation);
        }
        commit(tx).await?;
        Ok(out)
    }
}
