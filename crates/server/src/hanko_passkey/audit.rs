//! `/{tenant}/audit_logs`: the tenant's audit log, newest first, filtered and paged.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use latchkey_engine::Engine;
use latchkey_engine::model::{AuditEvent, AuditQuery, TenantId};
use latchkey_engine::{Error, Store};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::error::ApiError;
use super::error::{Body as ErrorBody, Endpoint, api_error};
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::http::pagination::{PageParams, RequestUrl, first_value, page_response};
use crate::http::timestamps::rfc3339;

/// An audit-log entry as the original's `AuditLog` model marshals it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = AuditLog)]
pub struct AuditLogDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// The event, e.g. `webauthn_registration_init_succeeded`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why a `*_failed` event failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub meta_http_request_id: String,
    pub meta_source_ip: String,
    pub meta_user_agent: String,
    /// The application's id of the user the event is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Entries are never changed, so this is `created_at`.
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = Uuid)]
    pub tenant_id: String,
    /// `null` when none: the original does not omit it.
    #[schema(required = true)]
    pub transaction_id: Option<String>,
}

impl From<AuditEvent> for AuditLogDto {
    fn from(event: AuditEvent) -> Self {
        let created_at = rfc3339(event.created_at);
        Self {
            id: event.id.to_string(),
            kind: event.kind,
            error: event.error,
            meta_http_request_id: event.request_id,
            meta_source_ip: event.source_ip,
            meta_user_agent: event.user_agent,
            actor_user_id: event.actor_user_id,
            updated_at: created_at.clone(),
            created_at,
            tenant_id: event.tenant.0.to_string(),
            transaction_id: event.transaction_id,
        }
    }
}

/// Reads the filters and page of an audit-log listing from query pairs: `page`, `per_page`,
/// `start_time` and `end_time` (RFC 3339, exclusive), `type` (repeatable, and each value may
/// list several types separated by commas), `actor_user_id`, `meta_source_ip` and `q`
/// (substrings). A value that does not parse is a 400 `unable to list audit logs`.
pub(crate) fn audit_query(
    pairs: &[(String, String)],
) -> Result<(AuditQuery, PageParams), ApiError> {
    let refuse =
        |details: String| ApiError::bad_request("unable to list audit logs").with_details(details);
    let params = PageParams::from_pairs(pairs).map_err(refuse)?;
    let first = |key: &str| first_value(pairs, key);
    let time = |key: &str| -> Result<Option<OffsetDateTime>, ApiError> {
        first(key)
            .map(|value| {
                OffsetDateTime::parse(value, &Rfc3339)
                    .map_err(|_| refuse(format!("{key} must be an RFC 3339 time")))
            })
            .transpose()
    };
    let query = AuditQuery {
        start_time: time("start_time")?,
        end_time: time("end_time")?,
        kinds: pairs
            .iter()
            .filter(|(name, _)| name == "type")
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|kind| !kind.is_empty())
            .map(str::to_owned)
            .collect(),
        actor_user_id: first("actor_user_id").map(str::to_owned),
        source_ip: first("meta_source_ip").map(str::to_owned),
        text: first("q").map(str::to_owned),
    };
    Ok((query, params))
}

