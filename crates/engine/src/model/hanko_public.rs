//! The `hanko_public` block of a tenant's configuration: whether the tenant serves the Hanko
//! Public API (v0.12), and its settings under the original backend's key names and defaults,
//! so that a Hanko `config.yaml` translates key for key. Keys left out take the defaults.

use serde::{Deserialize, Serialize};

use crate::model::UserVerification;
use crate::model::saml::SamlSettings;
use crate::model::third_party::ThirdPartySettings;
use crate::model::webhooks::WebhookSettings;
use crate::{Error, Result};

/// The Hanko Public API settings of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HankoPublicConfig {
    /// Off by default: the API lets anyone sign up.
    pub enabled: bool,
    /// Names the service in passcode mails.
    pub service: ServiceSettings,
    /// Session tokens and how they are delivered.
    pub session: SessionSettings,
    /// Passcodes sent by email.
    pub passcode: PasscodeSettings,
    /// Password login.
    pub password: PasswordSettings,
    /// Email addresses of users.
    pub emails: EmailSettings,
    /// Sign-up and account deletion.
    pub account: AccountSettings,
    /// Timeout and user verification of this API's passkey ceremonies.
    pub webauthn: WebauthnSettings,
    /// Budgets of password login and passcode requests.
    pub rate_limiter: RateLimiterSettings,
    /// Whether latchkey sends the mails itself.
    pub email_delivery: EmailDeliverySettings,
    /// Sign-in through OAuth 2.0 / OpenID Connect providers.
    pub third_party: ThirdPartySettings,
    /// Sign-in through SAML 2.0 identity providers.
    pub saml: SamlSettings,
    /// Events posted to the deployment's own endpoints.
    pub webhooks: WebhookSettings,
    /// This tenant's mail server, instead of the server-wide `[smtp]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpSettings>,
}

/// `service.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    /// The service's name in passcode mails; required by the original, here it defaults to
    /// the original's relying-party display name.
    pub name: String,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            name: "Hanko Authentication Service".to_owned(),
        }
    }
}

/// `session.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    /// How long a session lasts, as a Go duration (`1h`, `30m`, `1h30m`).
    pub lifespan: String,
    /// Deliver the token in `X-Auth-Token` instead of a cookie.
    pub enable_auth_token_header: bool,
    /// The `iss` claim; none when empty.
    pub issuer: String,
    /// The `aud` claim; the relying party ID when empty.
    pub audience: Vec<String>,
    /// The session cookie.
    pub cookie: CookieSettings,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            lifespan: "1h".to_owned(),
            enable_auth_token_header: false,
            issuer: String::new(),
            audience: Vec::new(),
            cookie: CookieSettings::default(),
        }
    }
}

impl SessionSettings {
    /// The lifespan in seconds.
    pub fn lifespan_seconds(&self) -> Result<u64> {
        go_duration_seconds("session.lifespan", &self.lifespan)
    }
}

/// `session.cookie.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CookieSettings {
    /// The cookie's name.
    pub name: String,
    /// Its `Domain` attribute; none when empty.
    pub domain: String,
    /// Its `HttpOnly` attribute.
    pub http_only: bool,
    /// Its `SameSite` attribute: `strict`, `lax` or `none`; any other value leaves it out.
    pub same_site: String,
    /// Its `Secure` attribute. Safari keeps no `Secure` cookie for `http://localhost`, so
    /// local development turns it off.
    pub secure: bool,
}

impl Default for CookieSettings {
    fn default() -> Self {
        Self {
            name: "hanko".to_owned(),
            domain: String::new(),
            http_only: true,
            same_site: "strict".to_owned(),
            secure: true,
        }
    }
}

/// `passcode.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasscodeSettings {
    /// Seconds a passcode stays valid.
    pub ttl: u32,
    /// The sender of passcode mails.
    pub email: PasscodeEmailSettings,
}

impl Default for PasscodeSettings {
    fn default() -> Self {
        Self {
            ttl: 300,
            email: PasscodeEmailSettings::default(),
        }
    }
}

/// `passcode.email.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasscodeEmailSettings {
    /// The `From` address.
    pub from_address: String,
    /// The `From` display name.
    pub from_name: String,
}

impl Default for PasscodeEmailSettings {
    fn default() -> Self {
        Self {
            from_address: "passcode@hanko.io".to_owned(),
            from_name: "Hanko".to_owned(),
        }
    }
}

/// `password.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordSettings {
    /// Password login and `PUT /password` exist only when true.
    pub enabled: bool,
    /// Fewest characters (Unicode code points) a password may have.
    pub min_password_length: u32,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            min_password_length: 8,
        }
    }
}

