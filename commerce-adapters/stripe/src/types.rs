//! Stripe's objects as they come over the wire (PaymentIntent, Charge, Refund, lists).
//!
//! These are response DTOs: only the fields this crate reads, all lenient (a missing optional
//! field is `None`), amounts as Stripe's integers. [`crate::transformers`] turns amounts into
//! [`commerce_core::Money`].

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::ApiErrorBody;

/// Where a PaymentIntent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IntentStatus {
    /// Waiting for a payment method (also after a failed attempt, with `last_payment_error`).
    RequiresPaymentMethod,
    /// Has a payment method, waiting for confirmation.
    RequiresConfirmation,
    /// The buyer must act (3-D Secure, a redirect).
    RequiresAction,
    /// The payment is being processed.
    Processing,
    /// Authorized, waiting for a capture (manual capture).
    RequiresCapture,
    /// Paid. Final.
    Succeeded,
    /// Canceled. Final.
    Canceled,
    /// A status this crate does not know yet.
    #[serde(other)]
    Unknown,
}

/// A PaymentIntent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentIntent {
    /// `pi_...`.
    pub id: String,
    /// Amount intended to be collected, in Stripe's integer units.
    pub amount: i64,
    /// Lower-case currency code.
    pub currency: String,
    /// Status.
    pub status: IntentStatus,
    /// Amount that can be captured now (manual capture).
    #[serde(default)]
    pub amount_capturable: Option<i64>,
    /// Amount collected.
    #[serde(default)]
    pub amount_received: Option<i64>,
    /// `automatic`, `automatic_async` or `manual`.
    #[serde(default)]
    pub capture_method: Option<String>,
    /// The secret the front end confirms with.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Metadata (`payment_id`, `order_id`, `order_number`, and the host's own).
    #[serde(default, deserialize_with = "de_metadata")]
    pub metadata: BTreeMap<String, String>,
    /// The latest charge: an id, or the object when expanded.
    #[serde(default)]
    pub latest_charge: Option<Expandable<Charge>>,
    /// Why the last attempt failed.
    #[serde(default)]
    pub last_payment_error: Option<ApiErrorBody>,
    /// What the buyer must do, in `requires_action`.
    #[serde(default)]
    pub next_action: Option<NextAction>,
    /// Why it was canceled.
    #[serde(default)]
    pub cancellation_reason: Option<String>,
    /// Creation time, unix seconds.
    #[serde(default)]
    pub created: Option<i64>,
    /// Live or test mode.
    #[serde(default)]
    pub livemode: bool,
}

impl PaymentIntent {
    /// The latest charge when it was expanded (or embedded, as localstripe does).
    pub fn charge(&self) -> Option<&Charge> {
        match self.latest_charge.as_ref()? {
            Expandable::Object(c) => Some(c),
            Expandable::Id(_) => None,
        }
    }
}

/// The action a PaymentIntent in `requires_action` waits for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NextAction {
    /// `use_stripe_sdk`, `redirect_to_url`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// For `redirect_to_url`: where to send the buyer.
    #[serde(default)]
    pub redirect_to_url: Option<RedirectToUrl>,
}

/// A redirect the buyer must follow.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RedirectToUrl {
    /// The URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A field that is an id, or the object when expanded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    /// Just the id.
    Id(String),
    /// The expanded object.
    Object(Box<T>),
}

/// A charge (one attempt to move money for an intent).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Charge {
    /// `ch_...`.
    pub id: String,
    /// Amount authorized.
    pub amount: i64,
    /// Amount captured (absent in localstripe).
    #[serde(default)]
    pub amount_captured: Option<i64>,
    /// Amount refunded so far.
    #[serde(default)]
    pub amount_refunded: i64,
    /// Whether the charge was captured.
    #[serde(default)]
    pub captured: bool,
    /// Lower-case currency code.
    pub currency: String,
    /// `succeeded`, `pending` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// The intent it belongs to.
    #[serde(default, deserialize_with = "de_id_or_object")]
    pub payment_intent: Option<String>,
    /// Failure code.
    #[serde(default)]
    pub failure_code: Option<String>,
    /// Failure message.
    #[serde(default)]
    pub failure_message: Option<String>,
    /// Metadata.
    #[serde(default, deserialize_with = "de_metadata")]
    pub metadata: BTreeMap<String, String>,
    /// Its refunds, when Stripe includes them (older API versions, expansion, localstripe).
    #[serde(default)]
    pub refunds: Option<List<Refund>>,
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundStatus {
    /// In progress.
    Pending,
    /// The buyer must act (some payment methods).
    RequiresAction,
    /// Done.
    Succeeded,
    /// Failed; the money stays with the merchant.
    Failed,
    /// Canceled.
    Canceled,
    /// A status this crate does not know yet.
    #[serde(other)]
    Unknown,
}

