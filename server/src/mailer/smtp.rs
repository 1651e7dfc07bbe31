//! Delivery through an SMTP server.

use async_trait::async_trait;
use lettre::message::Mailbox as Address;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, MailError, SEND_TIMEOUT, Transport};
use crate::vault::Secret;

#[derive(Debug)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
}

impl Smtp {
    /// A transport for `url` (validated at configuration load) sending as
    /// `from`.
    pub fn new(url: &Secret<String>, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(MailError::Smtp)?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from
            .parse()
            .map_err(|_| MailError::Address(from.to_string()))?;
        Ok(Smtp { transport, from })
    }
}

#[async_trait]
impl Transport for Smtp {
    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let to: Address = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(MailError::Build)?;
        self.transport
            .send(message)
            .await
            .map_err(MailError::Smtp)?;
        Ok(())
    }
}
