//! Table rows to domain records, and the text forms of the domain's enums.
//!
//! Enums are stored as text with a `CHECK`, not as PostgreSQL enum types: runtime-checked queries
//! can bind text without casts, and adding a value is a one-line constraint change.

use latchkey_engine::Result;
use latchkey_engine::model::{
    ApiKey, AuditEvent, AuthenticatorPolicy, Ceremony, Community, Credential, License,
    LicenseScope, Link, Operation, ServiceSecret, SigningAlgorithm, SigningKey, Tenant,
    TenantConfig, TenantId, Transaction, User, UserId, UserVerification,
};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::{corrupt, db};

pub(crate) const TENANT: &str = "id, display_name, config, created_at";

pub(crate) fn tenant(row: &PgRow) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(row.try_get("id").map_err(db)?),
        display_name: row.try_get("display_name").map_err(db)?,
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
        algorithm: parse_algorithm(&algorithm)?,
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
     sign_count, transports, backup_eligible, backup_state, is_mfa, created_at, last_used_at";

pub(crate) fn credential(row: &PgRow) -> Result<Credential> {
    let aaguid: Uuid = row.try_get("aaguid").map_err(db)?;
    let sign_count: i64 = row.try_get("sign_count").map_err(db)?;
    Ok(Credential {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        user: UserId(row.try_get("user_id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        public_key: row.try_get("public_key").map_err(db)?,
        attestation_format: row.try_get("attestation_format").map_err(db)?,
        aaguid: aaguid.into_bytes(),
        sign_count: u32::try_from(sign_count).map_err(|_| corrupt("signature counter"))?,
        transports: row.try_get("transports").map_err(db)?,
        backup_eligible: row.try_get("backup_eligible").map_err(db)?,
        backup_state: row.try_get("backup_state").map_err(db)?,
        is_mfa: row.try_get("is_mfa").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        last_used_at: row.try_get("last_used_at").map_err(db)?,
    })
}

pub(crate) const CEREMONY: &str = "tenant_id, id, challenge, operation, user_id, user_verification, allowed_credentials, transaction_id, expires_at";

pub(crate) fn ceremony(row: &PgRow) -> Result<Ceremony> {
    let operation: String = row.try_get("operation").map_err(db)?;
    let user_verification: String = row.try_get("user_verification").map_err(db)?;
    let user: Option<Uuid> = row.try_get("user_id").map_err(db)?;
    Ok(Ceremony {
        id: row.try_get("id").map_err(db)?,
        tenant: TenantId(row.try_get("tenant_id").map_err(db)?),
        challenge: row.try_get("challenge").map_err(db)?,
        operation: parse_operation(&operation)?,
        user: user.map(UserId),
        user_verification: parse_user_verification(&user_verification)?,
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

pub(crate) const COMMUNITY: &str = "id, tenant_id, realm_id, name, created_at";

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
        scope: parse_scope(&scope, row.try_get("community_id").map_err(db)?)?,
        key_hash: hash.try_into().map_err(|_| corrupt("license key hash"))?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) const VENDOR_METADATA: &str =
    "id, realm_id, aaguid, name, metadata, disabled, updated_by, updated_at";

pub(crate) fn vendor_metadata(row: &PgRow) -> Result<AuthenticatorPolicy> {
    let realm: Option<Uuid> = row.try_get("realm_id").map_err(db)?;
    Ok(AuthenticatorPolicy {
        id: row.try_get("id").map_err(db)?,
        realm: realm.map(TenantId),
        aaguid: row.try_get("aaguid").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        metadata: row.try_get("metadata").map_err(db)?,
        disabled: row.try_get("disabled").map_err(db)?,
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

/// A license scope as its two columns: the kind, and the community when it names one.
pub(crate) fn scope_columns(scope: &LicenseScope) -> (&'static str, Option<&str>) {
    match scope {
        LicenseScope::Community(id) => ("community", Some(id)),
        LicenseScope::AllCommunities => ("all_communities", None),
        LicenseScope::System => ("system", None),
    }
}

fn parse_scope(kind: &str, community: Option<String>) -> Result<LicenseScope> {
    Ok(match (kind, community) {
        ("community", Some(id)) => LicenseScope::Community(id),
        ("all_communities", None) => LicenseScope::AllCommunities,
        ("system", None) => LicenseScope::System,
        _ => return Err(corrupt("license scope")),
    })
}

pub(crate) fn algorithm_text(algorithm: SigningAlgorithm) -> &'static str {
    match algorithm {
        SigningAlgorithm::RS256 => "RS256",
        SigningAlgorithm::ES256 => "ES256",
        SigningAlgorithm::EdDSA => "EdDSA",
    }
}

fn parse_algorithm(text: &str) -> Result<SigningAlgorithm> {
    [
        SigningAlgorithm::RS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
    ]
    .into_iter()
    .find(|a| algorithm_text(*a) == text)
    .ok_or_else(|| corrupt("signing algorithm"))
}

pub(crate) fn operation_text(operation: Operation) -> &'static str {
    match operation {
        Operation::Registration => "registration",
        Operation::Authentication => "authentication",
        Operation::Transaction => "transaction",
        Operation::MfaRegistration => "mfa_registration",
        Operation::MfaAuthentication => "mfa_authentication",
    }
}

fn parse_operation(text: &str) -> Result<Operation> {
    [
        Operation::Registration,
        Operation::Authentication,
        Operation::Transaction,
        Operation::MfaRegistration,
        Operation::MfaAuthentication,
    ]
    .into_iter()
    .find(|o| operation_text(*o) == text)
    .ok_or_else(|| corrupt("ceremony operation"))
}

pub(crate) fn user_verification_text(uv: UserVerification) -> &'static str {
    match uv {
        UserVerification::Required => "required",
        UserVerification::Preferred => "preferred",
        UserVerification::Discouraged => "discouraged",
    }
}

fn parse_user_verification(text: &str) -> Result<UserVerification> {
    [
        UserVerification::Required,
        UserVerification::Preferred,
        UserVerification::Discouraged,
    ]
    .into_iter()
    .find(|uv| user_verification_text(*uv) == text)
    .ok_or_else(|| corrupt("user verification"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration's CHECK constraints list exactly these texts.
    #[test]
    fn enum_texts_match_the_schema_and_round_trip() {
        let schema = include_str!("../migrations/0001_initial.sql");
        for a in [
            SigningAlgorithm::RS256,
            SigningAlgorithm::ES256,
            SigningAlgorithm::EdDSA,
        ] {
            assert_eq!(parse_algorithm(algorithm_text(a)).unwrap(), a);
            assert!(schema.contains(&format!("'{}'", algorithm_text(a))));
        }
        for o in [
            Operation::Registration,
            Operation::Authentication,
            Operation::Transaction,
            Operation::MfaRegistration,
            Operation::MfaAuthentication,
        ] {
            assert_eq!(parse_operation(operation_text(o)).unwrap(), o);
            assert!(schema.contains(&format!("'{}'", operation_text(o))));
        }
        for uv in [
            UserVerification::Required,
            UserVerification::Preferred,
            UserVerification::Discouraged,
        ] {
            assert_eq!(
                parse_user_verification(user_verification_text(uv)).unwrap(),
                uv
            );
            assert!(schema.contains(&format!("'{}'", user_verification_text(uv))));
        }
        assert!(parse_operation("Registration").is_err());
    }

    #[test]
    fn license_scopes_match_the_schema_and_round_trip() {
        let schema = include_str!("../migrations/0002_kosmos.sql");
        for scope in [
            LicenseScope::Community("0123456789abcdef01234567".into()),
            LicenseScope::AllCommunities,
            LicenseScope::System,
        ] {
            let (kind, community) = scope_columns(&scope);
            assert_eq!(
                parse_scope(kind, community.map(str::to_owned)).unwrap(),
                scope
            );
            assert!(schema.contains(&format!("'{kind}'")));
        }
        assert!(parse_scope("community", None).is_err());
        assert!(parse_scope("system", Some("0123456789abcdef01234567".into())).is_err());
    }
}