impl RefundStatus {
    /// Whether the refund counts against the captured amount (done or on its way).
    pub fn counts(self) -> bool {
        matches!(self, RefundStatus::Pending | RefundStatus::RequiresAction | RefundStatus::Succeeded)
    }
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Refund {
    /// `re_...`.
    pub id: String,
    /// Amount, in Stripe's integer units.
    pub amount: i64,
    /// Lower-case currency code.
    pub currency: String,
    /// Status (localstripe refunds are always `succeeded`).
    #[serde(default)]
    pub status: Option<RefundStatus>,
    /// The intent refunded.
    #[serde(default, deserialize_with = "de_id_or_object")]
    pub payment_intent: Option<String>,
    /// The charge refunded.
    #[serde(default, deserialize_with = "de_id_or_object")]
    pub charge: Option<String>,
    /// `duplicate`, `fraudulent`, `requested_by_customer`, or Stripe's own
    /// `expired_uncaptured_charge`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Metadata (`payment_id`, `refund_id`).
    #[serde(default, deserialize_with = "de_metadata")]
    pub metadata: BTreeMap<String, String>,
    /// Creation time, unix seconds.
    #[serde(default)]
    pub created: Option<i64>,
    /// Why it failed.
    #[serde(default)]
    pub failure_reason: Option<String>,
}

impl Refund {
    /// The status, `succeeded` when Stripe omits it.
    pub fn status(&self) -> RefundStatus {
        self.status.unwrap_or(RefundStatus::Succeeded)
    }

    /// Whether Stripe made this refund to release money that was never captured (an expired
    /// authorization), rather than to give back captured money.
    pub fn releases_uncaptured(&self) -> bool {
        self.reason.as_deref() == Some("expired_uncaptured_charge")
    }
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct List<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
}

/// Reads a field that is an id, an expanded object with an `id`, or null.
pub(crate) fn de_id_or_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    })
}

/// Reads metadata: a map of strings (Stripe), tolerating `null`, `[]` and non-string values.
pub(crate) fn de_metadata<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Object(o)) => o
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        _ => BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_read_from_stripe_and_localstripe_shapes() {
        let stripe = r#"{"id":"pi_1","object":"payment_intent","amount":2000,"amount_capturable":0,
            "amount_received":2000,"currency":"usd","status":"succeeded","capture_method":"automatic",
            "client_secret":"pi_1_secret_x","metadata":{"payment_id":"p"},"latest_charge":"ch_1",
            "last_payment_error":null,"next_action":null,"livemode":false,"new_field":{"x":1}}"#;
        let pi: PaymentIntent = serde_json::from_str(stripe).unwrap();
        assert_eq!((pi.status, pi.amount_received, pi.charge()), (IntentStatus::Succeeded, Some(2000), None));
        assert_eq!(pi.latest_charge, Some(Expandable::Id("ch_1".into())));
        assert_eq!(pi.metadata.get("payment_id").map(String::as_str), Some("p"));

        // localstripe: no amount_received, embedded charge, refunds listed on the charge.
        let local = r#"{"id":"pi_2","amount":1000,"currency":"eur","status":"requires_capture",
            "metadata":[],"latest_charge":{"id":"ch_2","amount":1000,"currency":"eur","captured":false,
            "status":"succeeded","payment_intent":"pi_2","metadata":{},
            "refunds":{"object":"list","data":[],"has_more":false}}}"#;
        let pi: PaymentIntent = serde_json::from_str(local).unwrap();
        let charge = pi.charge().unwrap();
        assert_eq!((charge.amount, charge.captured, charge.amount_refunded), (1000, false, 0));
        assert!(pi.metadata.is_empty());
        assert_eq!(pi.amount_received, None);

        let odd: PaymentIntent =
            serde_json::from_str(r#"{"id":"pi_3","amount":1,"currency":"usd","status":"something_new"}"#)
                .unwrap();
        assert_eq!(odd.status, IntentStatus::Unknown);
    }

    #[test]
    fn refunds_read_leniently() {
        let r: Refund = serde_json::from_str(
            r#"{"id":"re_1","amount":500,"currency":"usd","status":"pending","payment_intent":{"id":"pi_1"},
                "charge":"ch_1","reason":"expired_uncaptured_charge","metadata":{"n":5}}"#,
        )
        .unwrap();
        assert_eq!(r.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(r.metadata.get("n").map(String::as_str), Some("5"));
        assert!(r.releases_uncaptured() && r.status().counts());
        let bare: Refund = serde_json::from_str(r#"{"id":"re_2","amount":1,"currency":"usd"}"#).unwrap();
        assert_eq!(bare.status(), RefundStatus::Succeeded);
        assert!(!RefundStatus::Failed.counts() && !RefundStatus::Canceled.counts());
    }
}
