//! Third-party sign-in through the engine: the account-linking rules of the Hanko Public API
//! (notes §9), the one-time token exchanged once for a session, and the sealed state that
//! carries a sign-in across the provider's pages.

use latchkey_engine::accounts::{LinkKind, ProviderUser, ThirdPartyLogin};
use latchkey_engine::model::HankoPublicConfig;
use latchkey_engine::model::third_party::BuiltInProvider;
use latchkey_engine::{Entity, Error, ThirdPartyRefusal};
use time::Duration;

use crate::accounts::accounts;
use crate::ceremonies::{Fixture, meta};

fn google(subject: &str, email: &str, verified: bool) -> ProviderUser {
    ProviderUser {
        provider: "google".into(),
        subject: subject.into(),
        email: email.into(),
        email_verified: verified,
    }
}

/// Google enabled, pages of app.example allowed.
fn with_google(config: &mut HankoPublicConfig) {
    let settings = &mut config.third_party;
    settings.redirect_url = "https://login.example.test/thirdparty/callback".into();
    settings.error_redirect_url = "https://app.example/error".into();
    settings.allowed_redirect_urls = vec!["https://app.example/**".into()];
    let google = settings.providers.get_mut(BuiltInProvider::Google);
    google.enabled = true;
    google.client_id = "client".into();
    google.secret = "secret".into();
}

impl Fixture {
    async fn provider_login(
        &self,
        who: &ProviderUser,
        allow_linking: bool,
    ) -> Result<ThirdPartyLogin, Error> {
        self.engine
            .third_party_login(self.tenant, who, allow_linking, &meta())
            .await
    }
}

