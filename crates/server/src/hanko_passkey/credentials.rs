//! `/{tenant}/credentials`: list, read, rename and delete a tenant's credentials.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::credentials::CredentialRecord;
use latchkey_engine::model::CredentialProtection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::ApiError;
use super::error::{Body as ErrorBody, Endpoint, api_error};
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::pagination::{PageParams, RequestUrl, first_value, page_response};
use crate::http::path::LossyLastSegment;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// A credential as the original's `CredentialDto` shows it, plus the owner's `user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Credential)]
pub struct CredentialDto {
    /// The credential id, base64url without padding.
    pub id: String,
    /// Absent when the credential has no name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The COSE public key, base64url without padding.
    pub public_key: String,
    /// The attestation statement format, e.g. `none` or `packed`.
    pub attestation_type: String,
    /// All zero when the authenticator names no model.
    #[schema(format = Uuid)]
    pub aaguid: String,
    /// Absent when the credential was never used to log in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub transports: Vec<String>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub is_mfa: bool,
    /// The application's id of the credential's user.
    pub user_id: String,
    /// Whether the credential is discoverable, as the client reported at registration
    /// (`credProps.rk`); absent when it did not say. An addition to the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub discoverable: Option<bool>,
    /// The credProtect level the authenticator reported at registration; absent when none.
    /// An addition to the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false, pattern = "^(user_verification_optional|user_verification_optional_with_credential_id_list|user_verification_required)$")]
    pub credential_protection: Option<CredentialProtection>,
    /// The authenticator's minimum PIN length, if it reported one at registration. An
    /// addition to the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub min_pin_length: Option<u32>,
}

impl From<CredentialRecord> for CredentialDto {
    fn from(record: CredentialRecord) -> Self {
        let credential = record.credential;
        Self {
            id: URL_SAFE_NO_PAD.encode(&credential.id),
            name: credential.name,
            public_key: URL_SAFE_NO_PAD.encode(&credential.public_key),
            attestation_type: credential.attestation_format,
            aaguid: Uuid::from_bytes(credential.aaguid).hyphenated().to_string(),
            last_used_at: credential.last_used_at.map(rfc3339),
            created_at: rfc3339(credential.created_at),
            transports: credential
                .transports
                .into_iter()
                .filter(|transport| !transport.is_empty())
                .collect(),
            backup_eligible: credential.backup_eligible,
            backup_state: credential.backup_state,
            is_mfa: credential.is_mfa,
            user_id: record.user_id,
            discoverable: credential.discoverable,
            credential_protection: credential.credential_protection,
            min_pin_length: credential.min_pin_length,
        }
    }
}

/// Lists credentials.
///
/// The tenant's credentials, passkeys and MFA, or one user's, by creation time, a page at a
/// time.
#[utoipa::path(
    get,
    path = "/{tenant_id}/credentials",
    operation_id = "get-credentials",
    tag = "credentials",
    params(
        ("user_id" = Option<String>, Query, description = "Only this user's credentials (the application's id of the user)."),
        ("page" = Option<i64>, Query, description = "The page, from 1; a value below 1 reads as 1."),
        ("per_page" = Option<i64>, Query, description = "Credentials per page (20 when absent or below 1, at most 1000)."),
        ("order" = Option<String>, Query, description = "By creation time: `desc` (the default) or `asc`."),
    ),
    responses(
        (status = 200, description = "One page of credentials.", body = Vec<CredentialDto>, headers(
            ("X-Total-Count" = u64, description = "How many items all pages hold together."),
            ("Link" = String, description = "The `first`, `last`, `next` and `prev` pages, as far as they exist: `<URL>; rel=\"...\"` entries separated by commas."),
        )),
        (status = 400, description = "`page` or `per_page` is not an integer (`unable to process request`), or `order` is neither `asc` nor `desc` (`unable to validate request`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn list<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    let params = PageParams::from_pairs(&url.query).map_err(ApiError::unprocessable_body)?;
    let order = first_value(&url.query, "order").unwrap_or("desc");
    let mut violations = Violations::default();
    violations.one_of("Order", order, &["desc", "asc"]);
    violations.finish().map_err(ApiError::invalid_request)?;
    let user_id = first_value(&url.query, "user_id");
    page_response::<_, CredentialDto, _, _, _>(&url, params, order == "desc", |page| async move {
        engine
            .credentials(tenant.id(), user_id, page)
            .await
            .map_err(|error| api_error(Endpoint::Credentials, error))
    })
    .await
}

/// Reads a credential.
#[utoipa::path(
    get,
    path = "/{tenant_id}/credentials/{credential_id}",
    operation_id = "get-credentials-credentialId",
    tag = "credentials",
    params(("credential_id" = String, Path, min_length = 1, description = "The credential id, base64url without padding; other text names no credential.")),
    responses(
        (status = 200, description = "The credential.", body = CredentialDto),
        (status = 404, description = "The tenant has no credential with this id (`credential with id '...' not found`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn get<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    LossyLastSegment(id): LossyLastSegment,
) -> Result<Json<CredentialDto>, ApiError> {
    let endpoint = Endpoint::Credential(&id);
    let raw = decode_id(&id)?;
    let record = engine
        .credential(tenant.id(), &raw)
        .await
        .map_err(|error| api_error(endpoint, error))?;
    Ok(Json(record.into()))
}

/// Body of PATCH `/{tenant}/credentials/{credential_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Rename {
    /// The new name; not only whitespace.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1, max_length = 256)]
    name: String,
}

impl Validate for Rename {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("name", &self.name);
        violations.finish()
    }
}

