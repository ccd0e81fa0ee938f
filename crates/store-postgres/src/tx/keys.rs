//! API keys and signing keys of a tenant.

use latchkey_engine::Result;
use latchkey_engine::model::{ApiKey, SigningKey, TenantId};
use uuid::Uuid;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = $1 AND secret_hash = $2",
            rows::API_KEY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(hash.as_slice()),
            rows::api_key,
        )
        .await
    }

    pub(super) async fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::API_KEY
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::api_key)
            .await
    }

    pub(super) async fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        let sql = format!(
            "SELECT {} FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::SIGNING_KEY
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::signing_key)
            .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        let sql = format!(
            "INSERT INTO api_keys ({}) VALUES ($1, $2, $3, $4, $5)",
            rows::API_KEY
        );
        let query = sqlx::query(&sql)
            .bind(key.tenant.0)
            .bind(key.id)
            .bind(&key.name)
            .bind(key.secret_hash.as_slice())
            .bind(key.created_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        let sql = format!(
            "INSERT INTO signing_keys ({}) VALUES ($1, $2, $3, $4, $5, $6)",
            rows::SIGNING_KEY
        );
        let query = sqlx::query(&sql)
            .bind(key.tenant.0)
            .bind(key.id)
            .bind(key.algorithm.as_str())
            .bind(&key.encrypted_private_key)
            .bind(&key.public_key)
            .bind(key.created_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM signing_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }
}
