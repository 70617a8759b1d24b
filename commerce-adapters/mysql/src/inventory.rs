//! Stock levels and reservations.
//!
//! `reserve` is, in the common case, **one round trip**: `CALL commerce_reserve(...)` (the
//! procedure of migration 0003) takes each SKU's units with one conditional stock `UPDATE` per
//! SKU in canonical order, inserts the reservation row and commits, all on the server: the
//! contended stock rows are never held while the client is waited for, and a sold-out attempt
//! writes nothing. If the checkout already holds an active reservation (a re-lock), the
//! procedure rolls back and the general path runs instead: insert (on a unique-index conflict,
//! lock, release and credit the checkout's active reservation in the same transaction), one
//! conditional stock `UPDATE` for all SKUs, `COMMIT`.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{EventId, ReservationId, Sku};
use commerce_core::inventory::{Reservation, StockLevel, StockLine};
use commerce_core::ports::storage::{InventoryStore, StoreError, StoreResult};
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{from_json, parse_enum, parse_id, parse_ts, placeholders, to_json, ts};
use crate::error::{Fail, TxResult, code, db, is_unique, number, unique_or};
use crate::outbox::{EncodedEvent, insert_events};
use crate::stock::{self, StockChange};
use crate::tx::{Batch, Retry, WriteTx, store_result};

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
    stock_lines: String,
}

impl ReservationRow {
    fn into_domain(self) -> StoreResult<Reservation> {
        Ok(Reservation {
            id: parse_id(&self.id)?,
            checkout_id: parse_id(&self.checkout_id)?,
            lines: from_json(&self.stock_lines, "reservation lines")?,
            expires_at: parse_ts(&self.expires_at)?,
            status: parse_enum(&self.status, "reservation status")?,
        })
    }
}

const STOCK_COLUMNS: &str = "sku, on_hand, reserved, backorder, low_threshold";

async fn get_level(conn: &mut MySqlConnection, sku: &Sku, lock: bool) -> TxResult<Option<StockLevel>> {
    let sql =
        format!("SELECT {STOCK_COLUMNS} FROM stock WHERE sku = ?{}", if lock { " FOR UPDATE" } else { "" });
    let row: Option<StockRow> =
        sqlx::query_as(AssertSqlSafe(sql)).bind(sku.as_str()).fetch_optional(&mut *conn).await?;
    Ok(row.map(StockRow::into_domain).transpose()?)
}

/// Reads a reservation's lines column.
pub(crate) fn parse_lines(text: &str) -> TxResult<Vec<StockLine>> {
    Ok(from_json(text, "reservation lines")?)
}

/// Marks `ids` released if they are still active and gives their units back, in the caller's
/// transaction. Returns the ids released now.
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
        "SELECT id, stock_lines FROM reservations WHERE id IN ({}) AND status = 'active' ORDER BY id FOR UPDATE",
        placeholders(ids.len())
    );
    let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    let active: Vec<(String, String)> = q.fetch_all(&mut *conn).await?;
    if active.is_empty() {
        return Ok(Vec::new());
    }
    mark_released(conn, active.iter().map(|(id, _)| id)).await?;
    let mut lines = Vec::new();
    for (_, text) in &active {
        lines.extend(parse_lines(text)?);
    }
    stock::apply(conn, &stock::release(&lines), batch).await?;
    Ok(active.into_iter().map(|(id, _)| id).collect())
}

