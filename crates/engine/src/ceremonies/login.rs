//! Logins and every other assertion: passkey login (discoverable or for a named user), MFA
//! login, and the confirmation of a transaction share one finish.

use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, BackupEligibilityPolicy, CounterPolicy,
    CounterStatus, CredentialPublicKey, Policy, RelyingParty, StoredCredential, challenge_of,
    verify_assertion,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::extensions::{ClientExtensionResults, ExtensionInputs, RequestedExtensions, for_login};
use super::{
    account_settings, claims, expiry, started_ceremony, take_started, timeout_ms, webauthn_uv,
};
use crate::Engine;
use crate::accounts::IssuedSession;
use crate::audit::{AuditEventKind, FailureContext, RequestMeta, audit_event};
use crate::credentials::all_credentials;
use crate::model::{
    AuthenticatorSettings, BackupEligibilityRule, Ceremony, CounterRule, Credential, Hint,
    Operation, Tenant, TenantId, User, UserId, UserVerification,
};
use crate::signals::{UserSignals, signals_of, unknown_credential};
use crate::tokens::sign_token;
use crate::{Entity, Error, LoginRecord, ReadTx, Result, Store, WriteTx};

/// Recorded on a login accepted despite a signature counter that did not increase.
const POSSIBLE_CLONE: &str = "signature counter did not increase: the credential may be cloned";
/// Recorded on a login accepted although its backup-eligible flag differs from the registered
/// one, which is kept.
const BACKUP_ELIGIBILITY_CHANGED: &str = "backup eligibility changed since registration";

/// What the authenticator is asked to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOptions {
    /// The random challenge (raw bytes; base64url on the wire) the assertion must sign.
    pub challenge: Vec<u8>,
    /// How long the client may take, in milliseconds (`timeout`). A discoverable login's
    /// ceremony lives [`discoverable_timeout_ms`](crate::model::TenantConfig::discoverable_timeout_ms)
    /// instead.
    pub timeout_ms: u32,
    /// The relying party ID the credentials are scoped to (`rpId`).
    pub rp_id: String,
    /// Whether the authenticator must verify the user (`userVerification`).
    pub user_verification: UserVerification,
    /// The credentials that may answer; empty for a discoverable login. Without transports:
    /// hints made some Android and Windows clients skip usable authenticators.
    pub allow_credentials: Vec<Vec<u8>>,
    /// The extensions asked for (`extensions`).
    pub extensions: RequestedExtensions,
    /// The kinds of authenticator to offer first (`hints`); empty for none.
    pub hints: Vec<Hint>,
}

/// A finished login or confirmed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    /// The signed JWT the tenant's backend verifies against the JWKS; see [`crate::tokens`].
    pub token: String,
    /// The ID of the credential that signed the assertion (raw bytes).
    pub credential_id: Vec<u8>,
    /// The tenant's external id of the user.
    pub user_id: String,
    /// The tenant's identifier of the confirmed transaction.
    pub transaction_id: Option<String>,
    /// The session a Hanko Public API login opened; `token` is its token.
    pub session: Option<IssuedSession>,
    /// The client's extension results, read strictly, for the dialect to pass back.
    pub extension_results: ClientExtensionResults,
    /// What the page may tell the browser about the user's credentials and names (WebAuthn's
    /// signal methods); read with the credential, for every login but a transaction's.
    pub signals: Option<UserSignals>,
}

/// The three assertion ceremonies. They differ in which credentials count, which settings
/// apply, and what the audit log calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Assertion {
    Login,
    MfaLogin,
    Transaction,
    /// A passkey login of the Hanko Public API: its settings, and a session at the end.
    AccountLogin,
}

impl Assertion {
    fn operation(self) -> Operation {
        match self {
            Self::Login | Self::AccountLogin => Operation::Authentication,
            Self::MfaLogin => Operation::MfaAuthentication,
            Self::Transaction => Operation::Transaction,
        }
    }

    /// MFA credentials are second factors: only an MFA login may use them.
    fn accepts(self, credential: &Credential) -> bool {
        self == Self::MfaLogin || !credential.is_mfa
    }

    pub(super) fn settings(self, tenant: &Tenant) -> AuthenticatorSettings {
        match self {
            Self::MfaLogin => tenant.config.mfa.clone(),
            Self::Login | Self::Transaction => tenant.config.passkey.clone(),
            Self::AccountLogin => account_settings(tenant),
        }
    }

