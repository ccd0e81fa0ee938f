//! The store conformance suite: the behaviour every [`Store`] backend must show, written once
//! against the traits and run by each backend crate's tests.
//!
//! Every check creates its own tenants with fresh ids and deletes them at the end, so the suite
//! can run against a database that other runs share and assumes nothing about what else is in
//! it. Times are fixed and in whole microseconds, the precision PostgreSQL keeps.
//!
//! A check holds at most one transaction at a time: an in-memory SQLite store has a single
//! connection, and a second transaction in the same task would wait for it forever.

// Test code, compiled only with the `store-suite` feature: a failing check must stop and show
// the value that was wrong, which is what `unwrap` and `assert!` do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::model::{
    ApiKey, Attachment, AttestationPreference, AuditConfig, AuditEvent, AuditQuery,
    AuthenticatorPolicy, AuthenticatorSettings, BackupEligibilityRule, Ceremony, Community,
    CommunityOf, CorsConfig, CounterRule, Credential, License, LicenseScope, Link, Operation,
    RelyingPartyConfig, ResidentKey, ServiceSecret, SigningAlgorithm, SigningKey, Tenant,
    TenantConfig, TenantId, Transaction, User, UserId, UserVerification,
};
use crate::{Entity, Error, Page, Paged, ReadTx, Result, Store, WriteTx};

/// Creation times are offsets from here; the odd microseconds catch a backend that rounds.
const BASE: OffsetDateTime = datetime!(2024-05-01 12:00:00.123456 UTC);
/// Expiry of ceremonies that must survive any reaper a concurrent run (or server) calls with
/// its real clock.
const FAR_FUTURE: OffsetDateTime = datetime!(2200-01-01 00:00:00.000001 UTC);
/// Expiry of ceremonies that every reaper removes.
const LONG_AGO: OffsetDateTime = datetime!(2000-01-01 00:00:00.000001 UTC);

/// Runs every check below, one after another.
pub async fn run_all<S: Store>(store: &S) {
    tenant_crud(store).await;
    tenant_delete_cascades(store).await;
    api_keys(store).await;
    signing_keys_oldest_first(store).await;
    upsert_user(store).await;
    users_paging(store).await;
    delete_user(store).await;
    credential_lifecycle(store).await;
    credentials_paging(store).await;
    credential_isolation(store).await;
    ceremony_take(store).await;
    ceremony_expiry(store).await;
    ceremony_concurrent_take(store).await;
    transactions(store).await;
    audit_filters(store).await;
    audit_paging(store).await;
    audit_retention(store).await;
    write_probe(store).await;
    rollback_and_visibility(store).await;
    communities(store).await;
    licenses(store).await;
    vendor_metadata(store).await;
    links(store).await;
    service_secrets(store).await;
    nonces(store).await;
}

/// Tenants: insert, read, list, update (name and configuration only), delete.
pub async fn tenant_crud<S: Store>(store: &S) {
    let tenant = create_tenant(store).await;

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), Some(tenant.clone()));
    assert!(tx.tenants().await.unwrap().contains(&tenant));
    drop(tx);

    let mut changed = tenant.clone();
    changed.display_name = "Renamed tenant".into();
    changed.config.relying_party.icon = None;
    changed
        .config
        .relying_party
        .origins
        .push("android:apk-key-hash:c2lnbmF0dXJl".into());
    changed.config.mfa.attachment = None;
    changed.config.counter = CounterRule::Reject;
    changed.config.signing_algorithm = SigningAlgorithm::ES256;
    changed.config.community_of = Some(CommunityOf {
        tenant: TenantId(Uuid::new_v4()),
        community: community_id(),
    });
    let update = Tenant {
        created_at: at(99),
        ..changed.clone()
    };
    let absent = Tenant {
        id: TenantId(Uuid::new_v4()),
        ..update.clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.update_tenant(&update).await.unwrap();
    assert!(matches!(
        tx.update_tenant(&absent).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), Some(changed));
    assert_eq!(tx.tenant(absent.id).await.unwrap(), None);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_tenant(tenant.id).await.unwrap());
    assert!(!tx.delete_tenant(tenant.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), None);
    assert!(
        !tx.tenants()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == tenant.id)
    );
}

