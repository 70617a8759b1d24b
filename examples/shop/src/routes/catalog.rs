//! The public catalog: categories, product listing, product pages and ranked search.

use axum::extract::State;
use axum::http::HeaderMap;
use commerce::activity::Subject;
use commerce::ports::storage::ProductQuery;
use commerce::{CategoryId, ProductId};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::MaybeUser;
use crate::dto::{CategoryDto, ItemsDto, PageDto, ProductDto};
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::routes::cart::CART_TOKEN;
use crate::routes::{Paging, product_dtos};

/// `GET /api/categories`
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<ItemsDto<CategoryDto>>> {
    let mut cats = state.engine.store().list_categories().await.map_err(commerce::Error::from)?;
    cats.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.name.cmp(&b.name)));
    Ok(Json(ItemsDto { items: cats.into_iter().map(Into::into).collect() }))
}

/// `GET /api/products` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
}

/// `GET /api/products?category=&q=&page=&page_size=`: active products by name; `q` filters by
/// a substring of the name or description (use `/api/products/search` for ranked results).
pub async fn products(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PageDto<ProductDto>>> {
    let (page, page_size, offset) = Paging { page: q.page, page_size: q.page_size }.resolve()?;
    let category = match q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(match c.parse::<CategoryId>() {
            Ok(id) => id,
            Err(_) => {
                // A slug.
                let cats = state.engine.store().list_categories().await.map_err(commerce::Error::from)?;
                cats.into_iter()
                    .find(|x| x.slug == c)
                    .map(|x| x.id)
                    .ok_or_else(|| ApiError::not_found("category"))?
            }
        }),
    };
    let text = q.q.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ApiError::invalid("q may have at most 200 characters"));
    }
    let found = state
        .engine
        .store()
        .list_products(&ProductQuery { category, text, include_inactive: false, offset, limit: page_size })
        .await
        .map_err(commerce::Error::from)?;
    Ok(Json(PageDto { items: product_dtos(&state, found.items).await?, page, page_size, total: found.total }))
}

/// Who is browsing: the signed-in customer, or the guest by their cart token (a cart id).
pub fn subject(user: MaybeUser, headers: &HeaderMap) -> Option<Subject> {
    match user.0 {
        Some(u) => Some(Subject::Customer(u.customer_id)),
        None => headers
            .get(CART_TOKEN)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.trim().parse::<commerce::CartId>().ok())
            .map(|id| Subject::Guest(id.to_string())),
    }
}

/// `GET /api/products/{id}` (records a view for "recently viewed").
pub async fn product(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<ProductId>,
) -> ApiResult<Json<ProductDto>> {
    let p = state.engine.store().get_product(id).await.map_err(commerce::Error::from)?;
    let p = p.filter(|p| p.active).ok_or_else(|| ApiError::not_found("product"))?;
    if let Some(s) = subject(user, &headers)
        && let Err(e) = state.engine.record_view(&s, id).await
    {
        // Activity is best effort: a failed write must not fail the page.
        tracing::warn!(error = %e, "recording a product view failed");
    }
    Ok(Json(product_dtos(&state, vec![p]).await?.remove(0)))
}

/// `GET /api/products/search` query.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

/// `GET /api/products/search?q=`: ranked keyword search over names and descriptions.
pub async fn search(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<PageDto<ProductDto>>> {
    let (page, page_size, offset) = Paging { page: q.page, page_size: q.page_size }.resolve()?;
    if q.q.chars().count() > 200 {
        return Err(ApiError::invalid("q may have at most 200 characters"));
    }
    let (hits, total) = state.engine.search_products(&q.q, offset as usize, page_size as usize).await?;
    if let Some(s) = subject(user, &headers)
        && let Err(e) = state.engine.record_search(&s, &q.q).await
    {
        tracing::warn!(error = %e, "recording a search failed");
    }
    let scores: Vec<u32> = hits.iter().map(|(_, s)| *s).collect();
    let dtos = product_dtos(&state, hits.into_iter().map(|(p, _)| p).collect()).await?;
    let items = dtos.into_iter().zip(scores).map(|(d, s)| d.scored(s)).collect();
    Ok(Json(PageDto { items, page, page_size, total: total as u64 }))
}
