//! Tenants: their kinds, updates and what deleting one takes with it.

use latchkey_engine::model::{
    AuditQuery, CounterRule, SigningAlgorithm, Tenant, TenantId, TenantKind,
};
use latchkey_engine::{Entity, Error, ReadTx, Store, WriteTx};
use uuid::Uuid;

use super::records::{
    FAR_FUTURE, api_key_record, at, audit_record, ceremony_record, community_id, create_community,
    create_tenant, credential_record, delete_tenants, page, realm_record, signing_key_record,
    transaction_record, user_record,
};

/// Organisations: insert, read, list, update (name and configuration only, never the kind),
/// delete.
pub(super) async fn tenant_crud<S: Store>(store: &S) {
    let tenant = create_tenant(store).await;

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), Some(tenant.clone()));
    assert_eq!(
        tx.organisation(tenant.id).await.unwrap(),
        Some(tenant.clone())
    );
    assert!(tx.organisations().await.unwrap().contains(&tenant));
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
    let update = Tenant {
        created_at: at(99),
        kind: TenantKind::Realm {
            organisation: TenantId(Uuid::new_v4()),
            community: community_id(),
        },
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
        !tx.organisations()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == tenant.id)
    );
}

/// Deleting a tenant deletes everything it owns.
pub(super) async fn tenant_delete_cascades<S: Store>(store: &S) {
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

/// A realm: the tenant of one community of an organisation, stored after its community. It is
/// read back with its kind, is no organisation, keeps its kind through updates, and goes with
/// its community; a realm of a missing community, or of another organisation's, is refused, and
/// a community has one realm.
pub(super) async fn realms<S: Store>(store: &S) {
    let org = create_tenant(store).await;
    let other_org = create_tenant(store).await.id;
    let (community, realm) = create_community(store, org.id, 0).await;

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(realm.id).await.unwrap(), Some(realm.clone()));
    assert_eq!(
        realm.kind,
        TenantKind::Realm {
            organisation: org.id,
            community: community.id.clone(),
        }
    );
    assert_eq!(tx.organisation(realm.id).await.unwrap(), None);
    let organisations = tx.organisations().await.unwrap();
    assert!(organisations.contains(&org));
    assert!(!organisations.iter().any(|t| t.id == realm.id));
    drop(tx);

    let refused = [
        // A community that does not exist.
        realm_record(org.id, &community_id()),
        // Another organisation's community.
        realm_record(other_org, &community.id),
    ];
    for realm in refused {
        let mut tx = store.write().await.unwrap();
        assert!(matches!(
            tx.insert_tenant(&realm).await,
            Err(Error::NotFound(Entity::Community))
        ));
        drop(tx);
    }
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_tenant(&realm_record(org.id, &community.id)).await,
        Err(Error::Conflict(Entity::Tenant))
    ));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let renamed = Tenant {
        display_name: "Renamed realm".into(),
        ..realm.clone()
    };
    tx.update_tenant(&Tenant {
        kind: TenantKind::Organisation,
        ..renamed.clone()
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(realm.id).await.unwrap(), Some(renamed));
    drop(tx);

    // Deleting a realm deletes its community; the organisation stays.
    delete_tenants(store, &[realm.id]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&community.id).await.unwrap(), None);
    assert_eq!(tx.tenant(org.id).await.unwrap(), Some(org.clone()));
    drop(tx);

    // Deleting an organisation deletes its communities and their realms.
    let (community, realm) = create_community(store, org.id, 10).await;
    delete_tenants(store, &[org.id]).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.community(&community.id).await.unwrap(), None);
    assert_eq!(tx.tenant(realm.id).await.unwrap(), None);
    drop(tx);

    delete_tenants(store, &[other_org]).await;
}
