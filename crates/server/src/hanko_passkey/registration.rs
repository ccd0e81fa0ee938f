//! Passkey and MFA registration: `initialize` answers creation options, `finalize` verifies
//! the authenticator's response and answers a token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::Store;
use latchkey_engine::ceremonies::{CeremonyKind, ExtensionInputs, NewUser};
use latchkey_engine::{Engine, RequestMeta};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Token;
use super::credential_json::CredentialJson;
use super::error::ApiError;
use super::error::{Body as ErrorBody, Endpoint, api_error};
use super::openapi::{CREDENTIAL_CREATION, RATE_LIMITED};
use super::options::CreationOptions;
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::extensions::{ExtensionInputsJson, results_json};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// Longest user name and display name accepted, as in the original.
pub(super) const MAX_NAME_CHARS: usize = 128;

/// Body of `registration/initialize` and `mfa/registration/initialize`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InitRegistration {
    /// The application's id of the user, any text; a new id creates the user.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1)]
    user_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1, max_length = 128)]
    username: String,
    /// Falls back to `username` when absent or empty.
    #[serde(default)]
    #[schema(max_length = 128)]
    display_name: Option<String>,
    /// An absolute URL.
    #[serde(default)]
    #[schema(format = "uri")]
    icon: Option<String>,
    /// Extension inputs for this registration (an addition to the original): PRF salts in
    /// `prf.eval`.
    #[serde(default)]
    extensions: Option<ExtensionInputsJson>,
}

impl Validate for InitRegistration {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("user_id", &self.user_id);
        if self.username.is_empty() {
            violations.required("username", &self.username);
        } else {
            violations.max_chars("username", &self.username, MAX_NAME_CHARS);
        }
        if let Some(display_name) = &self.display_name {
            violations.max_chars("display_name", display_name, MAX_NAME_CHARS);
        }
        if let Some(icon) = &self.icon {
            violations.url("icon", icon);
        }
        violations.finish()
    }
}

impl InitRegistration {
    /// The user and the extension inputs the body names.
    pub(super) fn into_parts(self) -> Result<(NewUser, ExtensionInputs), latchkey_engine::Error> {
        let inputs = self
            .extensions
            .map(ExtensionInputs::try_from)
            .transpose()?
            .unwrap_or_default();
        let user = NewUser {
            external_id: self.user_id,
            name: self.username,
            display_name: self.display_name.unwrap_or_default(),
            icon: self.icon,
        };
        Ok((user, inputs))
    }
}

/// Starts a passkey registration.
///
/// Creates the user, or replaces its names and icon, and answers the options for
/// `navigator.credentials.create`.
#[utoipa::path(
    post,
    path = "/{tenant_id}/registration/initialize",
    operation_id = "post-registration-initialize",
    tag = "credentials",
    request_body(content = InitRegistration, content_type = "application/json"),
    responses(
        (status = 200, description = "The creation options.", body = CreationOptions),
        (status = 400, description = "A field breaks its rule (`unable to validate request`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<InitRegistration, ApiError>,
) -> Result<Json<CreationOptions>, ApiError> {
    start(&engine, &tenant, body, CeremonyKind::Passkey, &meta).await
}

/// Finishes a passkey registration.
///
/// Verifies the authenticator's response to a registration this tenant started (passkey or
/// MFA), stores the credential and answers a token for the user. No API key: browsers call it.
#[utoipa::path(
    post,
    path = "/{tenant_id}/registration/finalize",
    operation_id = "post-registration-finalize",
    tag = "credentials",
    request_body(content = ref("#/components/schemas/AttestationCredential"), content_type = "application/json", description = CREDENTIAL_CREATION),
    responses(
        (status = 200, description = "The credential is registered.", body = Token),
        (status = 400, description = "The response does not parse (`unable to parse credential creation response`), names no registration of this tenant (`received challenge does not match with any stored one`), or fails verification (`failed to validate attestation`).", body = ErrorBody),
        (status = 404, description = "The registering user was deleted meanwhile (`user not found`).", body = ErrorBody),
        (status = 409, description = "The credential is registered already (`credential already exists`).", body = ErrorBody),
        (status = 422, description = "The authenticator did not verify the user although the tenant requires it (`failed to validate attestation: ...`).", body = ErrorBody),
        (status = 429, description = RATE_LIMITED, body = ErrorBody),
    ),
    security(()),
)]
pub async fn finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<Token>, ApiError> {
    finish(&engine, &tenant, &body, CeremonyKind::Passkey, &meta).await
}

