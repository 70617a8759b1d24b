//! Carts, checkouts, and the pricing rules document with coupon usage counts.

use async_trait::async_trait;
use commerce_core::cart::Cart;
use commerce_core::checkout::Checkout;
use commerce_core::ids::{CartId, CheckoutId, CouponCode, CustomerId};
use commerce_core::ports::storage::{CartStore, CheckoutStore, PricingStore, StoreError, StoreResult};
use commerce_core::pricing::PricingRules;
use sqlx::{FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{from_json, parse_u32, parse_version, to_json, ts, version};
use crate::error::{TxResult, db, unique_or};

#[derive(FromRow)]
struct BodyRow {
    body: String,
    version: i64,
}

impl BodyRow {
    fn into_cart(self) -> StoreResult<(Cart, u64)> {
        Ok((from_json(&self.body, "cart")?, parse_version(self.version)?))
    }

    fn into_checkout(self) -> StoreResult<Checkout> {
        let mut c: Checkout = from_json(&self.body, "checkout")?;
        c.version = parse_version(self.version)?;
        Ok(c)
    }
}

fn conflict(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::Conflict { entity, id: id.to_string() }
}

/// A checkout encoded for its row, ready to save inside a transaction (JSON work stays outside
/// it). Shared with `place_order`.
pub(crate) struct CheckoutRecord {
    id: String,
    cart_id: String,
    customer_id: Option<String>,
    state: &'static str,
    order_id: Option<String>,
    created_at: String,
    updated_at: String,
    body: String,
    expected: Option<i64>,
    new_version: u64,
}

impl CheckoutRecord {
    /// Encodes `checkout` to be saved over `expected_version` (`None` = insert).
    pub(crate) fn encode(checkout: &Checkout, expected_version: Option<u64>) -> StoreResult<Self> {
        let new_version = expected_version.unwrap_or(0) + 1;
        let mut stored = checkout.clone();
        stored.version = new_version;
        Ok(CheckoutRecord {
            id: checkout.id.to_string(),
            cart_id: checkout.cart_id.to_string(),
            customer_id: checkout.customer_id.map(|c| c.to_string()),
            state: checkout.state.as_str(),
            order_id: checkout.order_id.map(|o| o.to_string()),
            created_at: ts(checkout.created_at)?,
            updated_at: ts(checkout.updated_at)?,
            body: to_json(&stored)?,
            expected: expected_version.map(version).transpose()?,
            new_version,
        })
    }

    /// Saves with the ports' optimistic-concurrency rule; returns the new version. The update
    /// always changes `version`, so rows affected is 1 exactly when the expected version matched.
    pub(crate) async fn save(&self, conn: &mut MySqlConnection) -> TxResult<u64> {
        let new_version = version(self.new_version)?;
        match self.expected {
            None => {
                sqlx::query(
                    "INSERT INTO checkouts (id, cart_id, customer_id, state, order_id, version, created_at, updated_at, body) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&self.id)
                .bind(&self.cart_id)
                .bind(&self.customer_id)
                .bind(self.state)
                .bind(&self.order_id)
                .bind(new_version)
                .bind(&self.created_at)
                .bind(&self.updated_at)
                .bind(&self.body)
                .execute(&mut *conn)
                .await
                .map_err(|e| unique_or(e, "checkout", &self.id))?;
            }
            Some(v) => {
                let n = sqlx::query(
                    "UPDATE checkouts SET cart_id = ?, customer_id = ?, state = ?, order_id = ?, version = ?, \
                     updated_at = ?, body = ? WHERE id = ? AND version = ?",
                )
                .bind(&self.cart_id)
                .bind(&self.customer_id)
                .bind(self.state)
                .bind(&self.order_id)
                .bind(new_version)
                .bind(&self.updated_at)
                .bind(&self.body)
                .bind(&self.id)
                .bind(v)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(conflict("checkout", &self.id).into());
                }
            }
        }
        Ok(self.new_version)
    }
}

#[async_trait]
impl CartStore for MySqlStore {
    async fn get_cart(&self, id: CartId) -> StoreResult<Option<(Cart, u64)>> {
        let row: Option<BodyRow> = sqlx::query_as("SELECT body, version FROM carts WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(BodyRow::into_cart).transpose()
    }

    async fn cart_of_customer(&self, customer: CustomerId) -> StoreResult<Option<(Cart, u64)>> {
        let row: Option<BodyRow> = sqlx::query_as(
            "SELECT body, version FROM carts WHERE customer_id = ? ORDER BY seq DESC, id DESC LIMIT 1",
        )
        .bind(customer.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(BodyRow::into_cart).transpose()
    }

    async fn save_cart(&self, cart: &Cart, expected_version: Option<u64>) -> StoreResult<u64> {
        let new_version = expected_version.unwrap_or(0) + 1;
        let next = version(new_version)?;
        let expected = expected_version.map(version).transpose()?;
        let id = cart.id().to_string();
        let body = to_json(cart)?;
        let customer = cart.customer().map(|c| c.to_string());
        let currency = cart.currency().code();
        // `seq` orders a customer's carts by save: one more than the customer's highest (the
        // aggregate is materialized before the write, as MySQL requires for a subquery on the
        // table being written). Guest carts are never looked up by customer: `seq` stays 0.
        let with_seq = customer.is_some();
        let (insert_sql, update_sql) = if with_seq {
            (
                "INSERT INTO carts (id, customer_id, currency, version, body, seq) \
                 SELECT ?, ?, ?, ?, ?, COALESCE(MAX(seq), 0) + 1 FROM carts WHERE customer_id = ?",
                "UPDATE carts c JOIN (SELECT COALESCE(MAX(seq), 0) + 1 AS next_seq FROM carts \
                 WHERE customer_id = ?) m \
                 SET c.customer_id = ?, c.currency = ?, c.version = ?, c.body = ?, c.seq = m.next_seq \
                 WHERE c.id = ? AND c.version = ?",
            )
        } else {
            (
                "INSERT INTO carts (id, customer_id, currency, version, body, seq) VALUES (?, ?, ?, ?, ?, 0)",
                "UPDATE carts SET customer_id = ?, currency = ?, version = ?, body = ?, seq = 0 \
                 WHERE id = ? AND version = ?",
            )
        };
        write!(self, |tx, _| {
            match expected {
                None => {
                    let mut q = sqlx::query(insert_sql)
                        .bind(&id)
                        .bind(&customer)
                        .bind(currency)
                        .bind(next)
                        .bind(&body);
                    if with_seq {
                        q = q.bind(&customer);
                    }
                    q.execute(&mut *tx).await.map_err(|e| unique_or(e, "cart", &id))?;
                }
                Some(v) => {
                    let mut q = sqlx::query(update_sql);
                    if with_seq {
                        q = q.bind(&customer);
                    }
                    let n = q
                        .bind(&customer)
                        .bind(currency)
                        .bind(next)
                        .bind(&body)
                        .bind(&id)
                        .bind(v)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(conflict("cart", &id).into());
                    }
                }
            }
            Ok(new_version)
        })
    }

    async fn delete_cart(&self, id: CartId) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM carts WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n > 0)
    }
}

