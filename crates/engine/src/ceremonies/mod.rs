//! Passkey registration and login as `start_*` / `finish_*` pairs over a [`Store`].
//!
//! Results are domain values; each dialect shapes them into its own JSON. A start stores a
//! [`Ceremony`] keyed by its challenge. A finish runs in three steps so that no cryptography
//! runs while a write lock is held:
//!
//! 1. one read transaction gathers what the finish needs (tenant, ceremony, user, credential,
//!    signing key);
//! 2. with no transaction open, the response is verified and the signer readied;
//! 3. one short write transaction takes the ceremony (finding nothing if a concurrent finish
//!    took it first), stores the outcome with every rule that another writer could race
//!    re-checked by the statement itself, records the audit event, and commits.
//!
//! The token is signed only after the commit succeeded: nothing is handed out that was not
//! stored. A finish that fails leaves the ceremony in place, usable until it expires.

mod account_passkeys;
mod extensions;
mod login;
mod registration;
mod transactions;

use time::{Duration, OffsetDateTime};

use crate::audit::{FailureContext, RequestMeta};
use crate::model::{
    AttestationPreference, AuthenticatorSettings, Ceremony, Operation, ResidentKey, Tenant,
    TenantId, UserVerification,
};
use crate::tokens::{Claims, community_audience};
use crate::{Engine, Error, ReadTx, Result, Store, WriteTx};

pub use account_passkeys::AccountLogin;
pub use extensions::{
    ClientExtensionResults, ExtensionInputs, LargeBlobAccess, LargeBlobRequest, MAX_LARGE_BLOB_LEN,
    MAX_PRF_SALT_BYTES, PrfInput, PrfValues, RequestedExtensions,
};
pub use login::{LoginOptions, LoginOutcome};
pub use registration::{
    CeremonyKind, ExcludedCredential, MAX_USER_HANDLE_BYTES, NewUser, RegistrationOptions,
    RegistrationOutcome,
};
pub use transactions::{MAX_TRANSACTION_ID_CHARS, NewTransaction, canonical_json};

/// Bytes of every challenge the engine issues.
pub const CHALLENGE_BYTES: usize = 32;

impl<S: Store> Engine<S> {
    /// Counts a start that names no user (anyone may send one); refuses it over its budget.
    async fn admit_start(
        &self,
        tenant: TenantId,
        meta: &RequestMeta,
        now: OffsetDateTime,
    ) -> Result<()> {
        match &self.limiter {
            Some(limiter) => limiter.start(tenant, &meta.source_ip, now).await,
            None => Ok(()),
        }
    }

    /// Runs a finish unless earlier failures used up its budget, and charges it if it fails
    /// through the client's fault. A refused finish writes no audit event: that is what the
    /// budget protects.
    async fn limited_finish<T>(
        &self,
        tenant: TenantId,
        meta: &RequestMeta,
        now: OffsetDateTime,
        finish: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(limiter) = &self.limiter else {
            return finish.await;
        };
        limiter.finish(tenant, &meta.source_ip, now).await?;
        let result = finish.await;
        if let Err(error) = &result
            && !matches!(
                error,
                Error::Storage(_) | Error::Unavailable(_) | Error::Crypto(_)
            )
        {
            limiter.failed(tenant, &meta.source_ip, now).await;
        }
        result
    }

    /// The error of a response refused before it was read against the store; the tenant is
    /// looked up only to learn where the failure is audited.
    async fn refused_unread(
        &self,
        tenant: TenantId,
        error: latchkey_webauthn::Error,
        context: &mut FailureContext,
    ) -> Error {
        match self.cached_tenant(tenant).await {
            Ok(tenant) => {
                context.audit_to(&tenant);
                error.into()
            }
            // An unknown tenant outranks a malformed body, as it does for every other request.
            Err(unknown) => unknown,
        }
    }
}

