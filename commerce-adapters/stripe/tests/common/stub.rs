//! A tiny scripted stand-in for Stripe: answers requests in order from a script and records
//! what it saw (method, path, `Idempotency-Key`, body).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One scripted answer: status, `Stripe-Should-Retry` header, delay, body.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub should_retry: Option<&'static str>,
    pub delay: Duration,
    pub body: &'static str,
}

pub const INTENT: &str =
    r#"{"id":"pi_1","amount":1050,"currency":"usd","status":"succeeded","amount_received":1050}"#;

pub fn ok() -> Reply {
    Reply { status: 200, should_retry: None, delay: Duration::ZERO, body: INTENT }
}

pub fn err(status: u16, should_retry: Option<&'static str>) -> Reply {
    Reply {
        status,
        should_retry,
        delay: Duration::ZERO,
        body: r#"{"error":{"type":"api_error","message":"scripted"}}"#,
    }
}

/// What the stub saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub key: Option<String>,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct Stub {
    pub script: Arc<Mutex<VecDeque<Reply>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let seen = Seen { method, path: uri.to_string(), key, body: String::from_utf8_lossy(&body).into_owned() };
    stub.seen.lock().unwrap().push(seen);
    let reply = stub.script.lock().unwrap().pop_front().unwrap_or_else(|| err(599, Some("false")));
    tokio::time::sleep(reply.delay).await;
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    if let Some(v) = reply.should_retry {
        response.headers_mut().insert("stripe-should-retry", v.parse().unwrap());
    }
    response
}

/// Starts a stub on a free port with `script`; returns its URL and state.
pub async fn stub(script: Vec<Reply>) -> (String, Stub) {
    let state = Stub { script: Arc::new(Mutex::new(script.into())), ..Stub::default() };
    let app = Router::new().fallback(answer).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}
