//! SMTP transports, one pooled transport per distinct mail server, so that passcodes reuse open
//! connections instead of greeting, securing and logging in again for every mail.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use latchkey_engine::model::hanko_public::{SmtpSettings, SmtpTls};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{Error, PoolConfig};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// Mail servers with a transport kept at once (the server-wide one and tenants' own); past it the
/// least recently used one is dropped with its idle connections.
const MAX_TRANSPORTS: usize = 32;

/// Open connections kept per mail server.
const CONNECTIONS_PER_SERVER: u32 = 4;

/// How long an idle connection stays open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The transports, least recently used first.
#[derive(Default)]
pub(super) struct Transports {
    recent: Mutex<Vec<(SmtpSettings, Transport)>>,
}

impl Transports {
    /// The transport to `settings`, built on first use with `timeout` for connecting and for
    /// each command.
    pub(super) fn get(
        &self,
        settings: &SmtpSettings,
        timeout: Duration,
    ) -> Result<Transport, Error> {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = recent.iter().position(|(kept, _)| kept == settings) {
            let entry = recent.remove(index);
            let transport = entry.1.clone();
            recent.push(entry);
            return Ok(transport);
        }
        let transport = build(settings, timeout)?;
        if recent.len() >= MAX_TRANSPORTS {
            recent.remove(0);
        }
        recent.push((settings.clone(), transport.clone()));
        Ok(transport)
    }

    /// Drops the transport to `settings`, so that the next mail starts on fresh connections.
    pub(super) fn forget(&self, settings: &SmtpSettings) {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(kept, _)| kept != settings);
    }

    pub(super) fn len(&self) -> usize {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// lettre closes a pool's connections from a task it spawns when the pool drops, which needs a
/// Tokio runtime; without one (a process already past its runtime) the sockets are left to the
/// operating system rather than panicking.
impl Drop for Transports {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            let recent = std::mem::take(
                self.recent
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            std::mem::forget(recent);
        }
    }
}

fn build(settings: &SmtpSettings, timeout: Duration) -> Result<Transport, Error> {
    let tls = match settings.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => Tls::Required(tls_parameters(&settings.host)?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters(&settings.host)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(timeout))
        .pool_config(
            PoolConfig::new()
                .max_size(CONNECTIONS_PER_SERVER)
                .idle_timeout(IDLE_TIMEOUT),
        );
    // As Hanko (gomail): no login without a user name.
    if !settings.user.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.user.clone(),
            settings.password.clone(),
        ));
    }
    Ok(builder.build())
}

/// rustls with the system's root certificates, checking the server's name.
fn tls_parameters(host: &str) -> Result<TlsParameters, Error> {
    TlsParameters::builder(host.to_owned()).build_rustls()
}
