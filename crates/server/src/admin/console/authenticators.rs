//! Authenticator policy and MDS status: the global per-model records (`latchkey mds import`
//! loads them from the FIDO Metadata Service; 1Kosmos serves them as vendor metadata) that
//! decide which models may register, with the models the MDS reports compromised disabled.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_engine::Store;
use latchkey_engine::authenticator_policy::MetadataChange;
use latchkey_engine::model::AuthenticatorPolicy;
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Form;
use super::page::{self, Place, csrf, notice, when};
use super::session::Session;
use crate::admin::AdminState;
use crate::admin::error::answer;

/// Who the records name as their last writer, as `latchkey mds import` names itself.
const MDS_IMPORTER: &str = "latchkey mds import";
const CONSOLE: &str = "latchkey console";

#[derive(Debug, Deserialize)]
pub(super) struct ShowQuery {
    q: Option<String>,
    done: Option<String>,
}

/// `GET /console/authenticators`.
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    Query(query): Query<ShowQuery>,
) -> Result<Response, ConsoleError> {
    let records = state
        .engine
        .policies(None, &[])
        .await
        .map_err(|error| answer(error, "unable to read authenticator policy"))?;
    let imported: Vec<&AuthenticatorPolicy> = records
        .iter()
        .filter(|record| record.updated_by == MDS_IMPORTER)
        .collect();
    let loaded = imported.iter().map(|record| record.updated_at).max();
    let revoked = imported.iter().filter(|record| record.disabled).count();
    let disabled = records.iter().filter(|record| record.disabled).count();
    let needle = query
        .q
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_lowercase();
    let shown: Vec<&AuthenticatorPolicy> = records
        .iter()
        .filter(|record| {
            needle.is_empty()
                || record.name.to_lowercase().contains(&needle)
                || record.aaguid.to_string().contains(&needle)
        })
        .collect();
    let body = html! {
        h1 { "Authenticators" }
        (notice(query.done.as_deref()))
        div.stats {
            div.stat { div.value { (records.len()) } div.label { "models with a policy record" } }
            div.stat { div.value { (disabled) } div.label { "may not register" } }
            div.stat { div.value { (imported.len()) } div.label { "from the FIDO MDS" } }
            div.stat { div.value { (revoked) } div.label { "reported compromised by the MDS" } }
        }
        p #mds-status {
            @match loaded {
                Some(time) => { "The MDS BLOB was last loaded " (when(time)) ". Load a newer one with " code { "latchkey mds import" } "." }
                None => { "No MDS BLOB loaded: run " code { "latchkey mds import" } " to load the FIDO Metadata Service's models and revocations." }
            }
        }
        section.card {
            h2 #set-policy { "Allow or refuse a model" }
            form method="post" action="/console/authenticators" aria-labelledby="set-policy" {
                (csrf(&session))
                label for="aaguid" { "AAGUID" }
                input #aaguid name="aaguid" required placeholder="ee882879-721c-4913-9775-3dfcce97072a";
                label for="name" { "Name (for a model without a record)" }
                input #name name="name";
                label for="disabled" { "Registration" }
                select #disabled name="disabled" {
                    option value="true" { "refused" }
                    option value="false" { "allowed" }
                }
                button type="submit" { "Save" }
            }
        }
        form method="get" action="/console/authenticators" aria-label="Search" {
            label for="q" { "Search by name or AAGUID" }
            input #q name="q" value=(query.q.as_deref().unwrap_or(""));
            button type="submit" { "Search" }
        }
        div.scroll {
            table.responsive #policies {
                thead { tr { th { "Model" } th { "AAGUID" } th { "Registration" } th { "Certification" } th { "Source" } th { "Changed" } th { span.skip { "Actions" } } } }
                tbody {
                    @for record in &shown {
                        tr {
                            td data-label="Model" { (record.name) }
                            td data-label="AAGUID" { code { (record.aaguid) } }
                            td data-label="Registration" {
                                @if record.disabled { span.badge.bad { "refused" } } @else { span.badge.good { "allowed" } }
                            }
                            td data-label="Certification" {
                                @if let Some(level) = record.certification { (level) } @else { "—" }
                            }
                            td data-label="Source" { (record.updated_by) }
                            td data-label="Changed" { (when(record.updated_at)) }
                            td {
                                form.inline method="post" action="/console/authenticators" {
                                    (csrf(&session))
                                    input type="hidden" name="aaguid" value=(record.aaguid);
                                    input type="hidden" name="disabled" value=(if record.disabled { "false" } else { "true" });
                                    button.danger[!record.disabled] type="submit" {
                                        @if record.disabled { "Allow" } @else { "Refuse" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page::page("Authenticators", &session, Place::Authenticators, body).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct PolicyForm {
    #[serde(default)]
    aaguid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    disabled: String,
}

/// `POST /console/authenticators`: refuses or allows a model for every tenant; a model without
/// a record gets one (with an empty statement), an existing record keeps its statement.
pub(super) async fn update<S: Store>(
    State(state): State<AdminState<S>>,
    Form(form, _): Form<PolicyForm>,
) -> Result<Response, ConsoleError> {
    let aaguid = Uuid::parse_str(form.aaguid.trim())
        .map_err(|_| ConsoleError::bad_form("the AAGUID must be a UUID"))?;
    let disabled = match form.disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ConsoleError::bad_form(
                "choose whether the model may register",
            ));
        }
    };
    let name = form.name.trim();
    let change = MetadataChange {
        name: (!name.is_empty()).then(|| name.to_owned()),
        metadata: None,
        disabled: Some(disabled),
        updated_by: CONSOLE.to_owned(),
    };
    let existing = state
        .engine
        .policies(None, &[aaguid])
        .await
        .map_err(|error| answer(error, "unable to read authenticator policy"))?;
    let result = if existing.is_empty() {
        state.engine.put_policy(None, aaguid, change).await
    } else {
        state.engine.patch_policy(None, aaguid, change).await
    };
    result.map_err(|error| answer(error, "unable to change authenticator policy"))?;
    tracing::info!(%aaguid, disabled, "authenticator policy changed in the console");
    Ok(Redirect::to("/console/authenticators?done=policy").into_response())
}
