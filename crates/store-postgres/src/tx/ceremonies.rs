//! Ceremonies in flight and the transactions that confirm them.

use latchkey_engine::Result;
use latchkey_engine::model::{Ceremony, TenantId, Transaction, UserId};
use time::OffsetDateTime;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "SELECT {} FROM ceremonies WHERE tenant_id = $1 AND challenge = $2",
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
        // Challenges are random, so two transactions sharing one is not expected; should it
        // happen, the newest one answers.
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = $1 AND challenge = $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
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
            "SELECT {} FROM transactions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
            rows::TRANSACTION
        );
        self.all(
            sqlx::query(&sql).bind(tenant.0).bind(user.0),
            rows::transaction,
        )
        .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        let sql = format!(
            "INSERT INTO ceremonies ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            rows::CEREMONY
        );
        let query = sqlx::query(&sql)
            .bind(ceremony.tenant.0)
            .bind(ceremony.id)
            .bind(&ceremony.challenge)
            .bind(ceremony.operation.as_str())
            .bind(ceremony.user.map(|user| user.0))
            .bind(ceremony.user_verification.as_str())
            .bind(&ceremony.allowed_credentials)
            .bind(ceremony.transaction)
            .bind(ceremony.expires_at);
        self.execute(query).await?;
        Ok(())
    }

    /// A concurrent finish blocks on the row lock of the first one's DELETE and, once that
    /// commits, finds no row: exactly one of them gets the ceremony.
    pub(super) async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "DELETE FROM ceremonies WHERE tenant_id = $1 AND challenge = $2 RETURNING {}",
            rows::CEREMONY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::ceremony,
        )
        .await
    }

    pub(super) async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        let query = sqlx::query("DELETE FROM ceremonies WHERE expires_at < $1").bind(now);
        self.execute(query).await
    }

    pub(super) async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        let sql = format!(
            "INSERT INTO transactions ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            rows::TRANSACTION
        );
        let query = sqlx::query(&sql)
            .bind(transaction.tenant.0)
            .bind(transaction.id)
            .bind(transaction.user.0)
            .bind(&transaction.identifier)
            .bind(&transaction.data)
            .bind(&transaction.challenge)
            .bind(transaction.created_at)
            .bind(transaction.updated_at);
        self.execute(query).await?;
        Ok(())
    }
}
