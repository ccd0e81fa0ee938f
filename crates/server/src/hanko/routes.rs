//! The Hanko passkey-server public API's routes and the layers around them.

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use latchkey_engine::Store;
use latchkey_engine::ceremonies::Engine;

use super::{audit, credentials, jwks, login, registration, tenant, transactions};
use crate::http::access_log::access_log;
use crate::http::error::{method_not_allowed, route_not_found};
use crate::http::request_id::request_id;
use crate::http::status_page::status_page;
use crate::metrics::Metrics;

/// The public API over `engine`: the status page at `/` and every API route under
/// `/{tenant_id}`. Outermost first, a request passes: request id, access log, metrics (dialect
/// `hanko`), then the status page, or the tenant gate (tenant lookup and CORS) and its handler
/// or the error-format fallback.
pub fn public_router<S: Store>(engine: Arc<Engine<S>>, metrics: Metrics) -> Router {
    // The status page names no tenant, so it is routed beside the gate, not behind it.
    Router::new()
        .route("/", get(status_page))
        .method_not_allowed_fallback(method_not_allowed)
        .merge(tenant_routes(Arc::clone(&engine)))
        .layer(from_fn_with_state((metrics, "hanko"), Metrics::track))
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
        .with_state(engine)
}

/// Every route under `/{tenant_id}`, behind the tenant gate.
fn tenant_routes<S: Store>(engine: Arc<Engine<S>>) -> Router<Arc<Engine<S>>> {
    Router::new()
        .route("/{tenant_id}/.well-known/jwks.json", get(jwks::jwks::<S>))
        .route("/{tenant_id}/credentials", get(credentials::list::<S>))
        .route(
            "/{tenant_id}/credentials/{credential_id}",
            get(credentials::get::<S>)
                .patch(credentials::rename::<S>)
                .delete(credentials::delete::<S>),
        )
        .route(
            "/{tenant_id}/registration/initialize",
            post(registration::initialize::<S>),
        )
        .route(
            "/{tenant_id}/registration/finalize",
            post(registration::finalize::<S>),
        )
        .route(
            "/{tenant_id}/login/initialize",
            post(login::initialize::<S>),
        )
        .route("/{tenant_id}/login/finalize", post(login::finalize::<S>))
        .route(
            "/{tenant_id}/transaction/initialize",
            post(transactions::initialize::<S>),
        )
        .route(
            "/{tenant_id}/transaction/finalize",
            post(transactions::finalize::<S>),
        )
        .route(
            "/{tenant_id}/transaction/{user_id}",
            get(transactions::list::<S>),
        )
        .route(
            "/{tenant_id}/mfa/registration/initialize",
            post(registration::mfa_initialize::<S>),
        )
        .route(
            "/{tenant_id}/mfa/registration/finalize",
            post(registration::mfa_finalize::<S>),
        )
        .route(
            "/{tenant_id}/mfa/login/initialize",
            post(login::mfa_initialize::<S>),
        )
        .route(
            "/{tenant_id}/mfa/login/finalize",
            post(login::mfa_finalize::<S>),
        )
        .route("/{tenant_id}/audit_logs", get(audit::list::<S>))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The gate wraps the fallbacks too: like the original, any path below an unknown
        // tenant is a 404 `tenant not found`, and a preflight needs no route of its own.
        .layer(from_fn_with_state(engine, tenant::gate::<S>))
}
