//! Keeps a client's connection usable when a request is answered without reading its body.
//!
//! A request refused before its body is read (unknown tenant, missing API key) leaves the body
//! on the connection. hyper then drops the connection after the answer, but the answer does not
//! say so, and a client that sent the body after the headers reuses the connection for its
//! next request, which fails. Go's server, which Hanko clients were written against, says
//! `Connection: close` in that case; so does this layer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::Request;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Put into a request with a body; the body reader sets it once it has read the whole body.
#[derive(Debug, Clone, Default)]
pub struct BodyRead(Arc<AtomicBool>);

impl BodyRead {
    /// Records that the body was read to its end.
    pub fn record(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Whether the request carries a body, as HTTP/1.1 framing says (RFC 9112 §6.3): a
/// Transfer-Encoding or a non-zero Content-Length. The headers are asked rather than the body,
/// whose end-of-stream hint the body-deadline layer's wrapper does not pass on.
pub fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .is_some_and(|length| length > 0)
}

/// Middleware: an answer to a request whose body was not read closes the connection.
pub async fn close_if_body_unread(mut request: Request, next: Next) -> Response {
    if !has_body(request.headers()) {
        return next.run(request).await;
    }
    let read = BodyRead::default();
    request.extensions_mut().insert(read.clone());
    let mut response = next.run(request).await;
    if !read.happened() {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;
    use crate::hanko_passkey::error::ApiError;
    use crate::http::json::RawJson;

    fn app() -> Router {
        Router::new()
            .route("/read", post(|_: RawJson<ApiError>| async { "read" }))
            .route("/refuse", post(|| async { "refused" }))
            .layer(from_fn(close_if_body_unread))
    }

    async fn connection(path: &str, body: &'static str) -> Option<HeaderValue> {
        let request = Request::post(path)
            .header(CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        response.headers().get(CONNECTION).cloned()
    }

    #[tokio::test]
    async fn an_unread_body_closes_the_connection() {
        assert_eq!(
            connection("/refuse", "{}").await,
            Some(HeaderValue::from_static("close"))
        );
    }

    #[tokio::test]
    async fn a_read_or_empty_body_keeps_it() {
        assert_eq!(connection("/read", "{}").await, None);
        assert_eq!(connection("/refuse", "").await, None);
    }
}
