//! The one place where failures become Hanko error bodies: `{"title","details","status"}`, the
//! shape of the Hanko passkey server's echo error handler (the admin API answers in it too).
//! The original answers the same engine condition differently per endpoint (an unknown user is
//! a 404 when a login starts but a 401 when it finishes), so the engine mapping takes the
//! endpoint as context.

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use latchkey_engine::{Entity, Error, UNAVAILABLE_RETRY_AFTER_SECS};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::Rejection;
use crate::http::signal::CredentialSignal;

/// An error answer. `details` is `Some("")` for client errors (the original always sends the
/// field) and `None` only for internal errors, whose cause stays in the server log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: String,
    pub details: Option<String>,
    /// Seconds after which a refused request may be sent again (`Retry-After`).
    pub retry_after: Option<u64>,
    /// What the page may tell the browser about the credential the request named.
    pub signal: Option<CredentialSignal>,
}

impl ApiError {
    /// An error with empty details.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
            details: Some(String::new()),
            retry_after: None,
            signal: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// A server fault: 500 without details. Log the cause before returning it.
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Internal Server Error".to_owned(),
            details: None,
            retry_after: None,
            signal: None,
        }
    }

    pub fn bad_request(title: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, title)
    }

    pub fn unauthorized(title: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, title)
    }

    pub fn not_found(title: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, title)
    }

    pub fn conflict(title: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, title)
    }

    /// A request body that could not be read into the endpoint's shape.
    pub fn unprocessable_body(details: impl Into<String>) -> Self {
        Self::bad_request("unable to process request").with_details(details)
    }

    /// A request that was read but breaks a field rule; `details` names the rule.
    pub fn invalid_request(details: impl Into<String>) -> Self {
        Self::bad_request("unable to validate request").with_details(details)
    }

    /// A request over a rate limit; it may be sent again after `retry_after` seconds.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
        }
    }

    /// The database cannot be reached: 503, with `Retry-After`. The cause stays in the log.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
    }

    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
    }

    /// The error of a path that names no route.
    pub fn route_not_found() -> Self {
        Self::not_found("Not Found")
    }

    /// The error of a route that exists but not for this method.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    }
}

/// The error body every failure of this API (and of the admin API) answers with.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub(crate) struct Body<'a> {
    /// What went wrong, in the original server's words.
    title: &'a str,
    /// Why, for a client error (often empty); absent from a server fault, whose cause stays in
    /// the server log.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a str>,
    /// The HTTP status code again.
    status: u16,
    /// Only on a refused login whose credential the server does not hold: the options for
    /// `PublicKeyCredential.signalUnknownCredential`. An addition to the original's format.
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a CredentialSignal>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            title: &self.title,
            details: self.details.as_deref(),
            status: self.status.as_u16(),
            signal: self.signal.as_ref(),
        };
        // Serialising plain fields cannot fail; the fallback keeps the status regardless.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Router fallback for paths without a route.
pub async fn route_not_found() -> ApiError {
    ApiError::route_not_found()
}

/// Router fallback for a known path asked with a method it does not serve.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// A request the shared HTTP layer could not read, in the original's words.
impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::TooLarge => Self::payload_too_large(),
            Rejection::Unreadable(reason) => Self::unprocessable_body(reason),
            Rejection::Invalid(rule) => Self::invalid_request(rule),
        }
    }
}

/// Which endpoint failed, as far as the error mapping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// Tenant lookup, API key check, JWKS, audit log and transaction listing.
    Tenant,
    /// A credential addressed by its id as the client wrote it.
    Credential(&'a str),
    /// The credential listing.
    Credentials,
    RegistrationInit,
    RegistrationFinal,
    LoginInit,
    LoginFinal,
    TransactionInit,
    TransactionFinal,
    MfaLoginInit,
    MfaLoginFinal,
}

const NO_CREDENTIALS: &str = "user has no suitable credentials for this operation";

