//! Sign-in through a third party (an OAuth/OpenID provider or a SAML identity provider): the
//! sealed state that carries a sign-in across the provider's pages, the account-linking rules
//! that decide which user the provider's account is, and the one-time token the page exchanges
//! for a session (`POST /token`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::emails::claim_address;
use super::{IssuedSession, Limited, new_account_user, normalize_address, public_config};
use crate::audit::{AuditEventKind, RequestMeta, audit_event};
use crate::model::third_party::{BuiltInProvider, CUSTOM_PREFIX, ThirdPartySettings};
use crate::model::webhooks::WebhookEvent;
use crate::model::{Identity, OneTimeToken, Tenant, TenantId, UserId};
use crate::rate_limit::Budget;
use crate::{Engine, Entity, Error, ReadTx, Result, Store, ThirdPartyRefusal, WriteTx};

/// How long a started sign-in may take at the provider.
pub const STATE_LIFETIME: Duration = Duration::minutes(5);

/// How long a one-time token may wait for its exchange.
pub const ONE_TIME_TOKEN_LIFETIME: Duration = Duration::minutes(1);

/// What a started sign-in carries through the provider's pages, sealed under the master key
/// (in the state parameter or SAML RelayState, and in a cookie of the browser that started it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThirdPartyState {
    /// The provider's wire name (`google`, `custom_x`, `saml:<domain>`).
    pub provider: String,
    /// The page to return to.
    pub redirect_to: String,
    /// Unix seconds after which the sign-in is refused.
    pub expires_at: i64,
    /// Random text, also the OpenID `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier; empty for SAML.
    pub pkce_verifier: String,
}

/// The provider's account, as the provider asserted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUser {
    /// The provider's name in latchkey (see [`Identity::provider`]).
    pub provider: String,
    /// The provider's id of the user.
    pub subject: String,
    /// The address the provider gives.
    pub email: String,
    /// Whether the provider says it proved the address.
    pub email_verified: bool,
}

/// Which linking rule let the sign-in in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A new user was created for the provider's account.
    SignUp,
    /// The provider's account was known.
    SignIn,
    /// The provider's account was linked to the user holding its address.
    Linked,
}

/// A third-party sign-in that the linking rules let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdPartyLogin {
    /// The user signed in.
    pub user: UserId,
    /// How.
    pub kind: LinkKind,
    /// The one-time token (`hanko_token`) for the redirect.
    pub token: String,
}

/// How latchkey talks to a provider: what a tenant's settings resolve to, for the code that
/// does the protocol's requests.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderPlan {
    /// The wire name (`google`, `custom_x`).
    pub name: String,
    /// OpenID Connect or plain OAuth 2.0 with a user API.
    pub protocol: Protocol,
    /// latchkey's client id at the provider.
    pub client_id: String,
    /// latchkey's client secret at the provider.
    pub secret: String,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
    /// The provider answers by form POST (Apple).
    pub form_post: bool,
    /// Whether a known address links to its user.
    pub allow_linking: bool,
    /// latchkey's callback URL.
    pub redirect_url: String,
}

impl std::fmt::Debug for ProviderPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderPlan")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The protocol of a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// OpenID Connect: endpoints and keys by discovery from `issuer`; the ID token's issuer must
    /// equal it, except for Microsoft's `common` issuer, whose tokens name the user's directory.
    OpenId {
        /// The issuer URL.
        issuer: String,
        /// Microsoft's multi-directory issuer rule applies.
        any_microsoft_directory: bool,
    },
    /// OAuth 2.0 and a user API of the provider's own shape.
    OAuth {
        /// The authorization endpoint.
        authorization_endpoint: String,
        /// The token endpoint.
        token_endpoint: String,
        /// The user API.
        userinfo_endpoint: String,
        /// Whose user API it is.
        profile: UserApi,
    },
}

/// The user APIs of OAuth-only providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserApi {
    /// GitHub's `/user` and `/user/emails`.
    GitHub,
    /// Discord's `/users/@me`.
    Discord,
}

