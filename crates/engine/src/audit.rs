//! The audit log: what each operation records, and where it goes.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::{AuditEvent, Tenant, TenantId};
use crate::{Engine, Error, Result, Store, WriteTx};

/// What an audit event records. The text forms are the event types the original servers write
/// and that audit-log queries filter by, so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditEventKind {
    /// A passkey registration was started (options issued).
    RegistrationStarted,
    /// A passkey registration could not be started.
    RegistrationStartFailed,
    /// A passkey was registered.
    RegistrationFinished,
    /// A passkey registration's response was refused.
    RegistrationFinishFailed,
    /// A second-factor registration was started.
    MfaRegistrationStarted,
    /// A second-factor registration could not be started.
    MfaRegistrationStartFailed,
    /// A second-factor credential was registered.
    MfaRegistrationFinished,
    /// A second-factor registration's response was refused.
    MfaRegistrationFinishFailed,
    /// A passkey login was started.
    LoginStarted,
    /// A passkey login could not be started.
    LoginStartFailed,
    /// A passkey login succeeded and a token was issued.
    LoginFinished,
    /// A passkey login's assertion was refused.
    LoginFinishFailed,
    /// A second-factor login was started.
    MfaLoginStarted,
    /// A second-factor login could not be started.
    MfaLoginStartFailed,
    /// A second-factor login succeeded.
    MfaLoginFinished,
    /// A second-factor login's assertion was refused.
    MfaLoginFinishFailed,
    /// A transaction's confirmation was started.
    TransactionStarted,
    /// A transaction's confirmation could not be started.
    TransactionStartFailed,
    /// A transaction was confirmed.
    TransactionFinished,
    /// A transaction's confirmation was refused.
    TransactionFinishFailed,
    /// A credential was renamed.
    CredentialUpdated,
    /// A credential was deleted.
    CredentialDeleted,
    /// A user signed up (Hanko Public API).
    UserCreated,
    /// A user ended their session.
    UserLoggedOut,
    /// A user deleted their account.
    UserDeleted,
    /// A user set or replaced their password.
    PasswordSetSucceeded,
    /// Setting a password was refused.
    PasswordSetFailed,
    /// A user logged in with their password.
    PasswordLoginSucceeded,
    /// A password login was refused.
    PasswordLoginFailed,
    /// A passcode was issued (and sent).
    PasscodeLoginInitSucceeded,
    /// A passcode could not be issued.
    PasscodeLoginInitFailed,
    /// A passcode was entered correctly and a session issued.
    PasscodeLoginFinalSucceeded,
    /// An entered passcode was refused.
    PasscodeLoginFinalFailed,
    /// A user added an email address.
    EmailCreated,
    /// A user removed an email address.
    EmailDeleted,
    /// An email address was proven by a passcode.
    EmailVerified,
    /// A user's primary email address changed.
    PrimaryEmailChanged,
    /// A new user signed up through a third-party provider.
    ThirdPartySignUpSucceeded,
    /// A user signed in through a third-party provider.
    ThirdPartySignInSucceeded,
    /// A third-party account was linked to an existing user.
    ThirdPartyLinkingSucceeded,
    /// A third-party sign-in or sign-up was refused.
    ThirdPartySignInSignUpFailed,
    /// A one-time token was exchanged for a session.
    TokenExchangeSucceeded,
    /// A one-time token was refused.
    TokenExchangeFailed,
}