/// The answer to `error` at `endpoint`. Server faults are logged here and answered without
/// their cause.
pub fn api_error(endpoint: Endpoint<'_>, error: Error) -> ApiError {
    match error {
        Error::NotFound(Entity::Tenant) => ApiError::not_found("tenant not found"),
        Error::ApiKeyInvalid => invalid_api_key(),
        Error::NotFound(what) => not_found(endpoint, what),
        Error::UnknownCredential { missing, signal } => ApiError {
            signal: Some(CredentialSignal::from(signal.as_ref())),
            ..not_found(endpoint, missing)
        },
        Error::Conflict(what) => ApiError::conflict(format!("{what} already exists")),
        Error::Invalid { .. } => ApiError::invalid_request(error.to_string()),
        Error::NoCredentials => ApiError::bad_request(NO_CREDENTIALS),
        Error::CeremonyNotFound | Error::CeremonyMismatch(_) => unknown_challenge(endpoint),
        Error::CeremonyExpired => refused(endpoint, "Session has Expired".to_owned()),
        Error::Verification(failure) => verification(endpoint, &failure),
        Error::AuthenticatorDisabled(_) => refused(endpoint, error.to_string()),
        Error::RateLimited { retry_after_secs } => ApiError::too_many_requests(retry_after_secs),
        Error::Unavailable(_) => unavailable(&error),
        Error::Storage(_) | Error::Crypto(_) | Error::Token(_) => internal(&error),
        // Errors of other dialects' calls: reaching one here is a server fault.
        Error::LicenseInvalid
        | Error::Forbidden(_)
        | Error::RequestStale
        | Error::RequestReplayed
        | Error::LimitReached(_)
        | Error::PrimaryEmail
        | Error::WrongSecret(_)
        | Error::AttemptsExhausted
        | Error::Expired(_)
        | Error::ThirdParty(_) => internal(&error),
    }
}

/// A user id in the path that is not a UUID, in the original's words. The engine is not asked:
/// such an id cannot name a user.
pub fn invalid_user_id() -> ApiError {
    ApiError::bad_request("invalid user id")
}

/// A missing, wrong or unusable API key.
pub fn invalid_api_key() -> ApiError {
    ApiError::unauthorized("The api key is invalid")
        .with_details("api keys needs to be an apiKey Header and 32 byte long")
}

fn unavailable(error: &Error) -> ApiError {
    tracing::warn!(error = %error, "database unavailable");
    ApiError::unavailable()
}

fn internal(error: &Error) -> ApiError {
    tracing::error!(error = %error, "engine failure");
    ApiError::internal()
}

fn not_found(endpoint: Endpoint<'_>, what: Entity) -> ApiError {
    match (endpoint, what) {
        (Endpoint::Credential(id), Entity::Credential) => {
            ApiError::not_found(format!("credential with id '{id}' not found"))
        }
        (Endpoint::TransactionInit, Entity::User) => ApiError::not_found("unable to find user"),
        (
            Endpoint::LoginFinal | Endpoint::MfaLoginFinal | Endpoint::TransactionFinal,
            Entity::User,
        ) => ApiError::unauthorized("failed to get user handle"),
        (Endpoint::LoginFinal | Endpoint::MfaLoginFinal | Endpoint::TransactionFinal, _) => {
            ApiError::unauthorized("failed to validate assertion")
                .with_details(format!("{what} not found"))
        }
        _ => ApiError::not_found(format!("{what} not found")),
    }
}

/// A finish whose challenge names no ceremony it may finish.
fn unknown_challenge(endpoint: Endpoint<'_>) -> ApiError {
    match endpoint {
        Endpoint::LoginFinal | Endpoint::MfaLoginFinal | Endpoint::TransactionFinal => {
            ApiError::unauthorized("failed to get session data")
        }
        _ => ApiError::bad_request("received challenge does not match with any stored one"),
    }
}

