//! Shopper activity, and the purchase-derived figures ("also bought", best sellers), computed in
//! SQL over the orders the store already holds.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::activity::{Activity, ActivityKind, ProductCount, Subject};
use commerce_core::ids::ProductId;
use commerce_core::ports::storage::{ActivityStore, StoreResult};

use super::codec::{bound, data, parse_id, ts, ts_opt};
use super::error::db;
use super::{SqliteStore, commit};

fn counts(rows: Vec<(String, i64)>) -> StoreResult<Vec<ProductCount>> {
    rows.into_iter()
        .map(|(id, n)| {
            let count = u64::try_from(n).map_err(|_| data("negative count", n))?;
            Ok(ProductCount { product_id: parse_id(&id)?, count })
        })
        .collect()
}

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn record_activity(&self, activity: &Activity) -> StoreResult<()> {
        let (kind, product, query) = match &activity.kind {
            ActivityKind::ProductViewed { product_id } => {
                ("product_viewed", Some(product_id.to_string()), None)
            }
            ActivityKind::Searched { query } => ("searched", None, Some(query.as_str())),
        };
        let at = ts(activity.at)?;
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO activity (subject_key, kind, product_id, query, at) VALUES (?, ?, ?, ?, ?)")
            .bind(activity.subject.key())
            .bind(kind)
            .bind(product)
            .bind(query)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit(tx).await
    }

    async fn recently_viewed(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<ProductId>> {
        // Each product at its latest view (later records first among views of the same instant).
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT product_id FROM ( \
                SELECT product_id, at, seq, ROW_NUMBER() OVER ( \
                    PARTITION BY product_id ORDER BY at DESC, seq DESC) AS nth \
                FROM activity WHERE subject_key = ? AND kind = 'product_viewed') \
             WHERE nth = 1 ORDER BY at DESC, seq DESC LIMIT ?",
        )
        .bind(subject.key())
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    async fn recent_searches(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT query FROM ( \
                SELECT query, at, seq, ROW_NUMBER() OVER ( \
                    PARTITION BY query ORDER BY at DESC, seq DESC) AS nth \
                FROM activity WHERE subject_key = ? AND kind = 'searched') \
             WHERE nth = 1 ORDER BY at DESC, seq DESC LIMIT ?",
        )
        .bind(subject.key())
        .bind(i64::from(limit))
        .fetch_all(self.reader())
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
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        counts(rows)
    }

    async fn popular_products(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<ProductCount>> {
        let since = ts_opt(since)?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT v.product_id, SUM(l.quantity) AS n \
             FROM orders o \
             JOIN order_lines l ON l.order_id = o.id \
             JOIN variants v ON v.sku = l.sku \
             WHERE o.status <> 'cancelled' AND (?1 IS NULL OR o.placed_at >= ?1) \
             GROUP BY v.product_id ORDER BY n DESC, v.product_id LIMIT ?2",
        )
        .bind(since)
        .bind(bound(u64::from(limit)))
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        counts(rows)
    }
}
