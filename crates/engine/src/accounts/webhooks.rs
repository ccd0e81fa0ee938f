//! Webhooks of the Hanko Public API (v0.12): hooks of the tenant's configuration and hooks an
//! administrator adds, events fired by account changes, and their delivery from an outbox.
//!
//! An event's deliveries are written in the transaction of the change that fired it, so a
//! change rolled back sends nothing and a committed one is never lost (v0.12 fires from a
//! goroutine before its transaction commits, and forgets what a restart interrupts). The
//! server's delivery task claims due deliveries with a lease, posts them, and reports each
//! attempt back; failed attempts are retried with exponential backoff.
//!
//! The token is signed when a delivery is attempted, not when the event fires, so an attempt
//! after a long wait still carries a token that has not expired.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};
use tokio::sync::Notify;
use uuid::Uuid;

use super::admin::{ManagedAccount, with_passkeys};
use super::public_config;
use crate::model::webhooks::{
    ConfigHook, Webhook, WebhookDelivery, WebhookEvent, WebhookSubscription, check_callback,
    check_events, subscribed,
};
use crate::model::{Credential, Email, Tenant, TenantId, UserId};
use crate::tokens::sign_jwt;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

/// A hook added through the admin API expires after this long without a successful delivery
/// (when the tenant lets hooks expire), as in the original.
pub const WEBHOOK_LIFETIME: Duration = Duration::days(30);
/// Deliveries given up in a row that a hook added through the admin API survives; the next
/// disables it (the original counts failed posts, latchkey counts deliveries given up after
/// every retry).
pub const MAX_WEBHOOK_FAILURES: u32 = 5;
/// Attempts of one delivery before it is given up.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 10;
/// The wait after the first failed attempt; it doubles after each further one.
pub const FIRST_RETRY: Duration = Duration::seconds(5);
/// The longest wait between two attempts.
pub const LONGEST_RETRY: Duration = Duration::hours(1);
/// How long a claimed delivery is left to the instance that claimed it: longer than an
/// attempt can take (the server gives a post 10 seconds). An instance that stops mid-attempt
/// leaves its deliveries to others after this.
pub const DELIVERY_LEASE: Duration = Duration::seconds(60);
/// The token's lifetime, as in the original.
const TOKEN_LIFETIME: Duration = Duration::minutes(5);
/// The token's subject, fixed in the original.
const TOKEN_SUBJECT: &str = "hanko webhooks";

/// The hooks of a tenant, as `GET /webhooks` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookListing {
    /// Hooks added through the admin API, enabled or not.
    pub database: Vec<Webhook>,
    /// Hooks of the configuration.
    pub config: Vec<ConfigHook>,
}

/// A delivery ready to be posted: its body carries a freshly signed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingWebhook {
    /// The delivery, leased to this instance.
    pub delivery: WebhookDelivery,
    /// `{"token":"<JWS>","event":"<event>"}`.
    pub body: String,
}

/// The `email.send` event of a passcode, in the original's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailSend {
    /// The mail's subject.
    pub subject: String,
    /// The mail's text.
    pub body_plain: String,
    /// The address it is for.
    pub to_email_address: String,
    /// Whether latchkey sent the mail (false: the deployment sends it itself).
    pub delivered_by_hanko: bool,
    /// The request's `Accept-Language` header, as it came.
    pub accept_language: String,
    /// Always `passcode`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What the mail was made from.
    pub data: PasscodeMailData,
}

/// `data` of [`EmailSend`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasscodeMailData {
    /// `service.name`.
    pub service_name: String,
    /// The six digits.
    pub otp_code: String,
    /// Seconds the passcode is valid.
    pub ttl: u32,
    /// When it expires, in seconds since the Unix epoch.
    pub valid_until: i64,
}

/// A user as the original's admin `User` marshals it: the admin API's answer, and the `data`
/// of user events. Empty lists are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserData {
    id: Uuid,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    webauthn_credentials: Vec<PasskeyData>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    emails: Vec<EmailData>,
    created_at: String,
    updated_at: String,
}

impl From<ManagedAccount> for UserData {
    fn from(account: ManagedAccount) -> Self {
        Self {
            id: account.user.id.0,
            webauthn_credentials: account
                .credentials
                .into_iter()
                .map(PasskeyData::from)
                .collect(),
            emails: account.emails.into_iter().map(EmailData::from).collect(),
            created_at: go_time(account.user.created_at),
            updated_at: go_time(account.updated_at),
        }
    }
}

/// An address as the original's admin `Email` marshals it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailData {
    id: Uuid,
    address: String,
    is_verified: bool,
    is_primary: bool,
    created_at: String,
    updated_at: String,
}

