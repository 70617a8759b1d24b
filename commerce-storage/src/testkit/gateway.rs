//! A scriptable payment gateway for tests: succeeds, declines, requires action, authorizes for a
//! later capture, and hands out notifications to deliver late, twice or out of order.
//!
//! Like a real provider it deduplicates by idempotency key: the same key never moves money twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::ids::PaymentId;
use commerce_core::money::Money;
use commerce_core::payment::{GatewayStatus, PaymentAction};
use commerce_core::ports::{
    CaptureMode, CapturePayment, GatewayCapabilities, GatewayError, GatewayPayment, GatewayRefund,
    Notification, NotificationRequest, PaymentGateway, RefundPayment, StartPayment,
};
use serde::{Deserialize, Serialize};

/// How the gateway answers `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Captured at once (automatic capture) or authorized (manual capture).
    Succeed,
    /// The buyer must act (a QR code); completes only through [`ScriptedGateway::buyer_pays`].
    RequireAction,
    /// Declined.
    Decline,
}

#[derive(Debug, Clone)]
struct Remote {
    payment_id: PaymentId,
    amount: Money,
    status: GatewayStatus,
    captured: Money,
    refunded: Money,
}

#[derive(Default)]
struct Inner {
    script: Option<Script>,
    remotes: HashMap<String, Remote>,
    by_key: HashMap<String, String>,
    capture_calls: u32,
    captures_done: HashMap<String, u32>,
    refunds: HashMap<String, (String, Money)>,
    notifications: Vec<Notification>,
    seq: u64,
}

/// The notification body the scripted gateway signs (with a fixed header) and parses.
#[derive(Debug, Serialize, Deserialize)]
struct Body {
    id: String,
    reference: String,
    payment_id: Option<PaymentId>,
    status: GatewayStatus,
    occurred_at: DateTime<Utc>,
}

/// The signature header value the scripted gateway accepts.
pub const TEST_SIGNATURE: &str = "scripted-ok";

/// A scriptable in-memory gateway named `"scripted"`.
#[derive(Default)]
pub struct ScriptedGateway {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for ScriptedGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedGateway")
    }
}

