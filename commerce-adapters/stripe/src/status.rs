//! What a PaymentIntent (or charge, or refund) says, as the engine's [`GatewayStatus`].
//!
//! One mapping serves `start`, `capture`, `void`, `fetch_status` and the webhooks, so the
//! client-confirm path and the webhook path report the same status for the same intent.

use commerce_core::Money;
use commerce_core::payment::{GatewayStatus, PaymentAction};

use crate::config::Compatibility;
use crate::error::Result;
use crate::transformers::from_stripe_amount;
use crate::types::{Charge, IntentStatus, PaymentIntent, Refund, RefundStatus};

/// The engine's view of a PaymentIntent.
///
/// | Stripe status | [`GatewayStatus`] |
/// |---|---|
/// | `requires_payment_method` after a failed attempt (`last_payment_error`) | `Failed { reason }` |
/// | `requires_payment_method`, `requires_confirmation`, `requires_action` | `RequiresAction` (`Redirect` for `redirect_to_url`, else `ConfirmOnClient` with the client secret) |
/// | `processing` | `Pending` |
/// | `requires_capture` | `Authorized { amount_capturable }` |
/// | `succeeded` | `Captured { amount_received }` |
/// | `canceled` | `Voided` |
pub fn intent_status(intent: &PaymentIntent, compat: Compatibility) -> Result<GatewayStatus> {
    Ok(match intent.status {
        IntentStatus::RequiresPaymentMethod if intent.last_payment_error.is_some() => {
            GatewayStatus::Failed { reason: failure_reason(intent) }
        }
        IntentStatus::RequiresPaymentMethod
        | IntentStatus::RequiresConfirmation
        | IntentStatus::RequiresAction => action_status(intent),
        IntentStatus::Processing | IntentStatus::Unknown => GatewayStatus::Pending,
        IntentStatus::RequiresCapture => GatewayStatus::Authorized { amount: capturable(intent)? },
        IntentStatus::Succeeded => GatewayStatus::Captured { amount: received(intent, compat)? },
        IntentStatus::Canceled => GatewayStatus::Voided,
    })
}

/// What the buyer must do; `Pending` when Stripe gave neither a redirect nor a client secret.
pub(crate) fn action_status(intent: &PaymentIntent) -> GatewayStatus {
    let redirect =
        intent.next_action.as_ref().and_then(|a| a.redirect_to_url.as_ref()).and_then(|r| r.url.clone());
    let action = match (redirect, &intent.client_secret) {
        (Some(url), _) => PaymentAction::Redirect { url },
        (None, Some(secret)) => PaymentAction::ConfirmOnClient { client_secret: secret.clone() },
        (None, None) => return GatewayStatus::Pending,
    };
    GatewayStatus::RequiresAction { action }
}

/// The failure's reason for people: Stripe's message, else its codes.
pub(crate) fn failure_reason(intent: &PaymentIntent) -> String {
    let Some(e) = &intent.last_payment_error else { return "payment failed".into() };
    let codes =
        [e.code.as_deref(), e.decline_code.as_deref()].into_iter().flatten().collect::<Vec<_>>().join("/");
    match (&e.message, codes.is_empty()) {
        (Some(m), true) => m.clone(),
        (Some(m), false) => format!("{m} ({codes})"),
        (None, false) => codes,
        (None, true) => "payment failed".into(),
    }
}

/// The amount held: `amount_capturable`, else (localstripe) the uncaptured charge's amount,
/// else the intent's amount.
pub(crate) fn capturable(intent: &PaymentIntent) -> Result<Money> {
    let units = match (intent.amount_capturable.filter(|a| *a > 0), intent.charge()) {
        (Some(a), _) => a,
        (None, Some(c)) if !c.captured => c.amount,
        _ => intent.amount,
    };
    from_stripe_amount(units, &intent.currency)
}

/// The amount collected: `amount_received`, else the latest charge's captured amount.
pub(crate) fn received(intent: &PaymentIntent, compat: Compatibility) -> Result<Money> {
    let units = match (intent.amount_received, intent.charge()) {
        (Some(a), _) => a,
        (None, Some(charge)) => {
            let refunds = charge.refunds.as_ref().map(|l| l.data.as_slice()).unwrap_or_default();
            charge_captured_units(charge, refunds, compat)
        }
        (None, None) => 0,
    };
    from_stripe_amount(units, &intent.currency)
}

/// How much of `charge` was captured, in Stripe units.
///
/// Real Stripe reports `amount_captured`. localstripe does not: it records a partial capture as a
/// capture of the whole amount plus a refund of the rest, made on the charge without a
/// `payment_intent`. In [`Compatibility::Localstripe`] mode those refunds are taken off.
pub(crate) fn charge_captured_units(charge: &Charge, refunds: &[Refund], compat: Compatibility) -> i64 {
    if !charge.captured {
        return 0;
    }
    if let Some(captured) = charge.amount_captured {
        return captured;
    }
    let released: i64 = if compat == Compatibility::Localstripe {
        refunds.iter().filter(|r| is_capture_remainder(r, compat)).map(|r| r.amount).sum()
    } else {
        0
    };
    charge.amount - released
}

/// Whether `refund` only released money that was never captured (not a refund of captured
/// money): Stripe's `expired_uncaptured_charge`, or localstripe's partial-capture remainder.
pub(crate) fn is_capture_remainder(refund: &Refund, compat: Compatibility) -> bool {
    refund.releases_uncaptured() || (compat == Compatibility::Localstripe && refund.payment_intent.is_none())
}

