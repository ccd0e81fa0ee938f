//! MFA login, transactions, credential management, tenant administration and the audit trail
//! of every ceremony, through the engine on SQLite in memory.

use std::sync::{Arc, Mutex};

use latchkey_engine::ceremonies::{CeremonyKind, NewTransaction};
use latchkey_engine::model::{AuditQuery, CounterRule, UserVerification};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::{CACHE_TTL, Engine, Entity, Error, Page};
use latchkey_testkit::{SoftAuthenticator, fixtures};
use latchkey_webauthn::decode_base64url;
use serde_json::json;

use crate::ceremonies::{Fixture, ORIGIN, RP_ID, USER, assertion, fixture, meta, new_user, start};

const PAGE: Page = Page {
    number: 1,
    per_page: 100,
    descending: false,
};

async fn register_mfa(fx: &Fixture, authenticator: &SoftAuthenticator) {
    let options = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Mfa, &meta())
        .await
        .unwrap();
    let response = authenticator
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes();
    fx.engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Mfa, &meta())
        .await
        .unwrap();
}

#[tokio::test]
async fn mfa_login_accepts_mfa_and_passkey_credentials_of_the_named_user() {
    let fx = fixture(CounterRule::Reject).await;
    let mut second_factor = SoftAuthenticator::es256();
    let passkey = SoftAuthenticator::es256();
    register_mfa(&fx, &second_factor).await;
    fx.register(&passkey).await;

    let options = fx
        .engine
        .start_mfa_login(fx.tenant, USER, &meta())
        .await
        .unwrap();
    // Both were registered at the same instant, so their order is not asserted.
    let mut allowed = options.allow_credentials.clone();
    allowed.sort_unstable();
    let mut expected = vec![
        second_factor.credential_id.clone(),
        passkey.credential_id.clone(),
    ];
    expected.sort_unstable();
    assert_eq!(allowed, expected);
    let response = assertion(&mut second_factor, &options.challenge);
    let outcome = fx
        .engine
        .finish_mfa_login(fx.tenant, &response, &meta())
        .await
        .unwrap();
    assert_eq!(outcome.credential_id, second_factor.credential_id);
    assert_eq!(fx.verify(&outcome.token).await.sub, USER);

    // An MFA challenge is not a passkey-login challenge.
    let options = fx
        .engine
        .start_mfa_login(fx.tenant, USER, &meta())
        .await
        .unwrap();
    let response = assertion(&mut second_factor, &options.challenge);
    let refused = fx.engine.finish_login(fx.tenant, &response, &meta()).await;
    assert!(
        matches!(refused, Err(Error::CeremonyMismatch(_))),
        "{refused:?}"
    );

    let unknown = fx
        .engine
        .start_mfa_login(fx.tenant, "nobody", &meta())
        .await;
    assert!(
        matches!(unknown, Err(Error::NotFound(Entity::User))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_transaction_binds_its_data_into_the_challenge_and_the_token() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let transaction = NewTransaction {
        user_id: USER.into(),
        transaction_id: "payment-1".into(),
        data: json!({"to": "bob", "amount": 10}),
    };
    let options = fx
        .engine
        .start_transaction(fx.tenant, transaction.clone(), &meta())
        .await
        .unwrap();
    assert_eq!(options.challenge.len(), 64);
    let bound = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        br#"payment-1{"amount":10,"to":"bob"}"#,
    );
    assert_eq!(&options.challenge[32..], bound.as_ref());
    assert_eq!(
        options.allow_credentials,
        [authenticator.credential_id.clone()]
    );

    let reused = fx
        .engine
        .start_transaction(fx.tenant, transaction, &meta())
        .await;
    assert!(
        matches!(reused, Err(Error::Conflict(Entity::Transaction))),
        "{reused:?}"
    );

    let response = assertion(&mut authenticator, &options.challenge);
    let outcome = fx
        .engine
        .finish_transaction(fx.tenant, &response, &meta())
        .await
        .unwrap();
    assert_eq!(outcome.transaction_id.as_deref(), Some("payment-1"));
    assert_eq!(
        fx.verify(&outcome.token).await.trans.as_deref(),
        Some("payment-1")
    );

    let user = fx.engine.users(fx.tenant, PAGE).await.unwrap().items[0].id;
    let stored = fx.engine.transactions(fx.tenant, user).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].data, r#"{"amount":10,"to":"bob"}"#);

    let second = fx
        .engine
        .start_transaction(
            fx.tenant,
            NewTransaction {
                user_id: USER.into(),
                transaction_id: "payment-2".into(),
                data: json!(null),
            },
            &meta(),
        )
        .await;
    assert!(second.is_ok());
}

