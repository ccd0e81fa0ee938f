//! Credentials: their life, paging, and isolation between tenants.

use latchkey_engine::model::{Credential, CredentialProtection, TenantId, UserId};
use latchkey_engine::{Entity, Error, LoginRecord, Paged, ReadTx, Store, WriteTx};
use uuid::Uuid;

use super::records::{
    at, create_tenant, credential_record, delete_tenants, page, picked, random_bytes, scrambled,
    user_record,
};

/// A credential's life: insert (once), read, rename, record logins, delete.
pub(super) async fn credential_lifecycle<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let alice = user_record(t, "alice", 0);
    let passkey = credential_record(t, alice.id, 1);
    let security_key = Credential {
        name: Some("Backup key".into()),
        transports: Vec::new(),
        backup_eligible: false,
        is_mfa: true,
        last_used_at: Some(at(3)),
        // What a registration's extensions told, stored and read back as given.
        discoverable: Some(false),
        credential_protection: Some(CredentialProtection::UserVerificationRequired),
        min_pin_length: Some(63),
        ..credential_record(t, alice.id, 2)
    };
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.insert_credential(&passkey).await.unwrap();
    tx.insert_credential(&security_key).await.unwrap();
    tx.commit().await.unwrap();

    // A failed statement may leave the transaction unusable (PostgreSQL aborts it): drop it.
    let mut tx = store.write().await.unwrap();
    let duplicate = Credential {
        name: Some("again".into()),
        ..passkey.clone()
    };
    assert!(matches!(
        tx.insert_credential(&duplicate).await,
        Err(Error::Conflict(Entity::Credential))
    ));
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.credential(t, &passkey.id).await.unwrap(),
        Some(passkey.clone())
    );
    assert_eq!(
        tx.credential(t, &security_key.id).await.unwrap(),
        Some(security_key.clone())
    );
    assert_eq!(tx.credential(t, &random_bytes(16)).await.unwrap(), None);
    drop(tx);

    let unknown = random_bytes(16);
    let mut tx = store.write().await.unwrap();
    assert!(
        tx.rename_credential(t, &passkey.id, "Laptop")
            .await
            .unwrap()
    );
    assert!(!tx.rename_credential(t, &unknown, "Laptop").await.unwrap());
    // Above i32::MAX: the counter is a u32 and must not be stored in a signed 32-bit column.
    assert_eq!(
        tx.record_login(t, &passkey.id, 4_000_000_000, true, at(60))
            .await
            .unwrap(),
        LoginRecord::Counted
    );
    assert_eq!(
        tx.record_login(t, &unknown, 1, true, at(60)).await.unwrap(),
        LoginRecord::Missing
    );
    tx.commit().await.unwrap();

    let used = Credential {
        name: Some("Laptop".into()),
        sign_count: 4_000_000_000,
        backup_state: true,
        last_used_at: Some(at(60)),
        ..passkey.clone()
    };
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.credential(t, &passkey.id).await.unwrap(),
        Some(used.clone())
    );
    drop(tx);

    // A login that read an older count and commits last must not move the counter back; its
    // time and backup state are still recorded, for a caller that accepts it as a possible clone.
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.record_login(t, &passkey.id, 7, true, at(61))
            .await
            .unwrap(),
        LoginRecord::NotIncreased {
            stored: 4_000_000_000
        }
    );
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let after = tx.credential(t, &passkey.id).await.unwrap().unwrap();
    assert_eq!(after.sign_count, used.sign_count);
    assert_eq!(after.last_used_at, Some(at(61)));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_credential(t, &passkey.id).await.unwrap());
    assert!(!tx.delete_credential(t, &passkey.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.credential(t, &passkey.id).await.unwrap(), None);
    assert_eq!(
        tx.credential(t, &security_key.id).await.unwrap(),
        Some(security_key)
    );
    drop(tx);

    delete_tenants(store, &[t]).await;
}