impl ScriptedGateway {
    /// A gateway that succeeds.
    pub fn new() -> Self {
        let g = Self::default();
        g.set_script(Script::Succeed);
        g
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes how `start` answers.
    pub fn set_script(&self, script: Script) {
        self.lock().script = Some(script);
    }

    /// Provider-side references of every payment started, with our ids.
    pub fn references(&self) -> Vec<(String, PaymentId)> {
        self.lock().remotes.iter().map(|(r, p)| (r.clone(), p.payment_id)).collect()
    }

    /// How many captures actually moved money (deduplicated by key).
    pub fn captures(&self) -> u32 {
        self.lock().captures_done.values().sum()
    }

    /// How many capture calls arrived (including duplicates by key).
    pub fn capture_calls(&self) -> u32 {
        self.lock().capture_calls
    }

    /// Total refunded at the provider for a reference.
    pub fn refunded(&self, reference: &str) -> Option<Money> {
        self.lock().remotes.get(reference).map(|r| r.refunded)
    }

    /// Plays the buyer completing the action (scanning the QR): the payment is captured at the
    /// provider and a notification is queued.
    pub fn buyer_pays(&self, reference: &str, now: DateTime<Utc>) -> Option<Notification> {
        let mut g = self.lock();
        let r = g.remotes.get_mut(reference)?;
        r.captured = r.amount;
        r.status = GatewayStatus::Captured { amount: r.amount };
        let status = r.status.clone();
        let payment_id = r.payment_id;
        Some(Self::queue(&mut g, reference, payment_id, status, now))
    }

    fn queue(
        g: &mut Inner,
        reference: &str,
        payment_id: PaymentId,
        status: GatewayStatus,
        now: DateTime<Utc>,
    ) -> Notification {
        g.seq += 1;
        let n = Notification {
            id: format!("evt_{}", g.seq),
            reference: reference.to_owned(),
            payment_id: Some(payment_id),
            status,
            occurred_at: now,
        };
        g.notifications.push(n.clone());
        n
    }

    /// Plays the buyer authorizing (3-D Secure completed) a payment started with an action: the
    /// provider now holds the funds. Returns whether the reference exists.
    pub fn set_authorized(&self, reference: &str) -> bool {
        let mut g = self.lock();
        match g.remotes.get_mut(reference) {
            Some(r) => {
                r.status = GatewayStatus::Authorized { amount: r.amount };
                true
            }
            None => false,
        }
    }

    /// Takes the queued notifications (oldest first); deliver them in any order, any number of
    /// times, with [`ScriptedGateway::request`].
    pub fn take_notifications(&self) -> Vec<Notification> {
        std::mem::take(&mut self.lock().notifications)
    }

    /// Builds a notification for `reference` by hand (e.g. an old "authorized" delivered late).
    pub fn make_notification(
        &self,
        id: &str,
        reference: &str,
        status: GatewayStatus,
        now: DateTime<Utc>,
    ) -> Notification {
        let payment_id = self.lock().remotes.get(reference).map(|r| r.payment_id);
        Notification {
            id: id.to_owned(),
            reference: reference.to_owned(),
            payment_id,
            status,
            occurred_at: now,
        }
    }

    /// The HTTP request carrying `n`, signed.
    pub fn request(n: &Notification) -> (BTreeMap<String, String>, Vec<u8>) {
        let body = Body {
            id: n.id.clone(),
            reference: n.reference.clone(),
            payment_id: n.payment_id,
            status: n.status.clone(),
            occurred_at: n.occurred_at,
        };
        let mut headers = BTreeMap::new();
        headers.insert("x-scripted-signature".to_owned(), TEST_SIGNATURE.to_owned());
        (headers, serde_json::to_vec(&body).unwrap_or_default())
    }
}

#[async_trait]
impl PaymentGateway for ScriptedGateway {
    fn name(&self) -> &'static str {
        "scripted"
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

    async fn start(&self, req: StartPayment) -> Result<GatewayPayment, GatewayError> {
        let mut g = self.lock();
        if let Some(reference) = g.by_key.get(&req.idempotency_key).cloned() {
            let status =
                g.remotes.get(&reference).map(|r| r.status.clone()).unwrap_or(GatewayStatus::Pending);
            return Ok(GatewayPayment { reference, status });
        }
        let script = g.script.unwrap_or(Script::Succeed);
        if script == Script::Decline {
            return Err(GatewayError::Declined {
                code: Some("card_declined".into()),
                decline_code: Some("insufficient_funds".into()),
                message: "Your card has insufficient funds.".into(),
            });
        }
        g.seq += 1;
        let reference = format!("sp_{}_{}", req.payment_id, g.seq);
        let zero = Money::zero(req.amount.currency());
        let status = match (script, req.capture) {
            (Script::RequireAction, _) => GatewayStatus::RequiresAction {
                action: PaymentAction::ShowQr {
                    qr: format!("QR:{reference}"),
                    md5: format!("md5-{reference}"),
                    expires_at: req.expires_at,
                },
            },
            (_, CaptureMode::Automatic) => GatewayStatus::Captured { amount: req.amount },
            (_, CaptureMode::Manual) => GatewayStatus::Authorized { amount: req.amount },
        };
        let captured = if matches!(status, GatewayStatus::Captured { .. }) { req.amount } else { zero };
        g.remotes.insert(
            reference.clone(),
            Remote {
                payment_id: req.payment_id,
                amount: req.amount,
                status: status.clone(),
                captured,
                refunded: zero,
            },
        );
        g.by_key.insert(req.idempotency_key, reference.clone());
        let now = Utc::now();
        Self::queue(&mut g, &reference, req.payment_id, status.clone(), now);
        Ok(GatewayPayment { reference, status })
    }

