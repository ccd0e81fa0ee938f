//! The shared store suite against SQLite, in memory and in a file; and what only a file has:
//! data that outlives the process, migrations that run again on every start, and a database of
//! an earlier schema that migrates.

use std::path::PathBuf;
use std::str::FromStr;

use latchkey_engine::model::TenantId;
use latchkey_engine::{ReadTx, Store, WriteTx};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::store_suite::{self, PreviousRealm};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_in_memory() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store_suite::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_in_a_file() {
    let file = TempDb::new();
    let store = SqliteStore::connect(&file.url()).await.unwrap();
    store.migrate().await.unwrap();
    store_suite::run_all(&store).await;
    store.close().await;
}

#[tokio::test]
async fn a_reopened_file_keeps_its_data_and_migrations_run_again_harmlessly() {
    let file = TempDb::new();
    let store = SqliteStore::connect(&file.url()).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let tenant = store_suite::tenant_record();
    let mut tx = store.write().await.unwrap();
    tx.insert_tenant(&tenant).await.unwrap();
    tx.commit().await.unwrap();
    // WAL mode: the log sits beside the database while it is open.
    assert!(file.with_suffix("-wal").exists());
    store.close().await;

    let store = SqliteStore::connect(&file.url()).await.unwrap();
    store.migrate().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.tenant(tenant.id).await.unwrap(), Some(tenant));
    assert_eq!(tx.tenant(TenantId(Uuid::new_v4())).await.unwrap(), None);
    drop(tx);
    store.close().await;
}

/// A second process writing the same file (the CLI beside a running server) holds the write
/// lock: the store's writer waits for it without stopping the runtime's thread, then writes.
#[tokio::test]
async fn a_writer_waits_for_another_process_without_blocking_the_runtime() {
    let file = TempDb::new();
    let server = SqliteStore::connect(&file.url()).await.unwrap();
    server.migrate().await.unwrap();
    let cli = SqliteStore::connect(&file.url()).await.unwrap();
    let mut cli_tx = cli.write().await.unwrap();
    cli_tx
        .insert_tenant(&store_suite::tenant_record())
        .await
        .unwrap();

    let waiting = tokio::spawn({
        let server = server.clone();
        async move {
            let mut tx = server.write().await?;
            tx.insert_tenant(&store_suite::tenant_record()).await?;
            tx.commit().await
        }
    });
    // This runtime has one thread: the sleep ends only if the waiting writer left it free.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    cli_tx.commit().await.unwrap();
    waiting.await.unwrap().unwrap();

    assert_eq!(
        server
            .read()
            .await
            .unwrap()
            .organisations()
            .await
            .unwrap()
            .len(),
        2
    );
    cli.close().await;
    server.close().await;
}

/// A database of the previous schema, with a community's realm in the old form (the link in
/// `communities.realm_id` and in the realm's configuration), comes out of the migration with a
/// realm of that community, and the configuration without the link.
#[tokio::test]
async fn a_realm_of_the_previous_schema_becomes_a_realm() {
    let file = TempDb::new();
    let previous_realm = PreviousRealm::new();

    let options = SqliteConnectOptions::from_str(&file.url())
        .unwrap()
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let mut previous = sqlx::migrate!("./migrations");
    previous.migrations = previous
        .migrations
        .iter()
        .filter(|migration| migration.version < 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    previous.run(&pool).await.unwrap();
    for (id, name, config) in previous_realm.tenants() {
        sqlx::query(
            "INSERT INTO tenants (id, display_name, config, created_at) VALUES (?, ?, ?, 0)",
        )
        .bind(id.0)
        .bind(name)
        .bind(config.to_string())
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO communities (id, tenant_id, realm_id, name, created_at) \
         VALUES (?, ?, ?, 'Staff', 0)",
    )
    .bind(&previous_realm.community)
    .bind(previous_realm.organisation.0)
    .bind(previous_realm.realm.0)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = SqliteStore::connect(&file.url()).await.unwrap();
    store.migrate().await.unwrap();
    previous_realm.check(&store).await;
    store.close().await;
}

/// A database file in the temporary directory, removed (with its WAL files) when dropped, even
/// when the test fails.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("latchkey-store-test-{}.db", Uuid::new_v4())))
    }

    fn with_suffix(&self, suffix: &str) -> PathBuf {
        let mut path = self.0.clone().into_os_string();
        path.push(suffix);
        path.into()
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            // Absent files are fine: the WAL files only exist while a connection is open.
            let _ = std::fs::remove_file(self.with_suffix(suffix));
        }
    }
}