/// Lists the audit log.
///
/// The tenant's audit-log entries, newest first, filtered and a page at a time.
#[utoipa::path(
    get,
    path = "/{tenant_id}/audit_logs",
    operation_id = "get-tenants-tenant_id-audit_logs",
    tag = "audit_logs",
    params(
        ("page" = Option<i64>, Query, description = "The page, from 1; a value below 1 reads as 1."),
        ("per_page" = Option<i64>, Query, description = "Entries per page (20 when absent or below 1, at most 1000)."),
        ("start_time" = Option<String>, Query, format = DateTime, description = "Only entries created after this time (RFC 3339)."),
        ("end_time" = Option<String>, Query, format = DateTime, description = "Only entries created before this time (RFC 3339)."),
        ("type" = Option<String>, Query, description = "Only entries of these types: comma-separated, and the parameter may repeat."),
        ("actor_user_id" = Option<String>, Query, description = "Only entries whose actor's user id contains this text."),
        ("meta_source_ip" = Option<String>, Query, description = "Only entries whose source address contains this text."),
        ("q" = Option<String>, Query, description = "Only entries whose source address or actor's user id contains this text."),
    ),
    responses(
        (status = 200, description = "One page of entries.", body = Vec<AuditLogDto>, headers(
            ("X-Total-Count" = u64, description = "How many items all pages hold together."),
            ("Link" = String, description = "The `first`, `last`, `next` and `prev` pages, as far as they exist: `<URL>; rel=\"...\"` entries separated by commas."),
        )),
        (status = 400, description = "A number or time does not parse (`unable to list audit logs`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn list<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    list_audit_log(&engine, tenant.id(), &url, |error| {
        api_error(Endpoint::Tenant, error)
    })
    .await
}

/// The audit-log listing both APIs serve, for the public one's `/{tenant}/audit_logs` and the
/// admin one's `/tenants/{id}/audit_logs`, so that the two cannot drift apart. `fail` is the
/// calling API's own answer to an engine failure.
pub async fn list_audit_log<S: Store>(
    engine: &Engine<S>,
    tenant: TenantId,
    url: &RequestUrl,
    fail: impl FnOnce(Error) -> ApiError,
) -> Result<Response, ApiError> {
    let (query, params) = audit_query(&url.query)?;
    page_response::<_, AuditLogDto, _, _, _>(url, params, true, |page| async move {
        engine
            .audit_events(tenant, &query, page)
            .await
            .map_err(fail)
    })
    .await
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        crate::http::pagination::query_pairs(&format!("/x?{query}").parse().unwrap())
    }

    #[test]
    fn types_repeat_and_split_on_commas() {
        let (query, params) =
            audit_query(&pairs("type=a&type=b,c&type=&actor_user_id=u&q=1.2&page=2")).unwrap();
        assert_eq!(query.kinds, vec!["a", "b", "c"]);
        assert_eq!(query.actor_user_id.as_deref(), Some("u"));
        assert_eq!(query.text.as_deref(), Some("1.2"));
        assert_eq!(query.source_ip, None);
        assert_eq!(
            params,
            PageParams {
                page: 2,
                per_page: 20
            }
        );
    }

    #[test]
    fn times_are_rfc3339() {
        let (query, _) = audit_query(&pairs(
            "start_time=2024-01-02T03:04:05Z&end_time=2024-01-02T05:04:05%2B02:00",
        ))
        .unwrap();
        assert_eq!(query.start_time, Some(datetime!(2024-01-02 03:04:05 UTC)));
        assert_eq!(query.end_time, Some(datetime!(2024-01-02 03:04:05 UTC)));
        let error = audit_query(&pairs("start_time=yesterday")).unwrap_err();
        assert_eq!(error.status.as_u16(), 400);
        assert_eq!(error.title, "unable to list audit logs");
        assert!(audit_query(&pairs("per_page=many")).is_err());
    }

    #[test]
    fn entry_json() {
        let event = AuditEvent {
            id: Uuid::nil(),
            tenant: TenantId(Uuid::nil()),
            kind: "webauthn_credential_deleted".to_owned(),
            error: None,
            request_id: "rid".to_owned(),
            source_ip: "192.0.2.1".to_owned(),
            user_agent: "ua".to_owned(),
            actor_user_id: None,
            transaction_id: None,
            created_at: datetime!(2024-01-02 03:04:05 UTC),
        };
        assert_eq!(
            serde_json::to_string(&AuditLogDto::from(event)).unwrap(),
            concat!(
                r#"{"id":"00000000-0000-0000-0000-000000000000","type":"webauthn_credential_deleted","#,
                r#""meta_http_request_id":"rid","meta_source_ip":"192.0.2.1","meta_user_agent":"ua","#,
                r#""created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:05Z","#,
                r#""tenant_id":"00000000-0000-0000-0000-000000000000","transaction_id":null}"#
            )
        );
    }
}
