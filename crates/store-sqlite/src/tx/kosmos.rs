//! What the 1Kosmos dialect keeps: communities, licenses, authenticator policies, links, service
//! secrets and nonces.

use latchkey_engine::Result;
use latchkey_engine::model::{
    AuthenticatorPolicy, CertificationLevel, Community, License, Link, ServiceSecret, TenantId,
    UserId,
};
use rusqlite::params;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::corrupt;
use crate::rows::{self, micros};

use super::{ReadWrite, Sql, SqliteTx, uuid};

impl<M> SqliteTx<M> {
    pub(super) fn community(&mut self, id: &str) -> Result<Option<Community>> {
        let sql = format!("{} WHERE c.id = ?", rows::SELECT_COMMUNITIES);
        self.optional(&sql, params![id], rows::community)
    }

    pub(super) fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        let sql = format!(
            "{} WHERE c.tenant_id = ? ORDER BY c.created_at, c.id",
            rows::SELECT_COMMUNITIES
        );
        self.all(&sql, params![tenant.0], rows::community)
    }

    pub(super) fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        let sql = format!("SELECT {} FROM licenses WHERE key_hash = ?", rows::LICENSE);
        self.optional(&sql, params![hash.as_slice()], rows::license)
    }

    pub(super) fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        let sql = format!(
            "SELECT {} FROM licenses WHERE tenant_id = ? ORDER BY created_at, id",
            rows::LICENSE
        );
        self.all(&sql, params![tenant.0], rows::license)
    }

    pub(super) fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        // The unique index's own expression, so that it serves the global records (NULL realm)
        // as well as a realm's.
        let mut query = Sql::new(&format!(
            "SELECT {} FROM vendor_metadata WHERE coalesce(realm_id, x'') = coalesce(",
            rows::VENDOR_METADATA
        ));
        query
            .bind(
                realm
                    .map(|realm| uuid(realm.0))
                    .unwrap_or(rusqlite::types::Value::Null),
            )
            .push(", x'')");
        if !aaguids.is_empty() {
            query
                .push(" AND aaguid IN (")
                .bind_list(aaguids.iter().map(|aaguid| uuid(*aaguid)))
                .push(")");
        }
        query.push(" ORDER BY aaguid");
        self.all_of(&query, rows::vendor_metadata)
    }

    pub(super) fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        let mut query = Sql::new(&format!(
            "SELECT {} FROM links WHERE realm_id = ",
            rows::LINK
        ));
        query.bind(uuid(realm.0));
        if let Some(user) = user {
            query.push(" AND user_id = ").bind(uuid(user.0));
        }
        if let Some(did) = did {
            query.push(" AND did = ").bind(did.to_owned());
        }
        query.push(" ORDER BY linked_at, user_id, did, credential_id");
        self.all_of(&query, rows::link)
    }

    pub(super) fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        let sql = format!(
            "SELECT {} FROM service_secrets WHERE name = ?",
            rows::SERVICE_SECRET
        );
        self.optional(&sql, params![name], rows::service_secret)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_community(&mut self, community: &Community) -> Result<()> {
        self.execute(
            "INSERT INTO communities (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
            params![
                community.id,
                community.tenant.0,
                community.name,
                micros(community.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn insert_license(&mut self, license: &License) -> Result<()> {
        let sql = format!(
            "INSERT INTO licenses ({}) VALUES (?, ?, ?, ?, ?, ?)",
            rows::LICENSE
        );
        self.execute(
            &sql,
            params![
                license.tenant.0,
                license.id,
                license.scope.kind(),
                license.scope.community(),
                license.key_hash.as_slice(),
                micros(license.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM licenses WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        // One statement, so concurrent upserts of the same model cannot both insert.
        let sql = format!(
            "INSERT INTO vendor_metadata ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (coalesce(realm_id, x''), aaguid) DO UPDATE SET \
             name = excluded.name, metadata = excluded.metadata, disabled = excluded.disabled, \
             certification = excluded.certification, updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING {}",
            rows::VENDOR_METADATA,
            rows::VENDOR_METADATA
        );
        self.optional(
            &sql,
            params![
                record.id,
                record.realm.map(|realm| realm.0),
                record.aaguid,
                record.name,
                record.metadata,
                record.disabled,
                record.certification.map(CertificationLevel::as_str),
                record.updated_by,
                micros(record.updated_at)?,
            ],
            rows::vendor_metadata,
        )?
        .ok_or_else(|| corrupt("upserted authenticator policy"))
    }

    pub(super) fn delete_vendor_metadata(&mut self, realm: TenantId, aaguid: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM vendor_metadata WHERE realm_id = ? AND aaguid = ?",
            params![realm.0, aaguid],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn upsert_link(&mut self, link: &Link) -> Result<()> {
        let sql = format!(
            "INSERT INTO links ({}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (realm_id, user_id, did, credential_id) \
             DO UPDATE SET linked_at = excluded.linked_at",
            rows::LINK
        );
        self.execute(
            &sql,
            params![
                link.realm.0,
                link.user.0,
                link.did,
                link.credential_id,
                micros(link.linked_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        let sql = format!(
            "INSERT INTO service_secrets ({}) VALUES (?, ?, ?, ?)",
            rows::SERVICE_SECRET
        );
        self.execute(
            &sql,
            params![
                secret.name,
                secret.sealed,
                secret.public,
                micros(secret.created_at)?,
            ],
        )?;
        Ok(())
    }

    /// The write lock taken by `BEGIN IMMEDIATE` makes the sweep and the insert one step for
    /// every other writer.
    pub(super) fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        self.execute(
            "DELETE FROM nonces WHERE expires_at < ?",
            params![micros(now)?],
        )?;
        let claimed = self.execute(
            "INSERT INTO nonces (scope, nonce, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (scope, nonce) DO NOTHING",
            params![scope, nonce, micros(expires_at)?],
        )?;
        Ok(claimed > 0)
    }
}
