//! Passkey registration: `attestation/options` answers creation options, `attestation/result`
//! verifies the authenticator's response; each encrypted, and plain under `/u1`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::RequestMeta;
use latchkey_engine::Store;
use latchkey_engine::ceremonies::{CeremonyKind, NewUser};
use latchkey_engine::model::{AttestationPreference, License};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::call::{Body, Envelope, Licensed, RawBody, Sealed, SealedAnswer};
use super::ceremony::{OptionsRequest, ResultRequest, SessionInfo, realm};
use super::error::Failure;
use super::openapi::{
    CEREMONY_FAILED, EnvelopeFailures, EnvelopeHeaders, LicenseFailures, RATE_LIMITED,
    SessionInfoHeader,
};
use super::options::CreationOptions;
use super::state::Kosmos;
use crate::extensions::results_json;
use crate::http::meta::Meta;

/// The answer of a registration result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    data: Subject,
    #[schema(pattern = "^ok$")]
    status: &'static str,
    #[schema(max_length = 0)]
    error_message: &'static str,
}

/// The user a ceremony was for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subject {
    /// The user name the ceremony was for.
    pub sub: String,
    /// The client extension results the result body carried that matter to the caller
    /// (`credProps`, `prf`, `largeBlob`), as read; absent when there were none. An addition to
    /// the original.
    #[serde(
        rename = "clientExtensionResults",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>, required = false)]
    pub client_extension_results: Option<Value>,
}

/// What an encrypted registration options answer decrypts to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealedCreationOptions {
    data: CreationOptions,
    /// The service's public key, as `/publickeys` shows it.
    publickey: String,
}

/// Starts a registration (encrypted)
///
/// The body's `data` decrypts to an `OptionsRequest`; the answer's `data` decrypts to a
/// `SealedCreationOptions`: the creation options wrapped as `{data, publickey}`,
/// `publickey` being the service's key.
#[utoipa::path(post, path = "/webauthn/attestation/options", operation_id = "attestationOptions",
    tag = "FIDO registration", params(EnvelopeHeaders),
    request_body(content = Envelope, content_type = "application/json"),
    responses(
        (status = 200, description = "The creation options, encrypted (`SealedCreationOptions`).", body = SealedAnswer),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until a new start is allowed."))),
    ))]
pub async fn options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<SealedAnswer>, Failure> {
    let request = sealed.open_body(&body)?;
    let options = start(&state, &sealed.license, request, &meta).await?;
    let key = state.service_key().await?;
    sealed.answer(&SealedCreationOptions {
        data: options,
        publickey: key.public_base64().to_owned(),
    })
}

/// Starts a registration
#[utoipa::path(post, path = "/webauthn/u1/attestation/options", operation_id = "u1AttestationOptions",
    tag = "u1 registration", security(("licenseKey" = [])),
    request_body(content = OptionsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The creation options.", body = CreationOptions),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until a new start is allowed."))),
    ))]
pub async fn u1_options<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Meta(meta): Meta,
    Body(request): Body<OptionsRequest>,
) -> Result<Json<CreationOptions>, Failure> {
    start(&state, &license, request, &meta).await.map(Json)
}

/// Finishes a registration (encrypted)
///
/// The body's `data` decrypts to a `CredentialResult` (the authenticator's attestation
/// response); the answer's `data` decrypts to `Registered`.
#[utoipa::path(post, path = "/webauthn/attestation/result", operation_id = "attestationResult",
    tag = "FIDO registration", params(EnvelopeHeaders),
    request_body(content = Envelope, content_type = "application/json"),
    responses(
        (status = 200, description = "The registered user, encrypted (`Registered`).", body = SealedAnswer),
        EnvelopeFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community or user.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 422, description = CEREMONY_FAILED, body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until failed ceremonies are counted afresh."))),
    ))]
