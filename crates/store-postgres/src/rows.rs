//! Table rows to domain records, and the text forms of the domain's enums.
//!
//! Enums are stored as text with a `CHECK`, not as PostgreSQL enum types: runtime-checked queries
//! can bind text without casts, and adding a value is a one-line constraint change.

use latchkey_engine::Result;
use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery, WebhookSubscription};
use latchkey_engine::model::{
    ApiKey, AuditEvent, AuthenticatorPolicy, Ceremony, CertificationLevel, Community, Credential,
    CredentialProtection, Email, Identity, License, LicenseScope, Link, OneTimeToken, Operation,
    Passcode, Password, ServiceSecret, Session, SigningAlgorithm, SigningKey, Tenant, TenantConfig,
    TenantId, TenantKind, Transaction, User, UserId, UserVerification,
};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::{corrupt, db};

/// A realm's organisation is its community's: tenants are read joined with their community.
pub(crate) const SELECT_TENANTS: &str = "SELECT t.id, t.display_name, t.kind, \
     c.tenant_id AS organisation_id, t.community_id, t.config, t.created_at \
     FROM tenants t LEFT JOIN communities c ON c.id = t.community_id";

pub(crate) fn tenant(row: &PgRow) -> Result<Tenant> {
    let kind = match (
        row.try_get::<&str, _>("kind").map_err(db)?,
        row.try_get::<Option<Uuid>, _>("organisation_id")
            .map_err(db)?,
        row.try_get::<Option<String>, _>("community_id")
            .map_err(db)?,
    ) {
        (TenantKind::ORGANISATION, None, None) => TenantKind::Organisation,
        (TenantKind::REALM, Some(organisation), Some(community)) => TenantKind::Realm {
            organisation: TenantId(organisation),
            community,
        },
        _ => return Err(corrupt("tenant kind")),
    };
    Ok(Tenant {
        id: TenantId(row.try_get("id").map_err(db)?),
        display_name: row.try_get("display_name").map_err(db)?,
        kind,
        config: row
            .try_get::<Json<TenantConfig>, _>("config")
            .map_err(db)?
            .0,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const API_KEY: &str = "tenant_id, id, name, secret_hash, created_at";

pub(crate) fn api_key(row: &PgRow) -> Result<ApiKey> {
    let hash: Vec<u8> = row.try_get("secret_hash").map_err(db)?;
    Ok(ApiKey {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        secret_hash: hash.try_into().map_err(|_| corrupt("API key hash"))?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const SIGNING_KEY: &str =
    "tenant_id, id, algorithm, encrypted_private_key, public_key, created_at";

pub(crate) fn signing_key(row: &PgRow) -> Result<SigningKey> {
    let algorithm: String = row.try_get("algorithm").map_err(db)?;
    Ok(SigningKey {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        algorithm: SigningAlgorithm::parse(&algorithm)
            .ok_or_else(|| corrupt("signing algorithm"))?,
        encrypted_private_key: row.try_get("encrypted_private_key").map_err(db)?,
        public_key: row.try_get("public_key").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const USER: &str = "tenant_id, id, external_id, name, display_name, icon, created_at";

pub(crate) fn user(row: &PgRow) -> Result<User> {
    Ok(User {
        id: UserId(row.try_get("id").map_err(db)?),
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        external_id: row.try_get("external_id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        display_name: row.try_get("display_name").map_err(db)?,
        icon: row.try_get("icon").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const CREDENTIAL: &str = "tenant_id, id, user_id, name, public_key, attestation_format, aaguid, \
     sign_count, transports, backup_eligible, backup_state, is_mfa, created_at, last_used_at, \
     discoverable, credential_protection, min_pin_length";

pub(crate) fn credential(row: &PgRow) -> Result<Credential> {
    let aaguid: Uuid = row.try_get("aaguid").map_err(db)?;
    Ok(Credential {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        public_key: row.try_get("public_key").map_err(db)?,
        attestation_format: row.try_get("attestation_format").map_err(db)?,
        aaguid: aaguid.into_bytes(),
        sign_count: sign_count(row)?,
        transports: row.try_get("transports").map_err(db)?,
        backup_eligible: row.try_get("backup_eligible").map_err(db)?,
        backup_state: row.try_get("backup_state").map_err(db)?,
        is_mfa: row.try_get("is_mfa").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        last_used_at: row.try_get("last_used_at").map_err(db)?,
        discoverable: row.try_get("discoverable").map_err(db)?,
        credential_protection: row
            .try_get::<Option<i16>, _>("credential_protection")
            .map_err(db)?
            .map(|level| {
                u8::try_from(level)
                    .ok()
                    .and_then(CredentialProtection::from_level)
                    .ok_or_else(|| corrupt("credential protection"))
            })
            .transpose()?,
        min_pin_length: row
            .try_get::<Option<i64>, _>("min_pin_length")
            .map_err(db)?
            .map(|length| u32::try_from(length).map_err(|_| corrupt("min PIN length")))
            .transpose()?,
    })
}

pub(crate) const CEREMONY: &str = "tenant_id, id, challenge, operation, user_id, user_verification, allowed_credentials, transaction_id, expires_at";

pub(crate) fn sign_count(row: &PgRow) -> Result<u32> {
    let sign_count: i64 = row.try_get("sign_count").map_err(db)?;
    u32::try_from(sign_count).map_err(|_| corrupt("signature counter"))
}

pub(crate) fn ceremony(row: &PgRow) -> Result<Ceremony> {
    let operation: String = row.try_get("operation").map_err(db)?;
    let user_verification: String = row.try_get("user_verification").map_err(db)?;
    let user: Option<Uuid> = row.try_get("user_id").map_err(db)?;
    Ok(Ceremony {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        challenge: row.try_get("challenge").map_err(db)?,
        operation: Operation::parse(&operation).ok_or_else(|| corrupt("ceremony operation"))?,
        user: user.map(UserId),
        user_verification: UserVerification::parse(&user_verification)
            .ok_or_else(|| corrupt("user verification"))?,
        allowed_credentials: row.try_get("allowed_credentials").map_err(db)?,
        transaction: row.try_get("transaction_id").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
    })
}

pub(crate) const TRANSACTION: &str =
    "tenant_id, id, user_id, identifier, data, challenge, created_at, updated_at";

pub(crate) fn transaction(row: &PgRow) -> Result<Transaction> {
    Ok(Transaction {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        identifier: row.try_get("identifier").map_err(db)?,
        data: row.try_get("data").map_err(db)?,
        challenge: row.try_get("challenge").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) const AUDIT_EVENT: &str = "tenant_id, id, kind, error, request_id, source_ip, user_agent, \
     actor_user_id, transaction_id, created_at";

pub(crate) fn audit_event(row: &PgRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        kind: row.try_get("kind").map_err(db)?,
        error: row.try_get("error").map_err(db)?,
        request_id: row.try_get("request_id").map_err(db)?,
        source_ip: row.try_get("source_ip").map_err(db)?,
        user_agent: row.try_get("user_agent").map_err(db)?,
        actor_user_id: row.try_get("actor_user_id").map_err(db)?,
        transaction_id: row.try_get("transaction_id").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

/// A community's realm is the tenant that names it.
pub(crate) const SELECT_COMMUNITIES: &str = "SELECT c.id, c.tenant_id, t.id AS realm_id, c.name, \
     c.created_at FROM communities c JOIN tenants t ON t.community_id = c.id";

pub(crate) fn community(row: &PgRow) -> Result<Community> {
    Ok(Community {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        realm: TenantId(row.try_get("realm_id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const LICENSE: &str = "tenant_id, id, scope, community_id, key_hash, created_at";

pub(crate) fn license(row: &PgRow) -> Result<License> {
    let scope: String = row.try_get("scope").map_err(db)?;
    let hash: Vec<u8> = row.try_get("key_hash").map_err(db)?;
    Ok(License {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        scope: LicenseScope::from_parts(&scope, row.try_get("community_id").map_err(db)?)
            .ok_or_else(|| corrupt("license scope"))?,
        key_hash: hash.try_into().map_err(|_| corrupt("license key hash"))?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const VENDOR_METADATA: &str =
    "id, realm_id, aaguid, name, metadata, disabled, certification, updated_by, updated_at";

pub(crate) fn vendor_metadata(row: &PgRow) -> Result<AuthenticatorPolicy> {
    let realm: Option<Uuid> = row.try_get("realm_id").map_err(db)?;
    Ok(AuthenticatorPolicy {
        id: row.try_get("id").map_err(db)?,
        realm: realm.map(TenantId),
        aaguid: row.try_get("aaguid").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        metadata: row.try_get("metadata").map_err(db)?,
        disabled: row.try_get("disabled").map_err(db)?,
        certification: row
            .try_get::<Option<String>, _>("certification")
            .map_err(db)?
            .map(|text| {
                CertificationLevel::parse(&text).ok_or_else(|| corrupt("certification level"))
            })
            .transpose()?,
        updated_by: row.try_get("updated_by").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) const LINK: &str = "realm_id, user_id, did, credential_id, linked_at";

pub(crate) fn link(row: &PgRow) -> Result<Link> {
    Ok(Link {
        realm: TenantId(row.try_get("realm_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        did: row.try_get("did").map_err(db)?,
        credential_id: row.try_get("credential_id").map_err(db)?,
        linked_at: row.try_get("linked_at").map_err(db)?,
    })
}

pub(crate) const SERVICE_SECRET: &str = "name, sealed, public, created_at";

pub(crate) fn service_secret(row: &PgRow) -> Result<ServiceSecret> {
    Ok(ServiceSecret {
        name: row.try_get("name").map_err(db)?,
        sealed: row.try_get("sealed").map_err(db)?,
        public: row.try_get("public").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const EMAIL: &str =
    "tenant_id, id, user_id, address, verified, is_primary, created_at, updated_at";

pub(crate) fn email(row: &PgRow) -> Result<Email> {
    let user: Option<Uuid> = row.try_get("user_id").map_err(db)?;
    Ok(Email {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: user.map(UserId),
        address: row.try_get("address").map_err(db)?,
        verified: row.try_get("verified").map_err(db)?,
        primary: row.try_get("is_primary").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) const PASSCODE: &str = "tenant_id, id, user_id, email_id, code_hash, ttl_seconds, \
     failed_attempts, created_at, expires_at";

pub(crate) fn passcode(row: &PgRow) -> Result<Passcode> {
    let hash: Vec<u8> = row.try_get("code_hash").map_err(db)?;
    Ok(Passcode {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        email: row.try_get("email_id").map_err(db)?,
        code_hash: hash.try_into().map_err(|_| corrupt("passcode hash"))?,
        ttl_seconds: u32_column(row, "ttl_seconds")?,
        failed_attempts: failed_attempts(row)?,
        created_at: row.try_get("created_at").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
    })
}

pub(crate) fn failed_attempts(row: &PgRow) -> Result<u32> {
    u32_column(row, "failed_attempts")
}

fn u32_column(row: &PgRow, column: &str) -> Result<u32> {
    let value: i64 = row.try_get(column).map_err(db)?;
    u32::try_from(value).map_err(|_| corrupt(column))
}

pub(crate) const PASSWORD: &str = "tenant_id, user_id, hash, created_at, updated_at";

pub(crate) fn password(row: &PgRow) -> Result<Password> {
    Ok(Password {
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        hash: row.try_get("hash").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) const SESSION: &str = "tenant_id, id, user_id, created_at, expires_at";
pub(crate) const IDENTITY: &str =
    "tenant_id, provider, subject, user_id, email_id, created_at, updated_at";
pub(crate) const ONE_TIME_TOKEN: &str = "tenant_id, hash, user_id, created_at, expires_at";

pub(crate) fn session(row: &PgRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        created_at: row.try_get("created_at").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
    })
}

pub(crate) fn identity(row: &PgRow) -> Result<Identity> {
    Ok(Identity {
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        provider: row.try_get("provider").map_err(db)?,
        subject: row.try_get("subject").map_err(db)?,
        user: UserId(row.try_get("user_id").map_err(db)?),
        email: row.try_get("email_id").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) fn one_time_token(row: &PgRow) -> Result<OneTimeToken> {
    let hash: Vec<u8> = row.try_get("hash").map_err(db)?;
    Ok(OneTimeToken {
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        hash: hash
            .try_into()
            .map_err(|_| corrupt("one-time token hash"))?,
        user: UserId(row.try_get("user_id").map_err(db)?),
        created_at: row.try_get("created_at").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
    })
}

pub(crate) const WEBHOOK: &str =
    "tenant_id, id, callback, enabled, failures, expires_at, created_at, updated_at";
pub(crate) const WEBHOOK_EVENT: &str = "tenant_id, webhook_id, id, event, position";
pub(crate) const WEBHOOK_DELIVERY: &str = "tenant_id, id, webhook_id, callback, event, data, \
     attempts, due_at, leased_until, created_at";

/// A webhook without its events, which come from their own table.
pub(crate) fn webhook(row: &PgRow) -> Result<Webhook> {
    Ok(Webhook {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        callback: row.try_get("callback").map_err(db)?,
        enabled: row.try_get("enabled").map_err(db)?,
        failures: u32_column(row, "failures")?,
        expires_at: row.try_get("expires_at").map_err(db)?,
        events: Vec::new(),
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

/// An event with the id of its webhook.
pub(crate) fn webhook_event(row: &PgRow) -> Result<(Uuid, WebhookSubscription)> {
    Ok((
        row.try_get("webhook_id").map_err(db)?,
        WebhookSubscription {
            id: row.try_get("id").map_err(db)?,
            event: row.try_get("event").map_err(db)?,
        },
    ))
}

pub(crate) fn webhook_delivery(row: &PgRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        webhook: row.try_get("webhook_id").map_err(db)?,
        callback: row.try_get("callback").map_err(db)?,
        event: row.try_get("event").map_err(db)?,
        data: row.try_get("data").map_err(db)?,
        attempts: u32_column(row, "attempts")?,
        due_at: row.try_get("due_at").map_err(db)?,
        leased_until: row.try_get("leased_until").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

#[cfg(test)]
mod tests {
    /// The migrations' CHECK constraints list every text the model gives an enum.
    #[test]
    fn enum_texts_match_the_schema() {
        let schema = concat!(
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_kosmos.sql"),
            include_str!("../migrations/0004_tenant_kind.sql"),
        );
        for text in latchkey_testkit::store_suite::enum_texts() {
            assert!(schema.contains(&format!("'{text}'")), "{text}");
        }
    }
}
