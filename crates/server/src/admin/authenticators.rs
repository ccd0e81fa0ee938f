//! `/tenants/{id}/authenticators`: the authenticator policy records in effect for a tenant, and
//! its own records, which decide over the global ones `latchkey mds import` keeps.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use latchkey_engine::Store;
use latchkey_engine::authenticator_policy::{MetadataChange, RecordScope};
use latchkey_engine::model::{AuthenticatorPolicy, CertificationLevel};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::error::answer;
use super::path::{ItemPath, TenantPath};
use super::schemas::{self, AdminError, TenantParam};
use super::tenants::{parse, refusal};
use crate::hanko_passkey::error::ApiError;
use crate::http::json::RawJson;
use crate::http::timestamps::rfc3339;

const UPDATE: &str = "unable to update authenticator";
const REMOVE: &str = "unable to remove authenticator";

/// Longest `name`, in characters.
const MAX_NAME_CHARS: usize = 256;

/// Recorded as `updated_by` of the records this API writes.
const UPDATED_BY: &str = "admin API";

/// Where a record in effect comes from.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Scope {
    /// The tenant's own record.
    Tenant,
    /// The global record (from `latchkey mds import`), in effect while the tenant has none.
    Global,
}

/// One authenticator model's record in effect for the tenant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuthenticatorRecord)]
pub(super) struct RecordResponse {
    aaguid: Uuid,
    name: String,
    /// A disabled model may not register.
    disabled: bool,
    /// The model's FIDO certification level from the last MDS import; absent when the
    /// metadata service reports none (or reports the model compromised).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = schemas::CertificationLevel, nullable = false)]
    certification: Option<CertificationLevel>,
    scope: Scope,
    updated_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl RecordResponse {
    fn new(scope: RecordScope, record: AuthenticatorPolicy) -> Self {
        Self {
            aaguid: record.aaguid,
            name: record.name,
            disabled: record.disabled,
            certification: record.certification,
            scope: match scope {
                RecordScope::Own => Scope::Tenant,
                RecordScope::Global => Scope::Global,
            },
            updated_by: record.updated_by,
            updated_at: rfc3339(record.updated_at),
        }
    }
}

/// The tenant's own record of a model; the fields left out take their defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AuthenticatorRecordRequest)]
struct PutRequest {
    /// Default: the name of the global record, if any.
    #[schema(nullable = false, max_length = 256)]
    name: Option<String>,
    /// Refuse the model's registrations in this tenant. Default: false, which lets a model the
    /// global record disables register here.
    #[schema(nullable = false)]
    disabled: Option<bool>,
    /// A FIDO MDS3 metadata statement, whose `attestationRootCertificates` the model's
    /// attestation chains must then reach (besides the global record's).
    #[schema(value_type = Object, nullable = false)]
    metadata: Option<Value>,
}

/// Lists the records in effect for the tenant.
#[utoipa::path(get, path = "/tenants/{tenant_id}/authenticators", operation_id = "list_authenticators", tag = "authenticators",
    params(TenantParam),
    responses(
        (status = 200, description = "The tenant's own records and the global records it does not override, by AAGUID.", body = [RecordResponse]),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
) -> Result<Json<Vec<RecordResponse>>, ApiError> {
    let records = state
        .engine
        .organisation_policies(tenant)
        .await
        .map_err(|error| answer(error, "unable to list authenticators"))?;
    Ok(Json(
        records
            .into_iter()
            .map(|(scope, record)| RecordResponse::new(scope, record))
            .collect(),
    ))
}

/// Creates or replaces the tenant's own record of a model.
#[utoipa::path(put, path = "/tenants/{tenant_id}/authenticators/{aaguid}", operation_id = "put_authenticator", tag = "authenticators",
    params(TenantParam, ("aaguid" = Uuid, Path, description = "The authenticator model.")),
    request_body(content = PutRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The stored record.", body = RecordResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to update authenticator`: the AAGUID is not a UUID, or the body is not a JSON object of this shape (`details` says why).", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
pub(super) async fn put<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Json<RecordResponse>, ApiError> {
    let aaguid = aaguid(&path, UPDATE)?;
    let request: PutRequest = parse(&body, UPDATE)?;
    if request
        .name
        .as_ref()
        .is_some_and(|name| name.chars().count() > MAX_NAME_CHARS)
    {
        return Err(refusal(UPDATE)(format!(
            "name must be at most {MAX_NAME_CHARS} characters"
        )));
    }
    let metadata = match request.metadata {
        None => None,
        Some(Value::Object(statement)) => Some(Value::Object(statement).to_string()),
        Some(_) => {
            return Err(refusal(UPDATE)(
                "metadata must be a metadata statement (a JSON object)".to_owned(),
            ));
        }
    };
    let change = MetadataChange {
        name: request.name,
        metadata,
        disabled: request.disabled,
        updated_by: UPDATED_BY.to_owned(),
    };
    let record = state
        .engine
        .put_organisation_policy(path.tenant, aaguid, change)
        .await
        .map_err(|error| answer(error, UPDATE))?;
    tracing::info!(tenant = %path.tenant.0, %aaguid, disabled = record.disabled, "authenticator record stored");
    Ok(Json(RecordResponse::new(RecordScope::Own, record)))
}

/// Deletes the tenant's own record of a model: the global record, if any, applies again.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/authenticators/{aaguid}", operation_id = "remove_authenticator", tag = "authenticators",
    params(TenantParam, ("aaguid" = Uuid, Path, description = "The authenticator model.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to remove authenticator`: the AAGUID is not a UUID.", body = AdminError),
        (status = 404, description = "`tenant not found`, or `authenticator policy not found`: the tenant has no record of its own for the model.", body = AdminError),
    ))]
pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
) -> Result<StatusCode, ApiError> {
    let aaguid = aaguid(&path, REMOVE)?;
    state
        .engine
        .delete_organisation_policy(path.tenant, aaguid)
        .await
        .map_err(|error| answer(error, REMOVE))?;
    tracing::info!(tenant = %path.tenant.0, %aaguid, "authenticator record deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn aaguid(path: &ItemPath, action: &'static str) -> Result<Uuid, ApiError> {
    path.uuid(|| refusal(action)("aaguid must be a UUID".to_owned()))
}
