//! Registration, tokens, profile and password reset.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use commerce::account::{Role, Username};
use commerce::customer::Email;
use commerce::engine::{NewAccount, ProfileUpdate};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{self, Tokens, User};
use crate::dto::AccountDto;
use crate::error::{ApiError, ApiResult, Json};
use crate::routes::cart::guest_cart;

/// How long a reset token works.
const RESET_TTL_MINUTES: i64 = 30;

/// `POST /api/users/register` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    username: String,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// `POST /api/users/register` -> 201 account.
pub async fn register(
    State(state): State<AppState>,
    Json(body): Json<RegisterBody>,
) -> ApiResult<(StatusCode, Json<AccountDto>)> {
    let username = Username::parse(&body.username).map_err(|e| ApiError::invalid(e.to_string()))?;
    let email = Email::parse(body.email.trim()).map_err(|e| ApiError::invalid(e.to_string()))?;
    auth::check_password(&body.password)?;
    let password_hash = auth::hash_password(body.password).await?;
    let account = state
        .engine
        .register(NewAccount {
            username,
            email,
            password_hash,
            role: Role::Customer,
            first_name: body.first_name,
            last_name: body.last_name,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// `POST /api/users/token` body: `username` or `email`, and `password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    username: Option<String>,
    email: Option<String>,
    password: String,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong username, email or password")
}

/// `POST /api/users/token` -> access and refresh tokens. With an `X-Cart-Token` header the
/// guest's cart is merged into the user's.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<TokenBody>,
) -> ApiResult<Json<Tokens>> {
    let login = body.username.or(body.email).ok_or_else(|| ApiError::invalid("send username or email"))?;
    let account = state.engine.account_by_login(&login).await?;
    let hash = account.as_ref().map_or_else(|| auth::dummy_hash().to_owned(), |a| a.password_hash.clone());
    // Verify even for an unknown login, so the answer takes as long either way.
    let ok = auth::verify_password(body.password, hash).await;
    let account = match account {
        Some(a) if ok => a,
        _ => return Err(invalid_credentials()),
    };
    if let Some(guest) = guest_cart(&state, &headers).await? {
        state.engine.merge_guest_cart(guest.id(), account.customer_id).await?;
    }
    Ok(Json(state.keys.issue(&account)?))
}

/// `POST /api/users/token/refresh` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh: String,
}

/// `POST /api/users/token/refresh` -> a new pair (refused after a password change).
pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshBody>,
) -> ApiResult<Json<Tokens>> {
    let (id, fingerprint) = state.keys.refresh_fingerprint(&body.refresh)?;
    let account = match state.engine.account(id).await {
        Ok(a) => a,
        Err(commerce::Error::NotFound { .. }) => return Err(ApiError::unauthorized("unknown account")),
        Err(e) => return Err(e.into()),
    };
    if !auth::fingerprint_matches(&account, &fingerprint) {
        return Err(ApiError::unauthorized("the password changed; sign in again"));
    }
    Ok(Json(state.keys.issue(&account)?))
}

/// `GET /api/users/profile`
pub async fn profile(State(state): State<AppState>, user: User) -> ApiResult<Json<AccountDto>> {
    Ok(Json(state.engine.account(user.account_id).await?.into()))
}

/// `PUT /api/users/profile` body (absent fields stay; `null` names clear).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    email: Option<String>,
    #[serde(default, deserialize_with = "some")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    last_name: Option<Option<String>>,
}

fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /api/users/profile`
pub async fn update_profile(
    State(state): State<AppState>,
    user: User,
    Json(body): Json<ProfileBody>,
) -> ApiResult<Json<AccountDto>> {
    let email = match body.email {
        Some(e) => Some(Email::parse(e.trim()).map_err(|e| ApiError::invalid(e.to_string()))?),
        None => None,
    };
    let update = ProfileUpdate { email, first_name: body.first_name, last_name: body.last_name };
    Ok(Json(state.engine.update_profile(user.account_id, update).await?.into()))
}

/// `POST /api/users/password_reset` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    email: String,
}

/// `POST /api/users/password_reset` -> 202 whether or not the email has an account; for one
/// that has, the reset email goes out through the outbox.
pub async fn password_reset(
    State(state): State<AppState>,
    Json(body): Json<ResetBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let email = Email::parse(body.email.trim()).map_err(|e| ApiError::invalid(e.to_string()))?;
    let (token, hash) = auth::reset_token();
    state.engine.request_password_reset(&email, &token, &hash, Duration::minutes(RESET_TTL_MINUTES)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "status": "accepted",
            "message": "if an account has this email, a reset link is on its way"
        })),
    ))
}

/// `POST /api/users/password_reset/confirm` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    token: String,
    new_password: String,
}

/// `POST /api/users/password_reset/confirm`: one use per token; revokes refresh tokens.
pub async fn password_reset_confirm(
    State(state): State<AppState>,
    Json(body): Json<ResetConfirmBody>,
) -> ApiResult<Json<serde_json::Value>> {
    auth::check_password(&body.new_password)?;
    if body.token.is_empty() || body.token.len() > 200 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "the reset token is invalid or has expired",
        ));
    }
    let hash = auth::hash_password(body.new_password).await?;
    match state.engine.reset_password(&auth::token_hash(&body.token), &hash).await {
        Ok(_) => Ok(Json(serde_json::json!({"status": "password_changed"}))),
        Err(commerce::Error::Invalid(m)) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_token", m)),
        Err(e) => Err(e.into()),
    }
}
