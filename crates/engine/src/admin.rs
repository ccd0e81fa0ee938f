//! Tenant administration: tenants and their configuration, API keys, signing keys, users, the
//! audit log, and the check of a request's API key.

use std::sync::{Arc, PoisonError};

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Engine;
use crate::credentials::{CredentialRecord, all_credentials};
use crate::engine::{load_organisation, load_tenant, storable_text};
use crate::keys::RsaKeySize;
use crate::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorSettings, HankoPublicConfig,
    MAX_DISCOVERABLE_TIMEOUT_MS, SigningKey, Tenant, TenantConfig, TenantId, TenantKind,
    Transaction, User, UserId,
};
use crate::related_origins;
use crate::secrets::{ApiKeySecret, hash_api_key};
use crate::tokens;
use crate::{Entity, Error, Page, Paged, ReadTx, Result, Store, WriteTx};

/// A tenant to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    /// The operators' name for it: 1 to 256 characters.
    pub display_name: String,
    /// Its relying party, ceremony and signing settings.
    pub config: TenantConfig,
}

/// A freshly created API key. `secret` exists only here: the store keeps its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedApiKey {
    /// The stored key, with the secret's hash only.
    pub key: ApiKey,
    /// The secret the tenant presents in the Hanko dialect's `apiKey` header; shown once.
    pub secret: String,
}

impl std::fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A user with everything they own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetails {
    /// The user record.
    pub user: User,
    /// Every credential of the user, passkeys and second factors alike.
    pub credentials: Vec<CredentialRecord>,
    /// The transactions the user was asked to confirm, oldest first.
    pub transactions: Vec<Transaction>,
}

/// Longest display name of a tenant or name of an API key, in characters.
const MAX_NAME_CHARS: usize = 256;

impl<S: Store> Engine<S> {
    /// Creates a tenant with its first signing key and, if `api_key_name` is given, its first
    /// API key — all in one transaction.
    pub async fn create_tenant(
        &self,
        new: NewTenant,
        api_key_name: Option<&str>,
    ) -> Result<(Tenant, Option<IssuedApiKey>)> {
        validate_name("display_name", &new.display_name)?;
        validate_config(&new.config)?;
        let now = self.now();
        let tenant = Tenant {
            id: TenantId(Uuid::new_v4()),
            display_name: new.display_name,
            kind: TenantKind::Organisation,
            config: new.config,
            created_at: now,
        };
        let signing_key = self.new_signing_key(&tenant, now)?;
        let issued = api_key_name
            .map(|name| issue_api_key(tenant.id, name, now))
            .transpose()?;
        let mut tx = self.store.write().await?;
        tx.insert_tenant(&tenant).await?;
        tx.insert_signing_key(&signing_key).await?;
        if let Some(issued) = &issued {
            tx.insert_api_key(&issued.key).await?;
        }
        tx.commit().await?;
        self.rp_ids.forget(&());
        Ok((tenant, issued))
    }

