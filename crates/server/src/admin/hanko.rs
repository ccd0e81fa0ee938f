//! `/tenants/{id}/hanko/...`: the Hanko Public API's own admin API (the original's port 8001)
//! for one tenant that serves that API — users with their addresses, the addresses themselves,
//! and the audit log — in the original's shapes, with latchkey admin's error body. A tenant
//! that does not serve the API is not found.
//!
//! Differences from the original, on purpose:
//! * `DELETE /users/{id}/sessions` ends the user's sessions (the original keeps none);
//! * audit entries have no `actor_email`: latchkey does not record the actor's address, so
//!   `actor_email` finds the events of the user who holds the address now, and `q` searches
//!   user ids and source addresses only;
//! * adding an address another user holds is a 400 as in the original, but the listing of an
//!   unknown user's addresses is a 404 (the original lists none).

use std::collections::HashSet;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use latchkey_engine::accounts::{AccountFilter, NewAccount, NewAddress, normalize_address};
use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId, UserId};
use latchkey_engine::{Entity, Error, Store};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::error::answer;
use super::path::TenantPath;
use super::schemas::{AdminError, AuditFilters, HankoEmail, HankoUser, Paging, TenantParam};
use super::tenants::{parse, refusal};
use crate::hanko_passkey::error::ApiError;
use crate::http::json::{RawJson, null_as_empty};
use crate::http::pagination::{PageParams, RequestUrl, first_value, page_response};
use crate::http::path::PathParams;
use crate::http::timestamps::rfc3339;
use crate::http::validate::Violations;

const LIST_USERS: &str = "unable to list users";
const CREATE_USER: &str = "unable to create user";
const GET_USER: &str = "unable to get user";
const DELETE_USER: &str = "unable to delete user";
const END_SESSIONS: &str = "unable to end sessions";
const LIST_EMAILS: &str = "unable to list emails";
const CREATE_EMAIL: &str = "unable to create email";
const GET_EMAIL: &str = "unable to get email";
const DELETE_EMAIL: &str = "unable to delete email";
const SET_PRIMARY: &str = "unable to set primary email";
const LIST_AUDIT_LOGS: &str = "unable to list audit logs";

/// A user as the original's admin `User` marshals it; empty lists are left out.
pub(super) use latchkey_engine::accounts::UserData as UserResponse;

/// An address as the original's admin `Email` marshals it.
pub(super) use latchkey_engine::accounts::EmailData as EmailResponse;

