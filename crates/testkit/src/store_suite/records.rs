//! What the checks share: fixed times, fresh ids, and one builder per record.

use latchkey_engine::model::{
    ApiKey, Attachment, AttestationPreference, AuditConfig, AuditEvent, AuthenticatorPolicy,
    AuthenticatorSettings, BackupEligibilityRule, Ceremony, Community, CounterRule, Credential,
    CredentialProtection, ExtensionSettings, Hint, LargeBlobSupport, License, LicenseScope, Link,
    Operation, ResidentKey, SigningAlgorithm, SigningKey, Tenant, TenantId, TenantKind,
    Transaction, User, UserId, UserVerification,
};
use latchkey_engine::{Page, Store, WriteTx};

use crate::fixtures;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Creation times are offsets from here; the odd microseconds catch a backend that rounds.
pub(super) const BASE: OffsetDateTime = datetime!(2024-05-01 12:00:00.123456 UTC);

/// Expiry of ceremonies that must survive any reaper a concurrent run (or server) calls with
/// its real clock.
pub(super) const FAR_FUTURE: OffsetDateTime = datetime!(2200-01-01 00:00:00.000001 UTC);

/// Expiry of ceremonies that every reaper removes.
pub(super) const LONG_AGO: OffsetDateTime = datetime!(2000-01-01 00:00:00.000001 UTC);

pub(super) async fn create_tenant<S: Store>(store: &S) -> Tenant {
    let tenant = tenant_record();
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();
    tenant
}

pub(super) async fn delete_tenants<S: Store>(store: &S, tenants: &[TenantId]) {
    let mut tx = store.write().await.unwrap();
    for tenant in tenants {
        assert!(tx.delete_tenant(*tenant).await.unwrap());
    }
    tx.commit().await.unwrap();
}

pub(super) fn at(seconds: i64) -> OffsetDateTime {
    BASE + Duration::seconds(seconds)
}

pub(super) fn page(number: u32, per_page: u32, descending: bool) -> Page {
    Page {
        number,
        per_page,
        descending,
    }
}

/// Fresh random bytes (from v4 UUIDs, which the engine already depends on).
pub(super) fn random_bytes(len: usize) -> Vec<u8> {
    std::iter::repeat_with(|| Uuid::new_v4().into_bytes())
        .flatten()
        .take(len)
        .collect()
}

pub(super) fn hash() -> [u8; 32] {
    random_bytes(32).try_into().unwrap()
}

/// The records in an order that is neither creation order nor its reverse, so that a backend
/// returning rows in insertion order fails the ordering checks.
pub(super) fn scrambled<T>(records: &[T]) -> impl Iterator<Item = &T> {
    records
        .iter()
        .skip(1)
        .step_by(2)
        .chain(records.iter().step_by(2).rev())
}

pub(super) fn picked<T: Clone>(records: &[T], indexes: &[usize]) -> Vec<T> {
    indexes
        .iter()
        .map(|&i| records.get(i).unwrap().clone())
        .collect()
}

pub(super) fn sorted_keys(mut keys: Vec<ApiKey>) -> Vec<ApiKey> {
    keys.sort_by_key(|key| key.id);
    keys
}

/// A tenant with a fresh id and every configuration field away from its default, not stored
/// yet, so that a round trip through a store shows each field kept.
pub fn tenant_record() -> Tenant {
    let settings = AuthenticatorSettings {
        timeout_ms: 60_000,
        user_verification: UserVerification::Required,
        attachment: Some(Attachment::Platform),
        attestation: AttestationPreference::Direct,
        resident_key: ResidentKey::Required,
        extensions: ExtensionSettings {
            cred_props: true,
            credential_protection: Some(
                CredentialProtection::UserVerificationOptionalWithCredentialIdList,
            ),
            hints: vec![Hint::ClientDevice, Hint::Hybrid],
            min_pin_length: true,
            large_blob: Some(LargeBlobSupport::Preferred),
            prf: true,
        },
    };
    let mut tenant = fixtures::tenant("login.example.test")
        .authenticators(settings.clone())
        .counter(CounterRule::AuditOnly)
        .signing(SigningAlgorithm::RS256)
        .tweak(|config| {
            config.relying_party.icon = Some("https://example.test/icon.png".into());
            config.mfa = AuthenticatorSettings {
                user_verification: UserVerification::Preferred,
                attachment: Some(Attachment::CrossPlatform),
                resident_key: ResidentKey::Discouraged,
                ..settings
            };
            config.cors.allowed_origins = vec!["https://example.test".into()];
            config.audit = AuditConfig {
                store: true,
                console: false,
            };
            config.backup_eligibility = BackupEligibilityRule::Reject;
            config.discoverable_timeout_ms = 3_600_000;
            config.rsa_bits = 2048;
        })
        .build(at(0));
    tenant.display_name = format!("Suite tenant {}", tenant.id.0);
    tenant
}

