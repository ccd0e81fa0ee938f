//! Communities, licenses, request-id replay, vendor-metadata policy, links and service secrets:
//! the engine's side of the 1Kosmos dialect, on SQLite in memory.

use std::sync::{Arc, Mutex};

use latchkey_engine::admin::NewTenant;
use latchkey_engine::authenticator_policy::{CommunityScope, MetadataChange};
use latchkey_engine::ceremonies::{CeremonyKind, NewUser};
use latchkey_engine::communities::IssuedLicense;
use latchkey_engine::links::fido_key_hash;
use latchkey_engine::model::{
    AttestationPreference, Community, LicenseScope, Tenant, TenantId, UserId,
};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::tokens::{community_audience, verify_token};
use latchkey_engine::{CACHE_TTL, Engine};
use latchkey_engine::{Entity, Error, Page, ReadTx, Store};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::{SoftAuthenticator, fixtures};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::ceremonies::{meta, start};

const DNS: &str = "community.example.test";

async fn engine() -> Engine<SqliteStore> {
    engine_at(start(), None).await
}

/// An engine whose clock stands at `now` and whose challenges are `challenge`, if given.
pub(crate) async fn engine_at(
    now: OffsetDateTime,
    challenge: Option<Vec<u8>>,
) -> Engine<SqliteStore> {
    let engine = fixtures::engine_at(move || now).await;
    match challenge {
        Some(challenge) => engine.with_random(move |bytes| {
            bytes.copy_from_slice(&challenge);
            Ok(())
        }),
        None => engine,
    }
}

async fn organisation(engine: &Engine<SqliteStore>) -> Tenant {
    fixtures::tenant("org.example.test")
        .named("Org")
        .create(engine, None)
        .await
        .0
}

pub(crate) fn user(name: &str) -> NewUser {
    NewUser {
        external_id: name.into(),
        name: name.into(),
        display_name: name.into(),
        icon: None,
    }
}

/// Registers `authenticator` for `name` in `realm`; returns the token.
async fn register(
    engine: &Engine<SqliteStore>,
    realm: TenantId,
    name: &str,
    authenticator: &SoftAuthenticator,
) -> Result<String, Error> {
    let options = engine
        .start_registration(realm, user(name), CeremonyKind::Passkey, &meta())
        .await?;
    let rp_id = options.rp_id.clone();
    let response = authenticator
        .register(&rp_id, &format!("https://{rp_id}"), &options.challenge)
        .to_string()
        .into_bytes();
    engine
        .finish_registration(realm, &response, CeremonyKind::Passkey, &meta())
        .await
        .map(|outcome| outcome.token)
}

/// Verifies `token` as an organisation's relying party would, with an independent JWT library:
/// signature by `jwks`, `aud` equal to `rp_id`.
fn accepted_by_relying_party(jwks: &Value, token: &str, rp_id: &str) -> bool {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwk = set.find(&kid).unwrap();
    let algorithm: Algorithm = jwk
        .common
        .key_algorithm
        .unwrap()
        .to_string()
        .parse()
        .unwrap();
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[rp_id]);
    // The tokens are minted at a fixed past time.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

#[tokio::test]
async fn a_community_token_cannot_pass_for_its_organisations_token() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let org_rp = org.config.relying_party.id.clone();
    // The attack: a community whose `dns` is its organisation's RP ID, registering a user named
    // as the organisation's administrator.
    let community = engine
        .create_community(org.id, "Mallory", &org_rp, Vec::new())
        .await
        .unwrap();
    let forged = register(
        &engine,
        community.realm,
        "admin",
        &SoftAuthenticator::es256(),
    )
    .await
    .unwrap();
    let genuine = register(&engine, org.id, "admin", &SoftAuthenticator::es256())
        .await
        .unwrap();
    let jwks = engine.jwks(org.id).await.unwrap();
    assert!(accepted_by_relying_party(&jwks, &genuine, &org_rp));
    assert!(!accepted_by_relying_party(&jwks, &forged, &org_rp));
    let audience = community_audience(&community.id);
    assert!(accepted_by_relying_party(&jwks, &forged, &audience));
    // No organisation can take the community audience as its RP ID.
    let mut config = org.config.clone();
    config.relying_party.id = audience;
    let taken = engine
        .create_tenant(
            NewTenant {
                display_name: "Copycat".into(),
                config,
            },
            None,
        )
        .await;
    assert!(matches!(taken, Err(Error::Invalid { .. })), "{taken:?}");
}

