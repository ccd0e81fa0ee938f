//! Authenticator policy: per-model (AAGUID) records, global or for one scope, that decide
//! which authenticators may register (1Kosmos serves them as "vendor metadata"). A model
//! disabled in a realm, or globally unless the realm has its own record, may not register; the
//! root certificates of a record's metadata statement are the trust anchors its attestation
//! chains must reach.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_webauthn::TrustAnchors;
use serde_json::Value;
use uuid::Uuid;

use crate::Engine;
use crate::engine::{load_organisation, load_tenant, storable_text};
use crate::model::{
    AuthenticatorPolicy, CertificationLevel, License, Tenant, TenantId, TenantKind,
};
use crate::{Entity, Error, ReadTx, Result, Store, WriteTx};

/// Largest metadata statement stored, in bytes (real MDS3 statements are a few KiB; icons
/// make some larger).
pub const MAX_METADATA_BYTES: usize = 256 * 1024;

/// A change to a record: fields left `None` keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataChange {
    /// The model's new name.
    pub name: Option<String>,
    /// Metadata statement JSON text.
    pub metadata: Option<String>,
    /// Whether the model may no longer register.
    pub disabled: Option<bool>,
    /// Who makes the change (free text, reported back as the record's `updated_by`).
    pub updated_by: String,
}

/// One model's statement from a metadata service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedStatement {
    /// The model the statement describes.
    pub aaguid: Uuid,
    /// The model's name from the statement's `description`.
    pub name: String,
    /// The statement as JSON text.
    pub metadata: String,
    /// Whether the service reports the model compromised (revoked, key compromise...).
    pub compromised: bool,
    /// The certification level the service reports for the model, if any.
    pub certification: Option<CertificationLevel>,
}

/// The policy for one model, as registration applies it.
#[derive(Debug, Default)]
pub(crate) struct ModelPolicy {
    /// Whether any record names the model.
    pub known: bool,
    pub disabled: bool,
    /// The level of the nearest record that has one (in practice the global, imported one).
    pub certification: Option<CertificationLevel>,
    /// Anchors from the metadata statements; `None` when no record names any.
    pub anchors: Option<TrustAnchors>,
}

/// Where a record in effect for an organisation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordScope {
    /// The organisation's own record, which decides over the global one.
    Own,
    /// The global record (`latchkey mds import`), which applies while the organisation has none.
    Global,
}

/// Which communities' policies a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityScope<'a> {
    /// All of the license's organisation: its own records, under every community's.
    Any,
    /// One community, by id.
    Named(&'a str),
}

impl<S: Store> Engine<S> {
    /// The scope whose policies `community` names for `license`: a community's realm, or
    /// for [`CommunityScope::Any`] the license's organisation, which only a system license may
    /// read or write. (The global records, which `latchkey mds import` writes, belong to no
    /// tenant.)
    pub async fn policy_scope(
        &self,
        license: &License,
        community: CommunityScope<'_>,
    ) -> Result<TenantId> {
        let CommunityScope::Named(community_id) = community else {
            if !license.is_system() {
                return Err(Error::Forbidden(
                    "only a system license may read or change the vendor metadata of community any",
                ));
            }
            return Ok(license.tenant);
        };
        let (_, realm) = self.community_for(license, community_id).await?;
        Ok(realm.id)
    }

    /// Records of a scope as fetched: its own, and for an organisation also the global ones it
    /// does not override, ordered by AAGUID.
    pub async fn policies_in_scope(
        &self,
        scope: TenantId,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        let mut tx = self.store.read().await?;
        let tenant = load_tenant(&mut tx, scope).await?;
        let mut records = tx.vendor_metadata(Some(scope), aaguids).await?;
        if tenant.kind == TenantKind::Organisation {
            let overridden: Vec<Uuid> = records.iter().map(|own| own.aaguid).collect();
            let global = tx.vendor_metadata(None, aaguids).await?;
            records.extend(
                global
                    .into_iter()
                    .filter(|g| !overridden.contains(&g.aaguid)),
            );
            records.sort_by_key(|record| record.aaguid);
        }
        Ok(records)
    }

    /// Records of a realm (`None`: the global ones) for these AAGUIDs, all when empty.
    pub async fn policies(
        &self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        let mut tx = self.store.read().await?;
        if let Some(realm) = realm {
            load_tenant(&mut tx, realm).await?;
        }
        tx.vendor_metadata(realm, aaguids).await
    }

