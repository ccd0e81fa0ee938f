//! A tenant's users and their credentials: the model of each authenticator (name from the
//! bundled AAGUID list, icon from loaded MDS metadata), transports, backup state, last use and
//! signature counter; deleting a user or one credential.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::model::{Credential, TenantId, UserId};
use latchkey_engine::{Page, Store, aaguid};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Form;
use super::ids::{self, CredentialParams, ItemParams, TenantParam};
use super::page::{self, Place, Tab, action_button, notice, when};
use super::session::{NoFields, Session};
use super::tenants::tenant;
use crate::admin::AdminState;
use crate::admin::error::answer;
use crate::http::meta::Meta;

const PER_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    page: Option<u32>,
    done: Option<String>,
}

/// `GET /console/tenants/{id}/users`.
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    TenantParam { 0: id, .. }: TenantParam,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let tenant = tenant(&state, id).await?;
    let number = query.page.unwrap_or(1).max(1);
    let users = state
        .engine
        .users(
            id,
            Page {
                number,
                per_page: PER_PAGE,
                descending: true,
            },
        )
        .await
        .map_err(|error| answer(error, "unable to list users"))?;
    let base = format!("/console/tenants/{}/users", id.0);
    let pages = users.total.div_ceil(u64::from(PER_PAGE)).max(1);
    let body = html! {
        h1 { "Users" }
        (notice(query.done.as_deref()))
        p { (users.total) " passkey-server users, newest first." }
        @if !users.items.is_empty() {
            div.scroll {
                table.responsive {
                    thead { tr { th { "User id" } th { "Name" } th { "Display name" } th { "Created" } } }
                    tbody {
                        @for user in &users.items {
                            tr {
                                td data-label="User id" { a href={ (base) "/" (user.id.0) } { code { (user.external_id) } } }
                                td data-label="Name" { (user.name) }
                                td data-label="Display name" { (user.display_name) }
                                td data-label="Created" { (when(user.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if number > 1 { a href={ (base) "?page=" (number - 1) } { "Newer" } }
            span { "Page " (number) " of " (pages) }
            @if u64::from(number) < pages { a href={ (base) "?page=" (number + 1) } { "Older" } }
        }
    };
    let name = tenant.display_name;
    Ok(page::page(
        "Users",
        &session,
        Place::Tenant(id, &name, Tab::Users),
        body,
    )
    .into_response())
}

/// `GET /console/tenants/{id}/users/{user}`.
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    ItemParams { 0: (id, user), .. }: ItemParams,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let user = UserId(ids::uuid(&user, "user")?);
    let tenant = tenant(&state, id).await?;
    let details = state
        .engine
        .user_details(id, user)
        .await
        .map_err(|error| answer(error, "unable to get user"))?;
    let aaguids: Vec<Uuid> = details
        .credentials
        .iter()
        .map(|record| Uuid::from_bytes(record.credential.aaguid))
        .collect();
    let icons = icons(&state, &aaguids).await?;
    let base = format!("/console/tenants/{}/users/{}", id.0, user.0);
    let person = &details.user;
    let body = html! {
        h1 { "User " code { (person.external_id) } }
        (notice(query.done.as_deref()))
        dl {
            dt { "Name" } dd { (person.name) }
            dt { "Display name" } dd { (person.display_name) }
            dt { "Created" } dd { (when(person.created_at)) }
            dt { "latchkey id" } dd { code { (person.id.0) } }
        }
        h2 #credentials { "Credentials" }
        @if details.credentials.is_empty() { p { "None." } } @else {
            div.scroll {
                table.responsive aria-labelledby="credentials" {
                    thead { tr {
                        th { "Authenticator" } th { "Name" } th { "Transports" } th { "Backup" }
                        th { "Last used" } th { "Sign count" } th { "Registered" } th { span.skip { "Actions" } }
                    } }
                    tbody {
                        @for record in &details.credentials {
                            (credential_row(&session, &base, &record.credential, &icons))
                        }
                    }
                }
            }
        }
        @if !details.transactions.is_empty() {
            h2 { "Transactions" }
            p { (details.transactions.len()) " transactions were confirmed or asked for." }
        }
        section.card {
            h2 { "Delete" }
            p { "Deletes the user with their credentials and transactions." }
            (action_button(&session, &format!("{base}/delete"), "Delete this user",
                Some("Delete this user and their credentials?")))
        }
    };
    let name = tenant.display_name;
    Ok(page::page("User", &session, Place::Tenant(id, &name, Tab::Users), body).into_response())
}

fn credential_row(
    session: &Session,
    base: &str,
    credential: &Credential,
    icons: &HashMap<Uuid, String>,
) -> Markup {
    let aaguid = Uuid::from_bytes(credential.aaguid);
    let model = aaguid::name(&credential.aaguid);
    let id = URL_SAFE_NO_PAD.encode(&credential.id);
    html! {
        tr {
            td data-label="Authenticator" {
                @if let Some(icon) = icons.get(&aaguid) { img.icon src=(icon) alt=""; }
                (model.unwrap_or("Unknown model"))
                br; code title="AAGUID" { (aaguid) }
            }
            td data-label="Name" {
                (credential.name.as_deref().unwrap_or(""))
                @if credential.is_mfa { " " span.badge { "MFA" } }
                br; code title="Credential id" { (id) }
            }
            td data-label="Transports" { (credential.transports.join(", ")) }
            td data-label="Backup" {
                @if credential.backup_state { span.badge.good { "backed up" } }
                @else if credential.backup_eligible { span.badge { "eligible" } }
                @else { span.badge { "device-bound" } }
            }
            td data-label="Last used" {
                @match credential.last_used_at { Some(time) => (when(time)), None => "never" }
            }
            td data-label="Sign count" { (credential.sign_count) }
            td data-label="Registered" { (when(credential.created_at)) " (" (credential.attestation_format) ")" }
            td { (action_button(session, &format!("{base}/credentials/{id}/delete"), "Delete",
                Some("Delete this credential? Its owner can no longer log in with it."))) }
        }
    }
}

/// Icons of these models from the global metadata (`latchkey mds import`): the statement's
/// `icon`, a `data:` URL by the MDS3 format, which the page's CSP allows as an image.
async fn icons<S: Store>(
    state: &AdminState<S>,
    aaguids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ConsoleError> {
    if aaguids.is_empty() {
        return Ok(HashMap::new());
    }
    let records = state
        .engine
        .policies(None, aaguids)
        .await
        .map_err(|error| answer(error, "unable to read authenticator metadata"))?;
    Ok(records
        .into_iter()
        .filter_map(|record| {
            let statement: serde_json::Value = serde_json::from_str(&record.metadata).ok()?;
            let icon = statement.get("icon")?.as_str()?;
            icon.starts_with("data:image/")
                .then(|| (record.aaguid, icon.to_owned()))
        })
        .collect())
}

/// `POST /console/tenants/{id}/users/{user}/delete`.
pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    ItemParams { 0: (id, user), .. }: ItemParams,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let user = UserId(ids::uuid(&user, "user")?);
    state
        .engine
        .delete_user(id, user)
        .await
        .map_err(|error| answer(error, "unable to delete user"))?;
    tracing::info!(tenant = %id.0, user = %user.0, "user deleted in the console");
    Ok(Redirect::to(&format!(
        "/console/tenants/{}/users?done=user-deleted",
        id.0
    ))
    .into_response())
}

/// `POST /console/tenants/{id}/users/{user}/credentials/{credential}/delete`: audited as the
/// passkey-server API's credential deletion, with the console's request as its source.
pub(super) async fn remove_credential<S: Store>(
    State(state): State<AdminState<S>>,
    Meta(meta): Meta,
    CredentialParams {
        0: (id, user, credential),
        ..
    }: CredentialParams,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id: TenantId = ids::tenant(&id)?;
    let user = ids::uuid(&user, "user")?;
    let credential = URL_SAFE_NO_PAD
        .decode(&credential)
        .map_err(|_| ConsoleError::not_found("credential"))?;
    // The path names the user: a credential of another user is not found under it.
    let record = state
        .engine
        .credential(id, &credential)
        .await
        .map_err(|error| answer(error, "unable to delete credential"))?;
    if record.credential.user.0 != user {
        return Err(ConsoleError::not_found("credential"));
    }
    state
        .engine
        .delete_credential(id, &credential, &meta)
        .await
        .map_err(|error| answer(error, "unable to delete credential"))?;
    tracing::info!(tenant = %id.0, "credential deleted in the console");
    Ok(Redirect::to(&format!(
        "/console/tenants/{}/users/{user}?done=credential-deleted",
        id.0
    ))
    .into_response())
}
