//! latchkey's [`Store`] on PostgreSQL.
//!
//! Queries are checked at run time (`sqlx::query`), not at compile time, so that building needs
//! no database. The schema lives in `migrations/`, embedded into the binary and applied by
//! [`PostgresStore::migrate`].

mod error;
mod rows;
mod tx;

use latchkey_engine::{Result, Store};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use tx::{PostgresTx, ReadOnly, ReadWrite};

/// Reads see one snapshot for the whole transaction (a page and its total agree). Read-only
/// repeatable-read transactions never fail with serialization errors in PostgreSQL.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// A pool of connections to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`). Fails now, not on the
    /// first request, when the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().connect(url).await.map_err(error::db)?;
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
}
