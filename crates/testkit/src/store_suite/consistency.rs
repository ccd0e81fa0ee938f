//! What transactions promise: a write probe that changes nothing, rollback, visibility.

use latchkey_engine::{ReadTx, Store, WriteTx};

use super::records::{
    FAR_FUTURE, ceremony_record, create_tenant, delete_tenants, tenant_record, user_record,
};

/// The write probe passes on a writable store and changes nothing.
pub(super) async fn write_probe<S: Store>(store: &S) {
    let mut tx = store.write().await.unwrap();
    tx.probe_write().await.unwrap();
    tx.commit().await.unwrap();
}

/// A write transaction dropped without commit leaves nothing behind; a committed one is seen by
/// every later transaction.
pub(super) async fn rollback_and_visibility<S: Store>(store: &S) {
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
