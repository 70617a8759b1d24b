//! PaymentIntents: create, confirm, capture, cancel, retrieve.

use std::collections::BTreeMap;

use commerce_core::Money;
use commerce_core::ports::CaptureMode;

use crate::client::{Form, StripeClient, check_id};
use crate::config::PaymentMethods;
use crate::error::{Error, Result};
use crate::idempotency::IdempotencyKey;
use crate::transformers::{stripe_currency, to_stripe_amount};
use crate::types::PaymentIntent;

/// What to create a PaymentIntent with.
///
/// ```
/// use commerce_core::{Currency, Money};
/// use commerce_core::ports::CaptureMode;
/// use commerce_stripe::intents::CreatePaymentIntent;
/// use rust_decimal_macros::dec;
/// let params = CreatePaymentIntent::new(Money::new(dec!(25.00), Currency::USD))
///     .capture(CaptureMode::Manual)
///     .payment_method("pm_card_visa")
///     .metadata("order_id", "42");
/// assert_eq!(params.amount.to_string(), "25.00 USD");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatePaymentIntent {
    /// How much.
    pub amount: Money,
    /// Capture at once (`automatic`) or later (`manual`).
    pub capture: CaptureMode,
    /// Confirm at once with this payment method (`confirm=true`); without one the front end
    /// confirms with the client secret.
    pub payment_method: Option<String>,
    /// Shown in the Dashboard and on receipts (not sent to localstripe).
    pub description: Option<String>,
    /// Where Stripe sends the receipt (not sent to localstripe).
    pub receipt_email: Option<String>,
    /// Metadata (`payment_id`, `order_id`...).
    pub metadata: BTreeMap<String, String>,
}

impl CreatePaymentIntent {
    /// An automatic-capture intent for `amount`, confirmed on the front end.
    pub fn new(amount: Money) -> Self {
        CreatePaymentIntent {
            amount,
            capture: CaptureMode::Automatic,
            payment_method: None,
            description: None,
            receipt_email: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Capture mode.
    pub fn capture(mut self, capture: CaptureMode) -> Self {
        self.capture = capture;
        self
    }

    /// Confirms at creation with this payment method.
    pub fn payment_method(mut self, pm: impl Into<String>) -> Self {
        self.payment_method = Some(pm.into());
        self
    }

    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Receipt email.
    pub fn receipt_email(mut self, email: impl Into<String>) -> Self {
        self.receipt_email = Some(email.into());
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// Why an intent is canceled (`cancellation_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancellationReason {
    /// A duplicate payment.
    Duplicate,
    /// Suspected fraud.
    Fraudulent,
    /// The buyer asked.
    RequestedByCustomer,
    /// The buyer went away.
    Abandoned,
}

impl CancellationReason {
    fn as_str(self) -> &'static str {
        match self {
            CancellationReason::Duplicate => "duplicate",
            CancellationReason::Fraudulent => "fraudulent",
            CancellationReason::RequestedByCustomer => "requested_by_customer",
            CancellationReason::Abandoned => "abandoned",
        }
    }
}

/// The charge comes back embedded in every intent this crate fetches.
const EXPAND_CHARGE: (&str, &str) = ("expand[]", "latest_charge");

impl StripeClient {
    /// `POST /v1/payment_intents`. With a payment method the intent is confirmed in the same
    /// call (`confirm=true`), which real Stripe and localstripe both support.
    pub async fn create_payment_intent(
        &self,
        params: &CreatePaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent> {
        let full = self.config().full_params();
        let mut form = Form::default();
        form.push("amount", to_stripe_amount(params.amount)?.to_string());
        form.push("currency", stripe_currency(params.amount.currency()));
        form.push(
            "capture_method",
            match params.capture {
                CaptureMode::Automatic => "automatic",
                CaptureMode::Manual => "manual",
            },
        );
        match &self.config().payment_methods {
            PaymentMethods::Automatic { allow_redirects } if full => {
                form.push("automatic_payment_methods[enabled]", "true");
                // Confirming on the server without a return URL: a redirect could not come back,
                // and Stripe refuses such a confirmation unless redirects are excluded.
                let no_way_back = params.payment_method.is_some() && self.config().return_url.is_none();
                if !allow_redirects || no_way_back {
                    form.push("automatic_payment_methods[allow_redirects]", "never");
                }
            }
            PaymentMethods::Automatic { .. } => {}
            PaymentMethods::Types(types) => {
                for t in types {
                    form.push("payment_method_types[]", t.clone());
                }
            }
        }
        if let Some(pm) = &params.payment_method {
            form.push("payment_method", pm.clone());
            form.push("confirm", "true");
            if let (true, Some(url)) = (full, &self.config().return_url) {
                form.push("return_url", url.clone());
            }
        }
        if full {
            if let Some(d) = &params.description {
                form.push("description", d.clone());
            }
            if let Some(e) = &params.receipt_email {
                form.push("receipt_email", e.clone());
            }
        }
        form.metadata(&params.metadata)?;
        form.push(EXPAND_CHARGE.0, EXPAND_CHARGE.1);
        self.post("payment_intents", &form, key).await
    }

    /// `GET /v1/payment_intents/{id}` with the latest charge expanded.
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent> {
        check_id("payment_intent", id)?;
        self.get(&format!("payment_intents/{id}"), &[EXPAND_CHARGE]).await
    }

    /// `POST /v1/payment_intents/{id}/confirm`, optionally attaching `payment_method`.
    ///
    /// localstripe answers HTTP 500 to a `payment_method` here, so in
    /// [`crate::Compatibility::Localstripe`] mode that combination is refused up front: pass the
    /// payment method at creation instead.
    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        payment_method: Option<&str>,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent> {
        check_id("payment_intent", id)?;
        let full = self.config().full_params();
        let mut form = Form::default();
        if let Some(pm) = payment_method {
            if !full {
                return Err(Error::InvalidRequest {
                    message: "localstripe cannot confirm with a payment_method; pass it at creation".into(),
                    param: Some("payment_method".into()),
                    code: None,
                });
            }
            form.push("payment_method", pm);
        }
        if let (true, Some(url)) = (full, &self.config().return_url) {
            form.push("return_url", url.clone());
        }
        form.push(EXPAND_CHARGE.0, EXPAND_CHARGE.1);
        self.post(&format!("payment_intents/{id}/confirm"), &form, key).await
    }

    /// `POST /v1/payment_intents/{id}/capture`: all of the authorization, or `amount_to_capture`
    /// (the rest is released).
    pub async fn capture_payment_intent(
        &self,
        id: &str,
        amount_to_capture: Option<Money>,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent> {
        check_id("payment_intent", id)?;
        let mut form = Form::default();
        if let Some(amount) = amount_to_capture {
            form.push("amount_to_capture", to_stripe_amount(amount)?.to_string());
        }
        form.push(EXPAND_CHARGE.0, EXPAND_CHARGE.1);
        self.post(&format!("payment_intents/{id}/capture"), &form, key).await
    }

    /// `POST /v1/payment_intents/{id}/cancel`: releases an authorization or abandons an intent
    /// that was never completed. The reason is not sent to localstripe.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        reason: Option<CancellationReason>,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent> {
        check_id("payment_intent", id)?;
        let mut form = Form::default();
        if let (true, Some(r)) = (self.config().full_params(), reason) {
            form.push("cancellation_reason", r.as_str());
        }
        form.push(EXPAND_CHARGE.0, EXPAND_CHARGE.1);
        self.post(&format!("payment_intents/{id}/cancel"), &form, key).await
    }
}
