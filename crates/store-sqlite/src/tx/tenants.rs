//! Tenants: organisations and realms.

use latchkey_engine::model::{Tenant, TenantId, TenantKind};
use latchkey_engine::{Entity, Error, Result};
use rusqlite::params;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = ?", rows::SELECT_TENANTS);
        self.optional(&sql, params![id.0], rows::tenant)
    }

    pub(super) fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = ? AND t.kind = ?", rows::SELECT_TENANTS);
        self.optional(&sql, params![id.0, TenantKind::ORGANISATION], rows::tenant)
    }

    pub(super) fn organisations(&mut self) -> Result<Vec<Tenant>> {
        let sql = format!(
            "{} WHERE t.kind = ? ORDER BY t.created_at, t.id",
            rows::SELECT_TENANTS
        );
        self.all(&sql, params![TenantKind::ORGANISATION], rows::tenant)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let config = rows::config_json(&tenant.config)?;
        let created_at = micros(tenant.created_at)?;
        let inserted = match &tenant.kind {
            TenantKind::Organisation => self.execute(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 VALUES (?, ?, ?, NULL, ?, ?)",
                params![
                    tenant.id.0,
                    tenant.display_name,
                    TenantKind::ORGANISATION,
                    config,
                    created_at,
                ],
            )?,
            // Made from the community's row: a realm of a community that does not exist, or
            // exists in another organisation, inserts nothing.
            TenantKind::Realm {
                organisation,
                community,
            } => self.execute(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 SELECT ?, ?, ?, id, ?, ? FROM communities WHERE id = ? AND tenant_id = ?",
                params![
                    tenant.id.0,
                    tenant.display_name,
                    TenantKind::REALM,
                    config,
                    created_at,
                    community,
                    organisation.0,
                ],
            )?,
        };
        match inserted {
            0 => Err(Error::NotFound(Entity::Community)),
            _ => Ok(()),
        }
    }

    pub(super) fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let changed = self.execute(
            "UPDATE tenants SET display_name = ?, config = ? WHERE id = ?",
            params![
                tenant.display_name,
                rows::config_json(&tenant.config)?,
                tenant.id.0
            ],
        )?;
        match changed {
            0 => Err(Error::NotFound(Entity::Tenant)),
            _ => Ok(()),
        }
    }

    pub(super) fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        // A realm goes with its community (the community's deletion cascades to it).
        let communities = self.execute(
            "DELETE FROM communities WHERE id = (SELECT community_id FROM tenants WHERE id = ?)",
            params![id.0],
        )?;
        let tenants = self.execute("DELETE FROM tenants WHERE id = ?", params![id.0])?;
        Ok(communities + tenants > 0)
    }
}
