//! Outgoing email: over SMTP when `SMTP_URL` is set, otherwise logged (and kept in memory, so
//! the demo and the tests can read what would have been sent).

use std::sync::{Arc, Mutex};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// How many logged emails are kept in memory.
const KEEP: usize = 1000;

/// Sends emails.
#[derive(Clone)]
pub struct Mailer {
    smtp: Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>,
    from: Mailbox,
    log: Arc<Mutex<Vec<Mail>>>,
}

impl Mailer {
    /// A mailer over `smtp_url`, or a logging one.
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let smtp = match smtp_url {
            Some(url) => Some(Arc::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .build(),
            )),
            None => None,
        };
        let from = from.parse().map_err(|e| anyhow::anyhow!("SHOP_MAIL_FROM: {e}"))?;
        Ok(Mailer { smtp, from, log: Arc::default() })
    }

    /// Sends `mail` (SMTP errors are returned so the outbox retries the job).
    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        match &self.smtp {
            Some(smtp) => {
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(mail.to.parse()?)
                    .subject(mail.subject.clone())
                    .body(mail.body.clone())?;
                smtp.send(message).await?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "email sent");
            }
            None => {
                tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "email (SMTP_URL unset, logged only)");
            }
        }
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() == KEEP {
            log.remove(0);
        }
        log.push(mail);
        Ok(())
    }

    /// The emails sent or logged so far (the last 1000).
    pub fn sent(&self) -> Vec<Mail> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
