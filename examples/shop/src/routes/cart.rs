//! The cart: a signed-in user's, or a guest's identified by the `X-Cart-Token` header.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use commerce::customer::Address;
use commerce::engine::PriceOptions;
use commerce::ids::CouponCode;
use commerce::{Cart, CartId, ProductId, Quantity, Region, ShippingMethodId, Sku};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::MaybeUser;
use crate::dto::CartDto;
use crate::error::{ApiError, ApiResult, Json, Path, Query};

/// The guest cart header.
pub const CART_TOKEN: &str = "x-cart-token";

/// The cart a request addresses, and whether it is a guest's (then its token goes back in the
/// response).
pub struct Resolved {
    /// The cart.
    pub cart: Cart,
    /// Set for guests.
    pub guest: bool,
}

/// A guest's cart from the header: it must exist and belong to no customer (a customer's cart
/// is reachable only with their token, whatever id is sent).
pub async fn guest_cart(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Cart>> {
    let Some(token) = headers.get(CART_TOKEN) else { return Ok(None) };
    let Some(id) = token.to_str().ok().and_then(|t| t.trim().parse::<CartId>().ok()) else {
        return Ok(None);
    };
    match state.engine.cart(id).await {
        Ok(cart) if cart.customer().is_none() => Ok(Some(cart)),
        Ok(_) | Err(commerce::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The request's cart: the user's own (created if needed), or the guest's (created if the
/// header names none).
pub async fn resolve(state: &AppState, user: MaybeUser, headers: &HeaderMap) -> ApiResult<Resolved> {
    if let Some(u) = user.0 {
        return Ok(Resolved {
            cart: state.engine.cart_for_customer(u.customer_id, state.currency).await?,
            guest: false,
        });
    }
    let cart = match guest_cart(state, headers).await? {
        Some(c) => c,
        None => state.engine.create_cart(state.currency, None).await?,
    };
    Ok(Resolved { cart, guest: true })
}

/// `?region=KH&shipping_method=standard`: where to price the cart for display.
#[derive(Debug, Deserialize, Default)]
pub struct PriceQuery {
    region: Option<String>,
    shipping_method: Option<String>,
}

/// Prices a cart for display: in `region` (default KH) with `shipping_method` (default: the first
/// that serves the region).
pub async fn priced(state: &AppState, cart: &Cart, q: &PriceQuery) -> ApiResult<CartDto> {
    let region =
        Region::parse(q.region.as_deref().unwrap_or("KH")).map_err(|e| ApiError::invalid(e.to_string()))?;
    let shipping_method = match &q.shipping_method {
        Some(m) => Some(ShippingMethodId::parse(m).map_err(|e| ApiError::invalid(e.to_string()))?),
        None if cart.is_empty() => None,
        None => {
            let country = Region::parse(region.as_str().split('-').next().unwrap_or("KH"))
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            let address = Address {
                name: String::new(),
                line1: String::new(),
                line2: None,
                city: String::new(),
                region: region.as_str().split_once('-').map(|(_, r)| r.to_owned()),
                postal_code: None,
                country,
                phone: None,
            };
            state.engine.default_shipping_method(&address).await.ok()
        }
    };
    let options = PriceOptions { region: Some(region), shipping_method, customer: None };
    let (priced, catalog) = state.engine.price_with_products(cart, &options).await?;
    let mut products = HashMap::new();
    for line in cart.lines() {
        if let Some(p) = catalog.iter().find(|p| p.variant(&line.sku).is_some()) {
            let name = match p.variant(&line.sku).map(|v| v.name.as_str()) {
                Some(v) if !v.is_empty() => format!("{} ({v})", p.name),
                _ => p.name.clone(),
            };
            products.insert(line.sku.clone(), (p.id, name));
        }
    }
    Ok(CartDto::new(cart, &priced, &products))
}

fn respond(status: StatusCode, resolved: &Resolved, body: CartDto) -> Response {
    let mut response = (status, Json(body)).into_response();
    if resolved.guest
        && let Ok(v) = HeaderValue::from_str(&resolved.cart.id().to_string())
    {
        response.headers_mut().insert(CART_TOKEN, v);
    }
    response
}

/// `GET /api/cart`
pub async fn get_cart(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Query(q): Query<PriceQuery>,
) -> ApiResult<Response> {
    let r = resolve(&state, user, &headers).await?;
    let body = priced(&state, &r.cart, &q).await?;
    Ok(respond(StatusCode::OK, &r, body))
}

/// `POST /api/cart/add` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    product_id: Option<ProductId>,
    sku: Option<String>,
    #[serde(default = "one")]
    quantity: u32,
}

fn one() -> u32 {
    1
}

/// `POST /api/cart/add`
pub async fn add(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Json(body): Json<AddBody>,
) -> ApiResult<Response> {
    let quantity = Quantity::new(body.quantity).map_err(|e| ApiError::invalid(e.to_string()))?;
    let sku = match (&body.sku, body.product_id) {
        (Some(s), _) => Sku::parse(s).map_err(|e| ApiError::invalid(e.to_string()))?,
        (None, Some(id)) => {
            let p = state.engine.store().get_product(id).await.map_err(commerce::Error::from)?;
            let p = p.filter(|p| p.active).ok_or_else(|| ApiError::not_found("product"))?;
            let mut active = p.variants.iter().filter(|v| v.active);
            match (active.next(), active.next()) {
                (Some(v), None) => v.sku.clone(),
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid("this product has several variants: send the sku"));
                }
                (None, _) => return Err(ApiError::invalid("this product has no active variant")),
            }
        }
        (None, None) => return Err(ApiError::invalid("send product_id or sku")),
    };
    let mut r = resolve(&state, user, &headers).await?;
    r.cart = state.engine.add_to_cart(r.cart.id(), &sku, quantity).await?;
    let body = priced(&state, &r.cart, &PriceQuery::default()).await?;
    Ok(respond(StatusCode::CREATED, &r, body))
}

/// `PATCH /api/cart/lines/{sku}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityBody {
    quantity: u32,
}

