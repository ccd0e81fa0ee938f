//! Ceremonies (taken once, expiring) and transactions.

use latchkey_engine::model::{Ceremony, Operation, TenantId, UserVerification};
use latchkey_engine::{Entity, Error, ReadTx, Result, Store, WriteTx};
use time::Duration;

use super::records::{
    FAR_FUTURE, LONG_AGO, ceremony_record, create_tenant, delete_tenants, random_bytes,
    transaction_record, user_record,
};

/// `take_ceremony` returns a ceremony once, and only to its tenant.
pub(super) async fn ceremony_take<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let order = transaction_record(a, alice.id, "order", 1);
    let registration = ceremony_record(a, Some(alice.id), FAR_FUTURE);
    let discoverable = Ceremony {
        user: None,
        allowed_credentials: Vec::new(),
        user_verification: UserVerification::Preferred,
        ..ceremony_record(a, None, FAR_FUTURE)
    };
    let confirmation = Ceremony {
        operation: Operation::Transaction,
        transaction: Some(order.id),
        user_verification: UserVerification::Discouraged,
        ..ceremony_record(a, Some(alice.id), FAR_FUTURE)
    };
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.insert_transaction(&order).await.unwrap();
    for ceremony in [&registration, &discoverable, &confirmation] {
        tx.insert_ceremony(ceremony).await.unwrap();
    }
    tx.commit().await.unwrap();

    // Reading a ceremony does not take it, and another tenant does not find it.
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.ceremony(a, &registration.challenge)
            .await
            .unwrap()
            .as_ref(),
        Some(&registration)
    );
    assert_eq!(tx.ceremony(b, &registration.challenge).await.unwrap(), None);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.take_ceremony(b, &registration.challenge).await.unwrap(),
        None
    );
    assert_eq!(tx.take_ceremony(a, &random_bytes(32)).await.unwrap(), None);
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    for ceremony in [&registration, &discoverable, &confirmation] {
        assert_eq!(
            tx.take_ceremony(a, &ceremony.challenge)
                .await
                .unwrap()
                .as_ref(),
            Some(ceremony)
        );
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    for ceremony in [&registration, &discoverable, &confirmation] {
        assert_eq!(
            tx.take_ceremony(a, &ceremony.challenge).await.unwrap(),
            None
        );
    }
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.ceremony(a, &registration.challenge).await.unwrap(), None);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Expired ceremonies can still be taken (the engine refuses them with a better error) until
/// `delete_expired_ceremonies` removes those that expired before `now`.
pub(super) async fn ceremony_expiry<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let now = LONG_AGO + Duration::days(1);
    let live = ceremony_record(t, None, FAR_FUTURE);
    let mut tx = store.write().await.unwrap();
    tx.insert_ceremony(&live).await.unwrap();
    tx.commit().await.unwrap();

    // The expired ceremonies stay uncommitted until the reaper ran: a concurrent run sharing
    // the database calls the reaper too, and must neither delete them nor have them counted.
    let expired = ceremony_record(t, None, LONG_AGO);
    let old = [
        ceremony_record(t, None, LONG_AGO),
        ceremony_record(t, None, now - Duration::microseconds(1)),
    ];
    let at_now = ceremony_record(t, None, now);
    let mut tx = store.write().await.unwrap();
    tx.insert_ceremony(&expired).await.unwrap();
    assert_eq!(
        tx.take_ceremony(t, &expired.challenge).await.unwrap(),
        Some(expired)
    );
    for ceremony in old.iter().chain([&at_now]) {
        tx.insert_ceremony(ceremony).await.unwrap();
    }
    let deleted = tx.delete_expired_ceremonies(now).await.unwrap();
    assert!(
        deleted >= 2,
        "deleted {deleted}, expected at least this check's 2"
    );
    assert_eq!(
        tx.take_ceremony(t, &at_now.challenge).await.unwrap(),
        Some(at_now)
    );
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    for ceremony in &old {
        assert_eq!(
            tx.take_ceremony(t, &ceremony.challenge).await.unwrap(),
            None
        );
    }
    assert_eq!(
        tx.take_ceremony(t, &live.challenge).await.unwrap(),
        Some(live)
    );
    tx.commit().await.unwrap();

    delete_tenants(store, &[t]).await;
}

/// Of two concurrent write transactions taking the same ceremony, exactly one gets it.
pub(super) async fn ceremony_concurrent_take<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    // A few rounds, because whether the two really overlap is up to the scheduler.
    for _ in 0..4 {
        let ceremony = ceremony_record(t, None, FAR_FUTURE);
        let mut tx = store.write().await.unwrap();
        tx.insert_ceremony(&ceremony).await.unwrap();
        tx.commit().await.unwrap();

        let first = tokio::spawn(take_and_commit(
            store.clone(),
            t,
            ceremony.challenge.clone(),
        ));
        let second = tokio::spawn(take_and_commit(
            store.clone(),
            t,
            ceremony.challenge.clone(),
        ));
        let (first, second) = tokio::join!(first, second);
        let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
        assert!(
            first.is_some() != second.is_some(),
            "exactly one take wins: {first:?}, {second:?}"
        );
        assert_eq!(first.or(second), Some(ceremony));
    }
    delete_tenants(store, &[t]).await;
}

async fn take_and_commit<S: Store>(
    store: S,
    tenant: TenantId,
    challenge: Vec<u8>,
) -> Result<Option<Ceremony>> {
    let mut tx = store.write().await?;
    let taken = tx.take_ceremony(tenant, &challenge).await?;
    tx.commit().await?;
    Ok(taken)
}

/// Transactions: identifiers unique per tenant, found by challenge, listed per user.
pub(super) async fn transactions<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let carol = user_record(b, "carol", 0);
    let first = transaction_record(a, alice.id, "order-1", 1);
    let second = transaction_record(a, alice.id, "order-2", 2);
    let bobs = transaction_record(a, bob.id, "order-3", 3);
    let mut tx = store.write().await.unwrap();
    for user in [&alice, &bob, &carol] {
        tx.upsert_user(user).await.unwrap();
    }
    for transaction in [&second, &bobs, &first] {
        tx.insert_transaction(transaction).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let taken = transaction_record(a, bob.id, "order-1", 4);
    assert!(matches!(
        tx.insert_transaction(&taken).await,
        Err(Error::Conflict(Entity::Transaction))
    ));
    drop(tx);

    let carols = transaction_record(b, carol.id, "order-1", 4);
    let mut tx = store.write().await.unwrap();
    tx.insert_transaction(&carols).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.transaction_by_challenge(a, &first.challenge)
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        tx.transaction_by_challenge(a, &bobs.challenge)
            .await
            .unwrap(),
        Some(bobs.clone())
    );
    assert_eq!(
        tx.transaction_by_challenge(b, &first.challenge)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.transaction_by_challenge(a, &carols.challenge)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.transaction_by_challenge(b, &carols.challenge)
            .await
            .unwrap(),
        Some(carols.clone())
    );
    let mut alices = tx.transactions(a, alice.id).await.unwrap();
    alices.sort_by(|x, y| x.identifier.cmp(&y.identifier));
    assert_eq!(alices, [first, second]);
    assert_eq!(tx.transactions(a, bob.id).await.unwrap(), [bobs]);
    assert_eq!(tx.transactions(a, carol.id).await.unwrap(), []);
    assert_eq!(tx.transactions(b, carol.id).await.unwrap(), [carols]);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}
