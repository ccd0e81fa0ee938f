//! Passkey and MFA registration.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_webauthn::{
    CoseAlgorithm, Policy, RegistrationResponse, RelyingParty, TrustAnchors, UnixTime,
    challenge_of, verify_registration,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::extensions::{
    ClientExtensionResults, ExtensionInputs, RequestedExtensions, for_registration,
};
use super::{claims, expiry, started_ceremony, take_started, timeout_ms, webauthn_uv};
use crate::Engine;
use crate::aaguid;
use crate::audit::{AuditEventKind, FailureContext, RequestMeta, audit_event};
use crate::authenticator_policy::model_policy;
use crate::credentials::all_credentials;
use crate::engine::storable_text;
use crate::model::{
    Attachment, AttestationPreference, Ceremony, Credential, Hint, Operation, ResidentKey,
    TenantId, User, UserId, UserVerification,
};
use crate::tokens::sign_token;
use crate::{AuthenticatorRefusal, Entity, Error, ReadTx, RefusalReason, Result, Store, WriteTx};

/// Credential algorithms offered, in the order the original server lists them (clients pick
/// the first they support, so the order is part of the behaviour).
pub(super) const ALGORITHMS: [CoseAlgorithm; 10] = [
    CoseAlgorithm::Es256,
    CoseAlgorithm::Es384,
    CoseAlgorithm::Es512,
    CoseAlgorithm::Rs256,
    CoseAlgorithm::Rs384,
    CoseAlgorithm::Rs512,
    CoseAlgorithm::Ps256,
    CoseAlgorithm::Ps384,
    CoseAlgorithm::Ps512,
    CoseAlgorithm::EdDsa,
];

/// Which of the tenant's authenticator settings a registration uses, and whether the new
/// credential is a passkey or a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// A passkey, with the tenant's passkey settings.
    Passkey,
    /// A second factor, with the tenant's MFA settings; only MFA logins may use it.
    Mfa,
}

impl CeremonyKind {
    /// Audit event types of (start succeeded, start failed, finish succeeded, finish failed).
    pub(super) fn events(self) -> [AuditEventKind; 4] {
        match self {
            Self::Passkey => [
                AuditEventKind::RegistrationStarted,
                AuditEventKind::RegistrationStartFailed,
                AuditEventKind::RegistrationFinished,
                AuditEventKind::RegistrationFinishFailed,
            ],
            Self::Mfa => [
                AuditEventKind::MfaRegistrationStarted,
                AuditEventKind::MfaRegistrationStartFailed,
                AuditEventKind::MfaRegistrationFinished,
                AuditEventKind::MfaRegistrationFinishFailed,
            ],
        }
    }
}

/// Longest user id a registration accepts, in bytes: the id is the user handle, and WebAuthn
/// caps handles at 64 bytes (authenticators may refuse longer ones).
pub const MAX_USER_HANDLE_BYTES: usize = 64;

/// A credential the user already has, which the authenticator is asked not to create again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedCredential {
    /// The credential's ID (raw bytes).
    pub id: Vec<u8>,
    /// The transports the client reported when it was registered.
    pub transports: Vec<String>,
}

/// The user a registration is for, as the tenant names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The tenant's id of the user, which becomes the user handle: at most
    /// [`MAX_USER_HANDLE_BYTES`] bytes.
    pub external_id: String,
    /// The account name the authenticator shows (`user.name`).
    pub name: String,
    /// Falls back to `name` when blank.
    pub display_name: String,
    /// URL of a user icon (the Hanko API's `user.icon`).
    pub icon: Option<String>,
}

