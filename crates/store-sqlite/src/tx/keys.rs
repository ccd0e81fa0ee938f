//! API keys and signing keys of a tenant.

use latchkey_engine::Result;
use latchkey_engine::model::{ApiKey, SigningKey, TenantId};
use rusqlite::params;
use uuid::Uuid;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = ? AND secret_hash = ?",
            rows::API_KEY
        );
        self.optional(&sql, params![tenant.0, hash.as_slice()], rows::api_key)
    }

    pub(super) fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
            rows::API_KEY
        );
        self.all(&sql, params![tenant.0], rows::api_key)
    }

    pub(super) fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        let sql = format!(
            "SELECT {} FROM signing_keys WHERE tenant_id = ? ORDER BY created_at, id",
            rows::SIGNING_KEY
        );
        self.all(&sql, params![tenant.0], rows::signing_key)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        let sql = format!(
            "INSERT INTO api_keys ({}) VALUES (?, ?, ?, ?, ?)",
            rows::API_KEY
        );
        self.execute(
            &sql,
            params![
                key.tenant.0,
                key.id,
                key.name,
                key.secret_hash.as_slice(),
                micros(key.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM api_keys WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        let sql = format!(
            "INSERT INTO signing_keys ({}) VALUES (?, ?, ?, ?, ?, ?)",
            rows::SIGNING_KEY
        );
        self.execute(
            &sql,
            params![
                key.tenant.0,
                key.id,
                key.algorithm.as_str(),
                key.encrypted_private_key,
                key.public_key,
                micros(key.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM signing_keys WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }
}
