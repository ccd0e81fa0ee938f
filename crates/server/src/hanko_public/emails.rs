//! `/emails`: a user's addresses.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::Email;
use latchkey_engine::{Engine, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::accounts::{PathParams, email_rule, path_uuid};
use super::error::{Endpoint, ErrorBody, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::Session;
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// One of the user's addresses.
#[derive(Serialize, ToSchema)]
#[schema(as = Email)]
struct Listed {
    id: Uuid,
    address: String,
    is_verified: bool,
    is_primary: bool,
}

/// GET `/emails`: the session user's addresses, oldest first.
#[utoipa::path(
    get,
    path = "/{tenant_id}/emails",
    tag = "emails",
    summary = "The session user's addresses",
    operation_id = "list_emails",
    responses(
        (status = 200, description = "The addresses, oldest first.", body = Vec<Listed>),
        (status = 401, description = "No valid session.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn list<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Session(session): Session,
) -> Result<Response, PublicError> {
    let emails = engine
        .emails(tenant.id(), session.user)
        .await
        .map_err(|error| public_error(Endpoint::Emails, error))?;
    let listed: Vec<Listed> = emails
        .into_iter()
        .map(|email| Listed {
            id: email.id,
            address: email.address,
            is_verified: email.verified,
            is_primary: email.primary,
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// `{"address"}` of `POST /emails`; unlike the original, the address is checked here.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddEmail {
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Email, min_length = 1)]
    address: String,
}

impl Validate for AddEmail {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        email_rule(&mut violations, "address", &self.address);
        violations.finish()
    }
}

/// The original answers the stored row.
#[derive(Serialize, ToSchema)]
#[schema(as = AddedEmail)]
struct Added {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<Uuid>,
    address: String,
    verified: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<Email> for Added {
    fn from(email: Email) -> Self {
        Self {
            id: email.id,
            user_id: email.user.map(|user| user.0),
            address: email.address,
            verified: email.verified,
            created_at: rfc3339(email.created_at),
            updated_at: rfc3339(email.updated_at),
        }
    }
}

/// POST `/emails`: 200 (the spec's 201 is not what the original sends).
#[utoipa::path(
    post,
    path = "/{tenant_id}/emails",
    tag = "emails",
    summary = "Add an address",
    description = "200, not the 201 of the original's OpenAPI document: the original sends 200. Unlike the original, the address is checked. Where `emails.require_verification` is on, the address is the user's only once a passcode sent to it was entered.",
    request_body(content = AddEmail, content_type = "application/json"),
    responses(
        (status = 200, description = "The stored address.", body = Added),
        (status = 400, description = "The body is not a JSON object of this shape, the address is missing or not an address, or a user (this one or another) holds it already.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 409, description = "The user has `emails.max_num_of_addresses` already.", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn add<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    ValidJson(body, _): ValidJson<AddEmail, PublicError>,
) -> Result<Response, PublicError> {
    let email = engine
        .add_email(tenant.id(), session.user, &body.address, &meta)
        .await
        .map_err(|error| public_error(Endpoint::AddEmail, error))?;
    Ok(Json(Added::from(email)).into_response())
}

/// POST `/emails/{id}/set_primary`: 204.
#[utoipa::path(
    post,
    path = "/{tenant_id}/emails/{id}/set_primary",
    tag = "emails",
    summary = "Make an address the primary one",
    params(("id" = String, Path, description = "The address's id.")),
    responses(
        (status = 204, description = "The address is the primary one."),
        (status = 400, description = "`id` is not a UUID.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 404, description = "The user has no such address.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn set_primary<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    Path(params): Path<PathParams>,
) -> Result<Response, PublicError> {
    let id = path_uuid(&params, "id")?;
    engine
        .set_primary_email(tenant.id(), session.user, id, &meta)
        .await
        .map_err(|error| public_error(Endpoint::Emails, error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE `/emails/{id}`: 204; 409 for the primary address, 404 for another user's.
#[utoipa::path(
    delete,
    path = "/{tenant_id}/emails/{id}",
    operation_id = "delete_email",
    tag = "emails",
    summary = "Remove an address",
    description = "404 for another user's address (the original answers 500).",
    params(("id" = String, Path, description = "The address's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, description = "`id` is not a UUID.", body = ErrorBody),
        (status = 401, description = "No valid session.", body = ErrorBody),
        (status = 404, description = "The user has no such address.", body = ErrorBody),
        (status = 409, description = "It is the primary address.", body = ErrorBody),
    ),
    security(("CookieAuth" = []), ("BearerTokenAuth" = [])),
)]
pub async fn delete<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    Session(session): Session,
    Path(params): Path<PathParams>,
) -> Result<Response, PublicError> {
    let id = path_uuid(&params, "id")?;
    engine
        .delete_email(tenant.id(), session.user, id, &meta)
        .await
        .map_err(|error| public_error(Endpoint::Emails, error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
