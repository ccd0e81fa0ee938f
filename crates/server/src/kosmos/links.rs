//! Linking credentials to wallet DIDs, link status, and de-registration. `{user_id}` is the user
//! name the ceremonies used (their `sub`). The encrypted-header variants answer in plain JSON:
//! they have no body to mirror, and their u1 twins show the same facts unencrypted.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::model::License;
use latchkey_engine::{RequestMeta, Store};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::call::{Licensed, Params, Sealed};
use super::error::Failure;
use super::openapi::{
    Done, EnvelopeFailures, EnvelopeHeaders, LicenseFailures, NO_CREDENTIAL, NO_USER, Unregistered,
};
use super::state::Kosmos;
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The community.
    #[param(min_length = 1)]
    community_id: String,
    /// The user name the ceremonies used (their `sub`).
    #[param(min_length = 1)]
    user_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkPath {
    /// The community.
    #[param(min_length = 1)]
    community_id: String,
    /// The user's wallet DID, at most 512 bytes.
    #[param(min_length = 1)]
    did: String,
    /// The user name the ceremonies used (their `sub`).
    #[param(min_length = 1)]
    user_id: String,
    /// Lowercase hex SHA-512 of the credential id's base64url text.
    #[param(min_length = 1)]
    fido_key_hash: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UnregisterPath {
    /// The community.
    #[param(min_length = 1)]
    community_id: String,
    /// A DID or a `fidoKeyHash`.
    #[param(min_length = 1)]
    identifier: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserUnregisterPath {
    /// The community.
    #[param(min_length = 1)]
    community_id: String,
    /// The user name the ceremonies used (their `sub`).
    #[param(min_length = 1)]
    user_id: String,
    /// A DID or a `fidoKeyHash`.
    #[param(min_length = 1)]
    identifier: String,
}

/// The link status of a user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkStatus {
    #[schema(pattern = "^ok$")]
    status: &'static str,
    #[schema(max_length = 0)]
    error_message: &'static str,
    linked: bool,
    links: Vec<LinkEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct LinkEntry {
    did: String,
    /// Lowercase hex SHA-512 of the credential id's base64url text.
    fido_key_hash: String,
    /// RFC 3339.
    linked_at: String,
}

/// A user's links (encrypted headers)
///
/// `userId` is the user name the ceremonies used (their `sub`). The answer is plain JSON.
#[utoipa::path(get, path = "/webauthn/link/community/{community_id}/user/{user_id}/status",
    operation_id = "linkStatus", tag = "linking",
    params(EnvelopeHeaders, UserPath),
    responses(
        (status = 200, description = "The user's links.", body = LinkStatus),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = NO_USER, body = Failure),
    ))]
pub async fn status<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Params(path): Params<UserPath>,
) -> Result<Json<LinkStatus>, Failure> {
    link_status(&state, &sealed.license, &path).await.map(Json)
}

/// A user's links
///
/// `userId` is the user name the ceremonies used (their `sub`).
#[utoipa::path(get, path = "/webauthn/u1/link/community/{community_id}/user/{user_id}/status",
    operation_id = "u1LinkStatus", tag = "u1 linking", security(("licenseKey" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The user's links.", body = LinkStatus),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = NO_USER, body = Failure),
    ))]
pub async fn u1_status<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<UserPath>,
) -> Result<Json<LinkStatus>, Failure> {
    link_status(&state, &license, &path).await.map(Json)
}

/// Links a credential to a DID (encrypted headers)
///
/// Binds the user's credential whose `fidoKeyHash` (lowercase hex SHA-512 of the credential
/// id's base64url text) is given to the wallet DID. The answer is plain JSON.
#[utoipa::path(put, path = "/webauthn/link/community/{community_id}/did/{did}/user/{user_id}/fidokey/{fido_key_hash}",
    operation_id = "link", tag = "linking",
    params(EnvelopeHeaders, LinkPath),
    responses(
        (status = 200, description = "Linked.", body = Done),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = NO_CREDENTIAL, body = Failure),
    ))]
pub async fn link<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Params(path): Params<LinkPath>,
) -> Result<Json<Done>, Failure> {
    create_link(&state, &sealed.license, &path).await.map(Json)
}

/// Links a credential to a DID
///
/// Binds the user's credential whose `fidoKeyHash` (lowercase hex SHA-512 of the credential
/// id's base64url text) is given to the wallet DID.
#[utoipa::path(put, path = "/webauthn/u1/link/community/{community_id}/did/{did}/user/{user_id}/fidokey/{fido_key_hash}",
    operation_id = "u1Link", tag = "u1 linking", security(("licenseKey" = [])),
    params(LinkPath),
    responses(
        (status = 200, description = "Linked.", body = Done),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = NO_CREDENTIAL, body = Failure),
    ))]
pub async fn u1_link<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<LinkPath>,
) -> Result<Json<Done>, Failure> {
    create_link(&state, &license, &path).await.map(Json)
}

/// Removes credentials (encrypted headers)
///
/// `identifier` is a DID (every credential linked to it goes) or a `fidoKeyHash` (that
/// credential goes). The answer is plain JSON.
#[utoipa::path(delete, path = "/webauthn/unregister/community/{community_id}/did_or_fidokey/{identifier}",
    operation_id = "unregister", tag = "de-registration",
    params(EnvelopeHeaders, UnregisterPath),
    responses(
        (status = 200, description = "Removed.", body = Unregistered),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community, or no credential matches.", body = Failure),
    ))]
pub async fn unregister<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    Params(path): Params<UnregisterPath>,
) -> Result<Json<Unregistered>, Failure> {
    remove(
        &state,
        &sealed.license,
        None,
        &path.community_id,
        &path.identifier,
        &meta,
    )
    .await
}

/// Removes a user's credentials (encrypted headers)
///
/// As the call without a user, limited to the credentials of `userId`.
#[utoipa::path(delete, path = "/webauthn/unregister/community/{community_id}/user/{user_id}/did_or_fidokey/{identifier}",
    operation_id = "unregisterForUser", tag = "de-registration",
    params(EnvelopeHeaders, UserUnregisterPath),
    responses(
        (status = 200, description = "Removed.", body = Unregistered),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community or user, or no credential matches.", body = Failure),
    ))]
pub async fn unregister_for_user<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    Params(path): Params<UserUnregisterPath>,
) -> Result<Json<Unregistered>, Failure> {
    let user = Some(path.user_id.as_str());
    remove(
        &state,
        &sealed.license,
        user,
        &path.community_id,
        &path.identifier,
        &meta,
    )
    .await
}

/// The credentials linked to a DID, or the credential of a hash.
async fn remove<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    user: Option<&str>,
    community_id: &str,
    identifier: &str,
    meta: &RequestMeta,
) -> Result<Json<Unregistered>, Failure> {
    let (_, realm) = state.engine.community_for(license, community_id).await?;
    state
        .engine
        .unregister(realm.id, user, identifier, meta)
        .await?;
    Ok(Json(Unregistered {}))
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
) -> Result<Done, Failure> {
    let (_, realm) = state
        .engine
        .community_for(license, &path.community_id)
        .await?;
    state
        .engine
        .link(realm.id, &path.user_id, &path.did, &path.fido_key_hash)
        .await?;
    Ok(Done::OK)
}