/// Renames a credential.
#[utoipa::path(
    patch,
    path = "/{tenant_id}/credentials/{credential_id}",
    operation_id = "patch-credentials-credentialId",
    tag = "credentials",
    params(("credential_id" = String, Path, min_length = 1, description = "The credential id, base64url without padding; other text names no credential.")),
    request_body(content = Rename, content_type = "application/json"),
    responses(
        (status = 204, description = "The credential is renamed."),
        (status = 400, description = "The name is missing, only whitespace, too long or holds a character that cannot be stored (`unable to validate request`).", body = ErrorBody),
        (status = 404, description = "The tenant has no credential with this id (`credential with id '...' not found`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn rename<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    LossyLastSegment(id): LossyLastSegment,
    ValidJson(body, _): ValidJson<Rename, ApiError>,
) -> Result<StatusCode, ApiError> {
    let raw = decode_id(&id)?;
    engine
        .rename_credential(tenant.id(), &raw, &body.name, &meta)
        .await
        .map_err(|error| api_error(Endpoint::Credential(&id), error))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a credential.
#[utoipa::path(
    delete,
    path = "/{tenant_id}/credentials/{credential_id}",
    operation_id = "delete-credentials-credentialId",
    tag = "credentials",
    params(("credential_id" = String, Path, min_length = 1, description = "The credential id, base64url without padding; other text names no credential.")),
    responses(
        (status = 204, description = "The credential is deleted."),
        (status = 404, description = "The tenant has no credential with this id (`credential with id '...' not found`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn delete<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    LossyLastSegment(id): LossyLastSegment,
) -> Result<StatusCode, ApiError> {
    let raw = decode_id(&id)?;
    engine
        .delete_credential(tenant.id(), &raw, &meta)
        .await
        .map_err(|error| api_error(Endpoint::Credential(&id), error))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Credential ids are base64url without padding on the wire; anything else (including a path
/// segment that is not UTF-8, which arrives here with U+FFFD in it) names no credential, and is
/// answered like an unknown id.
fn decode_id(id: &str) -> Result<Vec<u8>, ApiError> {
    URL_SAFE_NO_PAD
        .decode(id)
        .ok()
        .filter(|raw| !raw.is_empty())
        .ok_or_else(|| {
            api_error(
                Endpoint::Credential(id),
                latchkey_engine::Error::NotFound(latchkey_engine::Entity::Credential),
            )
        })
}

#[cfg(test)]
mod tests {
    use latchkey_engine::model::{Credential, TenantId, UserId};
    use time::macros::datetime;

    use super::*;

    #[test]
    fn credential_json_has_the_original_fields() {
        let record = CredentialRecord {
            credential: Credential {
                id: vec![1, 2, 3, 4],
                tenant: TenantId(Uuid::nil()),
                user: UserId(Uuid::nil()),
                name: Some("iCloud Keychain".to_owned()),
                public_key: vec![0xa5, 0x01],
                attestation_format: "none".to_owned(),
                aaguid: [0; 16],
                sign_count: 0,
                transports: Vec::new(),
                backup_eligible: true,
                backup_state: false,
                is_mfa: false,
                created_at: datetime!(2024-01-02 03:04:05.5 UTC),
                last_used_at: None,
                discoverable: None,
                credential_protection: None,
                min_pin_length: None,
            },
            user_id: "user-1".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&CredentialDto::from(record)).unwrap(),
            concat!(
                r#"{"id":"AQIDBA","name":"iCloud Keychain","public_key":"pQE","#,
                r#""attestation_type":"none","aaguid":"00000000-0000-0000-0000-000000000000","#,
                r#""created_at":"2024-01-02T03:04:05.5Z","transports":[],"backup_eligible":true,"#,
                r#""backup_state":false,"is_mfa":false,"user_id":"user-1"}"#
            )
        );
    }

    #[test]
    fn bad_ids_name_no_credential() {
        let error = decode_id("not base64!").unwrap_err();
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(error.title, "credential with id 'not base64!' not found");
        assert_eq!(decode_id("AQIDBA").unwrap(), vec![1, 2, 3, 4]);
        assert!(decode_id("AQIDBA==").is_err());
        let undecodable = decode_id("\u{fffd}").unwrap_err();
        assert_eq!(undecodable.status, StatusCode::NOT_FOUND);
        assert_eq!(undecodable.title, "credential with id '\u{fffd}' not found");
    }
}