#[async_trait]
impl PricingStore for MySqlStore {
    async fn pricing_rules(&self) -> StoreResult<PricingRules> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM pricing_rules WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        body.map_or_else(|| Ok(PricingRules::default()), |b| from_json(&b, "pricing rules"))
    }

    async fn put_pricing_rules(&self, rules: &PricingRules) -> StoreResult<()> {
        let body = to_json(rules)?;
        sqlx::query(
            "INSERT INTO pricing_rules (id, body) VALUES (1, ?) ON DUPLICATE KEY UPDATE body = VALUES(body)",
        )
        .bind(body)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn coupon_usage(&self, code: &CouponCode, customer: Option<CustomerId>) -> StoreResult<(u32, u32)> {
        // One statement: both counts from the same moment.
        let (total, mine): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT uses FROM coupon_usage WHERE code = ?), \
             (SELECT uses FROM coupon_customer_usage WHERE code = ? AND customer_id = ?)",
        )
        .bind(code.as_str())
        .bind(code.as_str())
        .bind(customer.map(|c| c.to_string()))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((parse_u32(total.unwrap_or(0), "coupon uses")?, parse_u32(mine.unwrap_or(0), "coupon uses")?))
    }
}

#[async_trait]
impl CheckoutStore for MySqlStore {
    async fn get_checkout(&self, id: CheckoutId) -> StoreResult<Option<Checkout>> {
        let row: Option<BodyRow> = sqlx::query_as("SELECT body, version FROM checkouts WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(BodyRow::into_checkout).transpose()
    }

    async fn save_checkout(&self, checkout: &Checkout, expected_version: Option<u64>) -> StoreResult<u64> {
        let record = CheckoutRecord::encode(checkout, expected_version)?;
        write!(self, |tx, _| record.save(tx).await)
    }
}
