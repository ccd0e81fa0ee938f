//! The shared store suite against SQLite, in memory and in a file; and what only a file has:
//! data that outlives the process, and migrations that run again on every start.

use std::path::PathBuf;

use latchkey_engine::model::TenantId;
use latchkey_engine::{ReadTx, Store, WriteTx, store_suite};
use latchkey_store_sqlite::SqliteStore;
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
