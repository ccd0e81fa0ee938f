//! Passwords: argon2id for every hash made here; bcrypt hashes (the original's, imported) are
//! accepted and replaced by argon2id at the user's next login.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use uuid::Uuid;

use super::{IssuedSession, Limited, load_user, public_config};
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::model::{Password, Tenant, TenantId, UserId};
use crate::rate_limit::Budget;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, WriteTx};

/// bcrypt reads at most 72 bytes, so the original refuses longer passwords rather than
/// ignoring their end; latchkey keeps the limit so that imported hashes keep working.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Turns at password hashing, one per two cores (at least one): the rest of the server keeps
/// its threads, and memory stays bounded however many password requests arrive together.
#[derive(Debug)]
pub(crate) struct PasswordWork(tokio::sync::Semaphore);

impl Default for PasswordWork {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self(tokio::sync::Semaphore::new((cores / 2).max(1)))
    }
}

impl PasswordWork {
    /// Waits for a turn, which lasts until the returned guard is dropped. The semaphore is
    /// never closed, so a turn always comes.
    pub(crate) async fn acquire(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.0.acquire().await.ok()
    }
}

/// What checking a password found.
enum Checked {
    Wrong,
    Right { rehash: bool },
}

impl<S: Store> Engine<S> {
    /// Sets the password of the session's user: true if it replaced one. Refuses another
    /// user's (`Forbidden`) and passwords shorter than `password.min_password_length` code
    /// points or longer than [`MAX_PASSWORD_BYTES`].
    pub async fn set_password(
        &self,
        tenant: TenantId,
        session_user: UserId,
        user: UserId,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<bool> {
        let tenant = self.accounts_tenant(tenant).await?;
        let actor = Some(user.0.hyphenated().to_string());
        let attempt = async {
            let config = public_config(&tenant)?;
            if !config.password.enabled {
                return Err(Error::NotFound(Entity::Password));
            }
            let minimum = config.password.min_password_length;
            if password.chars().count() < usize::try_from(minimum).unwrap_or(usize::MAX) {
                return Err(Error::Invalid {
                    field: "password",
                    reason: format!("password must be at least {minimum} characters long"),
                });
            }
            if password.len() > MAX_PASSWORD_BYTES {
                return Err(Error::Invalid {
                    field: "password",
                    reason: format!("password must not be longer than {MAX_PASSWORD_BYTES} bytes"),
                });
            }
            {
                let mut tx = self.store.read().await?;
                load_user(&mut tx, tenant.id, user).await?;
            }
            if user != session_user {
                return Err(Error::Forbidden("the session belongs to another user"));
            }
            let hash = {
                let _turn = self.password_work.acquire().await;
                hash_password(password)?
            };
            let now = self.now();
            let mut tx = self.store.write().await?;
            let replaced = tx
                .upsert_password(&Password {
                    tenant: tenant.id,
                    user,
                    hash,
                    created_at: now,
                    updated_at: now,
                })
                .await?;
            self.record_success(
                &mut tx,
                &tenant,
                audit_event(
                    tenant.id,
                    AuditEventKind::PasswordSetSucceeded,
                    None,
                    Some(user.0.hyphenated().to_string()),
                    meta,
                    now,
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(replaced)
        };
        self.audited(
            &tenant,
            AuditEventKind::PasswordSetFailed,
            actor,
            meta,
            attempt,
        )
        .await
    }

    /// Logs the user in with their password. The budget (per user and client address) is
    /// spent first; an unknown user, a user without a password and a wrong password are one
    /// `WrongSecret(Password)`, each after an argon2id computation, so that time does not tell
    /// them apart.
    pub async fn password_login(
        &self,
        tenant: TenantId,
        user: Uuid,
        password: &str,
        meta: &RequestMeta,
    ) -> Limited<IssuedSession> {
        let tenant = match self.accounts_tenant(tenant).await {
            Ok(tenant) => tenant,
            Err(error) => return Limited::refused(error),
        };
        let mut budget = None;
        let attempt = self.try_password_login(&tenant, user, password, meta, &mut budget);
        let actor = Some(user.hyphenated().to_string());
        let outcome = self
            .audited(
                &tenant,
                AuditEventKind::PasswordLoginFailed,
                actor,
                meta,
                attempt,
            )
            .await;
        Limited { budget, outcome }
    }

    async fn try_password_login(
        &self,
        tenant: &Tenant,
        user: Uuid,
        password: &str,
        meta: &RequestMeta,
        budget: &mut Option<Budget>,
    ) -> Result<IssuedSession> {
        let config = public_config(tenant)?;
        if !config.password.enabled {
            return Err(Error::NotFound(Entity::Password));
        }
        if config.rate_limiter.enabled {
            let key = format!("hanko:password:{}:{}:{}", tenant.id.0, user, meta.source_ip);
            self.spend(budget, &key, &config.rate_limiter.password_limits)
                .await?;
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::Invalid {
                field: "password",
                reason: format!("password must not be longer than {MAX_PASSWORD_BYTES} bytes"),
            });
        }
        let user = UserId(user);
        let stored = {
            let mut tx = self.store.read().await?;
            match tx.user(tenant.id, user).await? {
                Some(_) => tx.password(tenant.id, user).await?,
                None => None,
            }
        };
        let turn = self.password_work.acquire().await;
        let checked = match &stored {
            Some(stored) => check_password(&stored.hash, password),
            None => {
                // The same work as a real check, so that unknown users take as long.
                check_password(dummy_hash()?, password);
                Checked::Wrong
            }
        };
        let (Checked::Right { rehash }, Some(stored)) = (checked, stored) else {
            return Err(Error::WrongSecret(Entity::Password));
        };
        let rehashed = if rehash {
            Some(hash_password(password)?)
        } else {
            None
        };
        drop(turn);
        let now = self.now();
        let mut tx = self.store.write().await?;
        if let Some(hash) = rehashed {
            tx.upsert_password(&Password {
                hash,
                updated_at: now,
                ..stored
            })
            .await?;
        }
        self.record_success(
            &mut tx,
            tenant,
            audit_event(
                tenant.id,
                AuditEventKind::PasswordLoginSucceeded,
                None,
                Some(user.0.hyphenated().to_string()),
                meta,
                now,
            ),
        )
        .await?;
        self.open_session(tx, tenant, user, now).await
    }
}

/// An argon2id hash with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum).
fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Crypto("random source failed"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| Error::Crypto("password salt"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| Error::Crypto("password hashing failed"))
}

/// Checks `password` against a stored hash; bcrypt hashes, and argon2 hashes made with other
/// parameters than today's, ask to be replaced.
fn check_password(stored: &str, password: &str) -> Checked {
    if stored.starts_with("$2") {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Checked::Right { rehash: true },
            _ => Checked::Wrong,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Checked::Wrong;
    };
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Checked::Wrong;
    }
    let current = Argon2::default().params().clone();
    let rehash = parsed.algorithm.as_str() != "argon2id"
        || argon2::Params::try_from(&parsed).map_or(true, |params| {
            (params.m_cost(), params.t_cost(), params.p_cost())
                != (current.m_cost(), current.t_cost(), current.p_cost())
        });
    Checked::Right { rehash }
}

/// A hash of nothing anyone knows, checked against when there is no stored hash.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let mut secret = [0; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| Error::Crypto("random source failed"))?;
    let hash = hash_password(&crate::secrets::hex(&secret))?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_need_no_rehash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(matches!(
            check_password(&hash, "correct horse"),
            Checked::Right { rehash: false }
        ));
        assert!(matches!(
            check_password(&hash, "wrong horse"),
            Checked::Wrong
        ));
    }

    #[test]
    fn bcrypt_hashes_of_the_original_verify_and_ask_for_argon2id() {
        // bcrypt at cost 4 (the original uses 12; the cost is part of the hash).
        let hash = bcrypt::hash("correct horse", 4).unwrap();
        assert!(matches!(
            check_password(&hash, "correct horse"),
            Checked::Right { rehash: true }
        ));
        assert!(matches!(
            check_password(&hash, "wrong horse"),
            Checked::Wrong
        ));
        assert!(matches!(check_password("garbage", "x"), Checked::Wrong));
    }
}
