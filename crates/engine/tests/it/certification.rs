//! A tenant's minimum certification level: only a model proven by its attestation chain, named
//! by a record, certified at the level or higher, and not disabled, registers.

use latchkey_engine::authenticator_policy::{ImportedStatement, MetadataChange};
use latchkey_engine::ceremonies::CeremonyKind;
use latchkey_engine::model::{AttestationPreference, CertificationLevel, TenantId};
use latchkey_engine::{AuthenticatorRefusal, Engine, Error, RefusalReason};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::authenticator::Attestation;
use latchkey_testkit::{SoftAuthenticator, fixtures};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ceremonies::{meta, start};
use crate::kosmos::{engine_at, root_base64, user, yubikey_vector};

const MODEL: [u8; 16] = [0x4c; 16];

fn imported(
    aaguid: Uuid,
    metadata: Value,
    certification: Option<CertificationLevel>,
) -> ImportedStatement {
    ImportedStatement {
        aaguid,
        name: "Model".into(),
        metadata: metadata.to_string(),
        compromised: false,
        certification,
    }
}

fn yubico_statement() -> Value {
    json!({"description": "YubiKey 5", "attestationRootCertificates": [root_base64("yubico-u2f-root.pem")]})
}

fn refusal(result: Result<(), Error>) -> RefusalReason {
    match result {
        Err(Error::AuthenticatorDisabled(AuthenticatorRefusal { reason, .. })) => reason,
        other => panic!("not a policy refusal: {other:?}"),
    }
}

async fn tenant_requiring(
    engine: &Engine<SqliteStore>,
    rp_id: &str,
    origin: &str,
    minimum: Option<CertificationLevel>,
) -> TenantId {
    fixtures::tenant(rp_id)
        .origins(&[origin])
        .tweak(|config| {
            config.passkey.attestation = AttestationPreference::Direct;
            config.authenticator_policy.minimum_certification = minimum;
        })
        .create(engine, None)
        .await
        .0
        .id
}

