//! `/tenants/{id}/audit_logs`: the public API's audit-log listing, without an API key.

use axum::extract::State;
use axum::response::Response;
use latchkey_engine::Store;

use super::AdminState;
use super::error::answer;
use super::path::TenantPath;
use crate::hanko_passkey::error::ApiError;
use crate::hanko_passkey::shared_with_admin::list_audit_log;
use crate::http::pagination::RequestUrl;

pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    list_audit_log(&state.engine, tenant, &url, |error| {
        answer(error, "unable to list audit logs")
    })
    .await
}
