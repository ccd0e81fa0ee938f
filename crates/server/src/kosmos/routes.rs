//! The 1Kosmos WebAuthn API's routes and the layers around them.

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, delete, get, patch, post, put};
use latchkey_engine::Engine;
use latchkey_engine::Store;

use super::error::{method_not_allowed, route_not_found};
use super::state::Kosmos;
use super::{links, login, registration, service, vendor_metadata};
use crate::http::access_log::access_log;
use crate::http::request_id::request_id;
use crate::metrics::Metrics;

/// The 1Kosmos API over `engine`, every route under `/webauthn`, paths below it without a
/// route answered in its failure shape. Outermost first, a request passes: request id, access
/// log, metrics (dialect `kosmos`), then its handler.
///
/// Its fallback lives below `/webauthn` only, so it merges with the Hanko router (whose tenant
/// routes sit under `/{tenant_id}`, its fallback at the root): `/webauthn/...` is always this
/// dialect's.
pub fn kosmos_router<S: Store>(engine: Arc<Engine<S>>, metrics: Metrics) -> Router {
    let api = Router::new()
        .route(
            "/link/community/{community_id}/user/{user_id}/status",
            get(links::status::<S>),
        )
        .route(
            "/link/community/{community_id}/did/{did}/user/{user_id}/fidokey/{fido_key_hash}",
            put(links::link::<S>),
        )
        .route(
            "/unregister/community/{community_id}/did_or_fidokey/{identifier}",
            delete(links::unregister::<S>),
        )
        .route(
            "/unregister/community/{community_id}/user/{user_id}/did_or_fidokey/{identifier}",
            delete(links::unregister_for_user::<S>),
        )
        .route(
            "/vendormetadata/{community_id}/fetch",
            post(vendor_metadata::fetch::<S>),
        )
        .route(
            "/vendormetadata/{community_id}",
            put(vendor_metadata::put::<S>),
        )
        .route(
            "/vendormetadata/{community_id}/aaguid/{aaguid}",
            patch(vendor_metadata::patch::<S>),
        )
        .route("/assertion/options", post(login::options::<S>))
        .route("/assertion/result", post(login::result::<S>))
        .route("/attestation/options", post(registration::options::<S>))
        .route("/attestation/result", post(registration::result::<S>))
        .route("/u1/assertion/options", post(login::u1_options::<S>))
        .route("/u1/assertion/result", post(login::u1_result::<S>))
        .route(
            "/u1/attestation/options",
            post(registration::u1_options::<S>),
        )
        .route("/u1/attestation/result", post(registration::u1_result::<S>))
        .route(
            "/u1/link/community/{community_id}/user/{user_id}/status",
            get(links::u1_status::<S>),
        )
        .route(
            "/u1/link/community/{community_id}/did/{did}/user/{user_id}/fidokey/{fido_key_hash}",
            put(links::u1_link::<S>),
        )
        .route("/environment", get(service::environment))
        .route("/healthz", get(service::healthz))
        .route("/publickeys", get(service::public_keys::<S>))
        .route("/sd", get(service::service_directory))
        // A route, not only a fallback: the merged Hanko router's `/{tenant_id}/...` routes
        // would otherwise match paths like `/webauthn/credentials` before any fallback runs.
        .route("/{*unknown}", any(route_not_found))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/webauthn", api)
        .route("/webauthn", any(route_not_found))
        .route("/webauthn/", any(route_not_found))
        .layer(from_fn_with_state((metrics, "kosmos"), Metrics::track))
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
        .with_state(Arc::new(Kosmos::new(engine)))
}