/// Credentials are listed per tenant or per user, paged by creation time in either direction.
pub(super) async fn credentials_paging<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let alice = user_record(t, "alice", 0);
    let bob = user_record(t, "bob", 0);
    let owners = [&alice, &bob, &alice, &bob, &alice];
    let credentials: Vec<Credential> = owners
        .iter()
        .zip(0..)
        .map(|(owner, i)| credential_record(t, owner.id, i))
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    for credential in scrambled(&credentials) {
        tx.insert_credential(credential).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for (user, number, per_page, descending, expected, total) in [
        (None, 1, 10, false, [0, 1, 2, 3, 4].as_slice(), 5),
        (None, 2, 2, false, &[2, 3], 5),
        (None, 3, 2, false, &[4], 5),
        (None, 1, 2, true, &[4, 3], 5),
        (Some(alice.id), 1, 2, false, &[0, 2], 3),
        (Some(alice.id), 2, 2, false, &[4], 3),
        (Some(alice.id), 1, 10, true, &[4, 2, 0], 3),
        (Some(bob.id), 1, 10, false, &[1, 3], 2),
        (Some(bob.id), 2, 10, false, &[], 2),
        (Some(UserId(Uuid::new_v4())), 1, 10, false, &[], 0),
    ] {
        let got = tx
            .credentials(t, user, page(number, per_page, descending))
            .await
            .unwrap();
        let expected = Paged {
            items: picked(&credentials, expected),
            total,
        };
        assert_eq!(
            got, expected,
            "user {user:?}, page {number}/{per_page}, descending {descending}"
        );
    }
    drop(tx);

    delete_tenants(store, &[t]).await;
}

/// Another tenant can neither see nor change a credential; the same id is its own there.
pub(super) async fn credential_isolation<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let carol = user_record(b, "carol", 0);
    let credential = credential_record(a, alice.id, 1);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&carol).await.unwrap();
    tx.insert_credential(&credential).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.credential(b, &credential.id).await.unwrap(), None);
    assert_eq!(
        tx.credentials(b, None, page(1, 10, false)).await.unwrap(),
        Paged {
            items: vec![],
            total: 0
        }
    );
    assert_eq!(
        tx.credentials(b, Some(alice.id), page(1, 10, false))
            .await
            .unwrap()
            .total,
        0
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(
        !tx.rename_credential(b, &credential.id, "stolen")
            .await
            .unwrap()
    );
    assert_eq!(
        tx.record_login(b, &credential.id, 9, true, at(60))
            .await
            .unwrap(),
        LoginRecord::Missing
    );
    assert!(!tx.delete_credential(b, &credential.id).await.unwrap());
    tx.commit().await.unwrap();

    // Credential ids are unique per tenant: a conflict across tenants would tell one tenant
    // which credentials another has.
    let carols = Credential {
        user: carol.id,
        tenant: b,
        ..credential.clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_credential(&carols).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.credential(a, &credential.id).await.unwrap(),
        Some(credential)
    );
    assert_eq!(tx.credential(b, &carols.id).await.unwrap(), Some(carols));
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Of concurrent logins reporting the same counter exactly one counts, however they interleave;
/// an authenticator without a counter (always zero) counts every time.
pub(super) async fn concurrent_logins_count_once<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let alice = user_record(t, "alice", 0);
    let credential = credential_record(t, alice.id, 1);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.insert_credential(&credential).await.unwrap();
    tx.commit().await.unwrap();

    // A few rounds, because whether the logins really overlap is up to the scheduler.
    for round in 1..=4 {
        let reported = credential.sign_count + round;
        let logins: Vec<_> = (0..8)
            .map(|_| tokio::spawn(login(store.clone(), t, credential.id.clone(), reported)))
            .collect();
        let mut outcomes = Vec::new();
        for login in logins {
            outcomes.push(login.await.unwrap());
        }
        let counted = outcomes
            .iter()
            .filter(|outcome| **outcome == LoginRecord::Counted)
            .count();
        assert_eq!(counted, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|outcome| *outcome != LoginRecord::Missing)
        );
        let mut tx = store.read().await.unwrap();
        let stored = tx.credential(t, &credential.id).await.unwrap().unwrap();
        assert_eq!(stored.sign_count, reported);
    }

    let counterless = Credential {
        sign_count: 0,
        ..credential_record(t, alice.id, 2)
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_credential(&counterless).await.unwrap();
    tx.commit().await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            login(store.clone(), t, counterless.id.clone(), 0).await,
            LoginRecord::Counted
        );
    }
    // Once an authenticator reported a count, a zero is a counter that went back.
    assert_eq!(
        login(store.clone(), t, counterless.id.clone(), 3).await,
        LoginRecord::Counted
    );
    assert_eq!(
        login(store.clone(), t, counterless.id.clone(), 0).await,
        LoginRecord::NotIncreased { stored: 3 }
    );
    delete_tenants(store, &[t]).await;
}

async fn login<S: Store>(store: S, tenant: TenantId, id: Vec<u8>, count: u32) -> LoginRecord {
    let mut tx = store.write().await.unwrap();
    let record = tx
        .record_login(tenant, &id, count, false, at(90))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    record
}
