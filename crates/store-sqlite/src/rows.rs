//! Between domain records and SQLite values: the column lists, the encodings the migrations
//! describe (times as microseconds, enums as text, lists as JSON), and one decoder per record.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::Result;
use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery, WebhookSubscription};
use latchkey_engine::model::{
    ApiKey, AuditEvent, AuthenticatorPolicy, Ceremony, CertificationLevel, Community, Credential,
    CredentialProtection, Email, Identity, License, LicenseScope, Link, OneTimeToken, Operation,
    Passcode, Password, ServiceSecret, Session, SigningAlgorithm, SigningKey, Tenant, TenantConfig,
    TenantId, TenantKind, Transaction, User, UserId, UserVerification,
};
use rusqlite::Row;
use rusqlite::types::FromSql;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{corrupt, db};

// A realm's organisation is its community's: tenants are read joined with their community.
pub(crate) const SELECT_TENANTS: &str = "SELECT t.id, t.display_name, t.kind, c.tenant_id AS organisation_id, t.community_id, t.config, \
         t.created_at FROM tenants t LEFT JOIN communities c ON c.id = t.community_id";
pub(crate) const API_KEY: &str = "tenant_id, id, name, secret_hash, created_at";
pub(crate) const SIGNING_KEY: &str =
    "tenant_id, id, algorithm, encrypted_private_key, public_key, created_at";
pub(crate) const USER: &str = "tenant_id, id, external_id, name, display_name, icon, created_at";
pub(crate) const CREDENTIAL: &str = "tenant_id, id, user_id, name, public_key, attestation_format, aaguid, sign_count, \
         transports, backup_eligible, backup_state, is_mfa, created_at, last_used_at, discoverable, \
         credential_protection, min_pin_length";
pub(crate) const CEREMONY: &str = "tenant_id, id, challenge, operation, user_id, user_verification, allowed_credentials, \
         transaction_id, expires_at";
pub(crate) const TRANSACTION: &str =
    "tenant_id, id, user_id, identifier, data, challenge, created_at, updated_at";
pub(crate) const AUDIT_EVENT: &str = "tenant_id, id, kind, error, request_id, source_ip, user_agent, actor_user_id, \
         transaction_id, created_at";
// A community's realm is the tenant that names it.
pub(crate) const SELECT_COMMUNITIES: &str = "SELECT c.id, c.tenant_id, t.id AS realm_id, c.name, c.created_at \
         FROM communities c JOIN tenants t ON t.community_id = c.id";
pub(crate) const LICENSE: &str = "tenant_id, id, scope, community_id, key_hash, created_at";
pub(crate) const VENDOR_METADATA: &str =
    "id, realm_id, aaguid, name, metadata, disabled, certification, updated_by, updated_at";
pub(crate) const LINK: &str = "realm_id, user_id, did, credential_id, linked_at";
pub(crate) const SERVICE_SECRET: &str = "name, sealed, public, created_at";
pub(crate) const EMAIL: &str =
    "tenant_id, id, user_id, address, verified, is_primary, created_at, updated_at";
pub(crate) const PASSCODE: &str = "tenant_id, id, user_id, email_id, code_hash, ttl_seconds, failed_attempts, \
         created_at, expires_at";
pub(crate) const PASSWORD: &str = "tenant_id, user_id, hash, created_at, updated_at";
pub(crate) const SESSION: &str = "tenant_id, id, user_id, created_at, expires_at";
pub(crate) const IDENTITY: &str =
    "tenant_id, provider, subject, user_id, email_id, created_at, updated_at";
pub(crate) const ONE_TIME_TOKEN: &str = "tenant_id, hash, user_id, created_at, expires_at";
pub(crate) const WEBHOOK: &str =
    "tenant_id, id, callback, enabled, failures, expires_at, created_at, updated_at";
pub(crate) const WEBHOOK_EVENT: &str = "tenant_id, webhook_id, id, event, position";
pub(crate) const WEBHOOK_DELIVERY: &str = "tenant_id, id, webhook_id, callback, event, data, \
     attempts, due_at, leased_until, created_at";

/// Whole microseconds since the Unix epoch; anything finer is dropped, as PostgreSQL does.
pub(crate) fn micros(time: OffsetDateTime) -> Result<i64> {
    i64::try_from(time.unix_timestamp_nanos().div_euclid(1000)).map_err(|_| corrupt("time"))
}