#[tokio::test]
async fn every_ceremony_is_audited_on_success_and_on_failure() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    let second_factor = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    register_mfa(&fx, &second_factor).await;
    let options = fx
        .engine
        .start_transaction(
            fx.tenant,
            NewTransaction {
                user_id: USER.into(),
                transaction_id: "t-1".into(),
                data: json!({}),
            },
            &meta(),
        )
        .await
        .unwrap();
    let response = assertion(&mut authenticator, &options.challenge);
    fx.engine
        .finish_transaction(fx.tenant, &response, &meta())
        .await
        .unwrap();
    // Failures: unknown users, a garbage response to each finish.
    let _ = fx
        .engine
        .start_login(fx.tenant, Some("nobody"), &meta())
        .await;
    let _ = fx
        .engine
        .start_mfa_login(fx.tenant, "nobody", &meta())
        .await;
    let nobody = NewTransaction {
        user_id: "nobody".into(),
        transaction_id: "t-2".into(),
        data: json!({}),
    };
    let _ = fx
        .engine
        .start_transaction(fx.tenant, nobody, &meta())
        .await;
    let garbage = b"{}";
    for kind in [CeremonyKind::Passkey, CeremonyKind::Mfa] {
        let _ = fx
            .engine
            .finish_registration(fx.tenant, garbage, kind, &meta())
            .await;
    }
    let _ = fx.engine.finish_login(fx.tenant, garbage, &meta()).await;
    let _ = fx
        .engine
        .finish_mfa_login(fx.tenant, garbage, &meta())
        .await;
    let _ = fx
        .engine
        .finish_transaction(fx.tenant, garbage, &meta())
        .await;
    let credential = authenticator.credential_id.clone();
    fx.engine
        .rename_credential(fx.tenant, &credential, "My key", &meta())
        .await
        .unwrap();
    fx.engine
        .delete_credential(fx.tenant, &credential, &meta())
        .await
        .unwrap();
    let options = fx
        .engine
        .start_mfa_login(fx.tenant, USER, &meta())
        .await
        .unwrap();
    authenticator = second_factor;
    let response = assertion(&mut authenticator, &options.challenge);
    fx.engine
        .finish_mfa_login(fx.tenant, &response, &meta())
        .await
        .unwrap();
    let options = fx
        .engine
        .start_login(fx.tenant, None, &meta())
        .await
        .unwrap();
    let response = assertion(&mut authenticator, &options.challenge);
    let _ = fx.engine.finish_login(fx.tenant, &response, &meta()).await;
    let _ = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Passkey, &meta())
        .await;

    let events = fx.audit_events_matching(&AuditQuery::default()).await;
    let mut kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut expected = vec![
        "mfa_authentication_final_failed",
        "mfa_authentication_final_succeeded",
        "mfa_authentication_init_failed",
        "mfa_authentication_init_succeeded",
        "mfa_registration_final_failed",
        "mfa_registration_final_succeeded",
        "mfa_registration_init_succeeded",
        "webauthn_authentication_final_failed",
        "webauthn_authentication_init_failed",
        "webauthn_authentication_init_succeeded",
        "webauthn_credential_deleted",
        "webauthn_credential_updated",
        "webauthn_registration_final_failed",
        "webauthn_registration_final_succeeded",
        "webauthn_registration_init_succeeded",
        "webauthn_transaction_final_failed",
        "webauthn_transaction_final_succeeded",
        "webauthn_transaction_init_failed",
        "webauthn_transaction_init_succeeded",
    ];
    expected.sort_unstable();
    assert_eq!(kinds, expected);
    let failed_transaction = events
        .iter()
        .find(|event| event.kind == "webauthn_transaction_init_failed")
        .unwrap();
    assert_eq!(failed_transaction.transaction_id.as_deref(), Some("t-2"));
    assert_eq!(failed_transaction.error.as_deref(), Some("user not found"));
}