/// What the authenticator is asked to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationOptions {
    /// The relying party ID the credential will be scoped to (`rp.id`).
    pub rp_id: String,
    /// The relying party's name (`rp.name`).
    pub rp_name: String,
    /// The user handle: the UTF-8 bytes of the tenant's user id.
    pub user_handle: Vec<u8>,
    /// The stored user's account name (`user.name`).
    pub user_name: String,
    /// The stored user's display name (`user.displayName`).
    pub user_display_name: String,
    /// The stored user's icon URL, if any.
    pub user_icon: Option<String>,
    /// The random challenge (raw bytes; base64url on the wire) the attestation must sign.
    pub challenge: Vec<u8>,
    /// The credential algorithms accepted (`pubKeyCredParams`), in order of preference.
    pub algorithms: Vec<CoseAlgorithm>,
    /// How long the client may take, in milliseconds; the ceremony expires after it.
    pub timeout_ms: u32,
    /// The kind of authenticator asked for; `None` for any.
    pub attachment: Option<Attachment>,
    /// Whether a discoverable credential is asked for.
    pub resident_key: ResidentKey,
    /// Whether the authenticator must verify the user.
    pub user_verification: UserVerification,
    /// The attestation asked for.
    pub attestation: AttestationPreference,
    /// The user's existing credentials, oldest first. A dialect whose original sends none may
    /// leave them out.
    pub exclude_credentials: Vec<ExcludedCredential>,
    /// The extensions asked for (`extensions`).
    pub extensions: RequestedExtensions,
    /// The kinds of authenticator to offer first (`hints`); empty for none.
    pub hints: Vec<Hint>,
}

/// A finished registration: the stored credential and a token for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationOutcome {
    /// The credential as stored.
    pub credential: Credential,
    /// The tenant's external id of the user.
    pub user_id: String,
    /// The signed JWT naming the user and the new credential; see [`crate::tokens`].
    pub token: String,
    /// The client's extension results, read strictly, for the dialect to pass back.
    pub extension_results: ClientExtensionResults,
}

impl<S: Store> Engine<S> {
    /// Creates or updates the user and starts a registration for them.
    pub async fn start_registration(
        &self,
        tenant: TenantId,
        user: NewUser,
        kind: CeremonyKind,
        meta: &RequestMeta,
    ) -> Result<RegistrationOptions> {
        self.start_registration_with(tenant, user, kind, ExtensionInputs::default(), meta)
            .await
    }

    /// [`Engine::start_registration`] with the caller's extension inputs (PRF salts) added to
    /// what the tenant's settings ask for.
    pub async fn start_registration_with(
        &self,
        tenant: TenantId,
        user: NewUser,
        kind: CeremonyKind,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
    ) -> Result<RegistrationOptions> {
        let now = self.now();
        let [succeeded, failed, ..] = kind.events();
        let mut context = FailureContext::new(failed);
        context.actor = Some(user.external_id.clone());
        let result = self
            .try_start_registration(
                tenant,
                user,
                kind,
                inputs,
                meta,
                now,
                succeeded,
                &mut context,
            )
            .await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_start_registration(
        &self,
        tenant: TenantId,
        user: NewUser,
        kind: CeremonyKind,
        inputs: ExtensionInputs,
        meta: &RequestMeta,
        now: OffsetDateTime,
        succeeded: AuditEventKind,
        context: &mut FailureContext,
    ) -> Result<RegistrationOptions> {
        storable_text("user_id", &user.external_id)?;
        if user.external_id.len() > MAX_USER_HANDLE_BYTES {
            return Err(Error::Invalid {
                field: "user_id",
                reason: format!(
                    "longer than {MAX_USER_HANDLE_BYTES} bytes, the most a WebAuthn user handle holds"
                ),
            });
        }
        storable_text("username", &user.name)?;
        storable_text("display_name", &user.display_name)?;
        if let Some(icon) = &user.icon {
            storable_text("icon", icon)?;
        }
        let challenge = self.challenge()?;
        let tenant = self.cached_tenant(tenant).await?;
        context.audit_to(&tenant);
        let settings = match kind {
            CeremonyKind::Passkey => &tenant.config.passkey,
            CeremonyKind::Mfa => &tenant.config.mfa,
        };
        let (extensions, hints) = for_registration(&settings.extensions, inputs)?;
        let mut tx = self.store.write().await?;
        let display_name = if user.display_name.trim().is_empty() {
            user.name.clone()
        } else {
            user.display_name
        };
        let user = tx
            .upsert_user(&User {
                id: UserId(Uuid::new_v4()),
                tenant: tenant.id,
                external_id: user.external_id,
                name: user.name,
                display_name,
                icon: user.icon,
                created_at: now,
            })
            .await?;
        let exclude_credentials = all_credentials(&mut tx, tenant.id, Some(user.id))
            .await?
            .into_iter()
            .map(|credential| ExcludedCredential {
                id: credential.id,
                transports: credential.transports,
            })
            .collect();
        tx.insert_ceremony(&Ceremony {
            id: Uuid::new_v4(),
            tenant: tenant.id,
            challenge: challenge.clone(),
            operation: match kind {
                CeremonyKind::Passkey => Operation::Registration,
                CeremonyKind::Mfa => Operation::MfaRegistration,
            },
            user: Some(user.id),
            user_verification: settings.user_verification,
            allowed_credentials: Vec::new(),
            transaction: None,
            expires_at: expiry(now, settings),
        })
        .await?;
        let actor = Some(user.external_id.clone());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(tenant.id, succeeded, None, actor, meta, now),
        )
        .await?;
        tx.commit().await?;
        Ok(RegistrationOptions {
            rp_id: tenant.config.relying_party.id.clone(),
            rp_name: tenant.config.relying_party.display_name.clone(),
            user_handle: user.external_id.clone().into_bytes(),
            user_name: user.name,
            user_display_name: user.display_name,
            user_icon: user.icon,
            challenge,
            algorithms: ALGORITHMS.to_vec(),
            timeout_ms: timeout_ms(settings),
            attachment: settings.attachment,
            resident_key: settings.resident_key,
            user_verification: settings.user_verification,
            attestation: settings.attestation,
            exclude_credentials,
            extensions,
            hints,
        })
    }

