//! The store against a real PostgreSQL server: each test gets a database of its own, created and
//! migrated for it and dropped afterwards, also when the test fails.
//!
//! `LATCHKEY_TEST_POSTGRES_URL` names the server (default: local, user `postgres`). A server that
//! cannot be reached fails the tests, because CI always has one; `LATCHKEY_SKIP_POSTGRES=1` skips
//! them on purpose.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use latchkey_engine::model::{
    AttestationPreference, AuthenticatorSettings, BackupEligibilityRule, Ceremony, Operation,
    ResidentKey, SigningAlgorithm, TenantId, Transaction, User, UserId, UserVerification,
};
use latchkey_engine::{Error, ReadTx, Store, WriteTx};
use latchkey_store_postgres::{DEFAULT_ACQUIRE_TIMEOUT, PostgresStore};
use latchkey_testkit::fixtures;
use latchkey_testkit::store_suite::{self, PreviousRealm};
use sqlx::{Connection, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PREFIX: &str = "latchkey_test_";
/// Databases of runs that died without dropping theirs are swept after this long.
const STALE_AFTER: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    store_suite::run_all(&db.store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_again_do_nothing() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap();
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(usize::try_from(applied).unwrap(), files);

    let tenant = tenant(&db.store).await;
    let mut tx = db.store.read().await.unwrap();
    assert!(tx.tenant(tenant).await.unwrap().is_some());
}

/// A second finish waits on the first one's row lock and then sees what the first one did: no
/// ceremony if it committed, the ceremony if it rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_take_waits_for_the_first() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let t = tenant(&db.store).await;
    for commit in [true, false] {
        let ceremony = ceremony(t);
        let mut tx = db.store.write().await.unwrap();
        tx.insert_ceremony(&ceremony).await.unwrap();
        tx.commit().await.unwrap();

        let mut first = db.store.write().await.unwrap();
        assert_eq!(
            first
                .take_ceremony(t, &ceremony.challenge)
                .await
                .unwrap()
                .as_ref(),
            Some(&ceremony)
        );
        let store = db.store.clone();
        let challenge = ceremony.challenge.clone();
        let mut second = tokio::spawn(async move {
            let mut tx = store.write().await.unwrap();
            let taken = tx.take_ceremony(t, &challenge).await.unwrap();
            tx.commit().await.unwrap();
            taken
        });
        let waiting = tokio::time::timeout(Duration::from_millis(300), &mut second).await;
        assert!(
            waiting.is_err(),
            "the second take must block on the first one's lock"
        );
        if commit {
            first.commit().await.unwrap();
            assert_eq!(second.await.unwrap(), None);
        } else {
            drop(first);
            assert_eq!(second.await.unwrap(), Some(ceremony));
        }
    }
}

/// A read transaction sees one snapshot from its first query on, so a page and its total agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_transaction_sees_one_snapshot() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let t = tenant(&db.store).await;
    let mut read = db.store.read().await.unwrap();
    assert_eq!(read.user_by_external_id(t, "late").await.unwrap(), None);

    let mut tx = db.store.write().await.unwrap();
    tx.upsert_user(&user(t, "late")).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(read.user_by_external_id(t, "late").await.unwrap(), None);
    drop(read);
    let mut read = db.store.read().await.unwrap();
    assert!(read.user_by_external_id(t, "late").await.unwrap().is_some());
}

