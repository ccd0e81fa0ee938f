//! latchkey's [`Store`] on SQLite: the embedded default, one database file.
//!
//! The schema lives in `migrations/`, embedded into the binary and applied by
//! [`SqliteStore::migrate`].
//!
//! SQLite has one writer at a time. Writers that contend for its lock wait in SQLite's busy
//! handler, which sleeps and polls; under load that sleep, not the work, sets the latency. So
//! the store writes through one connection of its own: write transactions queue for it in the
//! process, in arrival order, and each starts the moment the previous one ends. Readers have
//! their own connections and in WAL mode never wait for the writer. Statements run on the task
//! that holds the transaction (see [`SqliteTx`] for why). Write transactions still begin with
//! `BEGIN IMMEDIATE`, taking the lock up front, for another process writing the same file (the
//! CLI beside a running server): the writer then waits for it, up to [`BUSY_TIMEOUT`], on a
//! blocking thread, never on the runtime.

mod connections;
mod error;
mod migrations;
mod rows;
mod tx;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use latchkey_engine::{Error, Result, Store};

pub use connections::BUSY_TIMEOUT;
pub use tx::{ReadOnly, ReadWrite, SqliteTx};

use connections::{CheckpointPolicy, Checkpointer, Handle, Location, Readers, Writer, closed, run};
use error::{db, is_busy};

/// Connections to one SQLite database: readers, and the one writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    location: Arc<Location>,
    writer: Writer,
    /// Connections for read transactions; `None` in memory, where reads share the writer.
    readers: Option<Arc<Readers>>,
    /// `None` in memory, and once closed.
    checkpointer: Mutex<Option<Checkpointer>>,
}

impl SqliteStore {
    /// Opens the database at `url`: `sqlite://path/to/latchkey.db` or `sqlite:path` (created if
    /// missing), or `sqlite::memory:` for tests.
    ///
    /// An in-memory database lives in its one connection, which reads and writes share:
    /// transactions then run one at a time, and a task must not open a second transaction
    /// while it holds one.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::open(url, CheckpointPolicy::DEFAULT)
    }

    fn open(url: &str, checkpoints: CheckpointPolicy) -> Result<Self> {
        let location = Arc::new(location(url)?);
        if let Some(path) = location.path() {
            create_private(path)?;
        }
        let writer: Writer = Arc::new(tokio::sync::Mutex::new(Some(location.open_writer()?)));
        let (readers, checkpointer) = match &*location {
            Location::Memory => (None, None),
            Location::File(_) => (
                Some(Arc::new(Readers::new((*location).clone()))),
                Some(Checkpointer::start(
                    &location,
                    Arc::clone(&writer),
                    checkpoints,
                )?),
            ),
        };
        Ok(Self {
            shared: Arc::new(Shared {
                location,
                writer,
                readers,
                checkpointer: Mutex::new(checkpointer),
            }),
        })
    }

    /// Applies the migrations the database has not seen yet; running it again does nothing.
    pub async fn migrate(&self) -> Result<()> {
        let mut writer = self.shared.writer.lock().await;
        let connection = writer.as_mut().ok_or_else(closed)?;
        migrations::run(connection)
    }
}

impl Store for SqliteStore {
    type Read = SqliteTx<ReadOnly>;
    type Write = SqliteTx<ReadWrite>;

    /// A deferred transaction: in WAL mode its first read fixes the snapshot it sees.
    async fn read(&self) -> Result<Self::Read> {
        let handle = match &self.shared.readers {
            Some(readers) => Handle::Reader(readers.take().await?),
            None => Handle::Writer(Arc::clone(&self.shared.writer).lock_owned().await),
        };
        let connection = handle.connection().ok_or_else(closed)?;
        run(connection, "BEGIN").map_err(db)?;
        Ok(SqliteTx::new(handle, Arc::clone(&self.shared.location)))
    }

    async fn write(&self) -> Result<Self::Write> {
        let mut writer = Arc::clone(&self.shared.writer).lock_owned().await;
        let connection = writer.as_ref().ok_or_else(closed)?;
        match run(connection, "BEGIN IMMEDIATE") {
            Ok(()) => {}
            Err(error) if is_busy(&error) => writer = wait_for_lock(writer).await?,
            Err(error) => return Err(db(error)),
        }
        Ok(SqliteTx::new(
            Handle::Writer(writer),
            Arc::clone(&self.shared.location),
        ))
    }

