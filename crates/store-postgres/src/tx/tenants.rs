//! Tenants: organisations and realms.

use latchkey_engine::model::{Tenant, TenantId, TenantKind};
use latchkey_engine::{Entity, Error, Result};
use sqlx::types::Json;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = $1", rows::SELECT_TENANTS);
        self.optional(sqlx::query(&sql).bind(id.0), rows::tenant)
            .await
    }

    pub(super) async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = $1 AND t.kind = $2", rows::SELECT_TENANTS);
        self.optional(
            sqlx::query(&sql).bind(id.0).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }

    pub(super) async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        let sql = format!(
            "{} WHERE t.kind = $1 ORDER BY t.created_at, t.id",
            rows::SELECT_TENANTS
        );
        self.all(
            sqlx::query(&sql).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = match &tenant.kind {
            TenantKind::Organisation => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5)",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::ORGANISATION)
            .bind(Json(&tenant.config))
            .bind(tenant.created_at),
            // Made from the community's row: a realm of a community that does not exist, or
            // exists in another organisation, inserts nothing.
            TenantKind::Realm {
                organisation,
                community,
            } => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 SELECT $1, $2, $3, id, $4, $5 FROM communities WHERE id = $6 AND tenant_id = $7",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::REALM)
            .bind(Json(&tenant.config))
            .bind(tenant.created_at)
            .bind(community.as_str())
            .bind(organisation.0),
        };
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Community)),
            _ => Ok(()),
        }
    }

    pub(super) async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = sqlx::query("UPDATE tenants SET display_name = $1, config = $2 WHERE id = $3")
            .bind(&tenant.display_name)
            .bind(Json(&tenant.config))
            .bind(tenant.id.0);
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Tenant)),
            _ => Ok(()),
        }
    }

    pub(super) async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        // A realm goes with its community (the community's deletion cascades to it).
        let community = sqlx::query(
            "DELETE FROM communities WHERE id = (SELECT community_id FROM tenants WHERE id = $1)",
        );
        let communities = self.execute(community.bind(id.0)).await?;
        let tenant = sqlx::query("DELETE FROM tenants WHERE id = $1").bind(id.0);
        Ok(communities + self.execute(tenant).await? > 0)
    }
}
