//! Admin routes: catalog, stock, orders, fulfilment and refunds. Every handler takes [`Admin`],
//! which re-reads the account's role.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use commerce::catalog::{Category, Image, Product, Variant};
use commerce::order::OrderAction;
use commerce::payment::PaymentStatus;
use commerce::ports::storage::OrderQuery;
use commerce::{CategoryId, Money, OrderId, ProductId, Sku, TaxClass};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Admin;
use crate::dto::{CategoryDto, OrderDto, PageDto, PaymentDto, ProductDto, StockDto};
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::routes::orders::{IDEMPOTENCY_KEY, page_of, status_filter};
use crate::routes::{Paging, product_dtos};

fn store_err(e: commerce::ports::storage::StoreError) -> ApiError {
    commerce::Error::from(e).into()
}

/// Parses an amount in the shop's currency: a decimal string, positive, at most the currency's
/// decimals.
pub fn parse_amount(state: &AppState, field: &str, text: &str) -> ApiResult<Money> {
    let bad = |why: &str| ApiError::invalid(format!("{field}: {why} (got {text:?})"));
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') || text.starts_with('.') {
        return Err(bad("expected a decimal string such as \"12.50\""));
    }
    let d: Decimal = text.parse().map_err(|_| bad("not a decimal number"))?;
    if d.scale() > state.currency.minor_units() {
        return Err(bad(&format!("{} allows {} decimals", state.currency, state.currency.minor_units())));
    }
    if d <= Decimal::ZERO || d > Decimal::new(1_000_000_000, 0) {
        return Err(bad("must be more than 0 and at most 1000000000"));
    }
    Ok(Money::new(d, state.currency))
}

/// Category body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    name: String,
    slug: Option<String>,
    parent_id: Option<CategoryId>,
    position: Option<u32>,
}

fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

async fn save_category(state: &AppState, id: CategoryId, body: CategoryBody) -> ApiResult<Category> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name must have 1 to 100 characters"));
    }
    let slug = body.slug.map(|s| s.trim().to_owned()).unwrap_or_else(|| slugify(name));
    if slug.is_empty()
        || slug.len() > 100
        || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::invalid("slug: lower-case letters, digits and '-' only"));
    }
    let cats = state.engine.store().list_categories().await.map_err(store_err)?;
    if cats.iter().any(|c| c.slug == slug && c.id != id) {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_exists", format!("slug {slug:?} is taken")));
    }
    if let Some(parent) = body.parent_id {
        // The parent must exist and must not be this category or one of its descendants.
        let mut cursor = Some(parent);
        while let Some(c) = cursor {
            if c == id {
                return Err(ApiError::invalid("a category cannot be its own ancestor"));
            }
            cursor = cats
                .iter()
                .find(|x| x.id == c)
                .ok_or_else(|| ApiError::invalid("parent_id: no such category"))?
                .parent;
        }
    }
    let category = Category {
        id,
        name: name.to_owned(),
        slug,
        parent: body.parent_id,
        position: body.position.unwrap_or(cats.len() as u32),
    };
    state.engine.store().put_category(&category).await.map_err(store_err)?;
    Ok(category)
}

/// `POST /api/admin/categories` -> 201.
pub async fn create_category(
    State(state): State<AppState>,
    _admin: Admin,
    Json(body): Json<CategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryDto>)> {
    let id = CategoryId::from_uuid(uuid::Uuid::now_v7());
    Ok((StatusCode::CREATED, Json(save_category(&state, id, body).await?.into())))
}

/// `PUT /api/admin/categories/{id}`
pub async fn update_category(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<CategoryId>,
    Json(body): Json<CategoryBody>,
) -> ApiResult<Json<CategoryDto>> {
    let cats = state.engine.store().list_categories().await.map_err(store_err)?;
    if !cats.iter().any(|c| c.id == id) {
        return Err(ApiError::not_found("category"));
    }
    Ok(Json(save_category(&state, id, body).await?.into()))
}

/// `DELETE /api/admin/categories/{id}` -> 204.
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<CategoryId>,
) -> ApiResult<StatusCode> {
    let cats = state.engine.store().list_categories().await.map_err(store_err)?;
    if cats.iter().any(|c| c.parent == Some(id)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "has_children",
            "move or delete its subcategories first",
        ));
    }
    if state.engine.store().delete_category(id).await.map_err(store_err)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("category"))
    }
}

