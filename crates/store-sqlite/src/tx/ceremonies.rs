//! Ceremonies in flight and the transactions that confirm them.

use latchkey_engine::Result;
use latchkey_engine::model::{Ceremony, TenantId, Transaction, UserId};
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) async fn ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "SELECT {} FROM ceremonies WHERE tenant_id = ? AND challenge = ?",
            rows::CEREMONY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::ceremony,
        )
        .await
    }

    pub(super) async fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = ? AND challenge = ? LIMIT 1",
            rows::TRANSACTION
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::transaction,
        )
        .await
    }

    pub(super) async fn transactions(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Transaction>> {
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id",
            rows::TRANSACTION
        );
        self.all(
            sqlx::query(&sql).bind(tenant.0).bind(user.0),
            rows::transaction,
        )
        .await
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        let sql = format!(
            "INSERT INTO ceremonies ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::CEREMONY
        );
        let query = sqlx::query(&sql)
            .bind(ceremony.tenant.0)
            .bind(ceremony.id)
            .bind(&ceremony.challenge)
            .bind(ceremony.operation.as_str())
            .bind(ceremony.user.map(|user| user.0))
            .bind(ceremony.user_verification.as_str())
            .bind(rows::allowed_credentials_json(
                &ceremony.allowed_credentials,
            )?)
            .bind(ceremony.transaction)
            .bind(micros(ceremony.expires_at)?);
        self.execute(query).await?;
        Ok(())
    }

    /// One statement, so the row is gone the moment it is read; and the write transaction began
    /// with `BEGIN IMMEDIATE`, so a concurrent finish waits and then finds nothing.
    pub(super) async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "DELETE FROM ceremonies WHERE tenant_id = ? AND challenge = ? RETURNING {}",
            rows::CEREMONY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::ceremony,
        )
        .await
    }

    pub(super) async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        let query = sqlx::query("DELETE FROM ceremonies WHERE expires_at < ?").bind(micros(now)?);
        self.execute(query).await
    }

    pub(super) async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        let sql = format!(
            "INSERT INTO transactions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows::TRANSACTION
        );
        let query = sqlx::query(&sql)
            .bind(transaction.tenant.0)
            .bind(transaction.id)
            .bind(transaction.user.0)
            .bind(&transaction.identifier)
            .bind(&transaction.data)
            .bind(&transaction.challenge)
            .bind(micros(transaction.created_at)?)
            .bind(micros(transaction.updated_at)?);
        self.execute(query).await?;
        Ok(())
    }
}
