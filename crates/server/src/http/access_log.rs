//! One `info` line per request: method, path, status, latency and request id. Never headers,
//! query strings or bodies, which may carry API keys, user ids or credentials.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::request_id::RequestId;

/// Middleware; it must run inside [`super::request_id::request_id`] to see the id.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    tracing::info!(
        target: "latchkey::access",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %id,
        "request"
    );
    response
}
