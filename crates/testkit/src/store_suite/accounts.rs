//! What the Hanko Public API keeps of an account: email addresses, passcodes, passwords and
//! sessions, and what deleting a user or a tenant takes of them.

use latchkey_engine::model::{Email, Passcode, Password, Session, TenantId, User, UserId};
use latchkey_engine::{Entity, Error, ReadTx, Result, Store, WriteTx};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::records::{
    FAR_FUTURE, LONG_AGO, at, create_tenant, delete_tenants, hash, scrambled, user_record,
};

/// PHC strings of the two kinds a password may be stored as (argon2id, and bcrypt for imported
/// users); the store keeps them as text and never parses them.
const ARGON2_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
const BCRYPT_HASH: &str = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";

/// Emails: found by id and by address within their tenant only, an address taken once per
/// tenant whoever holds it, a user's addresses listed oldest first.
pub(super) async fn emails<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let alices: Vec<Email> = (0..4)
        .map(|i| email_record(a, Some(alice.id), &format!("alice.{i}@example.test"), i))
        .collect();
    let unassigned = email_record(a, None, "new@example.test", 5);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    for email in scrambled(&alices) {
        tx.insert_email(email).await.unwrap();
    }
    tx.insert_email(&unassigned).await.unwrap();
    tx.commit().await.unwrap();

    let first = alices.first().unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.email(a, first.id).await.unwrap().as_ref(), Some(first));
    assert_eq!(
        tx.email_by_address(a, "alice.0@example.test")
            .await
            .unwrap()
            .as_ref(),
        Some(first)
    );
    assert_eq!(
        tx.email_by_address(a, "new@example.test").await.unwrap(),
        Some(unassigned.clone())
    );
    // Addresses come lower-cased from the engine and are compared as stored.
    assert_eq!(
        tx.email_by_address(a, "ALICE.0@example.test")
            .await
            .unwrap(),
        None
    );
    assert_eq!(tx.email(b, first.id).await.unwrap(), None);
    assert_eq!(
        tx.email_by_address(b, "alice.0@example.test")
            .await
            .unwrap(),
        None
    );
    assert_eq!(tx.email(a, Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(tx.emails(a, alice.id).await.unwrap(), alices);
    assert_eq!(tx.emails(a, bob.id).await.unwrap(), []);
    assert_eq!(tx.emails(b, alice.id).await.unwrap(), []);
    drop(tx);

    // A failed statement may leave the transaction unusable (PostgreSQL aborts it): drop it.
    let taken = [
        // Another user's address.
        email_record(a, Some(bob.id), "alice.1@example.test", 9),
        // An address waiting for its user.
        email_record(a, Some(bob.id), "new@example.test", 9),
        // An id in use.
        Email {
            address: "bob@example.test".into(),
            ..first.clone()
        },
    ];
    for email in &taken {
        let mut tx = store.write().await.unwrap();
        assert!(
            matches!(
                tx.insert_email(email).await,
                Err(Error::Conflict(Entity::Email))
            ),
            "{email:?}"
        );
        drop(tx);
    }

    // Addresses are the tenant's own: the same one elsewhere is someone else's.
    let carol = user_record(b, "carol", 0);
    let carols = email_record(b, Some(carol.id), "alice.0@example.test", 0);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&carol).await.unwrap();
    tx.insert_email(&carols).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.email_by_address(b, "alice.0@example.test")
            .await
            .unwrap(),
        Some(carols)
    );
    assert_eq!(
        tx.email_by_address(a, "alice.0@example.test")
            .await
            .unwrap()
            .as_ref(),
        Some(first)
    );
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// `update_email` replaces user, verification, primary and update time (never the address or
/// creation time) of the tenant's email; a user has at most one primary address, and a second
/// one is refused, not stored.
pub(super) async fn email_updates<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let signup = email_record(a, None, "alice@example.test", 1);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    tx.insert_email(&signup).await.unwrap();
    tx.commit().await.unwrap();

    // The passcode proved the address: it becomes the user's, verified and primary.
    let proven = Email {
        user: Some(alice.id),
        verified: true,
        primary: true,
        updated_at: at(10),
        ..signup.clone()
    };
    let mut tx = store.write().await.unwrap();
    assert!(
        tx.update_email(&Email {
            address: "ignored@example.test".into(),
            created_at: at(99),
            ..proven.clone()
        })
        .await
        .unwrap()
    );
    assert!(
        !tx.update_email(&Email {
            tenant: b,
            ..proven.clone()
        })
        .await
        .unwrap()
    );
    assert!(
        !tx.update_email(&Email {
            id: Uuid::new_v4(),
            ..proven.clone()
        })
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.email(a, signup.id).await.unwrap(), Some(proven.clone()));
    assert_eq!(
        tx.emails(a, alice.id).await.unwrap(),
        std::slice::from_ref(&proven)
    );
    assert_eq!(
        tx.email_by_address(a, "ignored@example.test")
            .await
            .unwrap(),
        None
    );
    drop(tx);

    let second = email_record(a, Some(alice.id), "alice@work.example.test", 2);
    let mut tx = store.write().await.unwrap();
    tx.insert_email(&second).await.unwrap();
    tx.commit().await.unwrap();

    let another_primary = Email {
        id: Uuid::new_v4(),
        address: "alice@home.example.test".into(),
        ..proven.clone()
    };
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_email(&another_primary).await,
        Err(Error::Conflict(Entity::Email))
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let second_made_primary = Email {
        primary: true,
        ..second.clone()
    };
    assert!(matches!(
        tx.update_email(&second_made_primary).await,
        Err(Error::Conflict(Entity::Email))
    ));
    drop(tx);

    // Moving the primary: unset the old one first, in the same transaction. Another user's
    // primary is no obstacle.
    let demoted = Email {
        primary: false,
        updated_at: at(20),
        ..proven.clone()
    };
    let promoted = Email {
        primary: true,
        verified: true,
        updated_at: at(20),
        ..second.clone()
    };
    let bobs = Email {
        primary: true,
        ..email_record(a, Some(bob.id), "bob@example.test", 3)
    };
    let mut tx = store.write().await.unwrap();
    assert!(tx.update_email(&demoted).await.unwrap());
    assert!(tx.update_email(&promoted).await.unwrap());
    tx.insert_email(&bobs).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.emails(a, alice.id).await.unwrap(), [demoted, promoted]);
    assert_eq!(tx.emails(a, bob.id).await.unwrap(), [bobs]);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// `delete_email` deletes the email and the passcodes sent to it, once, in its tenant only.
