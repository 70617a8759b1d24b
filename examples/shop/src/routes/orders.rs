//! Orders: create from the cart (idempotent by `Idempotency-Key`), list, read, cancel.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use commerce::customer::Address;
use commerce::engine::CheckoutRequest;
use commerce::order::{Order, OrderStatus};
use commerce::ports::storage::OrderQuery;
use commerce::{OrderId, ShippingMethodId};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::User;
use crate::dto::{OrderDto, PageDto};
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::routes::Paging;

/// The idempotency header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The key of the request, namespaced by customer so keys never collide across users.
pub fn idempotency_key(headers: &HeaderMap, user: &User) -> ApiResult<String> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "missing_idempotency_key",
                "send an Idempotency-Key header",
            )
        })?;
    if key.len() > 200 {
        return Err(ApiError::invalid("Idempotency-Key may have at most 200 characters"));
    }
    Ok(format!("{}:{key}", user.customer_id))
}

/// An order of this user, or 404 (also for other users' orders: their ids are not revealed).
pub async fn own_order(state: &AppState, user: &User, id: OrderId) -> ApiResult<Order> {
    match state.engine.order(id).await {
        Ok(o) if o.customer_id == Some(user.customer_id) => Ok(o),
        Ok(_) | Err(commerce::Error::NotFound { .. }) => Err(ApiError::not_found("order")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/orders/create` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    shipping_address: Address,
    billing_address: Option<Address>,
    shipping_method: Option<String>,
}

/// `POST /api/orders/create` (header `Idempotency-Key`) -> 201 order.
pub async fn create(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    Json(body): Json<CreateBody>,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let key = idempotency_key(&headers, &user)?;
    let shipping_method = match body.shipping_method {
        Some(m) => Some(ShippingMethodId::parse(&m).map_err(|e| ApiError::invalid(e.to_string()))?),
        None => None,
    };
    let account = state.engine.account(user.account_id).await?;
    let cart = state.engine.cart_for_customer(user.customer_id, state.currency).await?;
    let request = CheckoutRequest {
        email: account.email,
        shipping_address: body.shipping_address,
        billing_address: body.billing_address,
        shipping_method,
    };
    let order = state.engine.checkout_cart(cart.id(), request, &key).await?;
    Ok((StatusCode::CREATED, Json(order.into())))
}

/// `GET /api/orders` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
}

/// Parses a status filter.
pub fn status_filter(s: Option<&str>) -> ApiResult<Option<OrderStatus>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map(Some)
            .map_err(|_| ApiError::invalid(format!("unknown order status {s:?}"))),
    }
}

/// Lists orders by a query, as a page.
pub async fn page_of(
    state: &AppState,
    mut query: OrderQuery,
    paging: Paging,
) -> ApiResult<PageDto<OrderDto>> {
    let (page, page_size, offset) = paging.resolve()?;
    query.offset = offset;
    query.limit = page_size;
    let found = state.engine.list_orders(&query).await?;
    Ok(PageDto {
        items: found.items.into_iter().map(Into::into).collect(),
        page,
        page_size,
        total: found.total,
    })
}

/// `GET /api/orders` (own orders, newest first).
pub async fn list(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PageDto<OrderDto>>> {
    let query = OrderQuery {
        customer: Some(user.customer_id),
        status: status_filter(q.status.as_deref())?,
        ..Default::default()
    };
    Ok(Json(page_of(&state, query, Paging { page: q.page, page_size: q.page_size }).await?))
}

/// `GET /api/orders/{id}`
pub async fn get(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<OrderDto>> {
    Ok(Json(own_order(&state, &user, id).await?.into()))
}

/// `POST /api/orders/{id}/cancel`: stock goes back; a paid order is refunded.
pub async fn cancel(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<OrderDto>> {
    own_order(&state, &user, id).await?;
    Ok(Json(state.engine.cancel_order(id, "cancelled by the customer").await?.into()))
}
