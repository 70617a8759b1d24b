//! Stripe events and their mapping to the engine's notifications.

use std::collections::BTreeMap;

use chrono::DateTime;
use commerce_core::ids::PaymentId;
use commerce_core::payment::GatewayStatus;
use commerce_core::ports::Notification;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::WebhookError;
use crate::config::Compatibility;
use crate::status::{action_status, capturable, failure_reason, intent_status, received, refund_status};
use crate::transformers::from_stripe_amount;
use crate::types::{Charge, PaymentIntent, Refund};

/// A Stripe event (snapshot payload).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// `evt_...`: the engine deduplicates on it.
    pub id: String,
    /// `payment_intent.succeeded`, `charge.refunded`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    /// When Stripe created the event, unix seconds.
    pub created: i64,
    /// Live or test mode.
    #[serde(default)]
    pub livemode: bool,
    /// The API version the object is rendered in.
    #[serde(default)]
    pub api_version: Option<String>,
    /// The object.
    pub data: EventData,
}

/// An event's object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EventData {
    /// The object as of the event (a PaymentIntent, a Charge, a Refund...).
    pub object: Value,
    /// For `*.updated` events: the fields that changed, with their old values.
    #[serde(default)]
    pub previous_attributes: Option<Value>,
}

impl Event {
    /// Reads an event from its JSON (verify the signature first).
    pub fn from_slice(payload: &[u8]) -> Result<Event, WebhookError> {
        serde_json::from_slice(payload).map_err(|e| WebhookError::InvalidEvent(e.to_string()))
    }

    /// The object read as `T`.
    pub fn object<T: DeserializeOwned>(&self) -> Result<T, WebhookError> {
        T::deserialize(&self.data.object)
            .map_err(|e| WebhookError::InvalidEvent(format!("{}: data.object: {e}", self.event_type)))
    }
}

/// Maps a payment event to the engine's [`Notification`].
///
/// | Event | Status |
/// |---|---|
/// | `payment_intent.succeeded` | `Captured { amount_received }` |
/// | `payment_intent.amount_capturable_updated` | `Authorized { amount_capturable }` |
/// | `payment_intent.requires_action` | `RequiresAction` |
/// | `payment_intent.processing`, `.created`, `.partially_funded` | `Pending` |
/// | `payment_intent.payment_failed` | `Failed { reason }` |
/// | `payment_intent.canceled` | `Voided` |
/// | `charge.succeeded` | `Captured` (captured) or `Authorized` |
/// | `charge.captured` | `Captured { amount_captured }` |
/// | `charge.failed` | `Failed { reason }` |
/// | `charge.refunded` | the newest refund in the charge's list, or `Pending` |
/// | `refund.created`, `refund.updated`, `refund.failed`, `charge.refund.updated` | `RefundSucceeded`, `RefundFailed` or `Pending` |
///
/// The notification's `reference` is the PaymentIntent id (for charges and refunds, the one they
/// belong to) and `payment_id` comes from `metadata[payment_id]` when present and valid. Other
/// event types, and charges or refunds without a PaymentIntent, are
/// [`WebhookError::UnhandledEvent`].
pub fn to_notification(event: &Event, compat: Compatibility) -> Result<Notification, WebhookError> {
    let unhandled = || WebhookError::UnhandledEvent { event_type: event.event_type.clone() };
    let amount_err = |e: crate::Error| WebhookError::InvalidEvent(format!("{}: {e}", event.event_type));
    let (reference, metadata, status) = match event.event_type.as_str() {
        t if t.starts_with("payment_intent.") => {
            let pi: PaymentIntent = event.object()?;
            let status = match &t["payment_intent.".len()..] {
                "succeeded" => GatewayStatus::Captured { amount: received(&pi, compat).map_err(amount_err)? },
                "amount_capturable_updated" => {
                    GatewayStatus::Authorized { amount: capturable(&pi).map_err(amount_err)? }
                }
                "requires_action" => action_status(&pi),
                "processing" | "created" | "partially_funded" => GatewayStatus::Pending,
                "payment_failed" => GatewayStatus::Failed { reason: failure_reason(&pi) },
                "canceled" => GatewayStatus::Voided,
                _ => intent_status(&pi, compat).map_err(amount_err)?,
            };
            (pi.id, pi.metadata, status)
        }
        "charge.succeeded" | "charge.captured" | "charge.failed" | "charge.refunded" => {
            let charge: Charge = event.object()?;
            let reference = charge.payment_intent.clone().ok_or_else(unhandled)?;
            let status = charge_status(&event.event_type, &charge, compat).map_err(amount_err)?;
            (reference, charge.metadata, status)
        }
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            let refund: Refund = event.object()?;
            let reference = refund.payment_intent.clone().ok_or_else(unhandled)?;
            let status = refund_status(&refund, compat).map_err(amount_err)?;
            (reference, refund.metadata, status)
        }
        _ => return Err(unhandled()),
    };
    let occurred_at = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| WebhookError::InvalidEvent(format!("created {} is out of range", event.created)))?;
    Ok(Notification {
        id: event.id.clone(),
        reference,
        payment_id: payment_id(&metadata),
        status,
        occurred_at,
    })
}

/// Our payment id from `metadata[payment_id]`, when present and a UUID.
fn payment_id(metadata: &BTreeMap<String, String>) -> Option<PaymentId> {
    let raw = metadata.get("payment_id")?;
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            tracing::warn!(payment_id = %raw, "metadata[payment_id] is not a payment id; ignored");
            None
        }
    }
}

fn charge_status(event_type: &str, charge: &Charge, compat: Compatibility) -> crate::Result<GatewayStatus> {
    let money = |units| from_stripe_amount(units, &charge.currency);
    Ok(match event_type {
        "charge.failed" => GatewayStatus::Failed {
            reason: charge
                .failure_message
                .clone()
                .or_else(|| charge.failure_code.clone())
                .unwrap_or_else(|| "charge failed".into()),
        },
        "charge.refunded" => {
            let refunds = charge.refunds.as_ref().map(|l| l.data.as_slice()).unwrap_or_default();
            let newest = refunds
                .iter()
                .filter(|r| !crate::status::is_capture_remainder(r, compat))
                .max_by_key(|r| r.created.unwrap_or(i64::MIN));
            match newest {
                Some(r) => refund_status(r, compat)?,
                None => GatewayStatus::Pending,
            }
        }
        _ if charge.captured => {
            GatewayStatus::Captured { amount: money(charge.amount_captured.unwrap_or(charge.amount))? }
        }
        "charge.captured" => GatewayStatus::Pending,
        _ => GatewayStatus::Authorized { amount: money(charge.amount)? },
    })
}
