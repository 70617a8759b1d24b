//! Refunds: full or partial, repeatedly, never beyond what was captured.
//!
//! [`StripeClient::create_refund`] checks the request against what Stripe reports as captured and
//! already refunded *before* calling Stripe, and reconciles *after* from the refund list, so a
//! refund that would exceed the capture is refused here even where the server would accept it
//! (localstripe does). A refund carrying `metadata[refund_id]` that already exists at Stripe is
//! returned as it is instead of being created again, which makes refunds idempotent even past
//! Stripe's 24-hour key window (and on localstripe, which ignores idempotency keys).

use std::collections::BTreeMap;

use commerce_core::Money;

use crate::client::{Form, StripeClient, check_id};
use crate::config::Compatibility;
use crate::error::{Error, Result};
use crate::idempotency::IdempotencyKey;
use crate::status::{charge_captured_units, is_capture_remainder};
use crate::transformers::{from_stripe_amount, to_stripe_amount};
use crate::types::{IntentStatus, List, PaymentIntent, Refund};

/// Why a refund is made (`reason`; not sent to localstripe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundReason {
    /// A duplicate charge.
    Duplicate,
    /// Fraud.
    Fraudulent,
    /// The buyer asked.
    RequestedByCustomer,
}

impl RefundReason {
    fn as_str(self) -> &'static str {
        match self {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
        }
    }
}

/// What to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateRefund {
    /// The PaymentIntent refunded.
    pub payment_intent: String,
    /// How much; `None` refunds everything still refundable.
    pub amount: Option<Money>,
    /// Why.
    pub reason: Option<RefundReason>,
    /// Metadata; `refund_id` (our id) makes the refund idempotent across retries.
    pub metadata: BTreeMap<String, String>,
}

