//! `/tenants/{id}/audit_logs`: the public API's audit-log listing, without an API key.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use latchkey_engine::{Page, Store};

use super::AdminState;
use super::error::answer;
use super::path::TenantPath;
use crate::hanko::audit::{AuditLogDto, audit_query};
use crate::http::error::ApiError;
use crate::http::pagination::{self, RequestUrl};

pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    let (query, params) = audit_query(&url.query)?;
    let page = Page {
        number: params.page,
        per_page: params.per_page,
        descending: true,
    };
    let listed = state
        .engine
        .audit_events(tenant, &query, page)
        .await
        .map_err(|error| answer(error, "unable to list audit logs"))?;
    let headers = pagination::headers(&url, params, listed.total);
    let items: Vec<AuditLogDto> = listed.items.into_iter().map(AuditLogDto::from).collect();
    Ok((headers, Json(items)).into_response())
}
