//! Links between credentials and wallet DIDs (1Kosmos), and de-registration by DID or by
//! credential hash.

use aws_lc_rs::digest::{SHA512, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Engine;
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::credentials::all_credentials;
use crate::engine::{load_tenant, storable_text};
use crate::model::{Credential, Link, TenantId, User};
use crate::secrets::hex;
use crate::{Entity, Error, ReadTx, Result, Store, WriteTx};

/// Longest DID accepted, in bytes.
pub const MAX_DID_BYTES: usize = 512;

/// A link as its API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// The stored link.
    pub link: Link,
    /// The linked credential's [`fido_key_hash`], by which the 1Kosmos API names it.
    pub fido_key_hash: String,
}

/// The `fidoKeyHash` of a credential: lowercase hex SHA-512 of its id's base64url text.
pub fn fido_key_hash(credential_id: &[u8]) -> String {
    let text = URL_SAFE_NO_PAD.encode(credential_id);
    hex(digest(&SHA512, text.as_bytes()).as_ref())
}

impl<S: Store> Engine<S> {
    /// Links the credential of `user` whose hash is `fido_key_hash` to `did`.
    pub async fn link(
        &self,
        realm: TenantId,
        user: &str,
        did: &str,
        fido_key_hash: &str,
    ) -> Result<LinkRecord> {
        storable_text("did", did)?;
        if did.is_empty() || did.len() > MAX_DID_BYTES {
            return Err(Error::Invalid {
                field: "did",
                reason: format!("must have 1 to {MAX_DID_BYTES} bytes"),
            });
        }
        let mut tx = self.store.write().await?;
        load_tenant(&mut tx, realm).await?;
        let user = user_named(&mut tx, realm, user).await?;
        let credential = credentials_of(&mut tx, realm, &user)
            .await?
            .into_iter()
            .find(|credential| fido_key_hash_matches(credential, fido_key_hash))
            .ok_or(Error::NotFound(Entity::Credential))?;
        let link = Link {
            realm,
            user: user.id,
            did: did.to_owned(),
            credential_id: credential.id,
            linked_at: self.now(),
        };
        tx.upsert_link(&link).await?;
        tx.commit().await?;
        Ok(LinkRecord {
            fido_key_hash: fido_key_hash.to_ascii_lowercase(),
            link,
        })
    }

    /// The links of `user`. A user who never finished a registration has no credentials and
    /// is unknown here, as everywhere a credential is what makes a user.
    pub async fn links(&self, realm: TenantId, user: &str) -> Result<Vec<LinkRecord>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, realm).await?;
        let user = user_named(&mut tx, realm, user).await?;
        if credentials_of(&mut tx, realm, &user).await?.is_empty() {
            return Err(Error::NotFound(Entity::User));
        }
        let links = tx.links(realm, Some(user.id), None).await?;
        Ok(links
            .into_iter()
            .map(|link| LinkRecord {
                fido_key_hash: fido_key_hash(&link.credential_id),
                link,
            })
            .collect())
    }

    /// Deletes the credentials linked to the DID `identifier`, or the credential whose hash it
    /// is; only `user`'s when given. Returns how many; `NotFound` when none matched.
    pub async fn unregister(
        &self,
        realm: TenantId,
        user: Option<&str>,
        identifier: &str,
        meta: &RequestMeta,
    ) -> Result<usize> {
        // Matching may hash every credential of the realm: it happens in a read transaction,
        // so it never holds the write lock; the deletion below re-checks each credential.
        let doomed = {
            let mut tx = self.store.read().await?;
            load_tenant(&mut tx, realm).await?;
            let user = match user {
                Some(name) => Some(user_named(&mut tx, realm, name).await?),
                None => None,
            };
            let user_id = user.as_ref().map(|u| u.id);
            let mut doomed: Vec<Vec<u8>> = tx
                .links(realm, user_id, Some(identifier))
                .await?
                .into_iter()
                .map(|link| link.credential_id)
                .collect();
            if doomed.is_empty() {
                doomed = matching_credentials(&mut tx, realm, user.as_ref(), identifier).await?;
            }
            doomed.sort_unstable();
            doomed.dedup();
            doomed
        };
        let now = self.now();
        let mut tx = self.store.write().await?;
        let tenant = load_tenant(&mut tx, realm).await?;
        let mut removed = 0;
        for id in &doomed {
            let Some(credential) = tx.credential(realm, id).await? else {
                continue;
            };
            let actor = tx
                .user(realm, credential.user)
                .await?
                .map(|u| u.external_id);
            tx.delete_credential(realm, id).await?;
            let event = audit_event(
                realm,
                AuditEventKind::CredentialDeleted,
                None,
                actor,
                meta,
                now,
            );
            self.record_success(&mut tx, &tenant, event).await?;
            removed += 1;
        }
        if removed == 0 {
            return Err(Error::NotFound(Entity::Credential));
        }
        tx.commit().await?;
        Ok(removed)
    }
}

async fn user_named<T: ReadTx>(tx: &mut T, realm: TenantId, name: &str) -> Result<User> {
    tx.user_by_external_id(realm, name)
        .await?
        .ok_or(Error::NotFound(Entity::User))
}

fn fido_key_hash_matches(credential: &Credential, hash: &str) -> bool {
    fido_key_hash(&credential.id).eq_ignore_ascii_case(hash)
}

/// Ids of the credentials (of `user`, or of the realm) whose hash is `hash`.
async fn matching_credentials<T: ReadTx>(
    tx: &mut T,
    realm: TenantId,
    user: Option<&User>,
    hash: &str,
) -> Result<Vec<Vec<u8>>> {
    let candidates = match user {
        Some(user) => credentials_of(tx, realm, user).await?,
        None => all_credentials(tx, realm, None).await?,
    };
    Ok(candidates
        .into_iter()
        .filter(|credential| fido_key_hash_matches(credential, hash))
        .map(|credential| credential.id)
        .collect())
}

async fn credentials_of<T: ReadTx>(
    tx: &mut T,
    realm: TenantId,
    user: &User,
) -> Result<Vec<Credential>> {
    all_credentials(tx, realm, Some(user.id)).await
}
