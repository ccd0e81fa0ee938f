//! Webhooks and their outbox: hooks keep their events in order and replace them whole;
//! failures count in one statement and disable a hook past the limit; deliveries are claimed
//! once while leased, rescheduled, removed, and go with their hook and tenant.

use latchkey_engine::model::TenantId;
use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery, WebhookSubscription};
use latchkey_engine::{Entity, Error, ReadTx, Store, WriteTx};
use uuid::Uuid;

use super::records::{at, create_tenant, delete_tenants};

fn webhook_record(tenant: TenantId, events: &[&str], seconds: i64) -> Webhook {
    Webhook {
        id: Uuid::new_v4(),
        tenant,
        callback: "https://receiver.example/hook".into(),
        enabled: true,
        failures: 0,
        expires_at: at(seconds + 30 * 86_400),
        events: events
            .iter()
            .map(|event| WebhookSubscription {
                id: Uuid::new_v4(),
                event: (*event).into(),
            })
            .collect(),
        created_at: at(seconds),
        updated_at: at(seconds),
    }
}

fn delivery_record(tenant: TenantId, webhook: Option<Uuid>, due: i64) -> WebhookDelivery {
    WebhookDelivery {
        id: Uuid::new_v4(),
        tenant,
        webhook,
        callback: "https://receiver.example/hook".into(),
        event: "user.create".into(),
        data: r#"{"id":"x"}"#.into(),
        attempts: 0,
        due_at: at(due),
        leased_until: None,
        created_at: at(0),
    }
}

/// Hooks: listed oldest first with their events in order, replaced whole, deleted with their
/// events; a duplicate event or id is a conflict that leaves nothing behind.
pub(super) async fn webhooks<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let first = webhook_record(a, &["user.delete", "user", "email.send"], 1);
    let second = webhook_record(a, &["user.create"], 2);
    let mut tx = store.write().await.unwrap();
    tx.insert_webhook(&second).await.unwrap();
    tx.insert_webhook(&first).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.webhooks(a).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(tx.webhooks(b).await.unwrap(), vec![]);
    assert_eq!(
        tx.webhook(a, first.id).await.unwrap().as_ref(),
        Some(&first)
    );
    assert_eq!(tx.webhook(b, first.id).await.unwrap(), None);
    drop(tx);

    let twice = webhook_record(a, &["user", "user"], 3);
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_webhook(&twice).await,
        Err(Error::Conflict(Entity::Webhook))
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_webhook(&first).await,
        Err(Error::Conflict(Entity::Webhook))
    ));
    drop(tx);
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.webhooks(a).await.unwrap().len(), 2);
    drop(tx);

    let changed = Webhook {
        callback: "http://other.example/".into(),
        enabled: false,
        failures: 3,
        expires_at: at(99),
        updated_at: at(9),
        ..webhook_record(a, &["email.send", "user.update"], 1)
    };
    let changed = Webhook {
        id: first.id,
        ..changed
    };
    let mut tx = store.write().await.unwrap();
    assert!(tx.update_webhook(&changed).await.unwrap());
    assert!(
        !tx.update_webhook(&Webhook {
            tenant: b,
            ..changed.clone()
        })
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.webhook(a, first.id).await.unwrap().as_ref(),
        Some(&changed)
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_webhook(b, second.id).await.unwrap());
    assert!(tx.delete_webhook(a, second.id).await.unwrap());
    assert!(!tx.delete_webhook(a, second.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.webhooks(a).await.unwrap(), vec![changed]);
    drop(tx);
    delete_tenants(store, &[a, b]).await;
}