    /// The organisation `id`, read from the store. A 1Kosmos community's realm is not one: it
    /// is reached through its community ([`Engine::community`]), with a license, so every
    /// surface that looks tenants up here answers a realm as unknown.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, id).await
    }

    /// The organisation `id` for serving a request: as [`Engine::tenant`], but as read at most
    /// [`CACHE_TTL`](crate::CACHE_TTL) ago.
    pub async fn serving_tenant(&self, id: TenantId) -> Result<Arc<Tenant>> {
        let tenant = self.cached_tenant(id).await?;
        match tenant.kind {
            TenantKind::Organisation => Ok(tenant),
            TenantKind::Realm { .. } => Err(Error::NotFound(Entity::Tenant)),
        }
    }

    /// Whether the store can take a write: a write transaction begins, runs a statement that
    /// writes nothing and rolls back. Cheap enough for a readiness probe polled every few
    /// seconds, and it fails where reads still work but writes do not (a read-only database or
    /// session, a broken pool).
    pub async fn check_store(&self) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.probe_write().await
    }

    /// The organisations; communities' realms are listed with their communities.
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        self.store.read().await?.organisations().await
    }

    /// Checks a presented API key against the tenant's. One indexed lookup: the caller has
    /// already found the tenant (an unknown tenant is reported before a wrong key).
    pub async fn check_api_key(&self, tenant: TenantId, presented: &str) -> Result<()> {
        let hash = hash_api_key(presented).ok_or(Error::ApiKeyInvalid)?;
        self.api_keys
            .get_or_read(&(tenant, hash), self.now(), async {
                let mut tx = self.store.read().await?;
                tx.api_key_by_hash(tenant, &hash)
                    .await?
                    .map(|key| key.id)
                    .ok_or(Error::ApiKeyInvalid)
            })
            .await
            .map(drop)
    }

    /// Replaces the organisation's display name (1 to 256 characters);
    /// `NotFound(Entity::Tenant)` if there is no such organisation.
    pub async fn rename_tenant(&self, id: TenantId, display_name: String) -> Result<()> {
        validate_name("display_name", &display_name)?;
        self.update_tenant(id, |tenant| tenant.display_name = display_name)
            .await
    }

    /// Replaces the tenant's whole configuration. Keys, users and credentials stay.
    pub async fn replace_tenant_config(&self, id: TenantId, config: TenantConfig) -> Result<()> {
        self.update_tenant_config(id, |_| Ok(config)).await
    }

    /// Replaces the configuration with what `change` makes of the current one, inside one
    /// transaction, so that concurrent changes cannot undo each other.
    pub async fn update_tenant_config(
        &self,
        id: TenantId,
        change: impl FnOnce(&TenantConfig) -> Result<TenantConfig> + Send,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let mut tenant = load_organisation(&mut tx, id).await?;
        let config = change(&tenant.config)?;
        validate_config(&config)?;
        tenant.config = config;
        tx.update_tenant(&tenant).await?;
        tx.commit().await?;
        self.tenants.forget(&id);
        self.rp_ids.forget(&());
        Ok(())
    }

    async fn update_tenant(&self, id: TenantId, change: impl FnOnce(&mut Tenant)) -> Result<()> {
        let mut tx = self.store.write().await?;
        let mut tenant = load_organisation(&mut tx, id).await?;
        change(&mut tenant);
        tx.update_tenant(&tenant).await?;
        tx.commit().await?;
        self.tenants.forget(&id);
        Ok(())
    }

    /// Deletes the organisation with everything it owns, its communities and their realms too.
    pub async fn delete_tenant(&self, id: TenantId) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_organisation(&mut tx, id).await?;
        if !tx.delete_tenant(id).await? {
            return Err(Error::NotFound(Entity::Tenant));
        }
        tx.commit().await?;
        self.forget_signer(id);
        // The cascade took the organisation's communities, their realms and its licenses.
        self.tenants.forget_all();
        self.communities.forget_all();
        self.licenses.forget_all();
        self.api_keys.forget_all();
        self.rp_ids.forget(&());
        Ok(())
    }

    /// Issues an API key named `name` (1 to 256 characters) for the organisation;
    /// `NotFound(Entity::Tenant)` if there is no such organisation.
    pub async fn create_api_key(&self, tenant: TenantId, name: &str) -> Result<IssuedApiKey> {
        let issued = issue_api_key(tenant, name, self.now())?;
        let mut tx = self.store.write().await?;
        // No route takes a realm's API key: its users are reached with a license.
        load_organisation(&mut tx, tenant).await?;
        tx.insert_api_key(&issued.key).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// The tenant's API keys: names and dates, never secrets (only hashes are stored).
    pub async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, tenant).await?;
        tx.api_keys(tenant).await
    }

    /// Revokes an API key; `NotFound(Entity::ApiKey)` if the organisation has none with this id.
    pub async fn delete_api_key(&self, tenant: TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_organisation(&mut tx, tenant).await?;
        if !tx.delete_api_key(tenant, id).await? {
            return Err(Error::NotFound(Entity::ApiKey));
        }
        tx.commit().await?;
        self.api_keys.forget_where(|key| *key == id);
        Ok(())
    }

    /// The tenant's signing keys, oldest first; the newest signs.
    pub async fn signing_keys(&self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, tenant).await?;
        tx.signing_keys(tenant).await
    }

    /// Adds a key that signs from now on; the older keys stay published, so the tokens they
    /// signed still verify until they expire.
    pub async fn rotate_signing_key(&self, tenant: TenantId) -> Result<SigningKey> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let tenant = load_organisation(&mut tx, tenant).await?;
        let mut key = self.new_signing_key(&tenant, now)?;
        // The newest key signs; make sure the new one is newest even when the clock repeats.
        if let Some(newest) = tx.signing_keys(tenant.id).await?.last()
            && newest.created_at >= key.created_at
        {
            key = SigningKey {
                created_at: newest.created_at + time::Duration::microseconds(1),
                ..key
            };
        }
        tx.insert_signing_key(&key).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Retires a signing key: tokens it signed no longer verify. When the newest goes, the one
    /// before it signs again; when the last goes, the next token creates a new one.
    pub async fn delete_signing_key(&self, tenant: TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_organisation(&mut tx, tenant).await?;
        if !tx.delete_signing_key(tenant, id).await? {
            return Err(Error::NotFound(Entity::SigningKey));
        }
        tx.commit().await?;
        self.forget_signer(tenant);
        Ok(())
    }

    /// The tenant's JWKS document (`{"keys": [...]}`), every key oldest first. A tenant without
    /// keys gets its first one here.
    pub async fn jwks(&self, tenant: TenantId) -> Result<Arc<Value>> {
        let keys = {
            let mut tx = self.store.read().await?;
            load_organisation(&mut tx, tenant).await?;
            tx.signing_keys(tenant).await?
        };
        let keys = if keys.is_empty() {
            let pending = {
                let mut tx = self.store.read().await?;
                let record = load_organisation(&mut tx, tenant).await?;
                self.signing_key(&mut tx, &record).await?
            };
            self.signer(pending, self.now()).await?;
            self.store.read().await?.signing_keys(tenant).await?
        } else {
            keys
        };
        let kids: Vec<Uuid> = keys.iter().map(|key| key.id).collect();
        if let Some(cached) = self.cached_jwks(tenant, &kids) {
            return Ok(cached);
        }
        let document = Arc::new(tokens::jwks(&keys)?);
        self.jwks_cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, (kids, Arc::clone(&document)));
        Ok(document)
    }

    fn cached_jwks(&self, tenant: TenantId, kids: &[Uuid]) -> Option<Arc<Value>> {
        let cache = self
            .jwks_cache
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .get(&tenant)
            .filter(|(cached, _)| cached == kids)
            .map(|(_, document)| Arc::clone(document))
    }

    /// One page of the organisation's users and how many it has in all.
    pub async fn users(&self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, tenant).await?;
        tx.users(tenant, page).await
    }

    /// The user with their credentials and transactions; `NotFound(Entity::User)` if the
    /// organisation has no user with this id.
    pub async fn user_details(&self, tenant: TenantId, id: UserId) -> Result<UserDetails> {
        let mut tx = self.store.read().await?;
        load_organisation(&mut tx, tenant).await?;
        let user = tx
            .user(tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let credentials = all_credentials(&mut tx, tenant, Some(id))
            .await?
            .into_iter()
            .map(|credential| CredentialRecord {
                credential,
                user_id: user.external_id.clone(),
            })
            .collect();
        let transactions = tx.transactions(tenant, id).await?;
        Ok(UserDetails {
            user,
            credentials,
            transactions,
        })
    }

    /// Deletes the user with their credentials and transactions.
    pub async fn delete_user(&self, tenant: TenantId, id: UserId) -> Result<()> {
        let mut tx = self.store.write().await?;
        load_organisation(&mut tx, tenant).await?;
        if !tx.delete_user(tenant, id).await? {
            return Err(Error::NotFound(Entity::User));
        }
        tx.commit().await
    }

    /// Audit events matching `query`, newest first. Of any tenant, a realm too: its audit log
    /// has no other reader than the admin API.
    pub async fn audit_events(
        &self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        tx.audit_events(tenant, query, page).await
    }

    /// Removes audit events older than `retention`, in batches of short transactions; returns
    /// how many.
    pub async fn delete_old_audit_events(&self, retention: std::time::Duration) -> Result<u64> {
        const BATCH: u32 = 10_000;
        let cutoff = self.now() - retention;
        let mut removed = 0;
        loop {
            let mut tx = self.store.write().await?;
            let batch = tx.delete_audit_events_before(cutoff, BATCH).await?;
            tx.commit().await?;
            removed += batch;
            if batch < u64::from(BATCH) {
                return Ok(removed);
            }
        }
    }

    /// Removes ceremonies whose time has passed; returns how many.
    pub async fn delete_expired_ceremonies(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let removed = tx.delete_expired_ceremonies(now).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

fn issue_api_key(tenant: TenantId, name: &str, now: OffsetDateTime) -> Result<IssuedApiKey> {
    validate_name("name", name)?;
    let secret = ApiKeySecret::generate()?;
    Ok(IssuedApiKey {
        key: ApiKey {
            id: Uuid::new_v4(),
            tenant,
            name: name.to_owned(),
            secret_hash: secret.hash(),
            created_at: now,
        },
        secret: secret.expose().to_owned(),
    })
}

fn validate_name(field: &'static str, name: &str) -> Result<()> {
    storable_text(field, name)?;
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::Invalid {
            field,
            reason: format!("must have 1 to {MAX_NAME_CHARS} characters"),
        });
    }
    Ok(())
}