/// An audit-log entry as the original's `AuditLog` marshals it, without `actor_email`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HankoAuditLog)]
pub(super) struct AuditLogResponse {
    id: Uuid,
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<String>,
    meta_http_request_id: String,
    meta_source_ip: String,
    meta_user_agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    actor_user_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Entries are never changed, so this is `created_at`.
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<AuditEvent> for AuditLogResponse {
    fn from(event: AuditEvent) -> Self {
        let created_at = rfc3339(event.created_at);
        Self {
            id: event.id,
            kind: event.kind,
            error: event.error,
            meta_http_request_id: event.request_id,
            meta_source_ip: event.source_ip,
            meta_user_agent: event.user_agent,
            actor_user_id: event.actor_user_id,
            updated_at: created_at.clone(),
            created_at,
        }
    }
}

/// `/tenants/{tenant_id}/hanko/users/{user_id}`.
pub(super) struct UserPath {
    tenant: TenantId,
    user: UserId,
}

/// `/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}`.
pub(super) struct EmailPath {
    tenant: TenantId,
    user: UserId,
    email: Uuid,
}

#[derive(Deserialize)]
struct RawUserPath {
    tenant_id: String,
    user_id: String,
}

#[derive(Deserialize)]
struct RawEmailPath {
    tenant_id: String,
    user_id: String,
    email_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for UserPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams(raw, _) =
            PathParams::<RawUserPath, ApiError>::from_request_parts(parts, state).await?;
        Ok(Self {
            tenant: tenant_id(&raw.tenant_id)?,
            user: UserId(path_uuid("user_id", &raw.user_id)?),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for EmailPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams(raw, _) =
            PathParams::<RawEmailPath, ApiError>::from_request_parts(parts, state).await?;
        Ok(Self {
            tenant: tenant_id(&raw.tenant_id)?,
            user: UserId(path_uuid("user_id", &raw.user_id)?),
            email: path_uuid("email_id", &raw.email_id)?,
        })
    }
}

pub(super) fn tenant_id(text: &str) -> Result<TenantId, ApiError> {
    Uuid::parse_str(text)
        .map(TenantId)
        .map_err(|_| ApiError::bad_request("tenant_id must be a valid uuid4"))
}

/// A UUID in the path or query, refused in the original's words.
pub(super) fn path_uuid(name: &str, text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text)
        .map_err(|_| ApiError::bad_request(format!("failed to parse {name} as uuid")))
}

/// The answer to a failed engine call of this API: the conditions only it meets are named as
/// the original names them, the rest answered as everywhere in the admin API.
fn refused(error: Error, action: &'static str) -> ApiError {
    match error {
        Error::LimitReached(Entity::Email) => {
            ApiError::conflict("max number of email addresses reached")
        }
        Error::PrimaryEmail => ApiError::conflict("primary email can't be deleted"),
        error => answer(error, action),
    }
}

/// GET `/tenants/{id}/hanko/users`: the users holding an address, filtered by `user_id` and
/// by part of an `email`, paged, newest first unless `sort_direction=asc`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/users", tag = "hanko",
    params(TenantParam, Paging,
        ("user_id" = Option<Uuid>, Query, description = "Only this user."),
        ("email" = Option<String>, Query, description = "Only users holding an address that contains this."),
        ("sort_direction" = Option<String>, Query, description = "`desc` (newest first, the default) or `asc`, in any case."),
    ),
    responses(
        (status = 200, description = "One page of users.", body = [HankoUser], headers(("X-Total-Count" = u64, description = "How many entries the listing has in all."), ("Link" = String, description = "`first`, `last`, `next` and `prev` pages, as the original sends them."))),
        (status = 400, description = "`tenant_id must be a valid uuid4`, `unable to list users` (a page number that is not an integer), `failed to parse user_id as uuid` or `sort_direction must be desc or asc`.", body = AdminError),
        (status = 404, description = "`tenant not found`, also for a tenant that does not serve the Hanko Public API.", body = AdminError),
    ))]
pub(super) async fn list_users<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    let params = PageParams::from_pairs(&url.query).map_err(refusal(LIST_USERS))?;
    let filter = AccountFilter {
        user: first_value(&url.query, "user_id")
            .map(|text| path_uuid("user_id", text).map(UserId))
            .transpose()?,
        email: first_value(&url.query, "email").map(str::to_owned),
    };
    let descending = descending(&url.query)?;
    page_response::<_, UserResponse, _, _, _>(&url, params, descending, |page| async move {
        state
            .engine
            .accounts(tenant, &filter, page)
            .await
            .map_err(|error| refused(error, LIST_USERS))
    })
    .await
}

/// `sort_direction`: `desc` (the default) or `asc`, in any case.
fn descending(query: &[(String, String)]) -> Result<bool, ApiError> {
    match first_value(query, "sort_direction").map(str::to_ascii_lowercase) {
        None => Ok(true),
        Some(direction) if direction == "desc" => Ok(true),
        Some(direction) if direction == "asc" => Ok(false),
        Some(_) => Err(ApiError::bad_request("sort_direction must be desc or asc")),
    }
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = HankoNewUser)]
struct CreateUserRequest {
    /// The new user's id; a new one when absent or nil.
    #[serde(default)]
    id: Option<Uuid>,
    /// Distinct addresses, at least one.
    #[serde(default)]
    #[schema(min_items = 1)]
    emails: Option<Vec<EmailRequest>>,
    /// When the user was created (RFC 3339), for imports; now when absent.
    #[serde(default)]
    #[schema(format = DateTime)]
    created_at: Option<String>,
}

