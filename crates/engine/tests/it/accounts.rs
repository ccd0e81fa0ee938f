//! Accounts of the Hanko Public API through the engine on SQLite in memory: sign-up and
//! passcodes, emails, passwords, passkeys with sessions, and the end of sessions.

use std::sync::Arc;

use latchkey_engine::accounts::{PASSCODE_MAX_ATTEMPTS, PasscodeRequest, SignUp};
use latchkey_engine::ceremonies::ExtensionInputs;
use latchkey_engine::model::{CounterRule, Password, UserId};
use latchkey_engine::rate_limit::{MemoryCounter, RateLimits};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::{Engine, Entity, Error, Store, WriteTx};
use latchkey_testkit::SoftAuthenticator;
use time::Duration;

use crate::ceremonies::{Fixture, ORIGIN, RP_ID, fixture, meta};

/// A fixture whose tenant serves the Hanko Public API; `change` adjusts its block.
pub(crate) async fn accounts(
    change: impl FnOnce(&mut latchkey_engine::model::HankoPublicConfig) + Send,
) -> Fixture {
    let fx = fixture(CounterRule::Reject).await;
    fx.engine
        .update_tenant_config(fx.tenant, |config| {
            let mut config = config.clone();
            config.hanko_public.enabled = true;
            config.hanko_public.password.enabled = true;
            change(&mut config.hanko_public);
            Ok(config)
        })
        .await
        .unwrap();
    fx
}

impl Fixture {
    async fn sign_up(&self, address: &str) -> SignUp {
        self.engine
            .sign_up(self.tenant, address, &meta())
            .await
            .unwrap()
    }

    /// Issues a passcode for the sign-up's address and enters `code` (the right one if `None`).
    async fn passcode(&self, signed_up: &SignUp) -> latchkey_engine::accounts::IssuedPasscode {
        self.engine
            .start_passcode(
                self.tenant,
                PasscodeRequest {
                    user: signed_up.user,
                    email: Some(signed_up.email),
                    signup_email: None,
                    session_user: None,
                },
                &meta(),
            )
            .await
            .outcome
            .unwrap()
    }

    /// A user who signed up and proved their address; their session token.
    async fn verified_user(&self, address: &str) -> (UserId, String) {
        let signed_up = self.sign_up(address).await;
        let issued = self.passcode(&signed_up).await;
        let login = self
            .engine
            .finish_passcode(self.tenant, issued.passcode.id, &issued.code, None, &meta())
            .await
            .unwrap();
        (signed_up.user, login.session.token)
    }
}

#[tokio::test]
async fn a_sign_up_is_pending_until_its_passcode_is_entered() {
    let fx = accounts(|_| {}).await;
    let signed_up = fx.sign_up("Alice@Example.com").await;
    assert!(signed_up.session.is_none());
    let pending = fx
        .engine
        .look_up_address(fx.tenant, "alice@example.com")
        .await;
    assert!(
        matches!(pending, Err(Error::NotFound(Entity::Email))),
        "{pending:?}"
    );

    let issued = fx.passcode(&signed_up).await;
    assert_eq!(issued.address, "alice@example.com");
    assert_eq!(issued.code.len(), 6);
    assert!(issued.code.bytes().all(|b| b.is_ascii_digit()));
    let login = fx
        .engine
        .finish_passcode(fx.tenant, issued.passcode.id, &issued.code, None, &meta())
        .await
        .unwrap();
    assert_eq!(login.session.user, signed_up.user);
    assert_eq!(login.session.lifetime_secs, 3_600);

    let found = fx
        .engine
        .look_up_address(fx.tenant, "ALICE@example.com")
        .await
        .unwrap();
    assert_eq!(found.user, signed_up.user);
    assert!(found.verified && !found.has_passkey);
    let session = fx
        .engine
        .verify_session(fx.tenant, &login.session.token)
        .await
        .unwrap();
    assert_eq!(session.user, signed_up.user);
    let emails = fx.engine.emails(fx.tenant, signed_up.user).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert!(emails[0].primary && emails[0].verified);

    // A used passcode is gone.
    let again = fx
        .engine
        .finish_passcode(fx.tenant, issued.passcode.id, &issued.code, None, &meta())
        .await;
    assert!(
        matches!(again, Err(Error::NotFound(Entity::Passcode))),
        "{again:?}"
    );
    // The address is taken now.
    let taken = fx
        .engine
        .sign_up(fx.tenant, "alice@example.com", &meta())
        .await;
    assert!(
        matches!(taken, Err(Error::Conflict(Entity::Email))),
        "{taken:?}"
    );
}