fn refusal(result: Result<ThirdPartyLogin, Error>) -> ThirdPartyRefusal {
    match result {
        Err(Error::ThirdParty(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_provider_account_signs_up_then_signs_in_as_the_same_user() {
    let fx = accounts(|_| {}).await;
    let alice = google("alice-sub", "Alice@Example.test", true);
    let first = fx.provider_login(&alice, true).await.unwrap();
    assert_eq!(first.kind, LinkKind::SignUp);
    let found = fx
        .engine
        .look_up_address(fx.tenant, "alice@example.test")
        .await
        .unwrap();
    assert_eq!(found.user, first.user);
    assert!(
        found.verified,
        "a provider-proven address counts as verified"
    );

    let again = fx.provider_login(&alice, true).await.unwrap();
    assert_eq!(again.kind, LinkKind::SignIn);
    assert_eq!(again.user, first.user);
    assert_ne!(again.token, first.token);
}

#[tokio::test]
async fn a_one_time_token_opens_one_session_within_its_minute() {
    let fx = accounts(|_| {}).await;
    let login = fx
        .provider_login(&google("sub", "bob@example.test", true), true)
        .await
        .unwrap();
    let session = fx
        .engine
        .exchange_one_time_token(fx.tenant, &login.token, &meta())
        .await
        .outcome
        .unwrap();
    assert_eq!(session.user, login.user);
    let claims = fx
        .engine
        .verify_session(fx.tenant, &session.token)
        .await
        .unwrap();
    assert_eq!(claims.user, login.user);
    let again = fx
        .engine
        .exchange_one_time_token(fx.tenant, &login.token, &meta())
        .await
        .outcome;
    assert!(
        matches!(again, Err(Error::NotFound(Entity::OneTimeToken))),
        "{again:?}"
    );

    let late = fx
        .provider_login(&google("sub", "bob@example.test", true), true)
        .await
        .unwrap();
    fx.advance(Duration::seconds(61));
    let expired = fx
        .engine
        .exchange_one_time_token(fx.tenant, &late.token, &meta())
        .await
        .outcome;
    assert!(
        matches!(expired, Err(Error::Expired(Entity::OneTimeToken))),
        "{expired:?}"
    );
    let unknown = fx
        .engine
        .exchange_one_time_token(fx.tenant, "not-a-token", &meta())
        .await
        .outcome;
    assert!(
        matches!(unknown, Err(Error::NotFound(Entity::OneTimeToken))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_address_held_by_a_user_links_when_the_provider_allows_it() {
    let fx = accounts(|config| config.emails.require_verification = false).await;
    let held = fx
        .engine
        .sign_up(fx.tenant, "carol@example.test", &meta())
        .await
        .unwrap();
    let carol = google("carol-sub", "carol@example.test", true);
    assert_eq!(
        refusal(fx.provider_login(&carol, false).await),
        ThirdPartyRefusal::UserConflict
    );
    let linked = fx.provider_login(&carol, true).await.unwrap();
    assert_eq!(linked.kind, LinkKind::Linked);
    assert_eq!(linked.user, held.user);
    let next = fx.provider_login(&carol, false).await.unwrap();
    assert_eq!(
        next.kind,
        LinkKind::SignIn,
        "a linked account signs in whatever the setting"
    );
}

#[tokio::test]
async fn an_unproven_address_is_refused_where_the_tenant_wants_proof() {
    let fx = accounts(|_| {}).await;
    let dave = google("dave-sub", "dave@example.test", false);
    assert_eq!(
        refusal(fx.provider_login(&dave, true).await),
        ThirdPartyRefusal::UnverifiedEmail
    );
    let missing = fx
        .engine
        .look_up_address(fx.tenant, "dave@example.test")
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Entity::Email))),
        "nothing was created"
    );

    let relaxed = accounts(|config| config.emails.require_verification = false).await;
    assert_eq!(
        relaxed.provider_login(&dave, true).await.unwrap().kind,
        LinkKind::SignUp
    );
}

#[tokio::test]
async fn no_sign_up_where_the_tenant_allows_none() {
    let fx = accounts(|config| config.account.allow_signup = false).await;
    let erin = google("erin-sub", "erin@example.test", true);
    assert_eq!(
        refusal(fx.provider_login(&erin, true).await),
        ThirdPartyRefusal::SignupDisabled
    );
}

#[tokio::test]
async fn a_changed_provider_address_is_added_or_refused() {
    let fx = accounts(|config| {
        config.emails.require_verification = false;
        config.emails.max_num_of_addresses = 2;
    })
    .await;
    let frank = fx
        .provider_login(&google("frank-sub", "frank@example.test", true), true)
        .await
        .unwrap();
    let other = fx
        .engine
        .sign_up(fx.tenant, "taken@example.test", &meta())
        .await
        .unwrap();
    assert_ne!(other.user, frank.user);
    assert_eq!(
        refusal(
            fx.provider_login(&google("frank-sub", "taken@example.test", true), true)
                .await
        ),
        ThirdPartyRefusal::MultipleAccounts
    );
    let moved = fx
        .provider_login(&google("frank-sub", "frank.new@example.test", true), true)
        .await
        .unwrap();
    assert_eq!((moved.kind, moved.user), (LinkKind::SignIn, frank.user));
    let emails = fx.engine.emails(fx.tenant, frank.user).await.unwrap();
    assert_eq!(emails.len(), 2);
    assert!(emails.iter().all(|email| email.verified));
    assert_eq!(
        refusal(
            fx.provider_login(&google("frank-sub", "frank.third@example.test", true), true)
                .await
        ),
        ThirdPartyRefusal::EmailMaxnum
    );
}

#[tokio::test]
async fn a_started_sign_in_resumes_once_in_the_browser_that_started_it() {
    let fx = accounts(with_google).await;
    let unknown = fx
        .engine
        .start_third_party(fx.tenant, "myspace", "https://app.example/home")
        .await;
    assert!(
        matches!(
            unknown,
            Err(Error::Invalid {
                field: "provider",
                ..
            })
        ),
        "{unknown:?}"
    );
    let elsewhere = fx
        .engine
        .start_third_party(fx.tenant, "google", "https://evil.example/home")
        .await;
    assert!(
        matches!(
            elsewhere,
            Err(Error::Invalid {
                field: "redirect_to",
                ..
            })
        ),
        "{elsewhere:?}"
    );

    let start = fx
        .engine
        .start_third_party(fx.tenant, "Google", "https://app.example/home/")
        .await
        .unwrap();
    assert_eq!(start.plan.name, "google");
    assert_eq!(start.state.redirect_to, "https://app.example/home");
    let other = fx
        .engine
        .start_third_party(fx.tenant, "google", "https://app.example/home")
        .await
        .unwrap();
    for cookie in [None, Some(other.sealed.as_str()), Some("garbage")] {
        let refused = fx
            .engine
            .resume_third_party(fx.tenant, &start.sealed, cookie, &meta())
            .await;
        assert!(
            matches!(refused, Err(Error::Token(_))),
            "{cookie:?}: {refused:?}"
        );
    }
    let (state, plan) = fx
        .engine
        .resume_third_party(fx.tenant, &start.sealed, Some(&start.sealed), &meta())
        .await
        .unwrap();
    assert_eq!((state, plan.name.as_str()), (start.state.clone(), "google"));
    let replayed = fx
        .engine
        .resume_third_party(fx.tenant, &start.sealed, Some(&start.sealed), &meta())
        .await;
    assert!(matches!(replayed, Err(Error::Token(_))), "{replayed:?}");

    fx.advance(Duration::minutes(6));
    let late = fx
        .engine
        .resume_third_party(fx.tenant, &other.sealed, Some(&other.sealed), &meta())
        .await;
    assert!(matches!(late, Err(Error::Token(_))), "{late:?}");
}
