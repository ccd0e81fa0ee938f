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
use uuid::Uuid;

use super::accounts::PathParams;
use super::error::{Endpoint, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{Session, deliver};
use crate::hanko_passkey::options::{CreationOptions, RequestOptions};
use crate::http::json::{RawJson, ValidJson};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// `{"credential_id", "user_id"}` of both finalizes.
#[derive(Serialize)]
pub struct Finalized {
    credential_id: String,
    user_id: Uuid,
}

/// POST `/webauthn/registration/initialize` (no body): options for the session's user.
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
pub async fn registration_finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    RawJson(body, _): RawJson<PublicError>,
) -> Result<Json<Finalized>, PublicError> {
    let credential = engine
        .finish_account_registration(tenant.id(), session.user, &body, &meta)
        .await
        .map_err(|error| public_error(Endpoint::RegistrationFinal, error))?;
    Ok(Json(Finalized {
        credential_id: URL_SAFE_NO_PAD.encode(&credential.id),
        user_id: session.user.0,
    }))
}

/// `{"user_id"}` of login `initialize`, optional.
#[derive(Debug, Deserialize)]
pub struct LoginInit {
    #[serde(default)]
    user_id: Option<String>,
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
    let options = engine
        .start_account_login(tenant.id(), user, &meta)
        .await
        .map_err(|error| public_error(Endpoint::LoginInit, error))?;
    Ok(Json(options.into()))
}

/// POST `/webauthn/login/finalize`: a login answer.
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
    })
    .into_response();
    deliver(&mut response, &tenant, &login.session);
    Ok(response)
}

/// A passkey as the original lists it (its `WebauthnCredentialResponse`), here, in the admin
/// API and in webhook events.
use latchkey_engine::accounts::PasskeyData as Listed;

/// GET `/webauthn/credentials`.
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
#[derive(Debug, Deserialize)]
pub struct Rename {
    #[serde(default)]
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
