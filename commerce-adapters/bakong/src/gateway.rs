//! The Bakong KHQR [`PaymentGateway`].
//!
//! [`start`](PaymentGateway::start) makes a dynamic KHQR for the payment (amount, bill number =
//! order number, expiry = the stock reservation's deadline, creation time from the injected
//! [`Clock`]) and answers [`PaymentAction::ShowQr`]. [`fetch_status`](PaymentGateway::fetch_status)
//! asks the Bakong Open API about the QR's MD5: paid with the exact amount and currency is
//! `Captured`; paid with anything else is [`GatewayError::AmountMismatch`] (never paid); not
//! found is `RequiresAction` until the QR expires (plus a grace period), `Expired` after;
//! failed is `Failed`.
//!
//! # The reference carries the QR
//! The engine is stateless and hosts scale out, so `fetch_status(payment_id, reference)` must
//! know the expected amount and expiry without process memory. The reference this gateway
//! returns is therefore a [`KhqrReference`], `"{md5}:{qr}"`: the MD5 first (the Bakong lookup
//! key, and what a person searches for), then the KHQR string itself, which holds the amount,
//! currency, bill number and expiry and is protected by its CRC. `fetch_status` decodes it,
//! checks that the MD5 matches the QR and the CRC matches the content, and needs nothing else.
//! References are 32 + 1 + the QR's length (usually 150 to 250 characters, at most about 450
//! with every optional field), so storage must not cut them short.
//!
//! Bakong has no refunds through this API and no callbacks: `refund` and
//! `verify_notification` are [`GatewayError::Unsupported`], and the capabilities say so.
//! Hosts learn payments by calling `fetch_status` or by running the [`poller`](crate::poller).
//!
//! ```
//! # #[cfg(feature = "sandbox")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use commerce_bakong::api::{BakongClient, ClientConfig};
//! use commerce_bakong::gateway::{BakongGateway, GatewayConfig};
//! use commerce_bakong::khqr::{IndividualInfo, KhqrRequest};
//! use commerce_bakong::sandbox::Sandbox;
//! use commerce_core::ids::{OrderId, PaymentId};
//! use commerce_core::payment::{GatewayStatus, PaymentAction};
//! use commerce_core::ports::{CaptureMode, PaymentGateway, StartPayment, SystemClock};
//! use commerce_core::{Currency, Money};
//!
//! let sandbox = Sandbox::start("127.0.0.1:0").await?; // or the real API's URL and token
//! let client = BakongClient::new(ClientConfig::new(sandbox.url()).with_token(sandbox.token()))?;
//! let template = KhqrRequest::new(IndividualInfo::new("jonhsmith@nbcq"), "Jonh Smith");
//! let gateway = BakongGateway::new(client, Arc::new(SystemClock), GatewayConfig::new(template));
//!
//! let amount = Money::new(15.into(), Currency::USD);
//! let started = gateway
//!     .start(StartPayment {
//!         payment_id: PaymentId::from_uuid(Default::default()),
//!         order_id: OrderId::from_uuid(Default::default()),
//!         order_number: "K7M2-9QXD".into(),
//!         amount,
//!         capture: CaptureMode::Automatic,
//!         payment_method: None,
//!         expires_at: Some(chrono::Utc::now() + chrono::Duration::minutes(10)),
//!         email: None,
//!         idempotency_key: "start-1".into(),
//!         metadata: Default::default(),
//!     })
//!     .await?;
//! let GatewayStatus::RequiresAction { action: PaymentAction::ShowQr { qr, .. } } = &started.status else {
//!     unreachable!("a KHQR payment starts by showing the QR");
//! };
//! // ... the buyer scans `qr` and pays (here: the sandbox pays it) ...
//! sandbox.pay_qr(qr);
//! let status = gateway.fetch_status(PaymentId::from_uuid(Default::default()), &started.reference).await?;
//! assert_eq!(status.status, GatewayStatus::Captured { amount });
//! # Ok(()) }
//! # #[cfg(not(feature = "sandbox"))]
//! # fn main() {}
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::ids::PaymentId;
use commerce_core::payment::{GatewayStatus, PaymentAction};
use commerce_core::ports::{
    CapturePayment, Clock, GatewayCapabilities, GatewayError, GatewayPayment, GatewayRefund, Notification,
    NotificationRequest, PaymentGateway, RefundPayment, StartPayment,
};
use commerce_core::{Currency, Money};

use crate::api::{ApiError, BakongClient};
use crate::khqr::{self, KhqrError, KhqrRequest};

/// The gateway's name, stored on payments.
pub const GATEWAY_NAME: &str = "bakong";

/// A KHQR payment's reference: the MD5 of the QR and the QR itself, written `"{md5}:{qr}"`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KhqrReference {
    md5: String,
    qr: String,
}

impl KhqrReference {
    /// The reference of a KHQR string.
    pub fn new(qr: impl Into<String>) -> Self {
        let qr = qr.into();
        KhqrReference { md5: khqr::md5_hex(&qr), qr }
    }

