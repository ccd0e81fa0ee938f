//! Passkey and MFA login: `initialize` answers request options, `finalize` verifies the
//! assertion and answers a token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credential_json::CredentialJson;
use super::error::ApiError;
use super::error::{Body as ErrorBody, Endpoint, api_error};
use super::openapi::{CREDENTIAL_ASSERTION, RATE_LIMITED};
use super::options::RequestOptions;
use super::tenant::{ApiKeyed, CurrentTenant, PresentedKey, check_api_key, presented_api_key};
use crate::extensions::{self, ExtensionInputsJson, results_json};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::signal::UserSignal;
use crate::http::validate::{Validate, Violations};

/// Body of `login/initialize`: without `user_id` the login is discoverable.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InitLogin {
    /// The application's id of the user to log in; naming one needs the API key.
    #[serde(default)]
    #[schema(min_length = 1)]
    user_id: Option<String>,
    /// Extension inputs for this login (an addition to the original): PRF salts
    /// (`prf.eval`, `prf.evalByCredential`) and large blob access (`largeBlob`).
    #[serde(default)]
    extensions: Option<ExtensionInputsJson>,
}

impl Validate for InitLogin {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        if let Some(user_id) = &self.user_id {
            violations.min_chars("user_id", user_id, 1);
        }
        violations.finish()
    }
}

/// The answer of a finished login: the original's token, and what the page may tell the
/// browser about the user's credentials.
#[derive(Serialize, ToSchema)]
pub struct LoggedIn {
    /// A JWS (compact) with the claims `sub` (the user), `aud`, `iat`, `exp` and `cred` (the
    /// credential); verify it with the tenant's JWKS.
    token: String,
    /// The options of `PublicKeyCredential.signalAllAcceptedCredentials` and
    /// `signalCurrentUserDetails` for the user who logged in. An addition to the original's
    /// answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<UserSignal>,
    /// The client extension results the finalize body carried that matter to the caller
    /// (`credProps`, `prf`, `largeBlob`), as read; absent when there were none.
    #[serde(
        rename = "clientExtensionResults",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>, required = false)]
    client_extension_results: Option<serde_json::Value>,
}

/// Body of `mfa/login/initialize`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InitMfaLogin {
    /// The application's id of the user.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1)]
    user_id: String,
    /// Extension inputs for this login (an addition to the original), as for `login/initialize`.
    #[serde(default)]
    extensions: Option<ExtensionInputsJson>,
}

impl Validate for InitMfaLogin {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("user_id", &self.user_id);
        violations.finish()
    }
}

/// Starts a login.
///
/// Without `user_id` the login is discoverable and public (browsers call it, also without a
/// body). Naming a user needs the API key, since the answer lists that user's credentials.
#[utoipa::path(
    post,
    path = "/{tenant_id}/login/initialize",
    operation_id = "post-login-initialize",
    tag = "webauthn",
    request_body(content = Option<InitLogin>, content_type = "application/json", description = "May be absent: an empty body reads as `{}`."),
    responses(
        (status = 200, description = "The request options for `navigator.credentials.get`.", body = RequestOptions),
        (status = 400, description = "`user_id` is empty (`unable to validate request`), or the user has no passkeys (`user has no suitable credentials for this operation`).", body = ErrorBody),
        (status = 401, description = "`user_id` is given without an API key (`api key is missing`).", body = ErrorBody),
        (status = 404, description = "No user has this `user_id` (`user not found`).", body = ErrorBody),
        (status = 429, description = RATE_LIMITED, body = ErrorBody),
    ),
    security((), ("apiKey" = [])),
)]
pub async fn initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    headers: HeaderMap,
    ValidJson(body, _): ValidJson<InitLogin, ApiError>,
) -> Result<Json<RequestOptions>, ApiError> {
    if body.user_id.is_some() {
        let presented = presented_api_key(&headers);
        if presented == PresentedKey::Missing {
            return Err(ApiError::unauthorized("api key is missing"));
        }
        check_api_key(&engine, tenant.id(), presented).await?;
    }
    let refused = |error| api_error(Endpoint::LoginInit, error);
    let inputs = extensions::inputs(body.extensions).map_err(refused)?;
    let options = engine
        .start_login_with(tenant.id(), body.user_id.as_deref(), inputs, &meta)
        .await
        .map_err(refused)?;
    Ok(Json(options.into()))
}