#[tokio::test]
async fn credentials_are_listed_with_their_owner_renamed_and_deleted() {
    let fx = fixture(CounterRule::Reject).await;
    let authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let id = authenticator.credential_id.clone();

    let listed = fx
        .engine
        .credentials(fx.tenant, Some(USER), PAGE)
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].user_id, USER);
    // The soft authenticator's AAGUID is in no table: the name falls back to the id.
    let fallback = format!("cred-{}", latchkey_webauthn::encode_base64url(&id));
    assert_eq!(
        listed.items[0].credential.name.as_deref(),
        Some(fallback.as_str())
    );
    let unknown_user = fx
        .engine
        .credentials(fx.tenant, Some("nobody"), PAGE)
        .await
        .unwrap();
    assert_eq!(unknown_user.total, 0);

    fx.engine
        .rename_credential(fx.tenant, &id, "Laptop", &meta())
        .await
        .unwrap();
    let renamed = fx.engine.credential(fx.tenant, &id).await.unwrap();
    assert_eq!(renamed.credential.name.as_deref(), Some("Laptop"));
    let blank = fx
        .engine
        .rename_credential(fx.tenant, &id, " ", &meta())
        .await;
    assert!(matches!(blank, Err(Error::Invalid { .. })), "{blank:?}");

    fx.engine
        .delete_credential(fx.tenant, &id, &meta())
        .await
        .unwrap();
    let gone = fx.engine.credential(fx.tenant, &id).await;
    assert!(
        matches!(gone, Err(Error::NotFound(Entity::Credential))),
        "{gone:?}"
    );
    let again = fx.engine.delete_credential(fx.tenant, &id, &meta()).await;
    assert!(
        matches!(again, Err(Error::NotFound(Entity::Credential))),
        "{again:?}"
    );
}

#[tokio::test]
async fn tenants_are_created_with_a_signing_key_and_a_working_api_key() {
    let fx = fixture(CounterRule::Reject).await;
    let shop = fixtures::tenant(RP_ID).display_name("Shop");
    let config = shop.clone().config();
    assert_eq!(config.passkey.user_verification, UserVerification::Required);
    assert_eq!(config.cors.allowed_origins, [ORIGIN]);
    let (tenant, issued) = shop.create(&fx.engine, Some("Initial API Key")).await;
    let issued = issued.unwrap();
    assert_eq!(
        decode_base64url("secret", issued.secret.trim_end_matches('='), 100)
            .unwrap()
            .len(),
        64
    );
    assert_eq!(fx.engine.signing_keys(tenant.id).await.unwrap().len(), 1);

    fx.engine
        .check_api_key(tenant.id, &issued.secret)
        .await
        .unwrap();
    let wrong = fx.engine.check_api_key(tenant.id, "nope").await;
    assert!(matches!(wrong, Err(Error::ApiKeyInvalid)), "{wrong:?}");
    // Another tenant's key is no key here.
    let other = fx.engine.create_api_key(fx.tenant, "other").await.unwrap();
    let foreign = fx.engine.check_api_key(tenant.id, &other.secret).await;
    assert!(matches!(foreign, Err(Error::ApiKeyInvalid)), "{foreign:?}");

    fx.engine
        .delete_api_key(tenant.id, issued.key.id)
        .await
        .unwrap();
    let revoked = fx.engine.check_api_key(tenant.id, &issued.secret).await;
    assert!(matches!(revoked, Err(Error::ApiKeyInvalid)), "{revoked:?}");

    let mut bad = fixtures::tenant(RP_ID).origins(&[]).config();
    let refused = fx
        .engine
        .replace_tenant_config(tenant.id, bad.clone())
        .await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    bad.relying_party.origins = vec![ORIGIN.into()];
    bad.rsa_bits = 1024;
    let refused = fx.engine.replace_tenant_config(tenant.id, bad).await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");

    fx.engine.delete_tenant(tenant.id).await.unwrap();
    let gone = fx.engine.tenant(tenant.id).await;
    assert!(
        matches!(gone, Err(Error::NotFound(Entity::Tenant))),
        "{gone:?}"
    );
}

#[tokio::test]
async fn a_rotated_key_signs_while_the_old_one_still_verifies() {
    let fx = fixture(CounterRule::Reject).await;
    let authenticator = SoftAuthenticator::es256();
    let before = fx.register(&authenticator).await;
    let old = fx.engine.signing_keys(fx.tenant).await.unwrap();
    assert_eq!(old.len(), 1);

    let new = fx.engine.rotate_signing_key(fx.tenant).await.unwrap();
    let jwks = fx.engine.jwks(fx.tenant).await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [old[0].id.to_string(), new.id.to_string()]);
    let claims = latchkey_engine::tokens::verify_token(&jwks, &before, fx.now()).unwrap();
    assert_eq!(claims.sub, USER);

    let mut second = SoftAuthenticator::es256();
    second.counter = 0;
    let response = fx.registration_response(&second).await;
    let after = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap()
        .token;
    let header = after.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&decode_base64url("header", header, 1000).unwrap()).unwrap();
    assert_eq!(header["kid"], new.id.to_string());

    fx.engine
        .delete_signing_key(fx.tenant, old[0].id)
        .await
        .unwrap();
    let jwks = fx.engine.jwks(fx.tenant).await.unwrap();
    assert!(latchkey_engine::tokens::verify_token(&jwks, &before, fx.now()).is_err());
}

