//! API errors: `{"error": {"code", "message"}}` with a fitting status. Engine errors map by
//! their stable code; internal failures answer 500 without details (they are logged).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    /// 400 `invalid_input`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }
    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 403 `forbidden`.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "this needs an admin account")
    }
    /// 500 `internal`, logging the cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Inner { code: self.code, message: &self.message } };
        (self.status, axum::Json(body)).into_response()
    }
}

/// A handler result.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<commerce::Error> for ApiError {
    fn from(e: commerce::Error) -> Self {
        use commerce::Error as E;
        let code = e.code();
        let status = match &e {
            E::NotFound { .. } => StatusCode::NOT_FOUND,
            E::OutOfStock { .. }
            | E::AlreadyExists { .. }
            | E::IdempotencyConflict { .. }
            | E::QuoteChanged { .. }
            | E::CouponUnavailable(_)
            | E::Contention { .. }
            | E::Order(_)
            | E::Payment(_)
            | E::Checkout(_) => StatusCode::CONFLICT,
            E::Cart(_)
            | E::Money(_)
            | E::Unavailable { .. }
            | E::ShippingUnavailable(_)
            | E::EmptyCart
            | E::Missing(_)
            | E::Invalid(_)
            | E::UnknownProvider(_) => StatusCode::UNPROCESSABLE_ENTITY,
            E::Gateway(commerce::ports::GatewayError::Declined { .. }) => StatusCode::PAYMENT_REQUIRED,
            E::Gateway(_) => StatusCode::BAD_GATEWAY,
            E::Store(commerce::ports::storage::StoreError::Conflict { .. }) => StatusCode::CONFLICT,
            _ => return ApiError::internal(e),
        };
        if status == StatusCode::BAD_GATEWAY {
            tracing::warn!(error = %e, "payment provider error");
        }
        ApiError::new(status, code, e.to_string())
    }
}

/// `axum::Json` with our error shape for bad bodies: 400 `invalid_json` for syntax, 422
/// `invalid_input` for wrong types or missing fields, 415 without a JSON content type, 413
/// beyond the body limit.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => ApiError::invalid(e.body_text()),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text())
        }
        JsonRejection::MissingJsonContentType(e) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", e.body_text())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is too large")
        }
        other => ApiError::new(other.status(), "invalid_body", other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with our error shape (a malformed id is a 404: no such thing).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::not_found("resource")),
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// `axum::extract::Query` with our error shape.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::invalid(e.body_text())),
            Err(e) => Err(ApiError::invalid(e.body_text())),
        }
    }
}
