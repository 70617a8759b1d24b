//! [`StripeGateway`]: the engine's [`PaymentGateway`] port over Stripe PaymentIntents.

use std::sync::Arc;

use async_trait::async_trait;
use commerce_core::ids::PaymentId;
use commerce_core::payment::GatewayStatus;
use commerce_core::ports::{
    CapturePayment, Clock, GatewayCapabilities, GatewayError, GatewayPayment, GatewayRefund, Notification,
    NotificationRequest, PaymentGateway, RefundPayment, StartPayment, SystemClock,
};

use crate::client::StripeClient;
use crate::config::StripeConfig;
use crate::error::{Error, Result};
use crate::idempotency::IdempotencyKey;
use crate::intents::CreatePaymentIntent;
use crate::refunds::CreateRefund;
use crate::status::intent_status;
use crate::types::{IntentStatus, PaymentIntent, RefundStatus};
use crate::webhook::{WebhookError, WebhookVerifier, to_notification};

/// Stripe as a [`PaymentGateway`].
///
/// - `start` creates a PaymentIntent with `metadata[payment_id]`, `metadata[order_id]` and
///   `metadata[order_number]` (so webhooks carry our ids back). With a `payment_method` it
///   confirms at once; without one it answers `RequiresAction { ConfirmOnClient { client_secret } }`
///   for Stripe.js.
/// - `fetch_status` retrieves the intent: after the front end confirms, the host asks the engine
///   to complete the payment, which lands here. The webhook path maps the same intent to the same
///   status, and the engine's idempotent, forward-only completion makes a race harmless.
/// - `capture` captures all or part of an authorization, `void` cancels the intent, `refund`
///   refunds with the checks of [`crate::refunds`].
/// - `verify_notification` needs the webhook secret in the [`StripeConfig`].
///
/// Idempotency keys are derived from the engine's keys per operation
/// (`commerce-pi-create-{key}`, `commerce-pi-capture-{key}`, `commerce-refund-{key}`,
/// `commerce-pi-cancel-{payment_id}`), so a retried engine call reuses its key.
#[derive(Clone)]
pub struct StripeGateway {
    client: StripeClient,
    verifier: Option<WebhookVerifier>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("client", &self.client)
            .field("verifier", &self.verifier)
            .finish()
    }
}

impl StripeGateway {
    /// A gateway for `config`, on the system clock.
    pub fn new(config: StripeConfig) -> Result<Self> {
        Ok(Self::from_client(StripeClient::new(config)?))
    }

    /// A gateway over an existing client.
    pub fn from_client(client: StripeClient) -> Self {
        let config = client.config();
        let verifier = config.webhook_secret.clone().map(|s| {
            let secs = i64::try_from(config.webhook_tolerance.as_secs()).unwrap_or(i64::MAX);
            WebhookVerifier::new(s).with_tolerance_secs(secs)
        });
        StripeGateway { client, verifier, clock: Arc::new(SystemClock) }
    }

    /// Uses `clock` for webhook timestamps (tests, simulations).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The underlying client, for calls the port does not cover.
    pub fn client(&self) -> &StripeClient {
        &self.client
    }

    fn status(&self, intent: &PaymentIntent) -> Result<GatewayStatus> {
        intent_status(intent, self.client.config().compatibility())
    }

    async fn start_inner(&self, request: StartPayment) -> Result<GatewayPayment> {
        let mut params = CreatePaymentIntent::new(request.amount)
            .capture(request.capture)
            .description(format!("Order {}", request.order_number));
        params.payment_method = request.payment_method;
        params.receipt_email = request.email;
        params.metadata = request.metadata;
        params.metadata.insert("payment_id".into(), request.payment_id.to_string());
        params.metadata.insert("order_id".into(), request.order_id.to_string());
        params.metadata.insert("order_number".into(), request.order_number);
        let key = IdempotencyKey::derive("pi-create", &request.idempotency_key);
        let intent = self.client.create_payment_intent(&params, &key).await?;
        Ok(GatewayPayment { status: self.status(&intent)?, reference: intent.id })
    }

