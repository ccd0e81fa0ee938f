//! The one place where failures become Hanko Public API error bodies: `{"code","message"}` with
//! the HTTP status as `code`, and Go's status text as the message where the original gives
//! none. The original answers the same engine condition differently per endpoint (an unknown
//! user is a 400 for a passcode but a 401 for a password), so the mapping takes the endpoint.

use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_engine::rate_limit::Budget;
use latchkey_engine::{Entity, Error, UNAVAILABLE_RETRY_AFTER_SECS};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::Rejection;
use crate::http::signal::CredentialSignal;

const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicError {
    pub status: StatusCode,
    pub message: String,
    /// The budget of a rate-limited endpoint, sent as `X-RateLimit-*` (and `Retry-After` on 429).
    pub budget: Option<Budget>,
    /// Seconds after which a request refused for a passing fault may be sent again
    /// (`Retry-After`); a rate-limited answer takes it from its budget instead.
    pub retry_after: Option<u64>,
    /// What the page may tell the browser about the credential the request named.
    pub signal: Option<CredentialSignal>,
}

impl PublicError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            budget: None,
            retry_after: None,
            signal: None,
        }
    }

    /// The status with Go's text for it, as the original answers when it gives no message.
    pub fn status(status: StatusCode) -> Self {
        Self::new(status, status.canonical_reason().unwrap_or_default())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::status(StatusCode::UNAUTHORIZED)
    }

    pub fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND)
    }

    pub fn method_not_allowed() -> Self {
        Self::status(StatusCode::METHOD_NOT_ALLOWED)
    }

    pub fn internal() -> Self {
        Self::status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The database cannot be reached: 503, with `Retry-After`.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..Self::status(StatusCode::SERVICE_UNAVAILABLE)
        }
    }

    pub fn with_budget(mut self, budget: Option<Budget>) -> Self {
        self.budget = budget;
        self
    }
}

/// Every error answer of the API: the HTTP status again as `code`, and a message.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// The HTTP status of the answer.
    #[schema(minimum = 400, maximum = 599)]
    code: u16,
    /// What went wrong, or Go's status text where the original gives no message.
    message: &'a str,
    /// Only on a refused login whose credential the server does not hold: the options for
    /// `PublicKeyCredential.signalUnknownCredential`. An addition to the original's format.
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a CredentialSignal>,
}

