//! Order rows: the `orders` and `order_lines` tables, encoding an [`Order`] for them and reading
//! orders back.

use std::collections::HashMap;

use commerce_core::money::Currency;
use commerce_core::order::{Order, OrderLine, OrderStatus};
use commerce_core::ports::storage::{StoreError, StoreResult};
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::codec::{
    amount_in, bound, from_json, parse_currency, parse_id, parse_id_opt, parse_ts, parse_u32, parse_version,
    placeholders, read_money, to_json, ts, value_rows, version,
};
use crate::error::{Fail, TxResult, db, unique_or};

/// Order columns, in [`OrderRow`]'s order.
pub(crate) const ORDER_COLUMNS: &str = "id, number, checkout_id, customer_id, email, status, currency, \
     cancel_reason, version, placed_at, updated_at, priced, shipping_address, billing_address";

/// Orders per `IN (...)` list when loading lines.
const CHUNK: usize = 500;

#[derive(FromRow)]
pub(crate) struct OrderRow {
    id: String,
    number: String,
    checkout_id: String,
    customer_id: Option<String>,
    email: String,
    status: String,
    currency: String,
    cancel_reason: Option<String>,
    version: i64,
    placed_at: String,
    updated_at: String,
    priced: String,
    shipping_address: String,
    billing_address: String,
}

#[derive(FromRow)]
struct LineRow {
    order_id: String,
    sku: String,
    name: String,
    quantity: i64,
    fulfilled: i64,
    unit_price: Decimal,
    total: Decimal,
    currency: String,
}

impl LineRow {
    fn into_domain(self) -> StoreResult<OrderLine> {
        let currency = parse_currency(&self.currency)?;
        Ok(OrderLine {
            sku: parse_id(&self.sku)?,
            name: self.name,
            quantity: parse_u32(self.quantity, "order line quantity")?,
            fulfilled: parse_u32(self.fulfilled, "order line fulfilled")?,
            unit_price: read_money(self.unit_price, currency),
            total: read_money(self.total, currency),
        })
    }
}