    /// Audit event types of (start succeeded, start failed, finish succeeded, finish failed).
    pub(super) fn events(self) -> [AuditEventKind; 4] {
        match self {
            Self::Login | Self::AccountLogin => [
                AuditEventKind::LoginStarted,
                AuditEventKind::LoginStartFailed,
                AuditEventKind::LoginFinished,
                AuditEventKind::LoginFinishFailed,
            ],
            Self::MfaLogin => [
                AuditEventKind::MfaLoginStarted,
                AuditEventKind::MfaLoginStartFailed,
                AuditEventKind::MfaLoginFinished,
                AuditEventKind::MfaLoginFinishFailed,
            ],
            Self::Transaction => [
                AuditEventKind::TransactionStarted,
                AuditEventKind::TransactionStartFailed,
                AuditEventKind::TransactionFinished,
                AuditEventKind::TransactionFinishFailed,
            ],
        }
    }
}

impl<S: Store> Engine<S> {
    /// Starts a passkey login: discoverable when `user` is `None`, otherwise restricted to the
    /// passkeys of the user with that external id.
    pub async fn start_login(
        &self,
        tenant: TenantId,
        user: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        self.start_login_with(tenant, user, ExtensionInputs::default(), meta)
            .await
    }

    /// [`Engine::start_login`] with the caller's extension inputs (PRF salts, large blob
    /// access), checked against the credentials the login allows.
    pub async fn start_login_with(
        &self,
        tenant: TenantId,
        user: Option<&str>,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        self.start_assertion(tenant, user, Assertion::Login, inputs, meta)
            .await
    }

    /// Starts an MFA login for the user with this external id: any of their credentials, MFA
    /// or passkey, may answer.
    pub async fn start_mfa_login(
        &self,
        tenant: TenantId,
        user: &str,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        self.start_mfa_login_with(tenant, user, ExtensionInputs::default(), meta)
            .await
    }

    /// [`Engine::start_mfa_login`] with the caller's extension inputs.
    pub async fn start_mfa_login_with(
        &self,
        tenant: TenantId,
        user: &str,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        self.start_assertion(tenant, Some(user), Assertion::MfaLogin, inputs, meta)
            .await
    }

    async fn start_assertion(
        &self,
        tenant: TenantId,
        user: Option<&str>,
        kind: Assertion,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        let now = self.now();
        if user.is_none() {
            self.admit_start(tenant, meta, now).await?;
        }
        let [succeeded, failed, ..] = kind.events();
        let mut context = FailureContext::new(failed);
        context.actor = user.map(str::to_owned);
        let result = async {
            let challenge = self.challenge()?;
            let tenant = self.cached_tenant(tenant).await?;
            context.audit_to(&tenant);
            let mut tx = self.store.write().await?;
            let (user, allowed) = match user {
                None => (None, Vec::new()),
                Some(external_id) => {
                    let user = user_by_external_id(&mut tx, tenant.id, external_id).await?;
                    let ids = usable_credentials(&mut tx, tenant.id, user.id, kind).await?;
                    (Some(user.id), ids)
                }
            };
            let options = self
                .issue_assertion(
                    &mut tx, &tenant, kind, challenge, user, allowed, None, inputs, now,
                )
                .await?;
            self.record_success(
                &mut tx,
                &tenant,
                audit_event(tenant.id, succeeded, None, context.actor.clone(), meta, now),
            )
            .await?;
            tx.commit().await?;
            Ok(options)
        }
        .await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    /// Stores the ceremony of an assertion and returns its options.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn issue_assertion(
        &self,
        tx: &mut S::Write,
        tenant: &Tenant,
        kind: Assertion,
        challenge: Vec<u8>,
        user: Option<UserId>,
        allow_credentials: Vec<Vec<u8>>,
        transaction: Option<Uuid>,
        inputs: ExtensionInputs,
        now: OffsetDateTime,
    ) -> Result<LoginOptions> {
        let settings = &kind.settings(tenant);
        let (extensions, hints) = for_login(&settings.extensions, inputs, &allow_credentials)?;
        // A discoverable login may serve passkey autofill, which waits for the user far longer
        // than a ceremony the user started; the options still announce the tenant's timeout.
        let expires_at = if user.is_none() {
            now + Duration::milliseconds(i64::from(tenant.config.discoverable_timeout_ms))
        } else {
            expiry(now, settings)
        };
        tx.insert_ceremony(&Ceremony {
            id: Uuid::new_v4(),
            tenant: tenant.id,
            challenge: challenge.clone(),
            operation: kind.operation(),
            user,
            user_verification: settings.user_verification,
            allowed_credentials: allow_credentials.clone(),
            transaction,
            expires_at,
        })
        .await?;
        Ok(LoginOptions {
            challenge,
            timeout_ms: timeout_ms(settings),
            rp_id: tenant.config.relying_party.id.clone(),
            user_verification: settings.user_verification,
            allow_credentials,
            extensions,
            hints,
        })
    }

