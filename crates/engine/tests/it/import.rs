//! Importing a tenant of an original server: one transaction, nothing written by a dry run,
//! nothing new the second time, and conflicts refused whole.

use latchkey_engine::import::{
    Counted, ImportBatch, ImportReport, ImportTenant, ImportedApiKey, ImportedSigningKey,
    OriginalSecret, open_original_jwk,
};
use latchkey_engine::model::{Credential, Tenant, TenantId, TenantKind, User, UserId};
use latchkey_engine::{Engine, Error, Page, ReadTx, Store};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::SoftAuthenticator;
use latchkey_testkit::fixtures::{engine, tenant};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// An API key as the original issues them: 64 bytes, base64url with padding.
const API_KEY: &str =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw==";

fn jwk_vector() -> Value {
    serde_json::from_str(include_str!("../vectors/hanko-jwk/rsa-4096.json")).unwrap()
}

fn batch(tenant_id: TenantId, rp_id: &str, authenticator: &SoftAuthenticator) -> ImportBatch {
    let now = datetime!(2026-01-01 0:00 UTC);
    let mut tenant: Tenant = tenant(rp_id).build(now);
    tenant.id = tenant_id;
    let user = UserId(Uuid::new_v4());
    let vector = jwk_vector();
    let jwk = open_original_jwk(
        vector["key_data"].as_str().unwrap(),
        &[OriginalSecret::new(
            vector["secret"].as_str().unwrap().to_owned(),
        )],
    )
    .unwrap();
    ImportBatch {
        tenant: ImportTenant::Create(Box::new(tenant)),
        api_keys: vec![
            ImportedApiKey::new(Uuid::new_v4(), "imported".into(), API_KEY, now).unwrap(),
        ],
        signing_keys: vec![ImportedSigningKey {
            jwk,
            created_at: now,
        }],
        users: vec![User {
            id: user,
            tenant: tenant_id,
            external_id: "user-1".into(),
            name: "ada".into(),
            display_name: "Ada".into(),
            icon: None,
            created_at: now,
        }],
        credentials: vec![Credential {
            id: authenticator.credential_id.clone(),
            tenant: tenant_id,
            user,
            name: Some("key".into()),
            public_key: authenticator.cose_key.clone(),
            attestation_format: "none".into(),
            aaguid: [7; 16],
            sign_count: 3,
            transports: vec!["usb".into(), "nfc".into()],
            backup_eligible: true,
            backup_state: false,
            is_mfa: false,
            created_at: now,
            last_used_at: None,
            discoverable: None,
            credential_protection: None,
            min_pin_length: None,
        }],
        emails: vec![],
        passwords: vec![],
        identities: vec![],
    }
}

async fn users(engine: &Engine<SqliteStore>, tenant: TenantId) -> u64 {
    let mut tx = engine.store().read().await.unwrap();
    let page = Page {
        number: 1,
        per_page: 10,
        descending: false,
    };
    tx.users(tenant, page).await.unwrap().total
}

const ONE_NEW: Counted = Counted { new: 1, present: 0 };
const ONE_PRESENT: Counted = Counted { new: 0, present: 1 };
const NONE: Counted = Counted { new: 0, present: 0 };

