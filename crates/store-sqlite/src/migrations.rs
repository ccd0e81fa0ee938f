//! The schema's history: the files of `migrations/`, embedded, and what applies them.
//!
//! Databases made before the store moved to rusqlite were migrated by sqlx, which records each
//! applied migration in `_sqlx_migrations` with the SHA-384 of its SQL. This runner keeps that
//! table and its meaning exactly, so those databases upgrade in place; the migration crates of
//! rusqlite keep their history in `user_version` instead and would apply everything again.

use std::time::Instant;

use aws_lc_rs::digest::{SHA384, digest};
use latchkey_engine::{Error, Result};
use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::db;

/// One migration: its version, sqlx's description (the file name's words), and its SQL.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Every migration, in order. A test checks that this lists exactly the files of `migrations/`.
const MIGRATIONS: [Migration; 10] = [
    Migration {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "kosmos",
        sql: include_str!("../migrations/0002_kosmos.sql"),
    },
    Migration {
        version: 3,
        description: "audit retention",
        sql: include_str!("../migrations/0003_audit_retention.sql"),
    },
    Migration {
        version: 4,
        description: "tenant kind",
        sql: include_str!("../migrations/0004_tenant_kind.sql"),
    },
    Migration {
        version: 5,
        description: "clustered hot tables",
        sql: include_str!("../migrations/0005_clustered_hot_tables.sql"),
    },
    Migration {
        version: 6,
        description: "accounts",
        sql: include_str!("../migrations/0006_accounts.sql"),
    },
    Migration {
        version: 7,
        description: "third party",
        sql: include_str!("../migrations/0007_third_party.sql"),
    },
    Migration {
        version: 8,
        description: "webhooks",
        sql: include_str!("../migrations/0008_webhooks.sql"),
    },
    Migration {
        version: 9,
        description: "certification",
        sql: include_str!("../migrations/0009_certification.sql"),
    },
    Migration {
        version: 10,
        description: "credential extensions",
        sql: include_str!("../migrations/0010_credential_extensions.sql"),
    },
];

/// Applies, each in its own transaction, the migrations the database has not seen; refuses a
/// database whose history this build does not know (an edited migration, a failed one, or one
/// of a newer latchkey).
pub(crate) fn run(connection: &mut Connection) -> Result<()> {
    create_history(connection)?;
    let dirty: Option<i64> = connection
        .query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(db)?;
    if let Some(version) = dirty {
        return Err(refused(format!(
            "migration {version} failed partway before"
        )));
    }
    let applied = applied(connection)?;
    for (version, checksum) in &applied {
        let known = MIGRATIONS.iter().find(|m| m.version == *version);
        match known {
            None => {
                return Err(refused(format!(
                    "migration {version} is unknown to this build (a newer latchkey made the database)"
                )));
            }
            Some(migration) if checksum.as_slice() != self::checksum(migration.sql) => {
                return Err(refused(format!(
                    "migration {version} was applied with different SQL"
                )));
            }
            Some(_) => {}
        }
    }
    for migration in &MIGRATIONS {
        if applied
            .iter()
            .any(|(version, _)| *version == migration.version)
        {
            continue;
        }
        apply(connection, migration)?;
    }
    Ok(())
}

/// The table of applied migrations, as sqlx made it.
fn create_history(connection: &Connection) -> Result<()> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL,
                execution_time BIGINT NOT NULL
            )",
        )
        .map_err(db)
}

fn applied(connection: &Connection) -> Result<Vec<(i64, Vec<u8>)>> {
    let mut statement = connection
        .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .map_err(db)?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(db)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db)
}

fn apply(connection: &mut Connection, migration: &Migration) -> Result<()> {
    let started = Instant::now();
    let tx = connection.transaction().map_err(db)?;
    tx.execute_batch(migration.sql).map_err(db)?;
    let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?1, ?2, TRUE, ?3, ?4)",
        params![
            migration.version,
            migration.description,
            checksum(migration.sql),
            nanos
        ],
    )
    .map_err(db)?;
    tx.commit().map_err(db)
}

/// sqlx's checksum of a migration: the SHA-384 of its SQL.
fn checksum(sql: &str) -> Vec<u8> {
    digest(&SHA384, sql.as_bytes()).as_ref().to_vec()
}

fn refused(why: String) -> Error {
    Error::Storage(format!("migration: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list above and the directory agree, with sqlx's version and description of each file
    /// name (`0004_tenant_kind.sql`: version 4, "tenant kind").
    #[test]
    fn every_file_of_the_directory_is_listed_in_order() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(directory)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
            .collect();
        assert_eq!(files, listed);
        for (file, migration) in files.iter().zip(&MIGRATIONS) {
            let on_disk = std::fs::read_to_string(format!("{directory}/{file}"));
            assert_eq!(on_disk.ok().as_deref(), Some(migration.sql), "{file}");
        }
    }

    #[test]
    fn running_twice_applies_nothing_the_second_time() {
        let mut connection = Connection::open_in_memory().unwrap();
        run(&mut connection).unwrap();
        run(&mut connection).unwrap();
        let count: i64 = connection
            .query_row("SELECT count(*) FROM _sqlx_migrations", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(usize::try_from(count).unwrap(), MIGRATIONS.len());
    }

    /// Migration 5 rebuilds the ceremony and audit tables: what they held survives it.
    #[test]
    fn ceremonies_and_audit_events_survive_their_rebuild() {
        let mut connection = Connection::open_in_memory().unwrap();
        create_history(&connection).unwrap();
        for migration in &MIGRATIONS[..4] {
            apply(&mut connection, migration).unwrap();
        }
        connection
            .execute_batch(
                "INSERT INTO tenants (id, display_name, config, created_at) \
                 VALUES (x'01', 'a', '{}', 0);
                 INSERT INTO ceremonies (tenant_id, id, challenge, operation, user_id, \
                 user_verification, allowed_credentials, transaction_id, expires_at) \
                 VALUES (x'01', x'02', x'03', 'authentication', NULL, 'required', '[]', NULL, 9);
                 INSERT INTO audit_events (tenant_id, id, kind, error, request_id, source_ip, \
                 user_agent, actor_user_id, transaction_id, created_at) \
                 VALUES (x'01', x'04', 'login_finished', NULL, 'r', '::1', 'ua', 'u', NULL, 7);",
            )
            .unwrap();
        run(&mut connection).unwrap();
        let ceremony: (Vec<u8>, String, i64) = connection
            .query_row(
                "SELECT id, operation, expires_at FROM ceremonies \
                 WHERE tenant_id = x'01' AND challenge = x'03'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(ceremony, (vec![2], "authentication".to_owned(), 9));
        let event: (Vec<u8>, String, i64) = connection
            .query_row(
                "SELECT id, actor_user_id, created_at FROM audit_events WHERE tenant_id = x'01'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(event, (vec![4], "u".to_owned(), 7));
    }

    #[test]
    fn an_edited_or_unknown_migration_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        run(&mut connection).unwrap();
        connection
            .execute(
                "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2",
                [],
            )
            .unwrap();
        assert!(run(&mut connection).is_err());

        let mut connection = Connection::open_in_memory().unwrap();
        run(&mut connection).unwrap();
        connection
            .execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES (99, 'future', TRUE, x'00', 0)",
                [],
            )
            .unwrap();
        assert!(run(&mut connection).is_err());
    }
}
