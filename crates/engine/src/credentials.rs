//! A tenant's credentials as its API sees them: listed, read, renamed and deleted, with the
//! changes audited.

use crate::Engine;
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::engine::{load_tenant, storable_text};
use crate::model::{Credential, TenantId, User, UserId};
use crate::{Entity, Error, Page, Paged, ReadTx, Result, Store, WriteTx};

/// Longest credential name accepted, in characters.
pub const MAX_CREDENTIAL_NAME_CHARS: usize = 256;

/// A credential with the tenant's id of its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// The stored credential.
    pub credential: Credential,
    /// The tenant's external id of the user.
    pub user_id: String,
}

impl<S: Store> Engine<S> {
    /// Credentials of the tenant, or of the user with this external id (none if unknown), by
    /// creation time.
    pub async fn credentials(
        &self,
        tenant: TenantId,
        user: Option<&str>,
        page: Page,
    ) -> Result<Paged<CredentialRecord>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        let owner = match user {
            Some(external_id) => match tx.user_by_external_id(tenant, external_id).await? {
                Some(user) => Some(user),
                None => {
                    return Ok(Paged {
                        items: Vec::new(),
                        total: 0,
                    });
                }
            },
            None => None,
        };
        let listed = tx
            .credentials(tenant, owner.as_ref().map(|u| u.id), page)
            .await?;
        // A page holds few owners; each is read once.
        let mut owners: Vec<User> = owner.into_iter().collect();
        let mut items = Vec::with_capacity(listed.items.len());
        for credential in listed.items {
            let user_id = external_id(&mut tx, &mut owners, tenant, credential.user).await?;
            items.push(CredentialRecord {
                credential,
                user_id,
            });
        }
        Ok(Paged {
            items,
            total: listed.total,
        })
    }

    /// The credential with this ID; `NotFound(Entity::Credential)` if the tenant has none.
    pub async fn credential(&self, tenant: TenantId, id: &[u8]) -> Result<CredentialRecord> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        let credential = tx
            .credential(tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Credential))?;
        let user_id = external_id(&mut tx, &mut Vec::new(), tenant, credential.user).await?;
        Ok(CredentialRecord {
            credential,
            user_id,
        })
    }

    /// Renames a credential; audited as `webauthn_credential_updated` with its owner as actor.
    pub async fn rename_credential(
        &self,
        tenant: TenantId,
        id: &[u8],
        name: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        if name.trim().is_empty() || name.chars().count() > MAX_CREDENTIAL_NAME_CHARS {
            return Err(Error::Invalid {
                field: "name",
                reason: format!("must have 1 to {MAX_CREDENTIAL_NAME_CHARS} characters"),
            });
        }
        storable_text("name", name)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let tenant = load_tenant(&mut tx, tenant).await?;
        let credential = tx
            .credential(tenant.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Credential))?;
        tx.rename_credential(tenant.id, id, name).await?;
        let actor = external_id(&mut tx, &mut Vec::new(), tenant.id, credential.user).await?;
        let event = audit_event(
            tenant.id,
            AuditEventKind::CredentialUpdated,
            None,
            Some(actor),
            meta,
            now,
        );
        self.record_success(&mut tx, &tenant, event).await?;
        tx.commit().await
    }

    /// Deletes a credential; audited as `webauthn_credential_deleted`.
    pub async fn delete_credential(
        &self,
        tenant: TenantId,
        id: &[u8],
        meta: &RequestMeta,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let tenant = load_tenant(&mut tx, tenant).await?;
        let credential = tx
            .credential(tenant.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Credential))?;
        let actor = external_id(&mut tx, &mut Vec::new(), tenant.id, credential.user).await?;
        tx.delete_credential(tenant.id, id).await?;
        let event = audit_event(
            tenant.id,
            AuditEventKind::CredentialDeleted,
            None,
            Some(actor),
            meta,
            now,
        );
        self.record_success(&mut tx, &tenant, event).await?;
        tx.commit().await
    }
}

impl<S: Store> Engine<S> {
    /// Renames one of `owner`'s credentials; another user's is not found.
    pub async fn rename_own_credential(
        &self,
        tenant: TenantId,
        owner: UserId,
        id: &[u8],
        name: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.owned_credential(tenant, owner, id).await?;
        self.rename_credential(tenant, id, name, meta).await
    }

    /// Deletes one of `owner`'s credentials; another user's is not found.
    pub async fn delete_own_credential(
        &self,
        tenant: TenantId,
        owner: UserId,
        id: &[u8],
        meta: &RequestMeta,
    ) -> Result<()> {
        self.owned_credential(tenant, owner, id).await?;
        self.delete_credential(tenant, id, meta).await
    }

    /// `owner`'s passkeys, oldest first.
    pub async fn own_credentials(
        &self,
        tenant: TenantId,
        owner: UserId,
    ) -> Result<Vec<Credential>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        Ok(all_credentials(&mut tx, tenant, Some(owner))
            .await?
            .into_iter()
            .filter(|credential| !credential.is_mfa)
            .collect())
    }

    /// Credentials never change hands, so this check before a change cannot be overtaken.
    async fn owned_credential(&self, tenant: TenantId, owner: UserId, id: &[u8]) -> Result<()> {
        let mut tx = self.store.read().await?;
        tx.credential(tenant, id)
            .await?
            .filter(|credential| credential.user == owner)
            .map(|_| ())
            .ok_or(Error::NotFound(Entity::Credential))
    }
}

/// Credentials read per store query when all of them are wanted.
const CREDENTIALS_PER_QUERY: u32 = 500;

/// Every credential of the tenant, or of one user, oldest first.
pub(crate) async fn all_credentials<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    user: Option<UserId>,
) -> Result<Vec<Credential>> {
    let mut all = Vec::new();
    let mut page = Page {
        number: 1,
        per_page: CREDENTIALS_PER_QUERY,
        descending: false,
    };
    loop {
        let listed = tx.credentials(tenant, user, page).await?;
        let last = listed.items.len() < CREDENTIALS_PER_QUERY as usize;
        all.extend(listed.items);
        if last {
            return Ok(all);
        }
        page.number += 1;
    }
}

/// The external id of user `id`, from `known` or else read and remembered there.
async fn external_id<T: ReadTx>(
    tx: &mut T,
    known: &mut Vec<User>,
    tenant: TenantId,
    id: UserId,
) -> Result<String> {
    if let Some(user) = known.iter().find(|user| user.id == id) {
        return Ok(user.external_id.clone());
    }
    let user = tx
        .user(tenant, id)
        .await?
        .ok_or(Error::NotFound(Entity::User))?;
    let external_id = user.external_id.clone();
    known.push(user);
    Ok(external_id)
}
