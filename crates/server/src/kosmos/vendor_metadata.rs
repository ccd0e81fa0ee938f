//! Vendor metadata: per-model authenticator policy records of a community, or of the license's
//! organisation (community `any`, for system licenses only; its fetch also shows the global
//! records `latchkey mds import` keeps).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::Store;
use latchkey_engine::authenticator_policy::{CommunityScope, MetadataChange};
use latchkey_engine::model::{AuthenticatorPolicy, License, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::call::{Body, Licensed, MetadataBody, Params};
use super::error::Failure;
use super::openapi::{Done, LicenseFailures};
use super::state::Kosmos;
use crate::http::timestamps::rfc3339;

/// Longest `name` and `updatedBy`.
const MAX_TEXT_CHARS: usize = 256;
/// Most AAGUIDs one fetch may name.
const MAX_AAGUIDS: usize = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CommunityPath {
    /// A community, or `any` for the organisation's own records (system licenses only).
    #[param(min_length = 1)]
    community_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RecordPath {
    /// A community, or `any` for the organisation's own records (system licenses only).
    #[param(min_length = 1)]
    community_id: String,
    /// The authenticator model's AAGUID.
    #[param(format = Uuid)]
    aaguid: String,
}

/// Body of `fetch`: no AAGUIDs (or none at all) means every record.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = FetchRequest)]
pub struct FetchRequest {
    #[serde(default)]
    #[schema(max_items = 1000)]
    aaguids: Option<Vec<String>>,
}

/// Body of the upsert: `aaguid`, `metadata`, `name` and `updatedBy` are required (a missing
/// one is a 400).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PutRequest)]
pub struct PutRequest {
    #[serde(default)]
    #[schema(format = Uuid)]
    aaguid: Option<String>,
    /// A FIDO MDS3 metadata statement, as an object or as its JSON text.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    #[serde(default)]
    #[schema(max_length = 256)]
    name: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 256)]
    updated_by: Option<String>,
}

/// Body of the merge: the fields given change; `updatedBy` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PatchRequest)]
pub struct PatchRequest {
    /// A FIDO MDS3 metadata statement, as an object or as its JSON text.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    #[serde(default)]
    #[schema(max_length = 256)]
    name: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 256)]
    updated_by: Option<String>,
}

impl FetchRequest {
    /// The AAGUIDs named, at most [`MAX_AAGUIDS`].
    pub fn aaguids(self) -> Result<Vec<Uuid>, Failure> {
        let aaguids = self.aaguids.unwrap_or_default();
        if aaguids.len() > MAX_AAGUIDS {
            return Err(Failure::bad_request(format!(
                "aaguids cannot name more than {MAX_AAGUIDS} models"
            )));
        }
        aaguids.iter().map(|text| parse_aaguid(text)).collect()
    }
}

impl PutRequest {
    /// The model and its whole record; every field but `disabled` is required.
    pub fn change(self) -> Result<(Uuid, MetadataChange), Failure> {
        let aaguid = parse_aaguid(&required("aaguid", self.aaguid)?)?;
        let metadata = metadata_text(self.metadata.ok_or_else(|| missing("metadata"))?)?;
        let change = MetadataChange {
            name: Some(text("name", required("name", self.name)?)?),
            metadata: Some(metadata),
            disabled: self.disabled,
            updated_by: text("updatedBy", required("updatedBy", self.updated_by)?)?,
        };
        Ok((aaguid, change))
    }
}

impl PatchRequest {
    /// The fields to change; `updatedBy` is required.
    pub fn change(self) -> Result<MetadataChange, Failure> {
        Ok(MetadataChange {
            name: self.name.map(|name| text("name", name)).transpose()?,
            metadata: self.metadata.map(metadata_text).transpose()?,
            disabled: self.disabled,
            updated_by: text("updatedBy", required("updatedBy", self.updated_by)?)?,
        })
    }
}

/// A record as the API shows it; `metadata` is the statement's JSON text as stored.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = VendorMetadata)]
pub struct Record {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Uuid)]
    aaguid: String,
    community_id: String,
    metadata: String,
    name: String,
    disabled: bool,
    updated_by: String,
    /// RFC 3339.
    updated_at: String,
}

/// The answer of an upsert.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    #[schema(format = Uuid)]
    aaguid: String,
    #[serde(rename = "errorMessage")]
    #[schema(max_length = 0)]
    error_message: &'static str,
    /// The record's id.
    #[schema(format = Uuid)]
    id: String,
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

impl Record {
    fn new(record: AuthenticatorPolicy, community_id: &str) -> Self {
        Self {
            id: record.id.to_string(),
            aaguid: record.aaguid.to_string(),
            community_id: community_id.to_owned(),
            metadata: record.metadata,
            name: record.name,
            disabled: record.disabled,
            updated_by: record.updated_by,
            updated_at: rfc3339(record.updated_at),
        }
    }
}

/// Fetches vendor metadata
///
/// The records of the community (for `any`, the organisation's own and the global records
/// `latchkey mds import` keeps), of the AAGUIDs named or all.
#[utoipa::path(post, path = "/webauthn/vendormetadata/{community_id}/fetch",
    operation_id = "fetchVendorMetadata", tag = "vendor metadata", security(("licenseKey" = [])),
    params(CommunityPath),
    request_body(content = FetchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The records, by AAGUID.", body = Vec<Record>),
        LicenseFailures,
        (status = 403, description = FORBIDDEN, body = Failure),
        (status = 404, description = "Unknown community.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
    ))]
