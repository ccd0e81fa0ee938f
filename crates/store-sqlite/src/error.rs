//! The one place where SQLite errors become engine errors.

use latchkey_engine::{Entity, Error};
use rusqlite::ffi;

/// Converts a rusqlite error. Unique violations become `Conflict`, named after the table (or
/// the index) SQLite's message names: `UNIQUE constraint failed: users.tenant_id, …`, or
/// `… failed: index 'vendor_metadata_realm_aaguid'` for an index on an expression; one of no
/// known table is a storage fault. Everything else is `Storage`; SQLite's messages name tables
/// and columns, never the values bound.
pub(crate) fn db(error: rusqlite::Error) -> Error {
    match &error {
        rusqlite::Error::SqliteFailure(failure, Some(message)) if is_unique_violation(failure) => {
            match conflict_subject(message) {
                Some(entity) => Error::Conflict(entity),
                None => Error::Storage(format!("unique violation: {message}")),
            }
        }
        rusqlite::Error::SqliteFailure(_, Some(message)) => Error::Storage(message.clone()),
        other => Error::Storage(other.to_string()),
    }
}

fn is_unique_violation(failure: &ffi::Error) -> bool {
    matches!(
        failure.extended_code,
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Whether another connection holds the lock the statement needed.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
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
const TABLES: [(&str, Entity); 23] = [
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
    ("emails", Entity::Email),
    ("passcodes", Entity::Passcode),
    ("passwords", Entity::Password),
    ("sessions", Entity::Session),
    ("identities", Entity::Identity),
    ("one_time_tokens", Entity::OneTimeToken),
    ("webhooks", Entity::Webhook),
    ("webhook_events", Entity::Webhook),
    ("webhook_deliveries", Entity::Webhook),
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
        // The partial index of primary addresses names its columns, not itself.
        assert_eq!(
            subject("UNIQUE constraint failed: emails.tenant_id, emails.user_id"),
            Some(Entity::Email)
        );
        assert_eq!(
            subject("UNIQUE constraint failed: passcodes.tenant_id, passcodes.id"),
            Some(Entity::Passcode)
        );
        assert_eq!(subject("UNIQUE constraint failed: unknown.id"), None);
    }

    #[test]
    fn errors_without_a_constraint_are_storage_errors() {
        assert!(matches!(
            db(rusqlite::Error::QueryReturnedNoRows),
            Error::Storage(_)
        ));
        let full = rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_FULL),
            Some("database or disk is full".to_owned()),
        );
        assert!(matches!(db(full), Error::Storage(m) if m == "database or disk is full"));
    }
}
