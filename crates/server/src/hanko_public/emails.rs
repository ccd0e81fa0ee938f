//! `/emails`: a user's addresses.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::Email;
use latchkey_engine::{Engine, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::accounts::{PathParams, email_rule, path_uuid};
use super::error::{Endpoint, PublicError, public_error};
use super::gate::AccountsTenant;
use super::session::Session;
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

#[derive(Serialize)]
struct Listed {
    id: Uuid,
    address: String,
    is_verified: bool,
    is_primary: bool,
}

/// GET `/emails`: the session user's addresses, oldest first.
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
#[derive(Debug, Deserialize)]
pub struct AddEmail {
    #[serde(default, deserialize_with = "null_as_empty")]
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
#[derive(Serialize)]
struct Added {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<Uuid>,
    address: String,
    verified: bool,
    created_at: String,
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
