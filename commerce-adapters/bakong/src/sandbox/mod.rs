//! A local stand-in of the Bakong Open API, for tests and offline demos (feature `sandbox`).
//!
//! It speaks the documented request and response shapes of every endpoint the
//! [`BakongClient`](crate::api::BakongClient) calls: bearer-token checks, the
//! `{responseCode, responseMessage, errorCode, data}` envelope and the documented error codes.
//! Nothing is paid until the host says so: [`SandboxHandle::pay`] records a transaction for an
//! MD5 (any amount, so a wrong amount is one call too), [`SandboxHandle::fail`] marks one
//! failed, [`SandboxHandle::expire_token`] makes every call answer 401, and
//! [`SandboxHandle::inject`] makes the next requests misbehave (429, 500, a malformed body, a
//! slow answer, any error code).
//!
//! ```no_run
//! use commerce_bakong::sandbox::Sandbox;
//! use commerce_core::{Currency, Money};
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = Sandbox::start("127.0.0.1:0").await?;
//! println!("Bakong stand-in at {} (token {:?})", sandbox.url(), sandbox.token());
//! // ... the shop shows a KHQR whose MD5 is `md5`; the "buyer" pays it:
//! # let md5 = "d76c833eb7f91f710a622b84b5c86ef5";
//! let hash = sandbox.pay(md5, Money::new(50000.into(), Currency::KHR));
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod server;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use commerce_core::Money;
use rand::Rng;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::Token;

/// The sandbox's starting state.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// The token the sandbox accepts until it is expired or renewed.
    pub token: String,
    /// Emails that may renew the token.
    pub emails: Vec<String>,
    /// Bakong accounts that `check_bakong_account` reports as existing.
    pub accounts: Vec<String>,
}

impl Default for SandboxConfig {
    /// Token `sandbox-token`, email `dev@example.com`, account `merchant@sandbox`.
    fn default() -> Self {
        SandboxConfig {
            token: "sandbox-token".into(),
            emails: vec!["dev@example.com".into()],
            accounts: vec!["merchant@sandbox".into()],
        }
    }
}

impl SandboxConfig {
    /// Sets the accepted token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Adds an email that may renew the token.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.emails.push(email.into());
        self
    }

    /// Adds an existing Bakong account.
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.accounts.push(account.into());
        self
    }
}

/// A payment to record in the sandbox, as the payer's bank would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxPayment {
    /// The amount received (major units) and its currency.
    pub amount: Money,
    /// The transaction hash (64 hex digits).
    pub hash: String,
    /// The payer's account.
    pub from_account_id: String,
    /// The payee's account.
    pub to_account_id: String,
    /// The payer's description.
    pub description: Option<String>,
}

impl SandboxPayment {
    /// A payment of `amount` with a random hash, from `payer@sandbox` to `merchant@sandbox`.
    pub fn new(amount: Money) -> Self {
        let mut rng = rand::rng();
        let hash = (0..32).map(|_| format!("{:02x}", rng.random::<u8>())).collect();
        SandboxPayment {
            amount,
            hash,
            from_account_id: "payer@sandbox".into(),
            to_account_id: "merchant@sandbox".into(),
            description: None,
        }
    }

    /// Sets the hash.
    pub fn with_hash(mut self, hash: impl Into<String>) -> Self {
        self.hash = hash.into().to_ascii_lowercase();
        self
    }

    /// Sets the payer's account.
    pub fn with_from(mut self, account: impl Into<String>) -> Self {
        self.from_account_id = account.into();
        self
    }

    /// Sets the payee's account.
    pub fn with_to(mut self, account: impl Into<String>) -> Self {
        self.to_account_id = account.into();
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A misbehaviour for the next request (each injected fault is used by exactly one request,
/// in the order injected, whatever the endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 0`.
    RateLimited,
    /// HTTP 500 with an error envelope.
    ServerError,
    /// HTTP 200 with a body that is not JSON.
    MalformedBody,
    /// Answer normally, after this delay.
    Slow(Duration),
    /// An error envelope with this HTTP status and `errorCode` (e.g. 200 + 4 for a deep-link
    /// provider failure, 200 + 9 for "cannot connect").
    Code {
        /// The HTTP status.
        status: u16,
        /// The `errorCode`.
        error_code: i64,
    },
    /// This exact status and body.
    Raw {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
}

#[derive(Debug, Clone)]
enum Record {
    Paid(SandboxPayment, chrono::DateTime<chrono::Utc>),
    Failed,
    StaticQr,
}

#[derive(Debug)]
struct State {
    token: String,
    token_expired: bool,
    renewals: u32,
    emails: HashSet<String>,
    accounts: HashSet<String>,
    records: HashMap<String, Record>,
    faults: VecDeque<Fault>,
    requests: HashMap<String, u64>,
    links: u64,
}

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox with the default [`SandboxConfig`] on `addr` (`"127.0.0.1:0"` picks a
    /// free port; read it back with [`SandboxHandle::url`]).
    pub async fn start(addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<SandboxHandle> {
        Sandbox::start_with(addr, SandboxConfig::default()).await
    }

    /// Starts a sandbox with `config`.
    pub async fn start_with(
        addr: impl tokio::net::ToSocketAddrs,
        config: SandboxConfig,
    ) -> std::io::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            token: config.token,
            token_expired: false,
            renewals: 0,
            emails: config.emails.into_iter().collect(),
            accounts: config.accounts.into_iter().collect(),
            records: HashMap::new(),
            faults: VecDeque::new(),
            requests: HashMap::new(),
            links: 0,
        }));
        let url = format!("http://{local}");
        let (tx, rx) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&state), url.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "Bakong sandbox stopped");
            }
        });
        Ok(SandboxHandle {
            inner: Arc::new(HandleInner { addr: local, url, state, stop: Mutex::new(Some((tx, task))) }),
        })
    }
}