pub async fn result<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    sealed: Sealed,
    Meta(meta): Meta,
    RawBody(body): RawBody,
) -> Result<Json<SealedAnswer>, Failure> {
    let body: Value = sealed.open_body(&body)?;
    let registered = finish(&state, &sealed.license, &body, &meta).await?;
    sealed.answer(&registered)
}

/// Finishes a registration
#[utoipa::path(post, path = "/webauthn/u1/attestation/result", operation_id = "u1AttestationResult",
    tag = "u1 registration", params(SessionInfoHeader), security(("licenseKey" = [])),
    request_body(content = ref("#/components/schemas/CredentialResult"), content_type = "application/json"),
    responses(
        (status = 200, description = "The registered user.", body = Registered),
        LicenseFailures,
        (status = 403, description = "The license does not cover the community.", body = Failure),
        (status = 404, description = "Unknown community or user.", body = Failure),
        (status = 409, description = "The credential is already registered.", body = Failure),
        (status = 413, description = "The body is larger than 64 KiB.", body = Failure),
        (status = 422, description = CEREMONY_FAILED, body = Failure),
        (status = 429, description = RATE_LIMITED, body = Failure, headers(("Retry-After" = u64, description = "Seconds until failed ceremonies are counted afresh."))),
    ))]
pub async fn u1_result<S: Store>(
    State(state): State<Arc<Kosmos<S>>>,
    Licensed(license): Licensed,
    Meta(meta): Meta,
    session: SessionInfo,
    Body(body): Body<Value>,
) -> Result<Json<Registered>, Failure> {
    session.trace("u1/attestation/result");
    finish(&state, &license, &body, &meta).await.map(Json)
}

async fn start<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    mut request: OptionsRequest,
    meta: &RequestMeta,
) -> Result<CreationOptions, Failure> {
    let inputs = request.extension_inputs()?;
    let engine = &state.engine;
    let username = request.username(true)?.unwrap_or_default().to_owned();
    let attestation = requested_attestation(&request.attestation)?;
    let realm = realm(engine, license, &request.community_id, &request.dns).await?;
    let user = NewUser {
        external_id: username.clone(),
        name: username.clone(),
        display_name: request.display_name,
        icon: None,
    };
    let options = engine
        .start_registration_with(realm.id, user, CeremonyKind::Passkey, inputs, meta)
        .await?;
    Ok(CreationOptions::new(options, attestation))
}

/// The conveyance the caller asked for; blank means the realm's preference.
fn requested_attestation(text: &str) -> Result<Option<AttestationPreference>, Failure> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "none" => Ok(Some(AttestationPreference::None)),
        "indirect" => Ok(Some(AttestationPreference::Indirect)),
        "direct" => Ok(Some(AttestationPreference::Direct)),
        "enterprise" => Ok(Some(AttestationPreference::Enterprise)),
        _ => Err(Failure::bad_request(
            "attestation must be one of none, indirect, direct, enterprise",
        )),
    }
}

async fn finish<S: Store>(
    state: &Kosmos<S>,
    license: &License,
    body: &Value,
    meta: &RequestMeta,
) -> Result<Registered, Failure> {
    let request = ResultRequest::read(body)?;
    let realm = realm(&state.engine, license, &request.community_id, &request.dns).await?;
    let outcome = state
        .engine
        .finish_registration(realm.id, &request.credential, CeremonyKind::Passkey, meta)
        .await?;
    Ok(Registered {
        data: Subject {
            sub: outcome.user_id,
            client_extension_results: results_json(&outcome.extension_results),
        },
        status: "ok",
        error_message: "",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_preferences() {
        assert_eq!(requested_attestation(" ").unwrap(), None);
        assert_eq!(
            requested_attestation("enterprise").unwrap(),
            Some(AttestationPreference::Enterprise)
        );
        assert_eq!(
            requested_attestation("Direct").unwrap(),
            Some(AttestationPreference::Direct)
        );
        assert_eq!(
            requested_attestation("basic").unwrap_err().status.as_u16(),
            400
        );
    }
}
