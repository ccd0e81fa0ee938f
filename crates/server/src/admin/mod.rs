//! The admin API (the original's port 8001): tenants and their configuration, API keys, signing
//! keys, users, the audit log, health and metrics; and, for a tenant serving the Hanko Public
//! API, that API's own admin routes under `/tenants/{id}/hanko/` (see [`hanko`]).
//!
//! Deviations from the original, on purpose:
//! * an optional bearer token ([`AdminOptions::token`]); the original has no authentication;
//! * API key listings show names and dates only: latchkey keeps a hash, never the secret, so a
//!   secret is shown once, when it is created;
//! * `secrets/jwk` lists and rotates signing keys themselves (`kid`, algorithm, date) instead of
//!   the secrets the original derived keys from;
//! * no CORS: the admin API is not meant for browsers.
//!
//! A 1Kosmos community's realm is no tenant here: every route that names it answers 404 but its
//! audit log, which has no other reader.

mod audit;
mod auth;
mod authenticators;
mod config;
mod console;
mod error;
pub(crate) mod fuzzing;
mod hanko;
#[cfg(test)]
mod hanko_tests;
mod hanko_webhooks;
mod health;
pub(crate) mod openapi;
mod path;
mod schemas;
mod secrets;
mod tenants;
#[cfg(test)]
mod tests;
mod users;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{delete, get, post, put};
use latchkey_engine::Engine;
use latchkey_engine::Store;

use crate::hanko_passkey::error::{method_not_allowed, route_not_found};
use crate::http::access_log::access_log;
use crate::http::request_id::request_id;
use crate::http::status_page::status_page;
use crate::metrics::Metrics;

/// How the admin API is protected.
#[derive(Clone, Default)]
pub struct AdminOptions {
    /// When set, every route but `/` and `/health/*` needs `Authorization: Bearer <token>`.
    /// Leaving it unset is only safe on a loopback or otherwise private listener.
    pub token: Option<String>,
}

impl fmt::Debug for AdminOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What every admin handler gets.
struct AdminState<S: Store> {
    engine: Arc<Engine<S>>,
    metrics: Metrics,
    console: Arc<console::session::Sessions>,
}

impl<S: Store> Clone for AdminState<S> {
    fn clone(&self) -> Self {
        Self {
            engine: Arc::clone(&self.engine),
            metrics: self.metrics.clone(),
            console: Arc::clone(&self.console),
        }
    }
}

/// The admin API over `engine`, with request ids, access log and metrics (dialect `admin`)
/// already applied; `metrics` is also what `GET /metrics` renders, so pass the same value to
/// every listener.
pub fn admin_router<S: Store>(
    engine: Arc<Engine<S>>,
    options: AdminOptions,
    metrics: Metrics,
) -> Router {
    let token = auth::BearerToken::new(options.token.as_deref());
    let state = AdminState {
        console: Arc::new(console::session::Sessions::new(
            engine.console_session_key(),
            token.clone(),
        )),
        engine,
        metrics: metrics.clone(),
    };
    let protected = Router::new()
        .route("/metrics", get(health::metrics::<S>))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route(
            "/tenants/{tenant_id}",
            get(tenants::show)
                .put(tenants::rename)
                .delete(tenants::remove),
        )
        .route("/tenants/{tenant_id}/config", put(tenants::replace_config))
        .route("/tenants/{tenant_id}/audit_logs", get(audit::list))
        .route(
            "/tenants/{tenant_id}/authenticators",
            get(authenticators::list),
        )
        .route(
            "/tenants/{tenant_id}/authenticators/{aaguid}",
            put(authenticators::put).delete(authenticators::remove),
        )
        .route(
            "/tenants/{tenant_id}/secrets/api",
            get(secrets::api_keys).post(secrets::create_api_key),
        )
        .route(
            "/tenants/{tenant_id}/secrets/api/{secret_id}",
            delete(secrets::delete_api_key),
        )
        .route(
            "/tenants/{tenant_id}/secrets/jwk",
            get(secrets::signing_keys).post(secrets::rotate_signing_key),
        )
        .route(
            "/tenants/{tenant_id}/secrets/jwk/{secret_id}",
            delete(secrets::delete_signing_key),
        )
        .route("/tenants/{tenant_id}/users", get(users::list))
        .route(
            "/tenants/{tenant_id}/users/{user_id}",
            get(users::show).delete(users::remove),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users",
            get(hanko::list_users).post(hanko::create_user),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users/{user_id}",
            get(hanko::show_user).delete(hanko::remove_user),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users/{user_id}/sessions",
            delete(hanko::end_sessions),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users/{user_id}/emails",
            get(hanko::list_emails).post(hanko::create_email),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}",
            get(hanko::show_email).delete(hanko::remove_email),
        )
        .route(
            "/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}/set_primary",
            post(hanko::set_primary),
        )
        .route(
            "/tenants/{tenant_id}/hanko/audit_logs",
            get(hanko::audit_logs),
        )
        .route(
            "/tenants/{tenant_id}/hanko/webhooks",
            get(hanko_webhooks::list).post(hanko_webhooks::create),
        )
        .route(
            "/tenants/{tenant_id}/hanko/webhooks/{webhook_id}",
            get(hanko_webhooks::show)
                .put(hanko_webhooks::update)
                .delete(hanko_webhooks::remove),
        )
        .route_layer(from_fn_with_state(token, auth::require_token));

    Router::new()
        .route("/", get(status_page))
        .route("/health/alive", get(health::alive))
        .route("/health/ready", get(health::ready::<S>))
        .route("/openapi/{document}", get(crate::openapi::serve_admin))
        .merge(protected)
        .merge(console::routes(state.clone()))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(from_fn_with_state((metrics, "admin"), Metrics::track))
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
}
