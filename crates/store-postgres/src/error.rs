//! The one place where `sqlx` errors become engine errors.

use latchkey_engine::{Entity, Error};

/// SQLSTATEs of text PostgreSQL cannot store: a NUL character (22021) or an escape it does not
/// accept (22P05). SQLite stores such text, so without this the two stores would disagree about
/// what a client may send.
const UNSTORABLE_TEXT: [&str; 2] = ["22021", "22P05"];

/// SQLSTATEs that say the database cannot serve this connection now, though it may soon:
/// the server is shutting down or was told to end the session (57P01 admin_shutdown, 57P02
/// crash_shutdown), is starting or recovering (57P03 cannot_connect_now), has no connection slot
/// left (53300 too_many_connections), or does not accept connections to this database (55000,
/// `ALLOW_CONNECTIONS false`; latchkey's own statements never raise 55000 otherwise). Class 08,
/// connection exceptions, is matched by its prefix.
const UNAVAILABLE: [&str; 5] = ["57P01", "57P02", "57P03", "53300", "55000"];

/// Converts a `sqlx` error. Unique violations become `Conflict`, named after the constraint (the
/// names are fixed in the migrations; one no migration names is a storage fault); text PostgreSQL cannot hold is the client's `Invalid`
/// input; a database that cannot be reached is `Unavailable`; everything else is `Storage`,
/// with PostgreSQL's primary message only: the `DETAIL` line, which repeats the offending
/// values, is left out.
pub(crate) fn db(error: sqlx::Error) -> Error {
    match error {
        // No connection within the acquire timeout (the pool retried refused connections until
        // then), the pool shut, or the socket failed: the database is down or out of reach.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => Error::Unavailable(error.to_string()),
        sqlx::Error::Database(error)
            if error.code().is_some_and(|code| {
                code.starts_with("08") || UNAVAILABLE.contains(&code.as_ref())
            }) =>
        {
            Error::Unavailable(message(error.as_ref()))
        }
        sqlx::Error::Database(error) if error.is_unique_violation() => {
            match conflict_subject(error.constraint()) {
                Some(entity) => Error::Conflict(entity),
                None => Error::Storage(format!("unique violation: {}", error.message())),
            }
        }
        sqlx::Error::Database(error)
            if error
                .code()
                .is_some_and(|code| UNSTORABLE_TEXT.contains(&code.as_ref())) =>
        {
            Error::Invalid {
                field: "text",
                reason: "contains a NUL character".to_owned(),
            }
        }
        sqlx::Error::Database(error) => Error::Storage(message(error.as_ref())),
        other => Error::Storage(other.to_string()),
    }
}

/// PostgreSQL's primary message and its SQLSTATE.
fn message(error: &dyn sqlx::error::DatabaseError) -> String {
    match error.code() {
        Some(code) => format!("{} (SQLSTATE {code})", error.message()),
        None => error.message().to_owned(),
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

fn conflict_subject(constraint: Option<&str>) -> Option<Entity> {
    Some(match constraint? {
        // A second realm of one community is a tenant that exists already, as SQLite says.
        "tenants_pkey" | "tenants_community_key" => Entity::Tenant,
        "api_keys_pkey" | "api_keys_secret_hash_key" => Entity::ApiKey,
        "signing_keys_pkey" => Entity::SigningKey,
        "users_pkey" | "users_external_id_key" => Entity::User,
        "credentials_pkey" => Entity::Credential,
        "ceremonies_pkey" | "ceremonies_challenge_key" => Entity::Ceremony,
        "transactions_pkey" | "transactions_identifier_key" => Entity::Transaction,
        "audit_events_pkey" => Entity::AuditEvent,
        "communities_pkey" | "communities_realm_key" => Entity::Community,
        "licenses_pkey" | "licenses_key_hash_key" => Entity::License,
        "vendor_metadata_pkey" | "vendor_metadata_realm_aaguid_key" => Entity::AuthenticatorPolicy,
        "links_pkey" => Entity::Link,
        "service_secrets_pkey" => Entity::ServiceSecret,
        "nonces_pkey" => Entity::Nonce,
        // A second primary address of one user is a conflict of addresses too.
        "emails_pkey" | "emails_address_key" | "emails_primary_key" => Entity::Email,
        "passcodes_pkey" => Entity::Passcode,
        "passwords_pkey" => Entity::Password,
        "sessions_pkey" => Entity::Session,
        "identities_pkey" => Entity::Identity,
        "one_time_tokens_pkey" => Entity::OneTimeToken,
        "webhooks_pkey"
        | "webhook_events_pkey"
        | "webhook_events_event_key"
        | "webhook_deliveries_pkey" => Entity::Webhook,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unique constraint added by a later migration must be named here too, or its conflicts
    /// would be storage faults.
    #[test]
    fn every_unique_constraint_of_the_migrations_has_a_subject() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let words = sql.split_whitespace().collect::<Vec<_>>();
            for w in words.windows(3) {
                let constraint = w[0] == "CONSTRAINT" && (w[2] == "UNIQUE" || w[2] == "PRIMARY");
                let index = w[0] == "UNIQUE" && w[1] == "INDEX";
                if constraint {
                    names.push(w[1].to_owned());
                } else if index {
                    names.push(w[2].to_owned());
                }
            }
        }
        assert!(names.contains(&"credentials_pkey".to_owned()), "{names:?}");
        for name in names {
            assert!(conflict_subject(Some(&name)).is_some(), "{name}");
        }
    }

    #[test]
    fn errors_without_a_constraint_are_storage_errors() {
        assert!(matches!(db(sqlx::Error::RowNotFound), Error::Storage(_)));
        assert!(matches!(
            db(sqlx::Error::ColumnNotFound("id".to_owned())),
            Error::Storage(_)
        ));
    }

    #[test]
    fn a_database_out_of_reach_is_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for error in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(refused),
        ] {
            assert!(matches!(db(error), Error::Unavailable(_)));
        }
    }
}
