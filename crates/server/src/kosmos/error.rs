//! The one place where failures become 1Kosmos error answers: `{"status": "failed",
//! "errorMessage": "..."}` with a 4xx status (the shape of the FIDO conformance server binding
//! these endpoints follow), or a 500 without its cause for server faults.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use latchkey_engine::{Entity, Error, UNAVAILABLE_RETRY_AFTER_SECS};
use serde::Serialize;

use super::envelope::EnvelopeError;
use crate::http::Rejection;
use crate::http::signal::CredentialSignal;

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// Seconds after which a refused request may be sent again (`Retry-After`).
    pub retry_after: Option<u64>,
    /// What the page may tell the browser about the credential the request named.
    pub signal: Option<CredentialSignal>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            signal: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// A server fault. Log the cause before returning it.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }
}

#[derive(Serialize)]
struct Body<'a> {
    status: &'static str,
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
    /// Only on a refused login whose credential the server does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a CredentialSignal>,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = Body {
            status: "failed",
            error_message: &self.message,
            signal: self.signal.as_ref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::UnknownCredential { missing, signal } => Self {
                signal: Some(CredentialSignal::from(signal.as_ref())),
                ..Self::from(Error::NotFound(missing))
            },
            Error::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, format!("{} not found", entity(what)))
            }
            Error::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                format!("{} already exists", entity(what)),
            ),
            Error::Invalid { .. } => Self::bad_request(error.to_string()),
            Error::ApiKeyInvalid | Error::LicenseInvalid => {
                Self::unauthorized("the license key is invalid")
            }
            Error::Forbidden(reason) => Self::forbidden(reason),
            // The request's proof of freshness failed, like an expired signature.
            Error::RequestStale => {
                Self::unauthorized("requestid is stale: its ts is outside the allowed time span")
            }
            Error::RequestReplayed => Self::new(
                StatusCode::CONFLICT,
                "requestid was already used: send a new uuid with every request",
            ),
            Error::NoCredentials => Self::new(
                StatusCode::NOT_FOUND,
                "user has no suitable credentials for this operation",
            ),
            Error::AuthenticatorDisabled(_)
            | Error::CeremonyNotFound
            | Error::CeremonyExpired
            | Error::CeremonyMismatch(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
            }
            Error::Verification(ref failure) => {
                let status = if failure.kind() == "malformed" {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Self::new(status, error.to_string())
            }
            // Only raised when a presented token is checked: the caller's token was refused.
            Error::Token(_) => Self::unauthorized(error.to_string()),
            Error::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, error.to_string())
            },
            Error::Unavailable(_) => {
                tracing::warn!(error = %error, "database unavailable");
                Self {
                    retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
                    ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "service unavailable")
                }
            }
            Error::Storage(_) | Error::Crypto(_) => {
                tracing::error!(error = %error, "engine failure");
                Self::internal()
            }
            // Errors of the Hanko Public API's calls: reaching one here is a server fault.
            Error::LimitReached(_)
            | Error::PrimaryEmail
            | Error::WrongSecret(_)
            | Error::AttemptsExhausted
            | Error::Expired(_)
            | Error::ThirdParty(_) => {
                tracing::error!(error = %error, "unexpected engine error in the 1Kosmos API");
                Self::internal()
            }
        }
    }
}

/// An entity in this API's words: it calls authenticator policies vendor metadata.
fn entity(what: Entity) -> &'static str {
    match what {
        Entity::AuthenticatorPolicy => "vendor metadata",
        other => other.as_str(),
    }
}

impl From<EnvelopeError> for Failure {
    fn from(error: EnvelopeError) -> Self {
        Self::bad_request(error.to_string())
    }
}

/// A request the shared HTTP layer could not read, in the words the Hanko dialect uses too.
impl From<Rejection> for Failure {
    fn from(rejection: Rejection) -> Self {
        let (status, title, reason) = match rejection {
            Rejection::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
                String::new(),
            ),
            Rejection::Unreadable(reason) => {
                (StatusCode::BAD_REQUEST, "unable to process request", reason)
            }
            Rejection::Invalid(rule) => {
                (StatusCode::BAD_REQUEST, "unable to validate request", rule)
            }
        };
        if reason.is_empty() {
            Self::new(status, title)
        } else {
            Self::new(status, format!("{title}: {reason}"))
        }
    }
}

