//! Importing a tenant from a database of one of the original servers (Hanko passkey-server,
//! Hanko backend v0.12), so that its passkeys log in and its tokens verify without anyone
//! enrolling again.
//!
//! The command line reads the original's rows and maps them onto an [`ImportBatch`]; the engine
//! writes a batch in one transaction, skipping whatever an earlier import of the same rows
//! already stored (matched by id), so running an import twice changes nothing the second time.
//! A dry run takes the same path and rolls back, so its report is what the import would do.

mod original_jwk;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub use original_jwk::{OriginalJwk, OriginalSecret, open_original_jwk};

use crate::engine::load_organisation;
use crate::keys::private_key_aad;
use crate::model::{
    ApiKey, Credential, Email, Identity, Password, SigningAlgorithm, SigningKey, Tenant, TenantId,
    TenantKind, User, UserId,
};
use crate::secrets::hash_api_key;
use crate::{Engine, Error, ReadTx, Result, Store, WriteTx};

/// Everything one tenant of an original holds that latchkey takes over. Users are named by
/// their id in the source; credentials, emails, passwords and identities refer to them by it.
#[derive(Debug)]
pub struct ImportBatch {
    /// The tenant the rows go to.
    pub tenant: ImportTenant,
    /// API keys, kept as their hashes only.
    pub api_keys: Vec<ImportedApiKey>,
    /// Token-signing keys, oldest first: the last one signs, as it did in the original.
    pub signing_keys: Vec<ImportedSigningKey>,
    /// Users; one whose external id the tenant already has is taken as already imported.
    pub users: Vec<User>,
    /// Credentials, matched by credential ID.
    pub credentials: Vec<Credential>,
    /// Email addresses, matched by id.
    pub emails: Vec<Email>,
    /// Password hashes (bcrypt), one per user.
    pub passwords: Vec<Password>,
    /// Accounts at third-party identity providers, matched by provider and subject.
    pub identities: Vec<Identity>,
}

/// Where an import puts its rows.
#[derive(Debug)]
pub enum ImportTenant {
    /// A tenant made from the original's, with the original's id. Already present when latchkey
    /// has an organisation with this id and relying party ID (an earlier import); any other
    /// tenant with the id is a conflict.
    Create(Box<Tenant>),
    /// An existing organisation that serves the Hanko Public API (the original had no tenants).
    Existing(TenantId),
}

/// An API key of the original, which stores them in clear. Only its hash is kept; the text is
/// never printed.
pub struct ImportedApiKey {
    /// The original's id of the key, kept so a second import recognises it.
    pub id: Uuid,
    /// The original's name of the key.
    pub name: String,
    hash: [u8; 32],
    /// When the original made it.
    pub created_at: OffsetDateTime,
}

impl ImportedApiKey {
    /// The key `secret` as the original stored it. Refused unless it has the form the original
    /// issues (64 random bytes in base64url), which is the form latchkey recognises.
    pub fn new(id: Uuid, name: String, secret: &str, created_at: OffsetDateTime) -> Result<Self> {
        let hash = hash_api_key(secret).ok_or_else(|| Error::Invalid {
            field: "api_key",
            reason: format!("API key {id} is not 64 bytes in base64url, as the original issues"),
        })?;
        Ok(Self {
            id,
            name,
            hash,
            created_at,
        })
    }
}

impl fmt::Debug for ImportedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A decrypted signing key of the original and when the original made it.
#[derive(Debug)]
pub struct ImportedSigningKey {
    /// The key, with its kid.
    pub jwk: OriginalJwk,
    /// The original's `created_at`.
    pub created_at: OffsetDateTime,
}

/// What an import found for one kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counted {
    /// Rows written by this import (or that a dry run would write).
    pub new: u64,
    /// Rows an earlier import already stored, left as they are.
    pub present: u64,
}

impl Counted {
    fn count(&mut self, new: bool) {
        if new {
            self.new += 1;
        } else {
            self.present += 1;
        }
    }
}

/// What an import of one tenant did, or a dry run would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The tenant itself (always present for an import into an existing tenant).
    pub tenant: Counted,
    /// Users.
    pub users: Counted,
    /// Credentials.
    pub credentials: Counted,
    /// Email addresses.
    pub emails: Counted,
    /// Passwords.
    pub passwords: Counted,
    /// Third-party identities.
    pub identities: Counted,
    /// Signing keys.
    pub keys: Counted,
    /// API keys.
    pub api_keys: Counted,
}

