//! Background jobs, driven by the engine's transactional outbox (at least once, retried with
//! backoff, dead-lettered after repeated failures): order confirmation, payment receipt,
//! stock-low notice to the admin, password-reset email.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use commerce::events::{Event, EventKind};
use commerce::worker::{EventHandler, HandlerError};
use commerce::{Engine, EventId};

use crate::mail::{Mail, Mailer};

/// Sends the shop's emails for domain events.
pub struct EmailJobs {
    engine: Arc<Engine>,
    mailer: Mailer,
    admin_email: String,
    merchant: String,
    /// Recently handled event ids: a redelivery within this process sends nothing twice (a
    /// crash between sending and acknowledging can still repeat one email; at-least-once).
    seen: Mutex<(HashSet<EventId>, VecDeque<EventId>)>,
}

const SEEN: usize = 10_000;

impl EmailJobs {
    /// The handler.
    pub fn new(engine: Arc<Engine>, mailer: Mailer, admin_email: String, merchant: String) -> Self {
        EmailJobs { engine, mailer, admin_email, merchant, seen: Mutex::default() }
    }

    fn first_time(&self, id: EventId) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.0.contains(&id) {
            return false;
        }
        if seen.1.len() == SEEN
            && let Some(old) = seen.1.pop_front()
        {
            seen.0.remove(&old);
        }
        seen.0.insert(id);
        seen.1.push_back(id);
        true
    }

    async fn mail_for(&self, event: &Event) -> Result<Option<Mail>, HandlerError> {
        let fail = |e: commerce::Error| HandlerError::new(e.to_string());
        Ok(match &event.kind {
            EventKind::OrderPlaced { order_id, number, email, total, .. } => {
                let order = self.engine.order(*order_id).await.map_err(fail)?;
                let mut body = format!("Thank you for your order {number} at {}.\n\n", self.merchant);
                for l in &order.lines {
                    body.push_str(&format!("  {} x {}  {}\n", l.quantity, l.name, l.total));
                }
                body.push_str(&format!("\nTotal: {total}\nStatus: {}\n", order.status.as_str()));
                Some(Mail { to: email.clone(), subject: format!("Order {number} confirmed"), body })
            }
            EventKind::PaymentCaptured { order_id, amount, total_captured, .. } => {
                let order = self.engine.order(*order_id).await.map_err(fail)?;
                Some(Mail {
                    to: order.email.clone(),
                    subject: format!("Payment received for order {}", order.number),
                    body: format!(
                        "We received {amount} for order {} (paid so far: {total_captured}).\n",
                        order.number
                    ),
                })
            }
            EventKind::StockLow { sku, available, threshold } => Some(Mail {
                to: self.admin_email.clone(),
                subject: format!("Stock low: {sku}"),
                body: format!("{sku} has {available} available (threshold {threshold}).\n"),
            }),
            EventKind::PasswordResetRequested { email, token, expires_at, .. } => Some(Mail {
                to: email.clone(),
                subject: "Reset your password".into(),
                body: format!(
                    "Someone asked to reset the password of your {} account.\n\
                     Use this token with POST /api/users/password_reset/confirm before {expires_at}:\n\n\
                     token: {token}\n\nIf it was not you, ignore this email.\n",
                    self.merchant
                ),
            }),
            _ => None,
        })
    }
}

#[async_trait]
impl EventHandler for EmailJobs {
    fn name(&self) -> &str {
        "email"
    }

    fn accepts(&self, event: &Event) -> bool {
        matches!(
            event.kind,
            EventKind::OrderPlaced { .. }
                | EventKind::PaymentCaptured { .. }
                | EventKind::StockLow { .. }
                | EventKind::PasswordResetRequested { .. }
        )
    }

    async fn handle(&self, event: &Event) -> Result<(), HandlerError> {
        if !self.first_time(event.id) {
            return Ok(());
        }
        let sent = async {
            if let Some(mail) = self.mail_for(event).await? {
                self.mailer.send(mail).await.map_err(|e| HandlerError::new(e.to_string()))?;
            }
            Ok(())
        }
        .await;
        if sent.is_err() {
            // Let the outbox retry it.
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.0.remove(&event.id);
        }
        sent
    }
}
