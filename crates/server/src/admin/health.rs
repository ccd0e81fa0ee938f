//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use serde_json::{Value, json};

use super::AdminState;
use crate::hanko_passkey::error::ApiError;

/// The process answers.
pub(super) async fn alive() -> Json<Value> {
    Json(json!({"alive": true}))
}

/// The process answers and so does its store.
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

/// Prometheus scrape endpoint.
pub(super) async fn metrics<S: Store>(State(state): State<AdminState<S>>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