/// An address in the body of `POST /users` or `POST /users/{id}/emails`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = HankoNewEmail)]
pub(super) struct EmailRequest {
    /// An email address (required).
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(format = Email)]
    address: String,
    /// In `POST /users`: the user's primary address (exactly one must be). Ignored by `POST
    /// /users/{id}/emails`.
    #[serde(default)]
    is_primary: bool,
    #[serde(default)]
    is_verified: bool,
}

impl CreateUserRequest {
    /// The user to create, after the original validator's rules with its messages; the rules
    /// about primary addresses are the engine's.
    fn check(self) -> Result<NewAccount, String> {
        let mut violations = Violations::default();
        let given = self.emails.is_some();
        let emails = self.emails.unwrap_or_default();
        if emails.is_empty() {
            violations.push(if given {
                "length of emails must be greater or equal to 1"
            } else {
                "emails is a required field"
            });
        } else if has_duplicates(&emails) {
            violations.push("emails entries are not unique");
        } else {
            for email in &emails {
                address_rules(&mut violations, &email.address);
            }
        }
        let created_at = self
            .created_at
            .map(|text| OffsetDateTime::parse(&text, &Rfc3339))
            .transpose()
            .unwrap_or_else(|_| {
                violations.push("created_at must be an RFC 3339 time");
                None
            });
        violations.finish()?;
        Ok(NewAccount {
            id: self.id.filter(|id| !id.is_nil()).map(UserId),
            emails: emails
                .into_iter()
                .map(|email| NewAddress {
                    address: email.address,
                    primary: email.is_primary,
                    verified: email.is_verified,
                })
                .collect(),
            created_at,
        })
    }
}

fn has_duplicates(emails: &[EmailRequest]) -> bool {
    let mut seen = HashSet::new();
    emails
        .iter()
        .any(|email| !seen.insert(email.address.as_str()))
}

/// The original's `address` rules: `required,email`.
fn address_rules(violations: &mut Violations, address: &str) {
    if address.is_empty() {
        violations.required("address", address);
    } else if normalize_address(address).is_err() {
        violations.push("address must be a valid email address");
    }
}

/// The body of `POST /tenants/{id}/hanko/users` read and checked.
pub(super) fn read_new_account(body: &[u8]) -> Result<NewAccount, ApiError> {
    let request: CreateUserRequest = parse(body, CREATE_USER)?;
    request.check().map_err(refusal(CREATE_USER))
}

/// POST `/tenants/{id}/hanko/users`: a user with their addresses; 200 with the user.
#[utoipa::path(post, path = "/tenants/{tenant_id}/hanko/users", tag = "hanko",
    params(TenantParam),
    request_body(content = CreateUserRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The new user.", body = HankoUser),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to create user`: the body is not a JSON object of this shape or breaks a field rule (`details` names it).", body = AdminError),
        (status = 404, description = "`tenant not found`, also for a tenant that does not serve the Hanko Public API.", body = AdminError),
        (status = 409, description = "`user already exists` or `email already exists`.", body = AdminError),
    ))]
pub(super) async fn create_user<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Json<UserResponse>, ApiError> {
    let new = read_new_account(&body)?;
    let account = state
        .engine
        .create_account(tenant, new)
        .await
        .map_err(|error| refused(error, CREATE_USER))?;
    tracing::info!(tenant = %tenant.0, user = %account.user.id.0, "hanko user created");
    Ok(Json(UserResponse::from(account)))
}

/// GET `/tenants/{id}/hanko/users/{user_id}`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/users/{user_id}", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user.", body = HankoUser),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse user_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `user not found`.", body = AdminError),
    ))]
pub(super) async fn show_user<S: Store>(
    State(state): State<AdminState<S>>,
    path: UserPath,
) -> Result<Json<UserResponse>, ApiError> {
    let account = state
        .engine
        .account_details(path.tenant, path.user)
        .await
        .map_err(|error| refused(error, GET_USER))?;
    Ok(Json(UserResponse::from(account)))
}

/// DELETE `/tenants/{id}/hanko/users/{user_id}`: 204.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/hanko/users/{user_id}", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse user_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `user not found`.", body = AdminError),
    ))]
