//! Passcodes: six digits sent to an email address, entered to log in, to finish a sign-up or
//! to prove an added address.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use time::Duration;
use uuid::Uuid;

use super::{IssuedSession, Limited, load_user, primary, public_config};
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::model::webhooks::WebhookEvent;
use crate::model::{Passcode, Tenant, TenantId, UserId};
use crate::rate_limit::Budget;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

/// Wrong codes a passcode survives; the last one deletes it.
pub const PASSCODE_MAX_ATTEMPTS: u32 = 3;

/// Codes are six decimal digits.
const CODE_SPACE: u32 = 1_000_000;

/// A request for a passcode, as `POST /passcode/login/initialize` makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasscodeRequest {
    /// The user to log in.
    pub user: UserId,
    /// The address to send to; the user's primary address when `None`.
    pub email: Option<Uuid>,
    /// The address a sign-up in this browser used (the `hanko_email_id` cookie), for a user
    /// who holds no address yet.
    pub signup_email: Option<Uuid>,
    /// The user of the session the request came with, if any.
    pub session_user: Option<UserId>,
}

/// A passcode just issued: what the client is told, and what the mail must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPasscode {
    /// The stored passcode (its hash only).
    pub passcode: Passcode,
    /// The six digits, for the mail; never stored.
    pub code: String,
    /// The address to send them to.
    pub address: String,
}

/// A correct passcode: the passcode it was and the session it opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasscodeLogin {
    /// The passcode, now used up.
    pub passcode: Passcode,
    /// The session.
    pub session: IssuedSession,
}

impl<S: Store> Engine<S> {
    /// Issues a passcode for the request's user and address. The budget (per user and client
    /// address) is spent only for a user who exists.
    pub async fn start_passcode(
        &self,
        tenant: TenantId,
        request: PasscodeRequest,
        meta: &RequestMeta,
    ) -> Limited<IssuedPasscode> {
        let tenant = match self.accounts_tenant(tenant).await {
            Ok(tenant) => tenant,
            Err(error) => return Limited::refused(error),
        };
        let actor = Some(request.user.0.hyphenated().to_string());
        let mut budget = None;
        let attempt = self.try_start_passcode(&tenant, request, meta, &mut budget);
        let outcome = self
            .audited(
                &tenant,
                AuditEventKind::PasscodeLoginInitFailed,
                actor,
                meta,
                attempt,
            )
            .await;
        Limited { budget, outcome }
    }

