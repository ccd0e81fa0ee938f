//! The audit log.

use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Page, Paged, Result};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use time::OffsetDateTime;

use crate::rows;

use super::{PostgresTx, ReadWrite, limits};

/// Every filter of an [`AuditQuery`], with an absent one as NULL (or an empty array) that matches
/// everything. Time bounds are exclusive. Substrings use `strpos`, not `LIKE`, so `%` and `_` in a
/// search are plain text.
const AUDIT_FILTER: &str = "WHERE tenant_id = $1
      AND ($2::timestamptz IS NULL OR created_at > $2)
      AND ($3::timestamptz IS NULL OR created_at < $3)
      AND (cardinality($4::text[]) = 0 OR kind = ANY($4))
      AND ($5::text IS NULL OR strpos(actor_user_id, $5) > 0)
      AND ($6::text IS NULL OR strpos(source_ip, $6) > 0)
      AND ($7::text IS NULL OR strpos(actor_user_id, $7) > 0 OR strpos(source_ip, $7) > 0)";

fn audit_query<'q>(
    sql: &'q str,
    tenant: TenantId,
    query: &'q AuditQuery,
) -> Query<'q, Postgres, PgArguments> {
    sqlx::query(sql)
        .bind(tenant.0)
        .bind(query.start_time)
        .bind(query.end_time)
        .bind(&query.kinds)
        .bind(query.actor_user_id.as_deref())
        .bind(query.source_ip.as_deref())
        .bind(query.text.as_deref())
}

impl<M> PostgresTx<M> {
    pub(super) async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let (limit, offset) = limits(page);
        let sql = format!(
            "SELECT {} FROM audit_events {AUDIT_FILTER} ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
            rows::AUDIT_EVENT
        );
        let items = self
            .all(
                audit_query(&sql, tenant, query).bind(limit).bind(offset),
                rows::audit_event,
            )
            .await?;
        let count = format!("SELECT count(*) FROM audit_events {AUDIT_FILTER}");
        let total = self.count(audit_query(&count, tenant, query)).await?;
        Ok(Paged { items, total })
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO audit_events (tenant_id, id, kind, error, request_id, source_ip, user_agent, \
             actor_user_id, transaction_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(event.tenant.0)
        .bind(event.id)
        .bind(&event.kind)
        .bind(event.error.as_deref())
        .bind(&event.request_id)
        .bind(&event.source_ip)
        .bind(&event.user_agent)
        .bind(event.actor_user_id.as_deref())
        .bind(event.transaction_id.as_deref())
        .bind(event.created_at);
        self.execute(query).await.map(drop)
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
