//! Tenants: organisations and realms.

use latchkey_engine::model::{Tenant, TenantId, TenantKind};
use latchkey_engine::{Entity, Error, Result};

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) async fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = ?", rows::SELECT_TENANTS);
        self.optional(sqlx::query(&sql).bind(id.0), rows::tenant)
            .await
    }

    pub(super) async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = ? AND t.kind = ?", rows::SELECT_TENANTS);
        self.optional(
            sqlx::query(&sql).bind(id.0).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }

    pub(super) async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        let sql = format!(
            "{} WHERE t.kind = ? ORDER BY t.created_at, t.id",
            rows::SELECT_TENANTS
        );
        self.all(
            sqlx::query(&sql).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let config = rows::config_json(&tenant.config)?;
        let created_at = micros(tenant.created_at)?;
        let query = match &tenant.kind {
            TenantKind::Organisation => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 VALUES (?, ?, ?, NULL, ?, ?)",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::ORGANISATION)
            .bind(config)
            .bind(created_at),
            // Made from the community's row: a realm of a community that does not exist, or
            // exists in another organisation, inserts nothing.
            TenantKind::Realm {
                organisation,
                community,
            } => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 SELECT ?, ?, ?, id, ?, ? FROM communities WHERE id = ? AND tenant_id = ?",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::REALM)
            .bind(config)
            .bind(created_at)
            .bind(community.as_str())
            .bind(organisation.0),
        };
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Community)),
            _ => Ok(()),
        }
    }

    pub(super) async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = sqlx::query("UPDATE tenants SET display_name = ?, config = ? WHERE id = ?")
            .bind(&tenant.display_name)
            .bind(rows::config_json(&tenant.config)?)
            .bind(tenant.id.0);
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Tenant)),
            _ => Ok(()),
        }
    }

    pub(super) async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        // A realm goes with its community (the community's deletion cascades to it).
        let community = sqlx::query(
            "DELETE FROM communities WHERE id = (SELECT community_id FROM tenants WHERE id = ?)",
        );
        let communities = self.execute(community.bind(id.0)).await?;
        let tenant = sqlx::query("DELETE FROM tenants WHERE id = ?").bind(id.0);
        Ok(communities + self.execute(tenant).await? > 0)
    }
}
