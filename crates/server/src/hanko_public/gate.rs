//! The tenant of a request (the first path segment) when it serves the Hanko Public API, and
//! that API's CORS: the tenant's allowed origins, credentials allowed, and the headers the
//! frontend SDK reads exposed.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::ACCESS_CONTROL_EXPOSE_HEADERS;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::{HankoPublicConfig, Tenant, TenantId};
use latchkey_engine::{Engine, Store};
use uuid::Uuid;

use super::error::{Endpoint, PublicError, public_error};
use crate::hanko_passkey::cors;

/// Headers the SDK reads from answers; `X-Auth-Token` only where tokens travel in it.
const EXPOSED: &str = "Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset,\
                       X-Session-Lifetime";
const EXPOSED_WITH_TOKEN: &str = "Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,\
                                  X-RateLimit-Reset,X-Session-Lifetime,X-Auth-Token";

/// The tenant the request is addressed to, loaded by [`gate`].
#[derive(Debug, Clone)]
pub struct AccountsTenant(pub Arc<Tenant>);

impl AccountsTenant {
    pub fn id(&self) -> TenantId {
        self.0.id
    }

    pub fn config(&self) -> &HankoPublicConfig {
        &self.0.config.hanko_public
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AccountsTenant {
    type Rejection = PublicError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AccountsTenant>()
            .cloned()
            .ok_or_else(|| {
                tracing::error!("Hanko Public API route reached without its gate");
                PublicError::internal()
            })
    }
}

/// The tenant a default-tenant deployment serves at `/`.
#[derive(Debug, Clone, Copy)]
pub struct DefaultTenant(pub TenantId);

/// Middleware in front of every route: the first path segment names a tenant that serves the
/// API (or the server's default tenant serves it at the root); otherwise 404. The tenant goes
/// into the request and the API's CORS rules apply.
pub async fn gate<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = match request.extensions().get::<DefaultTenant>() {
        Some(DefaultTenant(id)) => *id,
        None => {
            let segment = request
                .uri()
                .path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            match Uuid::parse_str(segment) {
                Ok(id) => TenantId(id),
                Err(_) => return PublicError::not_found().into_response(),
            }
        }
    };
    let tenant = match engine.accounts_tenant(id).await {
        Ok(tenant) => tenant,
        Err(error) => return public_error(Endpoint::Any, error).into_response(),
    };
    let exposed = if tenant.config.hanko_public.session.enable_auth_token_header {
        EXPOSED_WITH_TOKEN
    } else {
        EXPOSED
    };
    let allowed = request
        .headers()
        .get(axum::http::header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .and_then(|origin| cors::allowed_origin(&tenant.config.cors, origin))
        .is_some();
    let cors_config = tenant.config.cors.clone();
    request
        .extensions_mut()
        .insert(AccountsTenant(Arc::clone(&tenant)));
    let mut response = cors::apply(&cors_config, request, next).await;
    if allowed {
        response.headers_mut().insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(exposed),
        );
    }
    response
}