/// Deleting a tenant deletes everything it owns.
pub async fn tenant_delete_cascades<S: Store>(store: &S) {
    let tenant = create_tenant(store).await;
    let t = tenant.id;
    let user = user_record(t, "cascade", 0);
    let credential = credential_record(t, user.id, 1);
    let transaction = transaction_record(t, user.id, "cascade", 2);
    let ceremony = ceremony_record(t, Some(user.id), FAR_FUTURE);
    let api_key = api_key_record(t, "cascade", 3);
    let signing_key = signing_key_record(t, SigningAlgorithm::RS256, 4);
    let event = audit_record(t, "cascade", Some("cascade"), "192.0.2.1", 5);
    let insert_all = async || {
        let mut tx = store.write().await.unwrap();
        assert_eq!(tx.upsert_user(&user).await.unwrap(), user);
        tx.insert_credential(&credential).await.unwrap();
        tx.insert_transaction(&transaction).await.unwrap();
        tx.insert_ceremony(&ceremony).await.unwrap();
        tx.insert_api_key(&api_key).await.unwrap();
        tx.insert_signing_key(&signing_key).await.unwrap();
        tx.insert_audit_event(&event).await.unwrap();
        tx.commit().await.unwrap();
    };
    insert_all().await;

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_tenant(t).await.unwrap());
    tx.commit().await.unwrap();

    // Rows a backend failed to delete would show up again under the reused tenant id.
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(t, user.id).await.unwrap(), None);
    assert_eq!(
        tx.user_by_external_id(t, &user.external_id).await.unwrap(),
        None
    );
    assert_eq!(tx.users(t, page(1, 10, false)).await.unwrap().total, 0);
    assert_eq!(tx.credential(t, &credential.id).await.unwrap(), None);
    assert_eq!(
        tx.credentials(t, None, page(1, 10, false))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        tx.transaction_by_challenge(t, &transaction.challenge)
            .await
            .unwrap(),
        None
    );
    assert_eq!(tx.transactions(t, user.id).await.unwrap(), []);
    assert_eq!(
        tx.api_key_by_hash(t, &api_key.secret_hash).await.unwrap(),
        None
    );
    assert_eq!(tx.api_keys(t).await.unwrap(), []);
    assert_eq!(tx.signing_keys(t).await.unwrap(), []);
    let events = tx
        .audit_events(t, &AuditQuery::default(), page(1, 10, true))
        .await
        .unwrap();
    assert_eq!(events.total, 0);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.take_ceremony(t, &ceremony.challenge).await.unwrap(),
        None
    );
    tx.commit().await.unwrap();

    // Leftover rows would also keep their ids (and unique values) taken.
    insert_all().await;
    delete_tenants(store, &[t]).await;
}