impl IntoResponse for PublicError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.status.as_u16(),
            message: &self.message,
            signal: self.signal.as_ref(),
        };
        // Serialising plain fields cannot fail; the fallback keeps the status regardless.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(budget) = self.budget {
            add_budget_headers(&mut response, &budget);
            if self.status == StatusCode::TOO_MANY_REQUESTS {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(budget.reset_secs));
            }
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset`, sent on every answer of a limited endpoint.
pub fn add_budget_headers(response: &mut Response, budget: &Budget) {
    let headers = response.headers_mut();
    headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(budget.limit));
    headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(budget.remaining));
    headers.insert(RATE_LIMIT_RESET, HeaderValue::from(budget.reset_secs));
}

/// A request the shared HTTP layer could not read.
impl From<Rejection> for PublicError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::TooLarge => Self::status(StatusCode::PAYLOAD_TOO_LARGE),
            Rejection::Unreadable(reason) | Rejection::Invalid(reason) => Self::bad_request(reason),
        }
    }
}

/// Which endpoint failed, as far as the error mapping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Lookups and everything without a rule of its own.
    Any,
    SignUp,
    Emails,
    AddEmail,
    PasscodeInit,
    PasscodeFinal,
    SetPassword,
    PasswordLogin,
    RegistrationInit,
    RegistrationFinal,
    LoginInit,
    LoginFinal,
    Token,
}

const CHALLENGE_MISMATCH: &str = "Stored challenge and received challenge do not match";

/// The answer to `error` at `endpoint`. Server faults are logged here and answered without
/// their cause.
pub fn public_error(endpoint: Endpoint, error: Error) -> PublicError {
    use Endpoint as E;
    match error {
        Error::UnknownCredential { missing, signal } => PublicError {
            signal: Some(CredentialSignal::from(signal.as_ref())),
            ..public_error(endpoint, Error::NotFound(missing))
        },
        Error::NotFound(Entity::Tenant) => PublicError::not_found(),
        Error::NotFound(Entity::User) => match endpoint {
            E::PasscodeInit => PublicError::status(StatusCode::BAD_REQUEST),
            E::RegistrationInit | E::LoginInit => PublicError::bad_request("user not found"),
            E::SetPassword | E::PasswordLogin | E::LoginFinal => PublicError::unauthorized(),
            _ => PublicError::not_found(),
        },
        Error::NotFound(Entity::Passcode) => {
            PublicError::new(StatusCode::UNAUTHORIZED, "passcode not found")
        }
        Error::NotFound(Entity::OneTimeToken) => {
            PublicError::new(StatusCode::NOT_FOUND, "token not found")
        }
        Error::Expired(Entity::OneTimeToken) => {
            PublicError::new(StatusCode::UNPROCESSABLE_ENTITY, "token has expired")
        }
        Error::NotFound(Entity::Credential) if endpoint == E::LoginFinal => {
            PublicError::new(StatusCode::UNAUTHORIZED, "failed to validate assertion")
        }
        Error::NotFound(_) => PublicError::not_found(),
        Error::Expired(_) => {
            PublicError::new(StatusCode::REQUEST_TIMEOUT, "passcode request timed out")
        }
        Error::WrongSecret(_) | Error::Token(_) => PublicError::unauthorized(),
        Error::AttemptsExhausted => PublicError::new(StatusCode::GONE, "max attempts reached"),
        Error::Conflict(Entity::Email) if endpoint == E::AddEmail => {
            PublicError::status(StatusCode::BAD_REQUEST)
        }
        Error::Conflict(_) | Error::LimitReached(_) | Error::PrimaryEmail => {
            PublicError::status(StatusCode::CONFLICT)
        }
        Error::Forbidden(_) => PublicError::status(StatusCode::FORBIDDEN),
        Error::ThirdParty(refused) => PublicError::bad_request(refused.description()),
        Error::Invalid { field, reason } => PublicError::bad_request(invalid(field, &reason)),
        Error::RateLimited { retry_after_secs } => {
            PublicError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").with_budget(Some(
                Budget {
                    limit: 0,
                    remaining: 0,
                    reset_secs: retry_after_secs,
                },
            ))
        }
        Error::CeremonyNotFound | Error::CeremonyMismatch(_) => match endpoint {
            E::LoginFinal => PublicError::new(StatusCode::UNAUTHORIZED, CHALLENGE_MISMATCH),
            _ => PublicError::bad_request(CHALLENGE_MISMATCH),
        },
        Error::CeremonyExpired => match endpoint {
            E::LoginFinal => PublicError::new(StatusCode::UNAUTHORIZED, "Session has Expired"),
            _ => PublicError::bad_request("Session has Expired"),
        },
        Error::Verification(failure) => verification(endpoint, &failure),
        Error::AuthenticatorDisabled(_) | Error::NoCredentials => {
            PublicError::bad_request(error.to_string())
        }
        Error::Unavailable(_) => {
            tracing::warn!(error = %error, "database unavailable");
            PublicError::unavailable()
        }
        Error::Storage(_)
        | Error::Crypto(_)
        | Error::ApiKeyInvalid
        | Error::LicenseInvalid
        | Error::RequestStale
        | Error::RequestReplayed => {
            tracing::error!(error = %error, "engine failure");
            PublicError::internal()
        }
    }
}

/// The `error` and `error_description` of a third-party sign-in's error redirect. Server
/// faults are logged here and described without their cause, as the original.
pub fn refusal(error: Error) -> (&'static str, String) {
    match error {
        Error::ThirdParty(refused) => (refused.code(), refused.description().to_owned()),
        Error::Invalid { field, reason } => ("invalid_request", invalid(field, &reason)),
        Error::Token(reason) => ("invalid_request", format!("invalid state: {reason}")),
        Error::NotFound(entity) => ("invalid_request", format!("{entity} not found")),
        Error::Forbidden(reason) => ("invalid_request", reason.to_owned()),
        error => {
            tracing::error!(error = %error, "third-party sign-in failed");
            ("server_error", INTERNAL_DESCRIPTION.to_owned())
        }
    }
}

/// What the original says for every server fault of a third-party sign-in.
const INTERNAL_DESCRIPTION: &str = "an internal error has occurred";

/// The error redirect of a provider that could not be asked or whose answer was refused.
pub fn federation_refusal(error: &latchkey_federation::Error) -> (&'static str, String) {
    use latchkey_federation::Error as F;
    match error {
        F::Exchange(_) | F::IdToken(_) | F::NoEmail => ("invalid_request", error.to_string()),
        F::Settings(_) | F::Request(_) | F::Answer(_) => {
            tracing::warn!(error = %error, "third-party provider failed");
            ("server_error", INTERNAL_DESCRIPTION.to_owned())
        }
    }
}

/// A refused field, in the validator's words where the engine gives a rule (`email must be a
/// valid email address`) and as the original's sentence where it gives one.
fn invalid(field: &str, reason: &str) -> String {
    let sentence =
        reason.starts_with("the ") || reason.starts_with("an ") || reason.starts_with("password ");
    if sentence {
        reason.to_owned()
    } else {
        format!("{field} {reason}")
    }
}

