//! latchkey's [`Store`] on SQLite: the embedded default, one database file.
//!
//! Queries are checked at run time (`sqlx::query`), not at compile time, so that building needs
//! no database. The schema lives in `migrations/`, embedded into the binary and applied by
//! [`SqliteStore::migrate`].
//!
//! SQLite has one writer at a time. Write transactions begin with `BEGIN IMMEDIATE`, which takes
//! the write lock up front: a second writer waits for it (up to [`BUSY_TIMEOUT`]) instead of
//! failing when it first writes, as a deferred transaction that read first would. In WAL mode
//! readers never wait for the writer.

mod error;
mod rows;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use latchkey_engine::{Result, Store};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use tx::{ReadOnly, ReadWrite, SqliteTx};

/// How long a statement waits for another connection's lock before it fails; writers queue
/// behind each other for at most this long.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of connections to one SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
            .map_err(error::db("database url"))?
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .create_if_missing(true);
        let pool = if is_in_memory(url) {
            SqlitePoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new()
        };
        let pool = pool
            .connect_with(options)
            .await
            .map_err(error::db("database"))?;
        Ok(Self { pool })
    }

    /// Applies the migrations the database has not seen yet; running it again does nothing.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(error::migrate)
    }

    /// Waits for open transactions to end, then closes every connection (and with WAL, folds
    /// the log back into the database file).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Store for SqliteStore {
    type Read = SqliteTx<ReadOnly>;
    type Write = SqliteTx<ReadWrite>;

    /// A deferred transaction: in WAL mode its first read fixes the snapshot it sees.
    async fn read(&self) -> Result<Self::Read> {
        let tx = self.pool.begin().await.map_err(error::db("transaction"))?;
        Ok(SqliteTx::new(tx))
    }

    async fn write(&self) -> Result<Self::Write> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::db("transaction"))?;
        Ok(SqliteTx::new(tx))
    }
}

/// The two ways of naming an in-memory database that sqlx understands.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
