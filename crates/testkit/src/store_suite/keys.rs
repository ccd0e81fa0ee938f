//! API keys and signing keys.

use latchkey_engine::model::SigningAlgorithm;
use latchkey_engine::{ReadTx, Store, WriteTx};

use super::records::{
    api_key_record, create_tenant, delete_tenants, hash, signing_key_record, sorted_keys,
};

/// API keys: found by tenant and hash only, listed and deleted per tenant.
pub(super) async fn api_keys<S: Store>(store: &S) {
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
pub(super) async fn signing_keys_oldest_first<S: Store>(store: &S) {
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
