//! The engine's one error type. Each dialect maps it to its wire format in exactly one place.

use crate::model::CertificationLevel;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (in this tenant).
    #[error("{0} not found")]
    NotFound(Entity),
    /// A unique value is already taken (credential ID, transaction ID, external user ID).
    #[error("{0} already exists")]
    Conflict(Entity),
    /// Input the engine refuses before touching the store.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The input's name (e.g. `display_name`), which dialects may quote to the client.
        field: &'static str,
        /// What is wrong with it, for the client.
        reason: String,
    },
    /// The request needs one of the tenant's API keys and did not present it.
    #[error("the api key is invalid")]
    ApiKeyInvalid,
    /// A license key that matches no license.
    #[error("the license key is invalid")]
    LicenseInvalid,
    /// The caller is known but may not do this (a license used outside its scope).
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// A signed request whose timestamp is outside the allowed time span.
    #[error("request is stale")]
    RequestStale,
    /// A request id seen before within the allowed time span.
    #[error("request id was already used")]
    RequestReplayed,
    /// The authenticator policy refuses the model: disabled by its record, or short of the
    /// tenant's minimum certification.
    #[error("{0}")]
    AuthenticatorDisabled(AuthenticatorRefusal),
    /// No started ceremony of this tenant has the response's challenge: never issued, issued by
    /// another tenant, or already finished.
    #[error("no ceremony for this challenge")]
    CeremonyNotFound,
    /// The ceremony's timeout passed before its finish.
    #[error("ceremony expired")]
    CeremonyExpired,
    /// The challenge was issued for another operation (a login challenge sent to a
    /// registration finish, for instance).
    #[error("challenge was issued for {0:?}")]
    CeremonyMismatch(crate::model::Operation),
    /// An assertion's credential that the tenant does not hold (deleted, or its user was): the
    /// same refusal as `NotFound(missing)`, where `missing` is what the lookup missed first
    /// (the user the handle names, or the credential), with what the client needs to tell its
    /// authenticator that the credential is gone.
    #[error("{missing} not found")]
    UnknownCredential {
        /// The entity whose lookup failed, for the wire words of that refusal.
        missing: Entity,
        /// The options of `PublicKeyCredential.signalUnknownCredential`.
        signal: Box<crate::signals::UnknownCredential>,
    },
    /// A login was started for a user who has no credential usable for it.
    #[error("user has no suitable credentials")]
    NoCredentials,
    /// The WebAuthn verification refused the ceremony.
    #[error(transparent)]
    Verification(#[from] latchkey_webauthn::Error),
    /// The client (or everyone, at the tenant's limit) sent too many requests of a kind that
    /// needs no key; the same request may succeed after `retry_after_secs`.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the limit lets the request through again (`Retry-After`).
        retry_after_secs: u64,
    },
    /// The user already has as many of these as the tenant allows.
    #[error("the most {0}s a user may have is reached")]
    LimitReached(Entity),
    /// A user's primary email address cannot be removed.
    #[error("the primary email address cannot be deleted")]
    PrimaryEmail,
    /// A wrong passcode or password (or a password login of a user without one).
    #[error("wrong {0}")]
    WrongSecret(Entity),
    /// A passcode was entered wrongly too often and is gone.
    #[error("too many wrong attempts")]
    AttemptsExhausted,
    /// A passcode was entered after its time to live.
    #[error("{0} expired")]
    Expired(Entity),
    /// The storage backend failed; the message is for logs, not for clients.
    #[error("storage: {0}")]
    Storage(String),
    /// The database cannot be reached right now (connection refused or lost, no connection
    /// free within the acquire timeout, the database not accepting connections). Nothing was
    /// committed unless the connection was lost during the commit itself; the same request may
    /// succeed once the database is back. The message is for logs, not for clients.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Secret handling failed on the server's side: a stored key that does not decrypt or parse
    /// (wrong master key, tampered or misplaced row), or a failing random source. Never the
    /// client's fault; the message is for logs.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// A third-party sign-in that the account-linking rules refuse.
    #[error("third-party sign-in refused: {}", .0.description())]
    ThirdParty(ThirdPartyRefusal),
    /// A presented token was refused: malformed, signed by an unknown key, badly signed, or
    /// expired.
    #[error("invalid token: {0}")]
    Token(&'static str),
}

/// Which model the authenticator policy refused at a registration, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticatorRefusal {
    /// The AAGUID the authenticator claims.
    pub model: uuid::Uuid,
    /// The rule that refused it.
    pub reason: RefusalReason,
}

/// The authenticator policy rule that refused a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The record in effect disables the model.
    Disabled,
    /// The tenant wants a certified model and no record names this one.
    Unknown(CertificationLevel),
    /// The tenant wants a certified model and the attestation does not prove the model: `none`
    /// or self attestation, or no metadata root to chain to.
    Unproven(CertificationLevel),
    /// The model's certification (if any) is below the tenant's minimum.
    BelowMinimum {
        /// The tenant's minimum.
        minimum: CertificationLevel,
        /// The model's level, if it has one.
        certified: Option<CertificationLevel>,
    },
}

