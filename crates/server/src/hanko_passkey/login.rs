//! Passkey and MFA login: `initialize` answers request options, `finalize` verifies the
//! assertion and answers a token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use serde::Deserialize;

use super::Token;
use super::credential_json::CredentialJson;
use super::error::ApiError;
use super::error::{Endpoint, api_error};
use super::options::RequestOptions;
use super::tenant::{ApiKeyed, CurrentTenant, PresentedKey, check_api_key, presented_api_key};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// Body of `login/initialize`: without `user_id` the login is discoverable.
#[derive(Debug, Deserialize)]
pub struct InitLogin {
    #[serde(default)]
    user_id: Option<String>,
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

/// Body of `mfa/login/initialize`.
#[derive(Debug, Deserialize)]
pub struct InitMfaLogin {
    #[serde(default, deserialize_with = "null_as_empty")]
    user_id: String,
}

impl Validate for InitMfaLogin {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("user_id", &self.user_id);
        violations.finish()
    }
}

/// POST `/{tenant}/login/initialize`: public for a discoverable login; naming a user needs an
/// API key, since the answer lists that user's credentials.
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
    let options = engine
        .start_login(tenant.id(), body.user_id.as_deref(), &meta)
        .await
        .map_err(|error| api_error(Endpoint::LoginInit, error))?;
    Ok(Json(options.into()))
}

/// POST `/{tenant}/login/finalize` (no API key: browsers call it).
pub async fn finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<Token>, ApiError> {
    let outcome = engine
        .finish_login(tenant.id(), &body, &meta)
        .await
        .map_err(|error| api_error(Endpoint::LoginFinal, error))?;
    Ok(Json(Token {
        token: outcome.token,
    }))
}

/// POST `/{tenant}/mfa/login/initialize` (API key).
pub async fn mfa_initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<InitMfaLogin, ApiError>,
) -> Result<Json<RequestOptions>, ApiError> {
    let options = engine
        .start_mfa_login(tenant.id(), &body.user_id, &meta)
        .await
        .map_err(|error| api_error(Endpoint::MfaLoginInit, error))?;
    Ok(Json(options.into()))
}

/// POST `/{tenant}/mfa/login/finalize` (API key).
pub async fn mfa_finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<Token>, ApiError> {
    let outcome = engine
        .finish_mfa_login(tenant.id(), &body, &meta)
        .await
        .map_err(|error| api_error(Endpoint::MfaLoginFinal, error))?;
    Ok(Json(Token {
        token: outcome.token,
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
