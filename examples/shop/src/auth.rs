//! Authentication: argon2id password hashes and HS256 JWT access/refresh tokens.
//!
//! Access tokens live 15 minutes and are checked without a database read. Refresh tokens live
//! 7 days and carry a fingerprint of the password hash, so changing or resetting the password
//! revokes every refresh token issued before. Admin routes re-read the account, so a demoted
//! admin loses access at once.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use commerce::account::{Account, Role};
use commerce::{AccountId, CustomerId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::ApiError;

/// Access token lifetime.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Refresh token lifetime.
pub const REFRESH_TTL_SECS: i64 = 7 * 24 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Signing keys.
#[derive(Clone)]
pub struct Keys {
    encoding: Arc<EncodingKey>,
    decoding: Arc<DecodingKey>,
}

impl Keys {
    /// Keys from a secret.
    pub fn new(secret: &[u8]) -> Self {
        Keys {
            encoding: Arc::new(EncodingKey::from_secret(secret)),
            decoding: Arc::new(DecodingKey::from_secret(secret)),
        }
    }

    /// Keys from 32 random bytes (tokens die with the process).
    pub fn random() -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Keys::new(&secret)
    }
}

/// JWT claims.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    cid: String,
    role: Role,
    typ: String,
    /// Refresh tokens: fingerprint of the password hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pwf: Option<String>,
    iat: i64,
    exp: i64,
}

/// A token pair.
#[derive(Debug, Serialize)]
pub struct Tokens {
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
    /// Always `"Bearer"`.
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
}

fn password_fingerprint(hash: &str) -> String {
    hex::encode(&Sha256::digest(hash.as_bytes())[..8])
}

impl Keys {
    /// Issues an access and a refresh token for `account`.
    pub fn issue(&self, account: &Account) -> Result<Tokens, ApiError> {
        let now = Utc::now().timestamp();
        let claims = |typ: &str, ttl: i64, pwf: Option<String>| Claims {
            sub: account.id.to_string(),
            cid: account.customer_id.to_string(),
            role: account.role,
            typ: typ.to_owned(),
            pwf,
            iat: now,
            exp: now + ttl,
        };
        let header = Header::new(Algorithm::HS256);
        let access = jsonwebtoken::encode(&header, &claims("access", ACCESS_TTL_SECS, None), &self.encoding)
            .map_err(ApiError::internal)?;
        let refresh = jsonwebtoken::encode(
            &header,
            &claims("refresh", REFRESH_TTL_SECS, Some(password_fingerprint(&account.password_hash))),
            &self.encoding,
        )
        .map_err(ApiError::internal)?;
        Ok(Tokens { access, refresh, token_type: "Bearer", expires_in: ACCESS_TTL_SECS })
    }

    fn decode(&self, token: &str, typ: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::unauthorized("the token is invalid or has expired"))?;
        if data.claims.typ != typ {
            return Err(ApiError::unauthorized(format!("expected an {typ} token")));
        }
        Ok(data.claims)
    }

    /// The password fingerprint a refresh token carries.
    pub fn refresh_fingerprint(&self, token: &str) -> Result<(AccountId, String), ApiError> {
        let claims = self.decode(token, "refresh")?;
        let id: AccountId = claims.sub.parse().map_err(|_| ApiError::unauthorized("bad token subject"))?;
        Ok((id, claims.pwf.unwrap_or_default()))
    }
}

/// Whether `fingerprint` (from a refresh token) matches `account`'s current password.
pub fn fingerprint_matches(account: &Account, fingerprint: &str) -> bool {
    password_fingerprint(&account.password_hash) == fingerprint
}

/// Checks the password rules.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::invalid(format!("the password may have at most {MAX_PASSWORD_BYTES} bytes")));
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes), off the async
/// threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Verifies a password against a stored PHC hash, off the async threads.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the login is unknown, so timing does not reveal which
/// accounts exist.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Fb1ZZSR4w8gEYc7m3c3l8kcpI0lYxJZ7Zx2P3rrXxA"
}

/// A new password-reset token (32 random bytes, URL-safe base64) and its SHA-256 hex.
pub fn reset_token() -> (String, String) {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The SHA-256 hex of a reset token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user (a valid access token is required).
#[derive(Debug, Clone, Copy)]
pub struct User {
    /// The account.
    pub account_id: AccountId,
    /// Its customer.
    pub customer_id: CustomerId,
    /// Its role when the token was issued.
    pub role: Role,
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::unauthorized("expected Authorization: Bearer <access token>")),
    }
}

fn user_from(state: &AppState, token: &str) -> Result<User, ApiError> {
    let claims = state.keys.decode(token, "access")?;
    Ok(User {
        account_id: claims.sub.parse().map_err(|_| ApiError::unauthorized("bad token subject"))?,
        customer_id: claims.cid.parse().map_err(|_| ApiError::unauthorized("bad token subject"))?,
        role: claims.role,
    })
}

impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?
            .ok_or_else(|| ApiError::unauthorized("sign in first (Authorization: Bearer ...)"))?;
        user_from(state, token)
    }
}

/// The signed-in user if there is an `Authorization` header (which must then be valid).
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            None => Ok(MaybeUser(None)),
            Some(token) => Ok(MaybeUser(Some(user_from(state, token)?))),
        }
    }
}

/// A signed-in admin (the role is re-read from the store).
#[derive(Debug, Clone, Copy)]
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = User::from_request_parts(parts, state).await?;
        let account = state
            .engine
            .account(user.account_id)
            .await
            .map_err(|_| ApiError::unauthorized("unknown account"))?;
        if account.role != Role::Admin {
            return Err(ApiError::forbidden());
        }
        Ok(Admin(user))
    }
}
