//! The admin console: server-rendered pages on the admin listener, at `/console`, over the same
//! engine calls and request rules as the admin API (its handlers' readers and error mapping are
//! reused, so each thing has one rule).
//!
//! The pages need no script to work: every action is a form, and the one script
//! (`assets/console.js`) adds the audit log's live tail and confirmations. Assets are compiled
//! into the binary; the pages load nothing from elsewhere (their CSP says so).
//!
//! Access is the admin API's: open when the admin listener has no token (loopback only), else
//! the token, entered once on the login page and kept as a signed session cookie; see
//! [`session`].

mod assets;
mod audit;
mod authenticators;
mod dashboard;
mod error;
mod form;
mod ids;
mod kosmos;
mod page;
pub(super) mod session;
mod tenants;
#[cfg(test)]
mod tests;
mod users;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use latchkey_engine::Store;

use super::AdminState;

/// The console's routes, to merge into the admin router.
pub(super) fn routes<S: Store>(state: AdminState<S>) -> Router<AdminState<S>> {
    let guarded = Router::new()
        .route("/console", get(dashboard::show::<S>))
        .route("/console/logout", post(session::logout))
        .route(
            "/console/tenants",
            get(tenants::list::<S>).post(tenants::create::<S>),
        )
        .route("/console/tenants/{tenant_id}", get(tenants::show::<S>))
        .route(
            "/console/tenants/{tenant_id}/rename",
            post(tenants::rename::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/settings",
            post(tenants::update_settings::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/hanko-public",
            post(tenants::update_hanko_public::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/config",
            post(tenants::replace_config::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/delete",
            post(tenants::remove::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/api-keys",
            post(tenants::create_api_key::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/api-keys/{key_id}/revoke",
            post(tenants::revoke_api_key::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/signing-keys",
            post(tenants::rotate_signing_key::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/signing-keys/{key_id}/retire",
            post(tenants::retire_signing_key::<S>),
        )
        .route("/console/tenants/{tenant_id}/users", get(users::list::<S>))
        .route(
            "/console/tenants/{tenant_id}/users/{user_id}",
            get(users::show::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/users/{user_id}/delete",
            post(users::remove::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}/delete",
            post(users::remove_credential::<S>),
        )
        .route("/console/tenants/{tenant_id}/audit", get(audit::list::<S>))
        .route(
            "/console/tenants/{tenant_id}/audit/tail",
            get(audit::tail::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/kosmos",
            get(kosmos::show::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/kosmos/communities",
            post(kosmos::create_community::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/kosmos/licenses",
            post(kosmos::create_license::<S>),
        )
        .route(
            "/console/tenants/{tenant_id}/kosmos/licenses/{license_id}/revoke",
            post(kosmos::revoke_license::<S>),
        )
        .route(
            "/console/authenticators",
            get(authenticators::show::<S>).post(authenticators::update::<S>),
        )
        .route_layer(from_fn_with_state(state, session::guard::<S>));

    Router::new()
        .route(
            "/console/login",
            get(session::login_page::<S>).post(session::login::<S>),
        )
        .route("/console/assets/{file}", get(assets::serve))
        .merge(guarded)
        .layer(from_fn(page::security_headers))
}
