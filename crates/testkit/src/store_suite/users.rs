//! Users: upserts, paging, deletion.

use latchkey_engine::model::{User, UserId};
use latchkey_engine::{Paged, ReadTx, Store, WriteTx};
use uuid::Uuid;

use super::records::{
    at, create_tenant, credential_record, delete_tenants, page, picked, scrambled,
    transaction_record, user_record,
};

/// `upsert_user` creates, then updates only the names of the user with the same external id.
pub(super) async fn upsert_user<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = User {
        icon: Some("https://example.test/alice.png".into()),
        ..user_record(a, "alice", 0)
    };
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.upsert_user(&alice).await.unwrap(), alice);
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(a, alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        tx.user_by_external_id(a, "alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(tx.user(b, alice.id).await.unwrap(), None);
    assert_eq!(tx.user_by_external_id(b, "alice").await.unwrap(), None);
    assert_eq!(tx.user_by_external_id(a, "ALICE").await.unwrap(), None);
    drop(tx);

    let again = User {
        id: UserId(Uuid::new_v4()),
        name: "alice.renamed".into(),
        display_name: "Alice Renamed".into(),
        icon: None,
        created_at: at(50),
        ..alice.clone()
    };
    let updated = User {
        name: again.name.clone(),
        display_name: again.display_name.clone(),
        icon: None,
        ..alice.clone()
    };
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.upsert_user(&again).await.unwrap(), updated);
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(a, alice.id).await.unwrap(), Some(updated.clone()));
    assert_eq!(tx.user(a, again.id).await.unwrap(), None);
    assert_eq!(
        tx.users(a, page(1, 10, false)).await.unwrap(),
        Paged {
            items: vec![updated.clone()],
            total: 1
        }
    );
    drop(tx);

    // External ids are the tenant's own: the same one elsewhere is someone else.
    let alice_b = user_record(b, "alice", 0);
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.upsert_user(&alice_b).await.unwrap(), alice_b);
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.user_by_external_id(a, "alice").await.unwrap(),
        Some(updated)
    );
    assert_eq!(
        tx.user_by_external_id(b, "alice").await.unwrap(),
        Some(alice_b)
    );
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Users are paged by creation time in either direction, with the tenant's total.
pub(super) async fn users_paging<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let users: Vec<User> = (0..5)
        .map(|i| user_record(a, &format!("user-{i}"), i))
        .collect();
    let mut tx = store.write().await.unwrap();
    for user in scrambled(&users) {
        tx.upsert_user(user).await.unwrap();
    }
    tx.upsert_user(&user_record(b, "elsewhere", 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for (number, per_page, descending, expected) in [
        (1, 2, false, [0, 1].as_slice()),
        (2, 2, false, &[2, 3]),
        (3, 2, false, &[4]),
        (4, 2, false, &[]),
        (1, 2, true, &[4, 3]),
        (3, 2, true, &[0]),
        (1, 10, false, &[0, 1, 2, 3, 4]),
        (1, 10, true, &[4, 3, 2, 1, 0]),
    ] {
        let got = tx
            .users(a, page(number, per_page, descending))
            .await
            .unwrap();
        assert_eq!(
            got,
            Paged {
                items: picked(&users, expected),
                total: 5
            },
            "page {number}/{per_page}"
        );
    }
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Deleting a user deletes their credentials and transactions, and nobody else's.
pub(super) async fn delete_user<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 1);
    let alices = credential_record(a, alice.id, 2);
    let bobs = credential_record(a, bob.id, 3);
    let order = transaction_record(a, alice.id, "order", 4);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    tx.insert_credential(&alices).await.unwrap();
    tx.insert_credential(&bobs).await.unwrap();
    tx.insert_transaction(&order).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_user(b, alice.id).await.unwrap());
    assert!(tx.delete_user(a, alice.id).await.unwrap());
    assert!(!tx.delete_user(a, alice.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(a, alice.id).await.unwrap(), None);
    assert_eq!(tx.user_by_external_id(a, "alice").await.unwrap(), None);
    assert_eq!(tx.credential(a, &alices.id).await.unwrap(), None);
    assert_eq!(tx.transactions(a, alice.id).await.unwrap(), []);
    assert_eq!(
        tx.transaction_by_challenge(a, &order.challenge)
            .await
            .unwrap(),
        None
    );
    assert_eq!(tx.user(a, bob.id).await.unwrap(), Some(bob));
    assert_eq!(tx.credential(a, &bobs.id).await.unwrap(), Some(bobs));
    assert_eq!(tx.users(a, page(1, 10, false)).await.unwrap().total, 1);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}
