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

/// The longest the log may be kept from starting over while writes wait: a reader still on an
/// old snapshot after this is left alone, and the next round tries again.
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// The largest the write-ahead log file is kept once it starts over, in bytes: a log that grew
/// past this (a burst, or a reader that held it) is cut back to it instead of kept at its peak.
const WAL_FILE_LIMIT: i64 = 64 * 1024 * 1024;

/// When the [`Checkpointer`] folds the write-ahead log into the database file, and when it
/// makes the log start over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckpointPolicy {
    /// How often the log is folded back.
    pub(crate) interval: Duration,
    /// The log's length, in pages, from which writes pause for a moment so that it can start
    /// over.
    pub(crate) restart_pages: i64,
}

impl CheckpointPolicy {
    /// Folding twice a second keeps what a round copies small. 8,192 pages is 32 MiB of log
    /// with 4 KiB pages: at a few pages a write and hundreds of writes a second the log starts
    /// over every few seconds, each time stopping writes for one sync of the database file.
    pub(crate) const DEFAULT: Self = Self {
        interval: Duration::from_millis(500),
        restart_pages: 8_192,
    };
}

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
    /// checkpoints (see [`Checkpointer`]). It is the connection that starts the log over, so it
    /// is the one that cuts the log file back to [`WAL_FILE_LIMIT`].
    pub(crate) fn open_writer(&self) -> Result<Connection> {
        let connection = self.open(Duration::ZERO)?;
        connection
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {WAL_FILE_LIMIT};"
            ))
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

/// Folds the write-ahead log into the database file, on a thread and connection of its own.
///
/// The writer never checkpoints: a checkpoint syncs the database file, and every write queued
/// behind it would wait for the disk. So every [`CheckpointPolicy::interval`] this thread runs a
/// `PASSIVE` checkpoint, which never waits for the writer or a reader: it copies what no open
/// read still needs, and the next round copies the rest.
///
/// That alone does not bound the log. The log starts over only when a write begins with every
/// page of it copied and no reader inside it, and under sustained load a write or a read is
/// always in flight: the log grew by gigabytes, and the index SQLite keeps of it in shared
/// memory by tens of megabytes, in a benchmark of 100,000 users. So once the log reaches
/// [`CheckpointPolicy::restart_pages`], this thread takes the writer's place in its queue and,
/// with no write open, runs a `RESTART` checkpoint: it copies the last pages and waits, at most
/// [`RESTART_WAIT`], for the reads still inside the log, so that the next write starts the log
/// over from its beginning. Writes wait for that one sync; reads do not.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    pub(crate) fn start(
        location: &Location,
        writer: Writer,
        policy: CheckpointPolicy,
    ) -> Result<Self> {
        // `PASSIVE` never calls the busy handler, so this wait bounds `RESTART` only.
        let connection = location.open(RESTART_WAIT)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                // A failure is reported once, not every round, until a checkpoint succeeds.
                let mut failing = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(policy.interval) {
                    let round = checkpoint(&connection, "PASSIVE").and_then(|pages| {
                        if pages < policy.restart_pages {
                            return Ok(());
                        }
                        // Writes queue behind this thread while it holds the writer's place:
                        // none can append to the log until it started over.
                        let writer = writer.blocking_lock();
                        if writer.is_none() {
                            return Ok(());
                        }
                        checkpoint(&connection, "RESTART").map(drop)
                    });
                    match round {
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

/// Runs one checkpoint of `mode` and returns how many pages the log holds. A checkpoint kept
/// from finishing by a reader or another process's write is not an error: the next round
/// goes on from where it stopped.
fn checkpoint(connection: &Connection, mode: &str) -> rusqlite::Result<i64> {
    connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    })
}
