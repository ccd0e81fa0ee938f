//! `/webauthn/*`: passkey registration and login, and the session user's passkeys.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::model::UserId;
use latchkey_engine::{Engine, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::accounts::PathParams;
use super::error::{Endpoint, ErrorBody, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{Session, deliver};
use crate::extensions::{self, ExtensionInputsJson, results_json};
use crate::hanko_passkey::options::{CreationOptions, RequestOptions};
use crate::http::json::{RawJson, ValidJson};
use crate::http::meta::Meta;
use crate::http::signal::UserSignal;
use crate::http::validate::{Validate, Violations};

/// `{"credential_id", "user_id"}` of both finalizes.
#[derive(Serialize, ToSchema)]
pub struct Finalized {
    /// The credential id, base64url without padding.
    credential_id: String,
    user_id: Uuid,
    /// After a login only: the options of `PublicKeyCredential.signalAllAcceptedCredentials`
    /// and `signalCurrentUserDetails` for the user. An addition to the original's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<UserSignal>,
    /// The client extension results the finalize body carried that matter to the caller
    /// (`credProps`, `prf`, `largeBlob`), as read; absent when there were none. An addition to
    /// the original.
    #[serde(
        rename = "clientExtensionResults",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>, required = false)]
    client_extension_results: Option<serde_json::Value>,
}

/// POST `/webauthn/registration/initialize` (no body): options for the session's user.
#[utoipa::path(
    post,
    path = "/{tenant_id}/webauthn/registration/initialize",
    tag = "webauthn",
    summary = "Start registering a passkey",
    description = "Takes no body (one sent is not read).",
    responses(
        (status = 200, description = "The options for `navigator.credentials.create`.", body = ref("#/components/schemas/CreationOptions")),
        (status = 400, description = "The session's user no longer exists.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn registration_initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
) -> Result<Json<CreationOptions>, PublicError> {
    let options = engine
        .start_account_registration(tenant.id(), session.user, &meta)
        .await
        .map_err(|error| public_error(Endpoint::RegistrationInit, error))?;
    Ok(Json(options.into()))
}

/// POST `/webauthn/registration/finalize`.
#[utoipa::path(
    post,
    path = "/{tenant_id}/webauthn/registration/finalize",
    tag = "webauthn",
    summary = "Finish registering a passkey",
    request_body(content = ref("#/components/schemas/AttestationResponse"), content_type = "application/json"),
    responses(
        (status = 200, description = "The passkey is registered.", body = Finalized),
        (status = 400, description = "The body is not a credential, no registration is open for it, or the attestation failed.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 409, description = "The credential is registered already.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 422, description = "The authenticator did not verify the user where the tenant requires it.", body = ErrorBody),
        (status = 429, description = "Too many failed finishes from the client address or for the tenant (the server's `rate_limits`).", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a finish may be tried again."),
        )),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn registration_finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    RawJson(body, _): RawJson<PublicError>,
) -> Result<Json<Finalized>, PublicError> {
    let outcome = engine
        .finish_account_registration(tenant.id(), session.user, &body, &meta)
        .await
        .map_err(|error| public_error(Endpoint::RegistrationFinal, error))?;
    Ok(Json(Finalized {
        credential_id: URL_SAFE_NO_PAD.encode(&outcome.credential.id),
        user_id: session.user.0,
        signal: None,
        client_extension_results: results_json(&outcome.extension_results),
    }))
}

/// `{"user_id"}` of login `initialize`, optional.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInit {
    /// The user whose passkeys may answer; any discoverable passkey when absent.
    #[serde(default)]
    #[schema(format = Uuid)]
    user_id: Option<String>,
    /// Extension inputs for this login (an addition to the original): PRF salts
    /// (`prf.eval`, `prf.evalByCredential`) and large blob access (`largeBlob`).
    #[serde(default)]
    extensions: Option<ExtensionInputsJson>,
}

impl Validate for LoginInit {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        if let Some(user_id) = self.user_id.as_deref().filter(|id| !id.is_empty())
            && Uuid::parse_str(user_id).is_err()
        {
            violations.push("user_id must be a valid uuid4");
        }
        violations.finish()
    }
}

/// POST `/webauthn/login/initialize`: for the named user's passkeys, or discoverable.
#[utoipa::path(
    post,
    path = "/{tenant_id}/webauthn/login/initialize",
    tag = "webauthn",
    summary = "Start a passkey login",
    request_body(content = Option<LoginInit>, content_type = "application/json", description = "Optional: an absent body reads as `{}`."),
    responses(
        (status = 200, description = "The options for `navigator.credentials.get`.", body = ref("#/components/schemas/RequestOptions")),
        (status = 400, description = "The body is not a JSON object of this shape, `user_id` is not a UUID, or the user is unknown or has no usable passkey.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 429, description = "Too many logins without a user from the client address or for the tenant (the server's `rate_limits`).", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a login may be started again."),
        )),
    ),
)]
pub async fn login_initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<LoginInit, PublicError>,
) -> Result<Json<RequestOptions>, PublicError> {
    let user = body
        .user_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())
        .map(UserId);
    let refused = |error| public_error(Endpoint::LoginInit, error);
    let inputs = extensions::inputs(body.extensions).map_err(refused)?;
    let options = engine
        .start_account_login(tenant.id(), user, inputs, &meta)
        .await
        .map_err(refused)?;
    Ok(Json(options.into()))
}

