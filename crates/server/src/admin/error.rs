//! The admin API's one mapping from engine errors to HTTP answers.

use latchkey_engine::{Entity, Error};

use crate::hanko_passkey::error::ApiError;

/// The answer to a failed engine call. `action` titles a refused input (`unable to create
/// tenant`), as the original titles its validation failures.
pub(super) fn answer(error: Error, action: &'static str) -> ApiError {
    match error {
        Error::NotFound(what) => ApiError::not_found(format!("{what} not found")),
        Error::Conflict(what) => ApiError::conflict(format!("{what} already exists")),
        Error::Invalid { .. } => ApiError::bad_request(action).with_details(error.to_string()),
        Error::Unavailable(_) => {
            tracing::warn!(%error, "admin request failed: database unavailable");
            ApiError::unavailable()
        }
        Error::Storage(_) | Error::Crypto(_) => {
            tracing::error!(%error, "admin request failed");
            ApiError::internal()
        }
        // Other dialects' errors: the admin API makes none of these calls, so reaching one is a
        // server fault.
        Error::ApiKeyInvalid
        | Error::CeremonyNotFound
        | Error::CeremonyExpired
        | Error::CeremonyMismatch(_)
        | Error::NoCredentials
        | Error::UnknownCredential { .. }
        | Error::Verification(_)
        | Error::Token(_)
        | Error::AuthenticatorDisabled(_)
        | Error::LicenseInvalid
        | Error::Forbidden(_)
        | Error::RequestStale
        | Error::RequestReplayed
        | Error::RateLimited { .. }
        | Error::LimitReached(_)
        | Error::PrimaryEmail
        | Error::WrongSecret(_)
        | Error::AttemptsExhausted
        | Error::Expired(_)
        | Error::ThirdParty(_) => {
            tracing::error!(%error, "unexpected engine error in the admin API");
            ApiError::internal()
        }
    }
}

/// The answer to a failed call about the secret (API or signing key) the client named `id`:
/// a missing one is named as the original names it.
pub(super) fn secret_answer(error: Error, id: &str, action: &'static str) -> ApiError {
    match error {
        Error::NotFound(Entity::ApiKey | Entity::SigningKey) => {
            ApiError::not_found(format!("secret with ID '{id}' not found"))
        }
        error => answer(error, action),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn missing_secrets_are_named_by_their_id() {
        for what in [Entity::ApiKey, Entity::SigningKey] {
            let missing = secret_answer(Error::NotFound(what), "0e1d", "unable to remove");
            assert_eq!(missing.status, StatusCode::NOT_FOUND);
            assert_eq!(missing.title, "secret with ID '0e1d' not found");
        }
        let tenant = secret_answer(Error::NotFound(Entity::Tenant), "0e1d", "unable to remove");
        assert_eq!(tenant.title, "tenant not found");
    }

    #[test]
    fn engine_errors_map_to_statuses() {
        let cases = [
            (Error::NotFound(Entity::Tenant), 404, "tenant not found"),
            (Error::NotFound(Entity::ApiKey), 404, "api key not found"),
            (
                Error::Conflict(Entity::Transaction),
                409,
                "transaction already exists",
            ),
            (
                Error::Invalid {
                    field: "rsa_bits",
                    reason: "1024 is not one of 2048, 3072, 4096".to_owned(),
                },
                400,
                "unable to create tenant",
            ),
            (
                Error::Storage("disk full".to_owned()),
                500,
                "Internal Server Error",
            ),
            (Error::Crypto("bad key"), 500, "Internal Server Error"),
            (
                Error::Unavailable("pool timed out".to_owned()),
                503,
                "Service Unavailable",
            ),
            (Error::CeremonyExpired, 500, "Internal Server Error"),
        ];
        for (error, status, title) in cases {
            let answer = answer(error, "unable to create tenant");
            assert_eq!(answer.status.as_u16(), status);
            assert_eq!(answer.title, title);
        }
    }

    #[test]
    fn invalid_input_names_the_field_and_internal_errors_hide_the_cause() {
        let invalid = answer(
            Error::Invalid {
                field: "rsa_bits",
                reason: "1024 is not one of 2048, 3072, 4096".to_owned(),
            },
            "unable to update tenant config",
        );
        assert_eq!(
            invalid.details.as_deref(),
            Some("invalid rsa_bits: 1024 is not one of 2048, 3072, 4096")
        );
        assert_eq!(
            answer(Error::Storage("secret detail".to_owned()), "x").details,
            None
        );
    }
}
