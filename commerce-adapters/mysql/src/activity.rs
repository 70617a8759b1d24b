//! Shopper activity, and the purchase-derived figures ("also bought", best sellers), computed in
//! SQL over the orders the store already holds.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::activity::{Activity, ActivityKind, ProductCount, Subject};
use commerce_core::ids::ProductId;
use commerce_core::ports::storage::{ActivityStore, StoreResult};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::MySqlStore;
use crate::codec::{data, parse_id, ts, ts_opt};
use crate::error::db;

fn counts(rows: Vec<(String, Decimal)>) -> StoreResult<Vec<ProductCount>> {
    rows.into_iter()
        .map(|(id, n)| {
            let count = n.to_u64().ok_or_else(|| data("bad count", n))?;
            Ok(ProductCount { product_id: parse_id(&id)?, count })
        })
        .collect()
}

#[async_trait]
impl ActivityStore for MySqlStore {
    async fn record_activity(&self, activity: &Activity) -> StoreResult<()> {
        let (kind, product, query) = match &activity.kind {
            ActivityKind::ProductViewed { product_id } => {
                ("product_viewed", Some(product_id.to_string()), None)
            }
            ActivityKind::Searched { query } => ("searched", None, Some(query.as_str())),
        };
        // One autocommit INSERT: atomic on its own, and an append takes no locks to retry on.
        sqlx::query(
            "INSERT INTO activity (subject_key, kind, product_id, search_query, at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(activity.subject.key())
        .bind(kind)
        .bind(product)
        .bind(query)
        .bind(ts(activity.at)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn recently_viewed(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<ProductId>> {
        // Each product at its latest view (later records first among views of the same instant).
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT product_id FROM ( \
                SELECT product_id, at, seq, ROW_NUMBER() OVER ( \
                    PARTITION BY product_id ORDER BY at DESC, seq DESC) AS nth \
                FROM activity WHERE subject_key = ? AND kind = 'product_viewed') AS latest \
             WHERE nth = 1 ORDER BY at DESC, seq DESC LIMIT ?",
        )
        .bind(subject.key())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    async fn recent_searches(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT search_query FROM ( \
                SELECT search_query, at, seq, ROW_NUMBER() OVER ( \
                    PARTITION BY search_query ORDER BY at DESC, seq DESC) AS nth \
                FROM activity WHERE subject_key = ? AND kind = 'searched') AS latest \
             WHERE nth = 1 ORDER BY at DESC, seq DESC LIMIT ?",
        )
        .bind(subject.key())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)
    }

    async fn also_bought(&self, product: ProductId, limit: u32) -> StoreResult<Vec<ProductCount>> {
        let id = product.to_string();
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT v2.product_id, COUNT(DISTINCT l2.order_id) AS n \
             FROM variants v1 \
             JOIN order_lines l1 ON l1.sku = v1.sku \
             JOIN orders o ON o.id = l1.order_id AND o.status <> 'cancelled' \
             JOIN order_lines l2 ON l2.order_id = l1.order_id \
             JOIN variants v2 ON v2.sku = l2.sku \
             WHERE v1.product_id = ? AND v2.product_id <> ? \
             GROUP BY v2.product_id ORDER BY n DESC, v2.product_id LIMIT ?",
        )
        .bind(&id)
        .bind(&id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        counts(rows.into_iter().map(|(p, n)| (p, Decimal::from(n))).collect())
    }

    async fn popular_products(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<ProductCount>> {
        let since = ts_opt(since)?;
        // SUM of a BIGINT is a DECIMAL in MySQL.
        let rows: Vec<(String, Decimal)> = sqlx::query_as(
            "SELECT v.product_id, SUM(l.quantity) AS n \
             FROM orders o \
             JOIN order_lines l ON l.order_id = o.id \
             JOIN variants v ON v.sku = l.sku \
             WHERE o.status <> 'cancelled' AND (? IS NULL OR o.placed_at >= ?) \
             GROUP BY v.product_id ORDER BY n DESC, v.product_id LIMIT ?",
        )
        .bind(&since)
        .bind(&since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        counts(rows)
    }
}
