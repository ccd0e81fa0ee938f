//! The error body of the Hanko passkey dialect and the admin API: `{"title","details","status"}`,
//! the shape of the Hanko passkey server's echo error handler. The 1Kosmos dialect answers in
//! its own shape, converting these in `kosmos/error.rs`.

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer. `details` is `Some("")` for client errors (the original always sends the
/// field) and `None` only for internal errors, whose cause stays in the server log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: String,
    pub details: Option<String>,
    /// Seconds after which a refused request may be sent again (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with empty details.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
            details: Some(String::new()),
            retry_after: None,
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

#[derive(Serialize)]
struct Body<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a str>,
    status: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            title: &self.title,
            details: self.details.as_deref(),
            status: self.status.as_u16(),
        };
        // Serialising three plain fields cannot fail; the fallback keeps the status regardless.
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

#[cfg(test)]
mod tests {
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
    async fn internal_errors_have_no_details() {
        let (status, _, body) = body_of(ApiError::internal()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"title": "Internal Server Error", "status": 500})
        );
    }
}
