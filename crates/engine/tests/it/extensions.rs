//! Extensions through the engine: what options ask for, what a registration stores from the
//! extension outputs, and the tenant's credProtect requirement.

use std::collections::BTreeMap;

use latchkey_engine::ceremonies::{
    CeremonyKind, ExtensionInputs, LargeBlobAccess, LargeBlobRequest, PrfInput, PrfValues,
};
use latchkey_engine::model::{CounterRule, CredentialProtection, ExtensionSettings, Hint};
use latchkey_engine::{Entity, Error, ReadTx, Store};
use latchkey_testkit::{Cbor, SoftAuthenticator};
use latchkey_webauthn::encode_base64url;
use serde_json::json;

use super::ceremonies::{Fixture, USER, assertion, fixture, meta, new_user};

/// The fixture's tenant with `extensions` for its passkeys.
async fn fixture_asking(extensions: ExtensionSettings) -> Fixture {
    let fx = fixture(CounterRule::Reject).await;
    let mut config = fx.engine.tenant(fx.tenant).await.unwrap().config;
    config.passkey.extensions = extensions;
    fx.engine
        .replace_tenant_config(fx.tenant, config)
        .await
        .unwrap();
    fx
}

fn requiring(level: CredentialProtection) -> ExtensionSettings {
    ExtensionSettings {
        credential_protection: Some(level),
        ..ExtensionSettings::default()
    }
}

async fn finish(fx: &Fixture, authenticator: &SoftAuthenticator) -> Result<Vec<u8>, Error> {
    let response = fx.registration_response(authenticator).await;
    fx.engine
        .finish_registration(fx.tenant, &response, CeremonyKind::Passkey, &meta())
        .await
        .map(|outcome| outcome.credential.id)
}