impl AuditEventKind {
    /// The event type as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationStarted => "webauthn_registration_init_succeeded",
            Self::RegistrationStartFailed => "webauthn_registration_init_failed",
            Self::RegistrationFinished => "webauthn_registration_final_succeeded",
            Self::RegistrationFinishFailed => "webauthn_registration_final_failed",
            Self::MfaRegistrationStarted => "mfa_registration_init_succeeded",
            Self::MfaRegistrationStartFailed => "mfa_registration_init_failed",
            Self::MfaRegistrationFinished => "mfa_registration_final_succeeded",
            Self::MfaRegistrationFinishFailed => "mfa_registration_final_failed",
            Self::LoginStarted => "webauthn_authentication_init_succeeded",
            Self::LoginStartFailed => "webauthn_authentication_init_failed",
            Self::LoginFinished => "webauthn_authentication_final_succeeded",
            Self::LoginFinishFailed => "webauthn_authentication_final_failed",
            Self::MfaLoginStarted => "mfa_authentication_init_succeeded",
            Self::MfaLoginStartFailed => "mfa_authentication_init_failed",
            Self::MfaLoginFinished => "mfa_authentication_final_succeeded",
            Self::MfaLoginFinishFailed => "mfa_authentication_final_failed",
            Self::TransactionStarted => "webauthn_transaction_init_succeeded",
            Self::TransactionStartFailed => "webauthn_transaction_init_failed",
            Self::TransactionFinished => "webauthn_transaction_final_succeeded",
            Self::TransactionFinishFailed => "webauthn_transaction_final_failed",
            Self::CredentialUpdated => "webauthn_credential_updated",
            Self::CredentialDeleted => "webauthn_credential_deleted",
            Self::UserCreated => "user_created",
            Self::UserLoggedOut => "user_logged_out",
            Self::UserDeleted => "user_deleted",
            Self::PasswordSetSucceeded => "password_set_succeeded",
            Self::PasswordSetFailed => "password_set_failed",
            Self::PasswordLoginSucceeded => "password_login_succeeded",
            Self::PasswordLoginFailed => "password_login_failed",
            Self::PasscodeLoginInitSucceeded => "passcode_login_init_succeeded",
            Self::PasscodeLoginInitFailed => "passcode_login_init_failed",
            Self::PasscodeLoginFinalSucceeded => "passcode_login_final_succeeded",
            Self::PasscodeLoginFinalFailed => "passcode_login_final_failed",
            Self::EmailCreated => "email_created",
            Self::EmailDeleted => "email_deleted",
            Self::EmailVerified => "email_verified",
            Self::PrimaryEmailChanged => "primary_email_changed",
            Self::ThirdPartySignUpSucceeded => "thirdparty_signup_succeeded",
            Self::ThirdPartySignInSucceeded => "thirdparty_signin_succeeded",
            Self::ThirdPartyLinkingSucceeded => "thirdparty_linking_succeeded",
            Self::ThirdPartySignInSignUpFailed => "thirdparty_signin_signup_failed",
            Self::TokenExchangeSucceeded => "token_exchange_succeeded",
            Self::TokenExchangeFailed => "token_exchange_failed",
        }
    }
}

/// Who made a request, as the dialect saw it; it goes into the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The id the server gave the request (its `X-Request-Id`).
    pub request_id: String,
    /// The client's IP address as text.
    pub source_ip: String,
    /// The client's `User-Agent` header; empty if it sent none.
    pub user_agent: String,
}

impl<S: Store> Engine<S> {
    /// Passes `result` through, first recording its error in the audit log if `context` says
    /// the tenant keeps one. Call it after the attempt's transaction is gone.
    pub(crate) async fn audit_failure<T>(
        &self,
        result: Result<T>,
        tenant: TenantId,
        context: FailureContext,
        meta: &RequestMeta,
        now: OffsetDateTime,
    ) -> Result<T> {
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if context.store || context.console {
            let mut event = audit_event(
                tenant,
                context.kind,
                Some(error.to_string()),
                context.actor,
                meta,
                now,
            );
            event.transaction_id = context.transaction;
            if context.console {
                self.print_audit_event(&event);
            }
            // An unreachable database would make the client wait out the connection timeout a
            // second time only to fail again.
            if context.store && !matches!(error, Error::Unavailable(_)) {
                // The client is owed the ceremony's error, not the audit log's; a failing store
                // will mostly have failed the ceremony too, and reports itself there.
                let _ = self.insert_audit_event(event).await;
            }
        }
        Err(error)
    }

