//! `/{tenant}/signals`: what a page may pass to WebAuthn's signal methods for one user, for a
//! back end after it listed, renamed or deleted credentials (those answers are arrays or
//! empty, so they cannot carry it). An addition to the original's API.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::{Engine, Store};

use super::error::{ApiError, Body as ErrorBody, Endpoint, api_error};
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::http::pagination::{RequestUrl, first_value};
use crate::http::signal::UserSignal;
use crate::http::validate::Violations;

/// The signals for a user.
///
/// The options of `PublicKeyCredential.signalAllAcceptedCredentials` (every credential the
/// user has, passkeys and MFA) and `signalCurrentUserDetails` (the user's names), ready to
/// pass to the browser.
#[utoipa::path(
    get,
    path = "/{tenant_id}/signals",
    operation_id = "get-signals",
    tag = "credentials",
    params(
        ("user_id" = String, Query, description = "The application's id of the user."),
    ),
    responses(
        (status = 200, description = "The user's signal options.", body = UserSignal),
        (status = 400, description = "`user_id` is missing (`unable to validate request`).", body = ErrorBody),
        (status = 404, description = "No user has this `user_id` (`user not found`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn for_user<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    url: RequestUrl,
) -> Result<Json<UserSignal>, ApiError> {
    let user_id = first_value(&url.query, "user_id").unwrap_or_default();
    let mut violations = Violations::default();
    violations.required("user_id", user_id);
    violations.finish().map_err(ApiError::invalid_request)?;
    let signals = engine
        .user_signals(tenant.id(), user_id)
        .await
        .map_err(|error| api_error(Endpoint::Tenant, error))?;
    Ok(Json(signals.into()))
}