/// A started sign-in: the provider to send the browser to, and the state to carry.
#[derive(Debug, Clone)]
pub struct ThirdPartyStart {
    /// The provider.
    pub plan: ProviderPlan,
    /// The state.
    pub state: ThirdPartyState,
    /// The state sealed, for the `state` parameter and the cookie.
    pub sealed: String,
}

fn or_default(configured: &str, default: &str) -> String {
    if configured.is_empty() {
        default.to_owned()
    } else {
        configured.to_owned()
    }
}

/// The plan of the provider named `name` if the tenant enabled it.
fn plan(settings: &ThirdPartySettings, name: &str) -> Option<ProviderPlan> {
    let redirect_url = settings.redirect_url.clone();
    if let Some(key) = name.strip_prefix(CUSTOM_PREFIX) {
        let custom = settings.custom_providers.get(key).filter(|c| c.enabled)?;
        let scopes = if custom.scopes.is_empty() {
            vec!["openid".into(), "email".into(), "profile".into()]
        } else {
            custom.scopes.clone()
        };
        return Some(ProviderPlan {
            name: name.to_owned(),
            protocol: Protocol::OpenId {
                issuer: custom.issuer.clone(),
                any_microsoft_directory: false,
            },
            client_id: custom.client_id.clone(),
            secret: custom.secret.clone(),
            scopes,
            form_post: false,
            allow_linking: custom.allow_linking,
            redirect_url,
        });
    }
    let provider = BuiltInProvider::parse(name)?;
    let config = settings.providers.get(provider).clone();
    if !config.enabled {
        return None;
    }
    let openid = |issuer: &str, microsoft: bool| Protocol::OpenId {
        issuer: or_default(&config.issuer, issuer),
        any_microsoft_directory: microsoft && config.issuer.is_empty(),
    };
    let oauth = |authorization: &str, token: &str, user: &str, profile| Protocol::OAuth {
        authorization_endpoint: or_default(&config.authorization_endpoint, authorization),
        token_endpoint: or_default(&config.token_endpoint, token),
        userinfo_endpoint: or_default(&config.userinfo_endpoint, user),
        profile,
    };
    let (protocol, scopes): (Protocol, &[&str]) = match provider {
        BuiltInProvider::Google => (
            openid("https://accounts.google.com", false),
            &["openid", "email"],
        ),
        BuiltInProvider::Apple => (
            openid("https://appleid.apple.com", false),
            &["openid", "name", "email"],
        ),
        BuiltInProvider::Microsoft => (
            openid("https://login.microsoftonline.com/common/v2.0", true),
            &["openid", "profile", "email"],
        ),
        BuiltInProvider::LinkedIn => (
            openid("https://www.linkedin.com/oauth", false),
            &["openid", "profile", "email"],
        ),
        BuiltInProvider::GitHub => (
            oauth(
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
                UserApi::GitHub,
            ),
            &["user:email"],
        ),
        BuiltInProvider::Discord => (
            oauth(
                "https://discord.com/oauth2/authorize",
                "https://discord.com/api/oauth2/token",
                "https://discord.com/api/users/@me",
                UserApi::Discord,
            ),
            &["identify", "email"],
        ),
    };
    Some(ProviderPlan {
        name: provider.name().to_owned(),
        protocol,
        client_id: config.client_id,
        secret: config.secret,
        scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
        form_post: provider == BuiltInProvider::Apple,
        allow_linking: config.allow_linking,
        redirect_url,
    })
}

