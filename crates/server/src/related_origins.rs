//! The related-origins document (WebAuthn L3 §5.11) a browser fetches from
//! `https://{RP ID}/.well-known/webauthn` before it lets another site's page use the RP ID. It
//! belongs to no dialect: a tenant's RP ID is the same whichever API runs its ceremonies. Two
//! ways to reach it, for the two ways a reverse proxy can forward that path:
//!
//! - `GET /{tenant_id}/.well-known/webauthn`: the tenant's document, whatever the host;
//! - `GET /.well-known/webauthn`: the document of the organisation whose RP ID is the host the
//!   request was sent to (`X-Forwarded-Host` when a trusted proxy sent it, else `Host`).
//!
//! The document is `{"origins": [...]}`: the tenant's `related_origins`, in their order (a
//! browser counts registrable labels in list order). The tenant's own origins are not added:
//! an origin on the RP ID's site passes the browser's ordinary check and needs no listing, and
//! one that does not belongs in `related_origins`, where its label is counted.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use latchkey_engine::model::TenantId;
use latchkey_engine::related_origins::RelatedOriginsAt;
use latchkey_engine::{Engine, Error, Store};
use serde_json::json;
use uuid::Uuid;

use crate::http::access_log::access_log;
use crate::http::meta::request_host;
use crate::http::request_id::request_id;
use crate::metrics::Metrics;

/// How long a browser or cache may reuse a document. Browsers fetch it for each ceremony from
/// a related origin; five minutes spares most of those fetches, while an origin removed from
/// the list is refused by the ceremonies at once, whatever a browser still holds.
const MAX_AGE: &str = "public, max-age=300";

/// Both routes over `engine`. Outermost first, a request passes: request id, access log,
/// metrics (dialect `well_known`), then its handler. Its own layers, not the Hanko router's:
/// that one adds a charset to every JSON content type, and this document's is exactly
/// `application/json`.
pub fn related_origins_router<S: Store>(engine: Arc<Engine<S>>, metrics: Metrics) -> Router {
    let only_get = |route: MethodRouter<Arc<Engine<S>>>| route.fallback(method_not_allowed);
    Router::new()
        .route("/.well-known/webauthn", only_get(get(by_host::<S>)))
        .route(
            "/{tenant_id}/.well-known/webauthn",
            only_get(get(by_tenant::<S>)),
        )
        .layer(from_fn_with_state((metrics, "well_known"), Metrics::track))
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
        .with_state(engine)
}

async fn by_tenant<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    Path(tenant): Path<String>,
) -> Response {
    let Ok(tenant) = Uuid::parse_str(&tenant) else {
        return failure(StatusCode::NOT_FOUND, "tenant not found");
    };
    match engine.related_origins(TenantId(tenant)).await {
        Ok(origins) => document(origins),
        Err(error) => engine_failure(&error),
    }
}

async fn by_host<S: Store>(State(engine): State<Arc<Engine<S>>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(host) = request_host(&parts) else {
        return failure(StatusCode::NOT_FOUND, "the request names no host");
    };
    match engine.related_origins_at(rp_id_of(&host)).await {
        Ok(RelatedOriginsAt::Listed(origins)) => document(origins),
        Ok(RelatedOriginsAt::Unlisted) => failure(
            StatusCode::NOT_FOUND,
            "no tenant at this RP ID lists related origins",
        ),
        Ok(RelatedOriginsAt::Ambiguous(tenants)) => {
            tracing::warn!(
                host,
                ?tenants,
                "several tenants at one RP ID list related origins; serving none"
            );
            failure(
                StatusCode::CONFLICT,
                "several tenants at this RP ID list related origins",
            )
        }
        Err(error) => engine_failure(&error),
    }
}

/// The RP ID a host names: without its port and a trailing dot (ASCII case is ignored by the
/// lookup).
fn rp_id_of(host: &str) -> &str {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    name.strip_suffix('.').unwrap_or(name)
}

/// The document; a tenant that lists nothing has none, as the spec asks for one origin or more.
fn document(origins: Vec<String>) -> Response {
    if origins.is_empty() {
        return failure(StatusCode::NOT_FOUND, "the tenant lists no related origins");
    }
    let mut response = Json(json!({ "origins": origins })).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    response
}

/// The only engine errors these reads can meet are a missing tenant and a store that does not
/// answer; anything else is a fault of the server, logged and answered as one.
fn engine_failure(error: &Error) -> Response {
    match error {
        Error::NotFound(_) => failure(StatusCode::NOT_FOUND, "tenant not found"),
        Error::Unavailable(_) => {
            tracing::warn!(%error, "related-origins document unavailable");
            failure(StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable")
        }
        _ => {
            tracing::error!(%error, "related-origins document failed");
            failure(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

async fn method_not_allowed() -> Response {
    failure(StatusCode::METHOD_NOT_ALLOWED, "only GET is served here")
}

/// `{"status", "message"}`, not to be stored: a document that appears must be seen at once.
fn failure(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "status": status.as_u16(), "message": message })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests;