#[tokio::test]
async fn a_realm_is_not_an_organisation() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let community = engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap();
    let listed: Vec<TenantId> = engine
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|tenant| tenant.id)
        .collect();
    assert_eq!(listed, [org.id]);
    assert!(matches!(
        engine.tenant(community.realm).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
    let key = engine.create_api_key(community.realm, "ops").await;
    assert!(
        matches!(key, Err(Error::NotFound(Entity::Tenant))),
        "{key:?}"
    );
    // No administration reaches it either.
    let realm = community.realm;
    let id = Uuid::new_v4();
    let page = Page {
        number: 1,
        per_page: 10,
        descending: false,
    };
    let config = org.config.clone();
    let refused = [
        engine.rename_tenant(realm, "Renamed".into()).await.err(),
        engine.replace_tenant_config(realm, config).await.err(),
        engine.api_keys(realm).await.err(),
        engine.delete_api_key(realm, id).await.err(),
        engine.signing_keys(realm).await.err(),
        engine.rotate_signing_key(realm).await.err(),
        engine.delete_signing_key(realm, id).await.err(),
        engine.jwks(realm).await.err(),
        engine.users(realm, page).await.err(),
        engine.user_details(realm, UserId(id)).await.err(),
        engine.delete_user(realm, UserId(id)).await.err(),
        engine.delete_tenant(realm).await.err(),
    ];
    for (call, error) in refused.iter().enumerate() {
        assert!(
            matches!(error, Some(Error::NotFound(Entity::Tenant))),
            "call {call}: {error:?}"
        );
    }
    // The realm is served through its community.
    let (_, realm) = engine.community(&community.id).await.unwrap();
    assert_eq!(realm.id, community.realm);
    engine.create_api_key(org.id, "ops").await.unwrap();
}

#[tokio::test]
async fn a_community_has_its_own_realm_and_signs_with_its_organisations_keys() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let community = engine
        .create_community(org.id, "Staff", DNS, vec!["http://localhost:3000".into()])
        .await
        .unwrap();
    assert_eq!(community.id.len(), 24);
    assert!(community.id.bytes().all(|b| b.is_ascii_hexdigit()));
    let (found, realm) = engine.community(&community.id).await.unwrap();
    assert_eq!(found, community);
    assert_eq!(realm.config.relying_party.id, DNS);
    assert_eq!(
        realm.config.relying_party.origins,
        [format!("https://{DNS}"), "http://localhost:3000".into()]
    );
    assert_eq!(engine.communities(org.id).await.unwrap().len(), 1);

    let token = register(&engine, realm.id, "alice", &SoftAuthenticator::es256())
        .await
        .unwrap();
    let jwks = engine.jwks(org.id).await.unwrap();
    let claims = verify_token(&jwks, &token, start()).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.aud, [community_audience(&community.id)]);
    assert_eq!(claims.community.as_deref(), Some(community.id.as_str()));
    // The realm has no keys of its own.
    let mut tx = engine.store().read().await.unwrap();
    assert!(tx.signing_keys(realm.id).await.unwrap().is_empty());
    drop(tx);
    // An organisation left without keys gets a new one from its community's next token.
    for key in engine.signing_keys(org.id).await.unwrap() {
        engine.delete_signing_key(org.id, key.id).await.unwrap();
    }
    let token = register(&engine, realm.id, "bob", &SoftAuthenticator::es256())
        .await
        .unwrap();
    let jwks = engine.jwks(org.id).await.unwrap();
    assert_eq!(verify_token(&jwks, &token, start()).unwrap().sub, "bob");
    let mut tx = engine.store().read().await.unwrap();
    assert!(tx.signing_keys(realm.id).await.unwrap().is_empty());
    drop(tx);

    let nested = engine
        .create_community(realm.id, "Nested", DNS, Vec::new())
        .await;
    assert!(matches!(nested, Err(Error::Invalid { .. })), "{nested:?}");
    // Communities of one organisation share its keys, so they may not share an RP ID.
    let twin = engine
        .create_community(org.id, "Twin", &DNS.to_uppercase(), Vec::new())
        .await;
    assert!(
        matches!(twin, Err(Error::Conflict(Entity::RelyingPartyId))),
        "{twin:?}"
    );
    engine
        .create_community(org.id, "Home", &org.config.relying_party.id, Vec::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_license_reaches_only_its_scope() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let other_org = organisation(&engine).await;
    let staff = engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap();
    let guests = engine
        .create_community(org.id, "Guests", "guests.example.test", Vec::new())
        .await
        .unwrap();
    let foreign = engine
        .create_community(other_org.id, "Foreign", DNS, Vec::new())
        .await
        .unwrap();

    let IssuedLicense { key, license } = engine
        .create_license(org.id, LicenseScope::Community(staff.id.clone()))
        .await
        .unwrap();
    assert_eq!(engine.license(&key).await.unwrap(), license);
    assert!(!format!("{license:?}").contains(&key));
    engine.community_for(&license, &staff.id).await.unwrap();
    let sibling = engine.community_for(&license, &guests.id).await;
    assert!(matches!(sibling, Err(Error::Forbidden(_))), "{sibling:?}");
    let across = engine.community_for(&license, &foreign.id).await;
    assert!(
        matches!(across, Err(Error::NotFound(Entity::Community))),
        "{across:?}"
    );
    assert!(!license.is_system());

    let all = engine
        .create_license(org.id, LicenseScope::AllCommunities)
        .await
        .unwrap();
    engine
        .community_for(&all.license, &guests.id)
        .await
        .unwrap();
    let across = engine.community_for(&all.license, &foreign.id).await;
    assert!(
        matches!(across, Err(Error::NotFound(Entity::Community))),
        "{across:?}"
    );
    let system = engine
        .create_license(org.id, LicenseScope::System)
        .await
        .unwrap();
    assert!(system.license.is_system());

    let unknown = engine.license("0123").await;
    assert!(matches!(unknown, Err(Error::LicenseInvalid)), "{unknown:?}");
    assert_eq!(engine.licenses(org.id).await.unwrap().len(), 3);
    engine.revoke_license(org.id, license.id).await.unwrap();
    let revoked = engine.license(&key).await;
    assert!(matches!(revoked, Err(Error::LicenseInvalid)), "{revoked:?}");
    let foreign_revoke = engine.revoke_license(other_org.id, all.license.id).await;
    assert!(
        matches!(foreign_revoke, Err(Error::NotFound(Entity::License))),
        "{foreign_revoke:?}"
    );
    let stolen = engine
        .create_license(org.id, LicenseScope::Community(foreign.id.clone()))
        .await;
    assert!(
        matches!(stolen, Err(Error::NotFound(Entity::Community))),
        "{stolen:?}"
    );
}

