//! `/tenants/{id}/secrets/api` (API keys) and `/tenants/{id}/secrets/jwk` (token-signing keys).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use latchkey_engine::model::{ApiKey, SigningAlgorithm, SigningKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::error::{answer, secret_answer};
use super::path::{ItemPath, TenantPath};
use super::schemas::{AdminError, SigningAlgorithm as SigningAlgorithmSchema, TenantParam};
use super::tenants::{NewApiKeyResponse, parse, refusal};
use crate::hanko_passkey::error::ApiError;
use crate::http::json::RawJson;
use crate::http::timestamps::rfc3339;
use crate::http::validate::Violations;

const CREATE: &str = "unable to create key";
const REMOVE: &str = "unable to remove key";

/// An API key without its secret, which latchkey does not keep.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey)]
pub(super) struct ApiKeyResponse {
    id: Uuid,
    name: String,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            created_at: rfc3339(key.created_at),
        }
    }
}

/// A signing key without key material; `id` is its JWK `kid`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SigningKey)]
pub(super) struct SigningKeyResponse {
    id: Uuid,
    #[schema(value_type = SigningAlgorithmSchema)]
    algorithm: SigningAlgorithm,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<SigningKey> for SigningKeyResponse {
    fn from(key: SigningKey) -> Self {
        Self {
            id: key.id,
            algorithm: key.algorithm,
            created_at: rfc3339(key.created_at),
        }
    }
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
struct CreateApiKeyRequest {
    /// 1 to 256 characters, not only spaces.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 256)]
    name: String,
}

/// Lists the tenant's API keys, without their secrets.
#[utoipa::path(get, path = "/tenants/{tenant_id}/secrets/api", tag = "secrets",
    params(TenantParam),
    responses(
        (status = 200, description = "The keys.", body = [ApiKeyResponse]),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn api_keys<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
) -> Result<Json<Vec<ApiKeyResponse>>, ApiError> {
    let keys = state
        .engine
        .api_keys(tenant)
        .await
        .map_err(|error| answer(error, "unable to list keys"))?;
    Ok(Json(keys.into_iter().map(ApiKeyResponse::from).collect()))
}

/// Issues an API key; its secret is shown in this answer only.
#[utoipa::path(post, path = "/tenants/{tenant_id}/secrets/api", tag = "secrets",
    params(TenantParam),
    request_body(content = CreateApiKeyRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Issued.", body = NewApiKeyResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to create key`: the body is not a JSON object of this shape or breaks a field rule.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
        (status = 500, description = "`Internal Server Error`: making the key failed (the random source or key generation).", body = AdminError),
    ))]
pub(super) async fn create_api_key<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Response, ApiError> {
    let name = read_api_key_name(&body)?;
    let issued = state
        .engine
        .create_api_key(tenant, &name)
        .await
        .map_err(|error| answer(error, CREATE))?;
    tracing::info!(tenant = %tenant.0, key = %issued.key.id, "api key created");
    Ok((StatusCode::CREATED, Json(NewApiKeyResponse::from(issued))).into_response())
}

/// The name of a new API key, from the body of `POST /tenants/{id}/secrets/api`.
pub(super) fn read_api_key_name(body: &[u8]) -> Result<String, ApiError> {
    let request: CreateApiKeyRequest = parse(body, CREATE)?;
    let mut violations = Violations::default();
    violations.required("name", &request.name);
    violations.finish().map_err(refusal(CREATE))?;
    Ok(request.name)
}

/// Revokes an API key.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/secrets/api/{secret_id}", tag = "secrets",
    params(TenantParam, ("secret_id" = Uuid, Path, description = "The key's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to remove key` (`secret_id must be a valid uuid4`).", body = AdminError),
        (status = 404, description = "`tenant not found`, or `secret with ID '…' not found`.", body = AdminError),
    ))]
pub(super) async fn delete_api_key<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
) -> Result<StatusCode, ApiError> {
    let id = path.uuid(invalid_secret_id)?;
    state
        .engine
        .delete_api_key(path.tenant, id)
        .await
        .map_err(|error| secret_answer(error, &path.item, REMOVE))?;
    tracing::info!(tenant = %path.tenant.0, key = %id, "api key deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the tenant's token-signing keys, newest (the one that signs) first.
#[utoipa::path(get, path = "/tenants/{tenant_id}/secrets/jwk", tag = "secrets",
    params(TenantParam),
    responses(
        (status = 200, description = "The keys, without key material.", body = [SigningKeyResponse]),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn signing_keys<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
) -> Result<Json<Vec<SigningKeyResponse>>, ApiError> {
    let keys = state
        .engine
        .signing_keys(tenant)
        .await
        .map_err(|error| answer(error, "unable to list keys"))?;
    Ok(Json(
        keys.into_iter().map(SigningKeyResponse::from).collect(),
    ))
}

/// Adds a signing key that signs from now on. The original's body (`{"name"}`) named a secret
/// that keys were derived from; latchkey's keys have no name, so the body is not read.
#[utoipa::path(post, path = "/tenants/{tenant_id}/secrets/jwk", tag = "secrets",
    params(TenantParam),
    responses(
        (status = 201, description = "The new key, which signs from now on.", body = SigningKeyResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
        (status = 500, description = "`Internal Server Error`: making the key failed (the random source or key generation).", body = AdminError),
    ))]
pub(super) async fn rotate_signing_key<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
) -> Result<Response, ApiError> {
    let key = state
        .engine
        .rotate_signing_key(tenant)
        .await
        .map_err(|error| answer(error, CREATE))?;
    tracing::info!(tenant = %tenant.0, kid = %key.id, "signing key rotated");
    Ok((StatusCode::CREATED, Json(SigningKeyResponse::from(key))).into_response())
}

/// Retires a signing key: tokens it signed no longer verify. When the newest goes, the one
/// before it signs again; when the last goes, the next token creates a new one.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/secrets/jwk/{secret_id}", tag = "secrets",
    params(TenantParam, ("secret_id" = Uuid, Path, description = "The key's `kid`.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to remove key` (`secret_id must be a valid uuid4`).", body = AdminError),
        (status = 404, description = "`tenant not found`, or `secret with ID '…' not found`.", body = AdminError),
    ))]
pub(super) async fn delete_signing_key<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
) -> Result<StatusCode, ApiError> {
    let id = path.uuid(invalid_secret_id)?;
    state
        .engine
        .delete_signing_key(path.tenant, id)
        .await
        .map_err(|error| secret_answer(error, &path.item, REMOVE))?;
    tracing::info!(tenant = %path.tenant.0, kid = %id, "signing key deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn invalid_secret_id() -> ApiError {
    ApiError::bad_request(REMOVE).with_details("secret_id must be a valid uuid4")
}
