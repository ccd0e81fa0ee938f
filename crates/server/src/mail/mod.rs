//! Mail out of latchkey: the Hanko public API's passcodes, sent over SMTP through the tenant's
//! own mail server when it has one, else through the server-wide one.

mod passcode;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use latchkey_engine::model::hanko_public::SmtpSettings;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{Address, AsyncTransport, Message};

pub use passcode::{MailLanguage, passcode_mail};
use transport::Transports;

/// How long one mail may take, connecting included: a dead mail server must not hold the
/// request that sends a passcode for ever.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends mails; clones share their connections.
#[derive(Clone)]
pub struct Mailer {
    server_wide: Option<Arc<SmtpSettings>>,
    transports: Arc<Transports>,
    timeout: Duration,
}

/// One plain-text UTF-8 mail.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// Shown as the sender's name; none when empty.
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a mail was not sent. No variant carries the mail server's password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no mail server is configured, neither the tenant's nor the server-wide one")]
    NotConfigured,
    #[error("the {field} address {address:?} is not a mail address: {reason}")]
    Address {
        field: &'static str,
        address: String,
        reason: String,
    },
    #[error("cannot write the mail: {0}")]
    Message(String),
    #[error("cannot send through {host}:{port}: {reason}")]
    Send {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("{host}:{port} did not take the mail within {after:?}")]
    Timeout {
        host: String,
        port: u16,
        after: Duration,
    },
}

impl Mailer {
    /// A mailer that falls back on `server_wide` for tenants without their own mail server.
    pub fn new(server_wide: Option<SmtpSettings>) -> Self {
        Self {
            server_wide: server_wide.map(Arc::new),
            transports: Arc::default(),
            timeout: SEND_TIMEOUT,
        }
    }

    /// Sends `mail` through `tenant`'s mail server if given, else through the server-wide one.
    pub async fn send(&self, tenant: Option<&SmtpSettings>, mail: &Mail) -> Result<(), MailError> {
        let settings = tenant
            .or(self.server_wide.as_deref())
            .ok_or(MailError::NotConfigured)?;
        let message = message(mail)?;
        let failed = |error: lettre::transport::smtp::Error| MailError::Send {
            host: settings.host.clone(),
            port: settings.port,
            reason: redacted(error.to_string(), &settings.password),
        };
        let transport = self
            .transports
            .get(settings, self.timeout)
            .map_err(failed)?;
        match tokio::time::timeout(self.timeout, transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(failed(error)),
            Err(_) => {
                // The connection was cut mid-conversation: start the next mail afresh.
                self.transports.forget(settings);
                Err(MailError::Timeout {
                    host: settings.host.clone(),
                    port: settings.port,
                    after: self.timeout,
                })
            }
        }
    }

    #[cfg(test)]
    fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }
}

/// The server-wide settings without their password, and how many servers have a transport.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server_wide", &self.server_wide)
            .field("transports", &self.transports.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The subject and body carry the passcode: they stay out of logs.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("from_name", &self.from_name)
            .field("from_address", &self.from_address)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

fn message(mail: &Mail) -> Result<Message, MailError> {
    let name = (!mail.from_name.is_empty()).then(|| mail.from_name.clone());
    Message::builder()
        .from(Mailbox::new(name, address("from", &mail.from_address)?))
        .to(Mailbox::new(None, address("to", &mail.to)?))
        .subject(mail.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|error| MailError::Message(error.to_string()))
}

fn address(field: &'static str, text: &str) -> Result<Address, MailError> {
    text.parse()
        .map_err(|error: lettre::address::AddressError| MailError::Address {
            field,
            address: text.to_owned(),
            reason: error.to_string(),
        })
}

/// A mail server's reply can quote what it was sent; the password must not travel on in an error.
fn redacted(text: String, password: &str) -> String {
    if password.is_empty() {
        text
    } else {
        text.replace(password, "<redacted>")
    }
}

#[cfg(test)]
mod tests;
