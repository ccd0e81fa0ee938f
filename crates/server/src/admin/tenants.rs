//! `/tenants` and `/tenants/{id}`: create, list, read, rename, reconfigure, delete.

use std::fmt;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use latchkey_engine::admin::{IssuedApiKey, NewTenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::config::{CheckedConfig, ConfigRequest, TenantResponse};
use super::error::answer;
use super::path::TenantPath;
use super::schemas::{AdminError, TenantParam};
use crate::hanko_passkey::error::ApiError;
use crate::http::json::{RawJson, from_object};
use crate::http::timestamps::rfc3339;
use crate::http::validate::Violations;

/// Name of the API key `create_api_key` asks for, as the original names it.
const INITIAL_API_KEY: &str = "Initial API Key";

const CREATE: &str = "unable to create tenant";
const UPDATE: &str = "unable to update tenant";
const UPDATE_CONFIG: &str = "unable to update tenant config";

/// A tenant in the listing.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TenantSummary {
    id: Uuid,
    display_name: String,
}

/// Lists the tenants.
#[utoipa::path(get, path = "/tenants", operation_id = "list_tenants", tag = "tenants",
    responses((status = 200, description = "Every tenant, 1Kosmos realms included.", body = [TenantSummary])))]
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
) -> Result<Json<Vec<TenantSummary>>, ApiError> {
    let tenants = state
        .engine
        .tenants()
        .await
        .map_err(|error| answer(error, "unable to list tenants"))?;
    Ok(Json(
        tenants
            .into_iter()
            .map(|tenant| TenantSummary {
                id: tenant.id.0,
                display_name: tenant.display_name,
            })
            .collect(),
    ))
}

/// A new tenant.
#[derive(Debug, Deserialize, ToSchema)]
struct CreateTenantRequest {
    /// 1 to 256 characters, not only spaces.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 256)]
    display_name: String,
    /// Issue an API key named `Initial API Key` with the tenant.
    #[serde(default)]
    create_api_key: bool,
    config: ConfigRequest,
}

/// Its `Debug` is that of [`NewApiKeyResponse`], which hides the secret.
#[derive(Debug, Serialize, ToSchema)]
struct CreatedTenant {
    id: Uuid,
    /// Present when `create_api_key` was true.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    api_key: Option<NewApiKeyResponse>,
}

/// An API key with its secret: the only answer that ever shows one.
#[derive(Serialize, ToSchema)]
#[schema(as = NewApiKey)]
pub(super) struct NewApiKeyResponse {
    id: Uuid,
    name: String,
    /// The key itself, for the passkey-server API's `apiKey` header. Shown only here.
    secret: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// The secret stays out of `Debug` and so of logs.
impl fmt::Debug for NewApiKeyResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKeyResponse")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl From<IssuedApiKey> for NewApiKeyResponse {
    fn from(issued: IssuedApiKey) -> Self {
        Self {
            id: issued.key.id,
            name: issued.key.name,
            secret: issued.secret,
            created_at: rfc3339(issued.key.created_at),
        }
    }
}

/// Creates a tenant, with its first signing key and, if asked, an API key.
#[utoipa::path(post, path = "/tenants", operation_id = "create_tenant", tag = "tenants",
    request_body(content = CreateTenantRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = CreatedTenant),
        (status = 400, description = "`unable to create tenant`: the body is not a JSON object of this shape, or breaks a field rule (`details` names it).", body = AdminError),
        (status = 500, description = "`Internal Server Error`: making the key failed (the random source or key generation).", body = AdminError),
    ))]