/// Licenses and communities are served as read at most `CACHE_TTL` ago: what this engine revokes
/// or deletes it refuses at once; what another process sharing the store does, once the entry
/// has aged out.
#[tokio::test]
async fn a_revocation_reaches_every_server_within_the_cache_ttl() {
    let now = Arc::new(Mutex::new(start()));
    let clock = |now: &Arc<Mutex<OffsetDateTime>>| {
        let now = Arc::clone(now);
        move || *now.lock().unwrap()
    };
    let store = fixtures::memory_store().await;
    let this = Engine::new(store.clone(), MasterKey::generate().unwrap(), clock(&now));
    let other = Engine::new(store, MasterKey::generate().unwrap(), clock(&now));
    let community = community_of_new_organisation(&this).await;
    let org = community.tenant;
    let here = license_in_use(&this, &community).await;
    let elsewhere = license_in_use(&this, &community).await;

    this.revoke_license(org, here.license.id).await.unwrap();
    let revoked = this.license(&here.key).await;
    assert!(matches!(revoked, Err(Error::LicenseInvalid)), "{revoked:?}");

    other
        .revoke_license(org, elsewhere.license.id)
        .await
        .unwrap();
    assert_eq!(
        this.license(&elsewhere.key).await.unwrap(),
        elsewhere.license,
        "still fresh"
    );
    *now.lock().unwrap() += CACHE_TTL;
    let revoked = this.license(&elsewhere.key).await;
    assert!(matches!(revoked, Err(Error::LicenseInvalid)), "{revoked:?}");

    // A deletion elsewhere takes the community along once the entry aged out.
    this.community(&community.id).await.unwrap();
    other.delete_tenant(org).await.unwrap();
    assert!(this.community(&community.id).await.is_ok(), "still fresh");
    *now.lock().unwrap() += CACHE_TTL;
    let gone = this.community(&community.id).await;
    assert!(
        matches!(gone, Err(Error::NotFound(Entity::Community))),
        "{gone:?}"
    );

    // A deletion here, at once.
    let community = community_of_new_organisation(&this).await;
    let issued = license_in_use(&this, &community).await;
    this.delete_tenant(community.tenant).await.unwrap();
    let revoked = this.license(&issued.key).await;
    assert!(matches!(revoked, Err(Error::LicenseInvalid)), "{revoked:?}");
    let gone = this.community_for(&issued.license, &community.id).await;
    assert!(
        matches!(gone, Err(Error::NotFound(Entity::Community))),
        "{gone:?}"
    );
}

