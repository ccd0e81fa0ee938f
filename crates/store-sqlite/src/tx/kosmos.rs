//! What the 1Kosmos dialect keeps: communities, licenses, authenticator policies, links, service
//! secrets and nonces.

use latchkey_engine::Result;
use latchkey_engine::model::{
    AuthenticatorPolicy, Community, License, Link, ServiceSecret, TenantId, UserId,
};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::db;
use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        let sql = format!("{} WHERE c.id = ?", rows::SELECT_COMMUNITIES);
        self.optional(sqlx::query(&sql).bind(id), rows::community)
            .await
    }

    pub(super) async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        let sql = format!(
            "{} WHERE c.tenant_id = ? ORDER BY c.created_at, c.id",
            rows::SELECT_COMMUNITIES
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::community)
            .await
    }

    pub(super) async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        let sql = format!("SELECT {} FROM licenses WHERE key_hash = ?", rows::LICENSE);
        self.optional(sqlx::query(&sql).bind(hash.as_slice()), rows::license)
            .await
    }

    pub(super) async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        let sql = format!(
            "SELECT {} FROM licenses WHERE tenant_id = ? ORDER BY created_at, id",
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
        // The unique index's own expression, so that it serves the global records (NULL realm)
        // as well as a realm's.
        let mut query = QueryBuilder::new(format!(
            "SELECT {} FROM vendor_metadata WHERE coalesce(realm_id, x'') = coalesce(",
            rows::VENDOR_METADATA
        ));
        query.push_bind(realm.map(|realm| realm.0)).push(", x'')");
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
            "SELECT {} FROM service_secrets WHERE name = ?",
            rows::SERVICE_SECRET
        );
        self.optional(sqlx::query(&sql).bind(name), rows::service_secret)
            .await
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) async fn insert_community(&mut self, community: &Community) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO communities (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&community.id)
        .bind(community.tenant.0)
        .bind(&community.name)
        .bind(micros(community.created_at)?);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn insert_license(&mut self, license: &License) -> Result<()> {
        let (scope, community) = (license.scope.kind(), license.scope.community());
        let sql = format!(
            "INSERT INTO licenses ({}) VALUES (?, ?, ?, ?, ?, ?)",
            rows::LICENSE
        );
        let query = sqlx::query(&sql)
            .bind(license.tenant.0)
            .bind(license.id)
            .bind(scope)
            .bind(community)
            .bind(license.key_hash.as_slice())
            .bind(micros(license.created_at)?);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM licenses WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        // One statement, so concurrent upserts of the same model cannot both insert.
        let sql = format!(
            "INSERT INTO vendor_metadata ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (coalesce(realm_id, x''), aaguid) DO UPDATE SET \
             name = excluded.name, metadata = excluded.metadata, disabled = excluded.disabled, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING {}",
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
            .bind(&record.updated_by)
            .bind(micros(record.updated_at)?);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::vendor_metadata(&row)
    }

    pub(super) async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        let sql = format!(
            "INSERT INTO links ({}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (realm_id, user_id, did, credential_id) \
             DO UPDATE SET linked_at = excluded.linked_at",
            rows::LINK
        );
        let query = sqlx::query(&sql)
            .bind(link.realm.0)
            .bind(link.user.0)
            .bind(&link.did)
            .bind(&link.credential_id)
            .bind(micros(link.linked_at)?);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        let sql = format!(
            "INSERT INTO service_secrets ({}) VALUES (?, ?, ?, ?)",
            rows::SERVICE_SECRET
        );
        let query = sqlx::query(&sql)
            .bind(&secret.name)
            .bind(&secret.sealed)
            .bind(&secret.public)
            .bind(micros(secret.created_at)?);
        self.execute(query).await?;
        Ok(())
    }

    /// The write lock taken by `BEGIN IMMEDIATE` makes the sweep and the insert one step for
    /// every other writer.
    pub(super) async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        let sweep = sqlx::query("DELETE FROM nonces WHERE expires_at < ?").bind(micros(now)?);
        self.execute(sweep).await?;
        let claim = sqlx::query(
            "INSERT INTO nonces (scope, nonce, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (scope, nonce) DO NOTHING",
        )
        .bind(scope)
        .bind(nonce)
        .bind(micros(expires_at)?);
        Ok(self.execute(claim).await? > 0)
    }
}
