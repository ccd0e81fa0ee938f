//! Communities and licenses (1Kosmos). A community is a group of users inside an organisation
//! (a tenant) with its own relying party; its users and credentials live in a tenant of their
//! own, its realm, so every ceremony rule applies to it unchanged. A license key names its
//! tenant and what it reaches.
//!
//! Every 1Kosmos request presents a license and most name a community, so both are served as
//! read at most [`CACHE_TTL`](crate::CACHE_TTL) (1 s) ago (see [`crate::recent`]). A license
//! revoked, or a tenant deleted with its communities and licenses, through this process is
//! refused by it at once; another process sharing the store refuses it within that second. A
//! key or community that was not found is not remembered, so a new one works at once everywhere.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Engine;
use crate::engine::load_tenant;
use crate::model::{Community, License, LicenseScope, Tenant, TenantConfig, TenantId, TenantKind};
use crate::secrets::random_hex;
use crate::{Entity, Error, ReadTx, Result, Store, WriteTx};

/// A freshly created license. `key` exists only here: the store keeps its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedLicense {
    /// The stored license, with the key's hash only.
    pub license: License,
    /// The key the client presents in the 1Kosmos `licensekey` header; shown once.
    pub key: String,
}

impl std::fmt::Debug for IssuedLicense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedLicense")
            .field("license", &self.license)
            .finish_non_exhaustive()
    }
}

impl License {
    /// Whether the license may act on `community`'s data.
    pub fn reaches(&self, community: &Community) -> bool {
        self.tenant == community.tenant
            && match &self.scope {
                LicenseScope::Community(id) => *id == community.id,
                LicenseScope::AllCommunities | LicenseScope::System => true,
            }
    }

    /// Whether the license may write the global vendor metadata.
    pub fn is_system(&self) -> bool {
        self.scope == LicenseScope::System
    }
}

impl<S: Store> Engine<S> {
    /// Creates a community of `tenant` whose relying party is `rp_id`, reached from
    /// `https://{rp_id}` and `origins`. Its tokens are signed with the tenant's keys and name
    /// the community as their audience.
    pub async fn create_community(
        &self,
        tenant: TenantId,
        name: &str,
        rp_id: &str,
        origins: Vec<String>,
    ) -> Result<Community> {
        if name.trim().is_empty() {
            return Err(Error::Invalid {
                field: "name",
                reason: "must not be empty".to_owned(),
            });
        }
        let rp_id = rp_id.trim().to_ascii_lowercase();
        let rp_id = rp_id.as_str();
        if rp_id.is_empty() || rp_id.contains(['/', ':', ' ']) {
            return Err(Error::Invalid {
                field: "dns",
                reason: "must be a domain name".to_owned(),
            });
        }
        let now = self.now();
        let id = random_hex(12)?;
        let primary = format!("https://{rp_id}");
        let mut all_origins = vec![primary.clone()];
        all_origins.extend(origins.into_iter().filter(|origin| *origin != primary));
        let config = TenantConfig::new(rp_id, name, all_origins);
        crate::admin::validate_config(&config)?;
        let realm = Tenant {
            id: TenantId(Uuid::new_v4()),
            display_name: name.to_owned(),
            kind: TenantKind::Realm {
                organisation: tenant,
                community: id.clone(),
            },
            config,
            created_at: now,
        };
        let community = Community {
            id,
            tenant,
            realm: realm.id,
            name: name.to_owned(),
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        let organisation = load_tenant(&mut tx, tenant).await?;
        if organisation.kind != TenantKind::Organisation {
            return Err(Error::Invalid {
                field: "tenant",
                reason: "a community cannot have communities".to_owned(),
            });
        }
        // Two communities of one organisation at one RP ID would hold separate credentials for
        // the same site. (The organisation's own RP ID may be a community's: it is commonly the
        // same site, and a community's tokens name the community, not the RP ID, as audience.)
        for sibling in tx.communities(tenant).await? {
            let realm = load_tenant(&mut tx, sibling.realm).await?;
            if realm.config.relying_party.id == rp_id {
                return Err(Error::Conflict(Entity::RelyingPartyId));
            }
        }
        tx.insert_community(&community).await?;
        tx.insert_tenant(&realm).await?;
        tx.commit().await?;
        Ok(community)
    }

    /// The community and its realm, as read at most [`CACHE_TTL`](crate::CACHE_TTL) ago.
    pub async fn community(&self, id: &str) -> Result<(Community, Arc<Tenant>)> {
        let read = async {
            let mut tx = self.store.read().await?;
            tx.community(id)
                .await?
                .ok_or(Error::NotFound(Entity::Community))
        };
        let community = self.communities.get_or_read(id, self.now(), read).await?;
        // The realm goes with its community; cached apart, it may be found gone a moment
        // before the community is.
        let realm = match self.cached_tenant(community.realm).await {
            Err(Error::NotFound(Entity::Tenant)) => Err(Error::NotFound(Entity::Community)),
            found => found,
        }?;
        Ok((community, realm))
    }

    /// The tenant's communities, oldest first; `NotFound(Entity::Tenant)` if there is no such
    /// tenant.
    pub async fn communities(&self, tenant: TenantId) -> Result<Vec<Community>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        tx.communities(tenant).await
    }