/// Whether `url` (without a trailing `/`) matches one of the `allowed` globs, with the
/// original's rules: `*` matches within one host label or path segment (it stops at `.` and
/// `/`), `**` matches across them, `?` is one character other than those. Hand-written because
/// no maintained glob crate treats both `.` and `/` as separators, as Hanko's gobwas/glob does.
pub fn redirect_allowed(allowed: &[String], url: &str) -> bool {
    let url = url.trim_end_matches('/');
    allowed
        .iter()
        .any(|pattern| glob_matches(pattern.trim_end_matches('/').as_bytes(), url.as_bytes()))
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let separator = |b: u8| b == b'.' || b == b'/';
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) if rest.first() == Some(&b'*') => {
            let rest = rest.get(1..).unwrap_or_default();
            (0..=text.len()).any(|skip| glob_matches(rest, text.get(skip..).unwrap_or_default()))
        }
        Some((b'*', rest)) => {
            let run = text.iter().take_while(|b| !separator(**b)).count();
            (0..=run).any(|skip| glob_matches(rest, text.get(skip..).unwrap_or_default()))
        }
        Some((b'?', rest)) => match text.split_first() {
            Some((c, tail)) if !separator(*c) => glob_matches(rest, tail),
            _ => false,
        },
        Some((p, rest)) => match text.split_first() {
            Some((c, tail)) if c == p => glob_matches(rest, tail),
            _ => false,
        },
    }
}

fn state_aad(tenant: TenantId) -> Vec<u8> {
    let mut aad = b"latchkey third-party state v1:".to_vec();
    aad.extend_from_slice(tenant.0.as_bytes());
    aad
}

fn token_hash(value: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    let mut hash = [0; 32];
    hash.copy_from_slice(digest.as_ref());
    hash
}

impl<S: Store> Engine<S> {
    /// Random text of `bytes` bytes, base64url.
    pub(crate) fn random_text(&self, bytes: usize) -> Result<String> {
        let mut buffer = vec![0; bytes];
        self.fill_random(&mut buffer)?;
        Ok(URL_SAFE_NO_PAD.encode(buffer))
    }

    /// A new state for a sign-in at `provider` that returns to `redirect_to`.
    pub fn new_third_party_state(
        &self,
        provider: &str,
        redirect_to: &str,
        with_pkce: bool,
    ) -> Result<ThirdPartyState> {
        Ok(ThirdPartyState {
            provider: provider.to_owned(),
            redirect_to: redirect_to.to_owned(),
            expires_at: (self.now() + STATE_LIFETIME).unix_timestamp(),
            nonce: self.random_text(32)?,
            pkce_verifier: if with_pkce {
                self.random_text(32)?
            } else {
                String::new()
            },
        })
    }

    /// Starts a sign-in at `provider` that returns to `redirect_to`: the provider must be
    /// enabled and the page allowed.
    pub async fn start_third_party(
        &self,
        tenant: TenantId,
        provider: &str,
        redirect_to: &str,
    ) -> Result<ThirdPartyStart> {
        let tenant = self.accounts_tenant(tenant).await?;
        let settings = &public_config(&tenant)?.third_party;
        let plan = plan(settings, provider).ok_or_else(|| Error::Invalid {
            field: "provider",
            reason: format!("provider '{provider}' is not enabled"),
        })?;
        let redirect_to = redirect_to.trim_end_matches('/');
        if !redirect_allowed(&settings.allowed_redirect_urls, redirect_to)
            && redirect_to != settings.error_redirect_url.trim_end_matches('/')
        {
            return Err(Error::Invalid {
                field: "redirect_to",
                reason: format!("redirect to '{redirect_to}' not allowed"),
            });
        }
        let state = self.new_third_party_state(&plan.name, redirect_to, true)?;
        let sealed = self.seal_third_party_state(tenant.id, &state)?;
        Ok(ThirdPartyStart {
            plan,
            state,
            sealed,
        })
    }