    /// Verifies the authenticator's response to a started registration, stores the credential
    /// and signs a token for it. Either finish (passkey or MFA) accepts either kind of
    /// registration ceremony, as the original does. Unlike the original, the ceremony decides
    /// whether the credential is an MFA one, `kind` only which audit events are recorded: the
    /// start needs the tenant's API key, the passkey finish does not, so a public finish cannot
    /// turn a second factor into a passkey.
    pub async fn finish_registration(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        kind: CeremonyKind,
        meta: &RequestMeta,
    ) -> Result<RegistrationOutcome> {
        let now = self.now();
        let [.., succeeded, failed] = kind.events();
        let mut context = FailureContext::new(failed);
        let attempt = self.try_finish_registration(
            tenant,
            response_json,
            None,
            meta,
            now,
            succeeded,
            &mut context,
        );
        let result = self.limited_finish(tenant, meta, now, attempt).await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    /// `account`: the session's user of a Hanko Public API registration, who must be the
    /// ceremony's user; such a registration issues no token (its `token` is empty).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn try_finish_registration(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        account: Option<UserId>,
        meta: &RequestMeta,
        now: OffsetDateTime,
        succeeded: AuditEventKind,
        context: &mut FailureContext,
    ) -> Result<RegistrationOutcome> {
        // Garbage is refused before the store is read.
        let parsed = RegistrationResponse::from_json(response_json)
            .and_then(|response| Ok((challenge_of(&response.client_data_json)?, response)));
        let (challenge, response) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return Err(self.refused_unread(tenant, error, context).await),
        };
        let tenant = self.cached_tenant(tenant).await?;
        context.audit_to(&tenant);
        let mut tx = self.store.read().await?;
        let ceremony = started_ceremony(
            &mut tx,
            tenant.id,
            &challenge,
            &[Operation::Registration, Operation::MfaRegistration],
            now,
        )
        .await?;
        let user_id = ceremony.user.ok_or(Error::NotFound(Entity::User))?;
        if account.is_some_and(|account| account != user_id) {
            return Err(Error::CeremonyNotFound);
        }
        let user = tx
            .user(tenant.id, user_id)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        context.actor = Some(user.external_id.clone());

