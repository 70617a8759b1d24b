//! The transactional outbox (leases, retries, dead letters) and idempotency records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::Event;
use commerce_core::ids::EventId;
use commerce_core::ports::storage::{
    IdempotencyRecord, IdempotencyStore, OutboxEntry, OutboxStats, OutboxStore, StoreResult,
};
use sqlx::{FromRow, SqliteConnection};

use super::codec::{from_json, parse_ts, parse_u32, to_json, ts, ts_opt};
use super::error::db;
use super::{SqliteStore, commit};

/// An event encoded for its outbox row (outside the transaction that writes it).
pub(crate) struct EncodedEvent {
    id: String,
    payload: String,
    next_attempt_at: String,
}

impl EncodedEvent {
    pub(crate) fn encode(event: &Event) -> StoreResult<Self> {
        Ok(EncodedEvent {
            id: event.id.to_string(),
            payload: to_json(event)?,
            next_attempt_at: ts(event.occurred_at)?,
        })
    }

    pub(crate) fn encode_all(events: &[Event]) -> StoreResult<Vec<Self>> {
        events.iter().map(Self::encode).collect()
    }

    /// Appends the event as pending, due at once; an id already in the outbox is left as it is.
    pub(crate) async fn insert(&self, conn: &mut SqliteConnection) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (event_id, payload, status, attempts, next_attempt_at) \
             VALUES (?, ?, 'pending', 0, ?) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&self.id)
        .bind(&self.payload)
        .bind(&self.next_attempt_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        Ok(())
    }
}

/// Appends every event.
pub(crate) async fn insert_events(conn: &mut SqliteConnection, events: &[EncodedEvent]) -> StoreResult<()> {
    for e in events {
        e.insert(conn).await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct EntryRow {
    seq: i64,
    payload: String,
    attempts: i64,
    last_error: Option<String>,
}

impl EntryRow {
    fn into_domain(self) -> StoreResult<OutboxEntry> {
        Ok(OutboxEntry {
            event: from_json(&self.payload, "outbox payload")?,
            attempts: parse_u32(self.attempts, "outbox attempts")?,
            last_error: self.last_error,
        })
    }
}

#[derive(FromRow)]
struct IdempotencyRow {
    key: String,
    fingerprint: String,
    response: String,
    created_at: String,
}

impl IdempotencyRow {
    fn into_domain(self) -> StoreResult<IdempotencyRecord> {
        Ok(IdempotencyRecord {
            key: self.key,
            fingerprint: self.fingerprint,
            response: self.response,
            created_at: parse_ts(&self.created_at)?,
        })
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn append_events(&self, events: &[Event]) -> StoreResult<()> {
        let encoded = EncodedEvent::encode_all(events)?;
        let mut tx = self.write().await?;
        insert_events(&mut tx, &encoded).await?;
        commit(tx).await
    }

    async fn claim_events(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let now = ts(now)?;
        let lease_until = ts(lease_until)?;
        let mut tx = self.write().await?;
        let mut rows: Vec<EntryRow> = sqlx::query_as(
            "UPDATE outbox SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1 \
             WHERE seq IN (SELECT seq FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?3 \
                 AND (lease_until IS NULL OR lease_until <= ?3) ORDER BY seq LIMIT ?4) \
             RETURNING seq, payload, attempts, last_error",
        )
        .bind(worker)
        .bind(&lease_until)
        .bind(&now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await?;
        rows.sort_by_key(|r| r.seq);
        rows.into_iter().map(EntryRow::into_domain).collect()
    }

    async fn complete_event(&self, id: EventId, worker: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE outbox SET status = 'delivered', lease_owner = NULL, lease_until = NULL \
             WHERE event_id = ? AND status = 'pending' AND lease_owner = ?",
        )
        .bind(id.to_string())
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn fail_event(
        &self,
        id: EventId,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        let retry_at = ts_opt(retry_at)?;
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE outbox SET last_error = ?1, lease_owner = NULL, lease_until = NULL, \
             next_attempt_at = COALESCE(?2, next_attempt_at), \
             status = CASE WHEN ?2 IS NULL THEN 'dead' ELSE status END \
             WHERE event_id = ?3 AND status = 'pending' AND lease_owner = ?4",
        )
        .bind(error)
        .bind(retry_at)
        .bind(id.to_string())
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn dead_events(&self, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, payload, attempts, last_error FROM outbox WHERE status = 'dead' ORDER BY seq LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        rows.into_iter().map(EntryRow::into_domain).collect()
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        let mut stats = OutboxStats::default();
        for (status, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match status.as_str() {
                "pending" => stats.pending = n,
                "delivered" => stats.delivered = n,
                "dead" => stats.dead = n,
                other => {
                    return Err(commerce_core::ports::storage::StoreError::Data(format!(
                        "unknown outbox status {other:?}"
                    )));
                }
            }
        }
        Ok(stats)
    }

    async fn all_events(&self, limit: u32) -> StoreResult<Vec<Event>> {
        let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox ORDER BY seq LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        payloads.iter().map(|p| from_json(p, "outbox payload")).collect()
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn get_idempotency(&self, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row: Option<IdempotencyRow> =
            sqlx::query_as("SELECT key, fingerprint, response, created_at FROM idempotency WHERE key = ?")
                .bind(key)
                .fetch_optional(self.reader())
                .await
                .map_err(db)?;
        row.map(IdempotencyRow::into_domain).transpose()
    }

    async fn put_idempotency(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let created_at = ts(record.created_at)?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO idempotency (key, fingerprint, response, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&record.key)
        .bind(&record.fingerprint)
        .bind(&record.response)
        .bind(created_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let row: IdempotencyRow =
            sqlx::query_as("SELECT key, fingerprint, response, created_at FROM idempotency WHERE key = ?")
                .bind(&record.key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        commit(tx).await?;
        row.into_domain()
    }
}