/// Starts an MFA registration.
///
/// As a passkey registration, with the tenant's MFA authenticator settings.
#[utoipa::path(
    post,
    path = "/{tenant_id}/mfa/registration/initialize",
    operation_id = "post-mfa-registration-initialize",
    tag = "mfa",
    request_body(content = InitRegistration, content_type = "application/json"),
    responses(
        (status = 200, description = "The creation options.", body = CreationOptions),
        (status = 400, description = "A field breaks its rule (`unable to validate request`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn mfa_initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<InitRegistration, ApiError>,
) -> Result<Json<CreationOptions>, ApiError> {
    start(&engine, &tenant, body, CeremonyKind::Mfa, &meta).await
}

/// Finishes an MFA registration.
///
/// As `registration/finalize`, but the credential is stored as an MFA credential.
#[utoipa::path(
    post,
    path = "/{tenant_id}/mfa/registration/finalize",
    operation_id = "post-mfa-registration-finalize",
    tag = "mfa",
    request_body(content = ref("#/components/schemas/AttestationCredential"), content_type = "application/json", description = CREDENTIAL_CREATION),
    responses(
        (status = 200, description = "The credential is registered.", body = Token),
        (status = 400, description = "The response does not parse (`unable to parse credential creation response`), names no registration of this tenant (`received challenge does not match with any stored one`), or fails verification (`failed to validate attestation`).", body = ErrorBody),
        (status = 404, description = "The registering user was deleted meanwhile (`user not found`).", body = ErrorBody),
        (status = 409, description = "The credential is registered already (`credential already exists`).", body = ErrorBody),
        (status = 422, description = "The authenticator did not verify the user although the tenant requires it (`failed to validate attestation: ...`).", body = ErrorBody),
        (status = 429, description = RATE_LIMITED, body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn mfa_finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<Token>, ApiError> {
    finish(&engine, &tenant, &body, CeremonyKind::Mfa, &meta).await
}

async fn start<S: Store>(
    engine: &Engine<S>,
    tenant: &CurrentTenant,
    body: InitRegistration,
    kind: CeremonyKind,
    meta: &RequestMeta,
) -> Result<Json<CreationOptions>, ApiError> {
    let refused = |error| api_error(Endpoint::RegistrationInit, error);
    let (user, inputs) = body.into_parts().map_err(refused)?;
    let options = engine
        .start_registration_with(tenant.id(), user, kind, inputs, meta)
        .await
        .map_err(refused)?;
    Ok(Json(options.into()))
}

async fn finish<S: Store>(
    engine: &Engine<S>,
    tenant: &CurrentTenant,
    body: &[u8],
    kind: CeremonyKind,
    meta: &RequestMeta,
) -> Result<Json<Token>, ApiError> {
    let outcome = engine
        .finish_registration(tenant.id(), body, kind, meta)
        .await
        .map_err(|error| api_error(Endpoint::RegistrationFinal, error))?;
    Ok(Json(Token {
        token: outcome.token,
        client_extension_results: results_json(&outcome.extension_results),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(json: &str) -> Result<(), String> {
        serde_json::from_str::<InitRegistration>(json)
            .unwrap()
            .validate()
    }

    #[test]
    fn rules_of_the_original() {
        assert_eq!(validate(r#"{"user_id":"u","username":"alice"}"#), Ok(()));
        assert_eq!(
            validate("{}").unwrap_err(),
            "user_id is a required field and username is a required field"
        );
        assert_eq!(
            validate(&format!(
                r#"{{"user_id":"u","username":"{}","icon":"nope"}}"#,
                "a".repeat(129)
            ))
            .unwrap_err(),
            "username cannot have more than 128 entries and icon must be a valid URL"
        );
        assert_eq!(
            validate(r#"{"user_id":"u","username":"a","display_name":null}"#),
            Ok(())
        );
    }
}
