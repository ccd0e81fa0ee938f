//! SAML sign-in through the engine: which identity provider serves a domain, the RelayState
//! that serves one response, the assertion that serves one sign-in, the attribute map, and the
//! service provider's certificate made once.

use latchkey_engine::accounts::{LinkKind, SamlAssertion};
use latchkey_engine::model::HankoPublicConfig;
use latchkey_engine::model::saml::{AttributeMap, IdentityProviderSettings};
use latchkey_engine::{Error, ThirdPartyRefusal};

use crate::accounts::accounts;
use crate::ceremonies::meta;

const EMAIL: &str = "mail";

/// SAML on, with the identity provider of corp.example; pages of app.example allowed.
fn with_corp(config: &mut HankoPublicConfig) {
    let saml = &mut config.saml;
    saml.enabled = true;
    saml.endpoint_url = "https://login.example.test/t".into();
    saml.audience_uri = "https://login.example.test/t/saml/metadata".into();
    saml.default_redirect_url = "https://app.example/error".into();
    saml.allowed_redirect_urls = vec!["https://app.example/**".into()];
    saml.identity_providers = vec![IdentityProviderSettings {
        enabled: true,
        name: "Corp".into(),
        domain: "corp.example".into(),
        metadata_url: "https://idp.corp.example/metadata".into(),
        attribute_map: AttributeMap {
            email: EMAIL.into(),
            email_verified: "verified".into(),
            ..AttributeMap::default()
        },
        ..IdentityProviderSettings::default()
    }];
}

fn assertion(id: &str, email: &str, verified: &str) -> SamlAssertion {
    SamlAssertion {
        name_id: email.into(),
        assertion_id: format!("_{id}"),
        not_on_or_after: 4_000_000_000,
        attributes: vec![
            (EMAIL.into(), vec![email.into()]),
            ("verified".into(), vec![verified.into()]),
        ],
    }
}

#[tokio::test]
async fn a_state_serves_one_response_and_an_assertion_one_sign_in() {
    let fx = accounts(with_corp).await;
    let start = fx
        .engine
        .start_saml(fx.tenant, "Corp.Example", "https://app.example/landing")
        .await
        .unwrap();
    assert_eq!(start.provider.domain, "corp.example");
    assert!(start.request_id.starts_with('_'));
    let (state, provider) = fx
        .engine
        .resume_saml(fx.tenant, &start.sealed)
        .await
        .unwrap();
    assert_eq!(state.provider, "saml:corp.example");
    assert_eq!(state.redirect_to, "https://app.example/landing");
    assert!(matches!(
        fx.engine.resume_saml(fx.tenant, &start.sealed).await,
        Err(Error::Token(_))
    ));

    let ada = assertion("a1", "ada@corp.example", "true");
    let login = fx
        .engine
        .finish_saml(fx.tenant, &provider, &ada, &meta())
        .await
        .unwrap();
    assert_eq!(login.kind, LinkKind::SignUp);
    assert!(matches!(
        fx.engine
            .finish_saml(fx.tenant, &provider, &ada, &meta())
            .await,
        Err(Error::Token(_))
    ));
    let again = assertion("a2", "ada@corp.example", "true");
    let second = fx
        .engine
        .finish_saml(fx.tenant, &provider, &again, &meta())
        .await
        .unwrap();
    assert_eq!(second.kind, LinkKind::SignIn);
    assert_eq!(second.user, login.user);
}

#[tokio::test]
async fn an_unverified_address_is_refused_and_nothing_is_created() {
    let fx = accounts(with_corp).await;
    let provider = fx
        .engine
        .saml_identity_provider(fx.tenant, "corp.example")
        .await
        .unwrap();
    let bob = assertion("b1", "bob@corp.example", "false");
    assert!(matches!(
        fx.engine
            .finish_saml(fx.tenant, &provider, &bob, &meta())
            .await,
        Err(Error::ThirdParty(ThirdPartyRefusal::UnverifiedEmail))
    ));
    assert!(
        fx.engine
            .look_up_address(fx.tenant, "bob@corp.example")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn unknown_domains_and_foreign_pages_are_refused() {
    let fx = accounts(with_corp).await;
    for (domain, page) in [
        ("other.example", "https://app.example/landing"),
        ("corp.example", "https://evil.example/landing"),
    ] {
        assert!(matches!(
            fx.engine.start_saml(fx.tenant, domain, page).await,
            Err(Error::Invalid { .. })
        ));
    }
    assert!(
        fx.engine
            .start_saml(fx.tenant, "corp.example", "https://app.example/error")
            .await
            .is_ok(),
        "the default page is always allowed"
    );
}

#[tokio::test]
async fn the_service_provider_certificate_is_made_once() {
    let fx = accounts(with_corp).await;
    let first = fx.engine.saml_credentials(fx.tenant).await.unwrap();
    let second = fx.engine.saml_credentials(fx.tenant).await.unwrap();
    assert_eq!(first.certificate_der, second.certificate_der);
    assert_eq!(first.key_pkcs8_der, second.key_pkcs8_der);
}
