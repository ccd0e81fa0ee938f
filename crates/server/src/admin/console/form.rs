//! What console handlers extract: the session the guard found, and forms with their CSRF token
//! checked before anything in them is read.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ConsoleError;
use super::session::Session;

/// The largest form the console accepts (a tenant configuration pasted as JSON is the largest).
const MAX_FORM_BYTES: usize = 256 * 1024;

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| ConsoleError::internal("a console route runs without its guard"))
    }
}

/// A form (`application/x-www-form-urlencoded`) whose `csrf` field is the session's token, and
/// the session.
#[derive(Debug)]
pub(super) struct Form<T>(pub(super) T, pub(super) Session);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| ConsoleError::internal("a console route runs without its guard"))?;
        let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| ConsoleError::bad_form("the form is larger than 256 KiB"))?;
        if !carries_token(&body, &session) {
            return Err(ConsoleError::stale_form());
        }
        let fields = serde_urlencoded::from_bytes(&body)
            .map_err(|error| ConsoleError::bad_form(error.to_string()))?;
        Ok(Self(fields, session))
    }
}

fn carries_token(body: &Bytes, session: &Session) -> bool {
    let mut presented = form_urlencoded::parse(body).filter(|(name, _)| name == "csrf");
    match (presented.next(), presented.next()) {
        (Some((_, token)), None) => session.accepts_csrf(&token),
        _ => false,
    }
}