    /// Reads a reference written by [`fmt::Display`], checking that the MD5 is the QR's.
    pub fn parse(reference: &str) -> Result<Self, GatewayError> {
        let invalid = |why: &str| GatewayError::InvalidRequest(format!("not a KHQR reference ({why})"));
        let (md5, qr) = reference.split_once(':').ok_or_else(|| invalid("expected md5:qr"))?;
        if qr.is_empty() {
            return Err(invalid("no QR after the MD5"));
        }
        let parsed = KhqrReference::new(qr);
        if !parsed.md5.eq_ignore_ascii_case(md5) {
            return Err(invalid("the MD5 is not the QR's"));
        }
        Ok(parsed)
    }

    /// The lower-case hex MD5 of the QR: the Bakong Open API lookup key.
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// The KHQR string.
    pub fn qr(&self) -> &str {
        &self.qr
    }
}

impl fmt::Display for KhqrReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.md5, self.qr)
    }
}

impl fmt::Debug for KhqrReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KhqrReference({self})")
    }
}

/// What the gateway puts in every KHQR, and how it judges expiry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// The merchant part of every code: account, merchant name, city, store or terminal label,
    /// category code. Its amount, bill number and expiry are replaced per payment.
    pub template: KhqrRequest,
    /// Expiry for a payment that comes without `expires_at` (dynamic KHQRs must expire).
    pub default_ttl: Duration,
    /// A QR not found this long after its expiry is `Expired`; until then it is still waiting,
    /// since Bakong may record a payment made just before the deadline a moment late.
    pub expiry_grace: Duration,
}

impl GatewayConfig {
    /// A configuration with a 15-minute default expiry and a 30-second grace period.
    pub fn new(template: KhqrRequest) -> Self {
        GatewayConfig {
            template,
            default_ttl: Duration::from_secs(15 * 60),
            expiry_grace: Duration::from_secs(30),
        }
    }

    /// Sets the default expiry.
    pub fn with_default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// Sets the expiry grace period.
    pub fn with_expiry_grace(mut self, grace: Duration) -> Self {
        self.expiry_grace = grace;
        self
    }
}

/// The Bakong KHQR payment gateway. See the [module docs](self).
#[derive(Clone)]
pub struct BakongGateway {
    client: BakongClient,
    clock: Arc<dyn Clock>,
    config: GatewayConfig,
}

impl fmt::Debug for BakongGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BakongGateway").field("client", &self.client).field("config", &self.config).finish()
    }
}

/// What a reference says the payment expects.
pub(crate) struct Expected {
    pub(crate) reference: KhqrReference,
    pub(crate) amount: Money,
    pub(crate) expires_at: DateTime<Utc>,
}

fn khqr_error(amount: Money, e: KhqrError) -> GatewayError {
    match e {
        KhqrError::InvalidAmount { reason, .. } => {
            GatewayError::InvalidAmount { amount, reason: reason.to_string() }
        }
        KhqrError::UnsupportedCurrency(_) => {
            GatewayError::InvalidAmount { amount, reason: "KHQR carries only KHR and USD".into() }
        }
        other => GatewayError::InvalidRequest(format!("cannot make a KHQR: {other}")),
    }
}

impl BakongGateway {
    /// A gateway asking `client`, stamping and judging times with `clock`.
    pub fn new(client: BakongClient, clock: Arc<dyn Clock>, config: GatewayConfig) -> Self {
        BakongGateway { client, clock, config }
    }

    /// The API client.
    pub fn client(&self) -> &BakongClient {
        &self.client
    }

    /// Decodes what a reference's QR expects; refuses a QR whose CRC does not match.
    pub(crate) fn expected(reference: &str) -> Result<Expected, GatewayError> {
        let reference = KhqrReference::parse(reference)?;
        let invalid = |why: String| GatewayError::InvalidRequest(format!("KHQR reference: {why}"));
        let decoded = khqr::decode(reference.qr()).map_err(|e| invalid(e.to_string()))?;
        let created = decoded.created_at_ms().ok_or_else(|| invalid("no creation time".into()))?;
        // Verify as of the creation time: the CRC and every rule, but not the expiry.
        khqr::verify(reference.qr(), created).map_err(|e| invalid(e.to_string()))?;
        let amount = decoded.money().ok_or_else(|| invalid("a static QR has no amount".into()))?;
        let expires_ms = decoded.expires_at_ms().ok_or_else(|| invalid("no expiry".into()))?;
        let expires_at = DateTime::from_timestamp_millis(expires_ms)
            .ok_or_else(|| invalid("expiry out of range".into()))?;
        Ok(Expected { reference, amount, expires_at })
    }

    fn show_qr(expected: &Expected) -> GatewayStatus {
        GatewayStatus::RequiresAction {
            action: PaymentAction::ShowQr {
                qr: expected.reference.qr().to_owned(),
                md5: expected.reference.md5().to_owned(),
                expires_at: Some(expected.expires_at),
            },
        }
    }

