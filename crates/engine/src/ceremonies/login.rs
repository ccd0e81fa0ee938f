//! Passkey login: discoverable, or for a named user.

use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, CounterPolicy, CounterStatus, CredentialPublicKey,
    Policy, RelyingParty, StoredCredential, challenge_of, verify_assertion,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    Engine, FailureContext, RequestMeta, audit_event, expiry, load_tenant, take_ceremony,
    webauthn_uv,
};
use crate::Page;
use crate::model::{Ceremony, CounterRule, Operation, TenantId, UserId, UserVerification};
use crate::tokens::{Claims, sign_token};
use crate::{Error, ReadTx, Result, Store, WriteTx};

const SUCCEEDED: &str = "webauthn_authentication_final_succeeded";
const FAILED: &str = "webauthn_authentication_final_failed";
/// Recorded on a login accepted despite a signature counter that did not increase.
const POSSIBLE_CLONE: &str = "signature counter did not increase: the credential may be cloned";
/// Credentials listed per store query while collecting a user's `allowCredentials`.
const CREDENTIALS_PER_PAGE: u32 = 200;

/// What the authenticator is asked to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOptions {
    pub challenge: Vec<u8>,
    pub timeout_ms: u32,
    pub rp_id: String,
    pub user_verification: UserVerification,
    /// The user's passkeys (MFA credentials excluded); empty for a discoverable login. Without
    /// transports: hints made some Android and Windows clients skip usable authenticators.
    pub allow_credentials: Vec<Vec<u8>>,
}

/// A finished login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub token: String,
    pub credential_id: Vec<u8>,
    /// The tenant's external id of the user.
    pub user_id: String,
}

impl<S: Store> Engine<S> {
    /// Starts a login: discoverable when `user` is `None`, otherwise restricted to the passkeys
    /// of the user with that external id.
    pub async fn start_login(&self, tenant: TenantId, user: Option<&str>) -> Result<LoginOptions> {
        let now = self.now();
        let challenge = self.challenge()?;
        let mut tx = self.store.write().await?;
        let tenant = load_tenant(&mut tx, tenant).await?;
        let settings = &tenant.config.passkey;
        let (user, allow_credentials) = match user {
            None => (None, Vec::new()),
            Some(external_id) => {
                let user = tx
                    .user_by_external_id(tenant.id, external_id)
                    .await?
                    .ok_or(Error::NotFound("user"))?;
                let ids = passkey_ids(&mut tx, tenant.id, user.id).await?;
                if ids.is_empty() {
                    return Err(Error::NoCredentials);
                }
                (Some(user.id), ids)
            }
        };
        tx.insert_ceremony(&Ceremony {
            id: Uuid::new_v4(),
            tenant: tenant.id,
            challenge: challenge.clone(),
            operation: Operation::Authentication,
            user,
            user_verification: settings.user_verification,
            allowed_credentials: allow_credentials.clone(),
            transaction: None,
            expires_at: expiry(now, settings),
        })
        .await?;
        tx.commit().await?;
        Ok(LoginOptions {
            challenge,
            timeout_ms: settings.timeout_ms,
            rp_id: tenant.config.relying_party.id.clone(),
            user_verification: settings.user_verification,
            allow_credentials,
        })
    }

    /// Verifies an assertion against a started login and signs a token. Every outcome is
    /// audited when the tenant stores audit events; a failure's event is written after the
    /// failed work is rolled back, so the challenge stays usable until it succeeds or expires.
    pub async fn finish_login(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<LoginOutcome> {
        let now = self.now();
        let mut context = FailureContext::new(FAILED);
        // The attempt's transaction is dropped (rolled back) when the attempt returns, before
        // the failure event opens its own: SQLite in memory has one connection for both.
        let result = self
            .try_finish_login(tenant, response_json, meta, now, &mut context)
            .await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    async fn try_finish_login(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
        now: OffsetDateTime,
        context: &mut FailureContext,
    ) -> Result<LoginOutcome> {
        let mut tx = self.store.write().await?;
        let tenant = load_tenant(&mut tx, tenant).await?;
        context.store = tenant.config.audit.store;
        let response = AuthenticationResponse::from_json(response_json)?;
        let challenge = challenge_of(&response.client_data_json)?;
        let ceremony = take_ceremony(
            &mut tx,
            tenant.id,
            &challenge,
            &[Operation::Authentication],
            now,
        )
        .await?;
        // MFA credentials are not passkeys: to a passkey login they do not exist.
        let credential = tx
            .credential(tenant.id, &response.raw_id)
            .await?
            .filter(|credential| !credential.is_mfa)
            .ok_or(Error::NotFound("credential"))?;
        let user = tx
            .user(tenant.id, credential.user)
            .await?
            .ok_or(Error::NotFound("user"))?;
        context.actor = Some(user.external_id.clone());
        if ceremony.user.is_some_and(|expected| expected != user.id) {
            return Err(latchkey_webauthn::Error::UserHandleMismatch.into());
        }

        let rp = &tenant.config.relying_party;
        let relying_party =
            RelyingParty::new(rp.id.as_str(), rp.origins.iter().map(String::as_str));
        let mut policy = Policy::default();
        policy.user_verification = webauthn_uv(ceremony.user_verification);
        policy.counter = match tenant.config.counter {
            CounterRule::Reject => CounterPolicy::Reject,
            CounterRule::AuditOnly => CounterPolicy::Report,
        };
        let public_key = CredentialPublicKey::from_cose(&credential.public_key)?;
        let handle = user.external_id.as_bytes();
        let verified = verify_assertion(
            &relying_party,
            &policy,
            &AssertionRequest {
                challenge: &challenge,
                allow_credentials: &ceremony.allowed_credentials,
                user_handle: ceremony.user.map(|_| handle),
            },
            &response,
            &StoredCredential {
                id: &credential.id,
                public_key: &public_key,
                sign_count: credential.sign_count,
                backup_eligible: credential.backup_eligible,
                user_handle: handle,
            },
        )?;

        tx.record_login(
            tenant.id,
            &credential.id,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
        let signer = self.signer(&mut tx, &tenant, now).await?;
        let claims = Claims::new(&user.external_id, &rp.id, &credential.id, None, now);
        let token = sign_token(&signer, &claims)?;
        if tenant.config.audit.store {
            let note = (verified.counter == CounterStatus::PossibleClone)
                .then(|| POSSIBLE_CLONE.to_owned());
            let actor = Some(user.external_id.clone());
            tx.insert_audit_event(&audit_event(tenant.id, SUCCEEDED, note, actor, meta, now))
                .await?;
        }
        tx.commit().await?;
        Ok(LoginOutcome {
            token,
            credential_id: credential.id,
            user_id: user.external_id,
        })
    }
}

/// Ids of the user's credentials that can log in (not MFA ones), oldest first.
async fn passkey_ids<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<Vec<u8>>> {
    let mut ids = Vec::new();
    let mut page = Page {
        number: 1,
        per_page: CREDENTIALS_PER_PAGE,
        descending: false,
    };
    loop {
        let listed = tx.credentials(tenant, Some(user), page).await?;
        let last = listed.items.len() < CREDENTIALS_PER_PAGE as usize;
        ids.extend(
            listed
                .items
                .into_iter()
                .filter(|credential| !credential.is_mfa)
                .map(|credential| credential.id),
        );
        if last {
            return Ok(ids);
        }
        page.number += 1;
    }
}