fn line_sku(sku: &str) -> ApiResult<Sku> {
    Sku::parse(sku).map_err(|_| ApiError::not_found("cart line"))
}

/// `PATCH /api/cart/lines/{sku}` (quantity 0 removes the line).
pub async fn set_quantity(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path(sku): Path<String>,
    Json(body): Json<QuantityBody>,
) -> ApiResult<Response> {
    let sku = line_sku(&sku)?;
    let mut r = resolve(&state, user, &headers).await?;
    if r.cart.quantity_of(&sku) == 0 {
        return Err(ApiError::not_found("cart line"));
    }
    r.cart = state.engine.set_cart_quantity(r.cart.id(), &sku, body.quantity).await?;
    let body = priced(&state, &r.cart, &PriceQuery::default()).await?;
    Ok(respond(StatusCode::OK, &r, body))
}

/// `DELETE /api/cart/lines/{sku}`
pub async fn remove(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path(sku): Path<String>,
) -> ApiResult<Response> {
    let sku = line_sku(&sku)?;
    let mut r = resolve(&state, user, &headers).await?;
    if r.cart.quantity_of(&sku) == 0 {
        return Err(ApiError::not_found("cart line"));
    }
    r.cart = state.engine.remove_from_cart(r.cart.id(), &sku).await?;
    let body = priced(&state, &r.cart, &PriceQuery::default()).await?;
    Ok(respond(StatusCode::OK, &r, body))
}

/// `POST /api/cart/coupon` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponBody {
    code: String,
}

/// `POST /api/cart/coupon`: attaches a coupon. An unknown code is refused (400
/// `invalid_coupon`); a known one that does not apply yet (minimum not met, used up) is kept and
/// the explanation says why.
pub async fn apply_coupon(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Json(body): Json<CouponBody>,
) -> ApiResult<Response> {
    let code = CouponCode::parse(body.code.trim())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_coupon", e.to_string()))?;
    let rules = state.engine.store().pricing_rules().await.map_err(commerce::Error::from)?;
    if !rules.promotions.iter().any(|p| p.coupon.as_ref().is_some_and(|c| c.code == code)) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_coupon", format!("no coupon {code}")));
    }
    let mut r = resolve(&state, user, &headers).await?;
    r.cart = state.engine.apply_coupon(r.cart.id(), code).await?;
    let body = priced(&state, &r.cart, &PriceQuery::default()).await?;
    Ok(respond(StatusCode::OK, &r, body))
}

/// `DELETE /api/cart/coupon` (all coupons, or `?code=`).
pub async fn remove_coupon(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let mut r = resolve(&state, user, &headers).await?;
    let codes: Vec<CouponCode> = match q.get("code") {
        Some(c) => vec![CouponCode::parse(c).map_err(|e| ApiError::invalid(e.to_string()))?],
        None => r.cart.coupons().to_vec(),
    };
    for code in &codes {
        r.cart = state.engine.remove_coupon(r.cart.id(), code).await?;
    }
    let body = priced(&state, &r.cart, &PriceQuery::default()).await?;
    Ok(respond(StatusCode::OK, &r, body))
}