    /// Verifies an assertion against a started passkey login and signs a token. Every outcome
    /// is audited when the tenant stores audit events; a failure leaves the challenge usable
    /// until it succeeds or expires.
    pub async fn finish_login(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<LoginOutcome> {
        self.finish_assertion(tenant, response_json, Assertion::Login, meta)
            .await
    }

    /// Verifies an assertion against a started MFA login and signs a token.
    pub async fn finish_mfa_login(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<LoginOutcome> {
        self.finish_assertion(tenant, response_json, Assertion::MfaLogin, meta)
            .await
    }

    pub(super) async fn finish_assertion(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        kind: Assertion,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome> {
        let now = self.now();
        let [.., succeeded, failed] = kind.events();
        let mut context = FailureContext::new(failed);
        // The attempt's transaction is dropped (rolled back) when the attempt returns, before
        // the failure event opens its own: SQLite in memory has one connection for both.
        let attempt = self.try_finish_assertion(
            tenant,
            response_json,
            kind,
            meta,
            now,
            succeeded,
            &mut context,
        );
        let result = self.limited_finish(tenant, meta, now, attempt).await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_finish_assertion(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        kind: Assertion,
        meta: &RequestMeta,
        now: OffsetDateTime,
        succeeded: AuditEventKind,
        context: &mut FailureContext,
    ) -> Result<LoginOutcome> {
        // Garbage is refused before the store is read.
        let parsed = AuthenticationResponse::from_json(response_json)
            .and_then(|response| Ok((challenge_of(&response.client_data_json)?, response)));
        let (challenge, response) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return Err(self.refused_unread(tenant, error, context).await),
        };
        let tenant = self.cached_tenant(tenant).await?;
        context.audit_to(&tenant);
        let mut tx = self.store.read().await?;
        let ceremony =
            started_ceremony(&mut tx, tenant.id, &challenge, &[kind.operation()], now).await?;
        let transaction = match kind {
            Assertion::Transaction => {
                let transaction = tx
                    .transaction_by_challenge(tenant.id, &challenge)
                    .await?
                    .ok_or(Error::NotFound(Entity::Transaction))?;
                context.transaction = Some(transaction.identifier.clone());
                Some(transaction.identifier)
            }
            Assertion::Login | Assertion::MfaLogin | Assertion::AccountLogin => None,
        };
        // A discoverable login learns its user from the user handle, before the credential,
        // as the original server does: without a handle naming a user there is no one to log in.
        let claimed = match ceremony.user {
            Some(_) => None,
            None => {
                let handle = response
                    .user_handle
                    .as_deref()
                    .ok_or(Error::NotFound(Entity::User))?;
                match user_by_handle(&mut tx, tenant.id, handle).await {
                    Err(Error::NotFound(Entity::User))
                        if tx.credential(tenant.id, &response.raw_id).await?.is_none() =>
                    {
                        return Err(unknown_credential(&tenant, Entity::User, &response.raw_id));
                    }
                    found => Some(found?),
                }
            }
        };
        // A credential the ceremony does not accept does not exist for it; only one the tenant
        // does not hold at all may be forgotten by the authenticator.
        let credential = tx
            .credential(tenant.id, &response.raw_id)
            .await?
            .ok_or_else(|| unknown_credential(&tenant, Entity::Credential, &response.raw_id))?;
        let credential = Some(credential)
            .filter(|credential| kind.accepts(credential))
            .filter(|credential| {
                claimed
                    .as_ref()
                    .is_none_or(|user| user.id == credential.user)
            })
            .ok_or(Error::NotFound(Entity::Credential))?;
        let user = match claimed {
            Some(user) => user,
            None => tx
                .user(tenant.id, credential.user)
                .await?
                .ok_or(Error::NotFound(Entity::User))?,
        };
        context.actor = Some(user.external_id.clone());
        if ceremony.user.is_some_and(|expected| expected != user.id) {
            return Err(latchkey_webauthn::Error::UserHandleMismatch.into());
        }
        let signals = match kind {
            Assertion::Transaction => None,
            Assertion::Login | Assertion::MfaLogin | Assertion::AccountLogin => {
                Some(signals_of(&mut tx, &tenant, &user).await?)
            }
        };
        let signing_key = self.signing_key(&mut tx, &tenant).await?;
        drop(tx);

        let rp = &tenant.config.relying_party;
        let relying_party = RelyingParty::new(rp.id.as_str(), rp.accepted_origins());
        let mut policy = Policy::default();
        policy.user_verification = webauthn_uv(ceremony.user_verification);
        policy.counter = match tenant.config.counter {
            CounterRule::Reject => CounterPolicy::Reject,
            CounterRule::AuditOnly => CounterPolicy::Report,
        };
        policy.backup_eligibility = match tenant.config.backup_eligibility {
            BackupEligibilityRule::Reject => BackupEligibilityPolicy::Reject,
            BackupEligibilityRule::AuditOnly => BackupEligibilityPolicy::Report,
        };
        let public_key = self.credential_key(&credential)?;
        let handle = user_handle(&user, response.user_handle.as_deref());
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
        let signer = self.signer(signing_key, now).await?;

        let mut tx = self.store.write().await?;
        take_started(&mut tx, &ceremony).await?;
        // The verifier judged the counter against the snapshot; the store judges it again
        // against whatever another login committed since.
        let recorded = tx
            .record_login(
                tenant.id,
                &credential.id,
                verified.sign_count,
                verified.backup_state,
                now,
            )
            .await?;
        let counter = match recorded {
            LoginRecord::Counted => verified.counter,
            LoginRecord::Missing => {
                return Err(unknown_credential(
                    &tenant,
                    Entity::Credential,
                    &credential.id,
                ));
            }
            LoginRecord::NotIncreased { stored } => match tenant.config.counter {
                CounterRule::Reject => {
                    return Err(latchkey_webauthn::Error::CounterRegression {
                        stored,
                        received: verified.sign_count,
                    }
                    .into());
                }
                CounterRule::AuditOnly => CounterStatus::PossibleClone,
            },
        };
        let notes: Vec<&str> = [
            (counter == CounterStatus::PossibleClone).then_some(POSSIBLE_CLONE),
            verified
                .backup_eligibility_changed
                .then_some(BACKUP_ELIGIBILITY_CHANGED),
        ]
        .into_iter()
        .flatten()
        .collect();
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        let mut event = audit_event(
            tenant.id,
            succeeded,
            note,
            Some(user.external_id.clone()),
            meta,
            now,
        );
        event.transaction_id = transaction.clone();
        self.record_success(&mut tx, &tenant, event).await?;
        if kind == Assertion::AccountLogin {
            let session = self.open_session(tx, &tenant, user.id, now).await?;
            return Ok(LoginOutcome {
                token: session.token.clone(),
                credential_id: credential.id,
                user_id: user.external_id,
                transaction_id: None,
                session: Some(session),
                extension_results: response.client_extension_results,
                signals,
            });
        }
        tx.commit().await?;

        let claims = claims(
            &tenant,
            &user.external_id,
            &credential.id,
            transaction.as_deref(),
            now,
        );
        Ok(LoginOutcome {
            token: sign_token(&signer, &claims)?,
            credential_id: credential.id,
            user_id: user.external_id,
            transaction_id: transaction,
            session: None,
            extension_results: response.client_extension_results,
            signals,
        })
    }

    /// The parsed public key of a stored credential.
    fn credential_key(
        &self,
        credential: &Credential,
    ) -> Result<std::sync::Arc<CredentialPublicKey>> {
        self.credential_keys.get_or_parse(
            &credential.tenant,
            &credential.id,
            &credential.public_key,
        )
    }
}

/// The user handle a credential of `user` answers with. Handles are the UTF-8 bytes of the
/// tenant's user id; the original server also reads a 16-byte handle as the binary form of a
/// UUID user id, which credentials registered by older clients return.
fn user_handle<'a>(user: &'a User, returned: Option<&'a [u8]>) -> &'a [u8] {
    if let Some(returned) = returned
        && let Ok(uuid) = Uuid::from_slice(returned)
        && Uuid::parse_str(&user.external_id) == Ok(uuid)
    {
        return returned;
    }
    user.external_id.as_bytes()
}

/// The user a returned user handle names: the UTF-8 bytes of a user id, or the binary form of a
/// UUID user id (see [`user_handle`]).
async fn user_by_handle<T: ReadTx>(tx: &mut T, tenant: TenantId, handle: &[u8]) -> Result<User> {
    if let Ok(external_id) = std::str::from_utf8(handle)
        && let Some(user) = tx.user_by_external_id(tenant, external_id).await?
    {
        return Ok(user);
    }
    let uuid = Uuid::from_slice(handle).map_err(|_| Error::NotFound(Entity::User))?;
    user_by_external_id(tx, tenant, &uuid.hyphenated().to_string()).await
}

pub(super) async fn user_by_external_id<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    external_id: &str,
) -> Result<User> {
    tx.user_by_external_id(tenant, external_id)
        .await?
        .ok_or(Error::NotFound(Entity::User))
}

/// Ids of the user's credentials that `kind` accepts, oldest first; `NoCredentials` if none.
pub(super) async fn usable_credentials<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    user: UserId,
    kind: Assertion,
) -> Result<Vec<Vec<u8>>> {
    let ids: Vec<Vec<u8>> = all_credentials(tx, tenant, Some(user))
        .await?
        .into_iter()
        .filter(|credential| kind.accepts(credential))
        .map(|credential| credential.id)
        .collect();
    if ids.is_empty() {
        return Err(Error::NoCredentials);
    }
    Ok(ids)
}