/// PostgreSQL's DETAIL line repeats the offending values; the error keeps only the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_errors_do_not_repeat_values() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let t = tenant(&db.store).await;
    let nobody = user(t, "nobody");
    let orphan = Transaction {
        id: Uuid::new_v4(),
        tenant: t,
        user: nobody.id,
        identifier: "secret-order".into(),
        data: "{}".into(),
        challenge: vec![1; 32],
        created_at: now(),
        updated_at: now(),
    };
    let mut tx = db.store.write().await.unwrap();
    let Err(Error::Storage(message)) = tx.insert_transaction(&orphan).await else {
        panic!("a missing user is a storage error")
    };
    assert!(message.contains("23503"), "{message}");
    assert!(!message.contains(&nobody.id.0.to_string()), "{message}");
    assert!(!message.contains(&t.0.to_string()), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_database_is_a_storage_error() {
    let Some(server) = server() else { return };
    // Reachable first, so that the failure below is about the database and not the server.
    admin(&server).await;
    let url = database_url(
        &server,
        &format!("{PREFIX}missing_{}", Uuid::new_v4().simple()),
    );
    let Err(Error::Storage(message)) = PostgresStore::connect(&url, DEFAULT_ACQUIRE_TIMEOUT).await
    else {
        panic!("connecting to a missing database must fail")
    };
    assert!(message.contains("3D000"), "{message}");
}

/// A database that refuses connections, its sessions ended (as while it restarts), is
/// `Unavailable`, which the dialects answer with 503, not a storage fault; the store serves again
/// as soon as the database accepts connections. A closed store is unavailable too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_refusing_connections_is_unavailable_until_it_accepts_them() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let DropDatabase { server, name } = &db._guard;
    let mut admin = admin(server).await;
    let allow = |allowed: bool| format!(r#"ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allowed}"#);
    sqlx::raw_sql(&allow(false))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&mut admin)
        .await
        .unwrap();
    let refused = db.store.write().await.err();
    sqlx::raw_sql(&allow(true))
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(
        matches!(refused, Some(Error::Unavailable(_))),
        "{refused:?}"
    );
    let mut tx = db.store.write().await.unwrap();
    tx.probe_write().await.unwrap();
    drop(tx);

    db.store.close().await;
    let closed = db.store.read().await.err();
    assert!(matches!(closed, Some(Error::Unavailable(_))), "{closed:?}");
}

/// A migrated database of its own; dropped with the value.
struct TestDb {
    store: PostgresStore,
    url: String,
    _guard: DropDatabase,
}

impl TestDb {
    async fn create() -> Option<Self> {
        let db = Self::unmigrated().await?;
        db.store.migrate().await.unwrap();
        Some(db)
    }

    /// A database without any table.
    async fn unmigrated() -> Option<Self> {
        let server = server()?;
        let mut admin = admin(&server).await;
        sweep(&mut admin).await;
        // Version 7 carries its creation time, which is how `sweep` knows a database is stale.
        let name = format!("{PREFIX}{}", Uuid::now_v7().simple());
        sqlx::raw_sql(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut admin)
            .await
            .unwrap();
        let guard = DropDatabase {
            server: server.clone(),
            name: name.clone(),
        };
        let url = database_url(&server, &name);
        let store = PostgresStore::connect(&url, DEFAULT_ACQUIRE_TIMEOUT)
            .await
            .unwrap();
        Some(Self {
            store,
            url,
            _guard: guard,
        })
    }
}

/// Drops the database on its own thread and runtime: `Drop` cannot await, and it also runs
/// while a failed test unwinds.
struct DropDatabase {
    server: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await?;
                drop_database(&mut admin, &name).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            // No panic here: it could be a second one, which aborts. The next run sweeps it.
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// The server URL, or `None` when the tests are skipped on purpose.
fn server() -> Option<String> {
    if std::env::var("LATCHKEY_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("LATCHKEY_SKIP_POSTGRES=1: PostgreSQL store tests skipped");
        return None;
    }
    Some(std::env::var("LATCHKEY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_owned()))
}

/// A connection to the server's own database; fails the test when there is none.
async fn admin(server: &str) -> PgConnection {
    PgConnection::connect(server).await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to the PostgreSQL server of LATCHKEY_TEST_POSTGRES_URL ({e}); \
             set LATCHKEY_SKIP_POSTGRES=1 to skip these tests"
        )
    })
}