    fn is_overdue(&self, expires_at: DateTime<Utc>) -> bool {
        let grace = chrono::Duration::from_std(self.config.expiry_grace).unwrap_or(chrono::Duration::MAX);
        expires_at.checked_add_signed(grace).is_some_and(|deadline| self.clock.now() >= deadline)
    }
}

#[async_trait]
impl PaymentGateway for BakongGateway {
    fn name(&self) -> &'static str {
        GATEWAY_NAME
    }

    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            manual_capture: false,
            partial_capture: false,
            void: true,
            refund: false,
            partial_refund: false,
            notifications: false,
        }
    }

    async fn start(&self, request: StartPayment) -> Result<GatewayPayment, GatewayError> {
        let amount = request.amount;
        if amount.currency() != Currency::KHR && amount.currency() != Currency::USD {
            return Err(GatewayError::InvalidAmount {
                amount,
                reason: "KHQR carries only KHR and USD".into(),
            });
        }
        if amount.is_zero() || amount.is_negative() {
            return Err(GatewayError::InvalidAmount {
                amount,
                reason: "a KHQR payment must be positive".into(),
            });
        }
        let now = self.clock.now();
        let expires_at = match request.expires_at {
            Some(at) => at,
            None => chrono::Duration::from_std(self.config.default_ttl)
                .ok()
                .and_then(|ttl| now.checked_add_signed(ttl))
                .ok_or_else(|| GatewayError::InvalidRequest("default TTL out of range".into()))?,
        };
        if expires_at <= now {
            return Err(GatewayError::InvalidRequest(format!("the payment expired at {expires_at}")));
        }
        let khqr_request = self
            .config
            .template
            .clone()
            .amount(amount)
            .bill_number(request.order_number.clone())
            .expires_at(expires_at);
        let code = khqr::generate_at(&khqr_request, now).map_err(|e| khqr_error(amount, e))?;
        let reference = KhqrReference::new(code.into_qr());
        let expires_at = DateTime::from_timestamp_millis(expires_at.timestamp_millis()).unwrap_or(expires_at);
        let expected = Expected { reference, amount, expires_at };
        Ok(GatewayPayment {
            reference: expected.reference.to_string(),
            status: BakongGateway::show_qr(&expected),
        })
    }

    /// A KHQR is captured when it is paid, so there is nothing to capture at Bakong. This checks
    /// the payment and answers `Captured` when it is paid in full; an unpaid QR is
    /// [`GatewayError::InvalidRequest`] (never reported captured without the money).
    async fn capture(&self, request: CapturePayment) -> Result<GatewayPayment, GatewayError> {
        let answer = self.fetch_status(request.payment_id, &request.reference).await?;
        match answer.status {
            GatewayStatus::Captured { .. } => Ok(answer),
            _ => Err(GatewayError::InvalidRequest(
                "a KHQR is captured when it is paid, and this one is not paid".into(),
            )),
        }
    }

    /// Nothing to release at Bakong: the QR simply expires. Answers `Voided` without a call.
    async fn void(&self, _payment_id: PaymentId, reference: &str) -> Result<GatewayPayment, GatewayError> {
        Ok(GatewayPayment { reference: reference.to_owned(), status: GatewayStatus::Voided })
    }

    async fn refund(&self, _request: RefundPayment) -> Result<GatewayRefund, GatewayError> {
        Err(GatewayError::Unsupported { operation: "refund", gateway: GATEWAY_NAME })
    }

    async fn fetch_status(
        &self,
        _payment_id: PaymentId,
        reference: &str,
    ) -> Result<GatewayPayment, GatewayError> {
        let expected = BakongGateway::expected(reference)?;
        let status = match self.client.check_transaction_by_md5(expected.reference.md5()).await {
            Ok(tx) if tx.amount == expected.amount => GatewayStatus::Captured { amount: tx.amount },
            Ok(tx) => {
                tracing::warn!(md5 = expected.reference.md5(), expected = %expected.amount,
                    reported = %tx.amount, hash = tx.hash, "KHQR paid with another amount or currency");
                return Err(GatewayError::AmountMismatch { expected: expected.amount, reported: tx.amount });
            }
            Err(ApiError::NotFound { .. }) if self.is_overdue(expected.expires_at) => GatewayStatus::Expired,
            Err(ApiError::NotFound { .. }) => BakongGateway::show_qr(&expected),
            Err(ApiError::TransactionFailed { message }) => GatewayStatus::Failed { reason: message },
            Err(e) => return Err(e.into()),
        };
        Ok(GatewayPayment { reference: expected.reference.to_string(), status })
    }

    fn verify_notification(&self, _request: &NotificationRequest<'_>) -> Result<Notification, GatewayError> {
        Err(GatewayError::Unsupported { operation: "notifications", gateway: GATEWAY_NAME })
    }
}
