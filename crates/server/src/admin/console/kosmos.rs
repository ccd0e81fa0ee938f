//! A tenant as a 1Kosmos organisation: its communities (each with its own relying party) and
//! license keys (shown once, kept hashed), through the engine calls `latchkey kosmos` makes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_engine::Store;
use latchkey_engine::model::{LicenseScope, TenantId};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::form::Form;
use super::ids::{self, ItemParams, TenantParam};
use super::page::{self, Place, Tab, action_button, csrf, notice, secret_once, when};
use super::session::{NoFields, Session};
use super::tenants::{Done, lines, tenant};
use crate::admin::AdminState;
use crate::admin::error::answer;

/// `GET /console/tenants/{id}/kosmos`.
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    TenantParam { 0: id, .. }: TenantParam,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    Ok(
        kosmos_page(&state, &session, id, notice(done.done.as_deref()))
            .await?
            .into_response(),
    )
}

async fn kosmos_page<S: Store>(
    state: &AdminState<S>,
    session: &Session,
    id: TenantId,
    shown: Markup,
) -> Result<Markup, ConsoleError> {
    let engine = &state.engine;
    let tenant = tenant(state, id).await?;
    let communities = engine
        .communities(id)
        .await
        .map_err(|error| answer(error, "unable to list communities"))?;
    let licenses = engine
        .licenses(id)
        .await
        .map_err(|error| answer(error, "unable to list licenses"))?;
    let base = format!("/console/tenants/{}/kosmos", id.0);
    let body = html! {
        h1 { "1Kosmos communities and licenses" }
        (shown)
        p.hint { "Served under " code { "/webauthn" } ". Each community keeps its users, credentials and audit log in a realm of its own; the console shows a realm's audit log." }
        section.card {
            h2 #communities { "Communities" }
            @if communities.is_empty() { p { "None." } } @else {
                table.responsive aria-labelledby="communities" {
                    thead { tr { th { "Name" } th { "Community id" } th { "Created" } th { "Realm" } } }
                    tbody {
                        @for community in &communities {
                            tr {
                                td data-label="Name" { (community.name) }
                                td data-label="Community id" { code { (community.id) } }
                                td data-label="Created" { (when(community.created_at)) }
                                td data-label="Realm" { a href={ "/console/tenants/" (community.realm.0) "/audit" } { "audit log" } }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (base) "/communities" } aria-label="New community" {
                (csrf(session))
                label for="community_name" { "Name" }
                input #community_name name="name" required;
                label for="community_dns" { "Relying party id (domain)" }
                input #community_dns name="dns" required;
                label for="community_origins" { "More origins (one per line; https://DOMAIN is always one)" }
                textarea #community_origins name="origins" {}
                button type="submit" { "Create community" }
            }
        }
        section.card {
            h2 #licenses { "License keys" }
            @if licenses.is_empty() { p { "None." } } @else {
                table.responsive aria-labelledby="licenses" {
                    thead { tr { th { "Id" } th { "Reaches" } th { "Created" } th { span.skip { "Actions" } } } }
                    tbody {
                        @for license in &licenses {
                            tr {
                                td data-label="Id" { code { (license.id) } }
                                td data-label="Reaches" { (scope(&license.scope)) }
                                td data-label="Created" { (when(license.created_at)) }
                                td { (action_button(session, &format!("{base}/licenses/{}/revoke", license.id), "Revoke",
                                    Some("Revoke this license key? Clients using it stop working."))) }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (base) "/licenses" } aria-label="New license" {
                (csrf(session))
                label for="license_scope" { "Reaches" }
                select #license_scope name="scope" {
                    option value="all" { "every community" }
                    option value="system" { "every community and the global vendor metadata (system license)" }
                    @for community in &communities {
                        option value={ "community:" (community.id) } { "community " (community.name) }
                    }
                }
                button type="submit" { "Create license key" }
            }
        }
    };
    let name = tenant.display_name;
    Ok(page::page(
        "1Kosmos",
        session,
        Place::Tenant(id, &name, Tab::Kosmos),
        body,
    ))
}

fn scope(scope: &LicenseScope) -> Markup {
    match scope {
        LicenseScope::Community(id) => html! { "community " code { (id) } },
        LicenseScope::AllCommunities => html! { "every community" },
        LicenseScope::System => html! { "every community and the global metadata" },
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CommunityForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    dns: String,
    #[serde(default)]
    origins: String,
}

/// `POST /console/tenants/{id}/kosmos/communities`.
pub(super) async fn create_community<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, _): Form<CommunityForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let community = state
        .engine
        .create_community(id, &form.name, &form.dns, lines(&form.origins))
        .await
        .map_err(|error| answer(error, "unable to create community"))?;
    tracing::info!(tenant = %id.0, community = %community.id, "community created in the console");
    Ok(Redirect::to(&format!(
        "/console/tenants/{}/kosmos?done=community-created",
        id.0
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct LicenseForm {
    #[serde(default)]
    scope: String,
}

/// `POST /console/tenants/{id}/kosmos/licenses`: the key is shown once, on the page answered.
pub(super) async fn create_license<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, session): Form<LicenseForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let scope = match form.scope.as_str() {
        "all" => LicenseScope::AllCommunities,
        "system" => LicenseScope::System,
        other => match other.strip_prefix("community:") {
            Some(community) => LicenseScope::Community(community.to_owned()),
            None => return Err(ConsoleError::bad_form("choose what the license reaches")),
        },
    };
    let issued = state
        .engine
        .create_license(id, scope)
        .await
        .map_err(|error| answer(error, "unable to create license"))?;
    tracing::info!(tenant = %id.0, license = %issued.license.id, "license created in the console");
    let shown = secret_once("New license key", &issued.key);
    let page = kosmos_page(&state, &session, id, shown).await?;
    Ok((StatusCode::CREATED, page).into_response())
}

/// `POST /console/tenants/{id}/kosmos/licenses/{license}/revoke`.
pub(super) async fn revoke_license<S: Store>(
    State(state): State<AdminState<S>>,
    ItemParams {
        0: (id, license), ..
    }: ItemParams,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let license = ids::uuid(&license, "license")?;
    state
        .engine
        .revoke_license(id, license)
        .await
        .map_err(|error| answer(error, "unable to revoke license"))?;
    tracing::info!(tenant = %id.0, license = %license, "license revoked in the console");
    Ok(Redirect::to(&format!(
        "/console/tenants/{}/kosmos?done=license-revoked",
        id.0
    ))
    .into_response())
}