    async fn try_start_passcode(
        &self,
        tenant: &Tenant,
        request: PasscodeRequest,
        meta: &RequestMeta,
        budget: &mut Option<Budget>,
    ) -> Result<IssuedPasscode> {
        let config = public_config(tenant)?;
        let now = self.now();
        let mut tx = self.store.read().await?;
        load_user(&mut tx, tenant.id, request.user).await?;
        if config.rate_limiter.enabled {
            let key = format!(
                "hanko:passcode:{}:{}:{}",
                tenant.id.0, request.user.0, meta.source_ip
            );
            self.spend(budget, &key, &config.rate_limiter.passcode_limits)
                .await?;
        }
        let target = match request.email {
            Some(id) => Some(tx.email(tenant.id, id).await?.ok_or(Error::Invalid {
                field: "email_id",
                reason: "the specified emailId is not available".to_owned(),
            })?),
            None => {
                let held = tx.emails(tenant.id, request.user).await?;
                match primary(&held) {
                    Some(email) => Some(email.clone()),
                    None => match request.signup_email {
                        Some(id) => tx.email(tenant.id, id).await?,
                        None => None,
                    },
                }
            }
        };
        let email = target.ok_or(Error::Invalid {
            field: "email_id",
            reason: "an emailId needs to be specified".to_owned(),
        })?;
        if request
            .session_user
            .is_some_and(|session| session != request.user)
        {
            return Err(Error::Forbidden("the session belongs to another user"));
        }
        if email.user.is_some_and(|holder| holder != request.user) {
            return Err(Error::Forbidden("the address belongs to another user"));
        }
        drop(tx);

        let code = self.passcode_code()?;
        let id = Uuid::new_v4();
        let passcode = Passcode {
            id,
            tenant: tenant.id,
            user: request.user,
            email: email.id,
            code_hash: self.master.passcode_mac(id, &code),
            ttl_seconds: config.passcode.ttl,
            failed_attempts: 0,
            created_at: now,
            expires_at: now + Duration::seconds(i64::from(config.passcode.ttl)),
        };
        let mut tx = self.store.write().await?;
        tx.insert_passcode(&passcode).await?;
        self.record_success(
            &mut tx,
            tenant,
            audit_event(
                tenant.id,
                AuditEventKind::PasscodeLoginInitSucceeded,
                None,
                Some(request.user.0.hyphenated().to_string()),
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedPasscode {
            passcode,
            code,
            address: email.address,
        })
    }

    /// Checks an entered code. A wrong one counts against the passcode, which is gone after
    /// [`PASSCODE_MAX_ATTEMPTS`]; the right one uses it up, proves its address (which becomes
    /// the user's, and their primary one if they have none) and opens a session — for the
    /// passcode's user when no session came with the request, or when the session is theirs.
    pub async fn finish_passcode(
        &self,
        tenant: TenantId,
        id: Uuid,
        code: &str,
        session_user: Option<UserId>,
        meta: &RequestMeta,
    ) -> Result<PasscodeLogin> {
        let tenant = self.accounts_tenant(tenant).await?;
        let attempt = async {
            let now = self.now();
            let mut tx = self.store.write().await?;
            let passcode = tx
                .passcode(tenant.id, id)
                .await?
                .ok_or(Error::NotFound(Entity::Passcode))?;
            if now > passcode.expires_at {
                return Err(Error::Expired(Entity::Passcode));
            }
            let entered = self.master.passcode_mac(id, code);
            if verify_slices_are_equal(&entered, &passcode.code_hash).is_err() {
                let failures = tx.count_passcode_failure(tenant.id, id).await?;
                let exhausted = failures.is_none_or(|count| count >= PASSCODE_MAX_ATTEMPTS);
                if exhausted {
                    tx.delete_passcode(tenant.id, id).await?;
                }
                // The count must stick although the request fails.
                tx.commit().await?;
                return Err(if failures.is_none() {
                    Error::NotFound(Entity::Passcode)
                } else if exhausted {
                    Error::AttemptsExhausted
                } else {
                    Error::WrongSecret(Entity::Passcode)
                });
            }
            if !tx.delete_passcode(tenant.id, id).await? {
                return Err(Error::NotFound(Entity::Passcode));
            }
            let user = passcode.user;
            let mut email = tx
                .email(tenant.id, passcode.email)
                .await?
                .ok_or(Error::NotFound(Entity::Email))?;
            if email.user.is_some_and(|holder| holder != user) {
                return Err(Error::Forbidden("the address belongs to another user"));
            }
            let held = tx.emails(tenant.id, user).await?;
            let allowed = match session_user {
                Some(session) => session == user,
                None => email.user == Some(user) || held.is_empty(),
            };
            if !allowed {
                return Err(Error::Forbidden("the passcode is for another user"));
            }
            let actor = Some(user.0.hyphenated().to_string());
            if !email.verified || email.user.is_none() {
                let claimed = email.user.is_none();
                email.verified = true;
                email.user = Some(user);
                email.updated_at = now;
                let becomes_primary = primary(&held).is_none();
                if becomes_primary {
                    email.primary = true;
                }
                tx.update_email(&email).await?;
                if claimed {
                    let event = WebhookEvent::address_added(held.is_empty());
                    self.enqueue_user_event(&mut tx, &tenant, event, user)
                        .await?;
                }
                if becomes_primary {
                    self.record_success(
                        &mut tx,
                        &tenant,
                        audit_event(
                            tenant.id,
                            AuditEventKind::PrimaryEmailChanged,
                            None,
                            actor.clone(),
                            meta,
                            now,
                        ),
                    )
                    .await?;
                }
                self.record_success(
                    &mut tx,
                    &tenant,
                    audit_event(
                        tenant.id,
                        AuditEventKind::EmailVerified,
                        None,
                        actor.clone(),
                        meta,
                        now,
                    ),
                )
                .await?;
            }
            self.record_success(
                &mut tx,
                &tenant,
                audit_event(
                    tenant.id,
                    AuditEventKind::PasscodeLoginFinalSucceeded,
                    None,
                    actor,
                    meta,
                    now,
                ),
            )
            .await?;
            let session = self.open_session(tx, &tenant, user, now).await?;
            self.wake_webhooks();
            Ok(PasscodeLogin { passcode, session })
        };
        self.audited(
            &tenant,
            AuditEventKind::PasscodeLoginFinalFailed,
            None,
            meta,
            attempt,
        )
        .await
    }

    /// Six digits, uniform over all million codes (rejection sampling: a plain remainder of a
    /// random `u32` would favour the low codes).
    fn passcode_code(&self) -> Result<String> {
        let limit = u32::MAX - u32::MAX % CODE_SPACE;
        loop {
            let mut bytes = [0; 4];
            self.fill_random(&mut bytes)?;
            let value = u32::from_le_bytes(bytes);
            if value < limit {
                return Ok(format!("{:06}", value % CODE_SPACE));
            }
        }
    }
}
