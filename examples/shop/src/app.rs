//! The application state and the router.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post, put};
use commerce::bakong::api::BakongClient;
use commerce::bakong::sandbox::SandboxHandle;
use commerce::{Currency, Engine};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Keys;
use crate::config::Config;
use crate::mail::Mailer;
use crate::routes::{admin, cart, catalog, discovery, orders, payments, users};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Arc<Engine>,
    /// Token keys.
    pub keys: Keys,
    /// The shop's currency.
    pub currency: Currency,
    /// Outgoing email.
    pub mailer: Mailer,
    /// Bakong, when offered.
    pub bakong: Option<Arc<BakongState>>,
    /// Whether Stripe webhooks can be verified.
    pub stripe_webhooks: bool,
    /// The configuration.
    pub config: Arc<Config>,
}

/// The Bakong client (for status checks) and, in sandbox mode, the stand-in.
pub struct BakongState {
    /// Open API client.
    pub client: BakongClient,
    /// The local stand-in (`BAKONG_SANDBOX=1`).
    pub sandbox: Option<SandboxHandle>,
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let admin_catalog = Router::new()
        .route("/categories", post(admin::create_category))
        .route("/categories/{id}", put(admin::update_category).delete(admin::delete_category))
        .route("/products", post(admin::create_product))
        .route("/products/{id}", put(admin::update_product).delete(admin::delete_product));
    let mut api = Router::new()
        .route("/users/register", post(users::register))
        .route("/users/token", post(users::token))
        .route("/users/token/refresh", post(users::refresh))
        .route("/users/profile", get(users::profile).put(users::update_profile))
        .route("/users/password_reset", post(users::password_reset))
        .route("/users/password_reset/confirm", post(users::password_reset_confirm))
        .route("/categories", get(catalog::categories).post(admin::create_category))
        .route("/categories/{id}", put(admin::update_category).delete(admin::delete_category))
        .route("/products", get(catalog::products).post(admin::create_product))
        .route("/products/search", get(catalog::search))
        .route(
            "/products/{id}",
            get(catalog::product).put(admin::update_product).delete(admin::delete_product),
        )
        .route("/cart", get(cart::get_cart))
        .route("/cart/add", post(cart::add))
        .route("/cart/lines/{sku}", patch(cart::set_quantity).delete(cart::remove))
        .route("/cart/coupon", post(cart::apply_coupon).delete(cart::remove_coupon))
        .route("/orders", get(orders::list))
        .route("/orders/create", post(orders::create))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/payments/process", post(payments::process))
        .route("/payments/{id}", get(payments::get))
        .route("/payments/{id}/qr.svg", get(payments::qr_svg))
        .route("/recommendations", get(discovery::recommendations))
        .route("/popular", get(discovery::popular))
        .route("/recently-viewed", get(discovery::recently_viewed))
        .nest("/admin", admin_catalog)
        .route("/admin/orders", get(admin::orders))
        .route("/admin/orders/{id}/fulfil", post(admin::fulfil))
        .route("/admin/orders/{id}/refund", post(admin::refund))
        .route("/admin/stock/{sku}", get(admin::stock).put(admin::set_stock));
    // The buyer-pays stand-in exists only with the sandbox, never with a real token.
    if state.bakong.as_ref().is_some_and(|b| b.sandbox.is_some()) {
        api = api.route("/dev/bakong/{md5}/pay", post(payments::dev_pay));
    }
    Router::new()
        .route("/health", get(health))
        .route("/webhooks/stripe", post(payments::stripe_webhook))
        .nest("/api", api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            crate::error::ApiError::internal("a handler panicked").into_response_owned()
        }))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::not_found("route")
}

impl crate::error::ApiError {
    fn into_response_owned(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}
