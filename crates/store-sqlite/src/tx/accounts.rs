//! What the Hanko Public API keeps of an account: email addresses, passcodes, passwords and
//! sessions.

use latchkey_engine::Result;
use latchkey_engine::model::{Email, Passcode, Password, Session, TenantId, UserId};
use rusqlite::params;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn email(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = ? AND id = ?",
            rows::EMAIL
        );
        self.optional(&sql, params![tenant.0, id], rows::email)
    }

    pub(super) fn email_by_address(
        &mut self,
        tenant: TenantId,
        address: &str,
    ) -> Result<Option<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = ? AND address = ?",
            rows::EMAIL
        );
        self.optional(&sql, params![tenant.0, address], rows::email)
    }

    pub(super) fn emails(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Email>> {
        let sql = format!(
            "SELECT {} FROM emails WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id",
            rows::EMAIL
        );
        self.all(&sql, params![tenant.0, user.0], rows::email)
    }

    pub(super) fn passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Passcode>> {
        let sql = format!(
            "SELECT {} FROM passcodes WHERE tenant_id = ? AND id = ?",
            rows::PASSCODE
        );
        self.optional(&sql, params![tenant.0, id], rows::passcode)
    }

    pub(super) fn password(&mut self, tenant: TenantId, user: UserId) -> Result<Option<Password>> {
        let sql = format!(
            "SELECT {} FROM passwords WHERE tenant_id = ? AND user_id = ?",
            rows::PASSWORD
        );
        self.optional(&sql, params![tenant.0, user.0], rows::password)
    }

    pub(super) fn session(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {} FROM sessions WHERE tenant_id = ? AND id = ?",
            rows::SESSION
        );
        self.optional(&sql, params![tenant.0, id], rows::session)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_email(&mut self, email: &Email) -> Result<()> {
        let sql = format!(
            "INSERT INTO emails ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows::EMAIL
        );
        self.execute(
            &sql,
            params![
                email.tenant.0,
                email.id,
                email.user.map(|user| user.0),
                email.address,
                email.verified,
                email.primary,
                micros(email.created_at)?,
                micros(email.updated_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn update_email(&mut self, email: &Email) -> Result<bool> {
        let changed = self.execute(
            "UPDATE emails SET user_id = ?, verified = ?, is_primary = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
            params![
                email.user.map(|user| user.0),
                email.verified,
                email.primary,
                micros(email.updated_at)?,
                email.tenant.0,
                email.id,
            ],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn delete_email(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM emails WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn insert_passcode(&mut self, passcode: &Passcode) -> Result<()> {
        let sql = format!(
            "INSERT INTO passcodes ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::PASSCODE
        );
        self.execute(
            &sql,
            params![
                passcode.tenant.0,
                passcode.id,
                passcode.user.0,
                passcode.email,
                passcode.code_hash.as_slice(),
                i64::from(passcode.ttl_seconds),
                i64::from(passcode.failed_attempts),
                micros(passcode.created_at)?,
                micros(passcode.expires_at)?,
            ],
        )?;
        Ok(())
    }

    /// Counting and reading back are one statement, so no two wrong codes read the same count.
    pub(super) fn count_passcode_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<u32>> {
        self.optional(
            "UPDATE passcodes SET failed_attempts = failed_attempts + 1 \
             WHERE tenant_id = ? AND id = ? RETURNING failed_attempts",
            params![tenant.0, id],
            rows::failed_attempts,
        )
    }

    /// The write transaction began with `BEGIN IMMEDIATE`: a concurrent finalize waits for this
    /// one and then finds nothing to delete.
    pub(super) fn delete_passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM passcodes WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn delete_expired_passcodes(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.execute(
            "DELETE FROM passcodes WHERE expires_at < ?",
            params![micros(now)?],
        )
    }

    /// Two statements, and no other writer runs in between (SQLite has one writer at a time):
    /// the insert cannot meet a password the update missed.
    pub(super) fn upsert_password(&mut self, password: &Password) -> Result<bool> {
        let replaced = self.execute(
            "UPDATE passwords SET hash = ?, updated_at = ? WHERE tenant_id = ? AND user_id = ?",
            params![
                password.hash,
                micros(password.updated_at)?,
                password.tenant.0,
                password.user.0,
            ],
        )?;
        if replaced > 0 {
            return Ok(true);
        }
        let sql = format!(
            "INSERT INTO passwords ({}) VALUES (?, ?, ?, ?, ?)",
            rows::PASSWORD
        );
        self.execute(
            &sql,
            params![
                password.tenant.0,
                password.user.0,
                password.hash,
                micros(password.created_at)?,
                micros(password.updated_at)?,
            ],
        )?;
        Ok(false)
    }

    pub(super) fn insert_session(&mut self, session: &Session) -> Result<()> {
        let sql = format!(
            "INSERT INTO sessions ({}) VALUES (?, ?, ?, ?, ?)",
            rows::SESSION
        );
        self.execute(
            &sql,
            params![
                session.tenant.0,
                session.id,
                session.user.0,
                micros(session.created_at)?,
                micros(session.expires_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn delete_session(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM sessions WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    pub(super) fn delete_user_sessions(&mut self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.execute(
            "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?",
            params![tenant.0, user.0],
        )
    }

    pub(super) fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.execute(
            "DELETE FROM sessions WHERE expires_at < ?",
            params![micros(now)?],
        )
    }
}
