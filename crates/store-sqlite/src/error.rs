//! The one place where `sqlx` errors become engine errors.

use latchkey_engine::{Entity, Error};

/// Converts a `sqlx` error. Unique violations become `Conflict`, named after the table (or the
/// index) SQLite's message names: `UNIQUE constraint failed: users.tenant_id, …`, or
/// `… failed: index 'vendor_metadata_realm_aaguid'` for an index on an expression; one of no known
/// table is a storage fault. Everything else is `Storage`; SQLite's messages name tables and
/// columns, never the values bound.
pub(crate) fn db(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::Database(error) if error.is_unique_violation() => {
            match conflict_subject(error.message()) {
                Some(entity) => Error::Conflict(entity),
                None => Error::Storage(format!("unique violation: {}", error.message())),
            }
        }
        sqlx::Error::Database(error) => Error::Storage(error.message().to_owned()),
        other => Error::Storage(other.to_string()),
    }
}

pub(crate) fn migrate(error: sqlx::migrate::MigrateError) -> Error {
    match error {
        sqlx::migrate::MigrateError::Execute(error) => db(error),
        other => Error::Storage(format!("migration: {other}")),
    }
}

/// A stored value that the domain type cannot hold (a bad enum text, a counter out of range):
/// the database was written by something else.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} is not valid"))
}

/// The entity of the table a unique violation's message names first.
fn conflict_subject(message: &str) -> Option<Entity> {
    let subject = message.strip_prefix("UNIQUE constraint failed: ")?;
    let subject = subject.strip_prefix("index '").unwrap_or(subject);
    TABLES
        .iter()
        .find(|(table, _)| {
            subject
                .strip_prefix(table)
                .is_some_and(|rest| rest.starts_with(['.', '_']))
        })
        .map(|&(_, entity)| entity)
}

/// Each table and the entity its rows hold; index names begin with their table's name.
const TABLES: [(&str, Entity); 14] = [
    ("tenants", Entity::Tenant),
    ("api_keys", Entity::ApiKey),
    ("signing_keys", Entity::SigningKey),
    ("users", Entity::User),
    ("credentials", Entity::Credential),
    ("ceremonies", Entity::Ceremony),
    ("transactions", Entity::Transaction),
    ("audit_events", Entity::AuditEvent),
    ("communities", Entity::Community),
    ("licenses", Entity::License),
    ("vendor_metadata", Entity::AuthenticatorPolicy),
    ("links", Entity::Link),
    ("service_secrets", Entity::ServiceSecret),
    ("nonces", Entity::Nonce),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_entity_of_their_table() {
        let subject = |m| conflict_subject(m);
        assert_eq!(
            subject("UNIQUE constraint failed: users.tenant_id, users.external_id"),
            Some(Entity::User)
        );
        assert_eq!(
            subject("UNIQUE constraint failed: index 'vendor_metadata_realm_aaguid'"),
            Some(Entity::AuthenticatorPolicy)
        );
        assert_eq!(
            subject("UNIQUE constraint failed: tenants.community_id"),
            Some(Entity::Tenant)
        );
        assert_eq!(subject("UNIQUE constraint failed: unknown.id"), None);
    }

    #[test]
    fn errors_without_a_constraint_are_storage_errors() {
        assert!(matches!(db(sqlx::Error::RowNotFound), Error::Storage(_)));
        assert!(matches!(db(sqlx::Error::PoolTimedOut), Error::Storage(_)));
    }
}