pub(super) async fn remove_user<S: Store>(
    State(state): State<AdminState<S>>,
    path: UserPath,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .remove_account(path.tenant, path.user)
        .await
        .map_err(|error| refused(error, DELETE_USER))?;
    tracing::info!(tenant = %path.tenant.0, user = %path.user.0, "hanko user deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
struct Ended {
    ended: u64,
}

/// DELETE `/tenants/{id}/hanko/users/{user_id}/sessions`: 200 with how many ended.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/hanko/users/{user_id}/sessions", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user's sessions ended.", body = Ended),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse user_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `user not found`.", body = AdminError),
    ))]
pub(super) async fn end_sessions<S: Store>(
    State(state): State<AdminState<S>>,
    path: UserPath,
) -> Result<Response, ApiError> {
    let ended = state
        .engine
        .end_account_sessions(path.tenant, path.user)
        .await
        .map_err(|error| refused(error, END_SESSIONS))?;
    tracing::info!(tenant = %path.tenant.0, user = %path.user.0, ended, "hanko sessions ended");
    Ok(Json(Ended { ended }).into_response())
}

/// GET `/tenants/{id}/hanko/users/{user_id}/emails`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/users/{user_id}/emails", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user's addresses.", body = [HankoEmail]),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse user_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `user not found`.", body = AdminError),
    ))]
pub(super) async fn list_emails<S: Store>(
    State(state): State<AdminState<S>>,
    path: UserPath,
) -> Result<Json<Vec<EmailResponse>>, ApiError> {
    let emails = state
        .engine
        .emails(path.tenant, path.user)
        .await
        .map_err(|error| refused(error, LIST_EMAILS))?;
    Ok(Json(emails.into_iter().map(EmailResponse::from).collect()))
}

/// The body of `POST /tenants/{id}/hanko/users/{user_id}/emails` read and checked.
pub(super) fn read_new_email(body: &[u8]) -> Result<EmailRequest, ApiError> {
    let request: EmailRequest = parse(body, CREATE_EMAIL)?;
    let mut violations = Violations::default();
    address_rules(&mut violations, &request.address);
    violations.finish().map_err(refusal(CREATE_EMAIL))?;
    Ok(request)
}

/// POST `/tenants/{id}/hanko/users/{user_id}/emails`: the user holds the address at once
/// (`is_primary` is ignored: it becomes primary when the user has none); 201 with it.
#[utoipa::path(post, path = "/tenants/{tenant_id}/hanko/users/{user_id}/emails", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id.")),
    request_body(content = EmailRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new address.", body = HankoEmail),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse user_id as uuid`, `unable to create email` (the body is not a JSON object of this shape or breaks a field rule), or `email address already exists`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `user not found`.", body = AdminError),
        (status = 409, description = "`max number of email addresses reached`.", body = AdminError),
    ))]
pub(super) async fn create_email<S: Store>(
    State(state): State<AdminState<S>>,
    path: UserPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Response, ApiError> {
    let request = read_new_email(&body)?;
    let email = state
        .engine
        .assign_email(
            path.tenant,
            path.user,
            &request.address,
            request.is_verified,
        )
        .await
        .map_err(|error| match error {
            Error::Conflict(Entity::Email) => ApiError::bad_request("email address already exists"),
            error => refused(error, CREATE_EMAIL),
        })?;
    Ok((StatusCode::CREATED, Json(EmailResponse::from(email))).into_response())
}

/// GET `/tenants/{id}/hanko/users/{user_id}/emails/{email_id}`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id."), ("email_id" = Uuid, Path, description = "The address's id.")),
    responses(
        (status = 200, description = "The address.", body = HankoEmail),
        (status = 400, description = "`tenant_id must be a valid uuid4`, `failed to parse user_id as uuid` or `failed to parse email_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API), `user not found` or `email not found`.", body = AdminError),
    ))]
