//! Payments: rows with exact amounts, history and refunds as JSON, and `save_payment` (payment,
//! order, restock, events and the handled notification in one transaction).

use async_trait::async_trait;
use commerce_core::ids::{OrderId, PaymentId};
use commerce_core::payment::Payment;
use commerce_core::ports::storage::{PaymentStore, PaymentWrite, StoreError, StoreResult};
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{
    amount_in, from_json, key_hash, parse_currency, parse_enum, parse_id, parse_ts, parse_ts_opt,
    parse_version, placeholders, read_money, to_json, ts, ts_opt, version,
};
use crate::error::{Fail, TxResult, db, unique_or};
use crate::order_rows::EncodedOrder;
use crate::outbox::{EncodedEvent, insert_events};
use crate::stock;

const PAYMENT_COLUMNS: &str = "id, order_id, provider, reference, status, currency, amount, authorized, \
     captured, refunded, action, expires_at, late_capture, version, created_at, updated_at, refunds, history";
/// [`PAYMENT_COLUMNS`] and the reference's hash, for writes.
const PAYMENT_WRITE_COLUMNS: &str = "id, order_id, provider, reference, status, currency, amount, authorized, \
     captured, refunded, action, expires_at, late_capture, version, created_at, updated_at, refunds, history, \
     reference_hash";

#[derive(FromRow)]
struct PaymentRow {
    id: String,
    order_id: String,
    provider: String,
    reference: Option<String>,
    status: String,
    currency: String,
    amount: Decimal,
    authorized: Decimal,
    captured: Decimal,
    refunded: Decimal,
    action: Option<String>,
    expires_at: Option<String>,
    late_capture: bool,
    version: i64,
    created_at: String,
    updated_at: String,
    refunds: String,
    history: String,
}

impl PaymentRow {
    fn into_domain(self) -> StoreResult<Payment> {
        let currency = parse_currency(&self.currency)?;
        Ok(Payment {
            id: parse_id(&self.id)?,
            order_id: parse_id(&self.order_id)?,
            provider: self.provider,
            amount: read_money(self.amount, currency),
            status: parse_enum(&self.status, "payment status")?,
            authorized: read_money(self.authorized, currency),
            captured: read_money(self.captured, currency),
            refunded: read_money(self.refunded, currency),
            reference: self.reference,
            action: self.action.as_deref().map(|a| from_json(a, "payment action")).transpose()?,
            expires_at: parse_ts_opt(self.expires_at.as_deref())?,
            refunds: from_json(&self.refunds, "payment refunds")?,
            history: from_json(&self.history, "payment history")?,
            late_capture: self.late_capture,
            version: parse_version(self.version)?,
            created_at: parse_ts(&self.created_at)?,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

/// A payment encoded for its row, outside the transaction that writes it.
pub(crate) struct EncodedPayment {
    id: String,
    order_id: String,
    provider: String,
    reference: Option<String>,
    reference_hash: Option<Vec<u8>>,
    status: &'static str,
    currency: &'static str,
    amount: Decimal,
    authorized: Decimal,
    captured: Decimal,
    refunded: Decimal,
    action: Option<String>,
    expires_at: Option<String>,
    late_capture: bool,
    created_at: String,
    updated_at: String,
    refunds: String,
    history: String,
}

impl EncodedPayment {
    /// Encodes `p`. All its amounts must be in the currency of `p.amount` (the payment
    /// invariants); another currency is a `Data` error.
    pub(crate) fn encode(p: &Payment) -> StoreResult<Self> {
        let currency = p.amount.currency();
        Ok(EncodedPayment {
            id: p.id.to_string(),
            order_id: p.order_id.to_string(),
            provider: p.provider.clone(),
            reference: p.reference.clone(),
            reference_hash: p.reference.as_deref().map(key_hash),
            status: p.status.as_str(),
            currency: currency.code(),
            amount: amount_in(p.amount, currency, "payment amount")?,
            authorized: amount_in(p.authorized, currency, "payment authorized")?,
            captured: amount_in(p.captured, currency, "payment captured")?,
            refunded: amount_in(p.refunded, currency, "payment refunded")?,
            action: p.action.as_ref().map(to_json).transpose()?,
            expires_at: ts_opt(p.expires_at)?,
            late_capture: p.late_capture,
            created_at: ts(p.created_at)?,
            updated_at: ts(p.updated_at)?,
            refunds: to_json(&p.refunds)?,
            history: to_json(&p.history)?,
        })
    }

    /// Inserts the payment at `version`; an existing id is `Conflict`.
    pub(crate) async fn insert(&self, conn: &mut MySqlConnection, version_: u64) -> TxResult<()> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO payments ({PAYMENT_WRITE_COLUMNS}) VALUES ({})",
            placeholders(19)
        )))
        .bind(&self.id)
        .bind(&self.order_id)
        .bind(&self.provider)
        .bind(&self.reference)
        .bind(self.status)
        .bind(self.currency)
        .bind(self.amount)
        .bind(self.authorized)
        .bind(self.captured)
        .bind(self.refunded)
        .bind(&self.action)
        .bind(&self.expires_at)
        .bind(self.late_capture)
        .bind(version(version_)?)
        .bind(&self.created_at)
        .bind(&self.updated_at)
        .bind(&self.refunds)
        .bind(&self.history)
        .bind(&self.reference_hash)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_or(e, "payment", &self.id))?;
        Ok(())
    }

    /// Replaces the stored payment if it is still at `expected`; stores `expected + 1`.
    async fn update(&self, conn: &mut MySqlConnection, expected: u64) -> TxResult<u64> {
        let next = expected + 1;
        let n = sqlx::query(
            "UPDATE payments SET order_id = ?, provider = ?, reference = ?, status = ?, currency = ?, amount = ?, \
             authorized = ?, captured = ?, refunded = ?, action = ?, expires_at = ?, late_capture = ?, \
             version = ?, created_at = ?, updated_at = ?, refunds = ?, history = ?, reference_hash = ? \
             WHERE id = ? AND version = ?",
        )
        .bind(&self.order_id)
        .bind(&self.provider)
        .bind(&self.reference)
        .bind(self.status)
        .bind(self.currency)
        .bind(self.amount)
        .bind(self.authorized)
        .bind(self.captured)
        .bind(self.refunded)
        .bind(&self.action)
        .bind(&self.expires_at)
        .bind(self.late_capture)
        .bind(version(next)?)
        .bind(&self.created_at)
        .bind(&self.updated_at)
        .bind(&self.refunds)
        .bind(&self.history)
        .bind(&self.reference_hash)
        .bind(&self.id)
        .bind(version(expected)?)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(Fail::Store(StoreError::Conflict { entity: "payment", id: self.id.clone() }));
        }
        Ok(next)
    }
}

