//! `/tenants/{id}/hanko/webhooks...`: the Hanko Public API's webhooks in the original admin
//! API's shapes (v0.12 `/webhooks`), with latchkey admin's error body.
//!
//! Fixed on purpose: `PUT` keeps the new events (v0.12 drops them all), `POST` is one
//! transaction and a duplicate event is a 400 (v0.12 answers 500 and keeps half the hook),
//! `"enabled": false` disables a hook (v0.12 refuses it), and a body's `id` never overrides
//! the path's.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use latchkey_engine::accounts::WebhookListing;
use latchkey_engine::model::TenantId;
use latchkey_engine::model::webhooks::{ConfigHook, Webhook};
use latchkey_engine::{Entity, Error, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::error::answer;
use super::hanko::{path_uuid, tenant_id};
use super::path::TenantPath;
use super::schemas::{AdminError, TenantParam, WebhookEvent};
use super::tenants::{parse, refusal};
use crate::hanko_passkey::error::ApiError;
use crate::http::json::RawJson;
use crate::http::path::PathParams;
use crate::http::timestamps::rfc3339;
use crate::http::validate::Violations;

const LIST_WEBHOOKS: &str = "unable to list webhooks";
const CREATE_WEBHOOK: &str = "unable to create webhook";
const GET_WEBHOOK: &str = "unable to get webhook";
const UPDATE_WEBHOOK: &str = "unable to update webhook";
const DELETE_WEBHOOK: &str = "unable to delete webhook";

/// A hook as the original's `models.Webhook` marshals it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Webhook)]
pub(super) struct WebhookResponse {
    id: Uuid,
    callback: String,
    enabled: bool,
    /// Deliveries that failed in a row.
    failures: u32,
    /// When the hook stops, unless updated (with `allow_time_expiration`).
    #[schema(format = DateTime)]
    expires_at: String,
    events: Vec<EventResponse>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// One subscribed event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookSubscription)]
struct EventResponse {
    id: Uuid,
    #[schema(value_type = WebhookEvent)]
    event: String,
}

impl From<Webhook> for WebhookResponse {
    fn from(hook: Webhook) -> Self {
        Self {
            id: hook.id,
            callback: hook.callback,
            enabled: hook.enabled,
            failures: hook.failures,
            expires_at: rfc3339(hook.expires_at),
            events: hook
                .events
                .into_iter()
                .map(|event| EventResponse {
                    id: event.id,
                    event: event.event,
                })
                .collect(),
            created_at: rfc3339(hook.created_at),
            updated_at: rfc3339(hook.updated_at),
        }
    }
}

/// `{"database": [...], "config": [...]}`; `config` is `null` without hooks in the
/// configuration, as in the original.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookListing)]
pub(super) struct ListResponse {
    /// Hooks added through this API.
    database: Vec<WebhookResponse>,
    /// Hooks of the tenant's configuration (`hanko_public.webhooks.hooks`).
    config: Option<Vec<ConfigHookResponse>>,
}

/// A hook of the configuration.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ConfiguredWebhook)]
struct ConfigHookResponse {
    #[serde(skip_serializing_if = "String::is_empty")]
    callback: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<WebhookEvent>)]
    events: Vec<String>,
}

impl From<WebhookListing> for ListResponse {
    fn from(listing: WebhookListing) -> Self {
        let config: Vec<ConfigHookResponse> = listing
            .config
            .into_iter()
            .map(|ConfigHook { callback, events }| ConfigHookResponse { callback, events })
            .collect();
        Self {
            database: listing
                .database
                .into_iter()
                .map(WebhookResponse::from)
                .collect(),
            config: (!config.is_empty()).then_some(config),
        }
    }
}

/// The body of `POST` and `PUT`; `enabled` is read by `PUT` only.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = WebhookRequest)]
struct HookRequest {
    /// An absolute `http` or `https` URL without a fragment (required).
    #[serde(default)]
    #[schema(nullable = false, min_length = 1)]
    callback: Option<String>,
    /// The events, each at most once (at least one).
    #[serde(default)]
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1)]
    events: Option<Vec<String>>,
    /// Required by `PUT`; ignored by `POST`, whose hook is enabled.
    #[serde(default)]
    #[schema(nullable = false)]
    enabled: Option<bool>,
}

impl HookRequest {
    /// Callback and events after the original's `required` rules; the rules about their
    /// values are the engine's.
    fn check(self, needs_enabled: bool) -> Result<(String, Vec<String>, bool), String> {
        let mut violations = Violations::default();
        let callback = self.callback.unwrap_or_default();
        violations.required("callback", &callback);
        let events = self.events.unwrap_or_default();
        if events.is_empty() {
            violations.push("events is a required field");
        }
        if needs_enabled && self.enabled.is_none() {
            violations.push("enabled is a required field");
        }
        violations.finish()?;
        Ok((callback, events, self.enabled.unwrap_or(true)))
    }
}

/// Callback, events and `enabled` of a `POST` (`needs_enabled` false) or `PUT` body; broken
/// rules are refused under `action`.
pub(super) fn read_hook(
    body: &[u8],
    action: &'static str,
    needs_enabled: bool,
) -> Result<(String, Vec<String>, bool), ApiError> {
    let request: HookRequest = parse(body, action)?;
    request.check(needs_enabled).map_err(refusal(action))
}

/// `/tenants/{tenant_id}/hanko/webhooks/{webhook_id}`.
pub(super) struct WebhookPath {
    tenant: TenantId,
    webhook: Uuid,
}

