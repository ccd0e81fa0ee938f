//! The console's stylesheet and script, compiled into the binary.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ConsoleError;

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");

/// `GET /console/assets/{file}`.
pub(super) async fn serve(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "console.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return ConsoleError::not_found("asset").into_response(),
    };
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The binary is the version: an hour is short enough to pick up an upgrade.
            (CACHE_CONTROL, HeaderValue::from_static("max-age=3600")),
        ],
        body,
    )
        .into_response()
}
