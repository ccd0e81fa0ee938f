//! `/passcode/login/*`: a passcode by email, and its entry.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use latchkey_engine::accounts::{EmailSend, PasscodeMailData, PasscodeRequest};
use latchkey_engine::model::{Passcode, UserId};
use latchkey_engine::{Engine, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::accounts::uuid4_rule;
use super::error::{Endpoint, ErrorBody, PublicError, add_budget_headers, public_error};
use super::gate::AccountsTenant;
use super::session::{MaybeSession, SIGNUP_EMAIL_COOKIE, cookie, deliver};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};
use crate::mail::{Mail, MailLanguage, Mailer, passcode_mail};

/// `{"user_id", "email_id"}` of `initialize`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PasscodeInitialize)]
pub struct Initialize {
    /// The user's id (a version 4 UUID).
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Uuid, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    user_id: String,
    /// The address to send the passcode to; the user's primary address when absent.
    #[serde(default)]
    #[schema(format = Uuid)]
    email_id: Option<String>,
}

impl Validate for Initialize {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        uuid4_rule(&mut violations, "user_id", &self.user_id);
        if let Some(email_id) = self.email_id.as_deref().filter(|id| !id.is_empty())
            && Uuid::parse_str(email_id).is_err()
        {
            violations.push("email_id must be a valid uuid");
        }
        violations.finish()
    }
}

/// `{"id", "ttl", "created_at"}` of both endpoints.
#[derive(Serialize, ToSchema)]
#[schema(as = Passcode)]
struct PasscodeAnswer {
    id: Uuid,
    /// Seconds the passcode is valid.
    ttl: u32,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Passcode> for PasscodeAnswer {
    fn from(passcode: &Passcode) -> Self {
        Self {
            id: passcode.id,
            ttl: passcode.ttl_seconds,
            created_at: rfc3339(passcode.created_at),
        }
    }
}

/// POST `/passcode/login/initialize`: issues a passcode and mails it (unless the tenant
/// delivers mail itself).
#[utoipa::path(
    post,
    path = "/{tenant_id}/passcode/login/initialize",
    tag = "passcodes",
    summary = "Send a passcode",
    description = "Issues a passcode for the user and mails it to the address (unless `email_delivery.enabled` is off: then the `email.send` webhook event carries it). A session, when present, must be the same user's.",
    params(
        ("Accept-Language" = Option<String>, Header, description = "The mail's language."),
        ("hanko_email_id" = Option<String>, Cookie, description = "The address a sign-up in this browser used, set by `POST /users`."),
    ),
    request_body(content = Initialize, content_type = "application/json"),
    responses(
        (status = 200, description = "The passcode is sent.", body = PasscodeAnswer, headers(
            ("X-RateLimit-Limit" = u32, description = "With `rate_limiter.enabled`: the budget."),
            ("X-RateLimit-Remaining" = u32, description = "What is left of it."),
            ("X-RateLimit-Reset" = u64, description = "Seconds until it is whole again."),
        )),
        (status = 400, description = "The body is not a JSON object of this shape, a field is not a UUID, or the user or address is unknown.", body = ErrorBody),
        (status = 403, description = "The session or the address belongs to another user.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 429, description = "`rate_limiter.passcode_limits` is spent for this user and client address.", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a passcode may be asked for again."),
            ("X-RateLimit-Limit" = u32), ("X-RateLimit-Remaining" = u32), ("X-RateLimit-Reset" = u64),
        )),
        (status = 500, description = "The mail could not be sent, or the `email.send` event could not be queued where mail is not sent.", body = ErrorBody),
    ),
    security((), ("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    Extension(mailer): Extension<Mailer>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    MaybeSession(session): MaybeSession,
    headers: HeaderMap,
    ValidJson(body, _): ValidJson<Initialize, PublicError>,
) -> Result<Response, PublicError> {
    let parse = |text: &str| Uuid::parse_str(text).ok();
    let request = PasscodeRequest {
        user: UserId(parse(&body.user_id).unwrap_or_default()),
        email: body.email_id.as_deref().and_then(parse),
        signup_email: cookie(&headers, SIGNUP_EMAIL_COOKIE).and_then(parse),
        session_user: session.map(|session| session.user),
    };
    let limited = engine.start_passcode(tenant.id(), request, &meta).await;
    let issued = limited
        .outcome
        .map_err(|error| public_error(Endpoint::PasscodeInit, error).with_budget(limited.budget))?;
    let config = tenant.config();
    let accept_language = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let (subject, body) = passcode_mail(
        MailLanguage::from_accept_language(accept_language),
        &config.service.name,
        &issued.code,
        u64::from(issued.passcode.ttl_seconds),
    );
    let delivered_by_hanko = config.email_delivery.enabled;
    if delivered_by_hanko {
        let mail = Mail {
            from_name: config.passcode.email.from_name.clone(),
            from_address: config.passcode.email.from_address.clone(),
            to: issued.address.clone(),
            subject: subject.clone(),
            body: body.clone(),
        };
        if let Err(error) = mailer.send(config.smtp.as_ref(), &mail).await {
            tracing::error!(%error, "passcode mail not sent");
            return Err(PublicError::internal());
        }
    }
    // As v0.12: after a mail that was sent, or instead of one the deployment sends itself.
    let event = EmailSend {
        subject,
        body_plain: body,
        to_email_address: issued.address.clone(),
        delivered_by_hanko,
        accept_language: accept_language.unwrap_or_default().to_owned(),
        kind: "passcode",
        data: PasscodeMailData {
            service_name: config.service.name.clone(),
            otp_code: issued.code.clone(),
            ttl: issued.passcode.ttl_seconds,
            valid_until: issued.passcode.expires_at.unix_timestamp(),
        },
    };
    if let Err(error) = engine.enqueue_email_send(tenant.id(), &event).await {
        // A mail that went out is not taken back: the failure is only logged, as in v0.12.
        tracing::error!(%error, "email.send webhook not queued");
        if !delivered_by_hanko {
            return Err(PublicError::internal());
        }
    }
    let mut response = Json(PasscodeAnswer::from(&issued.passcode)).into_response();
    if let Some(budget) = &limited.budget {
        add_budget_headers(&mut response, budget);
    }
    Ok(response)
}

/// `{"id", "code"}` of `finalize`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PasscodeFinalize)]
pub struct Finalize {
    /// The passcode's id (a version 4 UUID).
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Uuid, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    id: String,
    /// The code from the mail.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(min_length = 1)]
    code: String,
}

impl Validate for Finalize {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        uuid4_rule(&mut violations, "id", &self.id);
        violations.required("code", &self.code);
        violations.finish()
    }
}

