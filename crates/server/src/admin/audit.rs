//! `/tenants/{id}/audit_logs`: the public API's audit-log listing, without an API key.

use axum::extract::State;
use axum::response::Response;
use latchkey_engine::Store;

use super::AdminState;
use super::error::answer;
use super::path::TenantPath;
use super::schemas::{AdminError, AuditFilters, AuditLog, Paging, TenantParam};
use crate::hanko_passkey::error::ApiError;
use crate::hanko_passkey::shared_with_admin::list_audit_log;
use crate::http::pagination::RequestUrl;

/// The tenant's audit log as the passkey-server API lists it, newest first, filtered and
/// paged; the one reader of a 1Kosmos realm's log.
#[utoipa::path(get, path = "/tenants/{tenant_id}/audit_logs", operation_id = "list_audit_logs", tag = "audit",
    params(TenantParam, Paging, AuditFilters,
        ("type" = Option<Vec<String>>, Query, explode, description = "Only entries of these types; repeatable, and a value may list several separated by commas."),
    ),
    responses(
        (status = 200, description = "One page of entries.", body = [AuditLog], headers(("X-Total-Count" = u64, description = "How many entries the listing has in all."), ("Link" = String, description = "`first`, `last`, `next` and `prev` pages, as the original sends them."))),
        (status = 400, description = "`tenant_id must be a valid uuid4`, or `unable to list audit logs`: a page number that is not an integer or a time that is not RFC 3339.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
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
