//! What the Hanko Public API keeps of an account: email addresses, passcodes, passwords and
//! sessions.

use latchkey_engine::model::{Email, Passcode, Password, Session, TenantId, UserId};
use latchkey_engine::{Entity, Error, Result};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn email(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = $1 AND id = $2",
            rows::EMAIL
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id), rows::email)
            .await
    }

    pub(super) async fn email_by_address(
        &mut self,
        tenant: TenantId,
        address: &str,
    ) -> Result<Option<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = $1 AND address = $2",
            rows::EMAIL
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(address), rows::email)
            .await
    }

    pub(super) async fn emails(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
            rows::EMAIL
        );
        self.all(sqlx::query(&sql).bind(tenant.0).bind(user.0), rows::email)
            .await
    }

    pub(super) async fn passcode(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<Passcode>> {
        let sql = format!(
            "SELECT {} FROM passcodes WHERE tenant_id = $1 AND id = $2",
            rows::PASSCODE
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id), rows::passcode)
            .await
    }

    pub(super) async fn password(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<Password>> {
        let sql = format!(
            "SELECT {} FROM passwords WHERE tenant_id = $1 AND user_id = $2",
            rows::PASSWORD
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(user.0),
            rows::password,
        )
        .await
    }

    pub(super) async fn session(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {} FROM sessions WHERE tenant_id = $1 AND id = $2",
            rows::SESSION
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id), rows::session)
            .await
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_email(&mut self, email: &Email) -> Result<()> {
        let sql = format!(
            "INSERT INTO emails ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            rows::EMAIL
        );
        let query = sqlx::query(&sql)
            .bind(email.tenant.0)
            .bind(email.id)
            .bind(email.user.map(|user| user.0))
            .bind(&email.address)
            .bind(email.verified)
            .bind(email.primary)
            .bind(email.created_at)
            .bind(email.updated_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn update_email(&mut self, email: &Email) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE emails SET user_id = $1, verified = $2, is_primary = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6",
        )
        .bind(email.user.map(|user| user.0))
        .bind(email.verified)
        .bind(email.primary)
        .bind(email.updated_at)
        .bind(email.tenant.0)
        .bind(email.id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn delete_email(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM emails WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn insert_passcode(&mut self, passcode: &Passcode) -> Result<()> {
        let sql = format!(
            "INSERT INTO passcodes ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            rows::PASSCODE
        );
        let query = sqlx::query(&sql)
            .bind(passcode.tenant.0)
            .bind(passcode.id)
            .bind(passcode.user.0)
            .bind(passcode.email)
            .bind(passcode.code_hash.as_slice())
            .bind(i64::from(passcode.ttl_seconds))
            .bind(i64::from(passcode.failed_attempts))
            .bind(passcode.created_at)
            .bind(passcode.expires_at);
        self.execute(query).await?;
        Ok(())
    }

    /// A concurrent wrong code waits on this one's row lock and then counts on from its count:
    /// every failure is counted, and no two read the same number.
    pub(super) async fn count_passcode_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<u32>> {
        let query = sqlx::query(
            "UPDATE passcodes SET failed_attempts = failed_attempts + 1 \
             WHERE tenant_id = $1 AND id = $2 RETURNING failed_attempts",
        )
        .bind(tenant.0)
        .bind(id);
        self.optional(query, rows::failed_attempts).await
    }

    /// A concurrent finalize blocks on the row lock of the first one's DELETE and, once that
    /// commits, finds no row: exactly one of them deletes it.
    pub(super) async fn delete_passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM passcodes WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn delete_expired_passcodes(&mut self, now: OffsetDateTime) -> Result<u64> {
        let query = sqlx::query("DELETE FROM passcodes WHERE expires_at < $1").bind(now);
        self.execute(query).await
    }

    /// Insert first: of two concurrent first passwords, the second insert waits for the first
    /// to commit and then does nothing, and its update replaces what the first stored. The
    /// update finds no row only if the user was deleted in between.
    pub(super) async fn upsert_password(&mut self, password: &Password) -> Result<bool> {
        let sql = format!(
            "INSERT INTO passwords ({}) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT ON CONSTRAINT passwords_pkey DO NOTHING",
            rows::PASSWORD
        );
        let insert = sqlx::query(&sql)
            .bind(password.tenant.0)
            .bind(password.user.0)
            .bind(&password.hash)
            .bind(password.created_at)
            .bind(password.updated_at);
        if self.execute(insert).await? > 0 {
            return Ok(false);
        }
        let update = sqlx::query(
            "UPDATE passwords SET hash = $1, updated_at = $2 WHERE tenant_id = $3 AND user_id = $4",
        )
        .bind(&password.hash)
        .bind(password.updated_at)
        .bind(password.tenant.0)
        .bind(password.user.0);
        match self.execute(update).await? {
            0 => Err(Error::NotFound(Entity::User)),
            _ => Ok(true),
        }
    }

    pub(super) async fn insert_session(&mut self, session: &Session) -> Result<()> {
        let sql = format!(
            "INSERT INTO sessions ({}) VALUES ($1, $2, $3, $4, $5)",
            rows::SESSION
        );
        let query = sqlx::query(&sql)
            .bind(session.tenant.0)
            .bind(session.id)
            .bind(session.user.0)
            .bind(session.created_at)
            .bind(session.expires_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_session(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn delete_user_sessions(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64> {
        let query = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant.0)
            .bind(user.0);
        self.execute(query).await
    }

    pub(super) async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> Result<u64> {
        let query = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now);
        self.execute(query).await
    }
}
