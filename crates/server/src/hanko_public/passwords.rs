//! `/password`: set a password, log in with it. Both exist only where `password.enabled`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::UserId;
use latchkey_engine::{Engine, Store};
use serde::Deserialize;
use uuid::Uuid;

use super::accounts::uuid4_rule;
use super::error::{Endpoint, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{Session, deliver_limited};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// `{"user_id", "password"}` of both endpoints.
#[derive(Deserialize)]
pub struct PasswordBody {
    #[serde(default, deserialize_with = "null_as_empty")]
    user_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    password: String,
}

/// The password stays out of `Debug` and so of logs.
impl std::fmt::Debug for PasswordBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordBody")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Validate for PasswordBody {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        uuid4_rule(&mut violations, "user_id", &self.user_id);
        violations.required("password", &self.password);
        violations.finish()
    }
}

/// PUT `/password`: 201 when the user had none, 200 when it replaced one; the body is `null`.
pub async fn set<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    ValidJson(body, _): ValidJson<PasswordBody, PublicError>,
) -> Result<Response, PublicError> {
    if !tenant.config().password.enabled {
        return Err(PublicError::not_found());
    }
    let user = UserId(Uuid::parse_str(&body.user_id).unwrap_or_default());
    let replaced = engine
        .set_password(tenant.id(), session.user, user, &body.password, &meta)
        .await
        .map_err(|error| public_error(Endpoint::SetPassword, error))?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(())).into_response())
}

/// POST `/password/login`: a login answer with body `null`.
pub async fn login<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<PasswordBody, PublicError>,
) -> Result<Response, PublicError> {
    if !tenant.config().password.enabled {
        return Err(PublicError::not_found());
    }
    let user = Uuid::parse_str(&body.user_id).unwrap_or_default();
    let limited = engine
        .password_login(tenant.id(), user, &body.password, &meta)
        .await;
    let session = limited.outcome.map_err(|error| {
        public_error(Endpoint::PasswordLogin, error).with_budget(limited.budget)
    })?;
    let body = Json(()).into_response();
    Ok(deliver_limited(
        body,
        &tenant,
        &session,
        limited.budget.as_ref(),
    ))
}