/// A running sandbox. Clones control the same server; it stops on [`shutdown`](Self::shutdown)
/// or when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct SandboxHandle {
    inner: Arc<HandleInner>,
}

#[derive(Debug)]
struct HandleInner {
    addr: SocketAddr,
    url: String,
    state: Arc<Mutex<State>>,
    stop: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        if let Some((tx, _task)) = self.stop.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(());
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl SandboxHandle {
    /// The base URL to configure the client with (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The token the sandbox currently accepts (even if expired: see
    /// [`expire_token`](Self::expire_token)).
    pub fn token(&self) -> Token {
        Token::new(lock(&self.inner.state).token.clone())
    }

    /// Records a payment of `amount` for `md5` (the MD5 of the KHQR string) with a random hash,
    /// replacing whatever the MD5 had. Returns the transaction hash. Pay a different amount or
    /// currency than the QR asks to simulate a mismatch.
    pub fn pay(&self, md5: &str, amount: Money) -> String {
        self.pay_with(md5, SandboxPayment::new(amount))
    }

    /// Records `payment` for `md5`. Returns its hash.
    pub fn pay_with(&self, md5: &str, payment: SandboxPayment) -> String {
        let hash = payment.hash.clone();
        lock(&self.inner.state)
            .records
            .insert(md5.to_ascii_lowercase(), Record::Paid(payment, chrono::Utc::now()));
        hash
    }

    /// Pays a dynamic KHQR exactly what it asks (amount and currency decoded from `qr`), under
    /// the QR's MD5. Returns the transaction hash, or `None` when `qr` is not a KHQR with an
    /// amount (nothing is recorded then).
    pub fn pay_qr(&self, qr: &str) -> Option<String> {
        let decoded = crate::khqr::decode(qr).ok()?;
        let amount = decoded.money()?;
        let mut payment = SandboxPayment::new(amount);
        if let Some(account) = decoded.bakong_account_id() {
            payment = payment.with_to(account);
        }
        Some(self.pay_with(&decoded.md5, payment))
    }

    /// Marks `md5` as a failed transaction (`errorCode` 3).
    pub fn fail(&self, md5: &str) {
        lock(&self.inner.state).records.insert(md5.to_ascii_lowercase(), Record::Failed);
    }

    /// Marks `md5` as belonging to a static QR (`errorCode` 2).
    pub fn mark_static(&self, md5: &str) {
        lock(&self.inner.state).records.insert(md5.to_ascii_lowercase(), Record::StaticQr);
    }

    /// Forgets what was recorded for `md5` (it reads as not paid again).
    pub fn forget(&self, md5: &str) {
        lock(&self.inner.state).records.remove(&md5.to_ascii_lowercase());
    }

    /// Makes the current token expired: every call needing one answers HTTP 401, `errorCode` 6,
    /// until the token is renewed.
    pub fn expire_token(&self) {
        lock(&self.inner.state).token_expired = true;
    }

    /// Adds an existing Bakong account.
    pub fn add_account(&self, account: &str) {
        lock(&self.inner.state).accounts.insert(account.to_owned());
    }

    /// Queues a fault for the next request that has none yet.
    pub fn inject(&self, fault: Fault) {
        lock(&self.inner.state).faults.push_back(fault);
    }

    /// Queues `fault` for the next `times` requests.
    pub fn inject_times(&self, fault: Fault, times: usize) {
        let mut state = lock(&self.inner.state);
        for _ in 0..times {
            state.faults.push_back(fault.clone());
        }
    }

    /// How many requests reached `endpoint` (e.g. `"check_transaction_by_md5"`), faults included.
    pub fn requests(&self, endpoint: &str) -> u64 {
        lock(&self.inner.state).requests.get(endpoint).copied().unwrap_or(0)
    }

    /// How many requests reached the sandbox in all.
    pub fn total_requests(&self) -> u64 {
        lock(&self.inner.state).requests.values().sum()
    }

    /// Stops the server and waits for it to finish (in-flight requests complete first).
    pub async fn shutdown(&self) {
        let stop = self.inner.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((tx, task)) = stop {
            let _ = tx.send(());
            let _ = task.await;
        }
    }
}