    /// The started sign-in a provider's callback belongs to: the `state` parameter and the
    /// cookie of the browser that started it must both open and carry the same nonce, the
    /// state must not have served a callback before, and the provider must still be enabled.
    /// Refusals are audited as `thirdparty_signin_signup_failed`.
    pub async fn resume_third_party(
        &self,
        tenant: TenantId,
        state: &str,
        cookie: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(ThirdPartyState, ProviderPlan)> {
        let tenant = self.accounts_tenant(tenant).await?;
        let attempt = self.resume(&tenant, state, cookie);
        self.audited(
            &tenant,
            AuditEventKind::ThirdPartySignInSignUpFailed,
            None,
            meta,
            attempt,
        )
        .await
    }

    /// Records in the tenant's audit log a third-party sign-in that the provider refused or
    /// that failed at the provider (`reason` says which), as `thirdparty_signin_signup_failed`.
    pub async fn record_third_party_failure(
        &self,
        tenant: TenantId,
        reason: &str,
        meta: &RequestMeta,
    ) {
        let Ok(tenant) = self.accounts_tenant(tenant).await else {
            return;
        };
        let event = audit_event(
            tenant.id,
            AuditEventKind::ThirdPartySignInSignUpFailed,
            Some(reason.to_owned()),
            None,
            meta,
            self.now(),
        );
        if tenant.config.audit.console {
            self.print_audit_event(&event);
        }
        if tenant.config.audit.store {
            // The browser is owed its redirect, not the audit log's fate; a failing store
            // reports itself elsewhere.
            let _ = self.insert_audit_event(event).await;
        }
    }

    async fn resume(
        &self,
        tenant: &Tenant,
        state: &str,
        cookie: Option<&str>,
    ) -> Result<(ThirdPartyState, ProviderPlan)> {
        let cookie = cookie.ok_or(Error::Token("the browser has no state cookie"))?;
        let from_query = self.open_third_party_state(tenant.id, state)?;
        let from_cookie = self.open_third_party_state(tenant.id, cookie)?;
        let same = aws_lc_rs::constant_time::verify_slices_are_equal(
            from_query.nonce.as_bytes(),
            from_cookie.nonce.as_bytes(),
        );
        if same.is_err() {
            return Err(Error::Token("state does not match the browser's"));
        }
        let settings = &public_config(tenant)?.third_party;
        let plan = plan(settings, &from_query.provider).ok_or_else(|| Error::Invalid {
            field: "provider",
            reason: format!("provider '{}' is not enabled", from_query.provider),
        })?;
        // A state serves one callback: a replayed callback URL (with its cookie) is refused
        // before its code reaches the provider.
        let now = self.now();
        let expires_at = OffsetDateTime::from_unix_timestamp(from_query.expires_at)
            .map_err(|_| Error::Token("state expiry out of range"))?;
        let scope = format!("third-party state {}", tenant.id.0);
        let mut tx = self.store.write().await?;
        if !tx
            .claim_nonce(&scope, &from_query.nonce, now, expires_at)
            .await?
        {
            return Err(Error::Token("state was already used"));
        }
        tx.commit().await?;
        Ok((from_query, plan))
    }

    /// Where the tenant sends third-party errors that no started sign-in names a page for.
    pub async fn third_party_error_url(&self, tenant: TenantId) -> Result<String> {
        let tenant = self.accounts_tenant(tenant).await?;
        Ok(public_config(&tenant)?
            .third_party
            .error_redirect_url
            .clone())
    }

    /// The state sealed for the tenant, as base64url text.
    pub fn seal_third_party_state(
        &self,
        tenant: TenantId,
        state: &ThirdPartyState,
    ) -> Result<String> {
        let plain =
            serde_json::to_vec(state).map_err(|_| Error::Crypto("state does not encode"))?;
        let sealed = self.master.seal(&plain, &state_aad(tenant))?;
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The state that [`Engine::seal_third_party_state`] sealed for this tenant, if it has not
    /// expired. Anything else (other tenant, tampered, expired) is `Error::Token`.
    pub fn open_third_party_state(
        &self,
        tenant: TenantId,
        sealed: &str,
    ) -> Result<ThirdPartyState> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| Error::Token("state is not base64url"))?;
        let plain = self
            .master
            .open(&bytes, &state_aad(tenant))
            .map_err(|_| Error::Token("state does not open"))?;
        let state: ThirdPartyState =
            serde_json::from_slice(&plain).map_err(|_| Error::Token("state does not decode"))?;
        if self.now().unix_timestamp() > state.expires_at {
            return Err(Error::Token("state expired"));
        }
        Ok(state)
    }