#[derive(Deserialize)]
struct RawWebhookPath {
    tenant_id: String,
    webhook_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for WebhookPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams(raw, _) =
            PathParams::<RawWebhookPath, ApiError>::from_request_parts(parts, state).await?;
        Ok(Self {
            tenant: tenant_id(&raw.tenant_id)?,
            webhook: path_uuid("webhook_id", &raw.webhook_id)?,
        })
    }
}

/// A missing hook is named by its id (v0.12 sends a literal `%s`).
fn refused(error: Error, webhook: Option<Uuid>, action: &'static str) -> ApiError {
    match (error, webhook) {
        (Error::NotFound(Entity::Webhook), Some(id)) => {
            ApiError::not_found(format!("unable to find webhook with id: {id}"))
        }
        (error, _) => answer(error, action),
    }
}

/// GET `/tenants/{id}/hanko/webhooks`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    params(TenantParam),
    responses(
        (status = 200, description = "The tenant's hooks.", body = ListResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`.", body = AdminError),
        (status = 404, description = "`tenant not found`, also for a tenant that does not serve the Hanko Public API.", body = AdminError),
    ))]
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
) -> Result<Json<ListResponse>, ApiError> {
    let listing = state
        .engine
        .webhooks(tenant)
        .await
        .map_err(|error| refused(error, None, LIST_WEBHOOKS))?;
    Ok(Json(ListResponse::from(listing)))
}

/// POST `/tenants/{id}/hanko/webhooks`: an enabled hook; 201 with it.
#[utoipa::path(post, path = "/tenants/{tenant_id}/hanko/webhooks", operation_id = "create_webhook", tag = "webhooks",
    params(TenantParam),
    request_body(content = HookRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new, enabled hook.", body = WebhookResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to create webhook`: the body is not a JSON object of this shape or breaks a field rule (`details` names it).", body = AdminError),
        (status = 404, description = "`tenant not found`, also for a tenant that does not serve the Hanko Public API.", body = AdminError),
    ))]
pub(super) async fn create<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Response, ApiError> {
    let (callback, events, _) = read_hook(&body, CREATE_WEBHOOK, false)?;
    let hook = state
        .engine
        .create_webhook(tenant, &callback, &events)
        .await
        .map_err(|error| refused(error, None, CREATE_WEBHOOK))?;
    tracing::info!(tenant = %tenant.0, webhook = %hook.id, "hanko webhook created");
    Ok((StatusCode::CREATED, Json(WebhookResponse::from(hook))).into_response())
}

/// GET `/tenants/{id}/hanko/webhooks/{webhook_id}`.
#[utoipa::path(get, path = "/tenants/{tenant_id}/hanko/webhooks/{webhook_id}", operation_id = "show_webhook", tag = "webhooks",
    params(TenantParam, ("webhook_id" = Uuid, Path, description = "The hook's id.")),
    responses(
        (status = 200, description = "The hook.", body = WebhookResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse webhook_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `unable to find webhook with id: …`.", body = AdminError),
    ))]
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    path: WebhookPath,
) -> Result<Json<WebhookResponse>, ApiError> {
    let hook = state
        .engine
        .webhook(path.tenant, path.webhook)
        .await
        .map_err(|error| refused(error, Some(path.webhook), GET_WEBHOOK))?;
    Ok(Json(WebhookResponse::from(hook)))
}

/// PUT `/tenants/{id}/hanko/webhooks/{webhook_id}`: new callback, events and `enabled`, with
/// failures forgotten and 30 days from now; 200 with the hook.
#[utoipa::path(put, path = "/tenants/{tenant_id}/hanko/webhooks/{webhook_id}", operation_id = "update_webhook", tag = "webhooks",
    params(TenantParam, ("webhook_id" = Uuid, Path, description = "The hook's id.")),
    request_body(content = HookRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated hook.", body = WebhookResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse webhook_id as uuid`, or `unable to update webhook`: the body is not a JSON object of this shape or breaks a field rule (`details` names it).", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `unable to find webhook with id: …`.", body = AdminError),
    ))]
pub(super) async fn update<S: Store>(
    State(state): State<AdminState<S>>,
    path: WebhookPath,
    RawJson(body, _): RawJson<ApiError>,
) -> Result<Json<WebhookResponse>, ApiError> {
    let (callback, events, enabled) = read_hook(&body, UPDATE_WEBHOOK, true)?;
    let hook = state
        .engine
        .update_webhook(path.tenant, path.webhook, &callback, &events, enabled)
        .await
        .map_err(|error| refused(error, Some(path.webhook), UPDATE_WEBHOOK))?;
    tracing::info!(tenant = %path.tenant.0, webhook = %hook.id, "hanko webhook updated");
    Ok(Json(WebhookResponse::from(hook)))
}

/// DELETE `/tenants/{id}/hanko/webhooks/{webhook_id}`: 204.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/hanko/webhooks/{webhook_id}", operation_id = "remove_webhook", tag = "webhooks",
    params(TenantParam, ("webhook_id" = Uuid, Path, description = "The hook's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `failed to parse webhook_id as uuid`.", body = AdminError),
        (status = 404, description = "`tenant not found` (also for a tenant that does not serve the Hanko Public API) or `unable to find webhook with id: …`.", body = AdminError),
    ))]
pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    path: WebhookPath,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .delete_webhook(path.tenant, path.webhook)
        .await
        .map_err(|error| refused(error, Some(path.webhook), DELETE_WEBHOOK))?;
    tracing::info!(tenant = %path.tenant.0, webhook = %path.webhook, "hanko webhook deleted");
    Ok(StatusCode::NO_CONTENT)
}