#[tokio::test]
async fn the_third_wrong_code_ends_the_passcode() {
    let fx = accounts(|_| {}).await;
    let signed_up = fx.sign_up("bob@example.com").await;
    let issued = fx.passcode(&signed_up).await;
    let wrong = if issued.code == "000000" {
        "000001"
    } else {
        "000000"
    };
    for attempt in 1..=PASSCODE_MAX_ATTEMPTS {
        let refused = fx
            .engine
            .finish_passcode(fx.tenant, issued.passcode.id, wrong, None, &meta())
            .await;
        if attempt < PASSCODE_MAX_ATTEMPTS {
            assert!(
                matches!(refused, Err(Error::WrongSecret(Entity::Passcode))),
                "{refused:?}"
            );
        } else {
            assert!(
                matches!(refused, Err(Error::AttemptsExhausted)),
                "{refused:?}"
            );
        }
    }
    let gone = fx
        .engine
        .finish_passcode(fx.tenant, issued.passcode.id, &issued.code, None, &meta())
        .await;
    assert!(
        matches!(gone, Err(Error::NotFound(Entity::Passcode))),
        "{gone:?}"
    );
}

#[tokio::test]
async fn an_expired_passcode_is_refused() {
    let fx = accounts(|block| block.passcode.ttl = 60).await;
    let signed_up = fx.sign_up("carol@example.com").await;
    let issued = fx.passcode(&signed_up).await;
    fx.advance(Duration::seconds(61));
    let late = fx
        .engine
        .finish_passcode(fx.tenant, issued.passcode.id, &issued.code, None, &meta())
        .await;
    assert!(
        matches!(late, Err(Error::Expired(Entity::Passcode))),
        "{late:?}"
    );
}

#[tokio::test]
async fn without_verification_a_sign_up_logs_in_at_once() {
    let fx = accounts(|block| block.emails.require_verification = false).await;
    let signed_up = fx.sign_up("dave@example.com").await;
    let session = signed_up.session.expect("a session");
    assert_eq!(session.user, signed_up.user);
    let found = fx
        .engine
        .look_up_address(fx.tenant, "dave@example.com")
        .await
        .unwrap();
    assert!(!found.verified);
}

