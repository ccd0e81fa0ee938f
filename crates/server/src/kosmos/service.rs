//! The service's own endpoints: health, environment, public key and service directory.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use latchkey_engine::Store;
use latchkey_engine::tokens::TOKEN_LIFETIME_SECONDS;
use serde_json::{Value, json};

use super::call::{ALLOWED_TIME_SPAN, Licensed};
use super::error::Failure;
use super::state::Kosmos;
use crate::http::json::BODY_LIMIT;
use crate::http::pagination::RequestUrl;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// GET `/webauthn/healthz`: the process answers; readiness of the store is the admin API's.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok", "code": "200", "version": VERSION}))
}

/// GET `/webauthn/publickeys`: the service's envelope key, standard base64 of raw `X ‖ Y`.
pub async fn public_keys<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
) -> Result<Json<Value>, Failure> {
    let key = state.service_key().await?;
    Ok(Json(json!({"publicKey": key.public_base64()})))
}

/// GET `/webauthn/environment` (license). The settings a client needs to talk to this service;
/// latchkey keeps no sessions, so the session fields carry fixed values. Nothing secret goes in
/// `env`.
pub async fn environment(_: Licensed) -> Json<Value> {
    Json(json!({
        "sessionMaxAgeMinute": 60,
        "appSessionIdleTimeout": 30,
        "instanceType": "latchkey",
        "allowed_time_span": ALLOWED_TIME_SPAN.whole_seconds(),
        "samlNotOrAfterSkewMinutes": 5,
        "jwtExpirationInMs": TOKEN_LIFETIME_SECONDS * 1000,
        "wxMaxBuffer": BODY_LIMIT,
        "ec_curve_name": "secp256k1",
        "env": {
            "direct": {},
            "application": {"name": "latchkey", "version": VERSION},
            "system": {},
            "os": {"platform": std::env::consts::OS, "arch": std::env::consts::ARCH},
        },
    }))
}

/// GET `/webauthn/sd`: the service directory, on the host the client addressed. Only
/// `webauthn` is served by latchkey; the other names keep the original's keys for clients
/// that read them.
///
/// The URLs follow the request's `Host`, so the answer must not be cached for other clients.
pub async fn service_directory(
    headers: HeaderMap,
    uri: Uri,
) -> ([(header::HeaderName, &'static str); 1], Json<Value>) {
    let origin = RequestUrl::of(&headers, &uri).origin;
    let mut directory = serde_json::Map::new();
    for (name, path) in [
        ("adminconsole", "adminconsole"),
        ("sessions", "sessions"),
        ("licenses", "licenses"),
        ("global_caas", "caas"),
        ("user_management", "users"),
        ("acr", "acr"),
        ("local_caas", "caas"),
        ("webauthn", "webauthn"),
    ] {
        directory.insert(name.to_owned(), Value::String(format!("{origin}/{path}")));
    }
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(Value::Object(directory)),
    )
}
