//! The payment gateway port: what the engine asks of Stripe, Bakong or any other provider.
//!
//! Contract for implementors:
//! - Every call that moves money takes an idempotency key derived from the engine's own ids;
//!   calling twice with the same key must not move money twice (send it to the provider, or
//!   deduplicate locally when the provider has no such notion).
//! - Amounts are [`Money`]; converting to the provider's format (minor units, KHQR strings) is the
//!   adapter's job, and an amount the provider cannot represent exactly is
//!   [`GatewayError::InvalidAmount`], never rounded.
//! - Answers are [`GatewayStatus`] observations; the engine applies them to the payment state
//!   machine, which is forward-only, so reporting an older state is harmless.
//! - An operation the provider does not offer (KHQR has no refunds) is
//!   [`GatewayError::Unsupported`], and [`PaymentGateway::capabilities`] says so up front.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, PaymentId, RefundId};
use crate::money::Money;
use crate::payment::GatewayStatus;

/// Whether the gateway captures at authorization or waits for an explicit capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// Capture as soon as the buyer pays.
    #[default]
    Automatic,
    /// Authorize only; the engine captures later (full or partial).
    Manual,
}

/// What a gateway can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayCapabilities {
    /// Authorize now, capture later.
    pub manual_capture: bool,
    /// Capture less than authorized.
    pub partial_capture: bool,
    /// Release an authorization.
    pub void: bool,
    /// Refund captured money.
    pub refund: bool,
    /// Refund part of it, repeatedly.
    pub partial_refund: bool,
    /// Push notifications (webhooks); without them the host polls [`PaymentGateway::fetch_status`].
    pub notifications: bool,
}

/// A request to start collecting a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartPayment {
    /// Our payment id.
    pub payment_id: PaymentId,
    /// The order.
    pub order_id: OrderId,
    /// The order's human-friendly number (bill number on a KHQR, description on a card statement).
    pub order_number: String,
    /// How much.
    pub amount: Money,
    /// Capture now or later.
    pub capture: CaptureMode,
    /// A provider payment method to confirm with immediately (e.g. a Stripe `pm_...`); without
    /// one the gateway answers with an action for the front end.
    pub payment_method: Option<String>,
    /// When the payment must be completed by (KHQR expiry follows the stock reservation).
    pub expires_at: Option<DateTime<Utc>>,
    /// The buyer's email, for receipts.
    pub email: Option<String>,
    /// Idempotency key for the provider.
    pub idempotency_key: String,
    /// Extra metadata to attach at the provider.
    pub metadata: BTreeMap<String, String>,
}

/// The gateway's answer about one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayPayment {
    /// The provider's reference for the payment (intent id, QR md5).
    pub reference: String,
    /// Its state.
    pub status: GatewayStatus,
}

/// A request to capture an authorized payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturePayment {
    /// Our payment id.
    pub payment_id: PaymentId,
    /// The provider's reference.
    pub reference: String,
    /// Amount to capture; at most the authorized amount.
    pub amount: Money,
    /// Idempotency key.
    pub idempotency_key: String,
}

/// A request to refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPayment {
    /// Our payment id.
    pub payment_id: PaymentId,
    /// Our refund id.
    pub refund_id: RefundId,
    /// The provider's payment reference.
    pub reference: String,
    /// Amount to refund.
    pub amount: Money,
    /// Idempotency key.
    pub idempotency_key: String,
}

/// The gateway's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayRefund {
    /// The provider's refund reference.
    pub reference: String,
    /// `true` when done, `false` when the provider reports it pending (a notification follows).
    pub succeeded: bool,
}

/// An incoming notification, as the host's HTTP layer received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRequest<'a> {
    /// Headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The raw body, exactly as received (signatures are over these bytes).
    pub body: &'a [u8],
}

/// A verified notification about a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The provider's event id; the engine deduplicates on it.
    pub id: String,
    /// The provider's payment reference the event is about.
    pub reference: String,
    /// Our payment id, when the provider echoes it (metadata).
    pub payment_id: Option<PaymentId>,
    /// What it says.
    pub status: GatewayStatus,
    /// When the provider created the event.
    pub occurred_at: DateTime<Utc>,
}

/// Errors from a gateway, typed so a caller can act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The card or account was declined.
    #[error("declined: {message} (code {code:?}, decline code {decline_code:?})")]
    Declined {
        /// Provider error code.
        code: Option<String>,
        /// Provider decline code (`insufficient_funds`).
        decline_code: Option<String>,
        /// Message for people.
        message: String,
    },
    /// The buyer must authenticate (3-D Secure) before this can proceed.
    #[error("authentication required")]
    AuthenticationRequired,
    /// The request was malformed or not allowed in the current provider state.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The amount cannot be represented exactly by the provider.
    #[error("invalid amount {amount}: {reason}")]
    InvalidAmount {
        /// The amount.
        amount: Money,
        /// Why.
        reason: String,
    },
    /// The provider does not know this reference.
    #[error("not found at the provider: {0}")]
    NotFound(String),
    /// Our credentials were refused or expired.
    #[error("unauthorized at the provider: {0}")]
    Unauthorized(String),
    /// Too many requests, even after retries.
    #[error("rate limited by the provider")]
    RateLimited,
    /// The provider could not be reached or failed (5xx, timeout), even after retries.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// A notification's signature or shape failed verification.
    #[error("invalid notification: {0}")]
    InvalidNotification(String),
    /// The provider reported money that does not match the payment: never treated as paid.
    #[error("amount mismatch: expected {expected}, provider reported {reported}")]
    AmountMismatch {
        /// Expected.
        expected: Money,
        /// Reported.
        reported: Money,
    },
    /// The provider does not offer this operation.
    #[error("{gateway} does not support {operation}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The gateway.
        gateway: &'static str,
    },
    /// Same idempotency key, different request: a bug in the caller.
    #[error("idempotency conflict: {0}")]
    IdempotencyConflict(String),
    /// Anything else the provider said, kept for people.
    #[error("provider error: {0}")]
    Provider(String),
}

/// A payment provider.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Short stable name (`"stripe"`, `"bakong"`), stored on payments.
    fn name(&self) -> &'static str;

    /// What this gateway can do.
    fn capabilities(&self) -> GatewayCapabilities;

    /// Starts collecting: creates the provider-side payment and, with a payment method,
    /// confirms it. The answer is usually `RequiresAction`, `Authorized` or `Captured`.
    async fn start(&self, request: StartPayment) -> Result<GatewayPayment, GatewayError>;

    /// Captures an authorized payment (full or partial).
    async fn capture(&self, request: CapturePayment) -> Result<GatewayPayment, GatewayError>;

    /// Releases an authorization (or abandons a payment that was never completed).
    async fn void(&self, payment_id: PaymentId, reference: &str) -> Result<GatewayPayment, GatewayError>;

    /// Refunds captured money.
    async fn refund(&self, request: RefundPayment) -> Result<GatewayRefund, GatewayError>;

    /// Asks the provider where a payment stands (the polling path, and the client-confirm path).
    async fn fetch_status(
        &self,
        payment_id: PaymentId,
        reference: &str,
    ) -> Result<GatewayPayment, GatewayError>;

    /// Verifies a notification's authenticity on the raw bytes, then parses it.
    /// Gateways without notifications return [`GatewayError::Unsupported`].
    fn verify_notification(&self, request: &NotificationRequest<'_>) -> Result<Notification, GatewayError>;
}