    async fn capture(&self, req: CapturePayment) -> Result<GatewayPayment, GatewayError> {
        let mut g = self.lock();
        g.capture_calls += 1;
        let done_before = g.by_key.contains_key(&req.idempotency_key);
        let r =
            g.remotes.get_mut(&req.reference).ok_or_else(|| GatewayError::NotFound(req.reference.clone()))?;
        if !done_before {
            if !matches!(r.status, GatewayStatus::Authorized { .. }) {
                return Err(GatewayError::InvalidRequest("payment is not authorized".into()));
            }
            if req.amount.amount() > r.amount.amount() {
                return Err(GatewayError::InvalidRequest("amount exceeds authorization".into()));
            }
            r.captured = req.amount;
            r.status = GatewayStatus::Captured { amount: req.amount };
        }
        let status = r.status.clone();
        let payment_id = r.payment_id;
        if !done_before {
            *g.captures_done.entry(req.reference.clone()).or_insert(0) += 1;
            g.by_key.insert(req.idempotency_key, req.reference.clone());
            Self::queue(&mut g, &req.reference, payment_id, status.clone(), Utc::now());
        }
        Ok(GatewayPayment { reference: req.reference, status })
    }

    async fn void(&self, _payment_id: PaymentId, reference: &str) -> Result<GatewayPayment, GatewayError> {
        let mut g = self.lock();
        let r = g.remotes.get_mut(reference).ok_or_else(|| GatewayError::NotFound(reference.to_owned()))?;
        if matches!(r.status, GatewayStatus::Captured { .. }) {
            return Err(GatewayError::InvalidRequest("already captured".into()));
        }
        r.status = GatewayStatus::Voided;
        Ok(GatewayPayment { reference: reference.to_owned(), status: GatewayStatus::Voided })
    }

    async fn refund(&self, req: RefundPayment) -> Result<GatewayRefund, GatewayError> {
        let mut g = self.lock();
        if let Some((reference, _)) = g.refunds.get(&req.idempotency_key) {
            return Ok(GatewayRefund { reference: reference.clone(), succeeded: true });
        }
        let r =
            g.remotes.get_mut(&req.reference).ok_or_else(|| GatewayError::NotFound(req.reference.clone()))?;
        let after = r.refunded.checked_add(req.amount).map_err(|e| GatewayError::Provider(e.to_string()))?;
        if after.amount() > r.captured.amount() {
            return Err(GatewayError::InvalidRequest("refund exceeds the captured amount".into()));
        }
        r.refunded = after;
        g.seq += 1;
        let reference = format!("re_{}", g.seq);
        g.refunds.insert(req.idempotency_key, (reference.clone(), req.amount));
        Ok(GatewayRefund { reference, succeeded: true })
    }

    async fn fetch_status(
        &self,
        _payment_id: PaymentId,
        reference: &str,
    ) -> Result<GatewayPayment, GatewayError> {
        let g = self.lock();
        let r = g.remotes.get(reference).ok_or_else(|| GatewayError::NotFound(reference.to_owned()))?;
        Ok(GatewayPayment { reference: reference.to_owned(), status: r.status.clone() })
    }

    fn verify_notification(&self, request: &NotificationRequest<'_>) -> Result<Notification, GatewayError> {
        if request.headers.get("x-scripted-signature").map(String::as_str) != Some(TEST_SIGNATURE) {
            return Err(GatewayError::InvalidNotification("bad signature".into()));
        }
        let b: Body = serde_json::from_slice(request.body)
            .map_err(|e| GatewayError::InvalidNotification(format!("malformed body: {e}")))?;
        Ok(Notification {
            id: b.id,
            reference: b.reference,
            payment_id: b.payment_id,
            status: b.status,
            occurred_at: b.occurred_at,
        })
    }
}
