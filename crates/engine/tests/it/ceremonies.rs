//! Registration and login through the engine, on SQLite in memory, with a software
//! authenticator.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use latchkey_engine::ceremonies::{CeremonyKind, LoginOutcome, MAX_USER_HANDLE_BYTES, NewUser};
use latchkey_engine::model::{
    AttestationPreference, AuditEvent, AuditQuery, AuthenticatorSettings, BackupEligibilityRule,
    CounterRule, ResidentKey, SigningAlgorithm, TenantId, UserVerification,
};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::tokens::{Claims, jwks, verify_token};
use latchkey_engine::{Engine, RequestMeta};
use latchkey_engine::{Entity, Error, Page, ReadTx, Store};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::SoftAuthenticator;
use latchkey_testkit::fixtures::{self, TenantFixture};
use latchkey_webauthn::encode_base64url;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub(crate) const RP_ID: &str = "login.example.test";
pub(crate) const ORIGIN: &str = "https://login.example.test";
const TIMEOUT_MS: u32 = 60_000;
pub(crate) const USER: &str = "user-1";

pub(crate) struct Fixture {
    pub(crate) engine: Arc<Engine<SqliteStore>>,
    pub(crate) tenant: TenantId,
    /// Seconds the engine's clock is ahead of `start`.
    offset: Arc<AtomicI64>,
}

pub(crate) fn start() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

/// The tenant of these tests: user verification preferred, no attestation, a one-minute
/// timeout.
fn tenant(counter: CounterRule, signing_algorithm: SigningAlgorithm) -> TenantFixture {
    let settings = AuthenticatorSettings {
        timeout_ms: TIMEOUT_MS,
        user_verification: UserVerification::Preferred,
        attachment: None,
        attestation: AttestationPreference::None,
        resident_key: ResidentKey::Required,
        extensions: Default::default(),
    };
    fixtures::tenant(RP_ID)
        .authenticators(settings)
        .counter(counter)
        .signing(signing_algorithm)
}

pub(crate) async fn fixture_with(counter: CounterRule, algorithm: SigningAlgorithm) -> Fixture {
    let store = fixtures::memory_store().await;
    let tenant = tenant(counter, algorithm).insert(&store, start()).await;
    let offset = Arc::new(AtomicI64::new(0));
    let clock = {
        let offset = Arc::clone(&offset);
        move || start() + Duration::seconds(offset.load(Ordering::SeqCst))
    };
    let engine = Engine::new(store, MasterKey::generate().unwrap(), clock);
    Fixture {
        engine: Arc::new(engine),
        tenant: tenant.id,
        offset,
    }
}

pub(crate) async fn fixture(counter: CounterRule) -> Fixture {
    fixture_with(counter, SigningAlgorithm::ES256).await
}

pub(crate) fn new_user() -> NewUser {
    NewUser {
        external_id: USER.into(),
        name: "alice".into(),
        display_name: " ".into(),
        icon: None,
    }
}

pub(crate) fn meta() -> RequestMeta {
    RequestMeta {
        request_id: "req-1".into(),
        source_ip: "192.0.2.1".into(),
        user_agent: "test".into(),
    }
}

/// [`USER`]'s assertion for `challenge`, as the browser posts it.
pub(crate) fn assertion(authenticator: &mut SoftAuthenticator, challenge: &[u8]) -> Vec<u8> {
    authenticator
        .assert(RP_ID, ORIGIN, challenge, USER.as_bytes())
        .to_string()
        .into_bytes()
}

