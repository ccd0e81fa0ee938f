//! What third-party sign-in keeps: users' accounts at identity providers (one per provider and
//! subject, keeping its user and first use when it changes) and one-time tokens (taken once,
//! swept when expired, gone with their user).

use latchkey_engine::model::{Identity, OneTimeToken, TenantId, UserId};
use latchkey_engine::{Entity, Error, ReadTx, Store, WriteTx};
use uuid::Uuid;

use super::records::{at, create_tenant, delete_tenants, user_record};

fn identity_record(tenant: TenantId, user: UserId, subject: &str, seconds: i64) -> Identity {
    Identity {
        tenant,
        provider: "google".into(),
        subject: subject.into(),
        user,
        email: None,
        created_at: at(seconds),
        updated_at: at(seconds),
    }
}

fn token_record(tenant: TenantId, user: UserId, fill: u8, expires_in: i64) -> OneTimeToken {
    OneTimeToken {
        tenant,
        hash: [fill; 32],
        user,
        created_at: at(0),
        expires_at: at(expires_in),
    }
}

/// Identities: found by tenant, provider and subject; a second upsert changes only the
/// address and the time of last use.
pub(super) async fn identities<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let first = identity_record(a, alice.id, "sub-1", 1);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    tx.upsert_identity(&first).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.identity(a, "google", "sub-1").await.unwrap().as_ref(),
        Some(&first)
    );
    assert_eq!(tx.identity(a, "github", "sub-1").await.unwrap(), None);
    assert_eq!(tx.identity(a, "google", "sub-2").await.unwrap(), None);
    assert_eq!(tx.identity(b, "google", "sub-1").await.unwrap(), None);
    drop(tx);

    let email = Uuid::new_v4();
    let mut again = identity_record(a, bob.id, "sub-1", 9);
    again.email = Some(email);
    let mut tx = store.write().await.unwrap();
    tx.upsert_identity(&again).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let stored = tx.identity(a, "google", "sub-1").await.unwrap().unwrap();
    assert_eq!(
        stored.user, alice.id,
        "the user of an identity never changes"
    );
    assert_eq!(stored.created_at, at(1));
    assert_eq!(stored.updated_at, at(9));
    assert_eq!(stored.email, Some(email));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_user(a, alice.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.identity(a, "google", "sub-1").await.unwrap(), None);
    drop(tx);
    delete_tenants(store, &[a, b]).await;
}

/// One-time tokens: taken exactly once by tenant and hash, expired ones swept, a hash unique
/// per tenant, and gone with their user.
pub(super) async fn one_time_tokens<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let live = token_record(a, alice.id, 1, 60);
    let expired = token_record(a, alice.id, 2, -1);
    let doomed = token_record(a, alice.id, 3, 60);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    for token in [&live, &expired, &doomed] {
        tx.insert_one_time_token(token).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let taken = tx.insert_one_time_token(&live).await;
    assert!(
        matches!(taken, Err(Error::Conflict(Entity::OneTimeToken))),
        "{taken:?}"
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.take_one_time_token(b, &live.hash).await.unwrap(), None);
    assert_eq!(
        tx.take_one_time_token(a, &live.hash)
            .await
            .unwrap()
            .as_ref(),
        Some(&live)
    );
    assert_eq!(tx.take_one_time_token(a, &live.hash).await.unwrap(), None);
    assert_eq!(tx.delete_expired_one_time_tokens(at(0)).await.unwrap(), 1);
    assert_eq!(
        tx.take_one_time_token(a, &expired.hash).await.unwrap(),
        None
    );
    assert!(tx.delete_user(a, alice.id).await.unwrap());
    assert_eq!(tx.take_one_time_token(a, &doomed.hash).await.unwrap(), None);
    tx.commit().await.unwrap();
    delete_tenants(store, &[a, b]).await;
}