/// POST `/passcode/login/finalize`: a login answer for the right code.
#[utoipa::path(
    post,
    path = "/{tenant_id}/passcode/login/finalize",
    tag = "passcodes",
    summary = "Enter a passcode",
    description = "A login for the right code: the address is verified and the session delivered. The third wrong code ends the passcode (410).",
    request_body(content = Finalize, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in.", body = PasscodeAnswer, headers(
            ("X-Session-Lifetime" = u64, description = "Seconds the session lasts."),
            ("X-Auth-Token" = String, description = "The session token, where `session.enable_auth_token_header` is on."),
            ("Set-Cookie" = String, description = "The session cookie, where `session.enable_auth_token_header` is off."),
        )),
        (status = 400, description = "The body is not a JSON object of this shape, or a field is missing or not a UUID.", body = ErrorBody),
        (status = 401, description = "No such passcode, or a wrong code.", body = ErrorBody),
        (status = 403, description = "The passcode, its address or the session belong to another user.", body = ErrorBody),
        (status = 404, description = "The passcode's address or user is gone.", body = ErrorBody),
        (status = 408, description = "The passcode has expired.", body = ErrorBody),
        (status = 410, description = "The passcode's attempts are used up.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
    security((), ("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    MaybeSession(session): MaybeSession,
    ValidJson(body, _): ValidJson<Finalize, PublicError>,
) -> Result<Response, PublicError> {
    let id = Uuid::parse_str(&body.id).unwrap_or_default();
    let login = engine
        .finish_passcode(
            tenant.id(),
            id,
            &body.code,
            session.map(|session| session.user),
            &meta,
        )
        .await
        .map_err(|error| public_error(Endpoint::PasscodeFinal, error))?;
    let mut response = Json(PasscodeAnswer::from(&login.passcode)).into_response();
    deliver(&mut response, &tenant, &login.session);
    Ok(response)
}
