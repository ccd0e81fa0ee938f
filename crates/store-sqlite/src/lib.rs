//! latchkey's [`Store`] on SQLite: the embedded default, one database file.
//!
//! Queries are checked at run time (`sqlx::query`), not at compile time, so that building needs
//! no database. The schema lives in `migrations/`, embedded into the binary and applied by
//! [`SqliteStore::migrate`].
//!
//! SQLite has one writer at a time. Writers that contend for its lock wait in SQLite's busy
//! handler, which sleeps and polls; under load that sleep, not the work, sets the latency. So
//! the store writes through one connection of its own: write transactions queue for it in the
//! process, in arrival order, and each starts the moment the previous one ends. Readers have
//! their own connections and in WAL mode never wait for the writer. Write transactions still
//! begin with `BEGIN IMMEDIATE`, taking the lock up front, for another process writing the same
//! file (the CLI beside a running server): only then does [`BUSY_TIMEOUT`] apply.

mod error;
mod rows;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use latchkey_engine::{Result, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, SqlitePool};

pub use tx::{ReadOnly, ReadWrite, SqliteTx};

/// How long a statement waits for another connection's lock before it fails; writers queue
/// behind each other for at most this long.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections to one SQLite database: readers, and the one writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Connections for read transactions; in memory, the one connection, shared with writes.
    readers: SqlitePool,
    /// One connection for write transactions, so that writers queue here and not in SQLite.
    writer: SqlitePool,
    /// The connection that checkpoints the write-ahead log; `None` in memory.
    checkpointer: Option<SqlitePool>,
    /// How to open the database file once more at close; `None` in memory.
    file: Option<Box<SqliteConnectOptions>>,
}

impl SqliteStore {
    /// Opens the database at `url`: `sqlite://path/to/latchkey.db` (created if missing), or
    /// `sqlite::memory:` for tests.
    ///
    /// Every connection runs in WAL mode with foreign keys on (deleting a tenant or user
    /// cascades through them) and `synchronous = NORMAL`, which in WAL mode can lose the last
    /// commits on power loss but never corrupts the database.
    ///
    /// An in-memory database lives in its one connection, so the pool holds exactly one and
    /// never closes it: transactions then run one at a time, and a task must not open a
    /// second transaction while it holds one.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(error::db)?
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .create_if_missing(true);
        if !is_in_memory(url) {
            create_private(options.get_filename())?;
        }
        let file = (!is_in_memory(url)).then(|| Box::new(options.clone()));
        if is_in_memory(url) {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
                .map_err(error::db)?;
            return Ok(Self {
                readers: pool.clone(),
                writer: pool,
                checkpointer: None,
                file,
            });
        }
        // The writer never checkpoints: a checkpoint syncs the database file, and every write
        // queued behind it would wait for the disk. The checkpointer does it beside the writer.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|connection, _| {
                Box::pin(async move {
                    // A transaction whose COMMIT failed (a full disk) stays open in sqlx's
                    // count when SQLite already rolled it back, and every later BEGIN on the
                    // connection fails. The ping waits until the rollback queued by dropping
                    // the transaction has run; a connection still inside one is closed, not
                    // returned to the pool.
                    connection.ping().await?;
                    Ok(!connection.is_in_transaction())
                })
            })
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(error::db)?;
        let readers = SqlitePoolOptions::new()
            .connect_with(options.clone())
            .await
            .map_err(error::db)?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(error::db)?;
        tokio::spawn(checkpoint_continuously(checkpointer.clone()));
        Ok(Self {
            readers,
            writer,
            checkpointer: Some(checkpointer),
            file,
        })
    }

    /// Applies the migrations the database has not seen yet; running it again does nothing.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.writer)
            .await
            .map_err(error::migrate)
    }
}

impl Store for SqliteStore {
    type Read = SqliteTx<ReadOnly>;
    type Write = SqliteTx<ReadWrite>;

    /// A deferred transaction: in WAL mode its first read fixes the snapshot it sees.
    async fn read(&self) -> Result<Self::Read> {
        let tx = self.readers.begin().await.map_err(error::db)?;
        Ok(SqliteTx::new(tx))
    }

    async fn write(&self) -> Result<Self::Write> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::db)?;
        Ok(SqliteTx::new(tx))
    }

    /// With WAL, the last connection to close folds the log back into the database file and
    /// removes it. sqlx may still be closing a connection that was being returned to the pool
    /// when `close` began, so a connection of its own then checkpoints the whole log into the
    /// file and truncates it: a copy of the database file alone is then complete. A failed
    /// checkpoint loses nothing (the log still holds the commits), so it is not an error.
    async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        self.readers.close().await;
        self.writer.close().await;
        if let Some(file) = &self.file
            && let Ok(mut connection) = sqlx::SqliteConnection::connect_with(file).await
        {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut connection)
                .await;
            let _ = connection.close().await;
        }
    }
}

/// How often the write-ahead log is folded back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Folds the write-ahead log into the database file every [`CHECKPOINT_INTERVAL`], on its own
/// connection, until the store closes. A `PASSIVE` checkpoint never waits for the writer or a
/// reader: it copies what no open read still needs, and the next round copies the rest, so the
/// log stays small while writes never wait for the disk. It ends when its pool is closed by
/// the store's `close`.
async fn checkpoint_continuously(checkpointer: SqlitePool) {
    let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A failure is reported once, not every round, until a checkpoint succeeds again.
    let mut failing = false;
    loop {
        ticks.tick().await;
        if checkpointer.is_closed() {
            return;
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&checkpointer)
            .await
        {
            Ok(_) => failing = false,
            Err(_) if checkpointer.is_closed() => return,
            Err(error) => {
                if !failing {
                    tracing::warn!(error = %error, "write-ahead log checkpoint failed; retrying");
                }
                failing = true;
            }
        }
    }
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

/// The two ways of naming an in-memory database that sqlx understands.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
