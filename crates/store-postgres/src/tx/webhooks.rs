//! Webhooks added through the admin API, and the outbox of their deliveries.

use latchkey_engine::Result;
use latchkey_engine::model::TenantId;
use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows;

use super::{PostgresTx, ReadWrite};

impl<M> PostgresTx<M> {
    pub(super) async fn webhooks(&mut self, tenant: TenantId) -> Result<Vec<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::WEBHOOK
        );
        let hooks = self
            .all(sqlx::query(&sql).bind(tenant.0), rows::webhook)
            .await?;
        self.with_events(tenant, hooks).await
    }

    pub(super) async fn webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhooks WHERE tenant_id = $1 AND id = $2",
            rows::WEBHOOK
        );
        let query = sqlx::query(&sql).bind(tenant.0).bind(id);
        let Some(hook) = self.optional(query, rows::webhook).await? else {
            return Ok(None);
        };
        Ok(self.with_events(tenant, vec![hook]).await?.pop())
    }

    async fn with_events(
        &mut self,
        tenant: TenantId,
        mut hooks: Vec<Webhook>,
    ) -> Result<Vec<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhook_events WHERE tenant_id = $1 ORDER BY webhook_id, position",
            rows::WEBHOOK_EVENT
        );
        let events = self
            .all(sqlx::query(&sql).bind(tenant.0), rows::webhook_event)
            .await?;
        for (webhook, event) in events {
            if let Some(hook) = hooks.iter_mut().find(|hook| hook.id == webhook) {
                hook.events.push(event);
            }
        }
        Ok(hooks)
    }
}

impl PostgresTx<ReadWrite> {
    pub(super) async fn insert_webhook(&mut self, webhook: &Webhook) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhooks ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            rows::WEBHOOK
        );
        let query = sqlx::query(&sql)
            .bind(webhook.tenant.0)
            .bind(webhook.id)
            .bind(&webhook.callback)
            .bind(webhook.enabled)
            .bind(i64::from(webhook.failures))
            .bind(webhook.expires_at)
            .bind(webhook.created_at)
            .bind(webhook.updated_at);
        self.execute(query).await?;
        self.insert_webhook_events(webhook).await
    }

    async fn insert_webhook_events(&mut self, webhook: &Webhook) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhook_events ({}) VALUES ($1, $2, $3, $4, $5)",
            rows::WEBHOOK_EVENT
        );
        for (position, event) in webhook.events.iter().enumerate() {
            let query = sqlx::query(&sql)
                .bind(webhook.tenant.0)
                .bind(webhook.id)
                .bind(event.id)
                .bind(&event.event)
                .bind(i64::try_from(position).unwrap_or(i64::MAX));
            self.execute(query).await?;
        }
        Ok(())
    }

    pub(super) async fn update_webhook(&mut self, webhook: &Webhook) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE webhooks SET callback = $1, enabled = $2, failures = $3, expires_at = $4, \
             updated_at = $5 WHERE tenant_id = $6 AND id = $7",
        )
        .bind(&webhook.callback)
        .bind(webhook.enabled)
        .bind(i64::from(webhook.failures))
        .bind(webhook.expires_at)
        .bind(webhook.updated_at)
        .bind(webhook.tenant.0)
        .bind(webhook.id);
        if self.execute(query).await? == 0 {
            return Ok(false);
        }
        let query =
            sqlx::query("DELETE FROM webhook_events WHERE tenant_id = $1 AND webhook_id = $2")
                .bind(webhook.tenant.0)
                .bind(webhook.id);
        self.execute(query).await?;
        self.insert_webhook_events(webhook).await?;
        Ok(true)
    }

    pub(super) async fn delete_webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    /// One statement: concurrent failures of one hook wait for each other's row lock and all
    /// count.
    pub(super) async fn count_webhook_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        max_failures: u32,
    ) -> Result<Option<Webhook>> {
        let query = sqlx::query(
            "UPDATE webhooks SET failures = failures + 1, \
             enabled = enabled AND failures + 1 <= $1 WHERE tenant_id = $2 AND id = $3",
        )
        .bind(i64::from(max_failures))
        .bind(tenant.0)
        .bind(id);
        if self.execute(query).await? == 0 {
            return Ok(None);
        }
        self.webhook(tenant, id).await
    }

    pub(super) async fn reset_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        expires_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE webhooks SET failures = 0, expires_at = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(expires_at)
        .bind(at)
        .bind(tenant.0)
        .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn expire_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE webhooks SET enabled = false, updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND enabled AND expires_at < $1",
        )
        .bind(now)
        .bind(tenant.0)
        .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn insert_webhook_delivery(
        &mut self,
        delivery: &WebhookDelivery,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            rows::WEBHOOK_DELIVERY
        );
        let query = sqlx::query(&sql)
            .bind(delivery.tenant.0)
            .bind(delivery.id)
            .bind(delivery.webhook)
            .bind(&delivery.callback)
            .bind(&delivery.event)
            .bind(&delivery.data)
            .bind(i64::from(delivery.attempts))
            .bind(delivery.due_at)
            .bind(delivery.leased_until)
            .bind(delivery.created_at);
        self.execute(query).await?;
        Ok(())
    }

    /// `FOR UPDATE SKIP LOCKED`: a concurrent claim of another instance passes over the rows
    /// this one is leasing instead of waiting for them, and after its commit the lease keeps
    /// them.
    pub(super) async fn claim_webhook_deliveries(
        &mut self,
        now: OffsetDateTime,
        leased_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        let sql = format!(
            "UPDATE webhook_deliveries SET leased_until = $1 WHERE (tenant_id, id) IN \
             (SELECT tenant_id, id FROM webhook_deliveries WHERE due_at <= $2 \
              AND (leased_until IS NULL OR leased_until <= $2) ORDER BY due_at LIMIT $3 \
              FOR UPDATE SKIP LOCKED) \
             RETURNING {}",
            rows::WEBHOOK_DELIVERY
        );
        let query = sqlx::query(&sql)
            .bind(leased_until)
            .bind(now)
            .bind(i64::from(limit));
        let mut claimed = self.all(query, rows::webhook_delivery).await?;
        claimed.sort_by_key(|delivery| delivery.due_at);
        Ok(claimed)
    }

    pub(super) async fn reschedule_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        due_at: OffsetDateTime,
    ) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = $1, due_at = $2, leased_until = NULL \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(i64::from(attempts))
        .bind(due_at)
        .bind(tenant.0)
        .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    pub(super) async fn delete_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<bool> {
        let query = sqlx::query("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }
}
