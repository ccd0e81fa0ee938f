//! `/password`: set a password, log in with it. Both exist only where `password.enabled`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::UserId;
use latchkey_engine::{Engine, Store};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::accounts::uuid4_rule;
use super::error::{Endpoint, ErrorBody, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{Session, deliver_limited};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// `{"user_id", "password"}` of both endpoints.
#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    /// The user's id (a version 4 UUID).
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Uuid, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    user_id: String,
    /// At least `password.min_password_length` characters where a password is set.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(min_length = 1, format = Password)]
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
#[utoipa::path(
    put,
    path = "/{tenant_id}/password",
    tag = "passwords",
    summary = "Set the session user's password",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The password replaced the user's old one; the body is `null`.", body = ref("#/components/schemas/Null")),
        (status = 201, description = "The user had no password; the body is `null`.", body = ref("#/components/schemas/Null")),
        (status = 400, description = "The body is not a JSON object of this shape, `user_id` is not a UUID, or the password is empty, too short or too long.", body = ErrorBody),
        (status = 401, description = "No valid session, or the user is unknown.", body = ErrorBody),
        (status = 403, description = "`user_id` is not the session's user.", body = ErrorBody),
        (status = 404, description = "Passwords are off for the tenant (`password.enabled`).", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
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
#[utoipa::path(
    post,
    path = "/{tenant_id}/password/login",
    tag = "passwords",
    summary = "Log in with a password",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the body is `null`.", body = ref("#/components/schemas/Null"), headers(
            ("X-Session-Lifetime" = u64, description = "Seconds the session lasts."),
            ("X-Auth-Token" = String, description = "The session token, where `session.enable_auth_token_header` is on."),
            ("Set-Cookie" = String, description = "The session cookie, where `session.enable_auth_token_header` is off."),
            ("X-RateLimit-Limit" = u32, description = "With `rate_limiter.enabled`: the budget."),
            ("X-RateLimit-Remaining" = u32, description = "What is left of it."),
            ("X-RateLimit-Reset" = u64, description = "Seconds until it is whole again."),
        )),
        (status = 400, description = "The body is not a JSON object of this shape, `user_id` is not a UUID, or the password is empty or too long.", body = ErrorBody),
        (status = 401, description = "Unknown user, no password, or a wrong one.", body = ErrorBody),
        (status = 404, description = "Passwords are off for the tenant (`password.enabled`).", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 429, description = "`rate_limiter.password_limits` is spent for this user and client address.", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a login may be tried again."),
            ("X-RateLimit-Limit" = u32), ("X-RateLimit-Remaining" = u32), ("X-RateLimit-Reset" = u64),
        )),
    ),
)]
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