impl CreateRefund {
    /// Refunds everything still refundable on `payment_intent`.
    pub fn new(payment_intent: impl Into<String>) -> Self {
        CreateRefund {
            payment_intent: payment_intent.into(),
            amount: None,
            reason: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Refunds this much.
    pub fn amount(mut self, amount: Money) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The reason.
    pub fn reason(mut self, reason: RefundReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// Captured and refunded amounts of one PaymentIntent, as Stripe reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundBalance {
    /// Captured.
    pub captured: Money,
    /// Refunded or being refunded (pending refunds count; failed and canceled do not; Stripe's
    /// own releases of uncaptured money do not).
    pub refunded: Money,
    /// `captured - refunded`, never below zero.
    pub refundable: Money,
    /// The intent's refunds, newest first, as Stripe lists them.
    pub refunds: Vec<Refund>,
}

impl RefundBalance {
    /// Whether Stripe shows more refunded than captured (never through this crate; possible
    /// through the Dashboard on a stand-in server).
    pub fn is_over_refunded(&self) -> bool {
        self.refunded.amount() > self.captured.amount()
    }
}

/// A refund Stripe accepted, with the balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundReceipt {
    /// The refund.
    pub refund: Refund,
    /// Its amount.
    pub amount: Money,
    /// Whether it already existed (found by `metadata[refund_id]`) and was not created again.
    pub replayed: bool,
    /// Captured and refunded after it.
    pub balance: RefundBalance,
}

/// Computes the balance from an intent and its refunds (pure; see [`RefundBalance`]).
pub(crate) fn balance(
    intent: &PaymentIntent,
    refunds: Vec<Refund>,
    compat: Compatibility,
) -> Result<RefundBalance> {
    let captured_units = match (intent.status, intent.amount_received, intent.charge()) {
        (IntentStatus::Succeeded, Some(received), _) => received,
        (IntentStatus::Succeeded, None, Some(charge)) => charge_captured_units(charge, &refunds, compat),
        (IntentStatus::Succeeded, None, None) => intent.amount,
        _ => 0,
    };
    let refunded_units: i64 = refunds
        .iter()
        .filter(|r| r.status().counts() && !is_capture_remainder(r, compat))
        .map(|r| r.amount)
        .sum();
    let money = |units| from_stripe_amount(units, &intent.currency);
    Ok(RefundBalance {
        captured: money(captured_units)?,
        refunded: money(refunded_units)?,
        refundable: money((captured_units - refunded_units).max(0))?,
        refunds,
    })
}

impl StripeClient {
    /// Every refund of `payment_intent` (`GET /v1/refunds?payment_intent=`, all pages).
    pub async fn list_refunds(&self, payment_intent: &str) -> Result<Vec<Refund>> {
        check_id("payment_intent", payment_intent)?;
        let mut all: Vec<Refund> = Vec::new();
        loop {
            let after = all.last().map(|r| r.id.clone());
            let mut query = vec![("payment_intent", payment_intent), ("limit", "100")];
            if let Some(after) = after.as_deref() {
                query.push(("starting_after", after));
            }
            let page: List<Refund> = self.get("refunds", &query).await?;
            let more = page.has_more && !page.data.is_empty();
            all.extend(page.data);
            if !more {
                return Ok(all);
            }
        }
    }

    /// What was captured and refunded on `payment_intent`.
    pub async fn refund_balance(&self, payment_intent: &str) -> Result<RefundBalance> {
        let intent = self.retrieve_payment_intent(payment_intent).await?;
        let refunds = self.list_refunds(payment_intent).await?;
        balance(&intent, refunds, self.config().compatibility())
    }

    /// Refunds, after checking the amount against the balance; see the module docs.
    pub async fn create_refund(&self, params: &CreateRefund, key: &IdempotencyKey) -> Result<RefundReceipt> {
        let pi = params.payment_intent.as_str();
        let before = self.refund_balance(pi).await?;
        if let Some(existing) = params.metadata.get("refund_id").and_then(|id| {
            before.refunds.iter().find(|r| r.metadata.get("refund_id") == Some(id) && r.status().counts())
        }) {
            tracing::info!(refund = %existing.id, payment_intent = pi, "refund already made; not repeated");
            let amount = from_stripe_amount(existing.amount, &existing.currency)?;
            return Ok(RefundReceipt { refund: existing.clone(), amount, replayed: true, balance: before });
        }
        let requested = params.amount.unwrap_or(before.refundable);
        if requested.currency() != before.captured.currency() {
            return Err(Error::InvalidAmount {
                amount: requested,
                reason: format!("the payment is in {}", before.captured.currency()),
            });
        }
        if requested.amount() > before.refundable.amount() || before.refundable.is_zero() {
            return Err(Error::RefundExceedsCaptured { requested, refundable: before.refundable });
        }
        let mut form = Form::default();
        form.push("payment_intent", pi);
        form.push("amount", to_stripe_amount(requested)?.to_string());
        if let (true, Some(reason)) = (self.config().full_params(), params.reason) {
            form.push("reason", reason.as_str());
        }
        form.metadata(&params.metadata)?;
        let refund: Refund = self.post("refunds", &form, key).await?;
        let after = self.reconcile(pi, &refund).await?;
        Ok(RefundReceipt {
            amount: from_stripe_amount(refund.amount, &refund.currency)?,
            refund,
            replayed: false,
            balance: after,
        })
    }

    /// Re-reads the balance after a refund and flags anything that does not add up.
    async fn reconcile(&self, payment_intent: &str, refund: &Refund) -> Result<RefundBalance> {
        let intent = self.retrieve_payment_intent(payment_intent).await?;
        let mut refunds = self.list_refunds(payment_intent).await?;
        if !refunds.iter().any(|r| r.id == refund.id) {
            // Lists can lag behind a create; count the refund we just made.
            refunds.insert(0, refund.clone());
        }
        let after = balance(&intent, refunds, self.config().compatibility())?;
        if after.is_over_refunded() {
            tracing::error!(
                payment_intent,
                refund = %refund.id,
                captured = %after.captured,
                refunded = %after.refunded,
                "Stripe shows more refunded than captured"
            );
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (intent JSON, refunds JSON, mode) -> (captured, refunded, refundable) in minor units.
    fn check(intent: &str, refunds: &str, compat: Compatibility, expected: (&str, &str, &str)) {
        let intent: PaymentIntent = serde_json::from_str(intent).unwrap();
        let refunds: Vec<Refund> = serde_json::from_str(refunds).unwrap();
        let b = balance(&intent, refunds, compat).unwrap();
        let got = (b.captured.to_string(), b.refunded.to_string(), b.refundable.to_string());
        assert_eq!((got.0.as_str(), got.1.as_str(), got.2.as_str()), expected);
    }

    #[test]
    fn balances_from_stripe_and_localstripe() {
        use Compatibility::{Localstripe as L, Stripe as S};
        let succeeded =
            r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded","amount_received":2000}"#;
        check(succeeded, "[]", S, ("20.00 USD", "0.00 USD", "20.00 USD"));
        check(
            succeeded,
            r#"[{"id":"re_2","amount":500,"currency":"usd","status":"pending","payment_intent":"pi"},
                {"id":"re_1","amount":700,"currency":"usd","status":"succeeded","payment_intent":"pi"},
                {"id":"re_0","amount":900,"currency":"usd","status":"failed","payment_intent":"pi"}]"#,
            S,
            ("20.00 USD", "12.00 USD", "8.00 USD"),
        );
        // Partial capture on Stripe: amount_received is the capture.
        check(
            r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded","amount_received":1500}"#,
            r#"[{"id":"re_1","amount":500,"currency":"usd","status":"succeeded","reason":"expired_uncaptured_charge","payment_intent":"pi"}]"#,
            S,
            ("15.00 USD", "0.00 USD", "15.00 USD"),
        );
        // Partial capture on localstripe: the remainder shows up as a refund without an intent.
        let local = r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded",
            "latest_charge":{"id":"ch","amount":2000,"currency":"usd","captured":true,"amount_refunded":500}}"#;
        let remainder =
            r#"[{"id":"re_1","amount":500,"currency":"usd","status":"succeeded","payment_intent":null}]"#;
        check(local, remainder, L, ("15.00 USD", "0.00 USD", "15.00 USD"));
        check(local, remainder, S, ("20.00 USD", "5.00 USD", "15.00 USD"));
        // Nothing captured yet.
        check(
            r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_capture","amount_capturable":2000}"#,
            "[]",
            S,
            ("0.00 USD", "0.00 USD", "0.00 USD"),
        );
        // Over-refunded (possible on localstripe): refundable stays at zero.
        check(
            succeeded,
            r#"[{"id":"re_1","amount":2500,"currency":"usd","status":"succeeded","payment_intent":"pi"}]"#,
            S,
            ("20.00 USD", "25.00 USD", "0.00 USD"),
        );
    }
}
