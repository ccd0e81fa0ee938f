//! The service's own endpoints: health, environment, public key and service directory.

use std::sync::Arc;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use latchkey_engine::Store;
use latchkey_engine::tokens::TOKEN_LIFETIME_SECONDS;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::call::{ALLOWED_TIME_SPAN, Licensed};
use super::error::Failure;
use super::openapi::{LicenseFailures, STORAGE_UNAVAILABLE};
use super::state::Kosmos;
use crate::http::json::BODY_LIMIT;
use crate::http::pagination::RequestUrl;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `"200"`, as text.
    code: &'static str,
    #[schema(pattern = "^ok$")]
    status: &'static str,
    /// latchkey's version.
    version: &'static str,
}

/// The answer of `/publickeys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeys {
    /// The service's secp256k1 public key: standard base64 of the raw 64-byte `X ‖ Y`.
    #[serde(rename = "publicKey")]
    #[schema(content_encoding = "base64")]
    public_key: String,
}

/// The answer of `/environment`; `env` holds nothing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Environment {
    /// Seconds `requestid.ts` may be from the service's clock.
    allowed_time_span: i64,
    /// Minutes (latchkey keeps no sessions: a fixed value).
    #[serde(rename = "appSessionIdleTimeout")]
    app_session_idle_timeout: u32,
    /// The curve of the request envelope.
    #[schema(pattern = "^secp256k1$")]
    ec_curve_name: &'static str,
    #[schema(value_type = Object)]
    env: Value,
    #[serde(rename = "instanceType")]
    instance_type: &'static str,
    /// Lifetime of a `signature_token`.
    #[serde(rename = "jwtExpirationInMs")]
    jwt_expiration_in_ms: i64,
    #[serde(rename = "samlNotOrAfterSkewMinutes")]
    saml_not_or_after_skew_minutes: u32,
    /// Minutes (latchkey keeps no sessions: a fixed value).
    #[serde(rename = "sessionMaxAgeMinute")]
    session_max_age_minute: u32,
    /// Largest request body in bytes.
    #[serde(rename = "wxMaxBuffer")]
    wx_max_buffer: usize,
}

/// Liveness
///
/// The process answers; readiness of the store is the admin API's.
#[utoipa::path(get, path = "/webauthn/healthz", operation_id = "healthz", tag = "health",
    responses((status = 200, description = "The service runs.", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        code: "200",
        status: "ok",
        version: VERSION,
    })
}

/// The service's public key
///
/// The key of the request envelope, standard base64 of the raw `X ‖ Y`.
#[utoipa::path(get, path = "/webauthn/publickeys", operation_id = "publicKeys", tag = "public key",
    responses(
        (status = 200, description = "The envelope key.", body = PublicKeys),
        (status = 503, description = STORAGE_UNAVAILABLE, body = Failure),
    ))]
pub async fn public_keys<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
) -> Result<Json<PublicKeys>, Failure> {
    let key = state.service_key().await?;
    Ok(Json(PublicKeys {
        public_key: key.public_base64().to_owned(),
    }))
}

/// The settings a client needs
///
/// latchkey keeps no sessions, so the session fields carry fixed values.
#[utoipa::path(get, path = "/webauthn/environment", operation_id = "environment",
    tag = "environment", security(("licenseKey" = [])),
    responses(
        (status = 200, description = "The environment.", body = Environment),
        LicenseFailures,
    ))]
pub async fn environment(_: Licensed) -> Json<Environment> {
    Json(Environment {
        allowed_time_span: ALLOWED_TIME_SPAN.whole_seconds(),
        app_session_idle_timeout: 30,
        ec_curve_name: "secp256k1",
        env: json!({
            "direct": {},
            "application": {"name": "latchkey", "version": VERSION},
            "system": {},
            "os": {"platform": std::env::consts::OS, "arch": std::env::consts::ARCH},
        }),
        instance_type: "latchkey",
        jwt_expiration_in_ms: TOKEN_LIFETIME_SECONDS * 1000,
        saml_not_or_after_skew_minutes: 5,
        session_max_age_minute: 60,
        wx_max_buffer: BODY_LIMIT,
    })
}

/// The service directory
///
/// Service name to URL, on the host the client addressed. Only `webauthn` is served by
/// latchkey; the other names keep the original's keys for clients that read them.
///
/// The URLs follow the request's `Host`, so the answer must not be cached for other clients.
#[utoipa::path(get, path = "/webauthn/sd", operation_id = "serviceDirectory",
    tag = "service directory",
    responses((status = 200, description = "Service name to URL.", body = BTreeMap<String, String>,
        headers(("Cache-Control" = String, description = "`no-store`: the URLs follow the request's `Host`.")))))]
pub async fn service_directory(
    headers: HeaderMap,
    uri: Uri,
) -> (
    [(header::HeaderName, &'static str); 1],
    Json<BTreeMap<String, String>>,
) {
    let origin = RequestUrl::of(&headers, &uri).origin;
    let mut directory = BTreeMap::new();
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
        directory.insert(name.to_owned(), format!("{origin}/{path}"));
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(directory))
}
