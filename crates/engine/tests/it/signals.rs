//! What the engine says for WebAuthn's signal methods: a login with a credential the tenant no
//! longer holds names it for `signalUnknownCredential`, and a user's signals list every
//! credential and the names a registration gave.

use latchkey_engine::signals::UnknownCredential;
use latchkey_engine::{Entity, Error, Page, ReadTx, Store};
use latchkey_testkit::SoftAuthenticator;

use crate::ceremonies::{Fixture, RP_ID, USER, assertion, fixture, meta};
use latchkey_engine::model::CounterRule;

const ALL: Page = Page {
    number: 1,
    per_page: 100,
    descending: false,
};

async fn credential_ids(fx: &Fixture) -> Vec<Vec<u8>> {
    let listed = fx.engine.credentials(fx.tenant, Some(USER), ALL).await;
    listed
        .unwrap()
        .items
        .into_iter()
        .map(|record| record.credential.id)
        .collect()
}

/// A discoverable login's assertion of `authenticator`, for a fresh challenge.
async fn login(fx: &Fixture, authenticator: &mut SoftAuthenticator) -> Result<(), Error> {
    let options = fx
        .engine
        .start_login(fx.tenant, None, &meta())
        .await
        .unwrap();
    let response = assertion(authenticator, &options.challenge);
    fx.engine
        .finish_login(fx.tenant, &response, &meta())
        .await
        .map(|_| ())
}

fn unknown(id: &[u8]) -> Box<UnknownCredential> {
    Box::new(UnknownCredential {
        rp_id: RP_ID.to_owned(),
        credential_id: id.to_vec(),
    })
}

#[tokio::test]
async fn a_login_with_a_deleted_credential_names_it_for_the_authenticator() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let [id] = credential_ids(&fx).await.try_into().unwrap();
    fx.engine
        .delete_credential(fx.tenant, &id, &meta())
        .await
        .unwrap();

    let refused = login(&fx, &mut authenticator).await;
    match refused {
        Err(Error::UnknownCredential { missing, signal }) => {
            assert_eq!(missing, Entity::Credential);
            assert_eq!(signal, unknown(&id));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_login_of_a_deleted_user_names_the_credential_and_reads_as_an_unknown_user() {
    let fx = fixture(CounterRule::Reject).await;
    let mut authenticator = SoftAuthenticator::es256();
    fx.register(&authenticator).await;
    let [id] = credential_ids(&fx).await.try_into().unwrap();
    let user = {
        let mut tx = fx.engine.store().read().await.unwrap();
        tx.user_by_external_id(fx.tenant, USER)
            .await
            .unwrap()
            .unwrap()
    };
    fx.engine.delete_user(fx.tenant, user.id).await.unwrap();

    let refused = login(&fx, &mut authenticator).await.unwrap_err();
    assert_eq!(refused.to_string(), "user not found");
    match refused {
        Error::UnknownCredential { missing, signal } => {
            assert_eq!(missing, Entity::User);
            assert_eq!(signal, unknown(&id));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_users_signals_list_every_credential_and_the_registered_names() {
    let fx = fixture(CounterRule::Reject).await;
    let first = SoftAuthenticator::es256();
    let second = SoftAuthenticator::es256();
    fx.register(&first).await;
    fx.register(&second).await;

    let signals = fx.engine.user_signals(fx.tenant, USER).await.unwrap();
    assert_eq!(signals.rp_id, RP_ID);
    assert_eq!(signals.user_handle, USER.as_bytes());
    assert_eq!(signals.accepted_credentials, credential_ids(&fx).await);
    assert_eq!(signals.accepted_credentials.len(), 2);
    assert_eq!(signals.name, "alice");

    let nobody = fx.engine.user_signals(fx.tenant, "nobody").await;
    assert!(
        matches!(nobody, Err(Error::NotFound(Entity::User))),
        "{nobody:?}"
    );
}