/// `server` with its database replaced by `name`, options kept.
fn database_url(server: &str, name: &str) -> String {
    let (base, options) = server
        .split_once('?')
        .map_or((server, None), |(b, o)| (b, Some(o)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let options = options.map(|o| format!("?{o}")).unwrap_or_default();
    format!("{}/{name}{options}", &base[..path])
}

/// Drops the databases of earlier runs that died before dropping their own.
// Test databases carry their creation time in their UUIDv7 names; age is measured by the clock.
#[allow(clippy::disallowed_methods)]
async fn sweep(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        r"SELECT datname FROM pg_database WHERE datname LIKE 'latchkey\_test\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    let now = Duration::from_secs(
        OffsetDateTime::now_utc()
            .unix_timestamp()
            .try_into()
            .unwrap(),
    );
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|id| Uuid::try_parse(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|ts| Duration::from_secs(ts.to_unix().0));
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER) {
            drop_database(admin, &name).await.unwrap();
        }
    }
}

/// A database of the previous schema, with a community's realm in the old form (the link in
/// `communities.realm_id` and in the realm's configuration), comes out of the migration with a
/// realm of that community, and the configuration without the link.
#[tokio::test]
async fn a_realm_of_the_previous_schema_becomes_a_realm() {
    let Some(db) = TestDb::unmigrated().await else {
        return;
    };
    let previous_realm = PreviousRealm::new();

    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let mut previous = sqlx::migrate!("./migrations");
    previous.migrations = previous
        .migrations
        .iter()
        .filter(|migration| migration.version < 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    previous.run(&mut conn).await.unwrap();
    for (id, name, config) in previous_realm.tenants() {
        sqlx::query(
            "INSERT INTO tenants (id, display_name, config, created_at) VALUES ($1, $2, $3, now())",
        )
        .bind(id.0)
        .bind(name)
        .bind(config)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO communities (id, tenant_id, realm_id, name, created_at) \
         VALUES ($1, $2, $3, 'Staff', now())",
    )
    .bind(&previous_realm.community)
    .bind(previous_realm.organisation.0)
    .bind(previous_realm.realm.0)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    db.store.migrate().await.unwrap();
    previous_realm.check(&db.store).await;
}

/// `FORCE` ends the connections a store's pool still holds.
async fn drop_database(admin: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    sqlx::raw_sql(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(admin)
        .await
        .map(drop)
}

async fn tenant(store: &PostgresStore) -> TenantId {
    let settings = AuthenticatorSettings {
        timeout_ms: 60_000,
        user_verification: UserVerification::Required,
        attachment: None,
        attestation: AttestationPreference::None,
        resident_key: ResidentKey::Required,
        extensions: Default::default(),
    };
    fixtures::tenant("example.test")
        .display_name("Test")
        .authenticators(settings)
        .signing(SigningAlgorithm::ES256)
        .tweak(|config| {
            config.cors.allowed_origins.clear();
            config.backup_eligibility = BackupEligibilityRule::Reject;
        })
        .insert(store, now())
        .await
        .id
}

fn user(tenant: TenantId, external_id: &str) -> User {
    User {
        id: UserId(Uuid::new_v4()),
        tenant,
        external_id: external_id.into(),
        name: external_id.into(),
        display_name: external_id.into(),
        icon: None,
        created_at: now(),
    }
}

fn ceremony(tenant: TenantId) -> Ceremony {
    Ceremony {
        id: Uuid::new_v4(),
        tenant,
        challenge: Uuid::new_v4().into_bytes().to_vec(),
        operation: Operation::Authentication,
        user: None,
        user_verification: UserVerification::Required,
        allowed_credentials: Vec::new(),
        transaction: None,
        expires_at: now() + time::Duration::minutes(5),
    }
}

/// Now, to the microsecond that PostgreSQL keeps.
// Fixtures only need a plausible timestamp, and a test may read the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap()
}