pub(super) async fn show_email<S: Store>(
    State(state): State<AdminState<S>>,
    path: EmailPath,
) -> Result<Json<EmailResponse>, ApiError> {
    let email = state
        .engine
        .account_email(path.tenant, path.user, path.email)
        .await
        .map_err(|error| refused(error, GET_EMAIL))?;
    Ok(Json(EmailResponse::from(email)))
}

/// DELETE `/tenants/{id}/hanko/users/{user_id}/emails/{email_id}`: 204; 409 for the primary
/// address.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id."), ("email_id" = Uuid, Path, description = "The address's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, `failed to parse user_id as uuid` or `failed to parse email_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API), `user not found` or `email not found`.", body = AdminError),
        (status = 409, description = "`primary email can't be deleted`.", body = AdminError),
    ))]
pub(super) async fn remove_email<S: Store>(
    State(state): State<AdminState<S>>,
    path: EmailPath,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .remove_email(path.tenant, path.user, path.email)
        .await
        .map_err(|error| refused(error, DELETE_EMAIL))?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST `/tenants/{id}/hanko/users/{user_id}/emails/{email_id}/set_primary`: 204.
#[utoipa::path(post, path = "/tenants/{tenant_id}/hanko/users/{user_id}/emails/{email_id}/set_primary", tag = "hanko",
    params(TenantParam, ("user_id" = Uuid, Path, description = "The user's id."), ("email_id" = Uuid, Path, description = "The address's id.")),
    responses(
        (status = 204, description = "The address is the user's primary one."),
        (status = 400, description = "`tenant_id must be a valid uuid4`, `failed to parse user_id as uuid` or `failed to parse email_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API), `user not found` or `email not found`.", body = AdminError),
    ))]