pub(super) async fn delete_email<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let home = email_record(a, Some(alice.id), "alice@home.example.test", 1);
    let work = email_record(a, Some(alice.id), "alice@work.example.test", 2);
    let to_home = [
        passcode_record(&home, alice.id, FAR_FUTURE),
        passcode_record(&home, alice.id, FAR_FUTURE),
    ];
    let to_work = passcode_record(&work, alice.id, FAR_FUTURE);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.insert_email(&home).await.unwrap();
    tx.insert_email(&work).await.unwrap();
    for passcode in to_home.iter().chain([&to_work]) {
        tx.insert_passcode(passcode).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_email(b, home.id).await.unwrap());
    assert!(tx.delete_email(a, home.id).await.unwrap());
    assert!(!tx.delete_email(a, home.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.email(a, home.id).await.unwrap(), None);
    assert_eq!(tx.email_by_address(a, &home.address).await.unwrap(), None);
    for passcode in &to_home {
        assert_eq!(tx.passcode(a, passcode.id).await.unwrap(), None);
    }
    assert_eq!(tx.emails(a, alice.id).await.unwrap(), [work]);
    assert_eq!(tx.passcode(a, to_work.id).await.unwrap(), Some(to_work));
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// A passcode: stored once, read until it is deleted, each wrong code counted by one statement
/// that answers the new count, deleted exactly once; in its tenant only.
pub(super) async fn passcodes<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let (alice, email) = create_user_with_email(store, a, "alice").await;
    let passcode = Passcode {
        // A u32 above i32::MAX must not be stored in a signed 32-bit column.
        ttl_seconds: 3_000_000_000,
        ..passcode_record(&email, alice, FAR_FUTURE)
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_passcode(&passcode).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let duplicate = Passcode {
        code_hash: hash(),
        ..passcode.clone()
    };
    assert!(matches!(
        tx.insert_passcode(&duplicate).await,
        Err(Error::Conflict(Entity::Passcode))
    ));
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.passcode(a, passcode.id).await.unwrap(),
        Some(passcode.clone())
    );
    assert_eq!(tx.passcode(b, passcode.id).await.unwrap(), None);
    assert_eq!(tx.passcode(a, Uuid::new_v4()).await.unwrap(), None);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    for expected in 1..=3 {
        assert_eq!(
            tx.count_passcode_failure(a, passcode.id).await.unwrap(),
            Some(expected)
        );
    }
    assert_eq!(
        tx.count_passcode_failure(b, passcode.id).await.unwrap(),
        None
    );
    assert!(!tx.delete_passcode(b, passcode.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.passcode(a, passcode.id).await.unwrap(),
        Some(Passcode {
            failed_attempts: 3,
            ..passcode.clone()
        })
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_passcode(a, passcode.id).await.unwrap());
    assert!(!tx.delete_passcode(a, passcode.id).await.unwrap());
    assert_eq!(
        tx.count_passcode_failure(a, passcode.id).await.unwrap(),
        None
    );
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.passcode(a, passcode.id).await.unwrap(), None);
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Of two concurrent wrong codes, each is counted (one answers 1, the other 2); of two
/// concurrent finalizes with the right code, exactly one deletes the passcode.
pub(super) async fn passcode_concurrency<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let (alice, email) = create_user_with_email(store, t, "alice").await;
    // A few rounds, because whether the two really overlap is up to the scheduler.
    for _ in 0..4 {
        let passcode = passcode_record(&email, alice, FAR_FUTURE);
        let mut tx = store.write().await.unwrap();
        tx.insert_passcode(&passcode).await.unwrap();
        tx.commit().await.unwrap();

        let first = tokio::spawn(count_and_commit(store.clone(), t, passcode.id));
        let second = tokio::spawn(count_and_commit(store.clone(), t, passcode.id));
        let (first, second) = tokio::join!(first, second);
        let mut counts = [first.unwrap().unwrap(), second.unwrap().unwrap()];
        counts.sort();
        assert_eq!(counts, [Some(1), Some(2)]);

        let first = tokio::spawn(delete_and_commit(store.clone(), t, passcode.id));
        let second = tokio::spawn(delete_and_commit(store.clone(), t, passcode.id));
        let (first, second) = tokio::join!(first, second);
        let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
        assert!(
            first != second,
            "exactly one delete wins: {first}, {second}"
        );
    }
    delete_tenants(store, &[t]).await;
}