pub(super) async fn create<S: Store>(
    State(state): State<AdminState<S>>,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Response, ApiError> {
    let (new, api_key_name) = read_new_tenant(&body)?;
    let (tenant, issued) = state
        .engine
        .create_tenant(new, api_key_name)
        .await
        .map_err(|error| answer(error, CREATE))?;
    tracing::info!(tenant = %tenant.id.0, "tenant created");
    let created = CreatedTenant {
        id: tenant.id.0,
        api_key: issued.map(NewApiKeyResponse::from),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// The body of `POST /tenants` read and checked: the tenant, and the name of its first API key
/// if it asks for one.
pub(super) fn read_new_tenant(body: &[u8]) -> Result<(NewTenant, Option<&'static str>), ApiError> {
    let request: CreateTenantRequest = parse(body, CREATE)?;
    let mut violations = Violations::default();
    violations.required("display_name", &request.display_name);
    violations.finish().map_err(refusal(CREATE))?;
    let config = request
        .config
        .check()
        .map_err(refusal(CREATE))?
        .into_config(None);
    let new = NewTenant {
        display_name: request.display_name,
        config,
    };
    Ok((new, request.create_api_key.then_some(INITIAL_API_KEY)))
}

/// A tenant with its whole configuration.
#[utoipa::path(get, path = "/tenants/{tenant_id}", operation_id = "show_tenant", tag = "tenants",
    params(TenantParam),
    responses(
        (status = 200, description = "The tenant; secrets in its configuration are shown empty.", body = TenantResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(id): TenantPath,
) -> Result<Json<TenantResponse>, ApiError> {
    let tenant = state
        .engine
        .tenant(id)
        .await
        .map_err(|error| answer(error, "unable to get tenant"))?;
    Ok(Json(TenantResponse::from(tenant)))
}

/// A tenant's new name.
#[derive(Debug, Deserialize, ToSchema)]
struct RenameRequest {
    /// 1 to 256 characters, not only spaces.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 256)]
    display_name: String,
}

/// Renames a tenant.
#[utoipa::path(put, path = "/tenants/{tenant_id}", operation_id = "rename_tenant", tag = "tenants",
    params(TenantParam),
    request_body(content = RenameRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Renamed."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to update tenant`: the body is not a JSON object of this shape or breaks a field rule.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn rename<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(id): TenantPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<StatusCode, ApiError> {
    let display_name = read_display_name(&body)?;
    state
        .engine
        .rename_tenant(id, display_name)
        .await
        .map_err(|error| answer(error, UPDATE))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The new name of `PATCH /tenants/{id}`.
pub(super) fn read_display_name(body: &[u8]) -> Result<String, ApiError> {
    let request: RenameRequest = parse(body, UPDATE)?;
    let mut violations = Violations::default();
    violations.required("display_name", &request.display_name);
    violations.finish().map_err(refusal(UPDATE))?;
    Ok(request.display_name)
}

/// Replaces the configuration. latchkey's blocks the body leaves out are taken from the
/// configuration being replaced, read in the same transaction as the write, so that two
/// replacements at once cannot lose them.
#[utoipa::path(put, path = "/tenants/{tenant_id}/config", operation_id = "replace_config", tag = "tenants",
    params(TenantParam),
    request_body(content = ConfigRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Replaced."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to update tenant config`: the body is not a JSON object of this shape, or breaks a field rule (`details` names it).", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn replace_config<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(id): TenantPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<StatusCode, ApiError> {
    let checked = read_config(&body)?;
    state
        .engine
        .update_tenant_config(id, |current| Ok(checked.into_config(Some(current))))
        .await
        .map_err(|error| answer(error, UPDATE_CONFIG))?;
    tracing::info!(tenant = %id.0, "tenant config replaced");
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `PUT /tenants/{id}/config` read and checked.
pub(super) fn read_config(body: &[u8]) -> Result<CheckedConfig, ApiError> {
    let request: ConfigRequest = parse(body, UPDATE_CONFIG)?;
    request.check().map_err(refusal(UPDATE_CONFIG))
}

/// Deletes a tenant with everything it holds.
#[utoipa::path(delete, path = "/tenants/{tenant_id}", operation_id = "remove_tenant", tag = "tenants",
    params(TenantParam),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(id): TenantPath,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .delete_tenant(id)
        .await
        .map_err(|error| answer(error, "unable to delete tenant"))?;
    tracing::info!(tenant = %id.0, "tenant deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Reads a body; a malformed one is refused under the action's title, as the original does.
pub(super) fn parse<T: serde::de::DeserializeOwned>(
    body: &[u8],
    action: &'static str,
) -> Result<T, ApiError> {
    from_object(body).map_err(refusal(action))
}

/// Turns broken field rules into a 400 under the action's title.
pub(super) fn refusal(action: &'static str) -> impl FnOnce(String) -> ApiError {
    move |details| ApiError::bad_request(action).with_details(details)
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    #[test]
    fn debug_hides_the_new_secret() {
        let created = CreatedTenant {
            id: Uuid::nil(),
            api_key: Some(NewApiKeyResponse {
                id: Uuid::nil(),
                name: "Initial API Key".to_owned(),
                secret: "s3cret-api-key".to_owned(),
                created_at: rfc3339(OffsetDateTime::UNIX_EPOCH),
            }),
        };
        let shown = format!("{created:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("Initial API Key"), "{shown}");
    }
}