/// A variant in a product body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantBody {
    sku: String,
    name: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
    /// A decimal string in the shop's currency (numbers are refused).
    price: String,
    weight_grams: Option<u32>,
    tax_class: Option<String>,
    active: Option<bool>,
    /// Initial on-hand stock (new SKUs; existing SKUs keep theirs: use the stock route).
    stock: Option<i64>,
}

/// Product body (create, or full replace).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    name: String,
    #[serde(default)]
    description: String,
    category_id: Option<CategoryId>,
    active: Option<bool>,
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
    variants: Vec<VariantBody>,
}

async fn save_product(state: &AppState, id: ProductId, body: ProductBody) -> ApiResult<Product> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name must have 1 to 200 characters"));
    }
    if body.description.chars().count() > 10_000 {
        return Err(ApiError::invalid("description may have at most 10000 characters"));
    }
    if body.variants.is_empty() || body.variants.len() > 100 {
        return Err(ApiError::invalid("a product needs 1 to 100 variants"));
    }
    if let Some(c) = body.category_id {
        let cats = state.engine.store().list_categories().await.map_err(store_err)?;
        if !cats.iter().any(|x| x.id == c) {
            return Err(ApiError::invalid("category_id: no such category"));
        }
    }
    let mut variants = Vec::new();
    let mut stock = Vec::new();
    for v in body.variants {
        let sku = Sku::parse(v.sku.trim()).map_err(|e| ApiError::invalid(e.to_string()))?;
        if variants.iter().any(|x: &Variant| x.sku == sku) {
            return Err(ApiError::invalid(format!("SKU {sku} appears twice")));
        }
        if let Some(other) = state.engine.store().product_by_sku(&sku).await.map_err(store_err)?
            && other.id != id
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_exists",
                format!("SKU {sku} belongs to another product"),
            ));
        }
        let tax_class = TaxClass::parse(v.tax_class.as_deref().unwrap_or("standard"))
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        if let Some(n) = v.stock
            && !(0..=1_000_000_000).contains(&n)
        {
            return Err(ApiError::invalid("stock must be between 0 and 1000000000"));
        }
        stock.push((sku.clone(), v.stock));
        variants.push(Variant {
            sku,
            name: v.name.unwrap_or_default(),
            options: v.options,
            prices: vec![parse_amount(state, "price", v.price.trim())?],
            weight_grams: v.weight_grams.unwrap_or(0),
            tax_class,
            active: v.active.unwrap_or(true),
        });
    }
    let product = Product {
        id,
        name: name.to_owned(),
        description: body.description,
        category: body.category_id,
        images: body.images,
        attributes: body.attributes,
        variants,
        active: body.active.unwrap_or(true),
    };
    state.engine.store().put_product(&product).await.map_err(store_err)?;
    let threshold = Some(state.config.low_stock_threshold);
    for (sku, on_hand) in stock {
        if state.engine.store().get_stock(&sku).await.map_err(store_err)?.is_none() {
            state
                .engine
                .store()
                .set_stock(&sku, on_hand.unwrap_or(0), false, threshold)
                .await
                .map_err(store_err)?;
        }
    }
    Ok(product)
}

/// `POST /api/admin/products` -> 201 product.
pub async fn create_product(
    State(state): State<AppState>,
    _admin: Admin,
    Json(body): Json<ProductBody>,
) -> ApiResult<(StatusCode, Json<ProductDto>)> {
    let id = ProductId::from_uuid(uuid::Uuid::now_v7());
    let p = save_product(&state, id, body).await?;
    Ok((StatusCode::CREATED, Json(product_dtos(&state, vec![p]).await?.remove(0))))
}

/// `PUT /api/admin/products/{id}` (full replace).
pub async fn update_product(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<ProductId>,
    Json(body): Json<ProductBody>,
) -> ApiResult<Json<ProductDto>> {
    if state.engine.store().get_product(id).await.map_err(store_err)?.is_none() {
        return Err(ApiError::not_found("product"));
    }
    let p = save_product(&state, id, body).await?;
    Ok(Json(product_dtos(&state, vec![p]).await?.remove(0)))
}

/// `DELETE /api/admin/products/{id}` -> 204.
pub async fn delete_product(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<ProductId>,
) -> ApiResult<StatusCode> {
    if state.engine.store().delete_product(id).await.map_err(store_err)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("product"))
    }
}

fn sku_of(text: &str) -> ApiResult<Sku> {
    Sku::parse(text).map_err(|_| ApiError::not_found("stock record"))
}

