//! What third-party sign-in keeps: users' accounts at identity providers and one-time tokens.

use latchkey_engine::Result;
use latchkey_engine::model::{Identity, OneTimeToken, TenantId};
use rusqlite::params;
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn identity(
        &mut self,
        tenant: TenantId,
        provider: &str,
        subject: &str,
    ) -> Result<Option<Identity>> {
        let sql = format!(
            "SELECT {} FROM identities WHERE tenant_id = ? AND provider = ? AND subject = ?",
            rows::IDENTITY
        );
        self.optional(&sql, params![tenant.0, provider, subject], rows::identity)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn upsert_identity(&mut self, identity: &Identity) -> Result<()> {
        let sql = format!(
            "INSERT INTO identities ({}) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id, provider, subject) \
             DO UPDATE SET email_id = excluded.email_id, updated_at = excluded.updated_at",
            rows::IDENTITY
        );
        self.execute(
            &sql,
            params![
                identity.tenant.0,
                identity.provider,
                identity.subject,
                identity.user.0,
                identity.email,
                micros(identity.created_at)?,
                micros(identity.updated_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<()> {
        let sql = format!(
            "INSERT INTO one_time_tokens ({}) VALUES (?, ?, ?, ?, ?)",
            rows::ONE_TIME_TOKEN
        );
        self.execute(
            &sql,
            params![
                token.tenant.0,
                token.hash.as_slice(),
                token.user.0,
                micros(token.created_at)?,
                micros(token.expires_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn take_one_time_token(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<OneTimeToken>> {
        let sql = format!(
            "DELETE FROM one_time_tokens WHERE tenant_id = ? AND hash = ? RETURNING {}",
            rows::ONE_TIME_TOKEN
        );
        self.optional(
            &sql,
            params![tenant.0, hash.as_slice()],
            rows::one_time_token,
        )
    }

    pub(super) fn delete_expired_one_time_tokens(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.execute(
            "DELETE FROM one_time_tokens WHERE expires_at < ?",
            params![micros(now)?],
        )
    }
}
