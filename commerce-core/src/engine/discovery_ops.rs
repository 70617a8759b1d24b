//! Discovery: ranked product search, activity, recommendations and best sellers.

use chrono::{DateTime, Utc};

use super::{Commerce, Result};
use crate::activity::{Activity, ActivityKind, MAX_QUERY_CHARS, MAX_SUBJECT_LEN, ProductCount, Subject};
use crate::catalog::Product;
use crate::ids::ProductId;
use crate::ports::storage::{ProductQuery, Store};
use crate::search;

/// Products fetched per page while collecting search candidates.
const SEARCH_PAGE: u64 = 500;

impl<S: Store + ?Sized> Commerce<S> {
    /// Active products matching every term of `query` in name or description, best match first,
    /// with their scores (see [`crate::search`]); `offset`/`limit` page through the ranking.
    /// Returns the page and the number of matches.
    ///
    /// Candidates come from the store's substring filter on the query's longest term, so the
    /// work is proportional to the products containing that term, not to the whole catalog.
    pub async fn search_products(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<(Product, u32)>, usize)> {
        let terms = search::terms(query);
        let Some(longest) = terms.iter().max_by_key(|t| t.chars().count()) else {
            return Ok((Vec::new(), 0));
        };
        let mut candidates = Vec::new();
        let mut q = ProductQuery { text: Some(longest.clone()), limit: SEARCH_PAGE, ..Default::default() };
        loop {
            let page = self.store.list_products(&q).await?;
            let n = page.items.len() as u64;
            candidates.extend(page.items);
            if n < SEARCH_PAGE {
                break;
            }
            q.offset += n;
        }
        let ranked = search::rank(candidates, &terms.join(" "));
        let total = ranked.len();
        Ok((ranked.into_iter().skip(offset).take(limit).collect(), total))
    }

    /// Records that `subject` viewed `product`. Guest keys longer than
    /// [`MAX_SUBJECT_LEN`] are refused.
    pub async fn record_view(&self, subject: &Subject, product: ProductId) -> Result<()> {
        self.record(subject, ActivityKind::ProductViewed { product_id: product }).await
    }

    /// Records that `subject` searched for `query` (cut to [`MAX_QUERY_CHARS`]); blank queries
    /// are not recorded.
    pub async fn record_search(&self, subject: &Subject, query: &str) -> Result<()> {
        let query: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
        if query.is_empty() {
            return Ok(());
        }
        self.record(subject, ActivityKind::Searched { query }).await
    }

    async fn record(&self, subject: &Subject, kind: ActivityKind) -> Result<()> {
        if let Subject::Guest(key) = subject
            && (key.is_empty() || key.len() > MAX_SUBJECT_LEN)
        {
            return Err(super::Error::Invalid(format!("a guest key is 1 to {MAX_SUBJECT_LEN} bytes")));
        }
        let activity = Activity { subject: subject.clone(), kind, at: self.clock.now() };
        Ok(self.store.record_activity(&activity).await?)
    }

    /// Products `subject` viewed, most recent first, each once.
    pub async fn recently_viewed(&self, subject: &Subject, limit: u32) -> Result<Vec<ProductId>> {
        Ok(self.store.recently_viewed(subject, limit).await?)
    }

    /// Queries `subject` searched for, most recent first, each once.
    pub async fn recent_searches(&self, subject: &Subject, limit: u32) -> Result<Vec<String>> {
        Ok(self.store.recent_searches(subject, limit).await?)
    }

    /// "Customers also bought": products most often in the same orders as `product`.
    pub async fn also_bought(&self, product: ProductId, limit: u32) -> Result<Vec<ProductCount>> {
        Ok(self.store.also_bought(product, limit).await?)
    }

    /// Best sellers by units since `since` (all time when `None`).
    pub async fn popular_products(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<ProductCount>> {
        Ok(self.store.popular_products(since, limit).await?)
    }
}
