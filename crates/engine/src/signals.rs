//! What a relying party tells the browser through WebAuthn's signal methods (WebAuthn L3
//! §5.1.10): which credential no longer exists, which credentials of a user still count, and
//! what the user is called now. The browser passes this on to the passkey provider, which hides
//! or removes credentials the server forgot and renames the account it shows.
//!
//! The options are public knowledge or the caller's own: a credential id comes from the caller's
//! assertion, the RP ID is in every ceremony's options, and a user's credentials and names go
//! only to that user's logins and to the tenant's API-keyed back end.

use crate::accounts::load_user;
use crate::credentials::all_credentials;
use crate::model::{Credential, Email, Tenant, TenantId, User, UserId};
use crate::{Engine, Entity, Error, ReadTx, Result, Store};

/// `signalUnknownCredential`: the tenant holds no credential with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCredential {
    /// The tenant's RP ID (`rpId`).
    pub rp_id: String,
    /// The credential id the assertion named (raw bytes; `credentialId`, base64url on the
    /// wire).
    pub credential_id: Vec<u8>,
}

/// What `signalAllAcceptedCredentials` and `signalCurrentUserDetails` say about one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSignals {
    /// The tenant's RP ID (`rpId`).
    pub rp_id: String,
    /// The user handle the user's credentials were registered with (raw bytes; `userId`,
    /// base64url on the wire).
    pub user_handle: Vec<u8>,
    /// Every credential of the user, passkeys and MFA keys alike, oldest first
    /// (`allAcceptedCredentialIds`): a provider removes whatever is left out, so an id missing
    /// here would lose the user a working credential.
    pub accepted_credentials: Vec<Vec<u8>>,
    /// The account name a registration would give the authenticator now (`name`).
    pub name: String,
    /// The friendly name a registration would give the authenticator now (`displayName`).
    pub display_name: String,
}

impl<S: Store> Engine<S> {
    /// The signals for the user the tenant calls `external_id`; `NotFound(User)` if none.
    pub async fn user_signals(&self, tenant: TenantId, external_id: &str) -> Result<UserSignals> {
        let tenant = self.cached_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let user = tx
            .user_by_external_id(tenant.id, external_id)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        signals_of(&mut tx, &tenant, &user).await
    }

    /// The signals for an account of the Hanko Public API; `NotFound(User)` if it is gone.
    pub async fn account_signals(&self, tenant: TenantId, user: UserId) -> Result<UserSignals> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let user = load_user(&mut tx, tenant.id, user).await?;
        signals_of(&mut tx, &tenant, &user).await
    }
}

/// The signal of an assertion whose credential `credential_id` the tenant does not hold.
pub(crate) fn unknown_credential(tenant: &Tenant, missing: Entity, credential_id: &[u8]) -> Error {
    Error::UnknownCredential {
        missing,
        signal: Box::new(UnknownCredential {
            rp_id: tenant.config.relying_party.id.clone(),
            credential_id: credential_id.to_vec(),
        }),
    }
}

/// The signals of `user`, read in the caller's transaction (a login reads them beside the
/// credential, so that its answer costs no second transaction).
pub(crate) async fn signals_of<T: ReadTx>(
    tx: &mut T,
    tenant: &Tenant,
    user: &User,
) -> Result<UserSignals> {
    let credentials = all_credentials(tx, tenant.id, Some(user.id)).await?;
    let emails = if is_account(user) {
        tx.emails(tenant.id, user.id).await?
    } else {
        Vec::new()
    };
    Ok(signals(tenant, user, &credentials, &emails))
}

