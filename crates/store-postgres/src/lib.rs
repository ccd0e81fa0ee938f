//! latchkey's [`Store`] on PostgreSQL.
//!
//! Queries are checked at run time (`sqlx::query`), not at compile time, so that building needs
//! no database. The schema lives in `migrations/`, embedded into the binary and applied by
//! [`PostgresStore::migrate`].

mod error;
mod rows;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use latchkey_engine::{Error, Result, Store};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub use tx::{PostgresTx, ReadOnly, ReadWrite};

/// Reads see one snapshot for the whole transaction (a page and its total agree). Read-only
/// repeatable-read transactions never fail with serialization errors in PostgreSQL.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// How long the first connection, made when the server starts, may take before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request waits for a pooled connection unless configured otherwise. While the
/// database cannot be reached, the pool retries connecting for this long and then fails with
/// [`Error::Unavailable`]: short, so that clients get a quick 503 rather than a hanging request.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A pool of connections to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`). Fails now, not on the
    /// first request, when the database cannot be reached. Later, a transaction waits at most
    /// `acquire_timeout` for a connection (see [`DEFAULT_ACQUIRE_TIMEOUT`]).
    ///
    /// One connection is made directly first: the pool retries a failing connection until its
    /// acquire timeout and then says only "pool timed out", where PostgreSQL said why
    /// (connection refused, authentication failed, database does not exist).
    pub async fn connect(url: &str, acquire_timeout: Duration) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(error::db)?;
        let first = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                Error::Storage(format!(
                    "no answer from {}:{} within {} s",
                    options.get_host(),
                    options.get_port(),
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .map_err(error::db)?;
        // Closing politely is a courtesy; the pool opens its own connections either way.
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .acquire_timeout(acquire_timeout)
            .connect_with(options)
            .await
            .map_err(error::db)?;
        Ok(Self { pool })
    }

    /// Applies the migrations the database has not seen yet. Safe to run again, and from several
    /// servers at once: sqlx serialises them with an advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(error::migrate)
    }
}

impl Store for PostgresStore {
    type Read = PostgresTx<ReadOnly>;
    type Write = PostgresTx<ReadWrite>;

    async fn read(&self) -> Result<Self::Read> {
        let tx = self.pool.begin_with(BEGIN_READ).await.map_err(error::db)?;
        Ok(PostgresTx::new(tx))
    }

    /// Read committed: the statements that race (taking a ceremony, upserting a user) lock or
    /// conflict on their rows, so nothing stronger is needed and writers never retry.
    async fn write(&self) -> Result<Self::Write> {
        let tx = self.pool.begin().await.map_err(error::db)?;
        Ok(PostgresTx::new(tx))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