/// Failures count one at a time; the one past the limit disables the hook. A success resets
/// the count and the expiry; an expired hook is disabled once.
pub(super) async fn webhook_failures<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let hook = webhook_record(a, &["user"], 1);
    let mut tx = store.write().await.unwrap();
    tx.insert_webhook(&hook).await.unwrap();
    tx.commit().await.unwrap();
    for count in 1..=3 {
        let mut tx = store.write().await.unwrap();
        let counted = tx
            .count_webhook_failure(a, hook.id, 2)
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(counted.failures, count);
        assert_eq!(counted.enabled, count <= 2, "after {count} failures");
        assert_eq!(counted.events, hook.events);
    }
    let mut tx = store.write().await.unwrap();
    assert!(tx.reset_webhook(a, hook.id, at(500), at(9)).await.unwrap());
    assert!(
        !tx.reset_webhook(a, Uuid::new_v4(), at(500), at(9))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let reset = tx.webhook(a, hook.id).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(
        (
            reset.failures,
            reset.enabled,
            reset.expires_at,
            reset.updated_at
        ),
        (0, false, at(500), at(9)),
        "a success does not enable a disabled hook"
    );

    let fresh = webhook_record(a, &["user"], 1);
    let mut tx = store.write().await.unwrap();
    tx.insert_webhook(&fresh).await.unwrap();
    assert!(
        !tx.expire_webhook(a, fresh.id, fresh.expires_at)
            .await
            .unwrap(),
        "not expired at its expiry time"
    );
    let later = fresh.expires_at + time::Duration::microseconds(1);
    assert!(tx.expire_webhook(a, fresh.id, later).await.unwrap());
    assert!(
        !tx.expire_webhook(a, fresh.id, later).await.unwrap(),
        "once"
    );
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let expired = tx.webhook(a, fresh.id).await.unwrap().unwrap();
    drop(tx);
    assert!(!expired.enabled);
    assert_eq!(expired.updated_at, later);
    assert_eq!(expired.events, fresh.events);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.count_webhook_failure(a, Uuid::new_v4(), 2)
            .await
            .unwrap(),
        None
    );
    drop(tx);
    delete_tenants(store, &[a]).await;
}

/// The outbox: due deliveries are claimed once while their lease lasts, come back when it
/// ends or when rescheduled, and go when removed, with their hook, or with their tenant.
pub(super) async fn webhook_deliveries<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let hook = webhook_record(a, &["user"], 1);
    let configured = delivery_record(a, None, 10);
    let added = delivery_record(a, Some(hook.id), 5);
    let later = delivery_record(b, None, 1_000);
    let mut tx = store.write().await.unwrap();
    tx.insert_webhook(&hook).await.unwrap();
    for delivery in [&configured, &added, &later] {
        tx.insert_webhook_delivery(delivery).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_webhook_delivery(&added).await,
        Err(Error::Conflict(Entity::Webhook))
    ));
    drop(tx);

    let ours = |claimed: Vec<WebhookDelivery>| -> Vec<WebhookDelivery> {
        claimed
            .into_iter()
            .filter(|delivery| delivery.tenant == a || delivery.tenant == b)
            .collect()
    };
    let lease = at(100);
    let mut tx = store.write().await.unwrap();
    let claimed = ours(
        tx.claim_webhook_deliveries(at(20), lease, 100)
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    let leased = |delivery: &WebhookDelivery| WebhookDelivery {
        leased_until: Some(lease),
        ..delivery.clone()
    };
    assert_eq!(claimed, vec![leased(&added), leased(&configured)]);

    let mut tx = store.write().await.unwrap();
    let again = ours(
        tx.claim_webhook_deliveries(at(50), at(150), 100)
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    assert_eq!(again, vec![], "a leased delivery is not claimed twice");

    let mut tx = store.write().await.unwrap();
    assert!(
        tx.reschedule_webhook_delivery(a, configured.id, 1, at(60))
            .await
            .unwrap()
    );
    assert!(
        !tx.reschedule_webhook_delivery(b, configured.id, 1, at(60))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let rescheduled = ours(
        tx.claim_webhook_deliveries(at(60), at(160), 100)
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    assert_eq!(
        rescheduled,
        vec![WebhookDelivery {
            attempts: 1,
            due_at: at(60),
            leased_until: Some(at(160)),
            ..configured.clone()
        }]
    );

    let mut tx = store.write().await.unwrap();
    let expired = ours(
        tx.claim_webhook_deliveries(at(100), at(200), 100)
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    assert_eq!(
        expired
            .iter()
            .map(|delivery| delivery.id)
            .collect::<Vec<_>>(),
        vec![added.id],
        "an ended lease frees the delivery"
    );

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_webhook_delivery(a, configured.id).await.unwrap());
    assert!(!tx.delete_webhook_delivery(a, configured.id).await.unwrap());
    assert!(tx.delete_webhook(a, hook.id).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let left = ours(
        tx.claim_webhook_deliveries(at(2_000), at(2_001), 100)
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    assert_eq!(
        left.iter().map(|delivery| delivery.id).collect::<Vec<_>>(),
        vec![later.id],
        "deleting a hook deletes its deliveries"
    );
    delete_tenants(store, &[a, b]).await;
}