pub(super) async fn set_primary<S: Store>(
    State(state): State<AdminState<S>>,
    path: EmailPath,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .promote_email(path.tenant, path.user, path.email)
        .await
        .map_err(|error| refused(error, SET_PRIMARY))?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET `/tenants/{id}/hanko/audit_logs`: newest first, filtered by `start_time` and
/// `end_time` (RFC 3339, exclusive), `type` (repeatable), `actor_user_id`, `actor_email`,
/// `meta_source_ip` and `q`, paged.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/audit_logs", operation_id = "list_hanko_audit_logs", tag = "hanko",
    params(TenantParam, Paging, AuditFilters,
        ("type" = Option<Vec<String>>, Query, explode, description = "Only entries of these types; repeatable."),
        ("actor_email" = Option<String>, Query, description = "Only entries of the user who holds this address now."),
    ),
    responses(
        (status = 200, description = "One page of entries.", body = [AuditLogResponse], headers(("X-Total-Count" = u64, description = "How many entries the listing has in all."), ("Link" = String, description = "`first`, `last`, `next` and `prev` pages, as the original sends them."))),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to list audit logs`: a page number that is not an integer or a time that is not RFC 3339.", body = AdminError),
        (status = 404, description = "`tenant not found`, also for a tenant that does not serve the Hanko Public API.", body = AdminError),
    ))]
pub(super) async fn audit_logs<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    let (query, params) = audit_query(&url.query).map_err(refusal(LIST_AUDIT_LOGS))?;
    let actor_email = first_value(&url.query, "actor_email");
    page_response::<_, AuditLogResponse, _, _, _>(&url, params, true, |page| async move {
        state
            .engine
            .account_audit_log(tenant, &query, actor_email, page)
            .await
            .map_err(|error| refused(error, LIST_AUDIT_LOGS))
    })
    .await
}

/// The filters and page of an audit-log listing; `Err` names a value that does not parse.
fn audit_query(pairs: &[(String, String)]) -> Result<(AuditQuery, PageParams), String> {
    let params = PageParams::from_pairs(pairs)?;
    let time = |key: &str| {
        first_value(pairs, key)
            .map(|value| {
                OffsetDateTime::parse(value, &Rfc3339)
                    .map_err(|_| format!("{key} must be an RFC 3339 time"))
            })
            .transpose()
    };
    let text = |key: &str| first_value(pairs, key).map(str::to_owned);
    let query = AuditQuery {
        start_time: time("start_time")?,
        end_time: time("end_time")?,
        kinds: pairs
            .iter()
            .filter(|(name, value)| name == "type" && !value.is_empty())
            .map(|(_, value)| value.clone())
            .collect(),
        actor_user_id: text("actor_user_id"),
        source_ip: text("meta_source_ip"),
        text: text("q"),
    };
    Ok((query, params))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        crate::http::pagination::query_pairs(&format!("/x?{query}").parse().unwrap())
    }

    fn request(body: serde_json::Value) -> Result<NewAccount, String> {
        serde_json::from_value::<CreateUserRequest>(body)
            .unwrap()
            .check()
    }

    #[test]
    fn a_new_user_needs_distinct_well_formed_addresses() {
        use serde_json::json;
        assert_eq!(
            request(json!({})).unwrap_err(),
            "emails is a required field"
        );
        assert_eq!(
            request(json!({"emails": []})).unwrap_err(),
            "length of emails must be greater or equal to 1"
        );
        let twice = json!({"address": "a@example.com", "is_primary": true});
        assert_eq!(
            request(json!({"emails": [twice, twice]})).unwrap_err(),
            "emails entries are not unique"
        );
        assert_eq!(
            request(json!({"emails": [{"address": ""}, {"address": "nope"}]})).unwrap_err(),
            "address is a required field and address must be a valid email address"
        );
        assert_eq!(
            request(json!({"emails": [twice], "created_at": "yesterday"})).unwrap_err(),
            "created_at must be an RFC 3339 time"
        );
        let new = request(json!({
            "id": Uuid::nil(),
            "emails": [{"address": "A@example.com", "is_primary": true, "is_verified": true}],
            "created_at": "2024-01-02T03:04:05Z",
        }))
        .unwrap();
        assert_eq!(new.id, None);
        assert_eq!(
            new.emails,
            vec![NewAddress {
                address: "A@example.com".to_owned(),
                primary: true,
                verified: true,
            }]
        );
        assert_eq!(new.created_at, Some(datetime!(2024-01-02 03:04:05 UTC)));
    }

    #[test]
    fn audit_filters_are_read_from_the_query() {
        let (query, params) = audit_query(&pairs(
            "type=user_created&type=&type=email_created&actor_user_id=u&meta_source_ip=192.0&q=x\
             &start_time=2024-01-02T03:04:05Z&page=2&per_page=5",
        ))
        .unwrap();
        assert_eq!(query.kinds, vec!["user_created", "email_created"]);
        assert_eq!(query.actor_user_id.as_deref(), Some("u"));
        assert_eq!(query.source_ip.as_deref(), Some("192.0"));
        assert_eq!(query.text.as_deref(), Some("x"));
        assert_eq!(query.start_time, Some(datetime!(2024-01-02 03:04:05 UTC)));
        assert_eq!(query.end_time, None);
        assert_eq!(
            params,
            PageParams {
                page: 2,
                per_page: 5
            }
        );
        assert_eq!(
            audit_query(&pairs("end_time=tomorrow")).unwrap_err(),
            "end_time must be an RFC 3339 time"
        );
    }

    #[test]
    fn sort_direction_defaults_to_newest_first() {
        assert!(descending(&pairs("")).unwrap());
        assert!(!descending(&pairs("sort_direction=ASC")).unwrap());
        assert!(descending(&pairs("sort_direction=desc")).unwrap());
        let refused = descending(&pairs("sort_direction=up")).unwrap_err();
        assert_eq!(refused.title, "sort_direction must be desc or asc");
    }

    #[test]
    fn conditions_of_this_api_are_named_like_the_original() {
        let full = refused(Error::LimitReached(Entity::Email), CREATE_EMAIL);
        assert_eq!(full.status, StatusCode::CONFLICT);
        assert_eq!(full.title, "max number of email addresses reached");
        let primary = refused(Error::PrimaryEmail, DELETE_EMAIL);
        assert_eq!(primary.status, StatusCode::CONFLICT);
        let missing = refused(Error::NotFound(Entity::User), GET_USER);
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.title, "user not found");
    }
}
