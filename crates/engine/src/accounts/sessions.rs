//! Sessions of the Hanko Public API. The token is the original's JWT (header `alg`, `kid`,
//! `typ`; claims `sub`, `iat`, `exp`, `aud`, optional `iss` and `email`) plus `sid`, the id of
//! a server-side [`Session`] record: a token counts only while its record exists, so logout,
//! account deletion and administrators end sessions at once. A token without `sid` (another
//! dialect's token, signed by the same keys) never counts as a session.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{load_user, primary, public_config};
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::model::{Session, Tenant, TenantId, UserId};
use crate::tokens::{sign_jwt, verify_signature};
use crate::{Engine, Error, ReadTx, Result, Store, WriteTx};

/// The `email` claim: the user's primary address when the session began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailClaim {
    /// The address.
    pub address: String,
    /// Always true: only the primary address is named.
    pub is_primary: bool,
    /// Whether a passcode proved it.
    pub is_verified: bool,
}

/// The claims of a session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The user's id.
    pub sub: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry, in seconds since the Unix epoch: `iat` plus `session.lifespan`.
    pub exp: i64,
    /// `session.audience`, or the relying party ID.
    pub aud: Vec<String>,
    /// `session.issuer`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The user's primary address, if they have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailClaim>,
    /// The session record's id.
    pub sid: Uuid,
}

/// A session just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSession {
    /// The signed token.
    pub token: String,
    /// Seconds it lasts (`X-Session-Lifetime`, the cookie's `Max-Age`).
    pub lifetime_secs: u64,
    /// The user logged in.
    pub user: UserId,
}

/// Who a valid session token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionUser {
    /// The user.
    pub user: UserId,
    /// The session (the token's `sid`).
    pub session: Uuid,
}

impl<S: Store> Engine<S> {
    /// Stores a session for `user` in `tx`, commits, and signs its token. Cryptography waits
    /// for the commit: nothing is handed out that was not stored.
    pub(crate) async fn open_session(
        &self,
        mut tx: S::Write,
        tenant: &Tenant,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<IssuedSession> {
        let config = public_config(tenant)?;
        let lifetime_secs = config.session.lifespan_seconds()?;
        let lifetime = Duration::seconds(i64::try_from(lifetime_secs).unwrap_or(i64::MAX));
        let emails = tx.emails(tenant.id, user).await?;
        let session = Session {
            id: Uuid::new_v4(),
            tenant: tenant.id,
            user,
            created_at: now,
            expires_at: now.saturating_add(lifetime),
        };
        tx.insert_session(&session).await?;
        let pending = self.signing_key(&mut tx, tenant).await?;
        tx.commit().await?;
        let signer = self.signer(pending, now).await?;
        let audience = if config.session.audience.is_empty() {
            vec![tenant.config.relying_party.id.clone()]
        } else {
            config.session.audience.clone()
        };
        let claims = SessionClaims {
            sub: user.0.hyphenated().to_string(),
            iat: now.unix_timestamp(),
            exp: session.expires_at.unix_timestamp(),
            aud: audience,
            iss: (!config.session.issuer.is_empty()).then(|| config.session.issuer.clone()),
            email: primary(&emails).map(|email| EmailClaim {
                address: email.address.clone(),
                is_primary: true,
                is_verified: email.verified,
            }),
            sid: session.id,
        };
        Ok(IssuedSession {
            token: sign_jwt(&signer, &claims)?,
            lifetime_secs,
            user,
        })
    }

    /// The user whose live session `token` is: signed by one of the tenant's keys, not
    /// expired, naming a session that has not ended.
    pub async fn verify_session(&self, tenant: TenantId, token: &str) -> Result<SessionUser> {
        let tenant = self.accounts_tenant(tenant).await?;
        let jwks = self.jwks(tenant.id).await?;
        let claims: SessionClaims = verify_signature(&jwks, token)?;
        let now = self.now();
        if now.unix_timestamp() >= claims.exp {
            return Err(Error::Token("expired"));
        }
        let user = Uuid::parse_str(&claims.sub)
            .map(UserId)
            .map_err(|_| Error::Token("subject is not a user id"))?;
        let mut tx = self.store.read().await?;
        let live = tx
            .session(tenant.id, claims.sid)
            .await?
            .is_some_and(|session| session.user == user && session.expires_at > now);
        if !live {
            return Err(Error::Token("session ended"));
        }
        Ok(SessionUser {
            user,
            session: claims.sid,
        })
    }

    /// Ends the session (logout).
    pub async fn end_session(
        &self,
        tenant: TenantId,
        session: SessionUser,
        meta: &RequestMeta,
    ) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.delete_session(tenant.id, session.session).await?;
        let actor = Some(session.user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            &tenant,
            audit_event(
                tenant.id,
                AuditEventKind::UserLoggedOut,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        tx.commit().await
    }

    /// Ends every session of the user (an administrator's call); returns how many.
    pub async fn end_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let mut tx = self.store.write().await?;
        load_user(&mut tx, tenant, user).await?;
        let ended = tx.delete_user_sessions(tenant, user).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Removes sessions, passcodes and one-time tokens that expired; returns how many went.
    pub async fn delete_expired_account_records(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let sessions = tx.delete_expired_sessions(now).await?;
        let passcodes = tx.delete_expired_passcodes(now).await?;
        let tokens = tx.delete_expired_one_time_tokens(now).await?;
        tx.commit().await?;
        Ok(sessions + passcodes + tokens)
    }
}
