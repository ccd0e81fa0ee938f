//! The audit log.

use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Page, Paged, Result};
use rusqlite::params;
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, Sql, SqliteTx, uuid};

impl<M> SqliteTx<M> {
    pub(super) fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let mut from_where = Sql::new(" FROM audit_events WHERE tenant_id = ");
        from_where.bind(uuid(tenant.0));
        if let Some(start) = query.start_time {
            from_where.push(" AND created_at > ").bind(micros(start)?);
        }
        if let Some(end) = query.end_time {
            from_where.push(" AND created_at < ").bind(micros(end)?);
        }
        if !query.kinds.is_empty() {
            from_where
                .push(" AND kind IN (")
                .bind_list(query.kinds.iter().cloned())
                .push(")");
        }
        // instr() rather than LIKE: it is case-sensitive and has no wildcards, as the contract
        // asks; a NULL actor matches no actor substring.
        if let Some(actor) = &query.actor_user_id {
            from_where
                .push(" AND instr(actor_user_id, ")
                .bind(actor.clone())
                .push(") > 0");
        }
        if let Some(ip) = &query.source_ip {
            from_where
                .push(" AND instr(source_ip, ")
                .bind(ip.clone())
                .push(") > 0");
        }
        if let Some(text) = &query.text {
            from_where
                .push(" AND (instr(actor_user_id, ")
                .bind(text.clone())
                .push(") > 0 OR instr(source_ip, ")
                .bind(text.clone())
                .push(") > 0)");
        }
        let newest_first = "created_at DESC, id DESC";
        self.paged(
            rows::AUDIT_EVENT,
            &from_where,
            newest_first,
            page,
            rows::audit_event,
        )
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let sql = format!(
            "INSERT INTO audit_events ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::AUDIT_EVENT
        );
        self.execute(
            &sql,
            params![
                event.tenant.0,
                event.id,
                event.kind,
                event.error,
                event.request_id,
                event.source_ip,
                event.user_agent,
                event.actor_user_id,
                event.transaction_id,
                micros(event.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        // In batches, so that one pass holds the write lock only briefly. Events are clustered
        // by tenant and time, so each tenant's old events are one range of the table; CROSS JOIN
        // keeps tenants the outer loop, which SQLite would otherwise not know to choose.
        self.execute(
            "DELETE FROM audit_events WHERE (tenant_id, created_at, id) IN \
             (SELECT a.tenant_id, a.created_at, a.id FROM tenants t CROSS JOIN audit_events a \
              WHERE a.tenant_id = t.id AND a.created_at < ? LIMIT ?)",
            params![micros(before)?, limit],
        )
    }
}
