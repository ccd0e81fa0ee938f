//! Users: lookup by address, sign-up, the current user, logout and account deletion, and the
//! API's `.well-known/config`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::accounts::normalize_address;
use latchkey_engine::model::UserId;
use latchkey_engine::{Engine, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{Endpoint, ErrorBody, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{MaybeSession, Session, deliver, expire, remember_signup_email};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// `{"email"}` of `POST /user` and `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailBody {
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Email, min_length = 1)]
    email: String,
}

impl Validate for EmailBody {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        email_rule(&mut violations, "email", &self.email);
        violations.finish()
    }
}

/// The validator's `required,email`.
pub fn email_rule(violations: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        violations.required(field, value);
    } else if normalize_address(value).is_err() {
        violations.push(format!("{field} must be a valid email address"));
    }
}

/// The validator's `required,uuid4`; the parsed id if it holds.
pub fn uuid4_rule(violations: &mut Violations, field: &str, value: &str) -> Option<Uuid> {
    if value.is_empty() {
        violations.required(field, value);
        return None;
    }
    match Uuid::parse_str(value) {
        Ok(id) if id.get_version_num() == 4 => Some(id),
        _ => {
            violations.push(format!("{field} must be a valid uuid4"));
            None
        }
    }
}

/// Path parameters by name: routes exist with and without the tenant segment.
pub type PathParams = HashMap<String, String>;

/// The UUID path parameter `name`; 400 when it is not one.
pub fn path_uuid(params: &PathParams, name: &str) -> Result<Uuid, PublicError> {
    params
        .get(name)
        .and_then(|value| Uuid::parse_str(value).ok())
        .ok_or_else(|| PublicError::bad_request(format!("{name} must be a valid uuid4")))
}

/// The settings the frontend needs: which login methods and account operations this tenant
/// offers.
#[derive(Serialize, ToSchema)]
pub struct PublicConfig {
    password: PasswordConfig,
    emails: EmailsConfig,
    /// The enabled third-party providers' names; `null` when there are none.
    providers: Option<Vec<String>>,
    account: AccountConfig,
    /// Whether SAML sign-in is in use.
    use_enterprise: bool,
}

#[derive(Serialize, ToSchema)]
struct PasswordConfig {
    enabled: bool,
    min_password_length: u32,
}

#[derive(Serialize, ToSchema)]
struct EmailsConfig {
    require_verification: bool,
    max_num_of_addresses: u32,
}

#[derive(Serialize, ToSchema)]
struct AccountConfig {
    allow_deletion: bool,
    allow_signup: bool,
}

/// GET `/.well-known/config`: every key with its value (the original leaves out false and
/// zero values; its clients read both).
#[utoipa::path(
    get,
    path = "/{tenant_id}/.well-known/config",
    tag = "accounts",
    summary = "The tenant's public settings",
    description = "Every key with its value; the original leaves out false and zero values.",
    responses((status = 200, description = "The settings.", body = PublicConfig)),
)]
pub async fn well_known_config(tenant: AccountsTenant) -> Json<PublicConfig> {
    let config = tenant.config();
    Json(PublicConfig {
        password: PasswordConfig {
            enabled: config.password.enabled,
            min_password_length: config.password.min_password_length,
        },
        emails: EmailsConfig {
            require_verification: config.emails.require_verification,
            max_num_of_addresses: config.emails.max_num_of_addresses,
        },
        providers: {
            let names = config.third_party.enabled_display_names();
            (!names.is_empty()).then_some(names)
        },
        account: AccountConfig {
            allow_deletion: config.account.allow_deletion,
            allow_signup: config.account.allow_signup,
        },
        use_enterprise: config.saml.in_use(),
    })
}

/// Who holds an address.
#[derive(Serialize, ToSchema)]
pub struct AddressAnswer {
    /// The user's id.
    id: Uuid,
    email_id: Uuid,
    verified: bool,
    has_webauthn_credential: bool,
}

/// POST `/user`: who holds an address.
#[utoipa::path(
    post,
    path = "/{tenant_id}/user",
    tag = "accounts",
    summary = "Look up the user of an address",
    request_body(content = EmailBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The address's user.", body = AddressAnswer),
        (status = 400, description = "The body is not a JSON object of this shape (an absent body reads as `{}`), or the address is missing or not an address.", body = ErrorBody),
        (status = 404, description = "No user holds the address, or the tenant does not serve this API.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
)]
pub async fn look_up<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    ValidJson(body, _): ValidJson<EmailBody, PublicError>,
) -> Result<Json<AddressAnswer>, PublicError> {
    let found = engine
        .look_up_address(tenant.id(), &body.email)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    Ok(Json(AddressAnswer {
        id: found.user.0,
        email_id: found.email,
        verified: found.verified,
        has_webauthn_credential: found.has_passkey,
    }))
}

/// A new user; `id` is the deprecated name of `user_id`.
#[derive(Serialize, ToSchema)]
struct SignUpAnswer {
    id: Uuid,
    user_id: Uuid,
    email_id: Uuid,
}