fn time(micros: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .map_err(|_| corrupt("time"))
}

pub(crate) fn config_json(config: &TenantConfig) -> Result<String> {
    serde_json::to_string(config).map_err(|_| corrupt("tenant configuration"))
}

pub(crate) fn transports_json(transports: &[String]) -> Result<String> {
    serde_json::to_string(transports).map_err(|_| corrupt("transports"))
}

pub(crate) fn allowed_credentials_json(ids: &[Vec<u8>]) -> Result<String> {
    let ids: Vec<String> = ids.iter().map(|id| URL_SAFE_NO_PAD.encode(id)).collect();
    serde_json::to_string(&ids).map_err(|_| corrupt("allowed credentials"))
}

fn allowed_credentials(json: &str) -> Result<Vec<Vec<u8>>> {
    let ids: Vec<String> =
        serde_json::from_str(json).map_err(|_| corrupt("allowed credentials"))?;
    ids.iter()
        .map(|id| {
            URL_SAFE_NO_PAD
                .decode(id)
                .map_err(|_| corrupt("allowed credentials"))
        })
        .collect()
}

fn get<T: FromSql>(row: &Row<'_>, column: &str) -> Result<T> {
    row.get(column).map_err(db)
}

/// Text borrowed from the row, without a copy.
fn get_str<'r>(row: &'r Row<'_>, column: &str) -> Result<&'r str> {
    row.get_ref(column)
        .and_then(|value| value.as_str().map_err(rusqlite::Error::from))
        .map_err(db)
}

fn get_time(row: &Row<'_>, column: &str) -> Result<OffsetDateTime> {
    time(get(row, column)?)
}

fn get_optional_time(row: &Row<'_>, column: &str) -> Result<Option<OffsetDateTime>> {
    get::<Option<i64>>(row, column)?.map(time).transpose()
}

fn get_array<const N: usize>(row: &Row<'_>, column: &str) -> Result<[u8; N]> {
    get::<Vec<u8>>(row, column)?
        .try_into()
        .map_err(|_| corrupt(column))
}

