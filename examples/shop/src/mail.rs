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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// A minimal SMTP server that accepts one message and returns its DATA.
    async fn fake_smtp() -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Some(line) = lines.next_line().await.unwrap() {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 fake\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
            data
        });
        (port, task)
    }

    #[tokio::test]
    async fn smtp_url_sends_over_smtp() {
        let (port, server) = fake_smtp().await;
        let mailer = Mailer::new(Some(&format!("smtp://127.0.0.1:{port}")), "shop@example.com").unwrap();
        let mail = Mail {
            to: "ann@example.com".into(),
            subject: "Order K7M2 confirmed".into(),
            body: "Thanks!".into(),
        };
        mailer.send(mail.clone()).await.unwrap();
        drop(mailer); // closes the pooled connection (QUIT)
        let data = tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap();
        assert!(data.contains("Subject: Order K7M2 confirmed"), "{data}");
        assert!(data.contains("To: ann@example.com"), "{data}");
        assert!(data.contains("Thanks!"), "{data}");
    }

    #[tokio::test]
    async fn without_smtp_mail_is_logged_and_kept() {
        let mailer = Mailer::new(None, "shop@example.com").unwrap();
        let mail = Mail { to: "ann@example.com".into(), subject: "s".into(), body: "b".into() };
        mailer.send(mail.clone()).await.unwrap();
        assert_eq!(mailer.sent(), vec![mail]);
        assert!(Mailer::new(None, "not an address").is_err(), "SHOP_MAIL_FROM is checked");
    }
}
