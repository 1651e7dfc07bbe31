//! Outgoing mail: one [`Mailer`] in front of two transports.
//!
//! - SMTP (through lettre) when `smtp_url` is configured;
//! - otherwise the local mailbox: mail is stored in the database and shown
//!   at `/dev/mailbox` to clients on this machine, so a one-machine
//!   installation works without a mail server.
//!
//! Sending happens in a background task: a request never waits for a mail
//! server, and the time a reply takes does not reveal whether a mail was
//! sent (which would tell who has an account). Each mail gets three
//! attempts; one that still fails is logged at ERROR with its subject and
//! the recipient's domain. There is no durable outbox yet: a mail whose
//! attempts fail, or that is in flight when the process stops, is lost, and
//! the user has to ask for it again.

mod mailbox;
mod smtp;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use mailbox::{Mailbox, StoredMail};
pub use smtp::Smtp;

/// How long one delivery attempt may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPTS: u32 = 3;

/// One plain-text mail.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl fmt::Debug for Mail {
    /// Bodies carry sign-in links: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message")]
    Build(#[source] lettre::error::Error),
    #[error("the SMTP server refused or failed")]
    Smtp(#[source] lettre::transport::smtp::Error),
    #[error("the SMTP server did not answer within {}s", SEND_TIMEOUT.as_secs())]
    Timeout,
    #[error("cannot store the mail")]
    Store(#[source] sqlx::Error),
}

/// Where mail is delivered.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    async fn deliver(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Sends mail in the background. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Mailer {
    transport: Arc<dyn Transport>,
}

impl Mailer {
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Mailer { transport }
    }

    /// Queues `mail` for delivery and returns at once.
    pub fn send(&self, mail: Mail) {
        let transport = self.transport.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(500);
            for attempt in 1..=ATTEMPTS {
                let result = tokio::time::timeout(SEND_TIMEOUT, transport.deliver(&mail))
                    .await
                    .unwrap_or(Err(MailError::Timeout));
                match result {
                    Ok(()) => {
                        tracing::info!(mail.subject = %mail.subject, mail.attempt = attempt, "mail sent");
                        return;
                    }
                    Err(error) if attempt < ATTEMPTS => {
                        tracing::warn!(
                            error.chain = %app::error::ErrorChain(&error),
                            mail.attempt = attempt,
                            "mail delivery failed, retrying"
                        );
                        tokio::time::sleep(delay).await;
                        delay *= 4;
                    }
                    Err(error) => {
                        tracing::error!(
                            error.chain = %app::error::ErrorChain(&error),
                            mail.subject = %mail.subject,
                            mail.domain = mail.to.rsplit('@').next().unwrap_or(""),
                            "mail could not be delivered"
                        );
                    }
                }
            }
        });
    }
}