    /// Records a success inside the operation's own transaction, so that it exists exactly when
    /// the operation's effects do.
    pub(crate) async fn record_success(
        &self,
        tx: &mut S::Write,
        tenant: &Tenant,
        event: AuditEvent,
    ) -> Result<()> {
        if tenant.config.audit.console {
            self.print_audit_event(&event);
        }
        if tenant.config.audit.store {
            tx.insert_audit_event(&storable(event)).await?;
        }
        Ok(())
    }

    pub(crate) fn print_audit_event(&self, event: &AuditEvent) {
        if let Some(console) = &self.audit_console {
            console(event);
        }
    }

    pub(crate) async fn insert_audit_event(&self, event: AuditEvent) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.insert_audit_event(&storable(event)).await?;
        tx.commit().await
    }
}

/// What a failed finish can still tell the audit log, filled in as the attempt learns it.
pub(crate) struct FailureContext {
    /// The event type of a failure.
    pub kind: AuditEventKind,
    /// Whether the tenant exists and stores audit events.
    store: bool,
    /// Whether the tenant exists and wants audit events on the console.
    console: bool,
    pub actor: Option<String>,
    pub transaction: Option<String>,
}

impl FailureContext {
    /// Learns from the loaded tenant where its audit events go.
    pub(crate) fn audit_to(&mut self, tenant: &Tenant) {
        self.store = tenant.config.audit.store;
        self.console = tenant.config.audit.console;
    }

    pub(crate) fn new(kind: AuditEventKind) -> Self {
        Self {
            kind,
            store: false,
            console: false,
            actor: None,
            transaction: None,
        }
    }
}

/// Longest request-derived text an audit event keeps (user agent, address, request id, actor):
/// anyone can send a ceremony request, so an event must not grow with what they send.
pub const MAX_AUDIT_FIELD_BYTES: usize = 256;
/// Longest error text an audit event keeps; errors may quote the client's input.
pub const MAX_AUDIT_ERROR_BYTES: usize = 512;

/// `text` cut to at most `max` bytes at a character boundary.
fn bounded(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

pub(crate) fn audit_event(
    tenant: TenantId,
    kind: AuditEventKind,
    error: Option<String>,
    actor: Option<String>,
    meta: &RequestMeta,
    now: OffsetDateTime,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::new_v4(),
        tenant,
        kind: kind.as_str().to_owned(),
        error: error.map(|error| bounded(&error, MAX_AUDIT_ERROR_BYTES)),
        request_id: bounded(&meta.request_id, MAX_AUDIT_FIELD_BYTES),
        source_ip: bounded(&meta.source_ip, MAX_AUDIT_FIELD_BYTES),
        user_agent: bounded(&meta.user_agent, MAX_AUDIT_FIELD_BYTES),
        actor_user_id: actor.map(|actor| bounded(&actor, MAX_AUDIT_FIELD_BYTES)),
        transaction_id: None,
        created_at: now,
    }
}

/// The event without NUL characters, which PostgreSQL cannot store: the audit log keeps what a
/// client sent, however malformed, rather than losing the event.
fn storable(mut event: AuditEvent) -> AuditEvent {
    let clean = |text: &mut String| {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{fffd}");
        }
    };
    for text in [
        &mut event.request_id,
        &mut event.source_ip,
        &mut event.user_agent,
    ] {
        clean(text);
    }
    for text in [
        &mut event.error,
        &mut event.actor_user_id,
        &mut event.transaction_id,
    ]
    .into_iter()
    .flatten()
    {
        clean(text);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_at_a_character_boundary() {
        assert_eq!(bounded("abc", 5), "abc");
        assert_eq!(bounded("abcdef", 3), "abc");
        assert_eq!(bounded("aé", 2), "a");
        assert_eq!(
            bounded(&"x".repeat(500_000), MAX_AUDIT_FIELD_BYTES).len(),
            256
        );
    }
}
