//! A user's email addresses: list, add, make primary, remove.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{load_user, normalize_address, public_config};
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::model::webhooks::WebhookEvent;
use crate::model::{Email, TenantId, UserId};
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

impl<S: Store> Engine<S> {
    /// The addresses the user holds, oldest first.
    pub async fn emails(&self, tenant: TenantId, user: UserId) -> Result<Vec<Email>> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        load_user(&mut tx, tenant.id, user).await?;
        tx.emails(tenant.id, user).await
    }

    /// Adds an address for the user. With `emails.require_verification` it stays unheld
    /// until the user enters a passcode sent to it; without, it is theirs at once.
    /// `LimitReached(Email)` at `emails.max_num_of_addresses`, `Conflict(Email)` when another
    /// user (or this one) holds it.
    pub async fn add_email(
        &self,
        tenant: TenantId,
        user: UserId,
        address: &str,
        meta: &RequestMeta,
    ) -> Result<Email> {
        let tenant = self.accounts_tenant(tenant).await?;
        let config = public_config(&tenant)?;
        let address = normalize_address(address)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        load_user(&mut tx, tenant.id, user).await?;
        let held = tx.emails(tenant.id, user).await?;
        if held.len() >= usize::try_from(config.emails.max_num_of_addresses).unwrap_or(usize::MAX) {
            return Err(Error::LimitReached(Entity::Email));
        }
        let holder = (!config.emails.require_verification).then_some(user);
        let email = claim_address(&mut tx, tenant.id, address, holder, false, now).await?;
        if holder.is_some() {
            let event = WebhookEvent::address_added(held.is_empty());
            self.enqueue_user_event(&mut tx, &tenant, event, user)
                .await?;
        }
        let actor = Some(user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::EmailCreated,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(email)
    }

    /// Makes one of the user's addresses their primary one; a no-op if it already is.
    pub async fn set_primary_email(
        &self,
        tenant: TenantId,
        user: UserId,
        email: Uuid,
        meta: &RequestMeta,
    ) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let emails = tx.emails(tenant.id, user).await?;
        let mut chosen = emails
            .iter()
            .find(|held| held.id == email)
            .cloned()
            .ok_or(Error::NotFound(Entity::Email))?;
        if chosen.primary {
            return Ok(());
        }
        // One primary per user: the old one steps down first.
        for mut old in emails.into_iter().filter(|held| held.primary) {
            old.primary = false;
            old.updated_at = now;
            tx.update_email(&old).await?;
        }
        chosen.primary = true;
        chosen.updated_at = now;
        tx.update_email(&chosen).await?;
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::EmailPrimary, user)
            .await?;
        let actor = Some(user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::PrimaryEmailChanged,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Removes one of the user's addresses; `PrimaryEmail` for their primary one.
    pub async fn delete_email(
        &self,
        tenant: TenantId,
        user: UserId,
        email: Uuid,
        meta: &RequestMeta,
    ) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let held = tx
            .email(tenant.id, email)
            .await?
            .filter(|held| held.user == Some(user))
            .ok_or(Error::NotFound(Entity::Email))?;
        if held.primary {
            return Err(Error::PrimaryEmail);
        }
        tx.delete_email(tenant.id, email).await?;
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::EmailDelete, user)
            .await?;
        let actor = Some(user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::EmailDeleted,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }
}

/// The email of `address` for `holder` (`None`: unheld until a passcode proves it): a new row,
/// or the row of an address nobody holds yet (a sign-up or addition still waiting for its
/// passcode), which whoever proves it gets. `Conflict(Email)` when a user holds it. `primary`
/// applies when the address gets a holder.
pub(super) async fn claim_address<T: WriteTx>(
    tx: &mut T,
    tenant: TenantId,
    address: String,
    holder: Option<UserId>,
    primary: bool,
    now: OffsetDateTime,
) -> Result<Email> {
    match tx.email_by_address(tenant, &address).await? {
        Some(email) if email.user.is_some() => Err(Error::Conflict(Entity::Email)),
        Some(mut pending) => {
            if holder.is_some() {
                pending.user = holder;
                pending.primary = primary;
                pending.updated_at = now;
                tx.update_email(&pending).await?;
            }
            Ok(pending)
        }
        None => {
            let email = Email {
                id: Uuid::new_v4(),
                tenant,
                user: holder,
                address,
                verified: false,
                primary: primary && holder.is_some(),
                created_at: now,
                updated_at: now,
            };
            tx.insert_email(&email).await?;
            Ok(email)
        }
    }
}