#[tokio::test]
async fn tenants_asking_for_console_audit_get_their_events_printed() {
    use std::sync::{Arc, Mutex};

    let printed = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&printed);
    let engine = fixtures::engine_at(crate::ceremonies::start)
        .await
        .with_audit_console(move |event| sink.lock().unwrap().push(event.kind.clone()));
    let (tenant, _) = fixtures::tenant(RP_ID)
        .display_name("Loud")
        .tweak(|config| {
            config.audit.console = true;
            config.audit.store = false;
        })
        .create(&engine, None)
        .await;
    engine.start_login(tenant.id, None, &meta()).await.unwrap();
    let _ = engine.start_login(tenant.id, Some("nobody"), &meta()).await;
    assert_eq!(
        *printed.lock().unwrap(),
        [
            "webauthn_authentication_init_succeeded",
            "webauthn_authentication_init_failed"
        ]
    );
    let stored = engine
        .audit_events(tenant.id, &AuditQuery::default(), PAGE)
        .await
        .unwrap();
    assert_eq!(stored.total, 0);
}

/// Requests are served from a tenant as read at most `CACHE_TTL` ago: a change made
/// through this engine is served at once, one made by another process sharing the store once
/// the entry has aged out.
#[tokio::test]
async fn a_tenant_change_reaches_every_server_within_the_cache_ttl() {
    use std::sync::{Arc, Mutex};

    use latchkey_engine::CACHE_TTL;
    use latchkey_engine::secrets::MasterKey;
    use time::{Duration, OffsetDateTime};

    let now = Arc::new(Mutex::new(
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000),
    ));
    let clock = |now: &Arc<Mutex<OffsetDateTime>>| {
        let now = Arc::clone(now);
        move || *now.lock().unwrap()
    };
    let store = fixtures::memory_store().await;
    let this =
        latchkey_engine::Engine::new(store.clone(), MasterKey::generate().unwrap(), clock(&now));
    let other = latchkey_engine::Engine::new(store, MasterKey::generate().unwrap(), clock(&now));
    let (tenant, _) = fixtures::tenant(RP_ID).create(&this, None).await;
    assert_eq!(served_name(&this, tenant.id).await, "Example");

    this.rename_tenant(tenant.id, "Renamed here".into())
        .await
        .unwrap();
    assert_eq!(served_name(&this, tenant.id).await, "Renamed here");

    other
        .rename_tenant(tenant.id, "Renamed elsewhere".into())
        .await
        .unwrap();
    assert_eq!(
        served_name(&this, tenant.id).await,
        "Renamed here",
        "still fresh"
    );
    *now.lock().unwrap() += CACHE_TTL;
    assert_eq!(served_name(&this, tenant.id).await, "Renamed elsewhere");

    // A deletion elsewhere: requests find no tenant once the entry aged out.
    other.delete_tenant(tenant.id).await.unwrap();
    *now.lock().unwrap() += CACHE_TTL;
    assert!(matches!(
        this.serving_tenant(tenant.id).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
}

async fn served_name<S: latchkey_engine::Store>(
    engine: &latchkey_engine::Engine<S>,
    tenant: latchkey_engine::model::TenantId,
) -> String {
    engine
        .serving_tenant(tenant)
        .await
        .unwrap()
        .display_name
        .clone()
}

/// An API key deleted through another server sharing the store still opens this one until its
/// cached check is `CACHE_TTL` old; one deleted through this server is refused at once.
#[tokio::test]
async fn an_api_key_deleted_elsewhere_is_refused_within_the_cache_ttl() {
    let now = Arc::new(Mutex::new(start()));
    let clock = || {
        let now = Arc::clone(&now);
        move || *now.lock().unwrap()
    };
    let store = fixtures::memory_store().await;
    let this = Engine::new(store.clone(), MasterKey::generate().unwrap(), clock());
    let other = Engine::new(store, MasterKey::generate().unwrap(), clock());
    let (tenant, _) = fixtures::tenant(RP_ID).create(&this, None).await;
    let key = this.create_api_key(tenant.id, "backend").await.unwrap();
    this.check_api_key(tenant.id, &key.secret).await.unwrap();

    other.delete_api_key(tenant.id, key.key.id).await.unwrap();
    this.check_api_key(tenant.id, &key.secret)
        .await
        .expect("still fresh");
    *now.lock().unwrap() += CACHE_TTL;
    let revoked = this.check_api_key(tenant.id, &key.secret).await;
    assert!(matches!(revoked, Err(Error::ApiKeyInvalid)), "{revoked:?}");
}
