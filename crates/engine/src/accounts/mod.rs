//! Accounts of the Hanko Public API: users known by their email addresses, who log in with a
//! passkey, a passcode sent by email or a password, and hold server-side sessions.
//!
//! These users are the engine's users (their `external_id` is their UUID in text, which is also
//! their [`UserId`]), and their passkeys are the engine's credentials, so the admin API lists
//! and deletes them like any other. Every operation here needs the tenant's `hanko_public`
//! block to be enabled; a tenant without it has no accounts to speak of.

mod admin;
mod emails;
mod passcodes;
mod passwords;
mod saml;
mod sessions;
mod third_party;
mod webhooks;

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{AuditEventKind, FailureContext, RequestMeta, audit_event};
use crate::credentials::all_credentials;
use crate::engine::storable_text;
use crate::model::hanko_public::RateLimit;
use crate::model::webhooks::WebhookEvent;
use crate::model::{Credential, Email, HankoPublicConfig, Tenant, TenantId, User, UserId};
use crate::rate_limit::Budget;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

pub use admin::{AccountFilter, ManagedAccount, NewAccount, NewAddress};
pub use passcodes::{IssuedPasscode, PASSCODE_MAX_ATTEMPTS, PasscodeLogin, PasscodeRequest};
pub use passwords::MAX_PASSWORD_BYTES;
pub(crate) use passwords::PasswordWork;
pub use saml::{SAML_STATE_PREFIX, SamlAssertion, SamlCredentials, SamlStart, saml_request_id};
pub use sessions::{EmailClaim, IssuedSession, SessionClaims, SessionUser};
pub use third_party::{
    LinkKind, ONE_TIME_TOKEN_LIFETIME, Protocol, ProviderPlan, ProviderUser, STATE_LIFETIME,
    ThirdPartyLogin, ThirdPartyStart, ThirdPartyState, UserApi, redirect_allowed,
};
pub use webhooks::{
    DELIVERY_LEASE, EmailData, EmailSend, FIRST_RETRY, LONGEST_RETRY, MAX_DELIVERY_ATTEMPTS,
    MAX_WEBHOOK_FAILURES, OutgoingWebhook, PasscodeMailData, PasskeyData, UserData,
    WEBHOOK_LIFETIME, WebhookListing, go_time, retry_delay,
};

/// Longest email address accepted, in bytes (RFC 5321's path limit).
pub const MAX_ADDRESS_BYTES: usize = 254;

/// What `POST /user` tells about an address held by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressLookup {
    /// The user holding it.
    pub user: UserId,
    /// The email's id.
    pub email: Uuid,
    /// Whether a passcode proved it.
    pub verified: bool,
    /// Whether the user has a passkey.
    pub has_passkey: bool,
}

/// A sign-up: the new user, their address, and a session when the tenant does not ask for the
/// address to be proven first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    /// The new user.
    pub user: UserId,
    /// The address they signed up with.
    pub email: Uuid,
    /// Issued when `emails.require_verification` is off.
    pub session: Option<IssuedSession>,
}

/// The outcome of a request that draws on a budget, with the budget as the request left it:
/// the API reports it on every answer, refusals included.
#[derive(Debug)]
pub struct Limited<T> {
    /// What is left of the budget; `None` when nothing is limited.
    pub budget: Option<Budget>,
    /// The request's outcome.
    pub outcome: Result<T>,
}

impl<T> Limited<T> {
    /// A request refused before any budget was drawn on (an unknown tenant, say).
    pub(crate) fn refused(error: Error) -> Self {
        Self {
            budget: None,
            outcome: Err(error),
        }
    }
}

/// A new user of this API, known by `address`: their id is also their external id.
pub(crate) fn new_account_user(tenant: TenantId, address: &str, now: OffsetDateTime) -> User {
    let id = Uuid::new_v4();
    User {
        id: UserId(id),
        tenant,
        external_id: id.hyphenated().to_string(),
        name: address.to_owned(),
        display_name: address.to_owned(),
        icon: None,
        created_at: now,
    }
}

/// A user with what the Hanko Public API shows of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user.
    pub user: User,
    /// Their primary address, if they have one.
    pub primary_email: Option<Email>,
    /// Their passkeys, oldest first.
    pub credentials: Vec<Credential>,
    /// When the account last changed: the newest of its creation and its emails' changes.
    pub updated_at: OffsetDateTime,
}

/// The tenant's Public API settings; a tenant that does not serve the API is not found.
pub(crate) fn public_config(tenant: &Tenant) -> Result<&HankoPublicConfig> {
    let config = &tenant.config.hanko_public;
    if config.enabled {
        Ok(config)
    } else {
        Err(Error::NotFound(Entity::Tenant))
    }
}

/// The address as stored: trimmed and lower-cased, as the original stores it, after a check
/// that it is one (`local@domain`, no spaces or controls, at most [`MAX_ADDRESS_BYTES`]).
pub fn normalize_address(text: &str) -> Result<String> {
    let address = text.trim().to_lowercase();
    let invalid = || Error::Invalid {
        field: "email",
        reason: "must be a valid email address".to_owned(),
    };
    let (local, domain) = address.rsplit_once('@').ok_or_else(invalid)?;
    let well_formed = !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && address.len() <= MAX_ADDRESS_BYTES
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if !well_formed {
        return Err(invalid());
    }
    storable_text("email", &address)?;
    Ok(address)
}

/// The user of the tenant with this id; `NotFound(User)` otherwise.
pub(crate) async fn load_user<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    user: UserId,
) -> Result<User> {
    tx.user(tenant, user)
        .await?
        .ok_or(Error::NotFound(Entity::User))
}