/// API keys: found by tenant and hash only, listed and deleted per tenant.
pub async fn api_keys<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let first = api_key_record(a, "first", 0);
    let second = api_key_record(a, "second", 1);
    let other = api_key_record(b, "other", 0);
    let mut tx = store.write().await.unwrap();
    for key in [&first, &second, &other] {
        tx.insert_api_key(key).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.api_key_by_hash(a, &first.secret_hash).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        tx.api_key_by_hash(a, &second.secret_hash).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        tx.api_key_by_hash(b, &other.secret_hash).await.unwrap(),
        Some(other.clone())
    );
    assert_eq!(
        tx.api_key_by_hash(b, &first.secret_hash).await.unwrap(),
        None
    );
    assert_eq!(
        tx.api_key_by_hash(a, &other.secret_hash).await.unwrap(),
        None
    );
    assert_eq!(tx.api_key_by_hash(a, &hash()).await.unwrap(), None);
    assert_eq!(
        sorted_keys(tx.api_keys(a).await.unwrap()),
        sorted_keys(vec![first.clone(), second.clone()])
    );
    assert_eq!(tx.api_keys(b).await.unwrap(), std::slice::from_ref(&other));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_api_key(b, first.id).await.unwrap());
    assert!(tx.delete_api_key(a, first.id).await.unwrap());
    assert!(!tx.delete_api_key(a, first.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.api_key_by_hash(a, &first.secret_hash).await.unwrap(),
        None
    );
    assert_eq!(tx.api_keys(a).await.unwrap(), [second]);
    assert_eq!(tx.api_keys(b).await.unwrap(), [other]);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Signing keys come back oldest first, whatever order they were inserted in, and are deleted
/// per tenant.
pub async fn signing_keys_oldest_first<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let oldest = signing_key_record(a, SigningAlgorithm::RS256, 0);
    let middle = signing_key_record(a, SigningAlgorithm::EdDSA, 10);
    let newest = signing_key_record(a, SigningAlgorithm::ES256, 20);
    let mut tx = store.write().await.unwrap();
    for key in [&newest, &oldest, &middle] {
        tx.insert_signing_key(key).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.signing_keys(a).await.unwrap(),
        [oldest.clone(), middle.clone(), newest.clone()]
    );
    assert_eq!(tx.signing_keys(b).await.unwrap(), []);
    drop(tx);

    // A key is deleted only in its own tenant.
    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_signing_key(b, middle.id).await.unwrap());
    assert!(tx.delete_signing_key(a, middle.id).await.unwrap());
    assert!(!tx.delete_signing_key(a, middle.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.signing_keys(a).await.unwrap(), [oldest, newest]);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// `upsert_user` creates, then updates only the names of the user with the same external id.
pub async fn upsert_user<S: Store>(store: &S) {
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
pub async fn users_paging<S: Store>(store: &S) {
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
pub async fn delete_user<S: Store>(store: &S) {
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

/// A credential's life: insert (once), read, rename, record logins, delete.
pub async fn credential_lifecycle<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let alice = user_record(t, "alice", 0);
    let passkey = credential_record(t, alice.id, 1);
    let security_key = Credential {
        name: Some("Backup key".into()),
        transports: Vec::new(),
        backup_eligible: false,
        is_mfa: true,
        last_used_at: Some(at(3)),
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
    assert!(
        tx.record_login(t, &passkey.id, 4_000_000_000, true, at(60))
            .await
            .unwrap()
    );
    assert!(!tx.record_login(t, &unknown, 1, true, at(60)).await.unwrap());
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

    // A login that read an older count and commits last must not move the counter back.
    let mut tx = store.write().await.unwrap();
    assert!(
        tx.record_login(t, &passkey.id, 7, true, at(61))
            .await
            .unwrap()
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
pub async fn credentials_paging<S: Store>(store: &S) {
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
pub async fn credential_isolation<S: Store>(store: &S) {
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
    assert!(
        !tx.record_login(b, &credential.id, 9, true, at(60))
            .await
            .unwrap()
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

/// `take_ceremony` returns a ceremony once, and only to its tenant.
pub async fn ceremony_take<S: Store>(store: &S) {
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

    delete_tenants(store, &[a, b]).await;
}

/// Expired ceremonies can still be taken (the engine refuses them with a better error) until
/// `delete_expired_ceremonies` removes those that expired before `now`.
pub async fn ceremony_expiry<S: Store>(store: &S) {
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
pub async fn ceremony_concurrent_take<S: Store>(store: &S) {
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

/// Transactions: identifiers unique per tenant, found by challenge, listed per user.
pub async fn transactions<S: Store>(store: &S) {
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

/// Every audit filter, alone and combined; results newest first.
pub async fn audit_filters<S: Store>(store: &S) {
    let (a, b, events) = audit_fixture(store).await;
    let mut tx = store.read().await.unwrap();
    let kinds = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let text = |s: &str| Some(s.to_string());
    for (query, expected) in [
        (AuditQuery::default(), [4, 3, 2, 1, 0].as_slice()),
        // Time bounds are exclusive.
        (
            AuditQuery {
                start_time: Some(at(10)),
                ..Default::default()
            },
            &[4, 3, 2],
        ),
        (
            AuditQuery {
                end_time: Some(at(30)),
                ..Default::default()
            },
            &[2, 1, 0],
        ),
        (
            AuditQuery {
                start_time: Some(at(0)),
                end_time: Some(at(40)),
                ..Default::default()
            },
            &[3, 2, 1],
        ),
        (
            AuditQuery {
                kinds: kinds(&[AUTH_OK, DELETED]),
                ..Default::default()
            },
            &[4, 3, 2],
        ),
        (
            AuditQuery {
                kinds: kinds(&["no_such_kind"]),
                ..Default::default()
            },
            &[],
        ),
        (
            AuditQuery {
                actor_user_id: text("lic"),
                ..Default::default()
            },
            &[1, 0],
        ),
        // Substrings are literal and case-sensitive (PostgreSQL's LIKE, with no wildcards).
        (
            AuditQuery {
                actor_user_id: text("ALICE"),
                ..Default::default()
            },
            &[],
        ),
        (
            AuditQuery {
                actor_user_id: text("_"),
                ..Default::default()
            },
            &[4],
        ),
        (
            AuditQuery {
                actor_user_id: text("%"),
                ..Default::default()
            },
            &[],
        ),
        (
            AuditQuery {
                source_ip: text("192.0.2."),
                ..Default::default()
            },
            &[4, 1, 0],
        ),
        (
            AuditQuery {
                source_ip: text("DB8"),
                ..Default::default()
            },
            &[],
        ),
        (
            AuditQuery {
                source_ip: text("db8"),
                ..Default::default()
            },
            &[2],
        ),
        // Either the actor or the source IP; not the request id or user agent.
        (
            AuditQuery {
                text: text("7"),
                ..Default::default()
            },
            &[4, 3, 2],
        ),
        (
            AuditQuery {
                text: text("alice"),
                ..Default::default()
            },
            &[1, 0],
        ),
        (
            AuditQuery {
                text: text("Mozilla"),
                ..Default::default()
            },
            &[],
        ),
        (
            AuditQuery {
                kinds: kinds(&[AUTH_OK]),
                text: text("7"),
                ..Default::default()
            },
            &[4, 2],
        ),
        (
            AuditQuery {
                start_time: Some(at(20)),
                source_ip: text("192"),
                ..Default::default()
            },
            &[4],
        ),
        (
            AuditQuery {
                actor_user_id: text("alice"),
                source_ip: text("11"),
                ..Default::default()
            },
            &[1],
        ),
    ] {
        let got = tx.audit_events(a, &query, page(1, 10, true)).await.unwrap();
        let expected = Paged {
            items: picked(&events, expected),
            total: expected.len() as u64,
        };
        assert_eq!(got, expected, "{query:?}");
    }
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Audit results are paged with the total of all matches.
pub async fn audit_paging<S: Store>(store: &S) {
    let (a, b, events) = audit_fixture(store).await;
    let mut tx = store.read().await.unwrap();
    let by_ip = AuditQuery {
        source_ip: Some("192.0.2.".into()),
        ..Default::default()
    };
    for (query, number, per_page, expected, total) in [
        (AuditQuery::default(), 1, 2, [4, 3].as_slice(), 5),
        (AuditQuery::default(), 2, 2, &[2, 1], 5),
        (AuditQuery::default(), 3, 2, &[0], 5),
        (AuditQuery::default(), 4, 2, &[], 5),
        (by_ip.clone(), 2, 2, &[0], 3),
    ] {
        let got = tx
            .audit_events(a, &query, page(number, per_page, true))
            .await
            .unwrap();
        let expected = Paged {
            items: picked(&events, expected),
            total,
        };
        assert_eq!(got, expected, "{query:?}, page {number}/{per_page}");
    }
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Retention removes events created before the cutoff, of every tenant, in batches of at most
/// the limit, and keeps the rest.
pub async fn audit_retention<S: Store>(store: &S) {
    let (a, b, events) = audit_fixture(store).await;
    let ancient = |tenant, n| AuditEvent {
        created_at: LONG_AGO - Duration::days(n),
        ..audit_record(tenant, DELETED, None, "192.0.2.1", 0)
    };
    let mut tx = store.write().await.unwrap();
    for event in [ancient(a, 1), ancient(a, 2), ancient(b, 3)] {
        tx.insert_audit_event(&event).await.unwrap();
    }
    // Concurrent runs on a shared database may remove each other's ancient events, so only the
    // limit and what remains are certain.
    assert!(tx.delete_audit_events_before(LONG_AGO, 2).await.unwrap() <= 2);
    while tx.delete_audit_events_before(LONG_AGO, 2).await.unwrap() > 0 {}
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let left = tx
        .audit_events(a, &AuditQuery::default(), page(1, 10, true))
        .await
        .unwrap();
    assert_eq!(left.total, events.len() as u64);
    let left = tx
        .audit_events(b, &AuditQuery::default(), page(1, 10, true))
        .await
        .unwrap();
    assert_eq!(left.total, 1);
    drop(tx);
    delete_tenants(store, &[a, b]).await;
}

/// The write probe passes on a writable store and changes nothing.
pub async fn write_probe<S: Store>(store: &S) {
    let mut tx = store.write().await.unwrap();
    tx.probe_write().await.unwrap();
    tx.commit().await.unwrap();
}

/// A write transaction dropped without commit leaves nothing behind; a committed one is seen by
/// every later transaction.
pub async fn rollback_and_visibility<S: Store>(store: &S) {
    let tenant = tenant_record();
    let user = user_record(tenant.id, "alice", 0);
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.upsert_user(&user).await.unwrap();
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), None);
    assert_eq!(tx.user(tenant.id, user.id).await.unwrap(), None);
    drop(tx);

    let t = create_tenant(store).await.id;
    let ceremony = ceremony_record(t, None, FAR_FUTURE);
    let mut tx = store.write().await.unwrap();
    tx.insert_ceremony(&ceremony).await.unwrap();
    tx.commit().await.unwrap();

    // A finish that fails after taking its ceremony must not have used it up.
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.take_ceremony(t, &ceremony.challenge)
            .await
            .unwrap()
            .as_ref(),
        Some(&ceremony)
    );
    drop(tx);

    let user = user_record(t, "bob", 0);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&user).await.unwrap();
    assert_eq!(
        tx.take_ceremony(t, &ceremony.challenge).await.unwrap(),
        Some(ceremony)
    );
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(t, user.id).await.unwrap(), Some(user));
    drop(tx);

    delete_tenants(store, &[t]).await;
}

/// Communities: insert (ids and realms once), read by id, list per organisation oldest first;
/// deleting the organisation or the realm deletes the community.
pub async fn communities<S: Store>(store: &S) {
    let org = create_tenant(store).await.id;
    let other_org = create_tenant(store).await.id;
    let first_realm = create_tenant(store).await.id;
    let second_realm = create_tenant(store).await.id;
    let spare_realm = create_tenant(store).await.id;
    let older = community_record(org, second_realm, 0);
    let newer = community_record(org, first_realm, 10);
    let mut tx = store.write().await.unwrap();
    tx.insert_community(&newer).await.unwrap();
    tx.insert_community(&older).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&newer.id).await.unwrap(), Some(newer.clone()));
    assert_eq!(tx.community(&older.id).await.unwrap(), Some(older.clone()));
    assert_eq!(tx.community(&community_id()).await.unwrap(), None);
    assert_eq!(
        tx.communities(org).await.unwrap(),
        [older.clone(), newer.clone()]
    );
    assert_eq!(tx.communities(other_org).await.unwrap(), []);
    assert_eq!(tx.communities(first_realm).await.unwrap(), []);
    drop(tx);

    // The same id, even in another organisation; and the same realm under another id.
    for duplicate in [
        Community {
            tenant: other_org,
            realm: spare_realm,
            ..newer.clone()
        },
        community_record(other_org, first_realm, 20),
    ] {
        let mut tx = store.write().await.unwrap();
        assert!(matches!(
            tx.insert_community(&duplicate).await,
            Err(Error::Conflict(Entity::Community))
        ));
        drop(tx);
    }

    delete_tenants(store, &[first_realm]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&newer.id).await.unwrap(), None);
    assert_eq!(
        tx.communities(org).await.unwrap(),
        std::slice::from_ref(&older)
    );
    drop(tx);

    delete_tenants(store, &[org]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&older.id).await.unwrap(), None);
    assert_eq!(
        tx.tenant(second_realm).await.unwrap().map(|t| t.id),
        Some(second_realm)
    );
    drop(tx);

    delete_tenants(store, &[other_org, second_realm, spare_realm]).await;
}

/// Licenses are found by key hash alone, whatever their tenant; every scope round-trips; a hash
/// names one license; deleting the tenant deletes its licenses.
pub async fn licenses<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let one = license_record(a, LicenseScope::Community(community_id()), 0);
    let all = license_record(a, LicenseScope::AllCommunities, 1);
    let system = license_record(b, LicenseScope::System, 2);
    let mut tx = store.write().await.unwrap();
    for license in [&one, &all, &system] {
        tx.insert_license(license).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for license in [&one, &all, &system] {
        assert_eq!(
            tx.license_by_hash(&license.key_hash)
                .await
                .unwrap()
                .as_ref(),
            Some(license)
        );
    }
    assert_eq!(tx.license_by_hash(&hash()).await.unwrap(), None);
    assert_eq!(tx.licenses(a).await.unwrap(), [one.clone(), all.clone()]);
    assert_eq!(tx.licenses(b).await.unwrap(), std::slice::from_ref(&system));
    drop(tx);

    // A license is revoked only in its own tenant.
    let revoked = license_record(a, LicenseScope::AllCommunities, 4);
    let mut tx = store.write().await.unwrap();
    tx.insert_license(&revoked).await.unwrap();
    assert!(!tx.delete_license(b, revoked.id).await.unwrap());
    assert!(tx.delete_license(a, revoked.id).await.unwrap());
    assert!(!tx.delete_license(a, revoked.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.license_by_hash(&revoked.key_hash).await.unwrap(), None);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let same_key = License {
        key_hash: system.key_hash,
        ..license_record(a, LicenseScope::System, 3)
    };
    assert!(matches!(
        tx.insert_license(&same_key).await,
        Err(Error::Conflict(Entity::License))
    ));
    drop(tx);

    delete_tenants(store, &[a]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.license_by_hash(&one.key_hash).await.unwrap(), None);
    assert_eq!(tx.license_by_hash(&all.key_hash).await.unwrap(), None);
    assert_eq!(
        tx.license_by_hash(&system.key_hash).await.unwrap(),
        Some(system)
    );
    drop(tx);

    delete_tenants(store, &[b]).await;
}

/// Vendor metadata: one record per (realm, AAGUID), the global records (no realm) included;
/// an upsert keeps the record's id; reads filter by AAGUID and order by it; deleting the realm
/// deletes its records.
///
/// Global records cannot be deleted, so they use fresh AAGUIDs and are only read by AAGUID:
/// a shared database may hold others.
pub async fn vendor_metadata<S: Store>(store: &S) {
    let realm = create_tenant(store).await.id;
    let other = create_tenant(store).await.id;
    let mut aaguids = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    aaguids.sort();
    let [x, y, z] = aaguids;
    let records = [
        vendor_record(Some(realm), x, 0),
        vendor_record(Some(realm), y, 1),
        vendor_record(Some(realm), z, 2),
    ];
    let global = vendor_record(None, x, 3);
    let elsewhere = vendor_record(Some(other), x, 4);
    let mut tx = store.write().await.unwrap();
    for record in scrambled(&records).chain([&global, &elsewhere]) {
        assert_eq!(&tx.upsert_vendor_metadata(record).await.unwrap(), record);
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for (realm, filter, expected) in [
        (Some(realm), vec![], records.to_vec()),
        (
            Some(realm),
            vec![z, x],
            vec![records[0].clone(), records[2].clone()],
        ),
        (Some(realm), vec![Uuid::new_v4()], vec![]),
        (Some(other), vec![], vec![elsewhere.clone()]),
        (None, vec![x, y], vec![global.clone()]),
        (None, vec![z], vec![]),
    ] {
        assert_eq!(
            tx.vendor_metadata(realm, &filter).await.unwrap(),
            expected,
            "{realm:?} {filter:?}"
        );
    }
    drop(tx);

    // A second upsert, with another id, updates the first record: in a realm and globally.
    let update = |existing: &AuthenticatorPolicy| AuthenticatorPolicy {
        id: Uuid::new_v4(),
        name: "Renamed key".into(),
        metadata: r#"{ "description": "Renamed key",  "aaguid": "x" }"#.into(),
        disabled: !existing.disabled,
        updated_by: "someone else".into(),
        updated_at: at(50),
        ..existing.clone()
    };
    let (again_in_realm, again_global) = (update(&records[1]), update(&global));
    let updated_in_realm = AuthenticatorPolicy {
        id: records[1].id,
        ..again_in_realm.clone()
    };
    let updated_global = AuthenticatorPolicy {
        id: global.id,
        ..again_global.clone()
    };
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.upsert_vendor_metadata(&again_in_realm).await.unwrap(),
        updated_in_realm
    );
    assert_eq!(
        tx.upsert_vendor_metadata(&again_global).await.unwrap(),
        updated_global
    );
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.vendor_metadata(Some(realm), &[]).await.unwrap(),
        [records[0].clone(), updated_in_realm, records[2].clone()]
    );
    assert_eq!(
        tx.vendor_metadata(None, &[x]).await.unwrap(),
        std::slice::from_ref(&updated_global)
    );
    assert_eq!(
        tx.vendor_metadata(Some(other), &[x]).await.unwrap(),
        std::slice::from_ref(&elsewhere)
    );
    drop(tx);

    delete_tenants(store, &[realm]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.vendor_metadata(Some(realm), &[]).await.unwrap(), []);
    assert_eq!(
        tx.vendor_metadata(None, &[x]).await.unwrap(),
        [updated_global]
    );
    assert_eq!(
        tx.vendor_metadata(Some(other), &[]).await.unwrap(),
        [elsewhere]
    );
    drop(tx);

    delete_tenants(store, &[other]).await;
}

/// Links: upserting one again only refreshes its time; listed oldest first, narrowed by user
/// and DID; deleting the credential, the user or the realm deletes them.
pub async fn links<S: Store>(store: &S) {
    let tenant = create_tenant(store).await;
    let t = tenant.id;
    let other = create_tenant(store).await.id;
    let alice = user_record(t, "alice", 0);
    let bob = user_record(t, "bob", 0);
    let phone = credential_record(t, alice.id, 1);
    let key = credential_record(t, alice.id, 2);
    let bobs = credential_record(t, bob.id, 3);
    let (wallet, other_wallet) = ("did:example:wallet", "did:example:other");
    let links = [
        link_record(&alice, wallet, &phone, 10),
        link_record(&alice, wallet, &key, 11),
        link_record(&alice, other_wallet, &phone, 12),
        link_record(&bob, wallet, &bobs, 13),
    ];
    let insert_all = async || {
        let mut tx = store.write().await.unwrap();
        tx.upsert_user(&alice).await.unwrap();
        tx.upsert_user(&bob).await.unwrap();
        for credential in [&phone, &key, &bobs] {
            tx.insert_credential(credential).await.unwrap();
        }
        for link in scrambled(&links) {
            tx.upsert_link(link).await.unwrap();
        }
        tx.commit().await.unwrap();
    };
    insert_all().await;

    let mut tx = store.read().await.unwrap();
    for (user, did, expected) in [
        (None, None, [0, 1, 2, 3].as_slice()),
        (Some(alice.id), None, &[0, 1, 2]),
        (Some(bob.id), None, &[3]),
        (None, Some(wallet), &[0, 1, 3]),
        (Some(alice.id), Some(other_wallet), &[2]),
        (Some(bob.id), Some(other_wallet), &[]),
        (None, Some("did:example:nobody"), &[]),
    ] {
        assert_eq!(
            tx.links(t, user, did).await.unwrap(),
            picked(&links, expected),
            "{user:?} {did:?}"
        );
    }
    assert_eq!(tx.links(other, None, None).await.unwrap(), []);
    assert_eq!(tx.links(other, Some(alice.id), None).await.unwrap(), []);
    drop(tx);

    let relinked = Link {
        linked_at: at(20),
        ..links[0].clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.upsert_link(&relinked).await.unwrap();
    tx.upsert_link(&relinked).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let mut expected = picked(&links, &[1, 2, 3]);
    expected.push(relinked.clone());
    assert_eq!(tx.links(t, None, None).await.unwrap(), expected);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_credential(t, &key.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.links(t, None, None).await.unwrap(),
        [links[2].clone(), links[3].clone(), relinked.clone()]
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_user(t, bob.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.links(t, None, None).await.unwrap(),
        [links[2].clone(), relinked]
    );
    drop(tx);

    // Links left behind would show up again under the reused realm id (or block the inserts).
    delete_tenants(store, &[t]).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.links(t, None, None).await.unwrap(), []);
    drop(tx);

    delete_tenants(store, &[t, other]).await;
}

/// Service secrets: inserted once per name, read by name.
///
/// They cannot be deleted, so the names are fresh.
pub async fn service_secrets<S: Store>(store: &S) {
    let secret = ServiceSecret {
        name: format!("suite-envelope-{}", Uuid::new_v4()),
        sealed: random_bytes(60),
        public: random_bytes(65),
        created_at: at(0),
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_service_secret(&secret).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.service_secret(&secret.name).await.unwrap(),
        Some(secret.clone())
    );
    assert_eq!(
        tx.service_secret(&format!("suite-envelope-{}", Uuid::new_v4()))
            .await
            .unwrap(),
        None
    );
    drop(tx);

    // Another process that made its own secret at the same time loses, and reads this one.
    let mut tx = store.write().await.unwrap();
    let rival = ServiceSecret {
        sealed: random_bytes(60),
        public: random_bytes(65),
        created_at: at(1),
        ..secret.clone()
    };
    assert!(matches!(
        tx.insert_service_secret(&rival).await,
        Err(Error::Conflict(Entity::ServiceSecret))
    ));
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.service_secret(&secret.name).await.unwrap(), Some(secret));
}

/// Nonces: a claim succeeds once per scope until the nonce expires; a refused claim changes
/// nothing and leaves the transaction usable.
///
/// Scopes are fresh. The claims that depend on expiry stay in one uncommitted transaction, so the
/// sweep of a concurrent run sharing the database cannot remove them midway; the committed ones
/// expire far in the future, out of reach of any sweep with a real clock.
pub async fn nonces<S: Store>(store: &S) {
    let scope = format!("suite-{}", Uuid::new_v4());
    let other_scope = format!("suite-{}", Uuid::new_v4());
    let now = LONG_AGO + Duration::days(1);
    let later = |seconds| now + Duration::seconds(seconds);

    let mut tx = store.write().await.unwrap();
    assert!(tx.claim_nonce(&scope, "n1", now, later(60)).await.unwrap());
    assert!(
        !tx.claim_nonce(&scope, "n1", later(30), FAR_FUTURE)
            .await
            .unwrap()
    );
    // Still seen when its expiry is now; and the refused claim above did not extend it.
    assert!(
        !tx.claim_nonce(&scope, "n1", later(60), FAR_FUTURE)
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&other_scope, "n1", later(30), later(90))
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&scope, "n2", later(30), later(90))
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&scope, "n1", later(61), later(120))
            .await
            .unwrap()
    );
    assert!(
        !tx.claim_nonce(&scope, "n1", later(62), later(180))
            .await
            .unwrap()
    );
    assert!(
        !tx.claim_nonce(&other_scope, "n1", later(62), later(180))
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&other_scope, "n1", later(91), later(180))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(
        tx.claim_nonce(&scope, "kept", now, FAR_FUTURE)
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&scope, "rolled back", now, FAR_FUTURE)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(
        tx.claim_nonce(&scope, "dropped", now, FAR_FUTURE)
            .await
            .unwrap()
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(
        !tx.claim_nonce(&scope, "kept", later(1), FAR_FUTURE)
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&scope, "dropped", later(1), FAR_FUTURE)
            .await
            .unwrap()
    );
    assert!(
        tx.claim_nonce(&other_scope, "kept", later(1), FAR_FUTURE)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

const AUTH_OK: &str = "webauthn_authentication_final_succeeded";
const DELETED: &str = "webauthn_credential_deleted";

/// Two tenants; five events in the first (index = order of time), one in the second that
/// matches every filter the checks use.
async fn audit_fixture<S: Store>(store: &S) -> (TenantId, TenantId, Vec<AuditEvent>) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let events = vec![
        audit_record(
            a,
            "webauthn_registration_init_succeeded",
            Some("alice"),
            "192.0.2.10",
            0,
        ),
        AuditEvent {
            error: Some("origin mismatch".into()),
            request_id: "req-777".into(),
            ..audit_record(
                a,
                "webauthn_registration_final_failed",
                Some("alice"),
                "192.0.2.11",
                10,
            )
        },
        AuditEvent {
            transaction_id: Some("order-1".into()),
            ..audit_record(a, AUTH_OK, Some("bob"), "2001:db8::7", 20)
        },
        audit_record(a, DELETED, None, "198.51.100.7", 30),
        audit_record(a, AUTH_OK, Some("carol_7"), "192.0.2.12", 40),
    ];
    let elsewhere = audit_record(b, AUTH_OK, Some("alice_7"), "192.0.2.11", 20);
    let mut tx = store.write().await.unwrap();
    for event in scrambled(&events).chain([&elsewhere]) {
        tx.insert_audit_event(event).await.unwrap();
    }
    tx.commit().await.unwrap();
    (a, b, events)
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

async fn create_tenant<S: Store>(store: &S) -> Tenant {
    let tenant = tenant_record();
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();
    tenant
}

async fn delete_tenants<S: Store>(store: &S, tenants: &[TenantId]) {
    let mut tx = store.write().await.unwrap();
    for tenant in tenants {
        assert!(tx.delete_tenant(*tenant).await.unwrap());
    }
    tx.commit().await.unwrap();
}

fn at(seconds: i64) -> OffsetDateTime {
    BASE + Duration::seconds(seconds)
}

fn page(number: u32, per_page: u32, descending: bool) -> Page {
    Page {
        number,
        per_page,
        descending,
    }
}

/// Fresh random bytes (from v4 UUIDs, which the engine already depends on).
fn random_bytes(len: usize) -> Vec<u8> {
    std::iter::repeat_with(|| Uuid::new_v4().into_bytes())
        .flatten()
        .take(len)
        .collect()
}

fn hash() -> [u8; 32] {
    random_bytes(32).try_into().unwrap()
}

/// The records in an order that is neither creation order nor its reverse, so that a backend
/// returning rows in insertion order fails the ordering checks.
fn scrambled<T>(records: &[T]) -> impl Iterator<Item = &T> {
    records
        .iter()
        .skip(1)
        .step_by(2)
        .chain(records.iter().step_by(2).rev())
}

fn picked<T: Clone>(records: &[T], indexes: &[usize]) -> Vec<T> {
    indexes
        .iter()
        .map(|&i| records.get(i).unwrap().clone())
        .collect()
}

fn sorted_keys(mut keys: Vec<ApiKey>) -> Vec<ApiKey> {
    keys.sort_by_key(|key| key.id);
    keys
}

/// A tenant with a fresh id and every configuration field set, not stored yet.
pub fn tenant_record() -> Tenant {
    let id = TenantId(Uuid::new_v4());
    let settings = AuthenticatorSettings {
        timeout_ms: 60_000,
        user_verification: UserVerification::Required,
        attachment: Some(Attachment::Platform),
        attestation: AttestationPreference::Direct,
        resident_key: ResidentKey::Required,
    };
    Tenant {
        id,
        display_name: format!("Suite tenant {}", id.0),
        config: TenantConfig {
            relying_party: RelyingPartyConfig {
                id: "login.example.test".into(),
                display_name: "Example".into(),
                icon: Some("https://example.test/icon.png".into()),
                origins: vec!["https://login.example.test".into()],
            },
            passkey: settings.clone(),
            mfa: AuthenticatorSettings {
                user_verification: UserVerification::Preferred,
                attachment: Some(Attachment::CrossPlatform),
                resident_key: ResidentKey::Discouraged,
                ..settings
            },
            cors: CorsConfig {
                allowed_origins: vec!["https://example.test".into()],
                allow_unsafe_wildcard: false,
            },
            audit: AuditConfig {
                store: true,
                console: false,
            },
            counter: CounterRule::AuditOnly,
            backup_eligibility: BackupEligibilityRule::Reject,
            discoverable_timeout_ms: 3_600_000,
            signing_algorithm: SigningAlgorithm::RS256,
            rsa_bits: 2048,
            community_of: None,
        },
        created_at: at(0),
    }
}

/// 24 fresh lowercase hex digits.
fn community_id() -> String {
    random_bytes(12)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn community_record(tenant: TenantId, realm: TenantId, seconds: i64) -> Community {
    let id = community_id();
    Community {
        name: format!("Community {id}"),
        id,
        tenant,
        realm,
        created_at: at(seconds),
    }
}

fn license_record(tenant: TenantId, scope: LicenseScope, seconds: i64) -> License {
    License {
        id: Uuid::new_v4(),
        tenant,
        scope,
        key_hash: hash(),
        created_at: at(seconds),
    }
}

fn vendor_record(realm: Option<TenantId>, aaguid: Uuid, seconds: i64) -> AuthenticatorPolicy {
    AuthenticatorPolicy {
        id: Uuid::new_v4(),
        realm,
        aaguid,
        name: format!("Key {aaguid}"),
        // Stored as given: the spacing and key order must survive.
        metadata: format!(
            r#"{{"legalHeader": "x",  "aaguid": "{aaguid}", "upv": [{{"major": 1}}]}}"#
        ),
        disabled: false,
        updated_by: "admin@example.test".into(),
        updated_at: at(seconds),
    }
}

fn link_record(user: &User, did: &str, credential: &Credential, seconds: i64) -> Link {
    Link {
        realm: user.tenant,
        user: user.id,
        did: did.into(),
        credential_id: credential.id.clone(),
        linked_at: at(seconds),
    }
}

fn api_key_record(tenant: TenantId, name: &str, seconds: i64) -> ApiKey {
    ApiKey {
        id: Uuid::new_v4(),
        tenant,
        name: name.into(),
        secret_hash: hash(),
        created_at: at(seconds),
    }
}

fn signing_key_record(tenant: TenantId, algorithm: SigningAlgorithm, seconds: i64) -> SigningKey {
    SigningKey {
        id: Uuid::new_v4(),
        tenant,
        algorithm,
        encrypted_private_key: random_bytes(60),
        public_key: random_bytes(91),
        created_at: at(seconds),
    }
}

fn user_record(tenant: TenantId, external_id: &str, seconds: i64) -> User {
    User {
        id: UserId(Uuid::new_v4()),
        tenant,
        external_id: external_id.into(),
        name: format!("{external_id}@example.test"),
        display_name: format!("User {external_id}"),
        icon: None,
        created_at: at(seconds),
    }
}

fn credential_record(tenant: TenantId, user: UserId, seconds: i64) -> Credential {
    Credential {
        id: random_bytes(32),
        tenant,
        user,
        name: None,
        public_key: random_bytes(77),
        attestation_format: "packed".into(),
        aaguid: random_bytes(16).try_into().unwrap(),
        sign_count: 7,
        transports: vec!["hybrid".into(), "internal".into()],
        backup_eligible: true,
        backup_state: false,
        is_mfa: false,
        created_at: at(seconds),
        last_used_at: None,
    }
}

fn ceremony_record(tenant: TenantId, user: Option<UserId>, expires_at: OffsetDateTime) -> Ceremony {
    Ceremony {
        id: Uuid::new_v4(),
        tenant,
        challenge: random_bytes(32),
        operation: Operation::Registration,
        user,
        user_verification: UserVerification::Required,
        allowed_credentials: vec![random_bytes(16), random_bytes(64)],
        transaction: None,
        expires_at,
    }
}

fn transaction_record(
    tenant: TenantId,
    user: UserId,
    identifier: &str,
    seconds: i64,
) -> Transaction {
    Transaction {
        id: Uuid::new_v4(),
        tenant,
        user,
        identifier: identifier.into(),
        data: format!(r#"{{"amount":"10.00","reference":"{identifier}"}}"#),
        challenge: random_bytes(64),
        created_at: at(seconds),
        updated_at: at(seconds + 1),
    }
}

fn audit_record(
    tenant: TenantId,
    kind: &str,
    actor: Option<&str>,
    source_ip: &str,
    seconds: i64,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::new_v4(),
        tenant,
        kind: kind.into(),
        error: None,
        request_id: format!("req-{seconds}"),
        source_ip: source_ip.into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64)".into(),
        actor_user_id: actor.map(str::to_string),
        transaction_id: None,
        created_at: at(seconds),
    }
}