impl From<Email> for EmailData {
    fn from(email: Email) -> Self {
        Self {
            id: email.id,
            address: email.address,
            is_verified: email.verified,
            is_primary: email.primary,
            created_at: go_time(email.created_at),
            updated_at: go_time(email.updated_at),
        }
    }
}

/// A passkey as the original's `WebauthnCredentialResponse` marshals it, in the Public API's
/// listing, the admin API and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasskeyData {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    public_key: String,
    attestation_type: String,
    aaguid: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
    created_at: String,
    transports: Vec<String>,
    backup_eligible: bool,
    backup_state: bool,
}

impl From<Credential> for PasskeyData {
    fn from(credential: Credential) -> Self {
        Self {
            id: URL_SAFE_NO_PAD.encode(&credential.id),
            name: credential.name,
            public_key: URL_SAFE_NO_PAD.encode(&credential.public_key),
            attestation_type: credential.attestation_format,
            aaguid: Uuid::from_bytes(credential.aaguid),
            last_used_at: credential.last_used_at.map(go_time),
            created_at: go_time(credential.created_at),
            transports: credential.transports,
            backup_eligible: credential.backup_eligible,
            backup_state: credential.backup_state,
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'static str,
    iat: i64,
    exp: i64,
    aud: Vec<String>,
    evt: &'a str,
    data: serde_json::Value,
}

#[derive(Serialize)]
struct Body<'a> {
    token: &'a str,
    event: &'a str,
}

/// Times as Go's `time.Time` marshals them: RFC 3339 in UTC with as many fractional digits as
/// needed.
pub fn go_time(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Whether the tenant's events go anywhere: nothing fires while `webhooks.enabled` is off.
fn fires(tenant: &Tenant) -> bool {
    let config = &tenant.config.hanko_public;
    config.enabled && config.webhooks.enabled
}

/// When the attempt after `attempts` failed ones is due: [`FIRST_RETRY`] doubled for each
/// failure after the first, at most [`LONGEST_RETRY`].
pub fn retry_delay(attempts: u32) -> Duration {
    // Twenty doublings of the first wait are far beyond the longest.
    let doublings = attempts.saturating_sub(1).min(20);
    (FIRST_RETRY * (1_i32 << doublings)).min(LONGEST_RETRY)
}

/// Refuses what the original's admin API refuses, and duplicate events, which it accepted and
/// then failed on with a 500.
fn checked_hook(callback: &str, events: &[String]) -> Result<()> {
    check_callback(callback).map_err(|reason| Error::Invalid {
        field: "callback",
        reason,
    })?;
    if events.is_empty() {
        return Err(Error::Invalid {
            field: "events",
            reason: "at least one event is required".to_owned(),
        });
    }
    check_events(events).map_err(|reason| Error::Invalid {
        field: "events",
        reason,
    })
}

fn subscriptions(events: &[String]) -> Vec<WebhookSubscription> {
    events
        .iter()
        .map(|event| WebhookSubscription {
            id: Uuid::new_v4(),
            event: event.clone(),
        })
        .collect()
}

impl<S: Store> Engine<S> {
    /// What the server's delivery task waits on besides its poll interval: notified after a
    /// commit that put deliveries into the outbox.
    pub fn webhook_wakeup(&self) -> Arc<Notify> {
        Arc::clone(&self.webhook_wakeup)
    }

    /// Wakes the delivery task; called after a commit that may have written deliveries.
    pub fn wake_webhooks(&self) {
        self.webhook_wakeup.notify_one();
    }

    /// The tenant's hooks: those added through the admin API and those of its configuration.
    pub async fn webhooks(&self, tenant: TenantId) -> Result<WebhookListing> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        Ok(WebhookListing {
            database: tx.webhooks(tenant.id).await?,
            config: public_config(&tenant)?.webhooks.hooks.clone(),
        })
    }

    /// The hook `id` added through the admin API.
    pub async fn webhook(&self, tenant: TenantId, id: Uuid) -> Result<Webhook> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        tx.webhook(tenant.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))
    }

    /// Adds an enabled hook, with its events, in one transaction.
    pub async fn create_webhook(
        &self,
        tenant: TenantId,
        callback: &str,
        events: &[String],
    ) -> Result<Webhook> {
        let tenant = self.accounts_tenant(tenant).await?;
        checked_hook(callback, events)?;
        let now = self.now();
        let hook = Webhook {
            id: Uuid::new_v4(),
            tenant: tenant.id,
            callback: callback.to_owned(),
            enabled: true,
            failures: 0,
            expires_at: now + WEBHOOK_LIFETIME,
            events: subscriptions(events),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_webhook(&hook).await?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Replaces a hook's callback and events and enables or disables it; like the original,
    /// it forgets the hook's failures and starts its 30 days again.
    pub async fn update_webhook(
        &self,
        tenant: TenantId,
        id: Uuid,
        callback: &str,
        events: &[String],
        enabled: bool,
    ) -> Result<Webhook> {
        let tenant = self.accounts_tenant(tenant).await?;
        checked_hook(callback, events)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let old = tx
            .webhook(tenant.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        let hook = Webhook {
            callback: callback.to_owned(),
            enabled,
            failures: 0,
            expires_at: now + WEBHOOK_LIFETIME,
            events: subscriptions(events),
            updated_at: now,
            ..old
        };
        tx.update_webhook(&hook).await?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Removes a hook with the deliveries still waiting for it.
    pub async fn delete_webhook(&self, tenant: TenantId, id: Uuid) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.write().await?;
        if !tx.delete_webhook(tenant.id, id).await? {
            return Err(Error::NotFound(Entity::Webhook));
        }
        tx.commit().await
    }

    /// Fires a user event in `tx`, with the user as `tx` sees them (so after the change that
    /// fired it): writes a delivery for each hook that subscribed to it. Nothing is sent
    /// unless `tx` commits; call [`Engine::wake_webhooks`] after the commit.
    pub async fn enqueue_user_event<T: WriteTx>(
        &self,
        tx: &mut T,
        tenant: &Tenant,
        event: WebhookEvent,
        user: UserId,
    ) -> Result<()> {
        if !fires(tenant) {
            return Ok(());
        }
        let data = self.user_event_data(tx, tenant.id, user).await?;
        self.enqueue_event(tx, tenant, event, &data).await
    }

    /// Deletes the user in `tx` and fires `user.delete` with the user as they were before;
    /// false if there is no such user.
    pub(crate) async fn delete_user_firing<T: WriteTx>(
        &self,
        tx: &mut T,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<bool> {
        let before = if fires(tenant) {
            match self.user_event_data(tx, tenant.id, user).await {
                Err(Error::NotFound(Entity::User)) => return Ok(false),
                data => Some(data?),
            }
        } else {
            None
        };
        if !tx.delete_user(tenant.id, user).await? {
            return Ok(false);
        }
        if let Some(data) = before {
            self.enqueue_event(tx, tenant, WebhookEvent::UserDelete, &data)
                .await?;
        }
        Ok(true)
    }

    /// The `data` of a user event: the user with their addresses and passkeys as `tx` sees
    /// them.
    async fn user_event_data<T: ReadTx>(
        &self,
        tx: &mut T,
        tenant: TenantId,
        user: UserId,
    ) -> Result<String> {
        let user = super::load_user(tx, tenant, user).await?;
        let emails = tx.emails(tenant, user.id).await?;
        let mut data = UserData::from(with_passkeys(tx, user, emails).await?);
        // v0.12 does not load the transports of the passkeys in an event.
        for passkey in &mut data.webauthn_credentials {
            passkey.transports.clear();
        }
        serde_json::to_string(&data)
            .map_err(|_| Error::Storage("webhook data not serializable".to_owned()))
    }

    /// Writes a delivery of `event` with `data` (JSON text) for each hook of the tenant that
    /// subscribed to it; none while the tenant's `webhooks.enabled` is off.
    pub(crate) async fn enqueue_event<T: WriteTx>(
        &self,
        tx: &mut T,
        tenant: &Tenant,
        event: WebhookEvent,
        data: &str,
    ) -> Result<()> {
        let settings = &public_config(tenant)?.webhooks;
        if !fires(tenant) {
            return Ok(());
        }
        let fired = event.as_str();
        let now = self.now();
        let configured = settings
            .hooks
            .iter()
            .filter(|hook| subscribed(&hook.events, fired))
            .map(|hook| (None, hook.callback.clone()));
        let added: Vec<_> = tx
            .webhooks(tenant.id)
            .await?
            .into_iter()
            .filter(|hook| {
                let names: Vec<&str> = hook.events.iter().map(|e| e.event.as_str()).collect();
                hook.enabled && subscribed(&names, fired)
            })
            .map(|hook| (Some(hook.id), hook.callback))
            .collect();
        for (webhook, callback) in configured.chain(added) {
            tx.insert_webhook_delivery(&WebhookDelivery {
                id: Uuid::new_v4(),
                tenant: tenant.id,
                webhook,
                callback,
                event: fired.to_owned(),
                data: data.to_owned(),
                attempts: 0,
                due_at: now,
                leased_until: None,
                created_at: now,
            })
            .await?;
        }
        Ok(())
    }

    /// Fires `email.send` for a passcode mail, on its own: no change of the store goes with it.
    pub async fn enqueue_email_send(&self, tenant: TenantId, mail: &EmailSend) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let data = serde_json::to_string(mail)
            .map_err(|_| Error::Storage("webhook data not serializable".to_owned()))?;
        let mut tx = self.store.write().await?;
        self.enqueue_event(&mut tx, &tenant, WebhookEvent::EmailSend, &data)
            .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Leases up to `limit` due deliveries and signs a token for each. Deliveries whose hook
    /// is gone, disabled or expired, or whose tenant stopped serving webhooks, are removed
    /// instead: their hook would not have fired.
    pub async fn claim_webhooks(&self, limit: u32) -> Result<Vec<OutgoingWebhook>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let claimed = tx
            .claim_webhook_deliveries(now, now + DELIVERY_LEASE, limit)
            .await?;
        tx.commit().await?;
        let mut outgoing = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            match self.prepare(&delivery, now).await {
                Ok(Some(body)) => outgoing.push(OutgoingWebhook { delivery, body }),
                Ok(None) => {
                    let mut tx = self.store.write().await?;
                    tx.delete_webhook_delivery(delivery.tenant, delivery.id)
                        .await?;
                    tx.commit().await?;
                }
                Err(error) => {
                    self.record_webhook_attempt(&delivery, false).await?;
                    return Err(error);
                }
            }
        }
        Ok(outgoing)
    }

    /// The body of the delivery's next attempt; `None` when it is not to be sent any more.
    async fn prepare(
        &self,
        delivery: &WebhookDelivery,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let tenant = match self.cached_tenant(delivery.tenant).await {
            Ok(tenant) => tenant,
            Err(Error::NotFound(Entity::Tenant)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let config = &tenant.config.hanko_public;
        if !fires(&tenant) {
            return Ok(None);
        }
        let mut tx = self.store.read().await?;
        if let Some(id) = delivery.webhook {
            let Some(hook) = tx.webhook(tenant.id, id).await? else {
                return Ok(None);
            };
            if !hook.enabled {
                return Ok(None);
            }
            if config.webhooks.allow_time_expiration && hook.expires_at < now {
                drop(tx);
                let mut tx = self.store.write().await?;
                tx.expire_webhook(tenant.id, id, now).await?;
                tx.commit().await?;
                return Ok(None);
            }
        }
        let pending = self.signing_key(&mut tx, &tenant).await?;
        drop(tx);
        let signer = self.signer(pending, now).await?;
        let audience = if config.session.audience.is_empty() {
            vec![tenant.config.relying_party.id.clone()]
        } else {
            config.session.audience.clone()
        };
        let data = serde_json::from_str(&delivery.data)
            .map_err(|_| Error::Storage("stored webhook data is not valid".to_owned()))?;
        let claims = Claims {
            sub: TOKEN_SUBJECT,
            iat: now.unix_timestamp(),
            exp: (now + TOKEN_LIFETIME).unix_timestamp(),
            aud: audience,
            evt: &delivery.event,
            data,
        };
        let token = sign_jwt(&signer, &claims)?;
        let body = serde_json::to_string(&Body {
            token: &token,
            event: &delivery.event,
        })
        .map_err(|_| Error::Crypto("webhook body"))?;
        Ok(Some(body))
    }

    /// Records an attempt. A success removes the delivery and, for a hook added through the
    /// admin API, forgets its failures and starts its 30 days again, as the original does. A
    /// failure schedules the next attempt after [`retry_delay`], or gives the delivery up
    /// after [`MAX_DELIVERY_ATTEMPTS`] and counts that against its hook.
    pub async fn record_webhook_attempt(
        &self,
        delivery: &WebhookDelivery,
        delivered: bool,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let attempts = delivery.attempts.saturating_add(1);
        if delivered || attempts >= MAX_DELIVERY_ATTEMPTS {
            tx.delete_webhook_delivery(delivery.tenant, delivery.id)
                .await?;
            if let Some(id) = delivery.webhook {
                if delivered {
                    tx.reset_webhook(delivery.tenant, id, now + WEBHOOK_LIFETIME, now)
                        .await?;
                } else {
                    tx.count_webhook_failure(delivery.tenant, id, MAX_WEBHOOK_FAILURES)
                        .await?;
                }
            }
        } else {
            tx.reschedule_webhook_delivery(
                delivery.tenant,
                delivery.id,
                attempts,
                now + retry_delay(attempts),
            )
            .await?;
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::seconds(5));
        assert_eq!(retry_delay(2), Duration::seconds(10));
        assert_eq!(retry_delay(3), Duration::seconds(20));
        assert_eq!(retry_delay(9), Duration::seconds(1_280));
        assert_eq!(retry_delay(11), LONGEST_RETRY);
        assert_eq!(retry_delay(u32::MAX), LONGEST_RETRY);
    }
}