pub async fn fetch<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<CommunityPath>,
    Body(request): Body<FetchRequest>,
) -> Result<Json<Vec<Record>>, Failure> {
    let aaguids = request.aaguids()?;
    let scope = scope(&state, &license, &path.community_id).await?;
    let records = state.engine.policies_in_scope(scope, &aaguids).await?;
    Ok(Json(
        records
            .into_iter()
            .map(|record| Record::new(record, &path.community_id))
            .collect(),
    ))
}

/// Stores vendor metadata
///
/// Creates or replaces the record of `aaguid`.
#[utoipa::path(put, path = "/webauthn/vendormetadata/{community_id}",
    operation_id = "putVendorMetadata", tag = "vendor metadata", security(("licenseKey" = [])),
    params(CommunityPath),
    request_body(content = PutRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored.", body = Stored),
        LicenseFailures,
        (status = 403, description = FORBIDDEN, body = Failure),
        (status = 404, description = "Unknown community.", body = Failure),
        (status = 413, description = METADATA_TOO_LARGE, body = Failure),
    ))]
pub async fn put<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<CommunityPath>,
    MetadataBody(request): MetadataBody<PutRequest>,
) -> Result<Json<Stored>, Failure> {
    let (aaguid, change) = request.change()?;
    let scope = scope(&state, &license, &path.community_id).await?;
    let stored = state.engine.put_policy(Some(scope), aaguid, change).await?;
    Ok(Json(Stored {
        aaguid: stored.aaguid.to_string(),
        error_message: "",
        id: stored.id.to_string(),
        status: "ok",
    }))
}

/// Changes vendor metadata
///
/// Changes the given fields of the record of `aaguid`; a community without its own record
/// starts from the one it inherits.
#[utoipa::path(patch, path = "/webauthn/vendormetadata/{community_id}/aaguid/{aaguid}",
    operation_id = "patchVendorMetadata", tag = "vendor metadata", security(("licenseKey" = [])),
    params(RecordPath),
    request_body(content = PatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed.", body = Done),
        LicenseFailures,
        (status = 403, description = FORBIDDEN, body = Failure),
        (status = 404, description = "Unknown community, or no record of the AAGUID.", body = Failure),
        (status = 413, description = METADATA_TOO_LARGE, body = Failure),
    ))]
pub async fn patch<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Params(path): Params<RecordPath>,
    MetadataBody(request): MetadataBody<PatchRequest>,
) -> Result<Json<Done>, Failure> {
    let aaguid = parse_aaguid(&path.aaguid)?;
    let change = request.change()?;
    let scope = scope(&state, &license, &path.community_id).await?;
    state
        .engine
        .patch_policy(Some(scope), aaguid, change)
        .await?;
    Ok(Json(Done::OK))
}

/// Why a license may be refused here.
const FORBIDDEN: &str =
    "The license does not cover the community, or `any` was asked without a system license.";
/// The larger limit of metadata writes.
const METADATA_TOO_LARGE: &str =
    "The body is larger than the largest metadata statement accepted plus 16 KiB.";

/// The community name that stands for every community of the license's organisation.
const ANY_COMMUNITY: &str = "any";

/// The scope whose records the path names.
async fn scope<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    community_id: &str,
) -> Result<TenantId, Failure> {
    let community = match community_id {
        ANY_COMMUNITY => CommunityScope::Any,
        named => CommunityScope::Named(named),
    };
    Ok(state.engine.policy_scope(license, community).await?)
}

fn parse_aaguid(text: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(text.trim())
        .map_err(|_| Failure::bad_request(format!("'{}' is not an AAGUID", text.trim())))
}

/// A metadata statement sent as an object or as its JSON text; the engine checks the text.
fn metadata_text(metadata: Value) -> Result<String, Failure> {
    match metadata {
        Value::String(text) => Ok(text),
        Value::Object(_) => Ok(metadata.to_string()),
        _ => Err(Failure::bad_request(
            "metadata must be a metadata statement: a JSON object or its text",
        )),
    }
}

fn missing(field: &str) -> Failure {
    Failure::bad_request(format!("{field} is required"))
}

fn required(field: &str, value: Option<String>) -> Result<String, Failure> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing(field))
}

fn text(field: &str, value: String) -> Result<String, Failure> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(Failure::bad_request(format!(
            "{field} cannot be longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_as_object_or_text() {
        assert_eq!(
            metadata_text(json!({"aaguid": "x"})).unwrap(),
            r#"{"aaguid":"x"}"#
        );
        assert_eq!(metadata_text(json!("{}")).unwrap(), "{}");
        assert_eq!(metadata_text(json!(5)).unwrap_err().status.as_u16(), 400);
    }

    #[test]
    fn aaguids_and_required_fields() {
        assert_eq!(
            parse_aaguid(" ee882879-721c-4913-9775-3dfcce97072a ").unwrap(),
            Uuid::parse_str("ee882879721c491397753dfcce97072a").unwrap()
        );
        assert!(parse_aaguid("nope").is_err());
        assert_eq!(
            required("name", Some("  ".to_owned())).unwrap_err().message,
            "name is required"
        );
        assert!(text("name", "n".repeat(257)).is_err());
    }
}