#[tokio::test]
async fn a_dry_run_reports_what_the_import_writes_and_a_second_import_writes_nothing() {
    let engine = engine().await;
    let id = TenantId(Uuid::new_v4());
    let authenticator = SoftAuthenticator::es256();
    let everything_new = ImportReport {
        tenant: ONE_NEW,
        users: ONE_NEW,
        credentials: ONE_NEW,
        emails: NONE,
        passwords: NONE,
        identities: NONE,
        keys: ONE_NEW,
        api_keys: ONE_NEW,
    };

    let dry = engine
        .import(batch(id, "example.com", &authenticator), true)
        .await
        .unwrap();
    assert_eq!(dry, everything_new);
    assert!(
        engine
            .store()
            .read()
            .await
            .unwrap()
            .tenant(id)
            .await
            .unwrap()
            .is_none()
    );

    let first = engine
        .import(batch(id, "example.com", &authenticator), false)
        .await
        .unwrap();
    assert_eq!(first, everything_new);
    let second = engine
        .import(batch(id, "example.com", &authenticator), false)
        .await
        .unwrap();
    assert_eq!(
        second,
        ImportReport {
            tenant: ONE_PRESENT,
            users: ONE_PRESENT,
            credentials: ONE_PRESENT,
            keys: ONE_PRESENT,
            api_keys: ONE_PRESENT,
            ..everything_new
        }
    );
    assert_eq!(users(&engine, id).await, 1);

    let stored = engine.tenant(id).await.unwrap();
    assert_eq!(stored.kind, TenantKind::Organisation);
    engine.check_api_key(id, API_KEY).await.unwrap();
    engine
        .check_api_key(id, API_KEY.trim_end_matches('='))
        .await
        .unwrap();
    let kid = jwk_vector()["kid"].as_str().unwrap().to_owned();
    let jwks = engine.jwks(id).await.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    assert_eq!(jwks["keys"][0]["n"], jwk_vector()["n"]);
    let credential = {
        let mut tx = engine.store().read().await.unwrap();
        tx.credential(id, &authenticator.credential_id)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(credential.sign_count, 3);
    assert_eq!(credential.transports, ["usb", "nfc"]);
    assert_eq!(credential.aaguid, [7; 16]);
    assert!(credential.backup_eligible);
}

#[tokio::test]
async fn a_tenant_with_the_same_id_and_another_relying_party_is_a_conflict() {
    let engine = engine().await;
    let id = TenantId(Uuid::new_v4());
    let authenticator = SoftAuthenticator::es256();
    engine
        .import(batch(id, "example.com", &authenticator), false)
        .await
        .unwrap();

    let error = engine
        .import(batch(id, "other.example", &authenticator), false)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Invalid {
                field: "tenant",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_refused_batch_writes_nothing() {
    let engine = engine().await;
    let id = TenantId(Uuid::new_v4());
    let authenticator = SoftAuthenticator::es256();
    let mut batch = batch(id, "example.com", &authenticator);
    batch.credentials[0].public_key = vec![0xa0];

    let error = engine.import(batch, false).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Invalid {
                field: "credential",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        engine
            .store()
            .read()
            .await
            .unwrap()
            .tenant(id)
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_api_key_not_issued_by_the_original_is_refused() {
    let error = ImportedApiKey::new(
        Uuid::nil(),
        "typed".into(),
        "short",
        OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Invalid {
                field: "api_key",
                ..
            }
        ),
        "{error}"
    );
    assert!(!format!("{error}").contains("short"));
}

#[tokio::test]
async fn the_originals_key_signs_even_in_a_tenant_with_a_newer_key_of_its_own() {
    let engine = engine().await;
    let (existing, _) = tenant("example.com")
        .tweak(|config| config.hanko_public.enabled = true)
        .create(&engine, None)
        .await;
    let own_key = engine.signing_keys(existing.id).await.unwrap()[0].clone();
    let authenticator = SoftAuthenticator::es256();
    let mut batch = batch(existing.id, "example.com", &authenticator);
    batch.tenant = ImportTenant::Existing(existing.id);
    batch.api_keys.clear();
    assert!(batch.signing_keys[0].created_at < own_key.created_at);

    let report = engine.import(batch, false).await.unwrap();

    assert_eq!(report.tenant, ONE_PRESENT);
    assert_eq!(report.keys, ONE_NEW);
    let keys = engine.signing_keys(existing.id).await.unwrap();
    let signing = latchkey_engine::keys::current_signing_key(&keys).unwrap();
    assert_eq!(
        signing.id.hyphenated().to_string(),
        jwk_vector()["kid"].as_str().unwrap()
    );
    assert!(
        keys.iter().any(|key| key.id == own_key.id),
        "the tenant's own key stays published"
    );
}

#[tokio::test]
async fn a_tenant_without_the_hanko_public_api_takes_no_import_of_v0_12() {
    let engine = engine().await;
    let (existing, _) = tenant("example.com").create(&engine, None).await;
    let authenticator = SoftAuthenticator::es256();
    let mut batch = batch(existing.id, "example.com", &authenticator);
    batch.tenant = ImportTenant::Existing(existing.id);

    let error = engine.import(batch, true).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Invalid {
                field: "tenant",
                ..
            }
        ),
        "{error}"
    );
}
