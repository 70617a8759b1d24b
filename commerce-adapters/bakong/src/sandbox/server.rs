//! The sandbox's HTTP side: one handler that counts, applies faults, checks the token and
//! answers each endpoint in the documented shapes.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use commerce_core::Currency;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Fault, Record, SandboxPayment, State, lock};
use crate::api::MAX_MD5_PER_CALL;

#[derive(Clone)]
struct Ctx {
    state: Arc<Mutex<State>>,
    url: Arc<str>,
}

pub(super) fn router(state: Arc<Mutex<State>>, url: String) -> Router {
    Router::new().route("/v1/{endpoint}", post(handle)).with_state(Ctx { state, url: url.into() })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeOut {
    response_code: i64,
    response_message: String,
    error_code: Option<i64>,
    data: Option<Box<RawValue>>,
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn ok(data: Option<Box<RawValue>>) -> Response {
    json(
        StatusCode::OK,
        &EnvelopeOut { response_code: 0, response_message: "Success".into(), error_code: None, data },
    )
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    json(
        status,
        &EnvelopeOut {
            response_code: 1,
            response_message: message.into(),
            error_code: Some(code),
            data: None,
        },
    )
}

fn missing(what: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 5, &format!("Missing or invalid required field: {what}"))
}

fn raw<T: Serialize>(value: &T) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(value).ok()
}

async fn handle(
    AxumState(ctx): AxumState<Ctx>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fault, authorized) = {
        let mut state = lock(&ctx.state);
        *state.requests.entry(endpoint.clone()).or_insert(0) += 1;
        let expected = format!("Bearer {}", state.token);
        let authorized = !state.token_expired
            && headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str());
        (state.faults.pop_front(), authorized)
    };
    match fault {
        Some(Fault::RateLimited) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, 429, "Too many requests");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
            return response;
        }
        Some(Fault::ServerError) => return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "Internal error"),
        Some(Fault::MalformedBody) => {
            return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"responseCode\":0,")
                .into_response();
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Code { status, error_code }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, error_code, "Injected error");
        }
        Some(Fault::Raw { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, body).into_response();
        }
        None => {}
    }
    if endpoint == "renew_token" {
        return renew_token(&ctx, &body);
    }
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            6,
            "Unauthorized, not yet requested for token or code invalid",
        );
    }
    match endpoint.as_str() {
        "check_transaction_by_md5" => by_md5(&ctx, &body),
        "check_transaction_by_hash" => by_hash(&ctx, &body),
        "check_transaction_by_short_hash" => by_short_hash(&ctx, &body),
        "check_transaction_by_md5_list" => by_md5_list(&ctx, &body),
        "generate_deeplink_by_qr" => deeplink(&ctx, &body),
        "check_bakong_account" => account(&ctx, &body),
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionOut<'a> {
    hash: &'a str,
    from_account_id: &'a str,
    to_account_id: &'a str,
    currency: &'a str,
    amount: Box<RawValue>,
    description: Option<&'a str>,
    created_date_ms: i64,
    acknowledged_date_ms: i64,
}

/// A paid record as the API writes it: the amount a JSON number with no trailing zeros, as
/// JavaScript would print it.
fn transaction_data(payment: &SandboxPayment, at: DateTime<Utc>) -> Option<Box<RawValue>> {
    let amount = RawValue::from_string(payment.amount.amount().normalize().to_string()).ok()?;
    raw(&TransactionOut {
        hash: &payment.hash,
        from_account_id: &payment.from_account_id,
        to_account_id: &payment.to_account_id,
        currency: payment.amount.currency().code(),
        amount,
        description: payment.description.as_deref(),
        created_date_ms: at.timestamp_millis(),
        acknowledged_date_ms: at.timestamp_millis() + 1000,
    })
}

fn record_response(record: Option<&Record>) -> Response {
    match record {
        Some(Record::Paid(payment, at)) => ok(transaction_data(payment, *at)),
        Some(Record::Failed) => error(StatusCode::OK, 3, "Transaction failed."),
        Some(Record::StaticQr) => error(StatusCode::OK, 2, "Static QR is not supported."),
        None => error(StatusCode::OK, 1, "Transaction could not be found. Please check and try again."),
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Deserialize)]
struct Md5In {
    md5: Option<String>,
}

fn by_md5(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(Md5In { md5: Some(md5) }) = serde_json::from_slice(body) else { return missing("md5") };
    if !is_hex(&md5, 32) {
        return missing("md5");
    }
    record_response(lock(&ctx.state).records.get(&md5.to_ascii_lowercase()))
}

#[derive(Deserialize)]
struct HashIn<'a> {
    hash: Option<String>,
    #[serde(borrow, default)]
    amount: Option<&'a RawValue>,
    #[serde(default)]
    currency: Option<String>,
}

fn find_paid(state: &State, matches: impl Fn(&SandboxPayment) -> bool) -> Option<&Record> {
    state.records.values().find(|r| matches!(r, Record::Paid(p, _) if matches(p)))
}

