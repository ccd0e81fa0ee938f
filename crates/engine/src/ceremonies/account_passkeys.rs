//! Passkeys of Hanko Public API accounts: the same ceremonies and records as every passkey,
//! with that API's settings, the user's UUID as the 16-byte user handle, the session's user
//! as the only one who may register, and a session at the end of a login.

use time::OffsetDateTime;
use uuid::Uuid;

use super::extensions::{ClientExtensionResults, ExtensionInputs, for_registration};
use super::login::{Assertion, usable_credentials};
use super::registration::ALGORITHMS;
use super::{account_settings, expiry, timeout_ms};
use crate::accounts::{IssuedSession, load_user};
use crate::audit::{FailureContext, RequestMeta, audit_event};
use crate::ceremonies::{CeremonyKind, LoginOptions, RegistrationOptions, RegistrationOutcome};
use crate::model::{Ceremony, Operation, TenantId, UserId};
use crate::signals::UserSignals;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

/// A passkey login of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLogin {
    /// The credential that signed (raw ID).
    pub credential_id: Vec<u8>,
    /// The user logged in.
    pub user: UserId,
    /// The session opened.
    pub session: IssuedSession,
    /// The client's extension results, read strictly, for the dialect to pass back.
    pub extension_results: ClientExtensionResults,
    /// The signals of the user's credentials and names, read with the credential.
    pub signals: Option<UserSignals>,
}

impl<S: Store> Engine<S> {
    /// Starts registering a passkey for the session's user, who needs a primary address (it
    /// names the passkey in the authenticator). No credentials are excluded, as in the
    /// original.
    pub async fn start_account_registration(
        &self,
        tenant: TenantId,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<RegistrationOptions> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let [succeeded, failed, ..] = CeremonyKind::Passkey.events();
        let mut context = FailureContext::new(failed);
        context.audit_to(&tenant);
        context.actor = Some(user.0.hyphenated().to_string());
        let result = async {
            let challenge = self.challenge()?;
            let settings = account_settings(&tenant);
            let (extensions, hints) =
                for_registration(&settings.extensions, ExtensionInputs::default())?;
            let mut tx = self.store.write().await?;
            let user = load_user(&mut tx, tenant.id, user).await?;
            let address = tx
                .emails(tenant.id, user.id)
                .await?
                .into_iter()
                .find(|email| email.primary)
                .map(|email| email.address)
                .ok_or(Error::Invalid {
                    field: "user",
                    reason: "the user has no primary email address".to_owned(),
                })?;
            tx.insert_ceremony(&Ceremony {
                id: Uuid::new_v4(),
                tenant: tenant.id,
                challenge: challenge.clone(),
                operation: Operation::Registration,
                user: Some(user.id),
                user_verification: settings.user_verification,
                allowed_credentials: Vec::new(),
                transaction: None,
                expires_at: expiry(now, &settings),
            })
            .await?;
            self.record_success(
                &mut tx,
                &tenant,
                audit_event(tenant.id, succeeded, None, context.actor.clone(), meta, now),
            )
            .await?;
            tx.commit().await?;
            Ok(RegistrationOptions {
                rp_id: tenant.config.relying_party.id.clone(),
                rp_name: tenant.config.relying_party.display_name.clone(),
                user_handle: user.id.0.as_bytes().to_vec(),
                user_name: address.clone(),
                user_display_name: address,
                user_icon: None,
                challenge,
                algorithms: ALGORITHMS.to_vec(),
                timeout_ms: timeout_ms(&settings),
                attachment: settings.attachment,
                resident_key: settings.resident_key,
                user_verification: settings.user_verification,
                attestation: settings.attestation,
                exclude_credentials: Vec::new(),
                extensions,
                hints,
            })
        }
        .await;
        self.audit_failure(result, tenant.id, context, meta, now)
            .await
    }

    /// Verifies and stores the passkey of a registration the session's user started; a
    /// challenge of anyone else's registration is not found. The outcome's token is empty:
    /// the account's session is the proof.
    pub async fn finish_account_registration(
        &self,
        tenant: TenantId,
        session_user: UserId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<RegistrationOutcome> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let [.., succeeded, failed] = CeremonyKind::Passkey.events();
        let mut context = FailureContext::new(failed);
        context.actor = Some(session_user.0.hyphenated().to_string());
        let attempt = self.try_finish_registration(
            tenant.id,
            response_json,
            Some(session_user),
            meta,
            now,
            succeeded,
            &mut context,
        );
        let result = self.limited_finish(tenant.id, meta, now, attempt).await;
        self.audit_failure(result, tenant.id, context, meta, now)
            .await
    }

    /// Starts a passkey login: for the user's passkeys when `user` has any, otherwise
    /// discoverable. An unknown `user` is `NotFound(User)`.
    pub async fn start_account_login(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let [_, failed, ..] = Assertion::AccountLogin.events();
        let mut context = FailureContext::new(failed);
        context.audit_to(&tenant);
        context.actor = user.map(|user| user.0.hyphenated().to_string());
        let result = self
            .try_start_account_login(&tenant, user, inputs, meta, now, &context)
            .await;
        self.audit_failure(result, tenant.id, context, meta, now)
            .await
    }

    async fn try_start_account_login(
        &self,
        tenant: &crate::model::Tenant,
        user: Option<UserId>,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
        now: OffsetDateTime,
        context: &FailureContext,
    ) -> Result<LoginOptions> {
        let [succeeded, ..] = Assertion::AccountLogin.events();
        let mut allowed = Vec::new();
        let mut named = None;
        if let Some(user) = user {
            let mut tx = self.store.read().await?;
            load_user(&mut tx, tenant.id, user).await?;
            match usable_credentials(&mut tx, tenant.id, user, Assertion::AccountLogin).await {
                Ok(ids) => {
                    allowed = ids;
                    named = Some(user);
                }
                Err(Error::NoCredentials) => {}
                Err(error) => return Err(error),
            }
        }
        if named.is_none() {
            self.admit_start(tenant.id, meta, now).await?;
        }
        let challenge = self.challenge()?;
        let mut tx = self.store.write().await?;
        let options = self
            .issue_assertion(
                &mut tx,
                tenant,
                Assertion::AccountLogin,
                challenge,
                named,
                allowed,
                None,
                inputs,
                now,
            )
            .await?;
        self.record_success(
            &mut tx,
            tenant,
            audit_event(tenant.id, succeeded, None, context.actor.clone(), meta, now),
        )
        .await?;
        tx.commit().await?;
        Ok(options)
    }

    /// Verifies a passkey login's assertion and opens a session.
    pub async fn finish_account_login(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<AccountLogin> {
        let tenant = self.accounts_tenant(tenant).await?;
        let outcome = self
            .finish_assertion(tenant.id, response_json, Assertion::AccountLogin, meta)
            .await?;
        let session = outcome.session.ok_or(Error::NotFound(Entity::Session))?;
        Ok(AccountLogin {
            credential_id: outcome.credential_id,
            user: session.user,
            session,
            extension_results: outcome.extension_results,
            signals: outcome.signals,
        })
    }
}
