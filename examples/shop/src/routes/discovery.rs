//! Recommendations, best sellers and recently viewed products.

use axum::extract::State;
use axum::http::HeaderMap;
use commerce::ProductId;
use commerce::activity::ProductCount;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::MaybeUser;
use crate::dto::{CountedProductDto, ItemsDto, ProductDto};
use crate::error::{ApiResult, Json, Query};
use crate::routes::catalog::subject;
use crate::routes::{product_dtos, products_by_id};

/// `?limit=` (1 to 50, default 10).
#[derive(Debug, Deserialize)]
pub struct LimitQuery {
    product_id: Option<ProductId>,
    limit: Option<u32>,
}

fn limit(q: &LimitQuery) -> u32 {
    q.limit.unwrap_or(10).clamp(1, 50)
}

async fn counted(state: &AppState, counts: Vec<ProductCount>) -> ApiResult<Vec<CountedProductDto>> {
    let ids: Vec<ProductId> = counts.iter().map(|c| c.product_id).collect();
    let products = products_by_id(state, &ids).await?;
    // Counts in the products' order (inactive or deleted ones were skipped).
    let found: Vec<u64> = products
        .iter()
        .map(|p| counts.iter().find(|c| c.product_id == p.id).map_or(0, |c| c.count))
        .collect();
    let dtos = product_dtos(state, products).await?;
    Ok(dtos.into_iter().zip(found).map(|(product, count)| CountedProductDto { product, count }).collect())
}

/// `GET /api/recommendations?product_id=`: "customers also bought".
pub async fn recommendations(
    State(state): State<AppState>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<ItemsDto<CountedProductDto>>> {
    let Some(product) = q.product_id else {
        return Err(crate::error::ApiError::invalid("product_id is required"));
    };
    let counts = state.engine.also_bought(product, limit(&q)).await?;
    Ok(Json(ItemsDto { items: counted(&state, counts).await? }))
}

/// `GET /api/popular`: best sellers by units, all time.
pub async fn popular(
    State(state): State<AppState>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<ItemsDto<CountedProductDto>>> {
    let counts = state.engine.popular_products(None, limit(&q)).await?;
    Ok(Json(ItemsDto { items: counted(&state, counts).await? }))
}

/// `GET /api/recently-viewed` (the signed-in customer's, or the guest's by cart token).
pub async fn recently_viewed(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<ItemsDto<ProductDto>>> {
    let Some(s) = subject(user, &headers) else { return Ok(Json(ItemsDto { items: vec![] })) };
    let ids = state.engine.recently_viewed(&s, limit(&q)).await?;
    let products = products_by_id(&state, &ids).await?;
    Ok(Json(ItemsDto { items: product_dtos(&state, products).await? }))
}