/// 24 fresh lowercase hex digits.
pub(super) fn community_id() -> String {
    random_bytes(12)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The realm of `community` in `organisation`, not stored yet.
pub(super) fn realm_record(organisation: TenantId, community: &str) -> Tenant {
    Tenant {
        kind: TenantKind::Realm {
            organisation,
            community: community.to_owned(),
        },
        ..tenant_record()
    }
}

/// A community of `organisation` and its realm, stored in that order.
pub(super) async fn create_community<S: Store>(
    store: &S,
    organisation: TenantId,
    seconds: i64,
) -> (Community, Tenant) {
    let id = community_id();
    let realm = realm_record(organisation, &id);
    let community = Community {
        id,
        ..community_record(organisation, realm.id, seconds)
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_community(&community).await.unwrap();
    tx.insert_tenant(&realm).await.unwrap();
    tx.commit().await.unwrap();
    (community, realm)
}

pub(super) fn community_record(tenant: TenantId, realm: TenantId, seconds: i64) -> Community {
    let id = community_id();
    Community {
        name: format!("Community {id}"),
        id,
        tenant,
        realm,
        created_at: at(seconds),
    }
}

pub(super) fn license_record(tenant: TenantId, scope: LicenseScope, seconds: i64) -> License {
    License {
        id: Uuid::new_v4(),
        tenant,
        scope,
        key_hash: hash(),
        created_at: at(seconds),
    }
}

pub(super) fn vendor_record(
    realm: Option<TenantId>,
    aaguid: Uuid,
    seconds: i64,
) -> AuthenticatorPolicy {
    AuthenticatorPolicy {
        id: Uuid::new_v4(),
        realm,
        aaguid,
        name: format!("Key {aaguid}"),
        // Stored as given: the spacing and key order must survive.
        metadata: format!(
            r#"{{"legalHeader": "x",  "aaguid": "{aaguid}", "upv": [{{"major": 1}}]}}"#
        ),
        disabled: false,
        certification: None,
        updated_by: "admin@example.test".into(),
        updated_at: at(seconds),
    }
}

pub(super) fn link_record(user: &User, did: &str, credential: &Credential, seconds: i64) -> Link {
    Link {
        realm: user.tenant,
        user: user.id,
        did: did.into(),
        credential_id: credential.id.clone(),
        linked_at: at(seconds),
    }
}

pub(super) fn api_key_record(tenant: TenantId, name: &str, seconds: i64) -> ApiKey {
    ApiKey {
        id: Uuid::new_v4(),
        tenant,
        name: name.into(),
        secret_hash: hash(),
        created_at: at(seconds),
    }
}

pub(super) fn signing_key_record(
    tenant: TenantId,
    algorithm: SigningAlgorithm,
    seconds: i64,
) -> SigningKey {
    SigningKey {
        id: Uuid::new_v4(),
        tenant,
        algorithm,
        encrypted_private_key: random_bytes(60),
        public_key: random_bytes(91),
        created_at: at(seconds),
    }
}

pub(super) fn user_record(tenant: TenantId, external_id: &str, seconds: i64) -> User {
    User {
        id: UserId(Uuid::new_v4()),
        tenant,
        external_id: external_id.into(),
        name: format!("{external_id}@example.test"),
        display_name: format!("User {external_id}"),
        icon: None,
        created_at: at(seconds),
    }
}

pub(super) fn credential_record(tenant: TenantId, user: UserId, seconds: i64) -> Credential {
    Credential {
        id: random_bytes(32),
        tenant,
        user,
        name: None,
        public_key: random_bytes(77),
        attestation_format: "packed".into(),
        aaguid: random_bytes(16).try_into().unwrap(),
        sign_count: 7,
        transports: vec!["hybrid".into(), "internal".into()],
        backup_eligible: true,
        backup_state: false,
        is_mfa: false,
        created_at: at(seconds),
        last_used_at: None,
        discoverable: None,
        credential_protection: None,
        min_pin_length: None,
    }
}

pub(super) fn ceremony_record(
    tenant: TenantId,
    user: Option<UserId>,
    expires_at: OffsetDateTime,
) -> Ceremony {
    Ceremony {
        id: Uuid::new_v4(),
        tenant,
        challenge: random_bytes(32),
        operation: Operation::Registration,
        user,
        user_verification: UserVerification::Required,
        allowed_credentials: vec![random_bytes(16), random_bytes(64)],
        transaction: None,
        expires_at,
    }
}

pub(super) fn transaction_record(
    tenant: TenantId,
    user: UserId,
    identifier: &str,
    seconds: i64,
) -> Transaction {
    Transaction {
        id: Uuid::new_v4(),
        tenant,
        user,
        identifier: identifier.into(),
        data: format!(r#"{{"amount":"10.00","reference":"{identifier}"}}"#),
        challenge: random_bytes(64),
        created_at: at(seconds),
        updated_at: at(seconds + 1),
    }
}

pub(super) fn audit_record(
    tenant: TenantId,
    kind: &str,
    actor: Option<&str>,
    source_ip: &str,
    seconds: i64,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::new_v4(),
        tenant,
        kind: kind.into(),
        error: None,
        request_id: format!("req-{seconds}"),
        source_ip: source_ip.into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64)".into(),
        actor_user_id: actor.map(str::to_string),
        transaction_id: None,
        created_at: at(seconds),
    }
}