/// A ceremony response the WebAuthn checks refused.
fn verification(endpoint: Endpoint<'_>, failure: &latchkey_webauthn::Error) -> ApiError {
    if failure.kind() == "malformed" {
        let title = match endpoint {
            Endpoint::RegistrationFinal => "unable to parse credential creation response",
            Endpoint::TransactionFinal => "unable to finish transaction",
            Endpoint::LoginFinal | Endpoint::MfaLoginFinal => "unable to finish login",
            _ => "unable to process request",
        };
        return ApiError::bad_request(title).with_details(failure.to_string());
    }
    if endpoint == Endpoint::RegistrationFinal
        && matches!(failure, latchkey_webauthn::Error::UserNotVerified)
    {
        // The original's Safari workaround: a distinct status so a front end can tell a
        // missing PIN apart from other failures. The title joins its WebAuthn library's error
        // details and developer info, and that info ends in a newline (Go's `Sprintln`).
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "failed to validate attestation: Error validating the authenticator response: \
             User verification required but flag not set by authenticator\n",
        )
        .with_details(failure.to_string());
    }
    refused(endpoint, failure.to_string())
}

/// A ceremony that was found but did not pass.
fn refused(endpoint: Endpoint<'_>, details: String) -> ApiError {
    match endpoint {
        Endpoint::RegistrationFinal => ApiError::bad_request("failed to validate attestation"),
        Endpoint::LoginFinal | Endpoint::MfaLoginFinal | Endpoint::TransactionFinal => {
            ApiError::unauthorized("failed to validate assertion")
        }
        _ => ApiError::bad_request("unable to process request"),
    }
    .with_details(details)
}

#[cfg(test)]
mod tests {
    use latchkey_webauthn::Error as Check;

    use super::*;

    fn status_and_title(endpoint: Endpoint<'_>, error: Error) -> (u16, String) {
        let error = api_error(endpoint, error);
        (error.status.as_u16(), error.title)
    }