pub(crate) fn tenant(row: &Row<'_>) -> Result<Tenant> {
    let kind = match (
        get_str(row, "kind")?,
        get::<Option<_>>(row, "organisation_id")?,
        get::<Option<_>>(row, "community_id")?,
    ) {
        (TenantKind::ORGANISATION, None, None) => TenantKind::Organisation,
        (TenantKind::REALM, Some(organisation), Some(community)) => TenantKind::Realm {
            organisation: TenantId(organisation),
            community,
        },
        _ => return Err(corrupt("tenant kind")),
    };
    Ok(Tenant {
        id: TenantId(get(row, "id")?),
        display_name: get(row, "display_name")?,
        kind,
        config: serde_json::from_str(get_str(row, "config")?)
            .map_err(|_| corrupt("tenant configuration"))?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn api_key(row: &Row<'_>) -> Result<ApiKey> {
    Ok(ApiKey {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        name: get(row, "name")?,
        secret_hash: get_array(row, "secret_hash")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn signing_key(row: &Row<'_>) -> Result<SigningKey> {
    Ok(SigningKey {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        algorithm: SigningAlgorithm::parse(get_str(row, "algorithm")?)
            .ok_or_else(|| corrupt("signing algorithm"))?,
        encrypted_private_key: get(row, "encrypted_private_key")?,
        public_key: get(row, "public_key")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn user(row: &Row<'_>) -> Result<User> {
    Ok(User {
        id: UserId(get(row, "id")?),
        tenant: TenantId(get(row, "tenant_id")?),
        external_id: get(row, "external_id")?,
        name: get(row, "name")?,
        display_name: get(row, "display_name")?,
        icon: get(row, "icon")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn credential(row: &Row<'_>) -> Result<Credential> {
    Ok(Credential {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        user: UserId(get(row, "user_id")?),
        name: get(row, "name")?,
        public_key: get(row, "public_key")?,
        attestation_format: get(row, "attestation_format")?,
        aaguid: get_array(row, "aaguid")?,
        sign_count: sign_count(row)?,
        transports: serde_json::from_str(get_str(row, "transports")?)
            .map_err(|_| corrupt("transports"))?,
        backup_eligible: get(row, "backup_eligible")?,
        backup_state: get(row, "backup_state")?,
        is_mfa: get(row, "is_mfa")?,
        created_at: get_time(row, "created_at")?,
        last_used_at: get_optional_time(row, "last_used_at")?,
        discoverable: get(row, "discoverable")?,
        credential_protection: get::<Option<i64>>(row, "credential_protection")?
            .map(|level| {
                u8::try_from(level)
                    .ok()
                    .and_then(CredentialProtection::from_level)
                    .ok_or_else(|| corrupt("credential protection"))
            })
            .transpose()?,
        min_pin_length: get::<Option<i64>>(row, "min_pin_length")?
            .map(|length| u32::try_from(length).map_err(|_| corrupt("min PIN length")))
            .transpose()?,
    })
}

pub(crate) fn sign_count(row: &Row<'_>) -> Result<u32> {
    u32::try_from(get::<i64>(row, "sign_count")?).map_err(|_| corrupt("sign count"))
}

pub(crate) fn ceremony(row: &Row<'_>) -> Result<Ceremony> {
    Ok(Ceremony {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        challenge: get(row, "challenge")?,
        operation: Operation::parse(get_str(row, "operation")?)
            .ok_or_else(|| corrupt("ceremony operation"))?,
        user: get::<Option<_>>(row, "user_id")?.map(UserId),
        user_verification: UserVerification::parse(get_str(row, "user_verification")?)
            .ok_or_else(|| corrupt("user verification"))?,
        allowed_credentials: allowed_credentials(get_str(row, "allowed_credentials")?)?,
        transaction: get(row, "transaction_id")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

pub(crate) fn transaction(row: &Row<'_>) -> Result<Transaction> {
    Ok(Transaction {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        user: UserId(get(row, "user_id")?),
        identifier: get(row, "identifier")?,
        data: get(row, "data")?,
        challenge: get(row, "challenge")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub(crate) fn audit_event(row: &Row<'_>) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        kind: get(row, "kind")?,
        error: get(row, "error")?,
        request_id: get(row, "request_id")?,
        source_ip: get(row, "source_ip")?,
        user_agent: get(row, "user_agent")?,
        actor_user_id: get(row, "actor_user_id")?,
        transaction_id: get(row, "transaction_id")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn community(row: &Row<'_>) -> Result<Community> {
    Ok(Community {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        realm: TenantId(get(row, "realm_id")?),
        name: get(row, "name")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn license(row: &Row<'_>) -> Result<License> {
    Ok(License {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        scope: LicenseScope::from_parts(get_str(row, "scope")?, get(row, "community_id")?)
            .ok_or_else(|| corrupt("license scope"))?,
        key_hash: get_array(row, "key_hash")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn vendor_metadata(row: &Row<'_>) -> Result<AuthenticatorPolicy> {
    Ok(AuthenticatorPolicy {
        id: get(row, "id")?,
        realm: get::<Option<_>>(row, "realm_id")?.map(TenantId),
        aaguid: get(row, "aaguid")?,
        name: get(row, "name")?,
        metadata: get(row, "metadata")?,
        disabled: get(row, "disabled")?,
        certification: get::<Option<String>>(row, "certification")?
            .map(|text| {
                CertificationLevel::parse(&text).ok_or_else(|| corrupt("certification level"))
            })
            .transpose()?,
        updated_by: get(row, "updated_by")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub(crate) fn link(row: &Row<'_>) -> Result<Link> {
    Ok(Link {
        realm: TenantId(get(row, "realm_id")?),
        user: UserId(get(row, "user_id")?),
        did: get(row, "did")?,
        credential_id: get(row, "credential_id")?,
        linked_at: get_time(row, "linked_at")?,
    })
}

pub(crate) fn service_secret(row: &Row<'_>) -> Result<ServiceSecret> {
    Ok(ServiceSecret {
        name: get(row, "name")?,
        sealed: get(row, "sealed")?,
        public: get(row, "public")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn email(row: &Row<'_>) -> Result<Email> {
    Ok(Email {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        user: get::<Option<_>>(row, "user_id")?.map(UserId),
        address: get(row, "address")?,
        verified: get(row, "verified")?,
        primary: get(row, "is_primary")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub(crate) fn passcode(row: &Row<'_>) -> Result<Passcode> {
    Ok(Passcode {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        user: UserId(get(row, "user_id")?),
        email: get(row, "email_id")?,
        code_hash: get_array(row, "code_hash")?,
        ttl_seconds: get_u32(row, "ttl_seconds")?,
        failed_attempts: failed_attempts(row)?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

pub(crate) fn failed_attempts(row: &Row<'_>) -> Result<u32> {
    get_u32(row, "failed_attempts")
}

fn get_u32(row: &Row<'_>, column: &str) -> Result<u32> {
    u32::try_from(get::<i64>(row, column)?).map_err(|_| corrupt(column))
}

pub(crate) fn password(row: &Row<'_>) -> Result<Password> {
    Ok(Password {
        tenant: TenantId(get(row, "tenant_id")?),
        user: UserId(get(row, "user_id")?),
        hash: get(row, "hash")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub(crate) fn session(row: &Row<'_>) -> Result<Session> {
    Ok(Session {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        user: UserId(get(row, "user_id")?),
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

pub(crate) fn identity(row: &Row<'_>) -> Result<Identity> {
    Ok(Identity {
        tenant: TenantId(get(row, "tenant_id")?),
        provider: get(row, "provider")?,
        subject: get(row, "subject")?,
        user: UserId(get(row, "user_id")?),
        email: get(row, "email_id")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub(crate) fn one_time_token(row: &Row<'_>) -> Result<OneTimeToken> {
    let hash: Vec<u8> = get(row, "hash")?;
    Ok(OneTimeToken {
        tenant: TenantId(get(row, "tenant_id")?),
        hash: hash
            .try_into()
            .map_err(|_| corrupt("one-time token hash"))?,
        user: UserId(get(row, "user_id")?),
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

/// A webhook without its events, which come from their own table.
pub(crate) fn webhook(row: &Row<'_>) -> Result<Webhook> {
    Ok(Webhook {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        callback: get(row, "callback")?,
        enabled: get(row, "enabled")?,
        failures: get_u32(row, "failures")?,
        expires_at: get_time(row, "expires_at")?,
        events: Vec::new(),
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

/// An event with the id of its webhook.
pub(crate) fn webhook_event(row: &Row<'_>) -> Result<(Uuid, WebhookSubscription)> {
    Ok((
        get(row, "webhook_id")?,
        WebhookSubscription {
            id: get(row, "id")?,
            event: get(row, "event")?,
        },
    ))
}

pub(crate) fn webhook_delivery(row: &Row<'_>) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: get(row, "id")?,
        tenant: TenantId(get(row, "tenant_id")?),
        webhook: get(row, "webhook_id")?,
        callback: get(row, "callback")?,
        event: get(row, "event")?,
        data: get(row, "data")?,
        attempts: get_u32(row, "attempts")?,
        due_at: get_time(row, "due_at")?,
        leased_until: get::<Option<i64>>(row, "leased_until")?
            .map(time)
            .transpose()?,
        created_at: get_time(row, "created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_keep_microseconds_and_drop_nanoseconds() {
        let t = datetime!(2024-05-01 12:00:00.123456789 UTC);
        assert_eq!(
            time(micros(t).unwrap()).unwrap(),
            datetime!(2024-05-01 12:00:00.123456 UTC)
        );
        let before_epoch = datetime!(1969-12-31 23:59:59.5 UTC);
        assert_eq!(micros(before_epoch).unwrap(), -500_000);
        assert_eq!(time(-500_000).unwrap(), before_epoch);
    }

    #[test]
    fn times_in_other_offsets_are_stored_as_the_same_instant() {
        let utc = datetime!(2024-05-01 12:00:00 UTC);
        assert_eq!(
            micros(datetime!(2024-05-01 14:00:00 +2)).unwrap(),
            micros(utc).unwrap()
        );
    }

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

    #[test]
    fn allowed_credentials_round_trip() {
        let ids = vec![vec![0xfb, 0xff], Vec::new(), vec![1; 64]];
        assert_eq!(
            allowed_credentials(&allowed_credentials_json(&ids).unwrap()).unwrap(),
            ids
        );
        assert!(allowed_credentials("[\"not base64!\"]").is_err());
    }
}