/// The rule, as the registrations apply it: an account of the Hanko Public API registers with
/// the 16 bytes of its UUID as handle and its primary address as both names; every other user
/// with the UTF-8 bytes of the tenant's id of them and the names the tenant gave.
fn signals(
    tenant: &Tenant,
    user: &User,
    credentials: &[Credential],
    emails: &[Email],
) -> UserSignals {
    let primary = emails
        .iter()
        .find(|email| email.primary)
        .map(|email| email.address.clone());
    let (user_handle, name, display_name) = match primary {
        _ if !is_account(user) => (
            user.external_id.clone().into_bytes(),
            user.name.clone(),
            user.display_name.clone(),
        ),
        Some(address) => (user.id.0.as_bytes().to_vec(), address.clone(), address),
        // An account without a primary address keeps the names it was created with.
        None => (
            user.id.0.as_bytes().to_vec(),
            user.name.clone(),
            user.display_name.clone(),
        ),
    };
    UserSignals {
        rp_id: tenant.config.relying_party.id.clone(),
        user_handle,
        accepted_credentials: credentials
            .iter()
            .map(|credential| credential.id.clone())
            .collect(),
        name,
        display_name,
    }
}

/// An account of the Hanko Public API: its id is also its external id.
fn is_account(user: &User) -> bool {
    uuid::Uuid::parse_str(&user.external_id).is_ok_and(|id| id == user.id.0)
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::model::{TenantConfig, TenantKind};

    fn tenant() -> Tenant {
        Tenant {
            id: TenantId(Uuid::nil()),
            display_name: "Example".to_owned(),
            kind: TenantKind::Organisation,
            config: TenantConfig::new("example.com", "Example", Vec::new()),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn user(id: Uuid, external_id: &str) -> User {
        User {
            id: UserId(id),
            tenant: TenantId(Uuid::nil()),
            external_id: external_id.to_owned(),
            name: "alice".to_owned(),
            display_name: "Alice".to_owned(),
            icon: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn credential(owner: &User, id: &[u8], is_mfa: bool) -> Credential {
        Credential {
            id: id.to_vec(),
            tenant: owner.tenant,
            user: owner.id,
            name: None,
            public_key: Vec::new(),
            attestation_format: "none".to_owned(),
            aaguid: [0; 16],
            sign_count: 0,
            transports: Vec::new(),
            backup_eligible: false,
            backup_state: false,
            is_mfa,
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_used_at: None,
            discoverable: None,
            credential_protection: None,
            min_pin_length: None,
        }
    }

    fn email(owner: &User, address: &str, primary: bool) -> Email {
        Email {
            id: Uuid::new_v4(),
            tenant: owner.tenant,
            user: Some(owner.id),
            address: address.to_owned(),
            verified: true,
            primary,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_tenant_user_is_named_by_its_id_and_the_names_the_tenant_gave() {
        let alice = user(Uuid::from_u128(1), "user-17");
        let credentials = [credential(&alice, b"one", false)];
        let signals = signals(&tenant(), &alice, &credentials, &[]);
        assert_eq!(signals.rp_id, "example.com");
        assert_eq!(signals.user_handle, b"user-17");
        assert_eq!(signals.name, "alice");
        assert_eq!(signals.display_name, "Alice");
    }

    #[test]
    fn every_credential_is_accepted_mfa_keys_too() {
        let alice = user(Uuid::from_u128(1), "user-17");
        let credentials = [
            credential(&alice, b"passkey", false),
            credential(&alice, b"mfa", true),
        ];
        let signals = signals(&tenant(), &alice, &credentials, &[]);
        assert_eq!(
            signals.accepted_credentials,
            [b"passkey".to_vec(), b"mfa".to_vec()]
        );
    }

    #[test]
    fn an_account_is_named_by_its_uuid_bytes_and_its_primary_address() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let account = user(id, &id.hyphenated().to_string());
        let emails = [
            email(&account, "old@example.com", false),
            email(&account, "new@example.com", true),
        ];
        let signals = signals(&tenant(), &account, &[], &emails);
        assert_eq!(signals.user_handle, id.as_bytes());
        assert_eq!(signals.name, "new@example.com");
        assert_eq!(signals.display_name, "new@example.com");
        assert!(signals.accepted_credentials.is_empty());
    }

    #[test]
    fn a_uuid_that_is_not_the_users_own_id_is_a_tenant_id() {
        let external = Uuid::from_u128(2).hyphenated().to_string();
        let alice = user(Uuid::from_u128(1), &external);
        let signals = signals(&tenant(), &alice, &[], &[]);
        assert_eq!(signals.user_handle, external.as_bytes());
    }
}
