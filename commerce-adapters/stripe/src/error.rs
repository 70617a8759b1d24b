//! The crate's error type, Stripe's error bodies, and the mapping into the gateway port's
//! [`GatewayError`].

use commerce_core::Money;
use commerce_core::ports::GatewayError;
use serde::Deserialize;

use crate::webhook::WebhookError;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to Stripe or reading what it sent. Each variant is something a caller
/// can act on: show the decline to the buyer, send them through 3-D Secure, fix a parameter,
/// retry later, or page a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The card was declined (HTTP 402, `card_error`).
    #[error("card declined: {message} (code {code:?}, decline code {decline_code:?})")]
    CardDeclined {
        /// Stripe's error code (`card_declined`, `expired_card`, `incorrect_cvc`...).
        code: Option<String>,
        /// The issuer's reason (`insufficient_funds`, `generic_decline`...).
        decline_code: Option<String>,
        /// Stripe's message, safe to show to the buyer.
        message: String,
        /// The PaymentIntent the attempt belonged to, when Stripe says.
        payment_intent: Option<String>,
    },
    /// The buyer must authenticate (3-D Secure) before the payment can go on
    /// (`authentication_required`, e.g. an off-session payment).
    #[error("authentication required: {message}")]
    AuthenticationRequired {
        /// Stripe's message.
        message: String,
        /// The PaymentIntent, when Stripe says.
        payment_intent: Option<String>,
    },
    /// Stripe refused the request's parameters or the object's state (HTTP 400).
    #[error("invalid request: {message} (param {param:?}, code {code:?})")]
    InvalidRequest {
        /// Stripe's message.
        message: String,
        /// The offending parameter, when Stripe names one.
        param: Option<String>,
        /// Stripe's error code (`parameter_invalid_integer`, `payment_intent_unexpected_state`...).
        code: Option<String>,
    },
    /// The idempotency key was reused with different parameters: a bug in the caller.
    #[error("idempotency error: {message}")]
    Idempotency {
        /// Stripe's message.
        message: String,
    },
    /// Another request with the same idempotency key was still running (HTTP 409), even after
    /// retrying. Safe to try again later with the same key.
    #[error("conflict: {message}")]
    Conflict {
        /// Stripe's message.
        message: String,
    },
    /// Too many requests (HTTP 429), even after the retries Stripe allowed.
    #[error("rate limited by Stripe: {message}")]
    RateLimited {
        /// Stripe's message.
        message: String,
    },
    /// Stripe could not be reached, timed out, or failed (5xx), even after retrying.
    #[error("Stripe unavailable (HTTP {status:?}): {message}")]
    Unavailable {
        /// The last HTTP status, if a response arrived.
        status: Option<u16>,
        /// What happened.
        message: String,
    },
    /// The object does not exist (HTTP 404, `resource_missing`).
    #[error("not found at Stripe: {message}")]
    NotFound {
        /// Stripe's message.
        message: String,
    },
    /// The API key was refused (HTTP 401) or lacks a permission (HTTP 403).
    #[error("unauthorized at Stripe (HTTP {status}): {message}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// Stripe's message.
        message: String,
    },
    /// Any other error Stripe returned.
    #[error("Stripe error (HTTP {status}, type {kind:?}, code {code:?}): {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// Stripe's error type.
        kind: Option<String>,
        /// Stripe's error code.
        code: Option<String>,
        /// Stripe's message.
        message: String,
    },
    /// An amount that Stripe cannot represent exactly in its integer minor units.
    #[error("amount {amount} cannot be sent to Stripe: {reason}")]
    InvalidAmount {
        /// The amount.
        amount: Money,
        /// Why.
        reason: String,
    },
    /// Stripe reported an amount or currency we cannot turn back into [`Money`].
    #[error("Stripe reported {minor_units} in {currency:?}, which is not a valid amount: {reason}")]
    UnrepresentableAmount {
        /// The integer Stripe sent.
        minor_units: i64,
        /// The currency code Stripe sent.
        currency: String,
        /// Why.
        reason: String,
    },
    /// A refund larger than what is left of the capture; refused before calling Stripe.
    #[error("refund of {requested} exceeds the refundable {refundable}")]
    RefundExceedsCaptured {
        /// Asked.
        requested: Money,
        /// Captured minus refunds (succeeded or in flight).
        refundable: Money,
    },
    /// Stripe accepted the refund request but reports the refund failed or canceled.
    #[error("refund {refund} is {status}: {reason:?}")]
    RefundFailed {
        /// The refund (`re_...`).
        refund: String,
        /// `failed` or `canceled`.
        status: String,
        /// Stripe's `failure_reason`.
        reason: Option<String>,
    },
    /// The PaymentIntent's `metadata[payment_id]` names another payment.
    #[error("payment intent {intent} belongs to payment {found}, not {expected}")]
    PaymentMismatch {
        /// The intent.
        intent: String,
        /// The payment the caller asked about.
        expected: String,
        /// The payment the intent was created for.
        found: String,
    },
    /// A webhook failed verification or could not be mapped.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// Stripe answered something this crate could not read.
    #[error("unexpected response from Stripe: {0}")]
    UnexpectedResponse(String),
    /// The configuration is unusable (bad key, base URL, missing webhook secret...).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether trying the same call again later (with the same idempotency key) may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Conflict { .. } | Error::RateLimited { .. } | Error::Unavailable { .. })
    }
}