/// A community of an organisation of its own.
async fn community_of_new_organisation(engine: &Engine<SqliteStore>) -> Community {
    let org = organisation(engine).await;
    engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap()
}

/// A new license of `community`'s organisation, already presented once to `engine` to reach it.
async fn license_in_use(engine: &Engine<SqliteStore>, community: &Community) -> IssuedLicense {
    let issued = engine
        .create_license(community.tenant, LicenseScope::AllCommunities)
        .await
        .unwrap();
    let license = engine.license(&issued.key).await.unwrap();
    engine.community_for(&license, &community.id).await.unwrap();
    issued
}

#[tokio::test]
async fn a_request_id_is_accepted_once_and_only_while_fresh() {
    let engine = engine().await;
    let span = Duration::seconds(60);
    engine
        .claim_request("kosmos", "r-1", start(), span)
        .await
        .unwrap();
    let replayed = engine.claim_request("kosmos", "r-1", start(), span).await;
    assert!(
        matches!(replayed, Err(Error::RequestReplayed)),
        "{replayed:?}"
    );
    engine
        .claim_request("other", "r-1", start(), span)
        .await
        .unwrap();
    for skew in [-61, 61] {
        let stale = engine
            .claim_request("kosmos", "r-2", start() + Duration::seconds(skew), span)
            .await;
        assert!(matches!(stale, Err(Error::RequestStale)), "{stale:?}");
    }
    engine
        .claim_request("kosmos", "r-2", start() - Duration::seconds(59), span)
        .await
        .unwrap();
}

fn disable() -> MetadataChange {
    MetadataChange {
        name: Some("Soft".into()),
        metadata: Some("{}".into()),
        disabled: Some(true),
        updated_by: "test".into(),
    }
}