impl MySqlStore {
    async fn fetch_payments(
        &self,
        sql: String,
        binds: &[&str],
        limit: Option<i64>,
    ) -> StoreResult<Vec<Payment>> {
        let mut q = sqlx::query_as::<_, PaymentRow>(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(*b);
        }
        if let Some(limit) = limit {
            q = q.bind(limit);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db)?;
        rows.into_iter().map(PaymentRow::into_domain).collect()
    }
}

#[async_trait]
impl PaymentStore for MySqlStore {
    async fn get_payment(&self, id: PaymentId) -> StoreResult<Option<Payment>> {
        let id = id.to_string();
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?");
        Ok(self.fetch_payments(sql, &[&id], None).await?.pop())
    }

    async fn payment_by_reference(&self, provider: &str, reference: &str) -> StoreResult<Option<Payment>> {
        let row: Option<PaymentRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = ? AND reference_hash = ? AND reference = ? \
             ORDER BY created_at, id LIMIT 1"
        )))
        .bind(provider)
        .bind(key_hash(reference))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(PaymentRow::into_domain).transpose()
    }

    async fn payments_of_order(&self, order: OrderId) -> StoreResult<Vec<Payment>> {
        let order = order.to_string();
        let sql =
            format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ? ORDER BY created_at, id");
        self.fetch_payments(sql, &[&order], None).await
    }

    async fn open_payments(&self, provider: &str, limit: u32) -> StoreResult<Vec<Payment>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = ? AND status IN ('pending', 'requires_action') \
             ORDER BY created_at, id LIMIT ?"
        );
        self.fetch_payments(sql, &[provider], Some(i64::from(limit))).await
    }

    async fn save_payment(&self, w: PaymentWrite) -> StoreResult<u64> {
        let payment = EncodedPayment::encode(&w.payment)?;
        let order = w.order.as_ref().map(|(o, v)| EncodedOrder::encode(o).map(|e| (e, *v))).transpose()?;
        let events = EncodedEvent::encode_all(&w.events)?;
        stock::check_lines(&w.restock)?;
        let restock = stock::restock(&w.restock);
        write!(self, |tx, batch| {
            if let Some((provider, id)) = &w.notification {
                sqlx::query(
                    "INSERT INTO processed_notifications (provider, notification_hash, notification_id) VALUES (?, ?, ?)",
                )
                .bind(provider)
                .bind(key_hash(id))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_or(e, "notification", id))?;
            }
            let v = match w.expected_version {
                None => {
                    payment.insert(tx, 1).await?;
                    1
                }
                Some(expected) => payment.update(tx, expected).await?,
            };
            if let Some((order, expected)) = &order {
                order.update(tx, *expected).await?;
            }
            insert_events(tx, &events).await?;
            stock::apply(tx, &restock, batch).await?;
            Ok(v)
        })
    }
}
