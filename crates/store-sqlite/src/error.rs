//! The one place where `sqlx` errors become engine errors.

use latchkey_engine::{Entity, Error};

/// Converts the error of a statement about `what` (a record kind, as in "credential"). SQLite
/// does not say which constraint a unique violation broke, so the caller names the record: that
/// makes it a `Conflict` about the entity of that name. Everything else is `Storage`; SQLite's
/// messages name tables and columns, never the values bound.
pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |error| match error {
        sqlx::Error::Database(error) if error.is_unique_violation() => match entity(what) {
            Some(entity) => Error::Conflict(entity),
            None => Error::Storage(format!("{what}: {}", error.message())),
        },
        sqlx::Error::Database(error) => Error::Storage(format!("{what}: {}", error.message())),
        other => Error::Storage(format!("{what}: {other}")),
    }
}

/// The entity a statement's record kind names; `None` for statements about no record (a
/// commit, a migration).
fn entity(what: &str) -> Option<Entity> {
    Some(match what {
        "tenant" => Entity::Tenant,
        "api key" => Entity::ApiKey,
        "signing key" => Entity::SigningKey,
        "user" => Entity::User,
        "credential" => Entity::Credential,
        "ceremony" => Entity::Ceremony,
        "transaction" => Entity::Transaction,
        "audit event" => Entity::AuditEvent,
        "community" => Entity::Community,
        "license" => Entity::License,
        "vendor metadata" => Entity::AuthenticatorPolicy,
        "link" => Entity::Link,
        "service secret" => Entity::ServiceSecret,
        "nonce" => Entity::Nonce,
        _ => return None,
    })
}

pub(crate) fn migrate(error: sqlx::migrate::MigrateError) -> Error {
    match error {
        sqlx::migrate::MigrateError::Execute(error) => db("migration")(error),
        other => Error::Storage(format!("migration: {other}")),
    }
}

/// A stored value that the domain type cannot hold (a bad enum text, a counter out of range):
/// the database was written by something else.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_other_than_unique_violations_are_storage_errors() {
        assert!(
            matches!(db("user")(sqlx::Error::RowNotFound), Error::Storage(m) if m.starts_with("user: "))
        );
        assert!(matches!(
            db("user")(sqlx::Error::PoolTimedOut),
            Error::Storage(_)
        ));
    }
}