async fn count_and_commit<S: Store>(store: S, tenant: TenantId, id: Uuid) -> Result<Option<u32>> {
    let mut tx = store.write().await?;
    let count = tx.count_passcode_failure(tenant, id).await?;
    tx.commit().await?;
    Ok(count)
}

async fn delete_and_commit<S: Store>(store: S, tenant: TenantId, id: Uuid) -> Result<bool> {
    let mut tx = store.write().await?;
    let deleted = tx.delete_passcode(tenant, id).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// `delete_expired_passcodes` and `delete_expired_sessions` remove what expired before `now`,
/// in every tenant, and keep the rest. Until swept, an expired passcode or session is still
/// read (the engine refuses it with a better error).
pub(super) async fn expiry<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let (alice, email) = create_user_with_email(store, t, "alice").await;
    let now = LONG_AGO + Duration::days(1);
    let live_passcode = passcode_record(&email, alice, FAR_FUTURE);
    let live_session = session_record(t, alice, FAR_FUTURE);
    let mut tx = store.write().await.unwrap();
    tx.insert_passcode(&live_passcode).await.unwrap();
    tx.insert_session(&live_session).await.unwrap();
    tx.commit().await.unwrap();

    // The expired rows are never committed: a concurrent run sharing the database sweeps too,
    // and must neither delete them nor have them counted.
    let expiries = [LONG_AGO, now - Duration::microseconds(1)];
    let old_passcodes = expiries.map(|expires_at| passcode_record(&email, alice, expires_at));
    let old_sessions = expiries.map(|expires_at| session_record(t, alice, expires_at));
    let passcode_at_now = passcode_record(&email, alice, now);
    let session_at_now = session_record(t, alice, now);
    let mut tx = store.write().await.unwrap();
    for passcode in old_passcodes.iter().chain([&passcode_at_now]) {
        tx.insert_passcode(passcode).await.unwrap();
    }
    for session in old_sessions.iter().chain([&session_at_now]) {
        tx.insert_session(session).await.unwrap();
    }
    let [oldest_passcode, _] = &old_passcodes;
    let [oldest_session, _] = &old_sessions;
    assert_eq!(
        tx.passcode(t, oldest_passcode.id).await.unwrap().as_ref(),
        Some(oldest_passcode)
    );
    assert_eq!(
        tx.session(t, oldest_session.id).await.unwrap().as_ref(),
        Some(oldest_session)
    );
    let deleted = tx.delete_expired_passcodes(now).await.unwrap();
    assert!(
        deleted >= 2,
        "deleted {deleted} passcodes, expected at least this check's 2"
    );
    let deleted = tx.delete_expired_sessions(now).await.unwrap();
    assert!(
        deleted >= 2,
        "deleted {deleted} sessions, expected at least this check's 2"
    );
    for passcode in &old_passcodes {
        assert_eq!(tx.passcode(t, passcode.id).await.unwrap(), None);
    }
    for session in &old_sessions {
        assert_eq!(tx.session(t, session.id).await.unwrap(), None);
    }
    assert_eq!(
        tx.passcode(t, passcode_at_now.id).await.unwrap().as_ref(),
        Some(&passcode_at_now)
    );
    assert_eq!(
        tx.session(t, session_at_now.id).await.unwrap().as_ref(),
        Some(&session_at_now)
    );
    assert!(tx.delete_passcode(t, passcode_at_now.id).await.unwrap());
    assert!(tx.delete_session(t, session_at_now.id).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.passcode(t, live_passcode.id).await.unwrap(),
        Some(live_passcode)
    );
    assert_eq!(
        tx.session(t, live_session.id).await.unwrap(),
        Some(live_session)
    );
    drop(tx);

    delete_tenants(store, &[t]).await;
}