/// POST `/users`: sign-up. A tenant that allows none refuses before reading the body, as the
/// original does.
#[utoipa::path(
    post,
    path = "/{tenant_id}/users",
    tag = "accounts",
    summary = "Sign up with an address",
    description = "Creates a user with the address. Where `emails.require_verification` is off, the answer is also a login: it carries `X-Session-Lifetime` and the session (`X-Auth-Token` or the session cookie). It always sets the `hanko_email_id` cookie.",
    request_body(content = EmailBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed up.", body = SignUpAnswer, headers(
            ("Set-Cookie" = String, description = "`hanko_email_id=<email_id>`, and the session cookie when this is a login in cookie mode."),
            ("X-Session-Lifetime" = u64, description = "Seconds the session lasts, when this is a login."),
            ("X-Auth-Token" = String, description = "The session token, when this is a login and `session.enable_auth_token_header` is on."),
        )),
        (status = 400, description = "The body is not a JSON object of this shape, or the address is missing or not an address.", body = ErrorBody),
        (status = 403, description = "The tenant allows no sign-up (`account.allow_signup` off).", body = ErrorBody),
        (status = 409, description = "Another user holds the address.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
)]
pub async fn sign_up<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    request: Request,
) -> Result<Response, PublicError> {
    if !tenant.config().account.allow_signup {
        return Err(PublicError::status(StatusCode::FORBIDDEN));
    }
    let ValidJson(body, _) =
        ValidJson::<EmailBody, PublicError>::from_request(request, &()).await?;
    let signed_up = engine
        .sign_up(tenant.id(), &body.email, &meta)
        .await
        .map_err(|error| public_error(Endpoint::SignUp, error))?;
    let mut response = Json(SignUpAnswer {
        id: signed_up.user.0,
        user_id: signed_up.user.0,
        email_id: signed_up.email,
    })
    .into_response();
    if let Some(session) = &signed_up.session {
        deliver(&mut response, &tenant, session);
    }
    remember_signup_email(&mut response, &tenant, signed_up.email);
    Ok(response)
}

/// A user: the primary address (when there is one) and the passkeys' ids.
#[derive(Serialize, ToSchema)]
struct UserAnswer {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    webauthn_credentials: Vec<CredentialId>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// A passkey's credential id, base64url without padding.
#[derive(Serialize, ToSchema)]
struct CredentialId {
    id: String,
}

/// GET `/users/{id}`: the session's own user only.
#[utoipa::path(
    get,
    path = "/{tenant_id}/users/{id}",
    tag = "accounts",
    summary = "The session's user",
    params(("id" = String, Path, description = "The session user's id.")),
    responses(
        (status = 200, description = "The user.", body = UserAnswer),
        (status = 400, description = "`id` is not a UUID.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 403, description = "`id` is another user's.", body = ErrorBody),
        (status = 404, description = "The user no longer exists, or the tenant does not serve this API.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn get_user<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Session(session): Session,
    Path(params): Path<PathParams>,
) -> Result<Response, PublicError> {
    let id = path_uuid(&params, "id")?;
    if UserId(id) != session.user {
        return Err(PublicError::status(StatusCode::FORBIDDEN));
    }
    let account = engine
        .account(tenant.id(), session.user)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    Ok(Json(UserAnswer {
        id,
        email: account.primary_email.map(|email| email.address),
        webauthn_credentials: account
            .credentials
            .iter()
            .map(|credential| CredentialId {
                id: URL_SAFE_NO_PAD.encode(&credential.id),
            })
            .collect(),
        created_at: rfc3339(account.user.created_at),
        updated_at: rfc3339(account.updated_at),
    })
    .into_response())
}

/// The session's user id.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: Uuid,
}

/// GET `/me`: the session's user id.
#[utoipa::path(
    get,
    path = "/{tenant_id}/me",
    tag = "accounts",
    summary = "The session's user id",
    responses(
        (status = 200, description = "The id.", body = Me),
        (status = 401, description = "No valid session.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn me(Session(session): Session) -> Json<Me> {
    Json(Me { id: session.user.0 })
}

/// POST `/logout`: ends the session and deletes its cookie.
#[utoipa::path(
    post,
    path = "/{tenant_id}/logout",
    tag = "accounts",
    summary = "End the session",
    description = "Ends the session at once (latchkey's sessions are server-side) and deletes its cookie.",
    responses(
        (status = 204, description = "Logged out.", headers(
            ("Set-Cookie" = String, description = "The session cookie, expired."),
        )),
        (status = 401, description = "No valid session.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn logout<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
) -> Result<Response, PublicError> {
    engine
        .end_session(tenant.id(), session, &meta)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    expire(&mut response, &tenant);
    Ok(response)
}

/// DELETE `/user`: the session's user deletes their account, when the tenant allows it (the
/// original has no such route otherwise, and answers 405 for the path's `POST`).
#[utoipa::path(
    delete,
    path = "/{tenant_id}/user",
    tag = "accounts",
    summary = "Delete the session's account",
    responses(
        (status = 204, description = "The account is deleted and the session ended.", headers(
            ("Set-Cookie" = String, description = "The session cookie, expired."),
        )),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 405, description = "The tenant does not let users delete their accounts (`account.allow_deletion` off), as the original, which then has no such route.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn delete_account<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    MaybeSession(session): MaybeSession,
) -> Result<Response, PublicError> {
    if !tenant.config().account.allow_deletion {
        return Err(PublicError::method_not_allowed());
    }
    let session = session.ok_or_else(PublicError::unauthorized)?;
    engine
        .delete_account(tenant.id(), session.user, &meta)
        .await
        .map_err(|error| public_error(Endpoint::Any, error))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    expire(&mut response, &tenant);
    Ok(response)
}
