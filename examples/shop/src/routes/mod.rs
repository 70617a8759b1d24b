//! Route handlers, one module per area.

pub mod admin;
pub mod cart;
pub mod catalog;
pub mod discovery;
pub mod orders;
pub mod payments;
pub mod users;

use std::collections::HashMap;

use commerce::catalog::Product;
use commerce::{ProductId, Sku};
use serde::Deserialize;

use crate::app::AppState;
use crate::dto::ProductDto;
use crate::error::{ApiError, ApiResult};

/// `?page=&page_size=` (pages from 1; at most 100 per page).
#[derive(Debug, Deserialize)]
pub struct Paging {
    /// Page number from 1.
    pub page: Option<u64>,
    /// Items per page (1 to 100, default 20).
    pub page_size: Option<u64>,
}

impl Paging {
    /// (page, page_size, offset), validated.
    pub fn resolve(&self) -> ApiResult<(u64, u64, u64)> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(20);
        if page == 0 || page > 1_000_000 {
            return Err(ApiError::invalid("page starts at 1"));
        }
        if !(1..=100).contains(&size) {
            return Err(ApiError::invalid("page_size must be between 1 and 100"));
        }
        Ok((page, size, (page - 1) * size))
    }
}

/// Available units per SKU of `products`.
pub async fn stock_of(state: &AppState, products: &[Product]) -> ApiResult<HashMap<Sku, i64>> {
    let mut out = HashMap::new();
    for p in products {
        for v in &p.variants {
            let level = state.engine.store().get_stock(&v.sku).await.map_err(commerce::Error::from)?;
            out.insert(v.sku.clone(), level.map_or(0, |s| s.available()));
        }
    }
    Ok(out)
}

/// Products as DTOs with their availability.
pub async fn product_dtos(state: &AppState, products: Vec<Product>) -> ApiResult<Vec<ProductDto>> {
    let stock = stock_of(state, &products).await?;
    Ok(products.into_iter().map(|p| ProductDto::new(p, state.currency, &stock)).collect())
}

/// Loads products by id, skipping ones that no longer exist or are inactive.
pub async fn products_by_id(state: &AppState, ids: &[ProductId]) -> ApiResult<Vec<Product>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = state.engine.store().get_product(*id).await.map_err(commerce::Error::from)?
            && p.active
        {
            out.push(p);
        }
    }
    Ok(out)
}