/// `upsert_password` creates a user's password (false), then replaces its hash and update time
/// while keeping its creation time (true); nobody else's password changes.
pub(super) async fn passwords<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    tx.commit().await.unwrap();

    let first = password_record(a, alice.id, BCRYPT_HASH, 1);
    let bobs = password_record(a, bob.id, BCRYPT_HASH, 2);
    let mut tx = store.write().await.unwrap();
    assert!(!tx.upsert_password(&first).await.unwrap());
    assert!(!tx.upsert_password(&bobs).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.password(a, alice.id).await.unwrap(), Some(first.clone()));
    assert_eq!(tx.password(b, alice.id).await.unwrap(), None);
    assert_eq!(tx.password(a, UserId(Uuid::new_v4())).await.unwrap(), None);
    drop(tx);

    // An imported bcrypt hash, replaced by an argon2id one at the next login.
    let rehashed = password_record(a, alice.id, ARGON2_HASH, 50);
    let mut tx = store.write().await.unwrap();
    assert!(tx.upsert_password(&rehashed).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.password(a, alice.id).await.unwrap(),
        Some(Password {
            created_at: first.created_at,
            ..rehashed
        })
    );
    assert_eq!(tx.password(a, bob.id).await.unwrap(), Some(bobs));
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Sessions: stored once, read and ended by id within their tenant, ended all at once per user.
pub(super) async fn sessions<S: Store>(store: &S) {
    let a = create_tenant(store).await.id;
    let b = create_tenant(store).await.id;
    let alice = user_record(a, "alice", 0);
    let bob = user_record(a, "bob", 0);
    let alices = [
        session_record(a, alice.id, FAR_FUTURE),
        session_record(a, alice.id, FAR_FUTURE),
        session_record(a, alice.id, FAR_FUTURE),
    ];
    let bobs = session_record(a, bob.id, FAR_FUTURE);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&alice).await.unwrap();
    tx.upsert_user(&bob).await.unwrap();
    for session in alices.iter().chain([&bobs]) {
        tx.insert_session(session).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let [first, second, third] = &alices;
    let duplicate = Session {
        user: bob.id,
        ..first.clone()
    };
    assert!(matches!(
        tx.insert_session(&duplicate).await,
        Err(Error::Conflict(Entity::Session))
    ));
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.session(a, first.id).await.unwrap().as_ref(), Some(first));
    assert_eq!(tx.session(b, first.id).await.unwrap(), None);
    assert_eq!(tx.session(a, Uuid::new_v4()).await.unwrap(), None);
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(!tx.delete_session(b, first.id).await.unwrap());
    assert!(tx.delete_session(a, first.id).await.unwrap());
    assert!(!tx.delete_session(a, first.id).await.unwrap());
    assert_eq!(tx.delete_user_sessions(b, alice.id).await.unwrap(), 0);
    assert_eq!(tx.delete_user_sessions(a, alice.id).await.unwrap(), 2);
    assert_eq!(tx.delete_user_sessions(a, alice.id).await.unwrap(), 0);
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for session in [first, second, third] {
        assert_eq!(tx.session(a, session.id).await.unwrap(), None);
    }
    assert_eq!(tx.session(a, bobs.id).await.unwrap(), Some(bobs));
    drop(tx);

    delete_tenants(store, &[a, b]).await;
}