fn by_hash(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(HashIn { hash: Some(hash), .. }) = serde_json::from_slice(body) else { return missing("hash") };
    if !is_hex(&hash, 64) {
        return missing("hash");
    }
    let hash = hash.to_ascii_lowercase();
    record_response(find_paid(&lock(&ctx.state), |p| p.hash == hash))
}

fn by_short_hash(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(HashIn { hash: Some(hash), amount: Some(amount), currency: Some(currency) }) =
        serde_json::from_slice(body)
    else {
        return missing("hash, amount, currency");
    };
    let Ok(amount) = crate::api::exact_decimal(amount.get()) else { return missing("amount") };
    let Ok(currency) = Currency::from_code(&currency) else { return missing("currency") };
    if !is_hex(&hash, 8) {
        return missing("hash");
    }
    let hash = hash.to_ascii_lowercase();
    record_response(find_paid(&lock(&ctx.state), |p| {
        p.hash.starts_with(&hash) && p.amount.currency() == currency && p.amount.amount() == amount
    }))
}

#[derive(Serialize)]
struct Md5ItemOut {
    md5: String,
    status: &'static str,
    message: &'static str,
    data: Option<Box<RawValue>>,
}

fn by_md5_list(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(md5s) = serde_json::from_slice::<Vec<String>>(body) else {
        return missing("a JSON array of md5 hashes");
    };
    if md5s.is_empty() || md5s.len() > MAX_MD5_PER_CALL {
        return error(StatusCode::BAD_REQUEST, 5, "The md5 list must hold 1 to 50 hashes");
    }
    if md5s.iter().any(|m| !is_hex(m, 32)) {
        return missing("md5");
    }
    let state = lock(&ctx.state);
    let items: Vec<Md5ItemOut> = md5s
        .into_iter()
        .map(|md5| {
            let (status, message, data) = match state.records.get(&md5.to_ascii_lowercase()) {
                Some(Record::Paid(payment, at)) => ("SUCCESS", "Success", transaction_data(payment, *at)),
                Some(Record::Failed) => ("FAILED", "Transaction failed.", None),
                Some(Record::StaticQr) | None => ("NOT_FOUND", "Transaction could not be found.", None),
            };
            Md5ItemOut { md5, status, message, data }
        })
        .collect();
    ok(raw(&items))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeepLinkIn {
    qr: Option<String>,
    source_info: Option<SourceInfoIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceInfoIn {
    app_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShortLinkOut {
    short_link: String,
}

fn deeplink(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(DeepLinkIn { qr: Some(qr), source_info: Some(SourceInfoIn { app_name: Some(_) }) }) =
        serde_json::from_slice(body)
    else {
        return missing("qr, sourceInfo.appName");
    };
    // A KHQR ends with its CRC field `6304XXXX`; anything else cannot be linked.
    let crc_ok = qr.len() >= 12 && qr.is_char_boundary(qr.len() - 8) && {
        let tail = &qr[qr.len() - 8..];
        tail.starts_with("6304") && tail[4..].bytes().all(|b| b.is_ascii_hexdigit())
    };
    if !crc_ok {
        return error(StatusCode::OK, 4, "Deep link provider refused the QR");
    }
    let n = {
        let mut state = lock(&ctx.state);
        state.links += 1;
        state.links
    };
    ok(raw(&ShortLinkOut { short_link: format!("{}/link/{n}", ctx.url) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountIn {
    account_id: Option<String>,
}

/// `name@bank`: letters, digits, `_` and `.` before the `@`, letters and digits after.
fn valid_account(id: &str) -> bool {
    let Some((name, bank)) = id.split_once('@') else { return false };
    let ok = |s: &str, extra: &[u8]| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    id.len() <= 32 && ok(name, b"_.") && ok(bank, b"")
}

fn account(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(AccountIn { account_id: Some(id) }) = serde_json::from_slice(body) else {
        return missing("accountId");
    };
    if !valid_account(&id) {
        return error(StatusCode::OK, 12, "Bakong account is invalid");
    }
    if !lock(&ctx.state).accounts.contains(&id) {
        return error(StatusCode::OK, 11, "Bakong account not found");
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Exists {
        bakong_account_exists: bool,
    }
    ok(raw(&Exists { bakong_account_exists: true }))
}

#[derive(Deserialize)]
struct EmailIn {
    email: Option<String>,
}

#[derive(Serialize)]
struct TokenOut<'a> {
    token: &'a str,
}

fn renew_token(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(EmailIn { email: Some(email) }) = serde_json::from_slice(body) else { return missing("email") };
    let mut state = lock(&ctx.state);
    if !state.emails.contains(&email) {
        return error(StatusCode::OK, 10, "Not registered yet");
    }
    state.renewals += 1;
    state.token = format!("sandbox-token-renewed-{}", state.renewals);
    state.token_expired = false;
    ok(raw(&TokenOut { token: &state.token }))
}
