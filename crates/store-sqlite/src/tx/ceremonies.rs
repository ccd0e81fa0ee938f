//! Ceremonies in flight and the transactions that confirm them.

use latchkey_engine::Result;
use latchkey_engine::model::{Ceremony, TenantId, Transaction, UserId};
use rusqlite::params;
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "SELECT {} FROM ceremonies WHERE tenant_id = ? AND challenge = ?",
            rows::CEREMONY
        );
        self.optional(&sql, params![tenant.0, challenge], rows::ceremony)
    }

    pub(super) fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = ? AND challenge = ? LIMIT 1",
            rows::TRANSACTION
        );
        self.optional(&sql, params![tenant.0, challenge], rows::transaction)
    }

    pub(super) fn transactions(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Transaction>> {
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id",
            rows::TRANSACTION
        );
        self.all(&sql, params![tenant.0, user.0], rows::transaction)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        let sql = format!(
            "INSERT INTO ceremonies ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::CEREMONY
        );
        self.execute(
            &sql,
            params![
                ceremony.tenant.0,
                ceremony.id,
                ceremony.challenge,
                ceremony.operation.as_str(),
                ceremony.user.map(|user| user.0),
                ceremony.user_verification.as_str(),
                rows::allowed_credentials_json(&ceremony.allowed_credentials)?,
                ceremony.transaction,
                micros(ceremony.expires_at)?,
            ],
        )?;
        Ok(())
    }

    /// One statement, so the row is gone the moment it is read; and the write transaction began
    /// with `BEGIN IMMEDIATE`, so a concurrent finish waits and then finds nothing.
    pub(super) fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "DELETE FROM ceremonies WHERE tenant_id = ? AND challenge = ? RETURNING {}",
            rows::CEREMONY
        );
        self.optional(&sql, params![tenant.0, challenge], rows::ceremony)
    }

    pub(super) fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.execute(
            "DELETE FROM ceremonies WHERE expires_at < ?",
            params![micros(now)?],
        )
    }

    pub(super) fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        let sql = format!(
            "INSERT INTO transactions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows::TRANSACTION
        );
        self.execute(
            &sql,
            params![
                transaction.tenant.0,
                transaction.id,
                transaction.user.0,
                transaction.identifier,
                transaction.data,
                transaction.challenge,
                micros(transaction.created_at)?,
                micros(transaction.updated_at)?,
            ],
        )?;
        Ok(())
    }
}