/// Deleting a user deletes their emails, the passcodes sent to them, their password and their
/// sessions, and nobody else's; an address waiting for its user stays.
pub(super) async fn delete_user_cascades<S: Store>(store: &S) {
    let t = create_tenant(store).await.id;
    let alice = Account::new(t, "alice");
    let bob = Account::new(t, "bob");
    let unassigned = email_record(t, None, "new@example.test", 9);
    alice.insert(store).await;
    bob.insert(store).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_email(&unassigned).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_user(t, alice.user.id).await.unwrap());
    tx.commit().await.unwrap();

    alice.assert_gone(store).await;
    bob.assert_kept(store).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.email(t, unassigned.id).await.unwrap(), Some(unassigned));
    drop(tx);

    delete_tenants(store, &[t]).await;
}

/// Deleting a tenant deletes every email (held or not), passcode, password and session of it,
/// and another tenant's stay.
pub(super) async fn delete_tenant_cascades<S: Store>(store: &S) {
    let tenant = create_tenant(store).await;
    let t = tenant.id;
    let other = create_tenant(store).await.id;
    let alice = Account::new(t, "alice");
    let bob = Account::new(other, "bob");
    let unassigned = email_record(t, None, "new@example.test", 9);
    alice.insert(store).await;
    bob.insert(store).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_email(&unassigned).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_tenant(t).await.unwrap());
    tx.commit().await.unwrap();

    // Rows a backend failed to delete would show up again under the reused tenant id.
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();

    alice.assert_gone(store).await;
    bob.assert_kept(store).await;
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.email(t, unassigned.id).await.unwrap(), None);
    assert_eq!(
        tx.email_by_address(t, &unassigned.address).await.unwrap(),
        None
    );
    drop(tx);

    // Leftover rows would also keep their ids (and addresses) taken.
    alice.insert(store).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_email(&unassigned).await.unwrap();
    tx.commit().await.unwrap();

    delete_tenants(store, &[t, other]).await;
}

/// A user with one of each record.
#[derive(Debug)]
struct Account {
    user: User,
    email: Email,
    passcode: Passcode,
    password: Password,
    session: Session,
}

