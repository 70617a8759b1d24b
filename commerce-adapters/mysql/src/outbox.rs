//! The transactional outbox (leases with `FOR UPDATE SKIP LOCKED`, retries, dead letters) and
//! idempotency records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::events::Event;
use commerce_core::ids::EventId;
use commerce_core::ports::storage::{
    IdempotencyRecord, IdempotencyStore, OutboxEntry, OutboxStats, OutboxStore, StoreError, StoreResult,
};
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{
    from_json, key_hash, parse_count, parse_ts, parse_u32, placeholders, to_json, ts, ts_opt, value_rows,
};
use crate::error::{TxResult, db};

/// Events per multi-row `INSERT`.
const INSERT_CHUNK: usize = 200;

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
}

/// Appends events as pending, due at once, in multi-row statements; an id already in the outbox
/// is left as it is (the no-op update can only hit `event_id`: `seq` is generated).
pub(crate) async fn insert_events(conn: &mut MySqlConnection, events: &[EncodedEvent]) -> TxResult<()> {
    for chunk in events.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO outbox (event_id, payload, status, attempts, next_attempt_at) VALUES {} \
             ON DUPLICATE KEY UPDATE event_id = event_id",
            value_rows(chunk.len(), 5)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(&e.id).bind(&e.payload).bind("pending").bind(0i64).bind(&e.next_attempt_at);
        }
        q.execute(&mut *conn).await?;
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
    idempotency_key: String,
    fingerprint: String,
    response: String,
    created_at: String,
}

impl IdempotencyRow {
    fn into_domain(self) -> StoreResult<IdempotencyRecord> {
        Ok(IdempotencyRecord {
            key: self.idempotency_key,
            fingerprint: self.fingerprint,
            response: self.response,
            created_at: parse_ts(&self.created_at)?,
        })
    }
}

#[async_trait]
impl OutboxStore for MySqlStore {
    async fn append_events(&self, events: &[Event]) -> StoreResult<()> {
        let encoded = EncodedEvent::encode_all(events)?;
        if encoded.is_empty() {
            return Ok(());
        }
        write!(self, |tx, _| insert_events(tx, &encoded).await)
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
        let rows = write!(self, |tx, _| {
            // Rows another worker is claiming right now are skipped, not waited for.
            let mut rows: Vec<EntryRow> = sqlx::query_as(
                "SELECT seq, payload, attempts, last_error FROM outbox \
                     WHERE status = 'pending' AND next_attempt_at <= ? \
                     AND (lease_until IS NULL OR lease_until <= ?) \
                     ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED",
            )
            .bind(&now)
            .bind(&now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(rows);
            }
            let sql = format!(
                "UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE seq IN ({})",
                placeholders(rows.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(worker).bind(&lease_until);
            for r in &rows {
                q = q.bind(r.seq);
            }
            q.execute(&mut *tx).await?;
            for r in &mut rows {
                r.attempts += 1;
            }
            Ok(rows)
        })?;
        rows.into_iter().map(EntryRow::into_domain).collect()
    }

    async fn complete_event(&self, id: EventId, worker: &str) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE outbox SET status = 'delivered', lease_owner = NULL, lease_until = NULL \
             WHERE event_id = ? AND status = 'pending' AND lease_owner = ?",
        )
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
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
        let n = sqlx::query(
            "UPDATE outbox SET last_error = ?, lease_owner = NULL, lease_until = NULL, \
             next_attempt_at = COALESCE(?, next_attempt_at), \
             status = CASE WHEN ? IS NULL THEN 'dead' ELSE status END \
             WHERE event_id = ? AND status = 'pending' AND lease_owner = ?",
        )
        .bind(error)
        .bind(&retry_at)
        .bind(&retry_at)
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn dead_events(&self, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, payload, attempts, last_error FROM outbox WHERE status = 'dead' ORDER BY seq LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(EntryRow::into_domain).collect()
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut stats = OutboxStats::default();
        for (status, n) in rows {
            let n = parse_count(n);
            match status.as_str() {
                "pending" => stats.pending = n,
                "delivered" => stats.delivered = n,
                "dead" => stats.dead = n,
                other => return Err(StoreError::Data(format!("unknown outbox status {other:?}"))),
            }
        }
        Ok(stats)
    }

    async fn all_events(&self, limit: u32) -> StoreResult<Vec<Event>> {
        let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox ORDER BY seq LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        payloads.iter().map(|p| from_json(p, "outbox payload")).collect()
    }
}

#[async_trait]
impl IdempotencyStore for MySqlStore {
    async fn get_idempotency(&self, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row: Option<IdempotencyRow> = sqlx::query_as(
            "SELECT idempotency_key, fingerprint, response, created_at FROM idempotency \
             WHERE key_hash = ? AND idempotency_key = ?",
        )
        .bind(key_hash(key))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(IdempotencyRow::into_domain).transpose()
    }

    async fn put_idempotency(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let created_at = ts(record.created_at)?;
        // Records are never changed or deleted: after the insert-or-nothing (autocommit), a read
        // sees the record that won, ours or an earlier one.
        sqlx::query(
            "INSERT INTO idempotency (key_hash, idempotency_key, fingerprint, response, created_at) \
             VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE key_hash = key_hash",
        )
        .bind(key_hash(&record.key))
        .bind(&record.key)
        .bind(&record.fingerprint)
        .bind(&record.response)
        .bind(created_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        self.get_idempotency(&record.key)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("idempotency record {:?} vanished", record.key)))
    }
}