#[tokio::test]
async fn a_disabled_model_cannot_register_in_its_community_or_anywhere_when_global() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let staff = engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap();
    let guests = engine
        .create_community(org.id, "Guests", "guests.example.test", Vec::new())
        .await
        .unwrap();
    let model = Uuid::from_bytes([0x11; 16]);

    engine
        .put_policy(Some(staff.realm), model, disable())
        .await
        .unwrap();
    let refused = register(&engine, staff.realm, "alice", &SoftAuthenticator::es256()).await;
    assert!(
        matches!(refused, Err(Error::AuthenticatorDisabled(m)) if m.model == model),
        "{refused:?}"
    );
    register(&engine, guests.realm, "alice", &SoftAuthenticator::es256())
        .await
        .unwrap();

    engine.put_policy(None, model, disable()).await.unwrap();
    let refused = register(&engine, guests.realm, "bob", &SoftAuthenticator::es256()).await;
    assert!(
        matches!(refused, Err(Error::AuthenticatorDisabled(_))),
        "{refused:?}"
    );

    // A community's own record outranks the global one.
    let enable = MetadataChange {
        disabled: Some(false),
        updated_by: "test".into(),
        ..MetadataChange::default()
    };
    engine
        .patch_policy(Some(staff.realm), model, enable)
        .await
        .unwrap();
    register(&engine, staff.realm, "carol", &SoftAuthenticator::es256())
        .await
        .unwrap();
    let stored = engine.policies(Some(staff.realm), &[]).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].disabled);
    assert_eq!(stored[0].name, "Soft");

    // Patching a scope without a record of its own starts from the record it inherits.
    let inherited = engine
        .patch_policy(Some(guests.realm), model, disable())
        .await
        .unwrap();
    assert_eq!(
        (inherited.realm, inherited.name.as_str()),
        (Some(guests.realm), "Soft")
    );
    let unknown = engine
        .patch_policy(Some(guests.realm), Uuid::from_bytes([0x22; 16]), disable())
        .await;
    assert!(matches!(unknown, Err(Error::NotFound(_))), "{unknown:?}");
    let bad = MetadataChange {
        metadata: Some("[1]".into()),
        ..disable()
    };
    let refused = engine.put_policy(None, model, bad).await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
}

