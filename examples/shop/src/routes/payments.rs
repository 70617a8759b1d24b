//! Payments: start (Stripe or Bakong KHQR), read (checking the provider), the KHQR image, the
//! Stripe webhook, and the sandbox's buyer-pays route.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commerce::engine::StartPaymentOptions;
use commerce::payment::{Payment, PaymentAction, PaymentStatus};
use commerce::ports::{GatewayError, NotificationRequest};
use commerce::{OrderId, PaymentId};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::User;
use crate::dto::PaymentDto;
use crate::error::{ApiError, ApiResult, Json, Path};
use crate::routes::orders::own_order;

/// A payment of this user's, or 404.
async fn own_payment(state: &AppState, user: &User, id: PaymentId) -> ApiResult<Payment> {
    let p = match state.engine.payment(id).await {
        Ok(p) => p,
        Err(commerce::Error::NotFound { .. }) => return Err(ApiError::not_found("payment")),
        Err(e) => return Err(e.into()),
    };
    own_order(state, user, p.order_id).await.map_err(|_| ApiError::not_found("payment"))?;
    Ok(p)
}

/// `POST /api/payments/process` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessBody {
    order_id: OrderId,
    provider: String,
    /// Stripe: a saved payment method to confirm at once (`pm_...`).
    payment_method: Option<String>,
}

/// The answer: the payment, with `payment_id` as the clients expect.
#[derive(Serialize)]
pub struct ProcessDto {
    payment_id: PaymentId,
    #[serde(flatten)]
    payment: PaymentDto,
}

/// `POST /api/payments/process`
pub async fn process(
    State(state): State<AppState>,
    user: User,
    Json(body): Json<ProcessBody>,
) -> ApiResult<(StatusCode, Json<ProcessDto>)> {
    own_order(&state, &user, body.order_id).await?;
    if !state.engine.gateway_names().contains(&body.provider.as_str()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown_provider",
            format!(
                "payment provider {:?} is not offered here (offered: {:?})",
                body.provider,
                state.engine.gateway_names()
            ),
        ));
    }
    let options = StartPaymentOptions { payment_method: body.payment_method, ..Default::default() };
    let p = state.engine.start_payment(body.order_id, &body.provider, options).await?;
    Ok((StatusCode::CREATED, Json(ProcessDto { payment_id: p.id, payment: p.into() })))
}

/// `GET /api/payments/{id}`: an open payment is first checked with its provider (Bakong: the
/// Open API's transaction lookup), which moves it and its order on when paid.
pub async fn get(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<PaymentId>,
) -> ApiResult<Json<PaymentDto>> {
    let p = own_payment(&state, &user, id).await?;
    let open =
        matches!(p.status, PaymentStatus::Pending | PaymentStatus::RequiresAction) && p.reference.is_some();
    let p = if open {
        match state.engine.confirm_payment(id).await {
            Ok(p) => p,
            Err(e) => {
                // The provider could not be asked; answer with what we know.
                tracing::warn!(payment = %id, error = %e, "payment status check failed");
                state.engine.payment(id).await?
            }
        }
    } else {
        p
    };
    Ok(Json(p.into()))
}

/// `GET /api/payments/{id}/qr.svg`: the KHQR of an open Bakong payment.
pub async fn qr_svg(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<PaymentId>,
) -> ApiResult<Response> {
    let p = own_payment(&state, &user, id).await?;
    let Some(PaymentAction::ShowQr { qr, .. }) = p.action else {
        return Err(ApiError::not_found("QR code"));
    };
    let svg = commerce::bakong::qr_image::svg(&qr).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=300")], svg)
        .into_response())
}

/// `POST /webhooks/stripe`: verified against `STRIPE_WEBHOOK_SECRET` over the raw body; a bad
/// signature is 400 and changes nothing.
pub async fn stripe_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !state.engine.gateway_names().contains(&"stripe") {
        return ApiError::not_found("route").into_response();
    }
    if !state.stripe_webhooks {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "STRIPE_WEBHOOK_SECRET is not set",
        )
        .into_response();
    }
    let headers: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned())))
        .collect();
    let request = NotificationRequest { headers, body: &body };
    match state.engine.handle_notification("stripe", &request).await {
        Ok(p) => {
            tracing::info!(payment = %p.id, status = p.status.as_str(), "stripe webhook applied");
            (StatusCode::OK, axum::Json(serde_json::json!({"received": true}))).into_response()
        }
        Err(commerce::Error::Gateway(GatewayError::InvalidNotification(m))) => {
            tracing::warn!(reason = %m, "stripe webhook refused");
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_notification", m).into_response()
        }
        Err(commerce::Error::NotFound { .. })
        | Err(commerce::Error::Gateway(GatewayError::Unsupported { .. })) => {
            // Not one of ours, or an event type we do not act on: acknowledge so Stripe stops.
            (StatusCode::OK, axum::Json(serde_json::json!({"received": true, "ignored": true})))
                .into_response()
        }
        Err(e) => {
            // Anything else: 5xx, so Stripe retries later.
            ApiError::from(e).into_response()
        }
    }
}

/// `POST /api/dev/bakong/{md5}/pay` (sandbox only): plays the buyer scanning the QR and paying
/// exactly what it asks.
pub async fn dev_pay(
    State(state): State<AppState>,
    Path(md5): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let sandbox =
        state.bakong.as_ref().and_then(|b| b.sandbox.as_ref()).ok_or_else(|| ApiError::not_found("route"))?;
    let md5 = md5.to_ascii_lowercase();
    let open = state.engine.store().open_payments("bakong", 10_000).await.map_err(commerce::Error::from)?;
    let qr = open
        .iter()
        .find_map(|p| match &p.action {
            Some(PaymentAction::ShowQr { qr, md5: m, .. }) if m.eq_ignore_ascii_case(&md5) => {
                Some(qr.clone())
            }
            _ => None,
        })
        .ok_or_else(|| ApiError::not_found("open KHQR payment"))?;
    let hash = sandbox.pay_qr(&qr).ok_or_else(|| ApiError::invalid("not a KHQR with an amount"))?;
    Ok(Json(serde_json::json!({"paid": true, "md5": md5, "transaction_hash": hash})))
}