async fn register_soft(
    engine: &Engine<SqliteStore>,
    tenant: TenantId,
    authenticator: &SoftAuthenticator,
) -> Result<(), Error> {
    let options = engine
        .start_registration(tenant, user("alice"), CeremonyKind::Passkey, &meta())
        .await?;
    let rp_id = options.rp_id.clone();
    let response = authenticator
        .register(&rp_id, &format!("https://{rp_id}"), &options.challenge)
        .to_string()
        .into_bytes();
    engine
        .finish_registration(tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn none_and_self_attestation_cannot_prove_a_certified_model() {
    let engine = engine_at(start(), None).await;
    let model = Uuid::from_bytes(MODEL);
    engine
        .import_policies(
            [imported(
                model,
                yubico_statement(),
                Some(CertificationLevel::L3Plus),
            )],
            "import",
        )
        .await
        .unwrap();
    let strict = tenant_requiring(
        &engine,
        "strict.example",
        "https://strict.example",
        Some(CertificationLevel::L1),
    )
    .await;
    let open = tenant_requiring(&engine, "open.example", "https://open.example", None).await;
    for attestation in [Attestation::None, Attestation::PackedSelf] {
        let claimed = SoftAuthenticator::es256()
            .with_aaguid(MODEL)
            .with_attestation(attestation);
        assert_eq!(
            refusal(register_soft(&engine, strict, &claimed).await),
            RefusalReason::Unproven(CertificationLevel::L1),
            "{attestation:?}"
        );
        register_soft(&engine, open, &claimed).await.unwrap();
    }
    let unknown = SoftAuthenticator::es256().with_aaguid([0x11; 16]);
    assert_eq!(
        refusal(register_soft(&engine, strict, &unknown).await),
        RefusalReason::Unknown(CertificationLevel::L1)
    );
}

/// The YubiKey vector's model, learnt from a registration in a tenant without policy.
async fn yubikey_model(engine: &Engine<SqliteStore>, response: &[u8]) -> Uuid {
    let scratch = tenant_requiring(engine, "localhost", "http://localhost:8080", None).await;
    engine
        .start_registration(scratch, user("y"), CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    let model = engine
        .finish_registration(scratch, response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap()
        .credential
        .aaguid;
    Uuid::from_bytes(model)
}

/// The YubiKey 5 (packed full attestation, chained to Yubico's root) registering in a tenant
/// requiring `minimum`, its model imported as `statement` with `certification`, and the
/// tenant's own record `own`.
async fn register_yubikey(
    minimum: CertificationLevel,
    statement: Value,
    certification: Option<CertificationLevel>,
    own: Option<MetadataChange>,
) -> Result<(), Error> {
    let vector = yubikey_vector();
    let at = OffsetDateTime::parse(
        vector["time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let challenge =
        latchkey_webauthn::decode_base64url("challenge", vector["challenge"].as_str().unwrap(), 64)
            .unwrap();
    let engine = engine_at(at, Some(challenge)).await;
    let response = serde_json::to_vec(&vector["response"]).unwrap();
    let model = yubikey_model(&engine, &response).await;
    engine
        .import_policies([imported(model, statement, certification)], "import")
        .await
        .unwrap();
    let tenant =
        tenant_requiring(&engine, "localhost", "http://localhost:8080", Some(minimum)).await;
    if let Some(own) = own {
        engine
            .put_organisation_policy(tenant, model, own)
            .await
            .unwrap();
    }
    engine
        .start_registration(tenant, user("y"), CeremonyKind::Passkey, &meta())
        .await?;
    engine
        .finish_registration(tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .map(|_| ())
}

fn own(disabled: bool) -> MetadataChange {
    MetadataChange {
        name: None,
        metadata: None,
        disabled: Some(disabled),
        updated_by: "admin".into(),
    }
}

#[tokio::test]
async fn a_proven_model_registers_when_certified_at_the_minimum_or_higher() {
    use CertificationLevel::*;
    register_yubikey(L1Plus, yubico_statement(), Some(L1Plus), None)
        .await
        .unwrap();
    register_yubikey(L1, yubico_statement(), Some(L2), None)
        .await
        .unwrap();
    assert_eq!(
        refusal(register_yubikey(L2, yubico_statement(), Some(L1Plus), None).await),
        RefusalReason::BelowMinimum {
            minimum: L2,
            certified: Some(L1Plus)
        }
    );
    assert_eq!(
        refusal(register_yubikey(L1, yubico_statement(), None, None).await),
        RefusalReason::BelowMinimum {
            minimum: L1,
            certified: None
        }
    );
}

#[tokio::test]
async fn a_statement_without_roots_cannot_prove_the_model() {
    let statement = json!({"description": "YubiKey 5"});
    assert_eq!(
        refusal(
            register_yubikey(
                CertificationLevel::L1,
                statement,
                Some(CertificationLevel::L2),
                None
            )
            .await
        ),
        RefusalReason::Unproven(CertificationLevel::L1)
    );
}

#[tokio::test]
async fn the_tenants_own_record_decides_disabled_and_the_import_decides_the_level() {
    use CertificationLevel::*;
    assert_eq!(
        refusal(register_yubikey(L1, yubico_statement(), Some(L2), Some(own(true))).await),
        RefusalReason::Disabled
    );
    // An own record that allows the model keeps the imported level and roots.
    register_yubikey(L1, yubico_statement(), Some(L2), Some(own(false)))
        .await
        .unwrap();
    assert_eq!(
        refusal(register_yubikey(L3, yubico_statement(), Some(L2), Some(own(false))).await),
        RefusalReason::BelowMinimum {
            minimum: L3,
            certified: Some(L2)
        }
    );
}

#[tokio::test]
async fn an_organisations_own_record_overrides_the_global_one_until_deleted() {
    use latchkey_engine::Entity;
    use latchkey_engine::authenticator_policy::RecordScope;

    let engine = engine_at(start(), None).await;
    let (x, y) = (Uuid::from_bytes([1; 16]), Uuid::from_bytes([2; 16]));
    engine
        .import_policies(
            [
                imported(x, json!({"description": "X"}), Some(CertificationLevel::L2)),
                imported(y, json!({"description": "Y"}), None),
            ],
            "import",
        )
        .await
        .unwrap();
    let tenant = tenant_requiring(&engine, "org.example", "https://org.example", None).await;
    let denied = engine
        .put_organisation_policy(tenant, x, own(true))
        .await
        .unwrap();
    assert_eq!(denied.name, "Model", "the name the model is known by");
    assert_eq!(
        denied.certification, None,
        "a level is the import's word only"
    );
    let scopes = |records: Vec<(RecordScope, latchkey_engine::model::AuthenticatorPolicy)>| {
        records
            .into_iter()
            .map(|(scope, record)| (scope, record.aaguid, record.disabled))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        scopes(engine.organisation_policies(tenant).await.unwrap()),
        [(RecordScope::Own, x, true), (RecordScope::Global, y, false)]
    );
    engine.delete_organisation_policy(tenant, x).await.unwrap();
    assert_eq!(
        scopes(engine.organisation_policies(tenant).await.unwrap()),
        [
            (RecordScope::Global, x, false),
            (RecordScope::Global, y, false)
        ]
    );
    assert!(matches!(
        engine.delete_organisation_policy(tenant, x).await,
        Err(Error::NotFound(Entity::AuthenticatorPolicy))
    ));
    assert!(matches!(
        engine.organisation_policies(TenantId(Uuid::new_v4())).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
}

#[tokio::test]
async fn a_re_import_replaces_the_level_and_keeps_an_operators_decision() {
    let engine = engine_at(start(), None).await;
    let model = Uuid::from_bytes(MODEL);
    let level = async |certification| {
        engine
            .import_policies(
                [imported(model, json!({"description": "M"}), certification)],
                "import",
            )
            .await
            .unwrap();
        let stored = engine.policies(None, &[model]).await.unwrap();
        (stored[0].certification, stored[0].disabled)
    };
    assert_eq!(
        level(Some(CertificationLevel::L2)).await,
        (Some(CertificationLevel::L2), false)
    );
    engine.patch_policy(None, model, own(true)).await.unwrap();
    assert_eq!(
        level(Some(CertificationLevel::L3)).await,
        (Some(CertificationLevel::L3), true)
    );
    assert_eq!(level(None).await, (None, true), "certification withdrawn");
}
