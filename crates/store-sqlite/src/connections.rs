//! The connections of one database: how each is opened, the pool of readers, the one writer,
//! and the thread that checkpoints the write-ahead log.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use latchkey_engine::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::error::db;

/// How long a writer waits for another process's write lock (the CLI writing the file of a
/// running server) before it fails.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many read transactions may be open at once. Statements run on the task that holds the
/// transaction, so a reader is busy only while its task is inside a transaction: a few per
/// runtime worker are plenty, and each holds a page cache.
const MAX_READERS: usize = 8;

/// Prepared statements kept per connection: every statement the store runs, with room.
const STATEMENT_CACHE: usize = 128;

/// How often the write-ahead log is folded back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Where the database lives.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    File(PathBuf),
    Memory,
}

impl Location {
    /// Opens one connection, configured as every connection of the store is: WAL mode, foreign
    /// keys on (deleting a tenant or user cascades through them), and `synchronous = NORMAL`,
    /// which in WAL mode can lose the last commits on power loss but never corrupts the
    /// database, and commits without waiting for the disk.
    pub(crate) fn open(&self, busy_timeout: Duration) -> Result<Connection> {
        let connection = match self {
            Self::File(path) => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
            Self::Memory => Connection::open_in_memory(),
        }
        .map_err(db)?;
        connection.busy_timeout(busy_timeout).map_err(db)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .map_err(db)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(connection)
    }

    /// The writer's connection: it never waits for a lock (see `SqliteStore::write`) and never
    /// checkpoints (see [`Checkpointer`]).
    pub(crate) fn open_writer(&self) -> Result<Connection> {
        let connection = self.open(Duration::ZERO)?;
        connection
            .execute_batch("PRAGMA wal_autocheckpoint = 0")
            .map_err(db)?;
        Ok(connection)
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            Self::Memory => None,
        }
    }
}

/// The one connection that writes, behind a fair queue: write transactions take it in arrival
/// order, each the moment the previous one ends. `None` once the store is closed.
pub(crate) type Writer = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// Connections for read transactions, opened on first need and kept for the next.
#[derive(Debug)]
pub(crate) struct Readers {
    location: Location,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    pub(crate) fn new(location: Location) -> Self {
        Self {
            location,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(MAX_READERS)),
        }
    }

    /// A connection of the pool, waiting while all are in use; an error once the store closed.
    pub(crate) async fn take(self: &Arc<Self>) -> Result<Reader> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            // A WAL reader never waits for the writer; it can meet a lock only while another
            // connection recovers the log after a crash, which the busy timeout covers.
            None => self.location.open(BUSY_TIMEOUT)?,
        };
        Ok(Reader {
            connection: Some(connection),
            readers: Arc::clone(self),
            _permit: permit,
        })
    }

    /// Waits until every reader is back, then closes them all; later `take`s fail.
    pub(crate) async fn close(&self) {
        let all = u32::try_from(MAX_READERS).unwrap_or(u32::MAX);
        if let Ok(permits) = self.permits.acquire_many(all).await {
            permits.forget();
        }
        self.permits.close();
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A reader taken from the pool; it goes back when dropped.
#[derive(Debug)]
pub(crate) struct Reader {
    connection: Option<Connection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
}

impl Reader {
    /// Drops the connection instead of returning it: it is in a state no next user should see.
    pub(crate) fn discard(&mut self) {
        self.connection = None;
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.readers
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
    }
}

/// The connection a transaction runs on.
#[derive(Debug)]
pub(crate) enum Handle {
    Reader(Reader),
    Writer(OwnedMutexGuard<Option<Connection>>),
}

impl Handle {
    pub(crate) fn connection(&self) -> Option<&Connection> {
        match self {
            Self::Reader(reader) => reader.connection.as_ref(),
            Self::Writer(writer) => writer.deref().as_ref(),
        }
    }

    /// Replaces a connection left inside a transaction that would not end: a reader is
    /// dropped, the writer reopened, so the next transaction starts clean.
    pub(crate) fn reset(&mut self, location: &Location) {
        match self {
            Self::Reader(reader) => reader.discard(),
            // An in-memory database lives in its one connection: reopening would empty it.
            Self::Writer(_) if matches!(location, Location::Memory) => {}
            Self::Writer(writer) => *writer.deref_mut() = location.open_writer().ok(),
        }
    }
}

/// Runs a statement that takes no values and returns no rows, such as `BEGIN` or `COMMIT`,
/// from the connection's cache of prepared statements: parsing it again each time is most of
/// what it costs.
pub(crate) fn run(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([]).map(drop)
}

/// The error of a store used after [`latchkey_engine::Store::close`].
pub(crate) fn closed() -> Error {
    Error::Storage("the database is closed".to_owned())
}

/// Folds the write-ahead log into the database file every [`CHECKPOINT_INTERVAL`], on a
/// thread and connection of its own. The writer never checkpoints: a checkpoint syncs the
/// database file, and every write queued behind it would wait for the disk. A `PASSIVE`
/// checkpoint never waits for the writer or a reader: it copies what no open read still needs,
/// and the next round copies the rest, so the log stays small while writes never wait.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    pub(crate) fn start(location: &Location) -> Result<Self> {
        let connection = location.open(Duration::ZERO)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                // A failure is reported once, not every round, until a checkpoint succeeds.
                let mut failing = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL)
                {
                    match connection.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                        Ok(()) => failing = false,
                        Err(error) => {
                            if !failing {
                                tracing::warn!(
                                    error = %error,
                                    "write-ahead log checkpoint failed; retrying"
                                );
                            }
                            failing = true;
                        }
                    }
                }
            })
            .map_err(|error| Error::Storage(format!("checkpoint thread: {error}")))?;
        Ok(Self { stop, thread })
    }

    /// Stops the thread and waits for its last round to end.
    pub(crate) fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}