/// `GET /api/admin/stock/{sku}`
pub async fn stock(
    State(state): State<AppState>,
    _admin: Admin,
    Path(sku): Path<String>,
) -> ApiResult<Json<StockDto>> {
    let sku = sku_of(&sku)?;
    let level = state.engine.store().get_stock(&sku).await.map_err(store_err)?;
    Ok(Json(level.ok_or_else(|| ApiError::not_found("stock record"))?.into()))
}

/// `PUT /api/admin/stock/{sku}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockBody {
    on_hand: i64,
    low_stock_threshold: Option<i64>,
}

/// `PUT /api/admin/stock/{sku}`: sets on-hand (reservations are kept).
pub async fn set_stock(
    State(state): State<AppState>,
    _admin: Admin,
    Path(sku): Path<String>,
    Json(body): Json<StockBody>,
) -> ApiResult<Json<StockDto>> {
    let sku = sku_of(&sku)?;
    if !(0..=1_000_000_000).contains(&body.on_hand) {
        return Err(ApiError::invalid("on_hand must be between 0 and 1000000000"));
    }
    if state.engine.store().product_by_sku(&sku).await.map_err(store_err)?.is_none() {
        return Err(ApiError::not_found("SKU"));
    }
    let existing = state.engine.store().get_stock(&sku).await.map_err(store_err)?;
    let backorder = existing.as_ref().is_some_and(|s| s.backorder);
    let threshold = body
        .low_stock_threshold
        .or(existing.and_then(|s| s.low_stock_threshold))
        .or(Some(state.config.low_stock_threshold));
    let level =
        state.engine.store().set_stock(&sku, body.on_hand, backorder, threshold).await.map_err(store_err)?;
    Ok(Json(level.into()))
}

/// `GET /api/admin/orders` query.
#[derive(Debug, Deserialize)]
pub struct OrdersQuery {
    status: Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
}

/// `GET /api/admin/orders?status=`
pub async fn orders(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Json<PageDto<OrderDto>>> {
    let query = OrderQuery { status: status_filter(q.status.as_deref())?, ..Default::default() };
    Ok(Json(page_of(&state, query, Paging { page: q.page, page_size: q.page_size }).await?))
}

async fn order_exists(state: &AppState, id: OrderId) -> ApiResult<()> {
    state.engine.order(id).await.map(|_| ()).map_err(|e| match e {
        commerce::Error::NotFound { .. } => ApiError::not_found("order"),
        e => e.into(),
    })
}

/// `POST /api/admin/orders/{id}/fulfil`: hands every remaining line to fulfilment.
pub async fn fulfil(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<OrderDto>> {
    order_exists(&state, id).await?;
    Ok(Json(state.engine.advance_order(id, OrderAction::FulfilAll).await?.into()))
}

/// `POST /api/admin/orders/{id}/refund` body.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    amount: Option<String>,
    reason: Option<String>,
}

/// `POST /api/admin/orders/{id}/refund` {amount?}: refunds the captured payment (all that is
/// left by default). With an `Idempotency-Key` header a retried request refunds once.
pub async fn refund(
    State(state): State<AppState>,
    _admin: Admin,
    headers: HeaderMap,
    Path(id): Path<OrderId>,
    body: axum::body::Bytes,
) -> ApiResult<Json<PaymentDto>> {
    order_exists(&state, id).await?;
    // The body is optional: empty means "refund what is left".
    let body: RefundBody = if body.iter().all(u8::is_ascii_whitespace) {
        RefundBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.to_string())
            } else {
                ApiError::invalid(e.to_string())
            }
        })?
    };
    let amount = match body.amount.as_deref() {
        Some(a) => Some(parse_amount(&state, "amount", a.trim())?),
        None => None,
    };
    let payments = state.engine.payments_of_order(id).await?;
    let payment = payments
        .into_iter()
        .find(|p| matches!(p.status, PaymentStatus::Captured | PaymentStatus::PartiallyRefunded))
        .ok_or_else(|| {
            ApiError::new(StatusCode::CONFLICT, "not_refundable", "this order has no captured payment")
        })?;
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("admin-refund:{k}"))
        .unwrap_or_else(|| format!("admin-refund:{}", uuid::Uuid::now_v7()));
    let p = state.engine.refund_payment(payment.id, amount, &key, body.reason).await?;
    Ok(Json(p.into()))
}