impl Fixture {
    /// Moves the engine's clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.whole_seconds(), Ordering::SeqCst);
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        start() + Duration::seconds(self.offset.load(Ordering::SeqCst))
    }

    /// A passkey registration response of [`USER`] for a fresh challenge.
    pub(crate) async fn registration_response(&self, authenticator: &SoftAuthenticator) -> Vec<u8> {
        let options = self
            .engine
            .start_registration(self.tenant, new_user(), CeremonyKind::Passkey, &meta())
            .await
            .unwrap();
        authenticator
            .register(RP_ID, ORIGIN, &options.challenge)
            .to_string()
            .into_bytes()
    }

    pub(crate) async fn register(&self, authenticator: &SoftAuthenticator) -> String {
        let response = self.registration_response(authenticator).await;
        let outcome = self
            .engine
            .finish_registration(self.tenant, &response, CeremonyKind::Passkey, &meta())
            .await
            .unwrap();
        outcome.token
    }

    /// A login response for a fresh discoverable challenge.
    async fn login_response(&self, authenticator: &mut SoftAuthenticator) -> Vec<u8> {
        let options = self
            .engine
            .start_login(self.tenant, None, &meta())
            .await
            .unwrap();
        assertion(authenticator, &options.challenge)
    }

    async fn finish_login(&self, response: &[u8]) -> Result<LoginOutcome, Error> {
        self.engine
            .finish_login(self.tenant, response, &meta())
            .await
    }

    pub(crate) async fn verify(&self, token: &str) -> Claims {
        let mut tx = self.engine.store().read().await.unwrap();
        let keys = tx.signing_keys(self.tenant).await.unwrap();
        verify_token(&jwks(&keys).unwrap(), token, self.now()).unwrap()
    }

    /// The audit events of login finishes, the ones most tests examine.
    async fn audit_events(&self) -> Vec<AuditEvent> {
        let query = AuditQuery {
            kinds: vec![
                "webauthn_authentication_final_succeeded".into(),
                "webauthn_authentication_final_failed".into(),
            ],
            ..AuditQuery::default()
        };
        self.audit_events_matching(&query).await
    }

    pub(crate) async fn audit_events_matching(&self, query: &AuditQuery) -> Vec<AuditEvent> {
        let page = Page {
            number: 1,
            per_page: 100,
            descending: true,
        };
        self.engine
            .audit_events(self.tenant, query, page)
            .await
            .unwrap()
            .items
    }
}

#[tokio::test]
async fn register_then_login_issues_tokens_the_jwks_verifies() {
    // RS256, as Hanko clients expect, for the one test that covers the whole flow.
    let fx = fixture_with(CounterRule::Reject, SigningAlgorithm::RS256).await;
    let mut authenticator = SoftAuthenticator::es256();

    let options = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert_eq!(options.rp_id, RP_ID);
    assert_eq!(options.user_handle, USER.as_bytes());
    assert_eq!(
        options.user_display_name, "alice",
        "blank display name falls back"
    );
    assert_eq!(options.challenge.len(), 32);
    let algorithms: Vec<i64> = options.algorithms.iter().map(|a| a.id()).collect();
    assert_eq!(
        algorithms,
        [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8]
    );
    assert_eq!(options.timeout_ms, TIMEOUT_MS);

    let response = authenticator
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes();
    let registered = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert_eq!(registered.credential.id, authenticator.credential_id);
    assert_eq!(registered.credential.transports, ["internal"]);
    assert!(!registered.credential.is_mfa);
    let claims = fx.verify(&registered.token).await;
    assert_eq!(claims.sub, USER);
    assert_eq!(claims.aud, [RP_ID]);
    assert_eq!(claims.cred, encode_base64url(&authenticator.credential_id));

    let options = fx
        .engine
        .start_login(fx.tenant, Some(USER), &meta())
        .await
        .unwrap();
    assert_eq!(options.rp_id, RP_ID);
    assert_eq!(
        options.allow_credentials,
        [authenticator.credential_id.clone()]
    );
    let response = assertion(&mut authenticator, &options.challenge);
    let login = fx.finish_login(&response).await.unwrap();
    assert_eq!(login.credential_id, authenticator.credential_id);
    assert_eq!(login.user_id, USER);
    let claims = fx.verify(&login.token).await;
    assert_eq!(claims.sub, USER);
    assert_eq!(claims.aud, [RP_ID]);
    assert_eq!(claims.cred, encode_base64url(&authenticator.credential_id));

    // Discoverable login too, and one signing key for all three tokens.
    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();
    let mut tx = fx.engine.store().read().await.unwrap();
    assert_eq!(tx.signing_keys(fx.tenant).await.unwrap().len(), 1);
    let stored = tx
        .credential(fx.tenant, &authenticator.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sign_count, 2);
    drop(tx);

    let events = fx.audit_events().await;
    assert_eq!(events.len(), 2);
    for event in events {
        assert_eq!(event.kind, "webauthn_authentication_final_succeeded");
        assert_eq!(event.actor_user_id.as_deref(), Some(USER));
        assert_eq!(event.error, None);
        assert_eq!(event.request_id, "req-1");
    }
}

