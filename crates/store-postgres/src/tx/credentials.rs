//! Credentials (passkeys) and their use.

use latchkey_engine::model::{Credential, TenantId, UserId};
use latchkey_engine::{LoginRecord, Page, Paged, Result};
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows;

use super::{PostgresTx, ReadWrite, by_creation};

impl<M> PostgresTx<M> {
    pub(super) async fn credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
    ) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {} FROM credentials WHERE tenant_id = $1 AND id = $2",
            rows::CREDENTIAL
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id), rows::credential)
            .await
    }

    pub(super) async fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        // The filter is built per case rather than `$2 IS NULL OR user_id = $2`, which a cached
        // generic plan could not answer from the (tenant, user) index.
        let from_where = |q: &mut QueryBuilder<'_, Postgres>| {
            q.push(" FROM credentials WHERE tenant_id = ")
                .push_bind(tenant.0);
            if let Some(user) = user {
                q.push(" AND user_id = ").push_bind(user.0);
            }
        };
        self.paged(
            rows::CREDENTIAL,
            from_where,
            by_creation(page),
            page,
            rows::credential,
        )
        .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        let sql = format!(
            "INSERT INTO credentials ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            rows::CREDENTIAL
        );
        let query = sqlx::query(&sql)
            .bind(credential.tenant.0)
            .bind(&credential.id)
            .bind(credential.user.0)
            .bind(&credential.name)
            .bind(&credential.public_key)
            .bind(&credential.attestation_format)
            .bind(Uuid::from_bytes(credential.aaguid))
            .bind(i64::from(credential.sign_count))
            .bind(&credential.transports)
            .bind(credential.backup_eligible)
            .bind(credential.backup_state)
            .bind(credential.is_mfa)
            .bind(credential.created_at)
            .bind(credential.last_used_at)
            .bind(credential.discoverable)
            .bind(
                credential
                    .credential_protection
                    .map(|level| i16::from(level.level())),
            )
            .bind(credential.min_pin_length.map(i64::from));
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn rename_credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        name: &str,
    ) -> Result<bool> {
        let query =
            sqlx::query("UPDATE credentials SET name = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(name)
                .bind(tenant.0)
                .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    /// The counter rule is the update's condition. Under READ COMMITTED an update that finds
    /// the row locked by a concurrent login waits for it to end and then re-checks the condition
    /// against the committed row, so two logins cannot both count the same value.
    pub(super) async fn record_login(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        sign_count: u32,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<LoginRecord> {
        let counted = sqlx::query(
            "UPDATE credentials SET sign_count = $1, backup_state = $2, last_used_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND (sign_count < $1 OR ($1 = 0 AND sign_count = 0))",
        )
        .bind(i64::from(sign_count))
        .bind(backup_state)
        .bind(at)
        .bind(tenant.0)
        .bind(id);
        if self.execute(counted).await? > 0 {
            return Ok(LoginRecord::Counted);
        }
        let seen = sqlx::query(
            "UPDATE credentials SET backup_state = $1, last_used_at = $2 WHERE tenant_id = $3 AND id = $4 \
             RETURNING sign_count",
        )
        .bind(backup_state)
        .bind(at)
        .bind(tenant.0)
        .bind(id);
        Ok(match self.optional(seen, rows::sign_count).await? {
            None => LoginRecord::Missing,
            Some(stored) => LoginRecord::NotIncreased { stored },
        })
    }

    pub(super) async fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        let query = sqlx::query("DELETE FROM credentials WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }
}