    /// Applies the account-linking rules to a provider's account and hands out a one-time
    /// token for the user it signs in, in one write. Refusals are `Error::ThirdParty` and are
    /// audited as `thirdparty_signin_signup_failed`.
    pub async fn third_party_login(
        &self,
        tenant: TenantId,
        who: &ProviderUser,
        allow_linking: bool,
        meta: &RequestMeta,
    ) -> Result<ThirdPartyLogin> {
        let tenant = self.accounts_tenant(tenant).await?;
        let attempt = self.apply_linking_rules(&tenant, who, allow_linking, meta);
        self.audited(
            &tenant,
            AuditEventKind::ThirdPartySignInSignUpFailed,
            None,
            meta,
            attempt,
        )
        .await
    }

    async fn apply_linking_rules(
        &self,
        tenant: &Tenant,
        who: &ProviderUser,
        allow_linking: bool,
        meta: &RequestMeta,
    ) -> Result<ThirdPartyLogin> {
        let config = public_config(tenant)?;
        if config.emails.require_verification && !who.email_verified {
            return Err(Error::ThirdParty(ThirdPartyRefusal::UnverifiedEmail));
        }
        let address = normalize_address(&who.email)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let found = tx.email_by_address(tenant.id, &address).await?;
        let holder = found.as_ref().and_then(|email| email.user);
        let known = tx.identity(tenant.id, &who.provider, &who.subject).await?;
        let (user, kind) = match (known, holder) {
            (Some(identity), Some(holder)) if holder != identity.user => {
                return Err(Error::ThirdParty(ThirdPartyRefusal::MultipleAccounts));
            }
            (Some(identity), _) => (identity.user, LinkKind::SignIn),
            (None, Some(_)) if !allow_linking => {
                return Err(Error::ThirdParty(ThirdPartyRefusal::UserConflict));
            }
            (None, Some(holder)) => (holder, LinkKind::Linked),
            (None, None) if !config.account.allow_signup => {
                return Err(Error::ThirdParty(ThirdPartyRefusal::SignupDisabled));
            }
            (None, None) => {
                let user = new_account_user(tenant.id, &address, now);
                tx.upsert_user(&user).await?;
                (user.id, LinkKind::SignUp)
            }
        };
        let email = match holder {
            Some(_) => tx.email_by_address(tenant.id, &address).await?,
            None => {
                // A new address of a known user (the provider's address changed) counts
                // against the tenant's limit; a new user's first is their primary.
                let held = tx.emails(tenant.id, user).await?;
                let limit =
                    usize::try_from(config.emails.max_num_of_addresses).unwrap_or(usize::MAX);
                if held.len() >= limit {
                    return Err(Error::ThirdParty(ThirdPartyRefusal::EmailMaxnum));
                }
                let mut email = claim_address(
                    &mut tx,
                    tenant.id,
                    address,
                    Some(user),
                    held.is_empty(),
                    now,
                )
                .await?;
                email.verified = true;
                email.updated_at = now;
                tx.update_email(&email).await?;
                // As v0.12: a sign-up creates a user, a new address of a known user is one
                // more address, and an address claimed that a sign-up left unproven updates
                // the user.
                let event = match (kind, found.is_some()) {
                    (LinkKind::SignUp, _) => WebhookEvent::UserCreate,
                    (_, true) => WebhookEvent::UserUpdate,
                    (_, false) => WebhookEvent::EmailCreate,
                };
                self.enqueue_user_event(&mut tx, tenant, event, user)
                    .await?;
                Some(email)
            }
        };
        tx.upsert_identity(&Identity {
            tenant: tenant.id,
            provider: who.provider.clone(),
            subject: who.subject.clone(),
            user,
            email: email.map(|email| email.id),
            created_at: now,
            updated_at: now,
        })
        .await?;
        let token = self.random_text(32)?;
        tx.insert_one_time_token(&OneTimeToken {
            tenant: tenant.id,
            hash: token_hash(&token),
            user,
            created_at: now,
            expires_at: now + ONE_TIME_TOKEN_LIFETIME,
        })
        .await?;
        let event = match kind {
            LinkKind::SignUp => AuditEventKind::ThirdPartySignUpSucceeded,
            LinkKind::SignIn => AuditEventKind::ThirdPartySignInSucceeded,
            LinkKind::Linked => AuditEventKind::ThirdPartyLinkingSucceeded,
        };
        let actor = Some(user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            tenant,
            audit_event(tenant.id, event, None, actor, meta, now),
        )
        .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(ThirdPartyLogin { user, kind, token })
    }

