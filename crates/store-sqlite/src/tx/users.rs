//! Users.

use latchkey_engine::model::{TenantId, User, UserId};
use latchkey_engine::{Page, Paged, Result};
use rusqlite::params;

use crate::error::corrupt;
use crate::rows::{self, micros};

use super::{ReadWrite, Sql, SqliteTx, by_creation, uuid};

impl<M> SqliteTx<M> {
    pub(super) fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = ? AND id = ?",
            rows::USER
        );
        self.optional(&sql, params![tenant.0, id.0], rows::user)
    }

    pub(super) fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = ? AND external_id = ?",
            rows::USER
        );
        self.optional(&sql, params![tenant.0, external_id], rows::user)
    }

    pub(super) fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        let mut from_where = Sql::new(" FROM users WHERE tenant_id = ");
        from_where.bind(uuid(tenant.0));
        self.paged(rows::USER, &from_where, by_creation(page), page, rows::user)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn upsert_user(&mut self, user: &User) -> Result<User> {
        // One statement, so concurrent upserts of the same external id cannot both insert.
        let sql = format!(
            "INSERT INTO users ({}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
             name = excluded.name, display_name = excluded.display_name, icon = excluded.icon \
             RETURNING {}",
            rows::USER,
            rows::USER
        );
        self.optional(
            &sql,
            params![
                user.tenant.0,
                user.id.0,
                user.external_id,
                user.name,
                user.display_name,
                user.icon,
                micros(user.created_at)?,
            ],
            rows::user,
        )?
        .ok_or_else(|| corrupt("upserted user"))
    }

    pub(super) fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM users WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id.0],
        )?;
        Ok(changed > 0)
    }
}