    async fn capture_inner(&self, request: CapturePayment) -> Result<GatewayPayment> {
        let key = IdempotencyKey::derive("pi-capture", &request.idempotency_key);
        let intent =
            self.client.capture_payment_intent(&request.reference, Some(request.amount), &key).await?;
        Ok(GatewayPayment { status: self.status(&intent)?, reference: intent.id })
    }

    async fn void_inner(&self, payment_id: PaymentId, reference: &str) -> Result<GatewayPayment> {
        let key = IdempotencyKey::derive("pi-cancel", &payment_id.to_string());
        let intent = match self.client.cancel_payment_intent(reference, None, &key).await {
            Ok(intent) => intent,
            // Canceling twice is refused by Stripe; an intent already canceled is what we want.
            Err(e @ Error::InvalidRequest { .. }) => {
                let intent = self.client.retrieve_payment_intent(reference).await?;
                if intent.status != IntentStatus::Canceled {
                    return Err(e);
                }
                intent
            }
            Err(e) => return Err(e),
        };
        Ok(GatewayPayment { status: self.status(&intent)?, reference: intent.id })
    }

    async fn refund_inner(&self, request: RefundPayment) -> Result<GatewayRefund> {
        let params = CreateRefund::new(request.reference)
            .amount(request.amount)
            .metadata("payment_id", request.payment_id.to_string())
            .metadata("refund_id", request.refund_id.to_string());
        let key = IdempotencyKey::derive("refund", &request.idempotency_key);
        let receipt = self.client.create_refund(&params, &key).await?;
        let refund = receipt.refund;
        match refund.status() {
            RefundStatus::Failed | RefundStatus::Canceled => Err(Error::RefundFailed {
                status: format!("{:?}", refund.status()).to_lowercase(),
                reason: refund.failure_reason.clone(),
                refund: refund.id,
            }),
            status => {
                Ok(GatewayRefund { succeeded: status == RefundStatus::Succeeded, reference: refund.id })
            }
        }
    }

    async fn fetch_inner(&self, payment_id: PaymentId, reference: &str) -> Result<GatewayPayment> {
        let intent = self.client.retrieve_payment_intent(reference).await?;
        if let Some(found) = intent.metadata.get("payment_id")
            && *found != payment_id.to_string()
        {
            return Err(Error::PaymentMismatch {
                intent: intent.id.clone(),
                expected: payment_id.to_string(),
                found: found.clone(),
            });
        }
        Ok(GatewayPayment { status: self.status(&intent)?, reference: intent.id })
    }

    /// Verifies and maps a webhook (the port's `verify_notification`, with typed errors).
    pub fn notification(&self, request: &NotificationRequest<'_>) -> Result<Notification> {
        let verifier = self.verifier.as_ref().ok_or(WebhookError::MissingSecret)?;
        let header = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("stripe-signature"))
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let event = verifier.construct_event_at(request.body, header, self.clock.now())?;
        Ok(to_notification(&event, self.client.config().compatibility())?)
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            manual_capture: true,
            partial_capture: true,
            void: true,
            refund: true,
            partial_refund: true,
            notifications: true,
        }
    }

    async fn start(&self, request: StartPayment) -> Result<GatewayPayment, GatewayError> {
        Ok(self.start_inner(request).await?)
    }

    async fn capture(&self, request: CapturePayment) -> Result<GatewayPayment, GatewayError> {
        Ok(self.capture_inner(request).await?)
    }

    async fn void(&self, payment_id: PaymentId, reference: &str) -> Result<GatewayPayment, GatewayError> {
        Ok(self.void_inner(payment_id, reference).await?)
    }

    async fn refund(&self, request: RefundPayment) -> Result<GatewayRefund, GatewayError> {
        Ok(self.refund_inner(request).await?)
    }

    async fn fetch_status(
        &self,
        payment_id: PaymentId,
        reference: &str,
    ) -> Result<GatewayPayment, GatewayError> {
        Ok(self.fetch_inner(payment_id, reference).await?)
    }

    fn verify_notification(&self, request: &NotificationRequest<'_>) -> Result<Notification, GatewayError> {
        Ok(self.notification(request)?)
    }
}
