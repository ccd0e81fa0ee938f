//! What the 1Kosmos dialect keeps: communities, licenses, vendor metadata, links, service
//! secrets, nonces.

use latchkey_engine::model::{
    AuthenticatorPolicy, CertificationLevel, Community, License, LicenseScope, Link, ServiceSecret,
};
use latchkey_engine::{Entity, Error, ReadTx, Store, WriteTx};
use time::Duration;
use uuid::Uuid;

use super::records::{
    FAR_FUTURE, LONG_AGO, at, community_id, create_community, create_tenant, credential_record,
    delete_tenants, hash, license_record, link_record, picked, random_bytes, scrambled,
    user_record, vendor_record,
};

/// Communities: ids taken once, even across organisations; read by id once their realm exists;
/// listed per organisation oldest first; deleting the organisation or the realm deletes the
/// community.
pub(super) async fn communities<S: Store>(store: &S) {
    let org = create_tenant(store).await.id;
    let other_org = create_tenant(store).await.id;
    let (newer, newer_realm) = create_community(store, org, 10).await;
    let (older, _) = create_community(store, org, 0).await;

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&newer.id).await.unwrap(), Some(newer.clone()));
    assert_eq!(tx.community(&older.id).await.unwrap(), Some(older.clone()));
    assert_eq!(tx.community(&community_id()).await.unwrap(), None);
    assert_eq!(
        tx.communities(org).await.unwrap(),
        [older.clone(), newer.clone()]
    );
    assert_eq!(tx.communities(other_org).await.unwrap(), []);
    assert_eq!(tx.communities(newer_realm.id).await.unwrap(), []);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_community(&Community {
            tenant: other_org,
            ..newer.clone()
        })
        .await,
        Err(Error::Conflict(Entity::Community))
    ));
    drop(tx);

    delete_tenants(store, &[newer_realm.id]).await;
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
    assert_eq!(tx.tenant(older.realm).await.unwrap(), None);
    drop(tx);

    delete_tenants(store, &[other_org]).await;
}

/// Licenses are found by key hash alone, whatever their tenant; every scope round-trips; a hash
/// names one license; deleting the tenant deletes its licenses.
pub(super) async fn licenses<S: Store>(store: &S) {
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
/// an upsert keeps the record's id and replaces the certification level with the rest; reads
/// filter by AAGUID and order by it; a realm's record can be deleted, a global one cannot;
/// deleting the realm deletes its records.
///
/// Global records cannot be deleted, so they use fresh AAGUIDs and are only read by AAGUID:
/// a shared database may hold others.
pub(super) async fn vendor_metadata<S: Store>(store: &S) {
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
    let global = AuthenticatorPolicy {
        certification: Some(CertificationLevel::L1Plus),
        ..vendor_record(None, x, 3)
    };
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
        certification: match existing.certification {
            None => Some(CertificationLevel::L3Plus),
            Some(_) => None,
        },
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
        [
            records[0].clone(),
            updated_in_realm.clone(),
            records[2].clone()
        ]
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

    // Deleting names the realm and the model; the global record of the model stays.
    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_vendor_metadata(realm, x).await.unwrap());
    assert!(!tx.delete_vendor_metadata(realm, x).await.unwrap());
    assert!(!tx.delete_vendor_metadata(other, y).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.vendor_metadata(Some(realm), &[]).await.unwrap(),
        [updated_in_realm, records[2].clone()]
    );
    assert_eq!(
        tx.vendor_metadata(None, &[x]).await.unwrap(),
        std::slice::from_ref(&updated_global)
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
pub(super) async fn links<S: Store>(store: &S) {
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
pub(super) async fn service_secrets<S: Store>(store: &S) {
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
pub(super) async fn nonces<S: Store>(store: &S) {
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