#[tokio::test]
async fn a_replayed_challenge_is_refused() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    let response = fx.registration_response(&authenticator).await;
    fx.engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    let replayed = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await;
    assert!(
        matches!(replayed, Err(Error::CeremonyNotFound)),
        "{replayed:?}"
    );

    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();
    let replayed = fx.finish_login(&response).await;
    assert!(
        matches!(replayed, Err(Error::CeremonyNotFound)),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn an_expired_ceremony_is_refused_and_audited() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    let response = fx.registration_response(&authenticator).await;
    fx.offset.store(61, Ordering::SeqCst);
    let expired = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await;
    assert!(
        matches!(expired, Err(Error::CeremonyExpired)),
        "{expired:?}"
    );

    fx.register(&authenticator).await;
    let response = fx.login_response(&mut authenticator).await;
    fx.offset.fetch_add(3601, Ordering::SeqCst);
    let expired = fx.finish_login(&response).await;
    assert!(
        matches!(expired, Err(Error::CeremonyExpired)),
        "{expired:?}"
    );

    let events = fx.audit_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "webauthn_authentication_final_failed");
    assert_eq!(events[0].error.as_deref(), Some("ceremony expired"));
    assert_eq!(events[0].source_ip, "192.0.2.1");
}

#[tokio::test]
async fn a_discoverable_login_waits_for_its_own_lifetime() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;

    // Passkey autofill: the page starts the login, the user picks a passkey long after the
    // tenant's one-minute timeout, and well within the hour of a discoverable login.
    let response = fx.login_response(&mut authenticator).await;
    fx.offset.fetch_add(3599, Ordering::SeqCst);
    fx.finish_login(&response).await.unwrap();

    // A login for a named user keeps the tenant's timeout.
    let options = fx
        .engine
        .start_login(fx.tenant, Some(USER), &meta())
        .await
        .unwrap();
    let response = assertion(&mut authenticator, &options.challenge);
    fx.offset.fetch_add(61, Ordering::SeqCst);
    let expired = fx.finish_login(&response).await;
    assert!(
        matches!(expired, Err(Error::CeremonyExpired)),
        "{expired:?}"
    );

    // The lifetime is bounded: an abandoned discoverable login expires and is cleaned up.
    let response = fx.login_response(&mut authenticator).await;
    fx.offset.fetch_add(3601, Ordering::SeqCst);
    // It goes with the refused named-user login, whose failed finish kept it.
    let removed = fx.engine.delete_expired_ceremonies().await.unwrap();
    assert_eq!(removed, 2);
    let gone = fx.finish_login(&response).await;
    assert!(matches!(gone, Err(Error::CeremonyNotFound)), "{gone:?}");
}

