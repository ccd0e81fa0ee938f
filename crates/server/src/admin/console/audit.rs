//! A tenant's audit log with the API's filters (the same query reader as
//! `GET /{tenant}/audit_logs`), paged, and a live tail that the page's script polls.

use axum::extract::{RawQuery, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::AuditEvent;
use latchkey_engine::{Error, Page, Store};
use maud::{Markup, html};
use time::format_description::well_known::Rfc3339;

use super::error::ConsoleError;
use super::ids::{self, TenantParam};
use super::page::{self, Place, Tab, when};
use super::session::Session;
use crate::admin::AdminState;
use crate::admin::error::answer;
use crate::hanko_passkey::shared_with_admin::audit_query;

/// The filters the form offers, by the API's parameter names.
const FILTERS: [(&str, &str, &str); 6] = [
    (
        "type",
        "Event types",
        "comma-separated, e.g. webauthn_authentication_final_failed",
    ),
    ("actor_user_id", "User id contains", ""),
    ("meta_source_ip", "Source address contains", ""),
    ("q", "User id or address contains", ""),
    ("start_time", "After", "RFC 3339, e.g. 2026-12-04T18:00:00Z"),
    ("end_time", "Before", "RFC 3339"),
];

/// What the page calls a community realm, which has no name of its own.
const REALM: &str = "1Kosmos community realm";

/// Most rows the tail adds at once; a burst beyond shows on the next poll or a reload.
const TAIL_ROWS: u32 = 200;

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// The filters as a query string, without the page (for links and the tail).
fn filter_query(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            pairs
                .iter()
                .filter(|(key, _)| key != "page" && key != "per_page"),
        )
        .finish()
}

/// `GET /console/tenants/{id}/audit`.
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    TenantParam { 0: id, .. }: TenantParam,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    // A 1Kosmos community's realm is no tenant to the admin API, but its audit log has no
    // other reader; the listing below answers 404 for an id that is neither.
    let name = match state.engine.tenant(id).await {
        Ok(tenant) => tenant.display_name,
        Err(Error::NotFound(_)) => REALM.to_owned(),
        Err(error) => return Err(answer(error, "unable to get tenant").into()),
    };
    let pairs = pairs(query.as_deref());
    let (filters, params) = audit_query(&pairs)?;
    let events = state
        .engine
        .audit_events(
            id,
            &filters,
            Page {
                number: params.page,
                per_page: params.per_page,
                descending: true,
            },
        )
        .await
        .map_err(|error| answer(error, "unable to list audit logs"))?;
    let base = format!("/console/tenants/{}/audit", id.0);
    let filtered = filter_query(&pairs);
    let newest = events
        .items
        .first()
        .map_or_else(|| state.engine.now(), |event| event.created_at)
        .format(&Rfc3339)
        .unwrap_or_default();
    let pages = events.total.div_ceil(u64::from(params.per_page)).max(1);
    // The pages keep their size: a page number means nothing under another `per_page`.
    let link = |page: u32| format!("{base}?{filtered}&per_page={}&page={page}", params.per_page);
    let body = html! {
        h1 { "Audit log" }
        form.filters method="get" action=(base) aria-label="Filters" {
            @for (name, label, hint) in FILTERS {
                div {
                    label for=(name) { (label) }
                    input #(name) name=(name) value=(value(&pairs, name)) placeholder=(hint);
                }
            }
            div { button type="submit" { "Filter" } }
        }
        p {
            (events.total) " entries. "
            label.check for="live-tail" {
                input #live-tail type="checkbox" disabled;
                "Live tail (new entries appear at the top)"
            }
            span #live-tail-status role="status" {}
        }
        div.scroll {
            table.responsive #audit data-tail={ (base) "/tail?" (filtered) } data-newest=(newest) {
                thead { tr { th { "Time" } th { "Type" } th { "User" } th { "Error" } th { "Source" } th { "Request" } } }
                tbody { @for event in &events.items { (row(event)) } }
            }
        }
        nav.pager aria-label="Pages" {
            @if params.page > 1 { a href=(link(params.page - 1)) { "Newer" } }
            span { "Page " (params.page) " of " (pages) }
            @if u64::from(params.page) < pages { a href=(link(params.page + 1)) { "Older" } }
        }
    };
    Ok(page::page(
        "Audit log",
        &session,
        Place::Tenant(id, &name, Tab::Audit),
        body,
    )
    .into_response())
}

fn row(event: &AuditEvent) -> Markup {
    let failed = event.error.is_some();
    html! {
        tr {
            td data-label="Time" { (when(event.created_at)) }
            td data-label="Type" {
                code { (event.kind) }
                @if failed { " " span.badge.bad { "failed" } }
            }
            td data-label="User" { @if let Some(user) = &event.actor_user_id { code { (user) } } }
            td data-label="Error" { (event.error.as_deref().unwrap_or("")) }
            td data-label="Source" { code { (event.source_ip) } br; span.hint { (event.user_agent) } }
            td data-label="Request" { code { (event.request_id) } }
        }
    }
}

/// `GET /console/tenants/{id}/audit/tail?after=TIME&FILTERS`: the rows newer than `after`,
/// newest first, as table rows; `X-Newest` is the time to ask after next.
pub(super) async fn tail<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let mut pairs = pairs(query.as_deref());
    let after = value(&pairs, "after").to_owned();
    pairs.retain(|(key, _)| key != "after" && key != "start_time");
    if !after.is_empty() {
        pairs.push(("start_time".to_owned(), after.clone()));
    }
    let (filters, _) = audit_query(&pairs)?;
    let events = state
        .engine
        .audit_events(
            id,
            &filters,
            Page {
                number: 1,
                per_page: TAIL_ROWS,
                descending: true,
            },
        )
        .await
        .map_err(|error| answer(error, "unable to list audit logs"))?;
    let newest = events
        .items
        .first()
        .and_then(|event| event.created_at.format(&Rfc3339).ok())
        .unwrap_or(after);
    let rows = html! { @for event in &events.items { (row(event)) } };
    let mut response = rows.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&newest) {
        response.headers_mut().insert("x-newest", value);
    }
    Ok(response)
}
