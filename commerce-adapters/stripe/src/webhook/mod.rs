//! Webhooks: verify `Stripe-Signature` on the raw body, then read the event and map payment
//! events to the engine's [`commerce_core::ports::Notification`].
//!
//! A host's webhook route hands the raw bytes and the header to the engine, which calls the
//! port's `verify_notification` ([`crate::StripeGateway::notification`]); [`WebhookVerifier`]
//! does the same for hosts that handle events themselves. Event deduplication (by event id) and
//! forward-only state are the engine's job; this module's job is to accept exactly what Stripe
//! signed and to map it faithfully.

mod event;
mod pyjson;
mod signature;

use chrono::{DateTime, Utc};

pub use event::{Event, EventData, to_notification};
pub use signature::{
    SignatureHeader, Timestamp, compute_signature, parse_header, sign_header, verify_header,
};

use crate::secret::WebhookSecret;

/// Why a webhook was refused or could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is not UTF-8 (Stripe always sends UTF-8 JSON).
    #[error("the payload is not UTF-8")]
    PayloadNotUtf8,
    /// No `Stripe-Signature` header, or an empty one.
    #[error("no Stripe-Signature header")]
    MissingHeader,
    /// No webhook secret to verify with (empty, or none configured).
    #[error("no webhook secret configured")]
    MissingSecret,
    /// The header could not be read.
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(String),
    /// The header has no `v1` signature (`v0` is never accepted).
    #[error("no v1 signature in the Stripe-Signature header")]
    NoV1Signature,
    /// No `v1` signature matches the body: wrong secret, or a tampered body.
    #[error("no signature matches the payload")]
    SignatureMismatch,
    /// Signed longer ago than the tolerance allows (a replay, or a very late delivery).
    #[error("timestamp {timestamp} is outside the tolerance of {tolerance_secs} s")]
    TimestampOutsideTolerance {
        /// The header's timestamp.
        timestamp: String,
        /// The tolerance.
        tolerance_secs: i64,
    },
    /// The authentic body is not a Stripe event (not a JSON object, or a thin v2 event).
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
    /// The event lacks a field this crate needs, or has one of the wrong shape.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// An authentic event that says nothing about a payment (answer 2xx and ignore it).
    #[error("event type {event_type} is not a payment event")]
    UnhandledEvent {
        /// The event's type.
        event_type: String,
    },
}

impl WebhookError {
    /// A stable, short reason code (`signature_mismatch`), as the `webhook` example prints.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::PayloadNotUtf8 => "payload_not_utf8",
            WebhookError::MissingHeader => "missing_header",
            WebhookError::MissingSecret => "missing_secret",
            WebhookError::MalformedHeader(_) => "malformed_header",
            WebhookError::NoV1Signature => "no_v1_signature",
            WebhookError::SignatureMismatch => "signature_mismatch",
            WebhookError::TimestampOutsideTolerance { .. } => "timestamp_outside_tolerance",
            WebhookError::InvalidPayload(_) => "invalid_payload",
            WebhookError::InvalidEvent(_) => "invalid_event",
            WebhookError::UnhandledEvent { .. } => "unhandled_event",
        }
    }
}

/// Verifies webhooks for one endpoint secret.
///
/// ```
/// use commerce_stripe::WebhookSecret;
/// use commerce_stripe::webhook::{WebhookVerifier, sign_header};
/// let verifier = WebhookVerifier::new(WebhookSecret::new("whsec_test")?);
/// let body = br#"{"id":"evt_1","object":"event","type":"customer.created","created":1767225600,"data":{"object":{}}}"#;
/// let header = sign_header(&WebhookSecret::new("whsec_test")?, 1767225600, body);
/// let now = chrono::DateTime::from_timestamp(1767225601, 0).unwrap();
/// let event = verifier.construct_event_at(body, &header, now)?;
/// assert_eq!(event.event_type, "customer.created");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    secret: WebhookSecret,
    tolerance_secs: i64,
}

impl WebhookVerifier {
    /// A verifier with Stripe's default tolerance of 300 seconds.
    pub fn new(secret: WebhookSecret) -> Self {
        WebhookVerifier { secret, tolerance_secs: 300 }
    }

    /// Sets the tolerance in seconds (0 disables the age check).
    pub fn with_tolerance_secs(mut self, tolerance_secs: i64) -> Self {
        self.tolerance_secs = tolerance_secs;
        self
    }

    /// The verdict of Stripe's `Webhook.construct_event` at time `now`: the signature verifies
    /// and the body is a JSON object that is not a thin event.
    pub fn verify_at(&self, payload: &[u8], header: &str, now: DateTime<Utc>) -> Result<(), WebhookError> {
        verify_header(payload, header, &self.secret, now, self.tolerance_secs)?;
        // verify_header checked UTF-8 already.
        let text = std::str::from_utf8(payload).map_err(|_| WebhookError::PayloadNotUtf8)?;
        pyjson::check_event_payload(text).map_err(WebhookError::InvalidPayload)
    }

    /// Verifies, then reads the event.
    pub fn construct_event_at(
        &self,
        payload: &[u8],
        header: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, WebhookError> {
        self.verify_at(payload, header, now)?;
        Event::from_slice(payload)
    }
}
