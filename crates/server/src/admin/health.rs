//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use serde_json::{Value, json};

use super::AdminState;
use super::schemas::{AdminError, Alive, Ready};
use crate::hanko_passkey::error::ApiError;

/// The process answers.
#[utoipa::path(get, path = "/health/alive", tag = "health",
    responses((status = 200, description = "Always `{\"alive\": true}`.", body = Alive)))]
pub(super) async fn alive() -> Json<Value> {
    Json(json!({"alive": true}))
}

/// The process answers and so does its store.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "`{\"ready\": true}`.", body = Ready),
        (status = 503, description = "`Service Unavailable`: the store does not answer.", body = AdminError),
    ))]
pub(super) async fn ready<S: Store>(
    State(state): State<AdminState<S>>,
) -> Result<Json<Value>, ApiError> {
    match state.engine.check_store().await {
        Ok(_) => Ok(Json(json!({"ready": true}))),
        Err(error) => {
            tracing::warn!(%error, "not ready: the store does not answer");
            Err(ApiError::unavailable())
        }
    }
}

/// Prometheus scrape endpoint: request counts and latencies per listener and dialect.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "The metrics in Prometheus's text exposition format 0.0.4.",
        content_type = "text/plain; version=0.0.4; charset=utf-8", body = String)))]
pub(super) async fn metrics<S: Store>(State(state): State<AdminState<S>>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