#[tokio::test]
async fn a_discoverable_login_needs_a_user_handle_naming_the_owner() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    for handle in [&b""[..], b"somebody-else"] {
        let options = fx
            .engine
            .start_login(fx.tenant, None, &meta())
            .await
            .unwrap();
        let mut response = authenticator.assert(RP_ID, ORIGIN, &options.challenge, handle);
        if handle.is_empty() {
            response["response"]["userHandle"] = serde_json::Value::Null;
        }
        let refused = fx
            .finish_login(&serde_json::to_vec(&response).unwrap())
            .await;
        assert!(
            matches!(refused, Err(Error::NotFound(Entity::User))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_changed_backup_eligibility_is_audited_or_refused_as_the_tenant_says() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    const BE: u8 = 0x08;
    authenticator.flags |= BE;
    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();
    let events = fx.audit_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].error.as_deref(),
        Some("backup eligibility changed since registration")
    );
    // The registered flag is kept, so every such login is audited.
    let mut tx = fx.engine.store().read().await.unwrap();
    let stored = tx
        .credential(fx.tenant, &authenticator.credential_id)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    assert!(!stored.backup_eligible);

    let mut tenant = fx.engine.tenant(fx.tenant).await.unwrap();
    tenant.config.backup_eligibility = BackupEligibilityRule::Reject;
    fx.engine
        .replace_tenant_config(fx.tenant, tenant.config)
        .await
        .unwrap();
    let response = fx.login_response(&mut authenticator).await;
    let refused = fx.finish_login(&response).await;
    assert!(
        matches!(
            refused,
            Err(Error::Verification(latchkey_webauthn::Error::BackupFlags(
                _
            )))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn another_tenants_challenge_is_refused() {
    let fx = fixture(CounterRule::Reject).await;
    let other = tenant(CounterRule::Reject, SigningAlgorithm::ES256)
        .insert(fx.engine.store(), start())
        .await;
    let mut authenticator = SoftAuthenticator::es256();

    let response = fx.registration_response(&authenticator).await;
    let refused = fx
        .engine
        .finish_registration(other.id, &response, CeremonyKind::Passkey, &meta())
        .await;
    assert!(
        matches!(refused, Err(Error::CeremonyNotFound)),
        "{refused:?}"
    );
    // The refusal consumed nothing: the right tenant can still finish.
    fx.engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();

    let response = fx.login_response(&mut authenticator).await;
    let refused = fx.engine.finish_login(other.id, &response, &meta()).await;
    assert!(
        matches!(refused, Err(Error::CeremonyNotFound)),
        "{refused:?}"
    );
    fx.finish_login(&response).await.unwrap();

    let unknown = fx
        .engine
        .start_login(TenantId(Uuid::new_v4()), None, &meta())
        .await;
    assert!(
        matches!(unknown, Err(Error::NotFound(Entity::Tenant))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_credential_registers_once() {
    let fx = fixture(CounterRule::Reject).await;
    let authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let response = fx.registration_response(&authenticator).await;
    let duplicate = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await;
    assert!(
        matches!(duplicate, Err(Error::Conflict(Entity::Credential))),
        "{duplicate:?}"
    );
}

#[tokio::test]
async fn a_registration_excludes_the_users_existing_credentials() {
    let fx = fixture(CounterRule::Reject).await;
    let first = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert_eq!(first.exclude_credentials, []);
    fx.register(&SoftAuthenticator::es256()).await;
    let listed = fx
        .engine
        .credentials(
            fx.tenant,
            Some(USER),
            Page {
                number: 1,
                per_page: 10,
                descending: false,
            },
        )
        .await
        .unwrap();
    let again = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Mfa, &meta())
        .await
        .unwrap();
    let excluded: Vec<_> = again.exclude_credentials.iter().map(|c| &c.id).collect();
    assert_eq!(excluded, [&listed.items[0].credential.id]);

    let other = NewUser {
        external_id: "user-2".into(),
        ..new_user()
    };
    let stranger = fx
        .engine
        .start_registration(fx.tenant, other, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert_eq!(stranger.exclude_credentials, []);
}

#[tokio::test]
async fn a_user_id_longer_than_a_user_handle_is_refused() {
    let fx = fixture(CounterRule::Reject).await;
    let longest = NewUser {
        external_id: "é".repeat(MAX_USER_HANDLE_BYTES / 2),
        ..new_user()
    };
    let options = fx
        .engine
        .start_registration(fx.tenant, longest, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert_eq!(options.user_handle.len(), MAX_USER_HANDLE_BYTES);
    for kind in [CeremonyKind::Passkey, CeremonyKind::Mfa] {
        let too_long = NewUser {
            external_id: format!("{}x", "é".repeat(MAX_USER_HANDLE_BYTES / 2)),
            ..new_user()
        };
        let refused = fx
            .engine
            .start_registration(fx.tenant, too_long, kind, &meta())
            .await;
        assert!(
            matches!(
                refused,
                Err(Error::Invalid {
                    field: "user_id",
                    ..
                })
            ),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_login_challenge_does_not_finish_a_registration() {
    let fx = fixture(CounterRule::Reject).await;
    let authenticator = SoftAuthenticator::es256();
    let options = fx
        .engine
        .start_login(fx.tenant, None, &meta())
        .await
        .unwrap();
    let response = authenticator
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes();
    let refused = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await;
    assert!(
        matches!(refused, Err(Error::CeremonyMismatch(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn mfa_credentials_are_not_passkeys() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    let options = fx
        .engine
        .start_registration(fx.tenant, new_user(), CeremonyKind::Mfa, &meta())
        .await
        .unwrap();
    let response = authenticator
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes();
    let registered = fx
        .engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .unwrap();
    assert!(registered.credential.is_mfa);

    let none = fx.engine.start_login(fx.tenant, Some(USER), &meta()).await;
    assert!(matches!(none, Err(Error::NoCredentials)), "{none:?}");
    let response = fx.login_response(&mut authenticator).await;
    let refused = fx.finish_login(&response).await;
    assert!(
        matches!(refused, Err(Error::NotFound(Entity::Credential))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_counter_regression_is_refused_under_reject() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    authenticator.counter = 5;
    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();

    authenticator.counter = 2;
    let response = fx.login_response(&mut authenticator).await;
    let refused = fx.finish_login(&response).await;
    assert!(
        matches!(
            refused,
            Err(Error::Verification(
                latchkey_webauthn::Error::CounterRegression { .. }
            ))
        ),
        "{refused:?}"
    );
    let events = fx.audit_events().await;
    assert_eq!(events.len(), 2);
    // Both events carry the same time (the test clock stands still), so no order is asserted.
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.error.is_some()))
        .collect();
    assert!(kinds.contains(&("webauthn_authentication_final_succeeded", false)));
    assert!(kinds.contains(&("webauthn_authentication_final_failed", true)));
}

#[tokio::test]
async fn a_counter_regression_is_accepted_and_audited_under_audit_only() {
    let fx = fixture(CounterRule::AuditOnly).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    authenticator.counter = 5;
    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();

    authenticator.counter = 2;
    let response = fx.login_response(&mut authenticator).await;
    fx.finish_login(&response).await.unwrap();

    let events = fx.audit_events().await;
    assert_eq!(events.len(), 2);
    let flagged: Vec<_> = events.iter().filter(|e| e.error.is_some()).collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].kind, "webauthn_authentication_final_succeeded");
    assert!(flagged[0].error.as_deref().unwrap().contains("counter"));
    // The stored counter never goes back.
    let mut tx = fx.engine.store().read().await.unwrap();
    let stored = tx
        .credential(fx.tenant, &authenticator.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sign_count, 6);
}

#[tokio::test]
async fn of_concurrent_finishes_of_one_challenge_exactly_one_succeeds() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let response = Arc::new(fx.login_response(&mut authenticator).await);

    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let engine = Arc::clone(&fx.engine);
            let response = Arc::clone(&response);
            let tenant = fx.tenant;
            tokio::spawn(async move { engine.finish_login(tenant, &response, &meta()).await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(Error::CeremonyNotFound) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(succeeded, 1);
    let events = fx.audit_events().await;
    let failed = events
        .iter()
        .filter(|e| e.kind == "webauthn_authentication_final_failed")
        .count();
    assert_eq!((events.len(), failed), (4, 3));
}
