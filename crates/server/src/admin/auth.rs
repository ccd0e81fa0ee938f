//! The optional admin bearer token. The original admin API has none and relies on network
//! isolation; latchkey requires one unless the operator binds the admin API to loopback.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::hanko_passkey::error::ApiError;

/// The configured token, kept as its SHA-256 so that every comparison is between two 32-byte
/// values: constant time, and the token's length does not show in the timing either.
#[derive(Clone)]
pub(super) struct BearerToken(Option<Arc<[u8]>>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BearerToken")
            .field(&self.0.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl BearerToken {
    /// `None` lets every request in.
    pub(super) fn new(token: Option<&str>) -> Self {
        Self(token.map(|token| Arc::from(digest(&SHA256, token.as_bytes()).as_ref())))
    }

    /// The token's SHA-256 (empty when none is configured), to bind console sessions to it.
    pub(super) fn fingerprint(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }

    /// Whether a token is configured: without one, the admin API and console are open.
    pub(super) fn is_required(&self) -> bool {
        self.0.is_some()
    }

    /// Whether `presented` is the token (always, when none is configured).
    pub(super) fn accepts(&self, presented: &str) -> bool {
        let Some(expected) = &self.0 else {
            return true;
        };
        let presented = digest(&SHA256, presented.as_bytes());
        verify_slices_are_equal(presented.as_ref(), expected).is_ok()
    }

    /// Whether the request's `Authorization` header carries the token.
    fn admits(&self, headers: &HeaderMap) -> bool {
        if !self.is_required() {
            return true;
        }
        presented_token(headers).is_some_and(|presented| self.accepts(presented))
    }
}

/// The credentials of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware: answers 401 unless the request carries the admin token.
pub(super) async fn require_token(
    State(token): State<BearerToken>,
    request: Request,
    next: Next,
) -> Response {
    if token.admits(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "admin request without a valid bearer token"
    );
    unauthorized()
}

fn unauthorized() -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
        .with_details("the admin API needs an Authorization: Bearer <token> header")
        .into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn no_token_configured_admits_everyone() {
        let token = BearerToken::new(None);
        assert!(token.admits(&headers(None)));
        assert!(token.admits(&headers(Some("Bearer anything"))));
    }

    #[test]
    fn only_the_right_token_is_admitted() {
        let token = BearerToken::new(Some("s3cret-token"));
        assert!(token.admits(&headers(Some("Bearer s3cret-token"))));
        assert!(token.admits(&headers(Some("bearer   s3cret-token "))));
        assert!(!token.admits(&headers(None)));
        assert!(!token.admits(&headers(Some("Bearer"))));
        assert!(!token.admits(&headers(Some("Bearer "))));
        assert!(!token.admits(&headers(Some("Bearer s3cret-token2"))));
        assert!(!token.admits(&headers(Some("Bearer s3cret-toke"))));
        assert!(!token.admits(&headers(Some("Basic s3cret-token"))));
        assert!(!token.admits(&headers(Some("s3cret-token"))));
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let shown = format!("{:?}", BearerToken::new(Some("s3cret-token")));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[tokio::test]
    async fn refusal_asks_for_a_bearer_token() {
        let response = unauthorized();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["title"], "Unauthorized");
        assert_eq!(body["status"], 401);
    }
}
