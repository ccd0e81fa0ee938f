//! The console's one mapping from failures to pages. Engine errors reach it already mapped by
//! the admin API's (`admin::error::answer`), so a refusal reads the same in both.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::page;
use crate::hanko_passkey::error::ApiError;

/// A failed console request, shown as a page with its status.
#[derive(Debug)]
pub(super) struct ConsoleError(ApiError);

impl ConsoleError {
    pub(super) fn internal(cause: &'static str) -> Self {
        tracing::error!(cause, "console request failed");
        Self(ApiError::internal())
    }

    /// A post from another site, or without the console's origin.
    pub(super) fn cross_site() -> Self {
        Self(
            ApiError::new(StatusCode::FORBIDDEN, "Cross-site request refused")
                .with_details("the console only accepts changes sent from its own pages"),
        )
    }

    /// A post whose CSRF token is missing or belongs to another session.
    pub(super) fn stale_form() -> Self {
        Self(
            ApiError::new(StatusCode::FORBIDDEN, "Form refused").with_details(
                "the form is out of date or was not sent by this console: reload the page and try again",
            ),
        )
    }

    /// A post after the session ended.
    pub(super) fn session_expired() -> Self {
        Self(
            ApiError::new(StatusCode::UNAUTHORIZED, "Signed out")
                .with_details("the console session has ended: sign in again"),
        )
    }

    pub(super) fn bad_form(details: impl Into<String>) -> Self {
        Self(ApiError::bad_request("The form could not be read").with_details(details))
    }

    pub(super) fn not_found(what: &str) -> Self {
        Self(ApiError::not_found(format!("{what} not found")))
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let ApiError {
            status,
            title,
            details,
            retry_after,
            ..
        } = self.0;
        let body = html! {
            section.narrow {
                h1 { (status.as_u16()) " — " (title) }
                @if let Some(details) = details.filter(|details| !details.is_empty()) {
                    p.notice.error role="alert" { (details) }
                }
                p { a href="/console" { "Console home" } }
            }
        };
        let mut response = (status, page::bare(&title, body)).into_response();
        if let Some(seconds) = retry_after
            && let Ok(value) = seconds.to_string().parse()
        {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        response
    }
}

impl From<crate::http::error::Rejection> for ConsoleError {
    fn from(rejection: crate::http::error::Rejection) -> Self {
        use crate::http::error::Rejection;
        match rejection {
            Rejection::TooLarge => Self::bad_form("the request is too large"),
            Rejection::Unreadable(why) | Rejection::Invalid(why) => Self::bad_form(why),
        }
    }
}