/// Router fallback for paths under `/webauthn` without a route.
pub async fn route_not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "not found")
}

/// Router fallback for a known path asked with a method it does not serve.
pub async fn method_not_allowed() -> Failure {
    Failure::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use latchkey_engine::model::Operation;
    use latchkey_webauthn::Error as Check;
    use serde_json::{Value, json};

    use super::*;

    fn status_of(error: Error) -> u16 {
        Failure::from(error).status.as_u16()
    }

    #[tokio::test]
    async fn body_shape() {
        let response = Failure::forbidden("no").into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()["content-type"], "application/json");
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"status": "failed", "errorMessage": "no"})
        );
    }

    #[tokio::test]
    async fn an_unknown_credential_is_a_404_naming_it_for_the_signal_api() {
        let unknown = Error::UnknownCredential {
            missing: Entity::Credential,
            signal: Box::new(latchkey_engine::signals::UnknownCredential {
                rp_id: "bank.example".to_owned(),
                credential_id: vec![1, 2, 3],
            }),
        };
        let response = Failure::from(unknown).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = serde_json::from_slice::<Value>(&bytes).unwrap();
        assert_eq!(body["status"], "failed");
        assert_eq!(
            body["signal"],
            json!({"unknownCredential": {"rpId": "bank.example", "credentialId": "AQID"}})
        );
    }

    #[test]
    fn rate_limited_calls_say_when_to_retry() {
        let response = Failure::from(Error::RateLimited {
            retry_after_secs: 9,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "9");
    }

    #[test]
    fn client_mistakes_are_4xx() {
        assert_eq!(status_of(Error::LicenseInvalid), 401);
        assert_eq!(status_of(Error::Forbidden("scope")), 403);
        assert_eq!(status_of(Error::NotFound(Entity::Community)), 404);
        assert_eq!(status_of(Error::NoCredentials), 404);
        assert_eq!(status_of(Error::Conflict(Entity::Credential)), 409);
        assert_eq!(status_of(Error::RequestStale), 401);
        assert_eq!(status_of(Error::RequestReplayed), 409);
        assert_eq!(
            status_of(Error::Invalid {
                field: "did",
                reason: "too long".to_owned()
            }),
            400
        );
        assert_eq!(status_of(Error::Verification(Check::Base64("rawId"))), 400);
        assert_eq!(status_of(Error::Verification(Check::OriginMismatch)), 422);
        assert_eq!(status_of(Error::CeremonyNotFound), 422);
        assert_eq!(status_of(Error::CeremonyExpired), 422);
        assert_eq!(
            status_of(Error::CeremonyMismatch(Operation::Authentication)),
            422
        );
        assert_eq!(
            status_of(Error::AuthenticatorDisabled(
                latchkey_engine::AuthenticatorRefusal::disabled(uuid::Uuid::nil(),)
            )),
            422
        );
        assert_eq!(status_of(Error::Token("expired")), 401);
        assert_eq!(
            Failure::from(Error::NotFound(Entity::User)).message,
            "user not found"
        );
        assert_eq!(
            Failure::from(Error::NotFound(Entity::AuthenticatorPolicy)).message,
            "vendor metadata not found"
        );
    }

    #[test]
    fn server_faults_hide_their_cause() {
        for error in [
            Error::Storage("db down".to_owned()),
            Error::Crypto("bad key"),
        ] {
            assert_eq!(Failure::from(error), Failure::internal());
        }
    }

    #[test]
    fn an_unreachable_database_is_a_503_to_retry_without_its_cause() {
        let failure = Failure::from(Error::Unavailable("connection refused".to_owned()));
        assert_eq!(failure.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(failure.message, "service unavailable");
        let response = failure.into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "5");
    }

    #[test]
    fn envelope_and_body_errors_keep_their_words() {
        assert_eq!(
            Failure::from(EnvelopeError::Decrypt("data")),
            Failure::bad_request("data could not be decrypted (wrong key or tampered data)")
        );
        assert_eq!(
            Failure::from(Rejection::TooLarge),
            Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
        );
        assert_eq!(
            Failure::from(Rejection::Unreadable("eof".to_owned())).message,
            "unable to process request: eof"
        );
    }
}
