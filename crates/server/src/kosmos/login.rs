//! Passkey login: `assertion/options` answers request options, `assertion/result` verifies the
//! assertion and answers the user with a `signature_token`; each encrypted, and plain under
//! `/u1`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::RequestMeta;
use latchkey_engine::Store;
use latchkey_engine::model::License;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::call::{Body, Envelope, Licensed, RawBody, Sealed, SealedAnswer};
use super::ceremony::{OptionsRequest, ResultRequest, SessionInfo, realm};
use super::error::Failure;
use super::openapi::{
    CEREMONY_FAILED, EnvelopeFailures, EnvelopeHeaders, LicenseFailures, RATE_LIMITED,
    SessionInfoHeader,
};
use super::options::RequestOptions;
use super::registration::Subject;
use super::state::Kosmos;
use crate::extensions::results_json;
use crate::http::meta::Meta;

/// The answer of an assertion result. `signature_token` is a JWT signed with the
/// organisation's keys (its JWKS is the Hanko route of the organisation tenant).
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    data: Subject,
    #[schema(pattern = "^ok$")]
    status: &'static str,
    #[serde(rename = "errorMessage")]
    #[schema(max_length = 0)]
    error_message: &'static str,
    /// A JWT signed with the organisation's keys: `sub`, `aud` (the `dns`), `iat`, `exp`,
    /// `cred` (the credential id) and `community`.
    signature_token: String,
}

/// Starts a login (encrypted)
///
/// The body's `data` decrypts to an `OptionsRequest` (without a `username` the login is
/// discoverable); the answer's `data` decrypts to `RequestOptions`.
#[utoipa::path(post, path = "/webauthn/assertion/options", operation_id = "assertionOptions",
    tag = "FIDO authentication", params(EnvelopeHeaders),
    request_body(content = Envelope, content_type = "application/json"),
    responses(
        (status = 200, description = "The request options, encrypted (`RequestOptions`).", body = SealedAnswer),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community or user, or a user without credentials.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until a new start is allowed."))),
    ))]
pub async fn options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<SealedAnswer>, Failure> {
    let request = sealed.open_body(&body)?;
    let options = start(&state, &sealed.license, request, &meta).await?;
    sealed.answer(&options)
}

/// Starts a login
///
/// Without a `username` the login is discoverable.
#[utoipa::path(post, path = "/webauthn/u1/assertion/options", operation_id = "u1AssertionOptions",
    tag = "u1 authentication", security(("licenseKey" = [])),
    request_body(content = OptionsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The request options.", body = RequestOptions),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community or user, or a user without credentials.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until a new start is allowed."))),
    ))]
pub async fn u1_options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Meta(meta): Meta,
    Body(request): Body<OptionsRequest>,
) -> Result<Json<RequestOptions>, Failure> {
    start(&state, &license, request, &meta).await.map(Json)
}

/// Finishes a login (encrypted)
///
/// The body's `data` decrypts to a `CredentialResult` (the authenticator's assertion
/// response); the answer's `data` decrypts to `LoggedIn`.
#[utoipa::path(post, path = "/webauthn/assertion/result", operation_id = "assertionResult",
    tag = "FIDO authentication", params(EnvelopeHeaders),
    request_body(content = Envelope, content_type = "application/json"),
    responses(
        (status = 200, description = "The user and a signature token, encrypted (`LoggedIn`).", body = SealedAnswer),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community, user or credential.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 422, description = CEREMONY_FAILED, body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until failed ceremonies are counted afresh."))),
    ))]
pub async fn result<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<SealedAnswer>, Failure> {
    let body: Value = sealed.open_body(&body)?;
    let logged_in = finish(&state, &sealed.license, &body, &meta).await?;
    sealed.answer(&logged_in)
}

/// Finishes a login
#[utoipa::path(post, path = "/webauthn/u1/assertion/result", operation_id = "u1AssertionResult",
    tag = "u1 authentication", params(SessionInfoHeader), security(("licenseKey" = [])),
    request_body(content = ref("#/components/schemas/CredentialResult"), content_type = "application/json"),
    responses(
        (status = 200, description = "The user and a signature token.", body = LoggedIn),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community, user or credential.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 422, description = CEREMONY_FAILED, body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until failed ceremonies are counted afresh."))),
    ))]
pub async fn u1_result<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Meta(meta): Meta,
    session: SessionInfo,
    Body(body): Body<Value>,
) -> Result<Json<LoggedIn>, Failure> {
    session.trace("u1/assertion/result");
    finish(&state, &license, &body, &meta).await.map(Json)
}

/// Without a `username` the login is discoverable.
async fn start<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    mut request: OptionsRequest,
    meta: &RequestMeta,
) -> Result<RequestOptions, Failure> {
    let inputs = request.extension_inputs()?;
    let username = request.username(false)?;
    let realm = realm(&state.engine, license, &request.community_id, &request.dns).await?;
    let options = state
        .engine
        .start_login_with(realm.id, username, inputs, meta)
        .await?;
    Ok(options.into())
}

async fn finish<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    body: &Value,
    meta: &RequestMeta,
) -> Result<LoggedIn, Failure> {
    let request = ResultRequest::read(body)?;
    let realm = realm(&state.engine, license, &request.community_id, &request.dns).await?;
    let outcome = state
        .engine
        .finish_login(realm.id, &request.credential, meta)
        .await?;
    Ok(LoggedIn {
        data: Subject {
            sub: outcome.user_id,
            client_extension_results: results_json(&outcome.extension_results),
        },
        status: "ok",
        error_message: "",
        signature_token: outcome.token,
    })
}
