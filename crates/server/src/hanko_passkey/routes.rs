//! The Hanko passkey-server public API's routes and the layers around them.

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::model::TenantId;

use super::error::route_not_found;
use super::{audit, credentials, jwks, login, registration, signals, tenant, transactions};
use crate::hanko_public;
use crate::http::access_log::access_log;
use crate::http::keep_alive::close_if_body_unread;
use crate::http::request_id::request_id;
use crate::http::status_page::status_page;
use crate::metrics::Metrics;

/// The public API over `engine`: the status page at `/`, every route of both Hanko dialects
/// under `/{tenant_id}`, and the default tenant's Hanko Public API at the root. Outermost first, a request passes: request id, access log, metrics (dialect
/// `hanko`), the keep-alive guard, the JSON charset, then the status page, or the tenant gate
/// (tenant lookup and CORS) and its handler or the error-format fallback.
pub fn public_router<S: Store>(
    engine: Arc<Engine<S>>,
    metrics: Metrics,
    default_tenant: Option<TenantId>,
) -> Router {
    // The status page names no tenant, so it is routed beside the gate, not behind it.
    let mut router = Router::new()
        .route("/", get(status_page))
        .route("/openapi/{document}", get(crate::openapi::serve_public))
        .method_not_allowed_fallback(route_not_found)
        .merge(tenant_routes(Arc::clone(&engine)))
        .merge(hanko_public::routes(Arc::clone(&engine), "/{tenant_id}"));
    if let Some(tenant) = default_tenant {
        router = router.merge(
            hanko_public::routes(Arc::clone(&engine), "")
                .layer(Extension(hanko_public::DefaultTenant(tenant))),
        );
    }
    router
        .layer(map_response(json_with_charset))
        .layer(from_fn(close_if_body_unread))
        .layer(from_fn_with_state((metrics, "hanko"), Metrics::track))
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
        .with_state(engine)
}

/// The original's framework declares the charset of every JSON answer; a client that compares
/// the header as a string sees the same.
async fn json_with_charset(mut response: Response) -> Response {
    if response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value == "application/json")
    {
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
    }
    response
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
        .route("/{tenant_id}/signals", get(signals::for_user::<S>))
        .fallback(tenant_route_not_found)
        // The original answers a known path with the wrong method as an unknown one.
        .method_not_allowed_fallback(tenant_route_not_found)
        // The gate wraps the fallbacks too: like the original, any path below an unknown
        // tenant is a 404 `tenant not found`, and a preflight needs no route of its own.
        .layer(from_fn_with_state(engine, tenant::gate::<S>))
}

/// An unknown path below a tenant, in the error format of the tenant's API: a tenant that
/// serves the Hanko Public API is addressed by that API's clients, whose errors are
/// `{"code","message"}`.
async fn tenant_route_not_found(tenant: Option<Extension<tenant::CurrentTenant>>) -> Response {
    match tenant {
        Some(Extension(tenant)) if tenant.0.config.hanko_public.enabled => {
            hanko_public::error::PublicError::not_found().into_response()
        }
        _ => route_not_found().await.into_response(),
    }
}