/// A YubiKey 5 registration with packed full attestation (webauthn-rs test data; see the
/// vectors' README), and the PEM roots of the vectors.
pub(crate) fn yubikey_vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../webauthn/tests/vectors/webauthn-rs/packed-full-es256-yubikey5-credprotect.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub(crate) fn root_base64(name: &str) -> String {
    let path = format!(
        "{}/../webauthn/tests/vectors/roots/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let pem = std::fs::read_to_string(path).unwrap();
    pem.lines()
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect::<String>()
}

/// Registers the YubiKey vector in a fresh tenant of an engine that reproduces its ceremony,
/// after storing `metadata` globally for the YubiKey's model.
async fn register_yubikey(metadata: Option<Value>) -> Result<(), Error> {
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
    let local = || {
        fixtures::tenant("localhost")
            .named("Local")
            .origins(&["http://localhost:8080"])
    };
    let (tenant, _) = local()
        .tweak(|config| config.passkey.attestation = AttestationPreference::Direct)
        .create(&engine, None)
        .await;
    let response = serde_json::to_vec(&vector["response"]).unwrap();
    if let Some(metadata) = metadata {
        // The model is learnt from a first registration in a scratch tenant.
        let (scratch, _) = local().display_name("Scratch").create(&engine, None).await;
        engine
            .start_registration(scratch.id, user("y"), CeremonyKind::Passkey, &meta())
            .await?;
        let model = engine
            .finish_registration(scratch.id, &response, CeremonyKind::Passkey, &meta())
            .await?
            .credential
            .aaguid;
        let change = MetadataChange {
            name: Some("YubiKey 5".into()),
            metadata: Some(metadata.to_string()),
            disabled: None,
            updated_by: "test".into(),
        };
        engine
            .put_policy(None, Uuid::from_bytes(model), change)
            .await?;
    }
    engine
        .start_registration(tenant.id, user("y"), CeremonyKind::Passkey, &meta())
        .await?;
    engine
        .finish_registration(tenant.id, &response, CeremonyKind::Passkey, &meta())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn metadata_roots_are_the_anchors_a_models_chain_must_reach() {
    register_yubikey(None).await.unwrap();
    let yubico = json!({"attestationRootCertificates": [root_base64("yubico-u2f-root.pem")]});
    register_yubikey(Some(yubico)).await.unwrap();
    let apple = json!({"attestationRootCertificates": [root_base64("apple-webauthn-root.pem")]});
    let refused = register_yubikey(Some(apple)).await;
    assert!(
        matches!(
            refused,
            Err(Error::Verification(latchkey_webauthn::Error::Untrusted))
        ),
        "{refused:?}"
    );
    // A record without roots only names the model.
    register_yubikey(Some(json!({"description": "YubiKey 5"})))
        .await
        .unwrap();
}

#[tokio::test]
async fn community_any_is_the_organisation_and_needs_a_system_license() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let other_org = organisation(&engine).await;
    let staff = engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap();
    let foreign = engine
        .create_community(other_org.id, "Foreign", DNS, Vec::new())
        .await
        .unwrap();
    let community = engine
        .create_license(org.id, LicenseScope::Community(staff.id.clone()))
        .await
        .unwrap()
        .license;
    let system = engine
        .create_license(org.id, LicenseScope::System)
        .await
        .unwrap()
        .license;

    let refused = engine.policy_scope(&community, CommunityScope::Any).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let scope = engine
        .policy_scope(&system, CommunityScope::Any)
        .await
        .unwrap();
    assert_eq!(scope, org.id);
    assert_eq!(
        engine
            .policy_scope(&system, CommunityScope::Named(&staff.id))
            .await
            .unwrap(),
        staff.realm
    );

    // The organisation's record disables the model in its communities, not in another's.
    let model = Uuid::from_bytes([0x11; 16]);
    engine
        .put_policy(Some(scope), model, disable())
        .await
        .unwrap();
    let refused = register(&engine, staff.realm, "alice", &SoftAuthenticator::es256()).await;
    assert!(
        matches!(refused, Err(Error::AuthenticatorDisabled(_))),
        "{refused:?}"
    );
    register(&engine, foreign.realm, "alice", &SoftAuthenticator::es256())
        .await
        .unwrap();

    // Fetching `any` shows the organisation's records and the global ones it does not override.
    let global = Uuid::from_bytes([0x33; 16]);
    let change = MetadataChange {
        name: Some("Imported".into()),
        ..disable()
    };
    engine
        .put_policy(None, global, change.clone())
        .await
        .unwrap();
    engine.put_policy(None, model, change).await.unwrap();
    let fetched = engine.policies_in_scope(scope, &[]).await.unwrap();
    let names: Vec<(Uuid, &str)> = fetched
        .iter()
        .map(|r| (r.aaguid, r.name.as_str()))
        .collect();
    assert_eq!(names, [(model, "Soft"), (global, "Imported")]);
}

#[tokio::test]
async fn credentials_link_to_dids_and_unregister_by_did_or_hash() {
    let engine = engine().await;
    let org = organisation(&engine).await;
    let community = engine
        .create_community(org.id, "Staff", DNS, Vec::new())
        .await
        .unwrap();
    let realm = community.realm;
    let phone = SoftAuthenticator::es256();
    let laptop = SoftAuthenticator::es256();
    let key = SoftAuthenticator::es256();
    for authenticator in [&phone, &laptop, &key] {
        register(&engine, realm, "alice", authenticator)
            .await
            .unwrap();
    }
    let phone_hash = fido_key_hash(&phone.credential_id);
    assert_eq!(phone_hash.len(), 128);

    let linked = engine
        .link(realm, "alice", "did:example:alice", &phone_hash)
        .await
        .unwrap();
    assert_eq!(linked.link.credential_id, phone.credential_id);
    engine
        .link(
            realm,
            "alice",
            "did:example:alice",
            &fido_key_hash(&laptop.credential_id),
        )
        .await
        .unwrap();
    // Linking again is idempotent.
    engine
        .link(
            realm,
            "alice",
            "did:example:alice",
            &phone_hash.to_uppercase(),
        )
        .await
        .unwrap();
    assert_eq!(engine.links(realm, "alice").await.unwrap().len(), 2);
    let unknown = engine.link(realm, "alice", "did:x", "00").await;
    assert!(
        matches!(unknown, Err(Error::NotFound(Entity::Credential))),
        "{unknown:?}"
    );
    let nobody = engine.links(realm, "nobody").await;
    assert!(
        matches!(nobody, Err(Error::NotFound(Entity::User))),
        "{nobody:?}"
    );
    // Asking for options creates no user a link could name.
    engine
        .start_registration(realm, user("ghost"), CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    let ghost = engine.links(realm, "ghost").await;
    assert!(
        matches!(ghost, Err(Error::NotFound(Entity::User))),
        "{ghost:?}"
    );

    let removed = engine
        .unregister(realm, Some("alice"), "did:example:alice", &meta())
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert!(engine.links(realm, "alice").await.unwrap().is_empty());
    let removed = engine
        .unregister(realm, None, &fido_key_hash(&key.credential_id), &meta())
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let mut tx = engine.store().read().await.unwrap();
    assert!(
        tx.credential(realm, &key.credential_id)
            .await
            .unwrap()
            .is_none()
    );
    drop(tx);
    let again = engine
        .unregister(realm, None, "did:example:alice", &meta())
        .await;
    assert!(matches!(again, Err(Error::NotFound(_))), "{again:?}");
}

#[tokio::test]
async fn a_service_secret_is_generated_once_and_kept_sealed() {
    let engine = engine().await;
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let generate = |made: Arc<std::sync::atomic::AtomicUsize>| {
        move || {
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok((vec![7; 32], vec![9; 64]))
        }
    };
    let first = engine
        .service_secret("envelope", generate(Arc::clone(&made)))
        .await
        .unwrap();
    let second = engine
        .service_secret("envelope", generate(Arc::clone(&made)))
        .await
        .unwrap();
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        (first.secret.clone(), first.public.clone()),
        (vec![7; 32], vec![9; 64])
    );
    assert_eq!((second.secret, second.public), (first.secret, first.public));
    let mut tx = engine.store().read().await.unwrap();
    let stored = tx.service_secret("envelope").await.unwrap().unwrap();
    assert!(!stored.sealed.windows(32).any(|w| w == [7; 32]));
}

#[tokio::test]
async fn an_import_disables_compromised_models_and_keeps_operators_decisions() {
    use latchkey_engine::authenticator_policy::ImportedStatement;

    let engine = engine().await;
    let statement = |byte: u8, compromised| ImportedStatement {
        aaguid: Uuid::from_bytes([byte; 16]),
        name: format!("Model {byte}"),
        metadata: json!({"description": format!("Model {byte}")}).to_string(),
        compromised,
        certification: None,
    };
    let imported = engine
        .import_policies([statement(1, false), statement(2, true)], "import")
        .await
        .unwrap();
    assert_eq!(imported, 2);
    engine
        .patch_policy(None, Uuid::from_bytes([1; 16]), disable())
        .await
        .unwrap();
    engine
        .import_policies([statement(1, false), statement(2, true)], "import")
        .await
        .unwrap();
    let stored = engine.policies(None, &[]).await.unwrap();
    let disabled: Vec<bool> = stored.iter().map(|record| record.disabled).collect();
    assert_eq!(disabled, [true, true]);
    assert_eq!(stored[0].name, "Model 1");
    assert_eq!(stored[0].updated_by, "import");
}