/// Checks what the engine relies on; shapes (URLs, enum spellings) are the dialect's concern.
pub fn validate_config(config: &TenantConfig) -> Result<()> {
    let rp = &config.relying_party;
    let invalid = |field, reason: &str| {
        Err(Error::Invalid {
            field,
            reason: reason.to_owned(),
        })
    };
    storable_text("relying_party.id", &rp.id)?;
    storable_text("relying_party.display_name", &rp.display_name)?;
    for origin in rp
        .origins
        .iter()
        .chain(&rp.related_origins)
        .chain(&config.cors.allowed_origins)
    {
        storable_text("origins", origin)?;
    }
    if rp.id.trim().is_empty() {
        return invalid("relying_party.id", "must not be empty");
    }
    // An RP ID is a domain name; a colon would also let it equal a community's token audience.
    if rp.id.contains([':', '/']) {
        return invalid("relying_party.id", "must be a domain name");
    }
    if rp.origins.is_empty() || rp.origins.iter().any(|origin| origin.trim().is_empty()) {
        return invalid("relying_party.origins", "must list at least one origin");
    }
    related_origins::validate(rp)?;
    for (field, settings) in [("timeout", &config.passkey), ("mfa.timeout", &config.mfa)] {
        validate_settings(field, settings)?;
    }
    if !(1..=MAX_DISCOVERABLE_TIMEOUT_MS).contains(&config.discoverable_timeout_ms) {
        return Err(Error::Invalid {
            field: "discoverable_login.timeout",
            reason: format!("must be 1 to {MAX_DISCOVERABLE_TIMEOUT_MS} milliseconds"),
        });
    }
    RsaKeySize::try_from(config.rsa_bits)?;
    validate_hanko_public(&config.hanko_public)
}

