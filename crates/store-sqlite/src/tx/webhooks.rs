//! Webhooks added through the admin API, and the outbox of their deliveries.

use latchkey_engine::Result;
use latchkey_engine::model::TenantId;
use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery};
use rusqlite::params;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows::{self, micros};

use super::{ReadWrite, SqliteTx};

impl<M> SqliteTx<M> {
    pub(super) fn webhooks(&mut self, tenant: TenantId) -> Result<Vec<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhooks WHERE tenant_id = ? ORDER BY created_at, id",
            rows::WEBHOOK
        );
        let hooks = self.all(&sql, params![tenant.0], rows::webhook)?;
        self.with_events(tenant, hooks)
    }

    pub(super) fn webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhooks WHERE tenant_id = ? AND id = ?",
            rows::WEBHOOK
        );
        let Some(hook) = self.optional(&sql, params![tenant.0, id], rows::webhook)? else {
            return Ok(None);
        };
        Ok(self.with_events(tenant, vec![hook])?.pop())
    }

    fn with_events(&mut self, tenant: TenantId, mut hooks: Vec<Webhook>) -> Result<Vec<Webhook>> {
        let sql = format!(
            "SELECT {} FROM webhook_events WHERE tenant_id = ? ORDER BY webhook_id, position",
            rows::WEBHOOK_EVENT
        );
        for (webhook, event) in self.all(&sql, params![tenant.0], rows::webhook_event)? {
            if let Some(hook) = hooks.iter_mut().find(|hook| hook.id == webhook) {
                hook.events.push(event);
            }
        }
        Ok(hooks)
    }
}

impl SqliteTx<ReadWrite> {
    pub(super) fn insert_webhook(&mut self, webhook: &Webhook) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhooks ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows::WEBHOOK
        );
        self.execute(
            &sql,
            params![
                webhook.tenant.0,
                webhook.id,
                webhook.callback,
                webhook.enabled,
                webhook.failures,
                micros(webhook.expires_at)?,
                micros(webhook.created_at)?,
                micros(webhook.updated_at)?,
            ],
        )?;
        self.insert_webhook_events(webhook)
    }

    fn insert_webhook_events(&mut self, webhook: &Webhook) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhook_events ({}) VALUES (?, ?, ?, ?, ?)",
            rows::WEBHOOK_EVENT
        );
        for (position, event) in webhook.events.iter().enumerate() {
            self.execute(
                &sql,
                params![
                    webhook.tenant.0,
                    webhook.id,
                    event.id,
                    event.event,
                    i64::try_from(position).unwrap_or(i64::MAX),
                ],
            )?;
        }
        Ok(())
    }

    pub(super) fn update_webhook(&mut self, webhook: &Webhook) -> Result<bool> {
        let updated = self.execute(
            "UPDATE webhooks SET callback = ?, enabled = ?, failures = ?, expires_at = ?, \
             updated_at = ? WHERE tenant_id = ? AND id = ?",
            params![
                webhook.callback,
                webhook.enabled,
                webhook.failures,
                micros(webhook.expires_at)?,
                micros(webhook.updated_at)?,
                webhook.tenant.0,
                webhook.id,
            ],
        )?;
        if updated == 0 {
            return Ok(false);
        }
        self.execute(
            "DELETE FROM webhook_events WHERE tenant_id = ? AND webhook_id = ?",
            params![webhook.tenant.0, webhook.id],
        )?;
        self.insert_webhook_events(webhook)?;
        Ok(true)
    }

    pub(super) fn delete_webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let deleted = self.execute(
            "DELETE FROM webhooks WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(deleted > 0)
    }

    pub(super) fn count_webhook_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        max_failures: u32,
    ) -> Result<Option<Webhook>> {
        let updated = self.execute(
            "UPDATE webhooks SET failures = failures + 1, \
             enabled = enabled AND failures + 1 <= ? WHERE tenant_id = ? AND id = ?",
            params![max_failures, tenant.0, id],
        )?;
        if updated == 0 {
            return Ok(None);
        }
        self.webhook(tenant, id)
    }

    pub(super) fn reset_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        expires_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let updated = self.execute(
            "UPDATE webhooks SET failures = 0, expires_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
            params![micros(expires_at)?, micros(at)?, tenant.0, id],
        )?;
        Ok(updated > 0)
    }

    pub(super) fn expire_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let updated = self.execute(
            "UPDATE webhooks SET enabled = 0, updated_at = ?1 \
             WHERE tenant_id = ?2 AND id = ?3 AND enabled AND expires_at < ?1",
            params![micros(now)?, tenant.0, id],
        )?;
        Ok(updated > 0)
    }

    pub(super) fn insert_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows::WEBHOOK_DELIVERY
        );
        self.execute(
            &sql,
            params![
                delivery.tenant.0,
                delivery.id,
                delivery.webhook,
                delivery.callback,
                delivery.event,
                delivery.data,
                delivery.attempts,
                micros(delivery.due_at)?,
                delivery.leased_until.map(micros).transpose()?,
                micros(delivery.created_at)?,
            ],
        )?;
        Ok(())
    }

    pub(super) fn claim_webhook_deliveries(
        &mut self,
        now: OffsetDateTime,
        leased_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        // The write transaction holds SQLite's only write lock: no other claim runs meanwhile.
        let sql = format!(
            "UPDATE webhook_deliveries SET leased_until = ?1 WHERE (tenant_id, id) IN \
             (SELECT tenant_id, id FROM webhook_deliveries WHERE due_at <= ?2 \
              AND (leased_until IS NULL OR leased_until <= ?2) ORDER BY due_at LIMIT ?3) \
             RETURNING {}",
            rows::WEBHOOK_DELIVERY
        );
        let mut claimed = self.all(
            &sql,
            params![micros(leased_until)?, micros(now)?, limit],
            rows::webhook_delivery,
        )?;
        claimed.sort_by_key(|delivery| delivery.due_at);
        Ok(claimed)
    }

    pub(super) fn reschedule_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        due_at: OffsetDateTime,
    ) -> Result<bool> {
        let updated = self.execute(
            "UPDATE webhook_deliveries SET attempts = ?, due_at = ?, leased_until = NULL \
             WHERE tenant_id = ? AND id = ?",
            params![attempts, micros(due_at)?, tenant.0, id],
        )?;
        Ok(updated > 0)
    }

    pub(super) fn delete_webhook_delivery(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let deleted = self.execute(
            "DELETE FROM webhook_deliveries WHERE tenant_id = ? AND id = ?",
            params![tenant.0, id],
        )?;
        Ok(deleted > 0)
    }
}
