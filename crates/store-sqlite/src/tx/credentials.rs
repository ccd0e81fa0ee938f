//! Credentials (passkeys) and their use.

use latchkey_engine::model::{Credential, TenantId, UserId};
use latchkey_engine::{LoginRecord, Page, Paged, Result};
use rusqlite::params;
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, Sql, SqliteTx, by_creation, uuid};

impl<M> SqliteTx<M> {
    pub(super) fn credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {} FROM credentials WHERE tenant_id = ? AND id = ?",
            rows::CREDENTIAL
        );
        self.optional(&sql, params![tenant.0, id], rows::credential)
    }

    pub(super) fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        let mut from_where = Sql::new(" FROM credentials WHERE tenant_id = ");
        from_where.bind(uuid(tenant.0));
        if let Some(user) = user {
            from_where.push(" AND user_id = ").bind(uuid(user.0));
        }
        self.paged(
            rows::CREDENTIAL,
            &from_where,
            by_creation(page),
            page,
            rows::credential,
        )
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        let sql = format!(
            "INSERT INTO credentials ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::CREDENTIAL
        );
        self.execute(
            &sql,
            params![
                credential.tenant.0,
                credential.id,
                credential.user.0,
                credential.name,
                credential.public_key,
                credential.attestation_format,
                credential.aaguid.as_slice(),
                i64::from(credential.sign_count),
                rows::transports_json(&credential.transports)?,
                credential.backup_eligible,
                credential.backup_state,
                credential.is_mfa,
                micros(credential.created_at)?,
                credential.last_used_at.map(micros).transpose()?,
                credential.discoverable,
                credential
                    .credential_protection
                    .map(|level| i64::from(level.level())),
                credential.min_pin_length.map(i64::from),
            ],
        )?;
        Ok(())
    }

    pub(super) fn rename_credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        name: &str,
    ) -> Result<bool> {
        let changed = self.execute(
            "UPDATE credentials SET name = ? WHERE tenant_id = ? AND id = ?",
            params![name, tenant.0, id],
        )?;
        Ok(changed > 0)
    }

    /// The counter rule is the update's condition, so deciding and writing are one step: no
    /// other writer runs in between (SQLite has one writer at a time).
    pub(super) fn record_login(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        sign_count: u32,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<LoginRecord> {
        let at = micros(at)?;
        let counted = self.execute(
            "UPDATE credentials SET sign_count = ?1, backup_state = ?2, last_used_at = ?3 \
             WHERE tenant_id = ?4 AND id = ?5 AND (sign_count < ?1 OR (?1 = 0 AND sign_count = 0))",
            params![i64::from(sign_count), backup_state, at, tenant.0, id],
        )?;
        if counted > 0 {
            return Ok(LoginRecord::Counted);
        }
        let seen = self.optional(
            "UPDATE credentials SET backup_state = ?, last_used_at = ? WHERE tenant_id = ? AND id = ? \
             RETURNING sign_count",
            params![backup_state, at, tenant.0, id],
            rows::sign_count,
        )?;
        Ok(match seen {
            None => LoginRecord::Missing,
            Some(stored) => LoginRecord::NotIncreased { stored },
        })
    }

    pub(super) fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        let changed = self.execute(
            "DELETE FROM credentials WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(changed > 0)
    }
}