/// Sets reservations `ids` released (no stock change).
async fn mark_released<'a>(
    conn: &mut MySqlConnection,
    ids: impl ExactSizeIterator<Item = &'a String>,
) -> TxResult<()> {
    let sql = format!(
        "UPDATE reservations SET status = 'released', active_checkout = NULL WHERE id IN ({})",
        placeholders(ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Whether an insert failed on the one-active-reservation-per-checkout index.
fn is_active_checkout_taken(e: &sqlx::Error) -> bool {
    is_unique(e) && e.as_database_error().is_some_and(|d| d.message().contains("active_checkout"))
}

/// Inserts `r` as active. `Ok(false)` if its checkout already holds an active reservation.
async fn insert_reservation(
    conn: &mut MySqlConnection,
    r: &Reservation,
    encoded: &EncodedReservation,
) -> TxResult<bool> {
    let (id, checkout_id, expires_at, lines) = encoded;
    let inserted = sqlx::query(
        "INSERT INTO reservations (id, checkout_id, active_checkout, expires_at, status, stock_lines) \
         VALUES (?, ?, ?, ?, 'active', ?)",
    )
    .bind(id)
    .bind(checkout_id)
    .bind(checkout_id)
    .bind(expires_at)
    .bind(lines)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_active_checkout_taken(&e) => Ok(false),
        Err(e) => Err(unique_or(e, "reservation", r.id)),
    }
}

/// A reservation's columns as bound: id, checkout id, expiry, lines (JSON).
type EncodedReservation = (String, String, String, String);

/// The answer row of `commerce_reserve` when it did not commit: (outcome, position, available).
type ReserveAnswer = (String, i64, Option<i64>);

impl MySqlStore {
    /// `reserve` in one round trip: `CALL commerce_reserve` (migration 0003) takes the units SKU
    /// by SKU in canonical order (`changes`, a first lock), inserts the reservation and commits
    /// on the server. `Ok(false)`: the checkout already holds an active reservation (or the id
    /// exists); nothing was written and the general path must run. Deadlocks and lock wait
    /// timeouts (the procedure rolls back and raises them unchanged) run the call again.
    async fn reserve_in_one_call(
        &self,
        encoded: &EncodedReservation,
        changes: &[StockChange],
    ) -> StoreResult<bool> {
        let units: Vec<(&str, i64)> = changes.iter().map(|c| (c.sku.as_str(), c.reserved)).collect();
        let units = to_json(&units)?;
        let mut retry = Retry::new(self.max_retries, &self.retries);
        loop {
            let attempt = match self.writer.acquire().await {
                Ok(conn) => {
                    let mut tx = WriteTx::new(conn);
                    let answer: Result<Vec<ReserveAnswer>, _> =
                        sqlx::query_as("CALL commerce_reserve(?, ?, ?, ?, ?)")
                            .bind(&encoded.0)
                            .bind(&encoded.1)
                            .bind(&encoded.2)
                            .bind(&encoded.3)
                            .bind(&units)
                            .fetch_all(&mut *tx)
                            .await;
                    match answer {
                        // The procedure committed or rolled back: no transaction is open.
                        Ok(answer) => {
                            tx.ended();
                            one_call_outcome(answer.into_iter().next(), changes)
                        }
                        Err(e) if number(&e) == Some(code::SP_DOES_NOT_EXIST) => {
                            // Nothing ran. From now on this store takes the general path.
                            tracing::warn!(
                                "mysql: procedure commerce_reserve is missing (restored without \
                                 routines?); reservations take the three-statement path"
                            );
                            self.one_call_reserve.store(false, Ordering::Relaxed);
                            tx.finish(Ok(false)).await
                        }
                        Err(e) => tx.finish(Err(e.into())).await,
                    }
                }
                Err(e) => Err(Fail::from(e)),
            };
            match retry.next(attempt).await {
                ControlFlow::Break(r) => return store_result(r),
                ControlFlow::Continue(()) => {}
            }
        }
    }
}

/// Reads `commerce_reserve`'s answer: no row is a commit (`true`); `taken` is a duplicate key or
/// a shortage while the checkout holds an active reservation (`false`: run the general path,
/// which credits it); `short` and `unknown` name the first SKU that failed.
fn one_call_outcome(answer: Option<ReserveAnswer>, changes: &[StockChange]) -> TxResult<bool> {
    let Some((outcome, position, available)) = answer else { return Ok(true) };
    let change = usize::try_from(position).ok().and_then(|i| changes.get(i));
    match (outcome.as_str(), change) {
        ("taken", _) => Ok(false),
        ("short", Some(c)) => Err(Fail::Store(StoreError::OutOfStock {
            sku: c.sku.clone(),
            requested: c.reserved,
            available: available.unwrap_or(0),
        })),
        ("unknown", Some(c)) => Err(Fail::Store(StoreError::UnknownSku(c.sku.clone()))),
        _ => Err(Fail::Store(StoreError::Backend(format!(
            "mysql: unexpected answer from commerce_reserve: {outcome} at {position}"
        )))),
    }
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
        let encoded = (
            reservation.id.to_string(),
            reservation.checkout_id.to_string(),
            ts(reservation.expires_at)?,
            to_json(&reservation.lines)?,
        );
        if self.one_call_reserve.load(Ordering::Relaxed)
            && self.reserve_in_one_call(&encoded, &stock::relock(&[], &reservation.lines)).await?
        {
            return Ok(());
        }
        // A re-lock (the checkout holds an active reservation), or no procedure: the general path.
        write!(self, |tx, batch| {
            // Usually the checkout holds no active reservation and this insert is all it takes.
            let mut old = Vec::new();
            if !insert_reservation(tx, reservation, &encoded).await? {
                // A re-lock: release the checkout's active reservation in this transaction, so
                // stock is never held twice.
                let previous: Vec<(String, String)> = sqlx::query_as(
                    "SELECT id, stock_lines FROM reservations WHERE active_checkout = ? FOR UPDATE",
                )
                .bind(&encoded.1)
                .fetch_all(&mut *tx)
                .await?;
                mark_released(tx, previous.iter().map(|(id, _)| id)).await?;
                for (_, text) in &previous {
                    old.extend(parse_lines(text)?);
                }
                if !insert_reservation(tx, reservation, &encoded).await? {
                    return Err(StoreError::Conflict {
                        entity: "checkout reservation",
                        id: encoded.1.clone(),
                    }
                    .into());
                }
            }
            // Last, so the contended rows are held only until the commit.
            stock::apply(tx, &stock::relock(&old, &reservation.lines), batch).await?;
            Ok(())
        })
    }

    async fn get_reservation(&self, id: ReservationId) -> StoreResult<Option<Reservation>> {
        let row: Option<ReservationRow> = sqlx::query_as(
            "SELECT id, checkout_id, expires_at, status, stock_lines FROM reservations WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(ReservationRow::into_domain).transpose()
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