impl Account {
    fn new(tenant: TenantId, name: &str) -> Self {
        let user = user_record(tenant, name, 0);
        let email = Email {
            primary: true,
            ..email_record(tenant, Some(user.id), &format!("{name}@example.test"), 1)
        };
        Self {
            passcode: passcode_record(&email, user.id, FAR_FUTURE),
            password: password_record(tenant, user.id, ARGON2_HASH, 2),
            session: session_record(tenant, user.id, FAR_FUTURE),
            email,
            user,
        }
    }

    async fn insert<S: Store>(&self, store: &S) {
        let mut tx = store.write().await.unwrap();
        assert_eq!(tx.upsert_user(&self.user).await.unwrap(), self.user);
        tx.insert_email(&self.email).await.unwrap();
        tx.insert_passcode(&self.passcode).await.unwrap();
        assert!(!tx.upsert_password(&self.password).await.unwrap());
        tx.insert_session(&self.session).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn assert_gone<S: Store>(&self, store: &S) {
        let (t, user) = (self.user.tenant, self.user.id);
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.email(t, self.email.id).await.unwrap(), None);
        assert_eq!(
            tx.email_by_address(t, &self.email.address).await.unwrap(),
            None
        );
        assert_eq!(tx.emails(t, user).await.unwrap(), []);
        assert_eq!(tx.passcode(t, self.passcode.id).await.unwrap(), None);
        assert_eq!(tx.password(t, user).await.unwrap(), None);
        assert_eq!(tx.session(t, self.session.id).await.unwrap(), None);
    }

    async fn assert_kept<S: Store>(&self, store: &S) {
        let (t, user) = (self.user.tenant, self.user.id);
        let mut tx = store.read().await.unwrap();
        assert_eq!(
            tx.emails(t, user).await.unwrap(),
            std::slice::from_ref(&self.email)
        );
        assert_eq!(
            tx.passcode(t, self.passcode.id).await.unwrap().as_ref(),
            Some(&self.passcode)
        );
        assert_eq!(
            tx.password(t, user).await.unwrap().as_ref(),
            Some(&self.password)
        );
        assert_eq!(
            tx.session(t, self.session.id).await.unwrap().as_ref(),
            Some(&self.session)
        );
    }
}

/// A user and one address of theirs, stored.
async fn create_user_with_email<S: Store>(
    store: &S,
    tenant: TenantId,
    name: &str,
) -> (UserId, Email) {
    let user = user_record(tenant, name, 0);
    let email = email_record(tenant, Some(user.id), &format!("{name}@example.test"), 1);
    let mut tx = store.write().await.unwrap();
    tx.upsert_user(&user).await.unwrap();
    tx.insert_email(&email).await.unwrap();
    tx.commit().await.unwrap();
    (user.id, email)
}

fn email_record(tenant: TenantId, user: Option<UserId>, address: &str, seconds: i64) -> Email {
    Email {
        id: Uuid::new_v4(),
        tenant,
        user,
        address: address.into(),
        verified: false,
        primary: false,
        created_at: at(seconds),
        updated_at: at(seconds + 1),
    }
}

/// A passcode sent to `email` for `user`, valid for five minutes until `expires_at`.
fn passcode_record(email: &Email, user: UserId, expires_at: OffsetDateTime) -> Passcode {
    Passcode {
        id: Uuid::new_v4(),
        tenant: email.tenant,
        user,
        email: email.id,
        code_hash: hash(),
        ttl_seconds: 300,
        failed_attempts: 0,
        created_at: expires_at - Duration::seconds(300),
        expires_at,
    }
}

fn password_record(tenant: TenantId, user: UserId, hash: &str, seconds: i64) -> Password {
    Password {
        tenant,
        user,
        hash: hash.into(),
        created_at: at(seconds),
        updated_at: at(seconds),
    }
}

fn session_record(tenant: TenantId, user: UserId, expires_at: OffsetDateTime) -> Session {
    Session {
        id: Uuid::new_v4(),
        tenant,
        user,
        created_at: at(0),
        expires_at,
    }
}
