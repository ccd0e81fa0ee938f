//! The original's PostgreSQL database, read in one read-only snapshot, and the checks that it
//! has the schema an import expects.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::Error;
use sqlx::postgres::PgRow;
use sqlx::{Connection, Executor, PgConnection, Row};
use time::{OffsetDateTime, PrimitiveDateTime};

/// An open connection inside a read-only, repeatable-read transaction: every query sees the
/// same state of the original, even while it keeps serving.
pub struct Source {
    connection: PgConnection,
}

impl Source {
    pub async fn connect(url: &str) -> Result<Self, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("--from must be a postgres:// URL".to_owned());
        }
        // sqlx's errors do not repeat the URL, which may hold a password.
        let mut connection = PgConnection::connect(url)
            .await
            .map_err(|e| format!("cannot connect to the source database: {e}"))?;
        connection
            .execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(source_error)?;
        Ok(Self { connection })
    }

    pub async fn close(mut self) {
        // Nothing was written; ending the snapshot is all there is to do.
        let _ = self.connection.execute("ROLLBACK").await;
        let _ = self.connection.close().await;
    }

    /// Refuses a database that lacks one of `columns` (table, column): it is not a database of
    /// the original (or not of the version this import reads).
    pub async fn require_columns(
        &mut self,
        original: &str,
        columns: &[(&str, &str)],
    ) -> Result<(), String> {
        let present: HashSet<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema()",
        )
        .fetch_all(&mut self.connection)
        .await
        .map_err(source_error)?
        .into_iter()
        .collect();
        let missing: Vec<String> = columns
            .iter()
            .filter(|(table, column)| {
                !present.contains(&((*table).to_owned(), (*column).to_owned()))
            })
            .map(|(table, column)| format!("{table}.{column}"))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the source database does not have the schema of {original}: missing {}",
                missing.join(", ")
            ))
        }
    }

    pub async fn rows(&mut self, sql: &str) -> Result<Vec<PgRow>, String> {
        sqlx::query(sql)
            .fetch_all(&mut self.connection)
            .await
            .map_err(source_error)
    }

    pub async fn rows_of(&mut self, sql: &str, id: uuid::Uuid) -> Result<Vec<PgRow>, String> {
        sqlx::query(sql)
            .bind(id)
            .fetch_all(&mut self.connection)
            .await
            .map_err(source_error)
    }
}

fn source_error(error: sqlx::Error) -> String {
    format!("reading the source database failed: {error}")
}

/// A column of a source row, with the table named when it does not read as expected.
pub fn column<'r, T>(row: &'r PgRow, name: &str) -> Result<T, String>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name)
        .map_err(|e| format!("the source column {name} does not read as expected: {e}"))
}

/// The originals write `timestamp without time zone` in UTC.
pub fn utc(timestamp: PrimitiveDateTime) -> OffsetDateTime {
    timestamp.assume_utc()
}

/// A credential ID or COSE key as the originals store them: base64url without padding
/// (padding is tolerated).
pub fn base64url(field: &str, text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("a source {field} is not base64url"))
}

/// A signature counter: PostgreSQL `integer`, which the originals never write negative.
pub fn counter(value: i32) -> Result<u32, String> {
    u32::try_from(value).map_err(|_| format!("a source sign_count is negative ({value})"))
}

pub fn engine_error(error: Error) -> String {
    error.to_string()
}