/// The Hanko Public API block: durations that parse, a passcode that lives, a cookie that has
/// a name, and text every store can keep.
fn validate_hanko_public(block: &HankoPublicConfig) -> Result<()> {
    block.session.lifespan_seconds()?;
    block.third_party.validate()?;
    block.saml.validate()?;
    block.webhooks.validate()?;
    for limit in [
        &block.rate_limiter.passcode_limits,
        &block.rate_limiter.password_limits,
        &block.rate_limiter.token_limits,
    ] {
        limit.interval_seconds()?;
    }
    let invalid = |field, reason: &str| {
        Err(Error::Invalid {
            field,
            reason: reason.to_owned(),
        })
    };
    if block.passcode.ttl == 0 {
        return invalid("hanko_public.passcode.ttl", "must be at least 1 second");
    }
    if block.webauthn.timeout == 0 {
        return invalid(
            "hanko_public.webauthn.timeout",
            "must be at least 1 millisecond",
        );
    }
    let cookie = &block.session.cookie;
    let token_char = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    if cookie.name.is_empty() || !cookie.name.chars().all(token_char) {
        return invalid("hanko_public.session.cookie.name", "must be a cookie name");
    }
    if !cookie
        .domain
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return invalid(
            "hanko_public.session.cookie.domain",
            "must be a domain name",
        );
    }
    for text in [
        &block.service.name,
        &block.session.issuer,
        &block.passcode.email.from_address,
        &block.passcode.email.from_name,
    ]
    .into_iter()
    .chain(&block.session.audience)
    {
        storable_text("hanko_public", text)?;
        if text.contains(['\r', '\n']) {
            return invalid("hanko_public", "must not contain line breaks");
        }
    }
    Ok(())
}

fn validate_settings(field: &'static str, settings: &AuthenticatorSettings) -> Result<()> {
    if settings.timeout_ms == 0 {
        return Err(Error::Invalid {
            field,
            reason: "must be at least 1 millisecond".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discoverable_logins_live_between_a_millisecond_and_a_day() {
        let mut config = TenantConfig::new(
            "example.test",
            "Example",
            vec!["https://example.test".into()],
        );
        for (timeout, valid) in [
            (0, false),
            (1, true),
            (MAX_DISCOVERABLE_TIMEOUT_MS, true),
            (MAX_DISCOVERABLE_TIMEOUT_MS + 1, false),
        ] {
            config.discoverable_timeout_ms = timeout;
            assert_eq!(validate_config(&config).is_ok(), valid, "{timeout}");
        }
    }
}
