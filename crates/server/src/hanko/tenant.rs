//! The tenant of a request (the first path segment) and its API-key check.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use latchkey_engine::ceremonies::Engine;
use latchkey_engine::model::{Tenant, TenantId};
use uuid::Uuid;

use super::cors;
use super::error::{Endpoint, api_error, invalid_api_key};
use crate::http::ApiError;

/// The header the Hanko SDKs send the key in (header names are case-insensitive).
const API_KEY: HeaderName = HeaderName::from_static("apikey");
/// The name the Hanko OpenAPI document gives the key, accepted as well.
const API_KEY_ALIAS: HeaderName = HeaderName::from_static("x-api-key");

/// The tenant the request is addressed to, loaded by [`gate`].
#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

impl CurrentTenant {
    pub fn id(&self) -> TenantId {
        self.0.id
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        current_tenant(parts)
    }
}

fn current_tenant(parts: &Parts) -> Result<CurrentTenant, ApiError> {
    parts
        .extensions
        .get::<CurrentTenant>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("tenant route reached without the tenant gate");
            ApiError::internal()
        })
}

/// Middleware in front of every tenant path: the first segment must be a UUID (400) naming an
/// existing tenant (404); the tenant is then put into the request and its CORS rules applied.
/// The root path passes through to the router's fallback.
pub async fn gate<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let segment = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if segment.is_empty() {
        return next.run(request).await;
    }
    let Ok(id) = Uuid::parse_str(&segment) else {
        return ApiError::bad_request("tenant_id must be a valid uuid4").into_response();
    };
    let tenant = match engine.tenant(TenantId(id)).await {
        Ok(tenant) => Arc::new(tenant),
        Err(error) => return api_error(Endpoint::Tenant, error).into_response(),
    };
    request
        .extensions_mut()
        .insert(CurrentTenant(Arc::clone(&tenant)));
    cors::apply(&tenant.config.cors, request, next).await
}

/// Extractor that refuses the request unless it presents one of the tenant's API keys.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeyed;

impl<S: Store> FromRequestParts<Arc<Engine<S>>> for ApiKeyed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Arc<Engine<S>>,
    ) -> Result<Self, Self::Rejection> {
        let tenant = current_tenant(parts)?;
        let key = presented_api_key(&parts.headers).unwrap_or_default();
        check_api_key(engine, tenant.id(), &key).await?;
        Ok(Self)
    }
}

/// The presented API key, whitespace-trimmed; `None` when no key header was sent.
pub fn presented_api_key(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(API_KEY)
        .or_else(|| headers.get(API_KEY_ALIAS))?;
    // A value that is not text cannot match any key; it is presented, but wrong.
    Some(
        value
            .to_str()
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|_| "\u{fffd}".to_owned()),
    )
}

/// Checks `key` against the tenant's API keys; an empty key never matches.
pub async fn check_api_key<S: Store>(
    engine: &Engine<S>,
    tenant: TenantId,
    key: &str,
) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(invalid_api_key());
    }
    engine
        .authorize(tenant, Some(key))
        .await
        .map(drop)
        .map_err(|error| api_error(Endpoint::Tenant, error))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn api_key_header_is_case_insensitive_and_trimmed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("apikey"),
            HeaderValue::from_static("  secret== "),
        );
        assert_eq!(presented_api_key(&headers).as_deref(), Some("secret=="));
    }

    #[test]
    fn x_api_key_is_an_alias() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_api_key(&headers), None);
        headers.insert(API_KEY_ALIAS, HeaderValue::from_static("k"));
        assert_eq!(presented_api_key(&headers).as_deref(), Some("k"));
    }
}