/// Stripe's error envelope: `{"error": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub(crate) error: ApiErrorBody,
}

/// The `error` object of a failed request (also `last_payment_error` on an intent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// `api_error`, `card_error`, `idempotency_error`, `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Short machine code (`card_declined`, `resource_missing`...).
    #[serde(default)]
    pub code: Option<String>,
    /// The issuer's decline reason.
    #[serde(default)]
    pub decline_code: Option<String>,
    /// Message for people.
    #[serde(default)]
    pub message: Option<String>,
    /// The parameter at fault.
    #[serde(default)]
    pub param: Option<String>,
    /// The PaymentIntent involved, as an object (Stripe) or absent.
    #[serde(default, deserialize_with = "crate::types::de_id_or_object")]
    pub payment_intent: Option<String>,
}

/// Builds the typed error for a non-2xx answer.
pub(crate) fn from_response(status: u16, body: &[u8]) -> Error {
    let parsed = serde_json::from_slice::<ErrorEnvelope>(body).map(|e| e.error).ok();
    let fallback = || {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().take(200).collect();
        if text.is_empty() { format!("HTTP {status}") } else { text }
    };
    let err = parsed.unwrap_or_default();
    let message = err.message.clone().unwrap_or_else(fallback);
    let kind = err.kind.as_deref();
    let code = err.code.as_deref();
    if code == Some("authentication_required") {
        return Error::AuthenticationRequired { message, payment_intent: err.payment_intent };
    }
    if status == 402 || kind == Some("card_error") {
        return Error::CardDeclined {
            code: err.code,
            decline_code: err.decline_code,
            message,
            payment_intent: err.payment_intent,
        };
    }
    if kind == Some("idempotency_error") {
        return Error::Idempotency { message };
    }
    match status {
        401 | 403 => Error::Unauthorized { status, message },
        404 => Error::NotFound { message },
        409 => Error::Conflict { message },
        429 => Error::RateLimited { message },
        424 | 500..=599 => Error::Unavailable { status: Some(status), message },
        400 => Error::InvalidRequest { message, param: err.param, code: err.code },
        _ if code == Some("resource_missing") => Error::NotFound { message },
        _ => Error::Api { status, kind: err.kind, code: err.code, message },
    }
}