    /// Creates or replaces the record of `aaguid`.
    pub async fn put_policy(
        &self,
        realm: Option<TenantId>,
        aaguid: Uuid,
        change: MetadataChange,
    ) -> Result<AuthenticatorPolicy> {
        validate_change(&change)?;
        let metadata = change.metadata.unwrap_or_else(|| "{}".to_owned());
        let mut tx = self.store.write().await?;
        let inherited = match realm {
            Some(realm) => {
                let tenant = load_tenant(&mut tx, realm).await?;
                records_in_effect(&mut tx, &tenant, aaguid).await?
            }
            None => tx.vendor_metadata(None, &[aaguid]).await?,
        };
        let nearest = inherited.first();
        let record = AuthenticatorPolicy {
            id: Uuid::new_v4(),
            realm,
            aaguid,
            // A record made only to allow or deny a model keeps the name it is known by.
            name: change
                .name
                .or_else(|| nearest.map(|record| record.name.clone()))
                .unwrap_or_default(),
            metadata,
            disabled: change.disabled.unwrap_or(false),
            // Only an import sets a level; replacing the statement of a global record keeps it.
            certification: nearest
                .filter(|record| record.realm.is_none() && realm.is_none())
                .and_then(|record| record.certification),
            updated_by: change.updated_by,
            updated_at: self.now(),
        };
        let stored = tx.upsert_vendor_metadata(&record).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Changes the given fields of an existing record.
    pub async fn patch_policy(
        &self,
        realm: Option<TenantId>,
        aaguid: Uuid,
        change: MetadataChange,
    ) -> Result<AuthenticatorPolicy> {
        validate_change(&change)?;
        let mut tx = self.store.write().await?;
        // A scope without its own record starts from the one it inherits, so that a PATCH
        // can override, say, an imported statement for one organisation.
        let inherited = match realm {
            Some(realm) => {
                let tenant = load_tenant(&mut tx, realm).await?;
                records_in_effect(&mut tx, &tenant, aaguid).await?
            }
            None => tx.vendor_metadata(None, &[aaguid]).await?,
        };
        let mut record = inherited
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Entity::AuthenticatorPolicy))?;
        if record.realm != realm {
            record.id = Uuid::new_v4();
            record.realm = realm;
            record.certification = None;
        }
        if let Some(name) = change.name {
            record.name = name;
        }
        if let Some(metadata) = change.metadata {
            record.metadata = metadata;
        }
        if let Some(disabled) = change.disabled {
            record.disabled = disabled;
        }
        record.updated_by = change.updated_by;
        record.updated_at = self.now();
        let stored = tx.upsert_vendor_metadata(&record).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Stores many global records in one transaction (an MDS import); returns how many.
    pub async fn import_policies(
        &self,
        statements: impl IntoIterator<Item = ImportedStatement>,
        updated_by: &str,
    ) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut count = 0;
        for statement in statements {
            let ImportedStatement {
                aaguid,
                name,
                metadata,
                compromised,
                certification,
            } = statement;
            storable_text("name", &name)?;
            validate_metadata(&metadata)?;
            let existing = tx.vendor_metadata(None, &[aaguid]).await?;
            let record = AuthenticatorPolicy {
                id: Uuid::new_v4(),
                realm: None,
                aaguid,
                name,
                metadata,
                // An import refreshes statements; it does not undo an operator's decision, and
                // a model the metadata service reports compromised is disabled.
                disabled: compromised || existing.first().is_some_and(|r| r.disabled),
                certification,
                updated_by: updated_by.to_owned(),
                updated_at: now,
            };
            tx.upsert_vendor_metadata(&record).await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// The records in effect for an organisation: its own and the global ones it does not
    /// override, ordered by AAGUID, each with where it comes from. An own record shows the
    /// level of the global one, which registration applies.
    pub async fn organisation_policies(
        &self,
        organisation: TenantId,
    ) -> Result<Vec<(RecordScope, AuthenticatorPolicy)>> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, organisation).await?;
        let mut own = tx.vendor_metadata(Some(organisation), &[]).await?;
        let mut global = tx.vendor_metadata(None, &[]).await?;
        for record in &mut own {
            if let Some(imported) = global.iter().find(|g| g.aaguid == record.aaguid) {
                record.certification = record.certification.or(imported.certification);
            }
        }
        global.retain(|g| !own.iter().any(|o| o.aaguid == g.aaguid));
        let mut records: Vec<_> = global
            .into_iter()
            .map(|g| (RecordScope::Global, g))
            .chain(own.into_iter().map(|o| (RecordScope::Own, o)))
            .collect();
        records.sort_by_key(|(_, record)| record.aaguid);
        Ok(records)
    }

    /// Creates or replaces an organisation's own record of `aaguid`, which then decides over
    /// the global one. A name left out is the one the model is known by.
    pub async fn put_organisation_policy(
        &self,
        organisation: TenantId,
        aaguid: Uuid,
        change: MetadataChange,
    ) -> Result<AuthenticatorPolicy> {
        self.tenant(organisation).await?;
        self.put_policy(Some(organisation), aaguid, change).await
    }

    /// Deletes an organisation's own record of `aaguid`: the global record, if any, applies
    /// again.
    pub async fn delete_organisation_policy(
        &self,
        organisation: TenantId,
        aaguid: Uuid,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_organisation(&mut tx, organisation).await?;
        if !tx.delete_vendor_metadata(organisation, aaguid).await? {
            return Err(Error::NotFound(Entity::AuthenticatorPolicy));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The records that decide `aaguid` for `tenant`, nearest first: the tenant's own, its
/// organisation's (for a community), the global one.
async fn records_in_effect<T: ReadTx>(
    tx: &mut T,
    tenant: &Tenant,
    aaguid: Uuid,
) -> Result<Vec<AuthenticatorPolicy>> {
    let mut scopes = vec![Some(tenant.id)];
    if let TenantKind::Realm { organisation, .. } = &tenant.kind {
        scopes.push(Some(*organisation));
    }
    scopes.push(None);
    let mut records = Vec::new();
    for scope in scopes {
        records.extend(tx.vendor_metadata(scope, &[aaguid]).await?);
    }
    Ok(records)
}

/// The policy of `aaguid` for `tenant`: the nearest record decides whether the model is
/// disabled; every record's roots are anchors.
pub(crate) async fn model_policy<T: ReadTx>(
    tx: &mut T,
    tenant: &Tenant,
    aaguid: Uuid,
) -> Result<ModelPolicy> {
    let records = records_in_effect(tx, tenant, aaguid).await?;
    let Some(nearest) = records.first() else {
        return Ok(ModelPolicy::default());
    };
    let certification = records.iter().find_map(|record| record.certification);
    let mut anchors = TrustAnchors::none();
    let mut named = false;
    for record in &records {
        for root in root_certificates(&record.metadata) {
            named = true;
            // A root that does not decode anchors nothing; the model's chains must then reach
            // one of the others, or fail: a broken statement never relaxes the check.
            if let Ok(der) = STANDARD.decode(root.trim()) {
                let _ = anchors.add_der(der);
            }
        }
    }
    Ok(ModelPolicy {
        known: true,
        disabled: nearest.disabled,
        certification,
        anchors: named.then_some(anchors),
    })
}

/// The `attestationRootCertificates` of a metadata statement (standard base64 DER each).
fn root_certificates(metadata: &str) -> Vec<String> {
    let Ok(statement) = serde_json::from_str::<Value>(metadata) else {
        return Vec::new();
    };
    statement
        .get("attestationRootCertificates")
        .and_then(Value::as_array)
        .map(|roots| {
            roots
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn validate_change(change: &MetadataChange) -> Result<()> {
    storable_text("updatedBy", &change.updated_by)?;
    if let Some(name) = &change.name {
        storable_text("name", name)?;
    }
    if let Some(metadata) = &change.metadata {
        validate_metadata(metadata)?;
    }
    Ok(())
}

fn validate_metadata(metadata: &str) -> Result<()> {
    if metadata.len() > MAX_METADATA_BYTES {
        return Err(Error::Invalid {
            field: "metadata",
            reason: format!("longer than {MAX_METADATA_BYTES} bytes"),
        });
    }
    match serde_json::from_str::<Value>(metadata) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(Error::Invalid {
            field: "metadata",
            reason: "must be a JSON object (a metadata statement)".to_owned(),
        }),
    }
}