impl OrderRow {
    fn into_domain(self, lines: Vec<OrderLine>) -> StoreResult<Order> {
        let priced: commerce_core::pricing::PricedCart = from_json(&self.priced, "order priced cart")?;
        if priced.grand_total.currency().code() != self.currency {
            return Err(StoreError::Data(format!("order {} currency does not match its total", self.id)));
        }
        Ok(Order {
            id: parse_id(&self.id)?,
            number: self.number,
            checkout_id: parse_id(&self.checkout_id)?,
            customer_id: parse_id_opt(self.customer_id.as_deref())?,
            email: self.email,
            status: OrderStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Data(format!("bad order status {:?}", self.status)))?,
            lines,
            priced,
            shipping_address: from_json(&self.shipping_address, "shipping address")?,
            billing_address: from_json(&self.billing_address, "billing address")?,
            cancel_reason: self.cancel_reason,
            version: parse_version(self.version)?,
            placed_at: parse_ts(&self.placed_at)?,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

/// Builds orders from their rows, loading the lines in batches (call inside one snapshot).
pub(crate) async fn load_orders(conn: &mut MySqlConnection, rows: Vec<OrderRow>) -> StoreResult<Vec<Order>> {
    let mut lines: HashMap<String, Vec<OrderLine>> = HashMap::new();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut q = sqlx::query_as::<_, LineRow>(AssertSqlSafe(format!(
            "SELECT order_id, sku, name, quantity, fulfilled, unit_price, total, currency FROM order_lines \
             WHERE order_id IN ({}) ORDER BY order_id, position",
            placeholders(chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let order_id = row.order_id.clone();
            lines.entry(order_id).or_default().push(row.into_domain()?);
        }
    }
    rows.into_iter()
        .map(|r| {
            let l = lines.remove(&r.id).unwrap_or_default();
            r.into_domain(l)
        })
        .collect()
}

/// One order by a unique column (`id` or `number`), read inside one snapshot.
pub(crate) async fn load_order_where(
    conn: &mut MySqlConnection,
    column: &'static str,
    value: &str,
) -> StoreResult<Option<Order>> {
    let row: Option<OrderRow> =
        sqlx::query_as(AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {column} = ?")))
            .bind(value)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    match row {
        Some(row) => Ok(load_orders(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

struct EncodedLine {
    sku: String,
    name: String,
    quantity: i64,
    fulfilled: i64,
    unit_price: Decimal,
    total: Decimal,
}

/// An order encoded for its rows, outside the transaction that writes it.
pub(crate) struct EncodedOrder {
    pub(crate) id: String,
    number: String,
    checkout_id: String,
    customer_id: Option<String>,
    email: String,
    status: &'static str,
    total: Decimal,
    currency: &'static str,
    cancel_reason: Option<String>,
    placed_at: String,
    updated_at: String,
    priced: String,
    shipping_address: String,
    billing_address: String,
    lines: Vec<EncodedLine>,
}

impl EncodedOrder {
    pub(crate) fn encode(order: &Order) -> StoreResult<Self> {
        let total = order.total();
        let currency: Currency = total.currency();
        let lines = order
            .lines
            .iter()
            .map(|l| {
                Ok(EncodedLine {
                    sku: l.sku.as_str().to_owned(),
                    name: l.name.clone(),
                    quantity: i64::from(l.quantity),
                    fulfilled: i64::from(l.fulfilled),
                    unit_price: amount_in(l.unit_price, currency, "order line unit price")?,
                    total: amount_in(l.total, currency, "order line total")?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(EncodedOrder {
            id: order.id.to_string(),
            number: order.number.clone(),
            checkout_id: order.checkout_id.to_string(),
            customer_id: order.customer_id.map(|c| c.to_string()),
            email: order.email.clone(),
            status: order.status.as_str(),
            total: amount_in(total, currency, "order total")?,
            currency: currency.code(),
            cancel_reason: order.cancel_reason.clone(),
            placed_at: ts(order.placed_at)?,
            updated_at: ts(order.updated_at)?,
            priced: to_json(&order.priced)?,
            shipping_address: to_json(&order.shipping_address)?,
            billing_address: to_json(&order.billing_address)?,
            lines,
        })
    }

    /// Inserts the order at `version` with its lines. An id or number in use is `Conflict`.
    pub(crate) async fn insert(&self, conn: &mut MySqlConnection, version_: u64) -> TxResult<()> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO orders ({ORDER_COLUMNS}, total) VALUES ({})",
            placeholders(15)
        )))
        .bind(&self.id)
        .bind(&self.number)
        .bind(&self.checkout_id)
        .bind(&self.customer_id)
        .bind(&self.email)
        .bind(self.status)
        .bind(self.currency)
        .bind(&self.cancel_reason)
        .bind(version(version_)?)
        .bind(&self.placed_at)
        .bind(&self.updated_at)
        .bind(&self.priced)
        .bind(&self.shipping_address)
        .bind(&self.billing_address)
        .bind(self.total)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_or(e, "order", &self.number))?;
        self.insert_lines(conn).await
    }

    /// Inserts the order's lines (multi-row statements of up to 100 lines).
    async fn insert_lines(&self, conn: &mut MySqlConnection) -> TxResult<()> {
        for (c, chunk) in self.lines.chunks(100).enumerate() {
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO order_lines (order_id, position, sku, name, quantity, fulfilled, unit_price, total, currency) \
                 VALUES {}",
                value_rows(chunk.len(), 9)
            )));
            for (i, l) in chunk.iter().enumerate() {
                q = q
                    .bind(&self.id)
                    .bind(bound((c * 100 + i) as u64))
                    .bind(&l.sku)
                    .bind(&l.name)
                    .bind(l.quantity)
                    .bind(l.fulfilled)
                    .bind(l.unit_price)
                    .bind(l.total)
                    .bind(self.currency);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Replaces the stored order if it is still at `expected`; stores `expected + 1` (so the
    /// update always changes the row and rows affected means "matched"). `Conflict` if it
    /// changed or does not exist.
    pub(crate) async fn update(&self, conn: &mut MySqlConnection, expected: u64) -> TxResult<u64> {
        let next = expected + 1;
        let n = sqlx::query(
            "UPDATE orders SET number = ?, checkout_id = ?, customer_id = ?, email = ?, status = ?, total = ?, \
             currency = ?, cancel_reason = ?, version = ?, placed_at = ?, updated_at = ?, priced = ?, \
             shipping_address = ?, billing_address = ? WHERE id = ? AND version = ?",
        )
        .bind(&self.number)
        .bind(&self.checkout_id)
        .bind(&self.customer_id)
        .bind(&self.email)
        .bind(self.status)
        .bind(self.total)
        .bind(self.currency)
        .bind(&self.cancel_reason)
        .bind(version(next)?)
        .bind(&self.placed_at)
        .bind(&self.updated_at)
        .bind(&self.priced)
        .bind(&self.shipping_address)
        .bind(&self.billing_address)
        .bind(&self.id)
        .bind(version(expected)?)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_or(e, "order", &self.number))?
        .rows_affected();
        if n == 0 {
            return Err(Fail::Store(StoreError::Conflict { entity: "order", id: self.id.clone() }));
        }
        sqlx::query("DELETE FROM order_lines WHERE order_id = ?").bind(&self.id).execute(&mut *conn).await?;
        self.insert_lines(conn).await?;
        Ok(next)
    }
}
