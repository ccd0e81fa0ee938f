//! What the 1Kosmos dialect keeps: communities, licenses, authenticator policies, links, service
//! secrets and nonces.

use latchkey_engine::Result;
use latchkey_engine::model::{
    AuthenticatorPolicy, CertificationLevel, Community, License, Link, ServiceSecret, TenantId,
    UserId,
};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::db;
use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        let sql = format!("{} WHERE c.id = $1", rows::SELECT_COMMUNITIES);
        self.optional(sqlx::query(&sql).bind(id), rows::community)
            .await
    }

    pub(super) async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        let sql = format!(
            "{} WHERE c.tenant_id = $1 ORDER BY c.created_at, c.id",
            rows::SELECT_COMMUNITIES
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::community)
            .await
    }

    pub(super) async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        let sql = format!("SELECT {} FROM licenses WHERE key_hash = $1", rows::LICENSE);
        self.optional(sqlx::query(&sql).bind(hash.as_slice()), rows::license)
            .await
    }

    pub(super) async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        let sql = format!(
            "SELECT {} FROM licenses WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::LICENSE
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::license)
            .await
    }

    pub(super) async fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        // `realm_id IS NULL` for the global records rather than `IS NOT DISTINCT FROM $1`,
        // which no index answers.
        let mut query = QueryBuilder::new(format!(
            "SELECT {} FROM vendor_metadata WHERE ",
            rows::VENDOR_METADATA
        ));
        match realm {
            Some(realm) => query.push("realm_id = ").push_bind(realm.0),
            None => query.push("realm_id IS NULL"),
        };
        if !aaguids.is_empty() {
            query.push(" AND aaguid IN (");
            let mut list = query.separated(", ");
            for aaguid in aaguids {
                list.push_bind(*aaguid);
            }
            query.push(")");
        }
        query.push(" ORDER BY aaguid");
        self.all(query.build(), rows::vendor_metadata).await
    }

    pub(super) async fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        let mut query = QueryBuilder::new(format!(
            "SELECT {} FROM links WHERE realm_id = ",
            rows::LINK
        ));
        query.push_bind(realm.0);
        if let Some(user) = user {
            query.push(" AND user_id = ").push_bind(user.0);
        }
        if let Some(did) = did {
            query.push(" AND did = ").push_bind(did.to_owned());
        }
        query.push(" ORDER BY linked_at, user_id, did, credential_id");
        self.all(query.build(), rows::link).await
    }

    pub(super) async fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        let sql = format!(
            "SELECT {} FROM service_secrets WHERE name = $1",
            rows::SERVICE_SECRET
        );
        self.optional(sqlx::query(&sql).bind(name), rows::service_secret)
            .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_community(&mut self, community: &Community) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO communities (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&community.id)
        .bind(community.tenant.0)
        .bind(&community.name)
        .bind(community.created_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn insert_license(&mut self, license: &License) -> Result<()> {
        let (scope, community) = (license.scope.kind(), license.scope.community());
        let sql = format!(
            "INSERT INTO licenses ({}) VALUES ($1, $2, $3, $4, $5, $6)",
            rows::LICENSE
        );
        let query = sqlx::query(&sql)
            .bind(license.tenant.0)
            .bind(license.id)
            .bind(scope)
            .bind(community)
            .bind(license.key_hash.as_slice())
            .bind(license.created_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM licenses WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn delete_vendor_metadata(
        &mut self,
        realm: TenantId,
        aaguid: Uuid,
    ) -> Result<bool> {
        let query = sqlx::query("DELETE FROM vendor_metadata WHERE realm_id = $1 AND aaguid = $2")
            .bind(realm.0)
            .bind(aaguid);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        // One statement, so concurrent upserts of the same model cannot both insert.
        let sql = format!(
            "INSERT INTO vendor_metadata ({}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT ON CONSTRAINT vendor_metadata_realm_aaguid_key DO UPDATE \
             SET name = EXCLUDED.name, metadata = EXCLUDED.metadata, disabled = EXCLUDED.disabled, \
             certification = EXCLUDED.certification, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at \
             RETURNING {}",
            rows::VENDOR_METADATA,
            rows::VENDOR_METADATA
        );
        let query = sqlx::query(&sql)
            .bind(record.id)
            .bind(record.realm.map(|realm| realm.0))
            .bind(record.aaguid)
            .bind(&record.name)
            .bind(&record.metadata)
            .bind(record.disabled)
            .bind(record.certification.map(CertificationLevel::as_str))
            .bind(&record.updated_by)
            .bind(record.updated_at);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::vendor_metadata(&row)
    }

    pub(super) async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        let sql = format!(
            "INSERT INTO links ({}) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT ON CONSTRAINT links_pkey DO UPDATE SET linked_at = EXCLUDED.linked_at",
            rows::LINK
        );
        let query = sqlx::query(&sql)
            .bind(link.realm.0)
            .bind(link.user.0)
            .bind(&link.did)
            .bind(&link.credential_id)
            .bind(link.linked_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        let sql = format!(
            "INSERT INTO service_secrets ({}) VALUES ($1, $2, $3, $4)",
            rows::SERVICE_SECRET
        );
        let query = sqlx::query(&sql)
            .bind(&secret.name)
            .bind(&secret.sealed)
            .bind(&secret.public)
            .bind(secret.created_at);
        self.execute(query).await?;
        Ok(())
    }

    /// The sweep skips expired rows another claim is already deleting, so claims never wait on
    /// each other's transactions for housekeeping. Whether this nonce is fresh does not depend on
    /// the sweep: the insert takes over an expired row of the same nonce in place, and a claim
    /// racing for the same nonce waits on its row and then sees the other's outcome. Nothing is
    /// left failed, so the transaction stays usable when the nonce was seen.
    pub(super) async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        let sweep = sqlx::query(
            "DELETE FROM nonces WHERE (scope, nonce) IN \
             (SELECT scope, nonce FROM nonces WHERE expires_at < $1 FOR UPDATE SKIP LOCKED)",
        )
        .bind(now);
        self.execute(sweep).await?;
        let claim = sqlx::query(
            "INSERT INTO nonces (scope, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT ON CONSTRAINT nonces_pkey DO UPDATE SET expires_at = EXCLUDED.expires_at \
             WHERE nonces.expires_at < $4",
        )
        .bind(scope)
        .bind(nonce)
        .bind(expires_at)
        .bind(now);
        Ok(self.execute(claim).await? > 0)
    }
}