impl From<Error> for GatewayError {
    fn from(e: Error) -> Self {
        match e {
            Error::CardDeclined { code, decline_code, message, .. } => {
                GatewayError::Declined { code, decline_code, message }
            }
            Error::AuthenticationRequired { .. } => GatewayError::AuthenticationRequired,
            Error::InvalidRequest { .. }
            | Error::RefundExceedsCaptured { .. }
            | Error::PaymentMismatch { .. } => GatewayError::InvalidRequest(e.to_string()),
            Error::Idempotency { message } => GatewayError::IdempotencyConflict(message),
            Error::RateLimited { .. } => GatewayError::RateLimited,
            Error::Conflict { .. } | Error::Unavailable { .. } => GatewayError::Unavailable(e.to_string()),
            Error::NotFound { message } => GatewayError::NotFound(message),
            Error::Unauthorized { message, .. } => GatewayError::Unauthorized(message),
            Error::InvalidAmount { amount, reason } => GatewayError::InvalidAmount { amount, reason },
            Error::Webhook(WebhookError::UnhandledEvent { .. }) => {
                GatewayError::Unsupported { operation: "this webhook event type", gateway: "stripe" }
            }
            Error::Webhook(w) => GatewayError::InvalidNotification(w.to_string()),
            Error::Api { .. }
            | Error::RefundFailed { .. }
            | Error::UnrepresentableAmount { .. }
            | Error::UnexpectedResponse(_) => GatewayError::Provider(e.to_string()),
            Error::Config(_) => GatewayError::Provider(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (HTTP status, body, expected error) for the shapes Stripe and localstripe send.
    fn check(status: u16, body: &str, expected: Error) {
        assert_eq!(from_response(status, body.as_bytes()), expected, "{status} {body}");
    }

    #[test]
    fn stripe_errors_become_typed_errors() {
        let s = |x: &str| Some(x.to_owned());
        check(
            402,
            r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds",
                "message":"Your card has insufficient funds.","payment_intent":{"id":"pi_1","object":"payment_intent"}}}"#,
            Error::CardDeclined {
                code: s("card_declined"),
                decline_code: s("insufficient_funds"),
                message: "Your card has insufficient funds.".into(),
                payment_intent: s("pi_1"),
            },
        );
        // localstripe: 402 with type invalid_request_error.
        check(
            402,
            r#"{"error":{"type":"invalid_request_error","code":"card_declined","charge":"ch_1","message":"Your card was declined."}}"#,
            Error::CardDeclined {
                code: s("card_declined"),
                decline_code: None,
                message: "Your card was declined.".into(),
                payment_intent: None,
            },
        );
        check(
            402,
            r#"{"error":{"type":"card_error","code":"authentication_required","message":"needs 3DS","payment_intent":"pi_2"}}"#,
            Error::AuthenticationRequired { message: "needs 3DS".into(), payment_intent: s("pi_2") },
        );
        check(
            400,
            r#"{"error":{"type":"invalid_request_error","code":"parameter_invalid_integer","param":"amount","message":"Invalid integer: 1.5"}}"#,
            Error::InvalidRequest {
                message: "Invalid integer: 1.5".into(),
                param: s("amount"),
                code: s("parameter_invalid_integer"),
            },
        );
        check(
            400,
            r#"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}"#,
            Error::Idempotency {
                message: "Keys for idempotent requests can only be used with the same parameters".into(),
            },
        );
        check(
            404,
            r#"{"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":"No such payment_intent: 'pi_x'"}}"#,
            Error::NotFound { message: "No such payment_intent: 'pi_x'".into() },
        );
        check(
            401,
            r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****"}}"#,
            Error::Unauthorized { status: 401, message: "Invalid API Key provided: sk_test_****".into() },
        );
        check(
            403,
            r#"{"error":{"message":"no permission"}}"#,
            Error::Unauthorized { status: 403, message: "no permission".into() },
        );
        check(
            429,
            r#"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}"#,
            Error::RateLimited { message: "Too many requests".into() },
        );
        check(409, r#"{"error":{"message":"in use"}}"#, Error::Conflict { message: "in use".into() });
        check(
            500,
            r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#,
            Error::Unavailable { status: Some(500), message: "Something went wrong".into() },
        );
        check(
            503,
            "<html>bad gateway</html>",
            Error::Unavailable { status: Some(503), message: "<html>bad gateway</html>".into() },
        );
        check(418, "", Error::Api { status: 418, kind: None, code: None, message: "HTTP 418".into() });
    }

    #[test]
    fn gateway_errors_keep_what_the_engine_acts_on() {
        let declined = Error::CardDeclined {
            code: Some("card_declined".into()),
            decline_code: Some("generic_decline".into()),
            message: "declined".into(),
            payment_intent: None,
        };
        assert_eq!(
            GatewayError::from(declined),
            GatewayError::Declined {
                code: Some("card_declined".into()),
                decline_code: Some("generic_decline".into()),
                message: "declined".into(),
            }
        );
        assert_eq!(GatewayError::from(Error::RateLimited { message: "x".into() }), GatewayError::RateLimited);
        assert!(matches!(
            GatewayError::from(Error::Conflict { message: "x".into() }),
            GatewayError::Unavailable(_)
        ));
        assert!(matches!(
            GatewayError::from(Error::Webhook(WebhookError::SignatureMismatch)),
            GatewayError::InvalidNotification(_)
        ));
        assert!(matches!(
            GatewayError::from(Error::Webhook(WebhookError::UnhandledEvent { event_type: "x".into() })),
            GatewayError::Unsupported { .. }
        ));
        assert!(Error::Unavailable { status: None, message: String::new() }.is_transient());
        assert!(!Error::NotFound { message: String::new() }.is_transient());
    }
}