    /// Exchanges a one-time token for a session (`POST /token`): once, within its minute.
    /// The budget is per client address.
    pub async fn exchange_one_time_token(
        &self,
        tenant: TenantId,
        value: &str,
        meta: &RequestMeta,
    ) -> Limited<IssuedSession> {
        let tenant = match self.accounts_tenant(tenant).await {
            Ok(tenant) => tenant,
            Err(error) => return Limited::refused(error),
        };
        let mut budget = None;
        let attempt = self.try_exchange(&tenant, value, meta, &mut budget);
        let outcome = self
            .audited(
                &tenant,
                AuditEventKind::TokenExchangeFailed,
                None,
                meta,
                attempt,
            )
            .await;
        Limited { budget, outcome }
    }

    async fn try_exchange(
        &self,
        tenant: &Tenant,
        value: &str,
        meta: &RequestMeta,
        budget: &mut Option<Budget>,
    ) -> Result<IssuedSession> {
        let config = public_config(tenant)?;
        if config.rate_limiter.enabled {
            let key = format!("hanko:token:{}:{}", tenant.id.0, meta.source_ip);
            self.spend(budget, &key, &config.rate_limiter.token_limits)
                .await?;
        }
        if value.is_empty() {
            return Err(Error::Invalid {
                field: "value",
                reason: "value is a required field".to_owned(),
            });
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let token = tx
            .take_one_time_token(tenant.id, &token_hash(value))
            .await?
            .ok_or(Error::NotFound(Entity::OneTimeToken))?;
        if now > token.expires_at {
            // The expired token goes with this commit; it could never be used again anyway.
            tx.commit().await?;
            return Err(Error::Expired(Entity::OneTimeToken));
        }
        let actor = Some(token.user.0.hyphenated().to_string());
        self.record_success(
            &mut tx,
            tenant,
            audit_event(
                tenant.id,
                AuditEventKind::TokenExchangeSucceeded,
                None,
                actor,
                meta,
                now,
            ),
        )
        .await?;
        self.open_session(tx, tenant, token.user, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], url: &str) -> bool {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        redirect_allowed(&patterns, url)
    }

    #[test]
    fn exact_urls_match_with_or_without_a_trailing_slash() {
        assert!(allowed(&["https://app.example"], "https://app.example/"));
        assert!(allowed(&["https://app.example/"], "https://app.example"));
        assert!(!allowed(
            &["https://app.example"],
            "https://app.example.evil"
        ));
    }

    #[test]
    fn a_star_stays_within_a_label_or_segment() {
        let pattern = ["https://*.app.example/*"];
        assert!(allowed(&pattern, "https://login.app.example/profile"));
        assert!(!allowed(&pattern, "https://a.b.app.example/profile"));
        assert!(!allowed(&pattern, "https://login.app.example/a/b"));
        assert!(!allowed(&pattern, "https://evil.example/.app.example/x"));
    }

    #[test]
    fn a_double_star_crosses_separators() {
        let pattern = ["https://app.example/**"];
        assert!(allowed(&pattern, "https://app.example/a/b.c?x=1"));
        assert!(!allowed(&pattern, "https://app.example.evil/a"));
    }

    #[test]
    fn a_question_mark_is_one_character_of_a_label() {
        assert!(allowed(&["https://app?.example"], "https://app1.example"));
        assert!(!allowed(&["https://app?.example"], "https://app.example"));
    }
}
