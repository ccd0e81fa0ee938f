//! The Hanko Public API's routes under each tenant's prefix.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, patch, post, put};
use latchkey_engine::{Engine, Store};
use serde_json::json;

use super::error::method_not_allowed;
use super::gate::gate;
use super::{accounts, emails, passcodes, passwords, saml, third_party, webauthn};
use crate::http::status_page::status_page;

/// Every route of the API below `prefix` (`/{tenant_id}`, or empty for the default tenant's
/// routes at the root, which then need a [`DefaultTenant`](super::DefaultTenant) extension),
/// behind the gate that loads the tenant and applies CORS. The routes do not overlap the passkey-server dialect's under the
/// same prefix; `/.well-known/jwks.json`, the same document for both, is that dialect's.
pub fn routes<S: Store>(engine: Arc<Engine<S>>, prefix: &str) -> Router<Arc<Engine<S>>> {
    let at = |path: &str| format!("{prefix}{path}");
    let only = |route: MethodRouter<Arc<Engine<S>>>| route.fallback(method_not_allowed);
    let mut router = Router::new();
    // At the root, `/` is the server's own status page already.
    if !prefix.is_empty() {
        router = router.route(&at("/"), only(get(status_page)));
    }
    router
        .route(&at("/health/alive"), only(get(alive)))
        .route(&at("/health/ready"), only(get(ready::<S>)))
        .route(
            &at("/.well-known/config"),
            only(get(accounts::well_known_config)),
        )
        .route(
            &at("/user"),
            only(post(accounts::look_up::<S>).delete(accounts::delete_account::<S>)),
        )
        .route(&at("/users"), only(post(accounts::sign_up::<S>)))
        .route(&at("/users/{id}"), only(get(accounts::get_user::<S>)))
        .route(&at("/me"), only(get(accounts::me)))
        .route(&at("/logout"), only(post(accounts::logout::<S>)))
        .route(
            &at("/emails"),
            only(get(emails::list::<S>).post(emails::add::<S>)),
        )
        .route(
            &at("/emails/{id}"),
            only(axum::routing::delete(emails::delete::<S>)),
        )
        .route(
            &at("/emails/{id}/set_primary"),
            only(post(emails::set_primary::<S>)),
        )
        .route(
            &at("/passcode/login/initialize"),
            only(post(passcodes::initialize::<S>)),
        )
        .route(
            &at("/passcode/login/finalize"),
            only(post(passcodes::finalize::<S>)),
        )
        .route(&at("/password"), only(put(passwords::set::<S>)))
        .route(&at("/thirdparty/auth"), only(get(third_party::auth::<S>)))
        .route(
            &at("/thirdparty/callback"),
            only(get(third_party::callback::<S>).post(third_party::callback_post)),
        )
        .route(&at("/token"), only(post(third_party::exchange::<S>)))
        .route(&at("/saml/provider"), only(get(saml::provider::<S>)))
        .route(&at("/saml/metadata"), only(get(saml::metadata::<S>)))
        .route(&at("/saml/auth"), only(get(saml::auth::<S>)))
        .route(&at("/saml/callback"), only(post(saml::callback::<S>)))
        .route(&at("/password/login"), only(post(passwords::login::<S>)))
        .route(
            &at("/webauthn/registration/initialize"),
            only(post(webauthn::registration_initialize::<S>)),
        )
        .route(
            &at("/webauthn/registration/finalize"),
            only(post(webauthn::registration_finalize::<S>)),
        )
        .route(
            &at("/webauthn/login/initialize"),
            only(post(webauthn::login_initialize::<S>)),
        )
        .route(
            &at("/webauthn/login/finalize"),
            only(post(webauthn::login_finalize::<S>)),
        )
        .route(&at("/webauthn/credentials"), only(get(webauthn::list::<S>)))
        .route(&at("/webauthn/signals"), only(get(webauthn::signals::<S>)))
        .route(
            &at("/webauthn/credentials/{id}"),
            only(patch(webauthn::rename::<S>).delete(webauthn::delete::<S>)),
        )
        .layer(from_fn_with_state(engine, gate::<S>))
}

/// GET `/health/alive`.
#[utoipa::path(
    get,
    path = "/{tenant_id}/health/alive",
    tag = "health",
    summary = "The server answers",
    responses((status = 200, description = "Alive.", body = ref("#/components/schemas/Alive"))),
)]
pub(super) async fn alive() -> Json<serde_json::Value> {
    Json(json!({ "alive": true }))
}

/// GET `/health/ready`: the store answers.
#[utoipa::path(
    get,
    path = "/{tenant_id}/health/ready",
    tag = "health",
    summary = "The store answers",
    responses(
        (status = 200, description = "Ready.", body = ref("#/components/schemas/Ready")),
        (status = 503, description = "The store does not answer.", body = ref("#/components/schemas/Ready")),
    ),
)]
pub(super) async fn ready<S: Store>(State(engine): State<Arc<Engine<S>>>) -> Response {
    match engine.check_store().await {
        Ok(()) => Json(json!({ "ready": true })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "ready": false })),
            )
                .into_response()
        }
    }
}