impl AuthenticatorRefusal {
    /// A refusal of a model its record disables.
    pub fn disabled(model: uuid::Uuid) -> Self {
        Self {
            model,
            reason: RefusalReason::Disabled,
        }
    }
}

impl std::fmt::Display for AuthenticatorRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let model = self.model;
        match self.reason {
            RefusalReason::Disabled => write!(f, "authenticator {model} is disabled by policy"),
            RefusalReason::Unknown(minimum) => write!(
                f,
                "authenticator {model} is refused by policy: certification {minimum} or higher \
                 is required and no metadata names the model"
            ),
            RefusalReason::Unproven(minimum) => write!(
                f,
                "authenticator {model} is refused by policy: certification {minimum} or higher \
                 is required and the attestation does not prove the model"
            ),
            RefusalReason::BelowMinimum {
                minimum,
                certified: Some(level),
            } => write!(
                f,
                "authenticator {model} is refused by policy: certified {level}, below the \
                 required {minimum}"
            ),
            RefusalReason::BelowMinimum {
                minimum,
                certified: None,
            } => write!(
                f,
                "authenticator {model} is refused by policy: not FIDO certified, and \
                 certification {minimum} or higher is required"
            ),
        }
    }
}

/// Why the account-linking rules refuse a third-party sign-in; each is an `error` code the
/// Hanko Public API redirects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdPartyRefusal {
    /// The tenant wants proven addresses and the provider has not proven this one.
    UnverifiedEmail,
    /// A user holds the address, and the provider may not link to existing accounts.
    UserConflict,
    /// The provider's new address is held by another user than the one it signs in.
    MultipleAccounts,
    /// The user already holds as many addresses as the tenant allows.
    EmailMaxnum,
    /// Nobody holds the address and the tenant allows no sign-up.
    SignupDisabled,
}

impl ThirdPartyRefusal {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnverifiedEmail => "unverified_email",
            Self::UserConflict => "user_conflict",
            Self::MultipleAccounts => "multiple_accounts",
            Self::EmailMaxnum => "email_maxnum",
            Self::SignupDisabled => "signup_disabled",
        }
    }

    /// The text for the user.
    pub fn description(self) -> &'static str {
        match self {
            Self::UnverifiedEmail => "third party provider email must be verified",
            Self::UserConflict => "a user with this email already exists",
            Self::MultipleAccounts => "the email address is already assigned to another account",
            Self::EmailMaxnum => "the maximum number of email addresses is reached",
            Self::SignupDisabled => "account signup is disabled",
        }
    }
}

/// What a [`Error::NotFound`] or [`Error::Conflict`] is about. Dialects choose their wire words
/// by it; its `Display` is the name the engine's own messages (logs, audit events) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// A tenant (an organisation, or a community's realm).
    Tenant,
    /// A tenant's API key.
    ApiKey,
    /// A tenant's token-signing key.
    SigningKey,
    /// A user of a tenant.
    User,
    /// A registered credential.
    Credential,
    /// A started ceremony.
    Ceremony,
    /// A transaction to confirm.
    Transaction,
    /// An audit-log entry.
    AuditEvent,
    /// A 1Kosmos community.
    Community,
    /// A community's relying party id, unique among an organisation's communities.
    RelyingPartyId,
    /// A 1Kosmos license.
    License,
    /// A vendor-metadata record of one authenticator model.
    AuthenticatorPolicy,
    /// A credential's link to a wallet DID.
    Link,
    /// A process-wide sealed secret.
    ServiceSecret,
    /// A signed request's nonce, already seen.
    Nonce,
    /// A user's email address.
    Email,
    /// A one-time passcode sent by email.
    Passcode,
    /// A user's password.
    Password,
    /// A Hanko Public API login session.
    Session,
    /// A user's account at a third-party identity provider.
    Identity,
    /// A one-time token of a third-party sign-in.
    OneTimeToken,
    /// A webhook added through the admin API.
    Webhook,
}

impl Entity {
    /// The entity's name in the engine's own messages, e.g. `api key`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::ApiKey => "api key",
            Self::SigningKey => "signing key",
            Self::User => "user",
            Self::Credential => "credential",
            Self::Ceremony => "ceremony",
            Self::Transaction => "transaction",
            Self::AuditEvent => "audit event",
            Self::Community => "community",
            Self::RelyingPartyId => "relying party id",
            Self::License => "license",
            Self::AuthenticatorPolicy => "authenticator policy",
            Self::Link => "link",
            Self::ServiceSecret => "service secret",
            Self::Nonce => "nonce",
            Self::Email => "email",
            Self::Passcode => "passcode",
            Self::Password => "password",
            Self::Session => "session",
            Self::Identity => "identity",
            Self::OneTimeToken => "token",
            Self::Webhook => "webhook",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Seconds a client is asked to wait (`Retry-After`) before sending again a request that was
/// refused because the database could not be reached ([`Error::Unavailable`]): a database
/// restart usually takes a few seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The result of every fallible engine operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