/// `emails.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailSettings {
    /// An address belongs to a user only once a passcode sent to it was entered.
    pub require_verification: bool,
    /// Most addresses one user may hold.
    pub max_num_of_addresses: u32,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            require_verification: true,
            max_num_of_addresses: 5,
        }
    }
}

/// `account.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSettings {
    /// Users may delete their own account (`DELETE /user`).
    pub allow_deletion: bool,
    /// Anyone may sign up (`POST /users`).
    pub allow_signup: bool,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            allow_deletion: false,
            allow_signup: true,
        }
    }
}

/// `webauthn.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebauthnSettings {
    /// Milliseconds a ceremony may take.
    pub timeout: u32,
    /// Whether the authenticator must verify the user.
    pub user_verification: UserVerification,
}

impl Default for WebauthnSettings {
    fn default() -> Self {
        Self {
            timeout: 60_000,
            user_verification: UserVerification::Preferred,
        }
    }
}

/// `rate_limiter.*`. Where counts are kept (memory or Redis) is the server's setting, shared by
/// every limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimiterSettings {
    /// Whether the limits apply.
    pub enabled: bool,
    /// `POST /passcode/login/initialize`, per user and client address.
    pub passcode_limits: RateLimit,
    /// `POST /password/login`, per user and client address.
    pub password_limits: RateLimit,
    /// `POST /token`, per client address.
    pub token_limits: RateLimit,
}

impl Default for RateLimiterSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            passcode_limits: RateLimit::per_minute(3),
            password_limits: RateLimit::per_minute(5),
            token_limits: RateLimit::per_minute(3),
        }
    }
}

/// One budget: `tokens` requests per `interval` (a Go duration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests a window allows.
    pub tokens: u32,
    /// The window, as a Go duration (`1m`).
    pub interval: String,
}

impl RateLimit {
    fn per_minute(tokens: u32) -> Self {
        Self {
            tokens,
            interval: "1m".to_owned(),
        }
    }

    /// The window in seconds.
    pub fn interval_seconds(&self) -> Result<u64> {
        go_duration_seconds("rate_limiter interval", &self.interval)
    }
}

/// `email_delivery.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailDeliverySettings {
    /// False: no mail is sent (the deployment delivers passcodes itself).
    pub enabled: bool,
}

impl Default for EmailDeliverySettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// A mail server: the server-wide `[smtp]`, or a tenant's own.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port; 465 when left out, as the original.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// How the connection is secured.
    #[serde(default)]
    pub tls: SmtpTls,
    /// User name to log in with; no login when empty.
    #[serde(default)]
    pub user: String,
    /// Password to log in with.
    #[serde(default)]
    pub password: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn default_smtp_port() -> u16 {
    465
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay only).
    None,
    /// Plain text upgraded by STARTTLS, which must succeed.
    Starttls,
    /// TLS from the first byte (port 465).
    #[default]
    Tls,
}

/// Seconds of a Go duration string made of whole numbers with `h`, `m`, `s` (`1h30m`, `90s`);
/// the forms Hanko's documentation uses. Refuses zero.
pub fn go_duration_seconds(field: &'static str, text: &str) -> Result<u64> {
    let invalid = || Error::Invalid {
        field,
        reason: format!("{text:?} is not a duration like 1h, 30m or 90s"),
    };
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(invalid()),
        };
        let value: u64 = number.parse().map_err(|_| invalid())?;
        total = value
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(invalid)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_block_takes_the_originals_defaults() {
        let config: HankoPublicConfig = serde_json::from_str("{}").unwrap();
        assert!(!config.enabled);
        assert_eq!(config.session.cookie.name, "hanko");
        assert_eq!(config.session.cookie.same_site, "strict");
        assert_eq!(config.session.lifespan_seconds().ok(), Some(3_600));
        assert_eq!(config.passcode.ttl, 300);
        assert_eq!(config.rate_limiter.passcode_limits.tokens, 3);
        assert_eq!(config.rate_limiter.password_limits.tokens, 5);
        assert!(config.emails.require_verification);
        assert_eq!(config.emails.max_num_of_addresses, 5);
        assert!(config.account.allow_signup && !config.account.allow_deletion);
        assert_eq!(
            config.webauthn.user_verification,
            UserVerification::Preferred
        );
    }

    #[test]
    fn go_durations_read_as_hanko_writes_them() {
        assert_eq!(go_duration_seconds("d", "1h30m").ok(), Some(5_400));
        assert_eq!(go_duration_seconds("d", "90s").ok(), Some(90));
        for bad in ["", "0s", "1d", "h", "1", "-1m", "99999999999999999999h"] {
            assert!(go_duration_seconds("d", bad).is_err(), "{bad}");
        }
    }
}
