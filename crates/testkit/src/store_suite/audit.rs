//! The audit log: filters, paging, retention.

use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Paged, ReadTx, Store, WriteTx};
use time::Duration;

use super::records::{
    LONG_AGO, at, audit_record, create_tenant, delete_tenants, page, picked, scrambled,
};

const AUTH_OK: &str = "webauthn_authentication_final_succeeded";

const DELETED: &str = "webauthn_credential_deleted";

/// Every audit filter, alone and combined; results newest first.
pub(super) async fn audit_filters<S: Store>(store: &S) {
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
pub(super) async fn audit_paging<S: Store>(store: &S) {
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
pub(super) async fn audit_retention<S: Store>(store: &S) {
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