    /// Waits for open transactions to end, then closes every connection. The writer closes
    /// last, after folding the whole write-ahead log into the database file: a copy of the
    /// database file alone is then complete, and closing the last connection removes the log.
    /// A failed checkpoint loses nothing (the log still holds the commits), so it is not an
    /// error.
    async fn close(&self) {
        let checkpointer = self
            .shared
            .checkpointer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(checkpointer) = checkpointer {
            let _ = tokio::task::spawn_blocking(move || checkpointer.stop()).await;
        }
        if let Some(readers) = &self.shared.readers {
            readers.close().await;
        }
        let writer = self.shared.writer.lock().await.take();
        if let Some(writer) = writer {
            let _ = tokio::task::spawn_blocking(move || {
                let _ = writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
                drop(writer);
            })
            .await;
        }
    }
}

/// Begins the write transaction when another process holds the write lock: on a blocking
/// thread, waiting up to [`BUSY_TIMEOUT`], so that the runtime's threads keep serving.
async fn wait_for_lock(
    mut writer: tokio::sync::OwnedMutexGuard<Option<rusqlite::Connection>>,
) -> Result<tokio::sync::OwnedMutexGuard<Option<rusqlite::Connection>>> {
    tokio::task::spawn_blocking(move || {
        let connection = writer.as_mut().ok_or_else(closed)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        let begun = connection.execute_batch("BEGIN IMMEDIATE");
        let restored = connection.busy_timeout(Duration::ZERO);
        begun.map_err(db)?;
        if let Err(error) = restored {
            let _ = connection.execute_batch("ROLLBACK");
            return Err(db(error));
        }
        Ok(writer)
    })
    .await
    .map_err(|error| Error::Storage(format!("waiting for the write lock: {error}")))?
}

/// The database file an SQLite URL names: the rest of `sqlite://PATH` or `sqlite:PATH`, with
/// any `?query` dropped (the store always creates a missing file and opens it for writing);
/// `None` for an in-memory database (`sqlite::memory:`, or `mode=memory`) or a URL that is not
/// SQLite's.
pub fn database_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

fn location(url: &str) -> Result<Location> {
    if let Some(path) = database_file(url) {
        return Ok(Location::File(path));
    }
    if url.starts_with("sqlite:") {
        return Ok(Location::Memory);
    }
    Err(Error::Storage(format!("not an SQLite URL: {url}")))
}

/// Creates the database file readable by its owner only, before SQLite would create it with
/// the umask's mode: it holds user names, credential keys, addresses and user agents. SQLite
/// gives the `-wal` and `-shm` files the mode of the database file, so they follow. An existing
/// file that others may read is tightened the same way, with its `-wal` and `-shm`.
fn create_private(path: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};

        let failed = |error: std::io::Error| {
            latchkey_engine::Error::Storage(format!("database file {}: {error}", path.display()))
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(failed)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::Path::new(&name);
            let Ok(metadata) = std::fs::metadata(file) else {
                continue;
            };
            let mode = metadata.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o700))
                    .map_err(failed)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use latchkey_engine::{ReadTx as _, WriteTx as _};
    use latchkey_testkit::store_suite;

    use super::*;

    /// Writes and reads that never pause would keep the log from ever starting over; the
    /// checkpointer makes it start over once it reaches its length, so the log file stays near
    /// that length however much is written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_under_writes_and_reads_that_never_pause() {
        const WRITES: usize = 4_000;
        /// Far below what `WRITES` commits append, at least a page each.
        const LOG_BOUND: u64 = 3_000 * (4_096 + 24);

        let path = std::env::temp_dir().join(format!("latchkey-wal-{}.db", uuid::Uuid::new_v4()));
        let policy = CheckpointPolicy {
            interval: Duration::from_millis(20),
            restart_pages: 64,
        };
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()), policy).unwrap();
        store.migrate().await.unwrap();
        let tenant = store_suite::tenant_record();
        let mut tx = store.write().await.unwrap();
        tx.insert_tenant(&tenant).await.unwrap();
        tx.commit().await.unwrap();

        let writing = Arc::new(AtomicBool::new(true));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (store, writing) = (store.clone(), Arc::clone(&writing));
                tokio::spawn(async move {
                    while writing.load(Ordering::Relaxed) {
                        let mut tx = store.read().await.unwrap();
                        assert!(tx.tenant(tenant.id).await.unwrap().is_some());
                        drop(tx);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();

        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut longest = 0;
        for written in 0..WRITES {
            let mut tx = store.write().await.unwrap();
            tx.insert_tenant(&store_suite::tenant_record())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            longest = longest.max(std::fs::metadata(&wal).unwrap().len());
            // At most a few writes a millisecond, so that a round's growth stays small.
            if written % 4 == 3 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        writing.store(false, Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        store.close().await;
        let _ = std::fs::remove_file(&path);

        assert!(
            longest <= LOG_BOUND,
            "the log reached {longest} bytes; it should start over near 64 pages"
        );
    }
}
