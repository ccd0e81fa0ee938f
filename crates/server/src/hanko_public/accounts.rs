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
use uuid::Uuid;

use super::error::{Endpoint, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::{MaybeSession, Session, deliver, expire, remember_signup_email};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// `{"email"}` of `POST /user` and `POST /users`.
#[derive(Debug, Deserialize)]
pub struct EmailBody {
    #[serde(default, deserialize_with = "null_as_empty")]
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

#[derive(Serialize)]
pub struct PublicConfig {
    password: PasswordConfig,
    emails: EmailsConfig,
    providers: Option<Vec<String>>,
    account: AccountConfig,
    use_enterprise: bool,
}

#[derive(Serialize)]
struct PasswordConfig {
    enabled: bool,
    min_password_length: u32,
}

#[derive(Serialize)]
struct EmailsConfig {
    require_verification: bool,
    max_num_of_addresses: u32,
}

#[derive(Serialize)]
struct AccountConfig {
    allow_deletion: bool,
    allow_signup: bool,
}

/// GET `/.well-known/config`: every key with its value (the original leaves out false and
/// zero values; its clients read both).
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

#[derive(Serialize)]
pub struct AddressAnswer {
    id: Uuid,
    email_id: Uuid,
    verified: bool,
    has_webauthn_credential: bool,
}

/// POST `/user`: who holds an address.
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

#[derive(Serialize)]
struct SignUpAnswer {
    id: Uuid,
    user_id: Uuid,
    email_id: Uuid,
}

/// POST `/users`: sign-up. A tenant that allows none refuses before reading the body, as the
/// original does.
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

#[derive(Serialize)]
struct UserAnswer {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    webauthn_credentials: Vec<CredentialId>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct CredentialId {
    id: String,
}

/// GET `/users/{id}`: the session's own user only.
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

#[derive(Serialize)]
pub struct Me {
    id: Uuid,
}

/// GET `/me`: the session's user id.
pub async fn me(Session(session): Session) -> Json<Me> {
    Json(Me { id: session.user.0 })
}

/// POST `/logout`: ends the session and deletes its cookie.
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
