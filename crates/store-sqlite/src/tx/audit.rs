//! The audit log.

use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Page, Paged, Result};
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let start = query.start_time.map(micros).transpose()?;
        let end = query.end_time.map(micros).transpose()?;
        // instr() rather than LIKE: it is case-sensitive and has no wildcards, as the contract
        // asks; a NULL actor matches no actor substring.
        let from_where = |q: &mut QueryBuilder<'_, Sqlite>| {
            q.push(" FROM audit_events WHERE tenant_id = ")
                .push_bind(tenant.0);
            if let Some(start) = start {
                q.push(" AND created_at > ").push_bind(start);
            }
            if let Some(end) = end {
                q.push(" AND created_at < ").push_bind(end);
            }
            if !query.kinds.is_empty() {
                q.push(" AND kind IN (");
                let mut kinds = q.separated(", ");
                for kind in &query.kinds {
                    kinds.push_bind(kind.clone());
                }
                q.push(")");
            }
            if let Some(actor) = &query.actor_user_id {
                q.push(" AND instr(actor_user_id, ")
                    .push_bind(actor.clone())
                    .push(") > 0");
            }
            if let Some(ip) = &query.source_ip {
                q.push(" AND instr(source_ip, ")
                    .push_bind(ip.clone())
                    .push(") > 0");
            }
            if let Some(text) = &query.text {
                q.push(" AND (instr(actor_user_id, ")
                    .push_bind(text.clone());
                q.push(") > 0 OR instr(source_ip, ")
                    .push_bind(text.clone())
                    .push(") > 0)");
            }
        };
        let newest_first = "created_at DESC, id DESC";
        self.paged(
            rows::AUDIT_EVENT,
            from_where,
            newest_first,
            page,
            rows::audit_event,
        )
        .await
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let sql = format!(
            "INSERT INTO audit_events ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::AUDIT_EVENT
        );
        let query = sqlx::query(&sql)
            .bind(event.tenant.0)
            .bind(event.id)
            .bind(&event.kind)
            .bind(&event.error)
            .bind(&event.request_id)
            .bind(&event.source_ip)
            .bind(&event.user_agent)
            .bind(&event.actor_user_id)
            .bind(&event.transaction_id)
            .bind(micros(event.created_at)?);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        // In batches, so that one pass holds the write lock only briefly.
        let query = sqlx::query(
            "DELETE FROM audit_events WHERE rowid IN \
             (SELECT rowid FROM audit_events WHERE created_at < ? LIMIT ?)",
        )
        .bind(micros(before)?)
        .bind(limit);
        self.execute(query).await
    }
}