/// Finishes a login.
///
/// Verifies the assertion for a login this tenant started and answers a token for the user.
/// No API key: browsers call it.
#[utoipa::path(
    post,
    path = "/{tenant_id}/login/finalize",
    operation_id = "post-login-finalize",
    tag = "webauthn",
    request_body(content = ref("#/components/schemas/AssertionCredential"), content_type = "application/json", description = CREDENTIAL_ASSERTION),
    responses(
        (status = 200, description = "The user is logged in.", body = LoggedIn),
        (status = 400, description = "The assertion does not parse (`unable to finish login`).", body = ErrorBody),
        (status = 401, description = "The challenge names no login of this tenant (`failed to get session data`), the user is unknown (`failed to get user handle`), or the assertion fails verification (`failed to validate assertion`). When the tenant holds no credential with the assertion's id, `signal` holds the options of `PublicKeyCredential.signalUnknownCredential`.", body = ErrorBody),
        (status = 429, description = RATE_LIMITED, body = ErrorBody),
    ),
    security(()),
)]
pub async fn finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<LoggedIn>, ApiError> {
    let outcome = engine
        .finish_login(tenant.id(), &body, &meta)
        .await
        .map_err(|error| api_error(Endpoint::LoginFinal, error))?;
    Ok(Json(LoggedIn {
        token: outcome.token,
        signal: outcome.signals.map(Into::into),
        client_extension_results: results_json(&outcome.extension_results),
    }))
}

/// Starts an MFA login.
///
/// Lists all the user's credentials, MFA and passkeys, with the tenant's MFA settings.
#[utoipa::path(
    post,
    path = "/{tenant_id}/mfa/login/initialize",
    operation_id = "post-mfa-login-initialize",
    tag = "mfa",
    request_body(content = InitMfaLogin, content_type = "application/json"),
    responses(
        (status = 200, description = "The request options for `navigator.credentials.get`.", body = RequestOptions),
        (status = 400, description = "`user_id` is missing (`unable to validate request`), or the user has no credentials (`user has no suitable credentials for this operation`).", body = ErrorBody),
        (status = 404, description = "No user has this `user_id` (`user not found`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn mfa_initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<InitMfaLogin, ApiError>,
) -> Result<Json<RequestOptions>, ApiError> {
    let refused = |error| api_error(Endpoint::MfaLoginInit, error);
    let inputs = extensions::inputs(body.extensions).map_err(refused)?;
    let options = engine
        .start_mfa_login_with(tenant.id(), &body.user_id, inputs, &meta)
        .await
        .map_err(refused)?;
    Ok(Json(options.into()))
}

/// Finishes an MFA login.
///
/// As `login/finalize`; the user is the one the login was started for, and MFA credentials
/// are accepted.
#[utoipa::path(
    post,
    path = "/{tenant_id}/mfa/login/finalize",
    operation_id = "post-mfa-login-finalize",
    tag = "mfa",
    request_body(content = ref("#/components/schemas/AssertionCredential"), content_type = "application/json", description = CREDENTIAL_ASSERTION),
    responses(
        (status = 200, description = "The user is logged in.", body = LoggedIn),
        (status = 400, description = "The assertion does not parse (`unable to finish login`).", body = ErrorBody),
        (status = 401, description = "The challenge names no MFA login of this tenant (`failed to get session data`), the user is unknown (`failed to get user handle`), or the assertion fails verification (`failed to validate assertion`). When the tenant holds no credential with the assertion's id, `signal` holds the options of `PublicKeyCredential.signalUnknownCredential`.", body = ErrorBody),
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
) -> Result<Json<LoggedIn>, ApiError> {
    let outcome = engine
        .finish_mfa_login(tenant.id(), &body, &meta)
        .await
        .map_err(|error| api_error(Endpoint::MfaLoginFinal, error))?;
    Ok(Json(LoggedIn {
        token: outcome.token,
        signal: outcome.signals.map(Into::into),
        client_extension_results: results_json(&outcome.extension_results),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_rules() {
        let login = |json: &str| serde_json::from_str::<InitLogin>(json).unwrap().validate();
        assert_eq!(login("{}"), Ok(()));
        assert_eq!(login(r#"{"user_id":null}"#), Ok(()));
        assert_eq!(
            login(r#"{"user_id":""}"#).unwrap_err(),
            "user_id must at least have 1 entry"
        );
        let mfa = |json: &str| {
            serde_json::from_str::<InitMfaLogin>(json)
                .unwrap()
                .validate()
        };
        assert_eq!(mfa("{}").unwrap_err(), "user_id is a required field");
        assert_eq!(mfa(r#"{"user_id":"u"}"#), Ok(()));
    }
}