/// The engine's view of one refund: `RefundSucceeded`, `RefundFailed`, or `Pending` while in
/// flight (and for Stripe's own releases of uncaptured money, which are not refunds to record).
pub fn refund_status(refund: &Refund, compat: Compatibility) -> Result<GatewayStatus> {
    if is_capture_remainder(refund, compat) {
        return Ok(GatewayStatus::Pending);
    }
    Ok(match refund.status() {
        RefundStatus::Succeeded => GatewayStatus::RefundSucceeded {
            reference: refund.id.clone(),
            amount: from_stripe_amount(refund.amount, &refund.currency)?,
        },
        RefundStatus::Failed | RefundStatus::Canceled => {
            GatewayStatus::RefundFailed { reference: refund.id.clone() }
        }
        _ => GatewayStatus::Pending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(json: &str) -> PaymentIntent {
        serde_json::from_str(json).unwrap()
    }

    /// An intent (JSON) -> the engine's status, as JSON for a compact table.
    fn check(json: &str, compat: Compatibility, expected: &str) {
        let got = intent_status(&intent(json), compat).unwrap();
        let want: GatewayStatus = serde_json::from_str(expected).unwrap();
        assert_eq!(got, want, "{json}");
    }

    #[test]
    fn intents_map_to_gateway_statuses() {
        use Compatibility::{Localstripe as L, Stripe as S};
        let table: &[(&str, Compatibility, &str)] = &[
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_payment_method","client_secret":"cs"}"#,
                S,
                r#"{"state":"requires_action","action":{"type":"confirm_on_client","client_secret":"cs"}}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_action","client_secret":"cs",
                   "next_action":{"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.stripe.com/3ds"}}}"#,
                S,
                r#"{"state":"requires_action","action":{"type":"redirect","url":"https://hooks.stripe.com/3ds"}}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_action","client_secret":"cs",
                   "next_action":{"type":"use_stripe_sdk","use_stripe_sdk":{}}}"#,
                S,
                r#"{"state":"requires_action","action":{"type":"confirm_on_client","client_secret":"cs"}}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_confirmation"}"#,
                S,
                r#"{"state":"pending"}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_payment_method",
                   "last_payment_error":{"code":"card_declined","decline_code":"insufficient_funds","message":"No funds."}}"#,
                S,
                r#"{"state":"failed","reason":"No funds. (card_declined/insufficient_funds)"}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"processing"}"#,
                S,
                r#"{"state":"pending"}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"requires_capture","amount_capturable":2000}"#,
                S,
                r#"{"state":"authorized","amount":{"amount":"20.00","currency":"USD"}}"#,
            ),
            (
                r#"{"id":"pi","amount":500,"currency":"jpy","status":"requires_capture",
                   "latest_charge":{"id":"ch","amount":500,"currency":"jpy","captured":false}}"#,
                L,
                r#"{"state":"authorized","amount":{"amount":"500","currency":"JPY"}}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded","amount_received":1500}"#,
                S,
                r#"{"state":"captured","amount":{"amount":"15.00","currency":"USD"}}"#,
            ),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded",
                   "latest_charge":{"id":"ch","amount":2000,"amount_captured":1200,"currency":"usd","captured":true}}"#,
                S,
                r#"{"state":"captured","amount":{"amount":"12.00","currency":"USD"}}"#,
            ),
            // localstripe partial capture: the remainder is a refund without payment_intent;
            // a later real refund (with payment_intent) does not lower what was captured.
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"succeeded",
                   "latest_charge":{"id":"ch","amount":2000,"currency":"usd","captured":true,"amount_refunded":1300,
                   "refunds":{"data":[{"id":"re_2","amount":500,"currency":"usd","payment_intent":"pi"},
                                      {"id":"re_1","amount":800,"currency":"usd","payment_intent":null}]}}}"#,
                L,
                r#"{"state":"captured","amount":{"amount":"12.00","currency":"USD"}}"#,
            ),
            (r#"{"id":"pi","amount":2000,"currency":"usd","status":"canceled"}"#, S, r#"{"state":"voided"}"#),
            (
                r#"{"id":"pi","amount":2000,"currency":"usd","status":"brand_new"}"#,
                S,
                r#"{"state":"pending"}"#,
            ),
        ];
        for &(json, compat, expected) in table {
            check(json, compat, expected);
        }
    }

    #[test]
    fn refunds_map_to_gateway_statuses() {
        let r = |json: &str| serde_json::from_str::<Refund>(json).unwrap();
        let st = |json: &str, c| serde_json::to_string(&refund_status(&r(json), c).unwrap()).unwrap();
        let s = Compatibility::Stripe;
        assert_eq!(
            st(
                r#"{"id":"re_1","amount":250,"currency":"usd","status":"succeeded","payment_intent":"pi"}"#,
                s
            ),
            r#"{"state":"refund_succeeded","reference":"re_1","amount":{"amount":"2.50","currency":"USD"}}"#
        );
        assert_eq!(
            st(r#"{"id":"re_1","amount":250,"currency":"usd","status":"failed","payment_intent":"pi"}"#, s),
            r#"{"state":"refund_failed","reference":"re_1"}"#
        );
        assert_eq!(
            st(r#"{"id":"re_1","amount":250,"currency":"usd","status":"pending","payment_intent":"pi"}"#, s),
            r#"{"state":"pending"}"#
        );
        assert_eq!(
            st(
                r#"{"id":"re_1","amount":250,"currency":"usd","status":"succeeded","payment_intent":"pi","reason":"expired_uncaptured_charge"}"#,
                s
            ),
            r#"{"state":"pending"}"#
        );
        // Without payment_intent: a refund on real Stripe, a capture remainder on localstripe.
        let bare = r#"{"id":"re_1","amount":250,"currency":"usd","status":"succeeded"}"#;
        assert!(st(bare, s).contains("refund_succeeded"));
        assert_eq!(st(bare, Compatibility::Localstripe), r#"{"state":"pending"}"#);
    }
}
