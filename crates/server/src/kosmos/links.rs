//! Linking credentials to wallet DIDs, link status, and de-registration. `{userId}` is the user
//! name the ceremonies used (their `sub`). The encrypted-header variants answer in plain JSON:
//! they have no body to mirror, and their u1 twins show the same facts unencrypted.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::Store;
use latchkey_engine::model::License;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::call::{Licensed, Params, Sealed};
use super::error::Failure;
use super::state::Kosmos;
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;

#[derive(Debug, Deserialize)]
pub struct UserPath {
    community_id: String,
    user_id: String,
}

#[derive(Debug, Deserialize)]
pub struct LinkPath {
    community_id: String,
    did: String,
    user_id: String,
    fido_key_hash: String,
}

#[derive(Debug, Deserialize)]
pub struct UnregisterPath {
    community_id: String,
    #[serde(default)]
    user_id: Option<String>,
    identifier: String,
}

/// The link status of a user.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkStatus {
    status: &'static str,
    error_message: &'static str,
    linked: bool,
    links: Vec<LinkEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkEntry {
    did: String,
    fido_key_hash: String,
    linked_at: String,
}

/// GET `/webauthn/link/community/{c}/user/{u}/status` (encrypted headers).
pub async fn status<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Params(path): Params<UserPath>,
) -> Result<Json<LinkStatus>, Failure> {
    link_status(&state, &sealed.license, &path).await.map(Json)
}

/// GET `/webauthn/u1/link/community/{c}/user/{u}/status`.
pub async fn u1_status<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<UserPath>,
) -> Result<Json<LinkStatus>, Failure> {
    link_status(&state, &license, &path).await.map(Json)
}

/// PUT `/webauthn/link/community/{c}/did/{did}/user/{u}/fidokey/{hash}` (encrypted headers).
pub async fn link<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Params(path): Params<LinkPath>,
) -> Result<Json<Value>, Failure> {
    create_link(&state, &sealed.license, &path).await.map(Json)
}

/// PUT `/webauthn/u1/link/community/{c}/did/{did}/user/{u}/fidokey/{hash}`.
pub async fn u1_link<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<LinkPath>,
) -> Result<Json<Value>, Failure> {
    create_link(&state, &license, &path).await.map(Json)
}

/// DELETE `/webauthn/unregister/community/{c}[/user/{u}]/did_or_fidokey/{identifier}`
/// (encrypted headers): the credentials linked to a DID, or the credential of a hash.
pub async fn unregister<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    Params(path): Params<UnregisterPath>,
) -> Result<Json<Value>, Failure> {
    let (_, realm) = state
        .engine
        .community_for(&sealed.license, &path.community_id)
        .await?;
    state
        .engine
        .unregister(realm.id, path.user_id.as_deref(), &path.identifier, &meta)
        .await?;
    Ok(Json(json!({})))
}

async fn link_status<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    path: &UserPath,
) -> Result<LinkStatus, Failure> {
    let (_, realm) = state
        .engine
        .community_for(license, &path.community_id)
        .await?;
    let links = state.engine.links(realm.id, &path.user_id).await?;
    Ok(LinkStatus {
        status: "ok",
        error_message: "",
        linked: !links.is_empty(),
        links: links
            .into_iter()
            .map(|record| LinkEntry {
                did: record.link.did,
                fido_key_hash: record.fido_key_hash,
                linked_at: rfc3339(record.link.linked_at),
            })
            .collect(),
    })
}

async fn create_link<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    path: &LinkPath,
) -> Result<Value, Failure> {
    let (_, realm) = state
        .engine
        .community_for(license, &path.community_id)
        .await?;
    state
        .engine
        .link(realm.id, &path.user_id, &path.did, &path.fido_key_hash)
        .await?;
    Ok(json!({"status": "ok", "errorMessage": ""}))
}