/// The claims of a token for `user` of `tenant`. A community's tokens are signed with its
/// organisation's keys, so they name the community as their audience instead of the RP ID:
/// otherwise a community whose `dns` is the organisation's RP ID would mint tokens, with a `sub`
/// of its own users' choosing, that the organisation's relying party accepts as its own.
fn claims(
    tenant: &Tenant,
    user: &str,
    credential: &[u8],
    transaction: Option<&str>,
    now: OffsetDateTime,
) -> Claims {
    let mut claims = Claims::new(
        user,
        &tenant.config.relying_party.id,
        credential,
        transaction,
        now,
    );
    if let Some(community) = tenant.kind.community() {
        claims.aud = vec![community_audience(community)];
        claims.community = Some(community.to_owned());
    }
    claims
}

/// The settings of the Hanko Public API's passkey ceremonies: its `webauthn.timeout` and
/// `webauthn.user_verification`, and what the original always asks for: a discoverable
/// credential, direct attestation, any kind of authenticator.
fn account_settings(tenant: &Tenant) -> AuthenticatorSettings {
    let webauthn = &tenant.config.hanko_public.webauthn;
    AuthenticatorSettings {
        timeout_ms: webauthn.timeout,
        user_verification: webauthn.user_verification,
        attachment: None,
        attestation: AttestationPreference::Direct,
        resident_key: ResidentKey::Required,
        // The API's passkeys are the tenant's passkeys: the same extensions apply.
        extensions: tenant.config.passkey.extensions.clone(),
    }
}

/// Timeout of a ceremony whose user verification is discouraged. The original server's
/// WebAuthn library applies its own default there instead of the tenant's timeout; clients see
/// it in the options, so it is kept.
pub const DISCOURAGED_UV_TIMEOUT_MS: u32 = 120_000;

/// The timeout a ceremony with `settings` announces and enforces.
fn timeout_ms(settings: &AuthenticatorSettings) -> u32 {
    match settings.user_verification {
        UserVerification::Discouraged => DISCOURAGED_UV_TIMEOUT_MS,
        UserVerification::Required | UserVerification::Preferred => settings.timeout_ms,
    }
}

fn expiry(now: OffsetDateTime, settings: &AuthenticatorSettings) -> OffsetDateTime {
    now + Duration::milliseconds(i64::from(timeout_ms(settings)))
}

/// The started ceremony of `challenge`, if it may finish `operations` at `now`. Reading it does
/// not use it up: [`take_started`] does, in the finish's write transaction.
async fn started_ceremony<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    challenge: &[u8],
    operations: &[Operation],
    now: OffsetDateTime,
) -> Result<Ceremony> {
    let ceremony = tx
        .ceremony(tenant, challenge)
        .await?
        .ok_or(Error::CeremonyNotFound)?;
    if !operations.contains(&ceremony.operation) {
        return Err(Error::CeremonyMismatch(ceremony.operation));
    }
    if ceremony.expires_at < now {
        return Err(Error::CeremonyExpired);
    }
    Ok(ceremony)
}

/// Takes `ceremony` out of the store; of concurrent finishes of one ceremony exactly one gets
/// it, the others fail as if it had never been started. A caller that fails afterwards drops
/// `tx` and with it the removal.
async fn take_started<T: WriteTx>(tx: &mut T, ceremony: &Ceremony) -> Result<()> {
    match tx
        .take_ceremony(ceremony.tenant, &ceremony.challenge)
        .await?
    {
        Some(taken) if taken.id == ceremony.id => Ok(()),
        _ => Err(Error::CeremonyNotFound),
    }
}

fn webauthn_uv(uv: UserVerification) -> latchkey_webauthn::UserVerification {
    match uv {
        UserVerification::Required => latchkey_webauthn::UserVerification::Required,
        UserVerification::Preferred => latchkey_webauthn::UserVerification::Preferred,
        UserVerification::Discouraged => latchkey_webauthn::UserVerification::Discouraged,
    }
}