fn primary(emails: &[Email]) -> Option<&Email> {
    emails.iter().find(|email| email.primary)
}

impl<S: Store> Engine<S> {
    /// The tenant, if it serves the Hanko Public API: its settings shape every answer.
    pub async fn accounts_tenant(&self, tenant: TenantId) -> Result<Arc<Tenant>> {
        let tenant = self.cached_tenant(tenant).await?;
        public_config(&tenant)?;
        Ok(tenant)
    }

    /// The user holding `address`. An address nobody holds yet (a sign-up waiting for its
    /// passcode) is not found, like an unknown one.
    pub async fn look_up_address(&self, tenant: TenantId, address: &str) -> Result<AddressLookup> {
        let tenant = self.accounts_tenant(tenant).await?;
        let address = normalize_address(address)?;
        let mut tx = self.store.read().await?;
        let email = tx
            .email_by_address(tenant.id, &address)
            .await?
            .ok_or(Error::NotFound(Entity::Email))?;
        let user = email.user.ok_or(Error::NotFound(Entity::Email))?;
        let has_passkey = all_credentials(&mut tx, tenant.id, Some(user))
            .await?
            .iter()
            .any(|credential| !credential.is_mfa);
        Ok(AddressLookup {
            user,
            email: email.id,
            verified: email.verified,
            has_passkey,
        })
    }

    /// Signs a new user up with `address`. With `emails.require_verification` (the default) the
    /// address stays unheld until a passcode sent to it is entered; without, it is the user's
    /// primary address at once and the user is logged in.
    pub async fn sign_up(
        &self,
        tenant: TenantId,
        address: &str,
        meta: &RequestMeta,
    ) -> Result<SignUp> {
        let tenant = self.accounts_tenant(tenant).await?;
        let config = public_config(&tenant)?;
        if !config.account.allow_signup {
            return Err(Error::Forbidden("sign-up is disabled"));
        }
        let address = normalize_address(address)?;
        let now = self.now();
        let verify_first = config.emails.require_verification;
        let mut tx = self.store.write().await?;
        let user = new_account_user(tenant.id, &address, now);
        tx.upsert_user(&user).await?;
        let held = (!verify_first).then_some(user.id);
        // A conflict rolls the new user back with the transaction.
        let email = emails::claim_address(&mut tx, tenant.id, address, held, true, now).await?;
        let actor = Some(user.external_id.clone());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::UserCreated,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        let session = match held {
            Some(user) => {
                self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::UserCreate, user)
                    .await?;
                let session = self.open_session(tx, &tenant, user, now).await?;
                self.wake_webhooks();
                Some(session)
            }
            None => {
                tx.commit().await?;
                None
            }
        };
        Ok(SignUp {
            user: user.id,
            email: email.id,
            session,
        })
    }

    /// The user with their primary address and passkeys.
    pub async fn account(&self, tenant: TenantId, user: UserId) -> Result<Account> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let user = load_user(&mut tx, tenant.id, user).await?;
        let emails = tx.emails(tenant.id, user.id).await?;
        let credentials = all_credentials(&mut tx, tenant.id, Some(user.id))
            .await?
            .into_iter()
            .filter(|credential| !credential.is_mfa)
            .collect();
        let updated_at = emails
            .iter()
            .map(|email| email.updated_at)
            .chain([user.created_at])
            .max()
            .unwrap_or(user.created_at);
        Ok(Account {
            primary_email: primary(&emails).cloned(),
            user,
            credentials,
            updated_at,
        })
    }

    /// Deletes the user's own account with everything it holds; their sessions end with it.
    pub async fn delete_account(
        &self,
        tenant: TenantId,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        if !public_config(&tenant)?.account.allow_deletion {
            return Err(Error::Forbidden("account deletion is disabled"));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        if !self.delete_user_firing(&mut tx, &tenant, user).await? {
            return Err(Error::NotFound(Entity::User));
        }
        let actor = Some(user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::UserDeleted,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Spends one request of `limit` under `key` and leaves in `budget` what is left of it
    /// (nothing when the engine limits nothing), also when the request is refused.
    pub(crate) async fn spend(
        &self,
        budget: &mut Option<Budget>,
        key: &str,
        limit: &RateLimit,
    ) -> Result<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let interval = limit.interval_seconds()?;
        match limiter.spend(key, limit.tokens, interval, self.now()).await {
            Ok(spent) => {
                *budget = Some(spent);
                Ok(())
            }
            Err(Error::RateLimited { retry_after_secs }) => {
                *budget = Some(Budget {
                    limit: limit.tokens,
                    remaining: 0,
                    reset_secs: retry_after_secs,
                });
                Err(Error::RateLimited { retry_after_secs })
            }
            Err(error) => Err(error),
        }
    }

    /// Runs an account operation and audits its failure as `kind` when the tenant keeps an
    /// audit log; `actor` names the user the request was about.
    pub(crate) async fn audited<T>(
        &self,
        tenant: &Tenant,
        kind: AuditEventKind,
        actor: Option<String>,
        meta: &RequestMeta,
        attempt: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let now = self.now();
        let mut context = FailureContext::new(kind);
        context.audit_to(tenant);
        context.actor = actor;
        let result = attempt.await;
        self.audit_failure(result, tenant.id, context, meta, now)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            normalize_address("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@.example.com",
            "al ice@example.com",
            "alice@example..com",
            "a\0b@example.com",
            "<a@example.com>",
        ] {
            assert!(normalize_address(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_address(&long).is_err());
    }
}