#[tokio::test]
async fn emails_are_added_made_primary_and_removed_by_their_holder() {
    let fx = accounts(|block| block.emails.max_num_of_addresses = 2).await;
    let (user, token) = fx.verified_user("erin@example.com").await;
    let session = fx.engine.verify_session(fx.tenant, &token).await.unwrap();

    let added = fx
        .engine
        .add_email(fx.tenant, user, "erin@work.example", &meta())
        .await
        .unwrap();
    assert_eq!(added.user, None, "pending until proven");
    let issued = fx
        .engine
        .start_passcode(
            fx.tenant,
            PasscodeRequest {
                user,
                email: Some(added.id),
                signup_email: None,
                session_user: Some(session.user),
            },
            &meta(),
        )
        .await
        .outcome
        .unwrap();
    fx.engine
        .finish_passcode(
            fx.tenant,
            issued.passcode.id,
            &issued.code,
            Some(session.user),
            &meta(),
        )
        .await
        .unwrap();
    let emails = fx.engine.emails(fx.tenant, user).await.unwrap();
    assert_eq!(emails.len(), 2);

    let full = fx
        .engine
        .add_email(fx.tenant, user, "erin@third.example", &meta())
        .await;
    assert!(
        matches!(full, Err(Error::LimitReached(Entity::Email))),
        "{full:?}"
    );

    let primary = emails.iter().find(|email| email.primary).unwrap().id;
    let refused = fx
        .engine
        .delete_email(fx.tenant, user, primary, &meta())
        .await;
    assert!(matches!(refused, Err(Error::PrimaryEmail)), "{refused:?}");
    fx.engine
        .set_primary_email(fx.tenant, user, added.id, &meta())
        .await
        .unwrap();
    fx.engine
        .delete_email(fx.tenant, user, primary, &meta())
        .await
        .unwrap();
    let emails = fx.engine.emails(fx.tenant, user).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert!(emails[0].primary);
    assert_eq!(emails[0].address, "erin@work.example");

    // Another user's address is not found for this one.
    let (other, _) = fx.verified_user("frank@example.com").await;
    let foreign = fx.engine.emails(fx.tenant, other).await.unwrap()[0].id;
    let refused = fx
        .engine
        .delete_email(fx.tenant, user, foreign, &meta())
        .await;
    assert!(
        matches!(refused, Err(Error::NotFound(Entity::Email))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn passwords_are_checked_by_length_and_log_in() {
    let fx = accounts(|_| {}).await;
    let (user, _) = fx.verified_user("gina@example.com").await;
    let short = fx
        .engine
        .set_password(fx.tenant, user, user, "ü2345", &meta())
        .await;
    assert!(
        matches!(
            short,
            Err(Error::Invalid {
                field: "password",
                ..
            })
        ),
        "{short:?}"
    );
    // Eight characters, more than eight bytes: long enough.
    let created = fx
        .engine
        .set_password(fx.tenant, user, user, "üüüüüüüü", &meta())
        .await
        .unwrap();
    assert!(!created);
    let long = "x".repeat(73);
    let refused = fx
        .engine
        .set_password(fx.tenant, user, user, &long, &meta())
        .await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    let replaced = fx
        .engine
        .set_password(fx.tenant, user, user, "correct horse", &meta())
        .await
        .unwrap();
    assert!(replaced);
    let (other, _) = fx.verified_user("hank@example.com").await;
    let forbidden = fx
        .engine
        .set_password(fx.tenant, other, user, "correct horse", &meta())
        .await;
    assert!(
        matches!(forbidden, Err(Error::Forbidden(_))),
        "{forbidden:?}"
    );

    let login = fx
        .engine
        .password_login(fx.tenant, user.0, "correct horse", &meta())
        .await
        .outcome
        .unwrap();
    assert_eq!(login.user, user);
    for (who, password) in [
        (user.0, "wrong horse"),
        (other.0, "correct horse"),
        (uuid::Uuid::new_v4(), "x"),
    ] {
        let refused = fx
            .engine
            .password_login(fx.tenant, who, password, &meta())
            .await
            .outcome;
        assert!(
            matches!(refused, Err(Error::WrongSecret(Entity::Password))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_bcrypt_password_of_the_original_logs_in_and_is_rehashed() {
    let fx = accounts(|_| {}).await;
    let (user, _) = fx.verified_user("ivan@example.com").await;
    // The original hashes with bcrypt (cost 12); cost 4 keeps the test fast.
    let bcrypt = bcrypt::hash("password", 4).unwrap();
    {
        let mut tx = fx.engine.store().write().await.unwrap();
        tx.upsert_password(&Password {
            tenant: fx.tenant,
            user,
            hash: bcrypt,
            created_at: fx.now(),
            updated_at: fx.now(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    fx.engine
        .password_login(fx.tenant, user.0, "password", &meta())
        .await
        .outcome
        .unwrap();
    let mut tx = fx.engine.store().read().await.unwrap();
    let stored = latchkey_engine::ReadTx::password(&mut tx, fx.tenant, user)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.hash.starts_with("$argon2id$"), "{}", stored.hash);
}

#[tokio::test]
async fn passkeys_of_an_account_log_in_to_a_session_that_logout_ends() {
    let fx = accounts(|_| {}).await;
    let (user, token) = fx.verified_user("judy@example.com").await;
    let mut authenticator = SoftAuthenticator::es256();
    let options = fx
        .engine
        .start_account_registration(fx.tenant, user, &meta())
        .await
        .unwrap();
    assert_eq!(options.user_handle, user.0.as_bytes());
    assert_eq!(options.user_name, "judy@example.com");
    assert!(options.exclude_credentials.is_empty());
    let response = authenticator
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes();
    // Another session's user cannot finish it.
    let (other, _) = fx.verified_user("kim@example.com").await;
    let refused = fx
        .engine
        .finish_account_registration(fx.tenant, other, &response, &meta())
        .await;
    assert!(
        matches!(refused, Err(Error::CeremonyNotFound)),
        "{refused:?}"
    );
    let credential = fx
        .engine
        .finish_account_registration(fx.tenant, user, &response, &meta())
        .await
        .unwrap()
        .credential;
    assert_eq!(credential.user, user);

    let options = fx
        .engine
        .start_account_login(fx.tenant, None, ExtensionInputs::default(), &meta())
        .await
        .unwrap();
    assert!(options.allow_credentials.is_empty());
    let assertion = authenticator
        .assert(RP_ID, ORIGIN, &options.challenge, user.0.as_bytes())
        .to_string()
        .into_bytes();
    let login = fx
        .engine
        .finish_account_login(fx.tenant, &assertion, &meta())
        .await
        .unwrap();
    assert_eq!(login.user, user);
    let session = fx
        .engine
        .verify_session(fx.tenant, &login.session.token)
        .await
        .unwrap();
    fx.engine
        .end_session(fx.tenant, session, &meta())
        .await
        .unwrap();
    let ended = fx
        .engine
        .verify_session(fx.tenant, &login.session.token)
        .await;
    assert!(matches!(ended, Err(Error::Token(_))), "{ended:?}");
    // The passcode session is another session: it lives on.
    fx.engine.verify_session(fx.tenant, &token).await.unwrap();

    let named = fx
        .engine
        .start_account_login(fx.tenant, Some(user), ExtensionInputs::default(), &meta())
        .await
        .unwrap();
    assert_eq!(
        named.allow_credentials,
        vec![authenticator.credential_id.clone()]
    );
}

#[tokio::test]
async fn another_dialects_token_is_no_session() {
    let fx = accounts(|_| {}).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let options = fx
        .engine
        .start_login(fx.tenant, None, &meta())
        .await
        .unwrap();
    let assertion = crate::ceremonies::assertion(&mut authenticator, &options.challenge);
    let outcome = fx
        .engine
        .finish_login(fx.tenant, &assertion, &meta())
        .await
        .unwrap();
    let refused = fx.engine.verify_session(fx.tenant, &outcome.token).await;
    assert!(matches!(refused, Err(Error::Token(_))), "{refused:?}");
}

#[tokio::test]
async fn deleting_an_account_ends_its_sessions() {
    let fx = accounts(|block| block.account.allow_deletion = true).await;
    let (user, token) = fx.verified_user("liz@example.com").await;
    fx.engine
        .delete_account(fx.tenant, user, &meta())
        .await
        .unwrap();
    let ended = fx.engine.verify_session(fx.tenant, &token).await;
    assert!(matches!(ended, Err(Error::Token(_))), "{ended:?}");
    let gone = fx
        .engine
        .look_up_address(fx.tenant, "liz@example.com")
        .await;
    assert!(matches!(gone, Err(Error::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn a_tenant_without_the_api_has_no_accounts() {
    let fx = fixture(CounterRule::Reject).await;
    let refused = fx
        .engine
        .sign_up(fx.tenant, "max@example.com", &meta())
        .await;
    assert!(
        matches!(refused, Err(Error::NotFound(Entity::Tenant))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn password_logins_spend_a_budget_per_user_and_address() {
    let fx = accounts(|block| block.rate_limiter.password_limits.tokens = 2).await;
    let (user, _) = fx.verified_user("ned@example.com").await;
    let engine = Engine::new(fx.engine.store().clone(), MasterKey::generate().unwrap(), {
        let now = fx.now();
        move || now
    })
    .with_rate_limits(RateLimits::default(), Arc::new(MemoryCounter::default()));
    for remaining in [1, 0] {
        let refused = engine
            .password_login(fx.tenant, user.0, "nope", &meta())
            .await;
        assert!(
            matches!(refused.outcome, Err(Error::WrongSecret(_))),
            "{refused:?}"
        );
        assert_eq!(
            refused.budget.map(|budget| budget.remaining),
            Some(remaining)
        );
    }
    let limited = engine
        .password_login(fx.tenant, user.0, "nope", &meta())
        .await;
    assert!(
        matches!(limited.outcome, Err(Error::RateLimited { .. })),
        "{limited:?}"
    );
    assert_eq!(
        limited
            .budget
            .map(|budget| (budget.limit, budget.remaining)),
        Some((2, 0))
    );
}
