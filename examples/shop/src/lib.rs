//! The example shop: an HTTP shop server on the commerce engine.
//!
//! Thin handlers over [`commerce::Engine`]: they authenticate, parse, call one or two engine
//! operations and shape the answer. Business rules (pricing, stock, payments, idempotency) live
//! in the engine. See `docs/embedding.md` for a walk through this code.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let shop = commerce_shop::start(commerce_shop::Config::from_env()?).await?;
//! println!("listening on {}", shop.url());
//! shop.wait_for_ctrl_c().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod config;
pub mod dto;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod routes;
pub mod seed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use commerce::bakong::api::{BakongClient, ClientConfig};
use commerce::bakong::gateway::{BakongGateway, GatewayConfig};
use commerce::bakong::host::EngineKhqrPayments;
use commerce::bakong::khqr::{IndividualInfo, KhqrRequest};
use commerce::bakong::poller::{Poller, PollerConfig, PollerHandle};
use commerce::bakong::sandbox::{Sandbox, SandboxConfig};
use commerce::ports::{Clock, PaymentGateway, SystemClock};
use commerce::stripe::{Compatibility, SecretKey, StripeConfig, StripeGateway, WebhookSecret};
use commerce::worker::{OutboxWorker, WorkerConfig, WorkerHandle};
use commerce::{Currency, EngineConfig};
use tokio::sync::watch;

pub use config::{Config, ConfigError};
pub use mail::Mail;

use crate::app::{AppState, BakongState};
use crate::config::{BakongSettings, redact_url};

/// A running shop.
pub struct Shop {
    addr: SocketAddr,
    mailer: mail::Mailer,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: WorkerHandle,
    poller: Option<PollerHandle>,
    state: AppState,
}

/// Opens the store, seeds it, and starts the HTTP server, the outbox worker and (with Bakong) the
/// payment poller.
pub async fn start(config: Config) -> anyhow::Result<Shop> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut builder = commerce::Builder::new(config.database_url.clone()).config(EngineConfig::default());
    let mut stripe_webhooks = false;
    if let Some(s) = &config.stripe {
        let mut sc = StripeConfig::new(SecretKey::new(s.secret_key.clone())?);
        if let Some(base) = &s.api_base {
            sc = sc.with_base_url(base)?;
            if !base.contains("api.stripe.com") {
                // localstripe and other stand-ins lack a few of Stripe's newer fields.
                sc = sc.with_compatibility(Compatibility::Localstripe);
            }
        }
        if let Some(w) = &s.webhook_secret {
            sc = sc.with_webhook_secret(WebhookSecret::new(w.clone())?);
            stripe_webhooks = true;
        }
        let gateway: Arc<dyn PaymentGateway> = Arc::new(StripeGateway::new(sc)?.with_clock(clock.clone()));
        builder = builder.gateway(gateway);
    }
    let mut bakong_client = None;
    let mut sandbox = None;
    if let Some(b) = &config.bakong {
        let (client, account) = match b {
            BakongSettings::Live { api_url, token, account_id } => (
                BakongClient::new(
                    ClientConfig::new(api_url.clone())
                        .with_token(commerce::bakong::api::Token::new(token.clone())),
                )?,
                account_id.clone(),
            ),
            BakongSettings::Sandbox { account_id } => {
                let mut sc = SandboxConfig::default();
                sc.accounts.push(account_id.clone());
                let handle = Sandbox::start_with("127.0.0.1:0", sc).await?;
                let client = BakongClient::new(ClientConfig::new(handle.url()).with_token(handle.token()))?;
                tracing::info!(url = handle.url(), "Bakong sandbox started (BAKONG_SANDBOX=1)");
                sandbox = Some(handle);
                (client, account_id.clone())
            }
        };
        let template = KhqrRequest::new(IndividualInfo::new(account), config.merchant_name.clone())
            .merchant_city(config.merchant_city.clone());
        let gateway: Arc<dyn PaymentGateway> =
            Arc::new(BakongGateway::new(client.clone(), clock.clone(), GatewayConfig::new(template)));
        builder = builder.gateway(gateway);
        bakong_client = Some(client);
    }
    let engine = Arc::new(
        builder
            .build()
            .await
            .map_err(|e| anyhow::anyhow!("DATABASE_URL ({}): {e}", redact_url(&config.database_url)))?,
    );
    let seeded = seed::seed(&engine, &config).await?;
    if seeded {
        tracing::info!("seeded the demo catalog (50 products), rules and coupon WELCOME10");
    }

    let mailer = mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
    let keys = match &config.jwt_secret {
        Some(s) => auth::Keys::new(s.as_bytes()),
        None => {
            tracing::warn!("JWT_SECRET unset: using a random key; tokens end with this process");
            auth::Keys::random()
        }
    };
    let worker = OutboxWorker::new(engine.store().clone())
        .config(WorkerConfig { poll_interval: config.worker_interval, ..WorkerConfig::default() })
        .handler(Arc::new(jobs::EmailJobs::new(
            engine.clone(),
            mailer.clone(),
            config.admin_email.clone(),
            config.merchant_name.clone(),
        )))
        .spawn();
    let poller = bakong_client.as_ref().map(|client| {
        Poller::new(
            client.clone(),
            EngineKhqrPayments::new((*engine).clone()),
            clock.clone(),
            PollerConfig::default().with_interval(config.poll_interval),
        )
        .spawn()
    });
    let state = AppState {
        engine: engine.clone(),
        keys,
        currency: Currency::USD,
        mailer: mailer.clone(),
        bakong: bakong_client.map(|client| Arc::new(BakongState { client, sandbox })),
        stripe_webhooks,
        config: Arc::new(config.clone()),
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("SHOP_ADDR {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    let (shutdown, mut rx) = watch::channel(false);
    let app = app::router(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    // Sweeps: expired reservations and unpaid orders, once a minute.
    let sweeper = engine.clone();
    let mut stop = shutdown.subscribe();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = sweeper.release_expired_reservations(500).await {
                        tracing::warn!(error = %e, "reservation sweep failed");
                    }
                    if let Err(e) = sweeper.expire_unpaid_orders(500).await {
                        tracing::warn!(error = %e, "unpaid-order sweep failed");
                    }
                }
                _ = stop.changed() => break,
            }
        }
    });
    tracing::info!(url = %format!("http://{addr}"), payments = ?engine.gateway_names(), "shop listening");
    Ok(Shop { addr, mailer, shutdown, server, worker, poller, state })
}

impl Shop {
    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Emails sent or logged so far.
    pub fn mail(&self) -> Vec<Mail> {
        self.mailer.sent()
    }

    /// The engine the shop runs on.
    pub fn engine(&self) -> &Arc<commerce::Engine> {
        &self.state.engine
    }

    /// Stops accepting connections, lets in-flight requests finish, then stops the worker and
    /// the poller.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        match self.server.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "server stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "server task failed"),
            Ok(Ok(())) => {}
        }
        self.worker.shutdown().await;
        if let Some(p) = self.poller {
            p.shutdown().await;
        }
        if let Some(b) = &self.state.bakong
            && let Some(s) = &b.sandbox
        {
            s.shutdown().await;
        }
        tracing::info!("shop stopped");
    }

    /// Runs until Ctrl-C (or SIGTERM on Unix), then shuts down gracefully.
    pub async fn wait_for_ctrl_c(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}