        let rp = &tenant.config.relying_party;
        let relying_party = RelyingParty::new(rp.id.as_str(), rp.accepted_origins());
        let settings = match ceremony.operation {
            Operation::MfaRegistration => &tenant.config.mfa,
            Operation::Registration
            | Operation::Authentication
            | Operation::Transaction
            | Operation::MfaAuthentication => &tenant.config.passkey,
        };
        let mut policy = Policy::default();
        policy.user_verification = webauthn_uv(ceremony.user_verification);
        policy.algorithms = ALGORITHMS.to_vec();
        policy.credential_protection = settings.extensions.credential_protection;
        // Verified inside the read transaction, which blocks no writer: which model the
        // authenticator claims to be decides what else to read.
        let verified = verify_registration(
            &relying_party,
            &policy,
            &challenge,
            &response,
            &TrustAnchors::none(),
            unix_time(now),
        )?;
        let model = Uuid::from_bytes(verified.aaguid.0);
        let model_policy = model_policy(&mut tx, &tenant, model).await?;
        let signing_key = self.signing_key(&mut tx, &tenant).await?;
        drop(tx);
        let refuse = |reason| Error::AuthenticatorDisabled(AuthenticatorRefusal { model, reason });
        if model_policy.disabled {
            return Err(refuse(RefusalReason::Disabled));
        }
        let minimum = tenant.config.authenticator_policy.minimum_certification;
        if let Some(minimum) = minimum {
            if !model_policy.known {
                return Err(refuse(RefusalReason::Unknown(minimum)));
            }
            // Without a chain to the model's own roots, the AAGUID is only the authenticator's
            // claim, and any authenticator can claim a certified model.
            if model_policy.anchors.is_none() || verified.trust_path.is_empty() {
                return Err(refuse(RefusalReason::Unproven(minimum)));
            }
        }
        // A model whose metadata names roots must chain to them when it presents a chain at
        // all; the first pass, without anchors, only found out which model it claims to be.
        if let Some(anchors) = &model_policy.anchors
            && !verified.trust_path.is_empty()
        {
            let anchored = verify_registration(
                &relying_party,
                &policy,
                &challenge,
                &response,
                anchors,
                unix_time(now),
            )?;
            if !anchored.trusted {
                return Err(latchkey_webauthn::Error::Untrusted.into());
            }
        }
        if let Some(minimum) = minimum
            && model_policy.certification < Some(minimum)
        {
            return Err(refuse(RefusalReason::BelowMinimum {
                minimum,
                certified: model_policy.certification,
            }));
        }
        let signer = match account {
            Some(_) => None,
            None => Some(self.signer(signing_key, now).await?),
        };

        // The Hanko Public API leaves a credential of an unknown model unnamed, as its original
        // does; the passkey server names it after its ID.
        let name = match (aaguid::name(&verified.aaguid.0), account) {
            (Some(name), _) => Some(name.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some(format!(
                "cred-{}",
                URL_SAFE_NO_PAD.encode(&verified.credential_id)
            )),
        };
        let credential = Credential {
            id: verified.credential_id,
            tenant: tenant.id,
            user: user.id,
            name,
            public_key: verified.public_key.cose().to_vec(),
            attestation_format: verified.fmt.name().to_owned(),
            aaguid: verified.aaguid.0,
            sign_count: verified.sign_count,
            transports: verified
                .transports
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect(),
            backup_eligible: verified.flags.backup_eligible(),
            backup_state: verified.flags.backup_state(),
            is_mfa: ceremony.operation == Operation::MfaRegistration,
            created_at: now,
            last_used_at: Some(now),
            discoverable: response.client_extension_results.resident_key,
            credential_protection: verified.extensions.cred_protect,
            min_pin_length: verified.extensions.min_pin_length,
        };
        let mut tx = self.store.write().await?;
        take_started(&mut tx, &ceremony).await?;
        // A user deleted since the snapshot took their credentials along; this one would be
        // refused by the store as an orphan.
        if tx.user(tenant.id, user.id).await?.is_none() {
            return Err(Error::NotFound(Entity::User));
        }
        tx.insert_credential(&credential).await?;
        let actor = Some(user.external_id.clone());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(tenant.id, succeeded, None, actor, meta, now),
        )
        .await?;
        tx.commit().await?;

        let token = match signer {
            Some(signer) => sign_token(
                &signer,
                &claims(&tenant, &user.external_id, &credential.id, None, now),
            )?,
            None => String::new(),
        };
        Ok(RegistrationOutcome {
            token,
            credential,
            user_id: user.external_id,
            extension_results: response.client_extension_results,
        })
    }
}

fn unix_time(now: OffsetDateTime) -> UnixTime {
    UnixTime(now.unix_timestamp())
}
