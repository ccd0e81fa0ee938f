//! The one place where `sqlx` errors become engine errors.

use latchkey_engine::Error;

/// SQLSTATEs of text PostgreSQL cannot store: a NUL character (22021) or an escape it does not
/// accept (22P05). SQLite stores such text, so without this the two stores would disagree about
/// what a client may send.
const UNSTORABLE_TEXT: [&str; 2] = ["22021", "22P05"];

/// Converts a `sqlx` error. Unique violations become `Conflict`, named after the constraint (the
/// names are fixed in the migrations); text PostgreSQL cannot hold is the client's `Invalid`
/// input; everything else is `Storage`, with PostgreSQL's primary message only: the `DETAIL`
/// line, which repeats the offending values, is left out.
pub(crate) fn db(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::Database(error) if error.is_unique_violation() => {
            Error::Conflict(conflict_subject(error.constraint()))
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
        sqlx::Error::Database(error) => Error::Storage(match error.code() {
            Some(code) => format!("{} (SQLSTATE {code})", error.message()),
            None => error.message().to_owned(),
        }),
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

fn conflict_subject(constraint: Option<&str>) -> &'static str {
    match constraint {
        // A second realm of one community is a tenant that exists already, as SQLite says.
        Some("tenants_pkey" | "tenants_community_key") => "tenant",
        Some("api_keys_pkey" | "api_keys_secret_hash_key") => "api key",
        Some("signing_keys_pkey") => "signing key",
        Some("users_pkey" | "users_external_id_key") => "user",
        Some("credentials_pkey") => "credential",
        Some("ceremonies_pkey" | "ceremonies_challenge_key") => "ceremony",
        Some("transactions_pkey" | "transactions_identifier_key") => "transaction",
        Some("audit_events_pkey") => "audit event",
        Some("communities_pkey" | "communities_realm_key") => "community",
        Some("licenses_pkey" | "licenses_key_hash_key") => "license",
        Some("vendor_metadata_pkey" | "vendor_metadata_realm_aaguid_key") => "vendor metadata",
        Some("links_pkey") => "link",
        Some("service_secrets_pkey") => "service secret",
        Some("nonces_pkey") => "nonce",
        _ => "record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unique constraint added by a later migration must be named here too, or its conflicts
    /// would all read "record already exists".
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
            assert_ne!(conflict_subject(Some(&name)), "record", "{name}");
        }
    }

    #[test]
    fn errors_without_a_constraint_are_storage_errors() {
        assert!(matches!(db(sqlx::Error::RowNotFound), Error::Storage(_)));
        assert!(matches!(db(sqlx::Error::PoolTimedOut), Error::Storage(_)));
    }
}