async fn stored(fx: &Fixture, id: &[u8]) -> latchkey_engine::model::Credential {
    let mut tx = fx.engine.store().read().await.unwrap();
    tx.credential(fx.tenant, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn registration_options_ask_for_the_tenants_extensions_and_the_callers_salts() {
    let fx = fixture_asking(ExtensionSettings {
        cred_props: true,
        credential_protection: Some(CredentialProtection::UserVerificationRequired),
        hints: vec![Hint::SecurityKey],
        min_pin_length: true,
        ..ExtensionSettings::default()
    })
    .await;
    let salts = PrfValues {
        first: b"first salt".to_vec(),
        second: None,
    };
    let options = fx
        .engine
        .start_registration_with(
            fx.tenant,
            new_user(),
            CeremonyKind::Passkey,
            ExtensionInputs {
                prf: Some(PrfInput {
                    eval: Some(salts.clone()),
                    eval_by_credential: BTreeMap::new(),
                }),
                large_blob: None,
            },
            &meta(),
        )
        .await
        .unwrap();
    assert!(options.extensions.cred_props);
    assert!(options.extensions.min_pin_length);
    assert_eq!(
        options.extensions.credential_protection,
        Some(CredentialProtection::UserVerificationRequired)
    );
    assert_eq!(options.extensions.prf.unwrap().eval, Some(salts));
    assert_eq!(options.hints, [Hint::SecurityKey]);
}

#[tokio::test]
async fn registration_stores_rk_cred_protect_and_min_pin_length() {
    let fx = fixture_asking(ExtensionSettings::default()).await;
    let mut authenticator = SoftAuthenticator::es256().with_cred_protect(Cbor::Integer(2.into()));
    authenticator
        .registration_extensions
        .push((Cbor::from("minPinLength"), Cbor::Integer(8.into())));
    authenticator.client_extension_results = json!({"credProps": {"rk": true}});
    let id = finish(&fx, &authenticator).await.unwrap();
    let credential = stored(&fx, &id).await;
    assert_eq!(credential.discoverable, Some(true));
    assert_eq!(
        credential.credential_protection,
        Some(CredentialProtection::UserVerificationOptionalWithCredentialIdList)
    );
    assert_eq!(credential.min_pin_length, Some(8));
}

#[tokio::test]
async fn without_outputs_nothing_is_known() {
    let fx = fixture_asking(ExtensionSettings::default()).await;
    let id = finish(&fx, &SoftAuthenticator::es256()).await.unwrap();
    let credential = stored(&fx, &id).await;
    assert_eq!(credential.discoverable, None);
    assert_eq!(credential.credential_protection, None);
    assert_eq!(credential.min_pin_length, None);
}

#[tokio::test]
async fn a_required_cred_protect_level_refuses_lower_and_missing_levels() {
    let fx = fixture_asking(requiring(CredentialProtection::UserVerificationRequired)).await;
    let lower = SoftAuthenticator::es256().with_cred_protect(Cbor::Integer(2.into()));
    assert!(matches!(
        finish(&fx, &lower).await,
        Err(Error::Verification(
            latchkey_webauthn::Error::CredentialProtectionTooLow {
                required: 3,
                received: Some(2)
            }
        ))
    ));
    assert!(matches!(
        finish(&fx, &SoftAuthenticator::es256()).await,
        Err(Error::Verification(
            latchkey_webauthn::Error::CredentialProtectionTooLow {
                required: 3,
                received: None
            }
        ))
    ));
    let enough = SoftAuthenticator::es256().with_cred_protect(Cbor::Integer(3.into()));
    let id = finish(&fx, &enough).await.unwrap();
    assert_eq!(
        stored(&fx, &id).await.credential_protection,
        Some(CredentialProtection::UserVerificationRequired)
    );
}

#[tokio::test]
async fn malformed_extension_outputs_refuse_the_registration() {
    let fx = fixture_asking(ExtensionSettings::default()).await;
    let text_level = SoftAuthenticator::es256().with_cred_protect(Cbor::Text("3".into()));
    assert!(matches!(
        finish(&fx, &text_level).await,
        Err(Error::Verification(latchkey_webauthn::Error::Malformed {
            field: "credProtect",
            ..
        }))
    ));
    let mut rk_text = SoftAuthenticator::es256();
    rk_text.client_extension_results = json!({"credProps": {"rk": "yes"}});
    assert!(matches!(
        finish(&fx, &rk_text).await,
        Err(Error::Verification(latchkey_webauthn::Error::Malformed {
            field: "clientExtensionResults",
            ..
        }))
    ));
    let mut short_prf = SoftAuthenticator::es256();
    short_prf.client_extension_results = json!({"prf": {"results": {"first": "AQID"}}});
    assert!(finish(&fx, &short_prf).await.is_err());
    // Nothing was stored by the refused attempts.
    let mut tx = fx.engine.store().read().await.unwrap();
    let user = tx.user_by_external_id(fx.tenant, USER).await.unwrap();
    let user = user.ok_or(Error::NotFound(Entity::User)).unwrap();
    let credentials = tx
        .credentials(
            fx.tenant,
            Some(user.id),
            latchkey_engine::Page {
                number: 1,
                per_page: 10,
                descending: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(credentials.total, 0);
}

#[tokio::test]
async fn login_salts_are_checked_and_results_passed_back() {
    let fx = fixture_asking(ExtensionSettings::default()).await;
    let mut authenticator = SoftAuthenticator::es256();
    finish(&fx, &authenticator).await.unwrap();
    let salts = |first: &[u8]| PrfValues {
        first: first.to_vec(),
        second: None,
    };

    // A salt per credential needs the credential in allowCredentials.
    let refused = fx
        .engine
        .start_login_with(
            fx.tenant,
            None,
            ExtensionInputs {
                prf: Some(PrfInput {
                    eval: None,
                    eval_by_credential: BTreeMap::from([(
                        authenticator.credential_id.clone(),
                        salts(b"s"),
                    )]),
                }),
                large_blob: None,
            },
            &meta(),
        )
        .await;
    assert!(
        matches!(refused, Err(Error::Invalid { field, .. }) if field == "extensions.prf.evalByCredential")
    );

    let options = fx
        .engine
        .start_login_with(
            fx.tenant,
            Some(USER),
            ExtensionInputs {
                prf: Some(PrfInput {
                    eval: None,
                    eval_by_credential: BTreeMap::from([(
                        authenticator.credential_id.clone(),
                        salts(b"s"),
                    )]),
                }),
                large_blob: Some(LargeBlobAccess::Read),
            },
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(
        options.extensions.large_blob,
        Some(LargeBlobRequest::Access(LargeBlobAccess::Read))
    );
    assert!(
        !options.extensions.cred_props,
        "credProps is for create only"
    );
    authenticator.client_extension_results = json!({
        "prf": {"results": {"first": encode_base64url(&[9; 32])}},
        "largeBlob": {"blob": "AQID"},
    });
    let outcome = fx
        .engine
        .finish_login(
            fx.tenant,
            &assertion(&mut authenticator, &options.challenge),
            &meta(),
        )
        .await
        .unwrap();
    let results = outcome.extension_results;
    assert_eq!(results.prf.unwrap().results.unwrap().first, [9; 32]);
    assert_eq!(results.large_blob.unwrap().blob, Some(vec![1, 2, 3]));
}
