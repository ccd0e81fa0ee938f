//! The audit log.

use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Page, Paged, Result};
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        // strpos() rather than LIKE: it is case-sensitive and has no wildcards, as the contract
        // asks; a NULL actor matches no actor substring.
        let from_where = |q: &mut QueryBuilder<'_, Postgres>| {
            q.push(" FROM audit_events WHERE tenant_id = ")
                .push_bind(tenant.0);
            if let Some(start) = query.start_time {
                q.push(" AND created_at > ").push_bind(start);
            }
            if let Some(end) = query.end_time {
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
                q.push(" AND strpos(actor_user_id, ")
                    .push_bind(actor.clone())
                    .push(") > 0");
            }
            if let Some(ip) = &query.source_ip {
                q.push(" AND strpos(source_ip, ")
                    .push_bind(ip.clone())
                    .push(") > 0");
            }
            if let Some(text) = &query.text {
                q.push(" AND (strpos(actor_user_id, ")
                    .push_bind(text.clone());
                q.push(") > 0 OR strpos(source_ip, ")
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

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let sql = format!(
            "INSERT INTO audit_events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
            .bind(event.created_at);
        self.execute(query).await?;
        Ok(())
    }

    pub(super) async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        // In batches, so that one pass holds its row locks only briefly.
        let query = sqlx::query(
            "DELETE FROM audit_events WHERE ctid = ANY(ARRAY(\
             SELECT ctid FROM audit_events WHERE created_at < $1 LIMIT $2))",
        )
        .bind(before)
        .bind(i64::from(limit));
        self.execute(query).await
    }
}