/// A ceremony response the WebAuthn checks refused.
fn verification(endpoint: Endpoint, failure: &latchkey_webauthn::Error) -> PublicError {
    if failure.kind() == "malformed" {
        return PublicError::bad_request(failure.to_string());
    }
    match endpoint {
        Endpoint::RegistrationFinal
            if matches!(failure, latchkey_webauthn::Error::UserNotVerified) =>
        {
            // The original's distinct status for a missing PIN, so that the SDK can tell it
            // apart (its `UserVerificationError`).
            PublicError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("failed to validate attestation: {failure}"),
            )
        }
        Endpoint::RegistrationFinal => PublicError::bad_request("failed to validate attestation"),
        _ => PublicError::new(StatusCode::UNAUTHORIZED, "failed to validate assertion"),
    }
}

/// Method fallback of every route: a known path asked with a method it does not serve.
pub async fn method_not_allowed() -> PublicError {
    PublicError::method_not_allowed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_credential_keeps_the_originals_answer_and_adds_the_signal() {
        let unknown = |missing| Error::UnknownCredential {
            missing,
            signal: Box::new(latchkey_engine::signals::UnknownCredential {
                rp_id: "accounts.example".to_owned(),
                credential_id: vec![0xff],
            }),
        };
        let credential = public_error(Endpoint::LoginFinal, unknown(Entity::Credential));
        assert_eq!(
            (credential.status, credential.message.as_str()),
            (StatusCode::UNAUTHORIZED, "failed to validate assertion")
        );
        let user = public_error(Endpoint::LoginFinal, unknown(Entity::User));
        assert_eq!(
            (user.status, user.message.as_str()),
            (StatusCode::UNAUTHORIZED, "Unauthorized")
        );
        let signal = serde_json::to_value(user.signal).unwrap();
        assert_eq!(
            signal,
            serde_json::json!({"unknownCredential": {"rpId": "accounts.example", "credentialId": "_w"}})
        );
    }

    #[test]
    fn bodies_carry_the_status_as_code() {
        let response = PublicError::unauthorized().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_to_retry_without_its_cause() {
        let answer = public_error(
            Endpoint::LoginFinal,
            Error::Unavailable("connection refused".to_owned()),
        );
        let response = answer.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            serde_json::json!({"code": 503, "message": "Service Unavailable"})
        );
    }

    #[test]
    fn invalid_fields_read_like_the_validator() {
        assert_eq!(
            invalid("email", "must be a valid email address"),
            "email must be a valid email address"
        );
        assert_eq!(
            invalid("email_id", "the specified emailId is not available"),
            "the specified emailId is not available"
        );
        assert_eq!(
            invalid("password", "password must be at least 8 characters long"),
            "password must be at least 8 characters long"
        );
    }

    #[test]
    fn passcode_outcomes_have_the_originals_statuses() {
        let at = |error| public_error(Endpoint::PasscodeFinal, error).status;
        assert_eq!(
            at(Error::NotFound(Entity::Passcode)),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            at(Error::Expired(Entity::Passcode)),
            StatusCode::REQUEST_TIMEOUT
        );
        assert_eq!(
            at(Error::WrongSecret(Entity::Passcode)),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(at(Error::AttemptsExhausted), StatusCode::GONE);
        assert_eq!(at(Error::Forbidden("x")), StatusCode::FORBIDDEN);
    }
}
