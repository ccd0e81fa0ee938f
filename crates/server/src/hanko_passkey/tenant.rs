//! The tenant of a request (the first path segment) and its API-key check.

use std::fmt;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::model::{Tenant, TenantId};
use uuid::Uuid;

use super::cors;
use super::error::ApiError;
use super::error::{Endpoint, api_error, invalid_api_key};

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
        .unwrap_or_default();
    let Ok(id) = Uuid::parse_str(segment) else {
        return ApiError::bad_request("tenant_id must be a valid uuid4").into_response();
    };
    // `Engine::tenant` knows organisations only: a 1Kosmos community's realm, reached with a
    // license through /webauthn, does not exist here, where logins need no key at all.
    let tenant = match engine.serving_tenant(TenantId(id)).await {
        Ok(tenant) => tenant,
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
        check_api_key(engine, tenant.id(), presented_api_key(&parts.headers)).await?;
        Ok(Self)
    }
}

/// What a request presents as its API key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PresentedKey<'a> {
    /// No key header, or one that is blank.
    Missing,
    /// A key header whose value is not text: presented, but it cannot match any key.
    NotText,
    /// The key, whitespace-trimmed and not empty.
    Key(&'a str),
}

/// The key itself stays out of `Debug` and so of logs.
impl fmt::Debug for PresentedKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("Missing"),
            Self::NotText => f.write_str("NotText"),
            Self::Key(_) => f.write_str("Key(<redacted>)"),
        }
    }
}

/// The API key the request presents, in `apiKey` or its alias.
pub fn presented_api_key(headers: &HeaderMap) -> PresentedKey<'_> {
    let Some(value) = headers.get(API_KEY).or_else(|| headers.get(API_KEY_ALIAS)) else {
        return PresentedKey::Missing;
    };
    match value.to_str().map(str::trim) {
        Ok("") => PresentedKey::Missing,
        Ok(key) => PresentedKey::Key(key),
        Err(_) => PresentedKey::NotText,
    }
}

/// Checks the presented key against the tenant's API keys; only a [`PresentedKey::Key`] can
/// pass.
pub async fn check_api_key<S: Store>(
    engine: &Engine<S>,
    tenant: TenantId,
    presented: PresentedKey<'_>,
) -> Result<(), ApiError> {
    let PresentedKey::Key(key) = presented else {
        return Err(invalid_api_key());
    };
    engine
        .check_api_key(tenant, key)
        .await
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
        assert_eq!(presented_api_key(&headers), PresentedKey::Key("secret=="));
    }

    #[test]
    fn x_api_key_is_an_alias() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_api_key(&headers), PresentedKey::Missing);
        headers.insert(API_KEY_ALIAS, HeaderValue::from_static("k"));
        assert_eq!(presented_api_key(&headers), PresentedKey::Key("k"));
    }

    #[test]
    fn blank_keys_are_missing_and_binary_keys_are_not_text() {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY, HeaderValue::from_static("   "));
        assert_eq!(presented_api_key(&headers), PresentedKey::Missing);
        headers.insert(API_KEY, HeaderValue::from_bytes(b"\xffkey").unwrap());
        assert_eq!(presented_api_key(&headers), PresentedKey::NotText);
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", PresentedKey::Key("s3cret"));
        assert_eq!(shown, "Key(<redacted>)");
    }
}
