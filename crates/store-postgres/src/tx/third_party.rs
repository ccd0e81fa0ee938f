//! What third-party sign-in keeps: users' accounts at identity providers and one-time tokens.

use latchkey_engine::Result;
use latchkey_engine::model::{Identity, OneTimeToken, TenantId};
use time::OffsetDateTime;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn identity(
        &mut self,
        tenant: TenantId,
        provider: &str,
        subject: &str,
    ) -> Result<Option<Identity>> {
        let sql = format!(
            "SELECT {} FROM identities WHERE tenant_id = $1 AND provider = $2 AND subject = $3",
            rows::IDENTITY
        );
        let query = sqlx::query(&sql)
            .bind(tenant.0)
            .bind(provider)
            .bind(subject);
        self.optional(query, rows::identity).await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn upsert_identity(&mut self, identity: &Identity) -> Result<()> {
        let sql = format!(
            "INSERT INTO identities ({}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT ON CONSTRAINT identities_pkey \
             DO UPDATE SET email_id = EXCLUDED.email_id, updated_at = EXCLUDED.updated_at",
            rows::IDENTITY
        );
        let query = sqlx::query(&sql)
            .bind(identity.tenant.0)
            .bind(&identity.provider)
            .bind(&identity.subject)
            .bind(identity.user.0)
            .bind(identity.email)
            .bind(identity.created_at)
            .bind(identity.updated_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<()> {
        let sql = format!(
            "INSERT INTO one_time_tokens ({}) VALUES ($1, $2, $3, $4, $5)",
            rows::ONE_TIME_TOKEN
        );
        let query = sqlx::query(&sql)
            .bind(token.tenant.0)
            .bind(token.hash.as_slice())
            .bind(token.user.0)
            .bind(token.created_at)
            .bind(token.expires_at);
        self.execute(query).await?;
        Ok(())
    }

    /// Of two concurrent exchanges of one token, the second's DELETE waits for the first to
    /// commit and then finds no row: a token opens one session.
    pub(super) async fn take_one_time_token(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<OneTimeToken>> {
        let sql = format!(
            "DELETE FROM one_time_tokens WHERE tenant_id = $1 AND hash = $2 RETURNING {}",
            rows::ONE_TIME_TOKEN
        );
        let query = sqlx::query(&sql).bind(tenant.0).bind(hash.as_slice());
        self.optional(query, rows::one_time_token).await
    }

    pub(super) async fn delete_expired_one_time_tokens(
        &mut self,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let query = sqlx::query("DELETE FROM one_time_tokens WHERE expires_at < $1").bind(now);
        self.execute(query).await
    }
}
