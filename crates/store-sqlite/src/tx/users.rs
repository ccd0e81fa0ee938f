//! Users.

use latchkey_engine::model::{TenantId, User, UserId};
use latchkey_engine::{Page, Paged, Result};
use sqlx::{QueryBuilder, Sqlite};

use crate::error::db;
use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx, by_creation};

impl<M> SqliteTx<M> {
    pub(super) async fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = ? AND id = ?",
            rows::USER
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id.0), rows::user)
            .await
    }

    pub(super) async fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = ? AND external_id = ?",
            rows::USER
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(external_id),
            rows::user,
        )
        .await
    }

    pub(super) async fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        let from_where = |q: &mut QueryBuilder<'_, Sqlite>| {
            q.push(" FROM users WHERE tenant_id = ").push_bind(tenant.0);
        };
        self.paged(rows::USER, from_where, by_creation(page), page, rows::user)
            .await
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) async fn upsert_user(&mut self, user: &User) -> Result<User> {
        // One statement, so concurrent upserts of the same external id cannot both insert.
        let sql = format!(
            "INSERT INTO users ({}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
             name = excluded.name, display_name = excluded.display_name, icon = excluded.icon \
             RETURNING {}",
            rows::USER,
            rows::USER
        );
        let query = sqlx::query(&sql)
            .bind(user.tenant.0)
            .bind(user.id.0)
            .bind(&user.external_id)
            .bind(&user.name)
            .bind(&user.display_name)
            .bind(&user.icon)
            .bind(micros(user.created_at)?);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::user(&row)
    }

    pub(super) async fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        let query = sqlx::query("DELETE FROM users WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id.0);
        Ok(self.execute(query).await? > 0)
    }
}