    #[test]
    fn rate_limited_is_429_with_retry_after() {
        let error = api_error(
            Endpoint::LoginInit,
            Error::RateLimited {
                retry_after_secs: 9,
            },
        );
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.retry_after, Some(9));
    }

    #[test]
    fn tenant_and_key_errors() {
        assert_eq!(
            status_and_title(Endpoint::Tenant, Error::NotFound(Entity::Tenant)),
            (404, "tenant not found".to_owned())
        );
        let key = api_error(Endpoint::Credentials, Error::ApiKeyInvalid);
        assert_eq!(key.status, StatusCode::UNAUTHORIZED);
        assert_eq!(key.title, "The api key is invalid");
        assert_eq!(
            key.details.as_deref(),
            Some("api keys needs to be an apiKey Header and 32 byte long")
        );
    }

    #[test]
    fn unknown_user_depends_on_endpoint() {
        assert_eq!(
            status_and_title(Endpoint::LoginInit, Error::NotFound(Entity::User)),
            (404, "user not found".to_owned())
        );
        assert_eq!(
            status_and_title(Endpoint::RegistrationFinal, Error::NotFound(Entity::User)),
            (404, "user not found".to_owned())
        );
        assert_eq!(
            status_and_title(Endpoint::TransactionInit, Error::NotFound(Entity::User)),
            (404, "unable to find user".to_owned())
        );
        assert_eq!(
            status_and_title(Endpoint::LoginFinal, Error::NotFound(Entity::User)),
            (401, "failed to get user handle".to_owned())
        );
    }

    #[test]
    fn credentials_are_named_by_their_id() {
        assert_eq!(
            status_and_title(
                Endpoint::Credential("abc"),
                Error::NotFound(Entity::Credential)
            ),
            (404, "credential with id 'abc' not found".to_owned())
        );
    }

    #[test]
    fn conflicts_and_missing_credentials_are_client_errors() {
        assert_eq!(
            status_and_title(
                Endpoint::TransactionInit,
                Error::Conflict(Entity::Transaction)
            ),
            (409, "transaction already exists".to_owned())
        );
        assert_eq!(
            status_and_title(
                Endpoint::RegistrationFinal,
                Error::Conflict(Entity::Credential)
            ),
            (409, "credential already exists".to_owned())
        );
        assert_eq!(
            status_and_title(Endpoint::LoginInit, Error::NoCredentials),
            (400, NO_CREDENTIALS.to_owned())
        );
    }

    #[test]
    fn registration_finish_failures() {
        assert_eq!(
            status_and_title(Endpoint::RegistrationFinal, Error::CeremonyNotFound),
            (
                400,
                "received challenge does not match with any stored one".to_owned()
            )
        );
        let expired = api_error(Endpoint::RegistrationFinal, Error::CeremonyExpired);
        assert_eq!(expired.title, "failed to validate attestation");
        assert_eq!(expired.details.as_deref(), Some("Session has Expired"));
        assert_eq!(
            status_and_title(
                Endpoint::RegistrationFinal,
                Error::Verification(Check::OriginMismatch)
            ),
            (400, "failed to validate attestation".to_owned())
        );
        assert_eq!(
            status_and_title(
                Endpoint::RegistrationFinal,
                Error::Verification(Check::UserNotVerified)
            ),
            (
                422,
                "failed to validate attestation: Error validating the authenticator response: \
                 User verification required but flag not set by authenticator\n"
                    .to_owned()
            )
        );
        assert_eq!(
            status_and_title(
                Endpoint::RegistrationFinal,
                Error::Verification(Check::Base64("rawId"))
            ),
            (
                400,
                "unable to parse credential creation response".to_owned()
            )
        );
    }

    #[test]
    fn login_finish_failures_are_unauthorized() {
        for endpoint in [
            Endpoint::LoginFinal,
            Endpoint::MfaLoginFinal,
            Endpoint::TransactionFinal,
        ] {
            assert_eq!(
                status_and_title(endpoint, Error::CeremonyNotFound),
                (401, "failed to get session data".to_owned())
            );
            assert_eq!(
                status_and_title(
                    endpoint,
                    Error::Verification(Check::BadSignature("assertion"))
                ),
                (401, "failed to validate assertion".to_owned())
            );
            assert_eq!(
                status_and_title(endpoint, Error::CeremonyExpired),
                (401, "failed to validate assertion".to_owned())
            );
        }
        assert_eq!(
            status_and_title(
                Endpoint::LoginFinal,
                Error::Verification(Check::Malformed {
                    field: "clientDataJSON",
                    reason: "not JSON"
                })
            ),
            (400, "unable to finish login".to_owned())
        );
    }

    #[test]
    fn disabled_authenticators_are_refused_attestations() {
        let refused = api_error(
            Endpoint::RegistrationFinal,
            Error::AuthenticatorDisabled(latchkey_engine::AuthenticatorRefusal::disabled(
                uuid::Uuid::nil(),
            )),
        );
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.title, "failed to validate attestation");
        assert_eq!(
            refused.details.as_deref(),
            Some("authenticator 00000000-0000-0000-0000-000000000000 is disabled by policy")
        );
    }

    #[test]
    fn user_ids_that_are_not_uuids() {
        assert_eq!(invalid_user_id(), ApiError::bad_request("invalid user id"));
    }

    #[test]
    fn server_faults_hide_their_cause() {
        for error in [
            Error::Storage("connection refused".to_owned()),
            Error::Crypto("bad key"),
            Error::RequestReplayed,
        ] {
            let answer = api_error(Endpoint::LoginInit, error);
            assert_eq!(answer, ApiError::internal());
        }
    }
}

#[cfg(test)]
mod body_tests {
    use axum::body::to_bytes;

    use super::*;

    async fn body_of(error: ApiError) -> (StatusCode, String, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let content_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn client_errors_carry_empty_details() {
        let (status, content_type, body) = body_of(ApiError::route_not_found()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/json");
        assert_eq!(
            body,
            serde_json::json!({"title": "Not Found", "details": "", "status": 404})
        );
    }

    #[tokio::test]
    async fn details_are_kept_in_field_order() {
        let response = ApiError::invalid_request("user_id is a required field").into_response();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"title":"unable to validate request","details":"user_id is a required field","status":400}"#
        );
    }

    #[tokio::test]
    async fn rate_limited_answers_say_when_to_retry() {
        let response = ApiError::too_many_requests(17).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "17");
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_to_retry_without_its_cause() {
        let answer = api_error(
            Endpoint::RegistrationFinal,
            Error::Unavailable("pool timed out".to_owned()),
        );
        let response = answer.into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            serde_json::json!({"title": "Service Unavailable", "details": "", "status": 503})
        );
    }

    #[tokio::test]
    async fn internal_errors_have_no_details() {
        let (status, _, body) = body_of(ApiError::internal()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"title": "Internal Server Error", "status": 500})
        );
    }
}