    /// Issues a license of `tenant` reaching `scope`.
    pub async fn create_license(
        &self,
        tenant: TenantId,
        scope: LicenseScope,
    ) -> Result<IssuedLicense> {
        let key = random_hex(32)?;
        let license = License {
            id: Uuid::new_v4(),
            tenant,
            scope,
            key_hash: crate::secrets::sha256(key.as_bytes()),
            created_at: self.now(),
        };
        let mut tx = self.store.write().await?;
        load_tenant(&mut tx, tenant).await?;
        if let LicenseScope::Community(id) = &license.scope {
            let community = tx.community(id).await?;
            if community.is_none_or(|community| community.tenant != tenant) {
                return Err(Error::NotFound(Entity::Community));
            }
        }
        tx.insert_license(&license).await?;
        tx.commit().await?;
        Ok(IssuedLicense { license, key })
    }

    /// The tenant's licenses: scopes and dates, never keys (only hashes are stored).
    pub async fn licenses(&self, tenant: TenantId) -> Result<Vec<License>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        tx.licenses(tenant).await
    }

    /// Revokes a license: this process refuses its key at once, other processes sharing the
    /// store within [`CACHE_TTL`](crate::CACHE_TTL).
    pub async fn revoke_license(&self, tenant: TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_tenant(&mut tx, tenant).await?;
        if !tx.delete_license(tenant, id).await? {
            return Err(Error::NotFound(Entity::License));
        }
        tx.commit().await?;
        self.licenses.forget_where(|license| license.id == id);
        Ok(())
    }

    /// The license of a presented key, as read at most [`CACHE_TTL`](crate::CACHE_TTL) ago.
    pub async fn license(&self, key: &str) -> Result<License> {
        let hash = crate::secrets::sha256(key.trim().as_bytes());
        let read = async {
            let mut tx = self.store.read().await?;
            tx.license_by_hash(&hash)
                .await?
                .ok_or(Error::LicenseInvalid)
        };
        let license = self.licenses.get_or_read(&hash, self.now(), read).await?;
        // The lookup matched by hash; comparing again in constant time costs nothing and keeps
        // the check independent of how the store or the cache compares.
        verify_slices_are_equal(&license.key_hash, &hash).map_err(|_| Error::LicenseInvalid)?;
        Ok(license)
    }

    /// The community `id` with its realm, if `license` reaches it. Another tenant's community is
    /// reported as unknown, so a license learns nothing about other tenants.
    pub async fn community_for(
        &self,
        license: &License,
        id: &str,
    ) -> Result<(Community, Arc<Tenant>)> {
        let (community, realm) = self.community(id).await?;
        if community.tenant != license.tenant {
            return Err(Error::NotFound(Entity::Community));
        }
        if !license.reaches(&community) {
            return Err(Error::Forbidden(
                "the license does not cover this community",
            ));
        }
        Ok((community, realm))
    }

    /// Accepts a signed request once: its time must be within `allowed_span` of now, and its
    /// nonce new within that span.
    pub async fn claim_request(
        &self,
        scope: &str,
        nonce: &str,
        issued_at: OffsetDateTime,
        allowed_span: time::Duration,
    ) -> Result<()> {
        let now = self.now();
        if (now - issued_at).abs() > allowed_span {
            return Err(Error::RequestStale);
        }
        let mut tx = self.store.write().await?;
        // Kept until no copy of the request can be fresh any more.
        let expires_at = issued_at + allowed_span;
        if !tx.claim_nonce(scope, nonce, now, expires_at).await? {
            return Err(Error::RequestReplayed);
        }
        tx.commit().await
    }
}
