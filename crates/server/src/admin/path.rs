//! The tenant and item ids in admin paths.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use latchkey_engine::model::TenantId;
use uuid::Uuid;

use crate::hanko_passkey::error::ApiError;
use crate::http::path::PathParams;

/// `/tenants/{tenant_id}`: a UUID, else 400 `tenant_id must be a valid uuid4` (the original's
/// words).
#[derive(Debug, Clone, Copy)]
pub(super) struct TenantPath(pub TenantId);

/// `/tenants/{tenant_id}/…/{item}`. The item stays text: each route words its own refusal of a
/// malformed one.
#[derive(Debug, Clone)]
pub(super) struct ItemPath {
    pub tenant: TenantId,
    pub item: String,
}

impl ItemPath {
    /// The item as a UUID, or `refusal`.
    pub(super) fn uuid(&self, refusal: impl FnOnce() -> ApiError) -> Result<Uuid, ApiError> {
        Uuid::parse_str(&self.item).map_err(|_| refusal())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TenantPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams(tenant, _) =
            PathParams::<String, ApiError>::from_request_parts(parts, state).await?;
        tenant_id(&tenant).map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ItemPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams((tenant, item), _) =
            PathParams::<(String, String), ApiError>::from_request_parts(parts, state).await?;
        Ok(Self {
            tenant: tenant_id(&tenant)?,
            item,
        })
    }
}

fn tenant_id(text: &str) -> Result<TenantId, ApiError> {
    Uuid::parse_str(text)
        .map(TenantId)
        .map_err(|_| ApiError::bad_request("tenant_id must be a valid uuid4"))
}