/// POST `/webauthn/login/finalize`: a login answer.
#[utoipa::path(
    post,
    path = "/{tenant_id}/webauthn/login/finalize",
    tag = "webauthn",
    summary = "Finish a passkey login",
    request_body(content = ref("#/components/schemas/AssertionResponse"), content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in.", body = Finalized, headers(
            ("X-Session-Lifetime" = u64, description = "Seconds the session lasts."),
            ("X-Auth-Token" = String, description = "The session token, where `session.enable_auth_token_header` is on."),
            ("Set-Cookie" = String, description = "The session cookie, where `session.enable_auth_token_header` is off."),
        )),
        (status = 400, description = "The body is not a credential.", body = ErrorBody),
        (status = 401, description = "No login is open for it, or the assertion failed. When the tenant holds no credential with the assertion's id, `signal` holds the options of `PublicKeyCredential.signalUnknownCredential`.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 429, description = "Too many failed finishes from the client address or for the tenant (the server's `rate_limits`).", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a finish may be tried again."),
        )),
    ),
)]
pub async fn login_finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    RawJson(body, _): RawJson<PublicError>,
) -> Result<Response, PublicError> {
    let login = engine
        .finish_account_login(tenant.id(), &body, &meta)
        .await
        .map_err(|error| public_error(Endpoint::LoginFinal, error))?;
    let mut response = Json(Finalized {
        credential_id: URL_SAFE_NO_PAD.encode(&login.credential_id),
        user_id: login.user.0,
        signal: login.signals.map(Into::into),
        client_extension_results: results_json(&login.extension_results),
    })
    .into_response();
    deliver(&mut response, &tenant, &login.session);
    Ok(response)
}

/// A passkey as the original lists it (its `WebauthnCredentialResponse`), here, in the admin
/// API and in webhook events.
use latchkey_engine::accounts::PasskeyData as Listed;

/// GET `/webauthn/credentials`.
#[utoipa::path(
    get,
    path = "/{tenant_id}/webauthn/credentials",
    operation_id = "list_credentials",
    tag = "webauthn",
    summary = "The session user's passkeys",
    responses(
        (status = 200, description = "The passkeys.", body = ref("#/components/schemas/Credentials")),
        (status = 401, description = "No valid session.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn list<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Session(session): Session,
) -> Result<Response, PublicError> {
    let credentials = engine
        .own_credentials(tenant.id(), session.user)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    let listed: Vec<Listed> = credentials.into_iter().map(Listed::from).collect();
    Ok(Json(listed).into_response())
}

/// `{"name"}` of `PATCH`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Rename {
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    name: Option<String>,
}

impl Validate for Rename {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("name", self.name.as_deref().unwrap_or_default());
        violations.finish()
    }
}

/// The credential id of the path; an id that is not base64url names no credential.
fn credential_id(params: &PathParams) -> Result<Vec<u8>, PublicError> {
    params
        .get("id")
        .and_then(|id| URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok())
        .ok_or_else(PublicError::not_found)
}

/// PATCH `/webauthn/credentials/{id}`: 200 with an empty body, as the original.
#[utoipa::path(
    patch,
    path = "/{tenant_id}/webauthn/credentials/{id}",
    operation_id = "rename_credential",
    tag = "webauthn",
    summary = "Rename a passkey",
    params(("id" = String, Path, description = "The credential id, base64url.")),
    request_body(content = Rename, content_type = "application/json"),
    responses(
        (status = 200, description = "Renamed; the body is empty, as the original's."),
        (status = 400, description = "The body is not a JSON object of this shape, or the name is missing or too long.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 404, description = "The user has no such passkey.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn rename<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    Path(params): Path<PathParams>,
    ValidJson(body, _): ValidJson<Rename, PublicError>,
) -> Result<Response, PublicError> {
    let id = credential_id(&params)?;
    engine
        .rename_own_credential(
            tenant.id(),
            session.user,
            &id,
            body.name.as_deref().unwrap_or_default(),
            &meta,
        )
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    Ok(StatusCode::OK.into_response())
}

/// DELETE `/webauthn/credentials/{id}`: 204.
#[utoipa::path(
    delete,
    path = "/{tenant_id}/webauthn/credentials/{id}",
    operation_id = "delete_credential",
    tag = "webauthn",
    summary = "Delete a passkey",
    params(("id" = String, Path, description = "The credential id, base64url.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 404, description = "The user has no such passkey.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn delete<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    Path(params): Path<PathParams>,
) -> Result<Response, PublicError> {
    let id = credential_id(&params)?;
    engine
        .delete_own_credential(tenant.id(), session.user, &id, &meta)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// GET `/webauthn/signals`: what a page may pass to WebAuthn's signal methods for the session's
/// user, after a change the original answers with an array or no body. An addition to the
/// original's API.
#[utoipa::path(
    get,
    path = "/{tenant_id}/webauthn/signals",
    operation_id = "signals",
    tag = "webauthn",
    summary = "The session user's signal options",
    description = "The options of `PublicKeyCredential.signalAllAcceptedCredentials` (every passkey the user has) and `signalCurrentUserDetails` (the primary address, as a registration names the user), ready to pass to the browser.",
    responses(
        (status = 200, description = "The signal options.", body = UserSignal),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 404, description = "The tenant does not exist or does not serve this API, or the session's user no longer exists.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn signals<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Session(session): Session,
) -> Result<Json<UserSignal>, PublicError> {
    let signals = engine
        .account_signals(tenant.id(), session.user)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    Ok(Json(signals.into()))
}
