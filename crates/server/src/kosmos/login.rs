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

use super::call::{Body, Licensed, RawBody, Sealed};
use super::ceremony::{OptionsRequest, ResultRequest, SessionInfo, realm};
use super::error::Failure;
use super::options::RequestOptions;
use super::registration::Subject;
use super::state::Kosmos;
use crate::http::meta::Meta;

/// The answer of an assertion result. `signature_token` is a JWT signed with the
/// organisation's keys (its JWKS is the Hanko route of the organisation tenant).
#[derive(Debug, Serialize)]
pub struct LoggedIn {
    data: Subject,
    status: &'static str,
    #[serde(rename = "errorMessage")]
    error_message: &'static str,
    signature_token: String,
}

/// POST `/webauthn/assertion/options` (encrypted).
pub async fn options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<Value>, Failure> {
    let request = sealed.open_body(&body)?;
    let options = start(&state, &sealed.license, request, &meta).await?;
    sealed.answer(&options)
}

/// POST `/webauthn/u1/assertion/options`.
pub async fn u1_options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Meta(meta): Meta,
    Body(request): Body<OptionsRequest>,
) -> Result<Json<RequestOptions>, Failure> {
    start(&state, &license, request, &meta).await.map(Json)
}

/// POST `/webauthn/assertion/result` (encrypted).
pub async fn result<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<Value>, Failure> {
    let body: Value = sealed.open_body(&body)?;
    let logged_in = finish(&state, &sealed.license, &body, &meta).await?;
    sealed.answer(&logged_in)
}

/// POST `/webauthn/u1/assertion/result`.
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
    request: OptionsRequest,
    meta: &RequestMeta,
) -> Result<RequestOptions, Failure> {
    let username = request.username(false)?;
    let realm = realm(&state.engine, license, &request.community_id, &request.dns).await?;
    let options = state.engine.start_login(realm.id, username, meta).await?;
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
        },
        status: "ok",
        error_message: "",
        signature_token: outcome.token,
    })
}
