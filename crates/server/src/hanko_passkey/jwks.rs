//! `/{tenant}/.well-known/jwks.json`: the public keys that verify the tenant's tokens.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Engine;
use latchkey_engine::Store;

use super::error::ApiError;
use super::error::{Endpoint, api_error};
use super::tenant::CurrentTenant;

/// The tenant's JSON Web Key Set.
///
/// The public keys that verify the tenant's tokens, oldest first. Public; cacheable for ten
/// minutes, as in the original.
#[utoipa::path(
    get,
    path = "/{tenant_id}/.well-known/jwks.json",
    operation_id = "get-.well-known-jwks.json",
    tag = "webauthn",
    responses(
        (status = 200, description = "The key set.", content_type = "application/json", body = ref("#/components/schemas/Jwks"), headers(
            ("Cache-Control" = String, description = "`max-age=600`."),
        )),
    ),
    security(()),
)]
pub async fn jwks<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: CurrentTenant,
) -> Result<Response, ApiError> {
    let document = engine
        .jwks(tenant.id())
        .await
        .map_err(|error| api_error(Endpoint::Tenant, error))?;
    Ok((
        [(CACHE_CONTROL, HeaderValue::from_static("max-age=600"))],
        Json(document.as_ref()),
    )
        .into_response())
}