impl<S: Store> Engine<S> {
    /// Writes `batch` in one transaction, skipping what is already stored, and reports what it
    /// wrote; with `dry_run` it rolls back instead of committing. Refuses, writing nothing, when
    /// a row conflicts with one latchkey holds otherwise (a tenant, user id, email address or
    /// credential of someone else under the same id).
    pub async fn import(&self, batch: ImportBatch, dry_run: bool) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut tx = self.store.write().await?;
        let tenant = match batch.tenant {
            ImportTenant::Create(tenant) => {
                let new = create_tenant(&mut tx, &tenant).await?;
                report.tenant.count(new);
                tenant.id
            }
            ImportTenant::Existing(id) => {
                let tenant = load_organisation(&mut tx, id).await?;
                if !tenant.config.hanko_public.enabled {
                    return Err(refused(
                        "tenant",
                        format!("tenant {} does not serve the Hanko Public API", id.0),
                    ));
                }
                report.tenant.count(false);
                id
            }
        };
        self.import_signing_keys(&mut tx, tenant, batch.signing_keys, &mut report.keys)
            .await?;
        for key in batch.api_keys {
            let present = tx.api_keys(tenant).await?.iter().any(|k| k.id == key.id)
                || tx.api_key_by_hash(tenant, &key.hash).await?.is_some();
            if !present {
                tx.insert_api_key(&ApiKey {
                    id: key.id,
                    tenant,
                    name: key.name,
                    secret_hash: key.hash,
                    created_at: key.created_at,
                })
                .await?;
            }
            report.api_keys.count(!present);
        }
        let mut users = HashMap::new();
        for user in batch.users {
            let (stored, new) = match tx.user_by_external_id(tenant, &user.external_id).await? {
                Some(stored) => (stored, false),
                None => {
                    if tx.user(tenant, user.id).await?.is_some() {
                        return Err(refused(
                            "user",
                            format!("latchkey holds user {} under another user id", user.id.0),
                        ));
                    }
                    storable(&user)?;
                    let stored = tx
                        .upsert_user(&User {
                            tenant,
                            ..user.clone()
                        })
                        .await?;
                    (stored, true)
                }
            };
            report.users.count(new);
            users.insert(user.id, stored.id);
        }
        let user_of = |id: UserId| {
            users.get(&id).copied().ok_or_else(|| {
                refused(
                    "user",
                    format!("a row refers to user {} who is not imported", id.0),
                )
            })
        };
        for credential in batch.credentials {
            let user = user_of(credential.user)?;
            let present = match tx.credential(tenant, &credential.id).await? {
                Some(stored) if stored.user == user => true,
                Some(_) => {
                    return Err(refused(
                        "credential",
                        "a credential ID is registered to another user".to_owned(),
                    ));
                }
                None => false,
            };
            if !present {
                // A key latchkey cannot read would only fail at the user's next login.
                latchkey_webauthn::CredentialPublicKey::from_cose(&credential.public_key).map_err(
                    |e| refused("credential", format!("a public key does not parse: {e}")),
                )?;
                tx.insert_credential(&Credential {
                    tenant,
                    user,
                    ..credential
                })
                .await?;
            }
            report.credentials.count(!present);
        }
        for email in batch.emails {
            let user = email.user.map(user_of).transpose()?;
            let present = tx.email(tenant, email.id).await?.is_some();
            if !present {
                if tx.email_by_address(tenant, &email.address).await?.is_some() {
                    return Err(refused(
                        "email",
                        format!(
                            "latchkey holds the address of email {} under another id",
                            email.id
                        ),
                    ));
                }
                tx.insert_email(&Email {
                    tenant,
                    user,
                    ..email
                })
                .await?;
            }
            report.emails.count(!present);
        }
        for password in batch.passwords {
            let user = user_of(password.user)?;
            let present = tx.password(tenant, user).await?.is_some();
            if !present {
                tx.upsert_password(&Password {
                    tenant,
                    user,
                    ..password
                })
                .await?;
            }
            report.passwords.count(!present);
        }
        for identity in batch.identities {
            let user = user_of(identity.user)?;
            let present = tx
                .identity(tenant, &identity.provider, &identity.subject)
                .await?
                .is_some();
            if !present {
                tx.upsert_identity(&Identity {
                    tenant,
                    user,
                    ..identity
                })
                .await?;
            }
            report.identities.count(!present);
        }
        if !dry_run {
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Seals the original's keys under the master key with their kids. The original's newest
    /// key must stay the one that signs, so a key that would be older than one the tenant
    /// already has is stamped just after it (order among the imported keys is kept).
    async fn import_signing_keys<T: WriteTx>(
        &self,
        tx: &mut T,
        tenant: TenantId,
        keys: Vec<ImportedSigningKey>,
        counted: &mut Counted,
    ) -> Result<()> {
        let stored = tx.signing_keys(tenant).await?;
        let mut newest = stored.iter().map(|key| key.created_at).max();
        for key in keys {
            let kid = key.jwk.kid;
            if let Some(present) = stored.iter().find(|stored| stored.id == kid) {
                if present.public_key != key.jwk.public_key {
                    return Err(refused(
                        "jwk",
                        format!("latchkey holds another key with kid {kid}"),
                    ));
                }
                counted.count(false);
                continue;
            }
            let created_at = match newest {
                Some(newest) if newest >= key.created_at => newest + Duration::microseconds(1),
                _ => key.created_at,
            };
            newest = Some(created_at);
            tx.insert_signing_key(&SigningKey {
                id: kid,
                tenant,
                algorithm: SigningAlgorithm::RS256,
                encrypted_private_key: self
                    .master
                    .seal(&key.jwk.pkcs8, &private_key_aad(tenant, kid))?,
                public_key: key.jwk.public_key,
                created_at,
            })
            .await?;
            counted.count(true);
        }
        Ok(())
    }
}

/// Inserts the tenant unless an earlier import made it; true if it inserted it.
async fn create_tenant<T: WriteTx>(tx: &mut T, tenant: &Tenant) -> Result<bool> {
    let Some(existing) = tx.tenant(tenant.id).await? else {
        crate::admin::validate_config(&tenant.config)?;
        tx.insert_tenant(tenant).await?;
        return Ok(true);
    };
    if existing.kind == TenantKind::Organisation
        && existing.config.relying_party.id == tenant.config.relying_party.id
    {
        return Ok(false);
    }
    Err(refused(
        "tenant",
        format!(
            "latchkey already has a tenant {} that is not this one (another relying party or kind)",
            tenant.id.0
        ),
    ))
}

fn storable(user: &User) -> Result<()> {
    crate::engine::storable_text("user_id", &user.external_id)?;
    crate::engine::storable_text("name", &user.name)?;
    crate::engine::storable_text("display_name", &user.display_name)
}

fn refused(field: &'static str, reason: String) -> Error {
    Error::Invalid { field, reason }
}
