//! Tenants: the list, a new tenant, and a tenant's settings, configuration, API keys and
//! signing keys. Every change is the admin API's request, built from the form and read by the
//! admin API's own readers, so the console and the API keep one set of rules.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_engine::Store;
use latchkey_engine::model::{Tenant, TenantId, TenantKind};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ConsoleError;
use super::form::Form;
use super::ids::{self, ItemParams, TenantParam};
use super::page::{self, Place, Tab, action_button, csrf, notice, secret_once, when};
use super::session::{NoFields, Session};
use crate::admin::AdminState;
use crate::admin::config::TenantResponse;
use crate::admin::error::{answer, secret_answer};
use crate::admin::secrets::read_api_key_name;
use crate::admin::tenants::{read_config, read_display_name, read_new_tenant};

/// The tenant `id`, as the admin API reads it.
pub(super) async fn tenant<S: Store>(
    state: &AdminState<S>,
    id: TenantId,
) -> Result<Tenant, ConsoleError> {
    Ok(state
        .engine
        .tenant(id)
        .await
        .map_err(|error| answer(error, "unable to get tenant"))?)
}

/// A `?done=` notice after a redirect.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    pub(super) done: Option<String>,
}

/// `GET /console/tenants`.
pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let organisations = state
        .engine
        .tenants()
        .await
        .map_err(|error| answer(error, "unable to list tenants"))?;
    // The engine lists organisations only; each one's 1Kosmos community realms follow it.
    let mut tenants = Vec::with_capacity(organisations.len());
    for organisation in organisations {
        let communities = state
            .engine
            .communities(organisation.id)
            .await
            .map_err(|error| answer(error, "unable to list communities"))?;
        tenants.push(organisation);
        for community in communities {
            let (_, realm) = state
                .engine
                .community(&community.id)
                .await
                .map_err(|error| answer(error, "unable to get community"))?;
            tenants.push(Tenant::clone(&realm));
        }
    }
    Ok(tenants_page(&session, &tenants, notice(done.done.as_deref())).into_response())
}

fn tenants_page(session: &Session, tenants: &[Tenant], notice: Markup) -> Markup {
    let body = html! {
        h1 { "Tenants" }
        (notice)
        @if tenants.is_empty() {
            p { "No tenant yet. Create one below, or with " code { "latchkey tenant create" } "." }
        } @else {
            div.scroll {
                table.responsive {
                    thead { tr { th { "Name" } th { "Relying party" } th { "Origins" } th { "Kind" } th { "Id" } } }
                    tbody {
                        @for tenant in tenants {
                            tr {
                                td data-label="Name" {
                                    // A realm is managed as a community, on its organisation's 1Kosmos page.
                                    @let href = match &tenant.kind {
                                        TenantKind::Organisation => format!("/console/tenants/{}", tenant.id.0),
                                        TenantKind::Realm { organisation, .. } => format!("/console/tenants/{}/kosmos", organisation.0),
                                    };
                                    a href=(href) { (tenant.display_name) }
                                }
                                td data-label="Relying party" { code { (tenant.config.relying_party.id) } }
                                td data-label="Origins" {
                                    @for origin in &tenant.config.relying_party.origins { code { (origin) } " " }
                                }
                                td data-label="Kind" { (kind(&tenant.kind)) }
                                td data-label="Id" { code { (tenant.id.0) } }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 #new-tenant { "New tenant" }
            form method="post" action="/console/tenants" aria-labelledby="new-tenant" {
                (csrf(session))
                label for="display_name" { "Name" }
                input #display_name name="display_name" required maxlength="256";
                label for="rp_id" { "Relying party id" }
                p.hint #rp_id_hint { "The domain passkeys belong to, e.g. " code { "example.com" } "; no scheme or port." }
                input #rp_id name="rp_id" required aria-describedby="rp_id_hint";
                label for="origins" { "Origins" }
                p.hint #origins_hint { "One per line, e.g. " code { "https://example.com" } ". Also allowed to call the API from browsers (CORS)." }
                textarea #origins name="origins" required aria-describedby="origins_hint" {}
                label.check { input type="checkbox" name="create_api_key" value="on" checked; "Issue an API key now" }
                button type="submit" { "Create tenant" }
            }
        }
    };
    page::page("Tenants", session, Place::Tenants, body)
}

fn kind(kind: &TenantKind) -> &'static str {
    match kind {
        TenantKind::Organisation => "tenant",
        TenantKind::Realm { .. } => "1Kosmos community realm",
    }
}

/// The form of a new tenant.
#[derive(Debug, Deserialize)]
pub(super) struct NewTenantForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    rp_id: String,
    #[serde(default)]
    origins: String,
    create_api_key: Option<String>,
}

/// Lines of a textarea, trimmed, empty ones left out.
pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /console/tenants`: the admin API's `POST /tenants`, with the relying party's origins
/// also allowed by CORS and the original's default timeout. The new API key is shown once.
pub(super) async fn create<S: Store>(
    State(state): State<AdminState<S>>,
    Form(form, session): Form<NewTenantForm>,
) -> Result<Response, ConsoleError> {
    let origins = lines(&form.origins);
    let request = json!({
        "display_name": form.display_name,
        "create_api_key": form.create_api_key.is_some(),
        "config": {
            "cors": { "allowed_origins": origins, "allow_unsafe_wildcard": false },
            "webauthn": {
                "relying_party": {
                    "id": form.rp_id.trim(),
                    "display_name": form.display_name,
                    "origins": origins,
                },
                "timeout": 60_000,
            },
        },
    });
    let (new, api_key_name) = read_new_tenant(request.to_string().as_bytes())?;
    let (tenant, issued) = state
        .engine
        .create_tenant(new, api_key_name)
        .await
        .map_err(|error| answer(error, "unable to create tenant"))?;
    tracing::info!(tenant = %tenant.id.0, "tenant created in the console");
    let shown = issued.map(|issued| secret_once("The tenant's API key", &issued.secret));
    let body = html! {
        h1 { "Tenant created" }
        p { "Tenant " strong { (tenant.display_name) } " has id " code #tenant-id { (tenant.id.0) } "." }
        @if let Some(shown) = shown { (shown) }
        p { a href={ "/console/tenants/" (tenant.id.0) } { "Go to the tenant" } }
    };
    Ok((
        StatusCode::CREATED,
        page::page("Tenant created", &session, Place::Tenants, body),
    )
        .into_response())
}

/// `GET /console/tenants/{id}`: settings, configuration, API keys and signing keys.
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
    TenantParam { 0: id, .. }: TenantParam,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let shown = Shown {
        notice: notice(done.done.as_deref()),
        new_secret: None,
    };
    Ok(settings_page(&state, &session, id, shown)
        .await?
        .into_response())
}

/// What a tenant's page shows besides the tenant.
struct Shown {
    notice: Markup,
    new_secret: Option<Markup>,
}

async fn settings_page<S: Store>(
    state: &AdminState<S>,
    session: &Session,
    id: TenantId,
    shown: Shown,
) -> Result<Markup, ConsoleError> {
    let engine = &state.engine;
    let tenant = tenant(state, id).await?;
    let api_keys = engine
        .api_keys(id)
        .await
        .map_err(|error| answer(error, "unable to list keys"))?;
    let signing_keys = engine
        .signing_keys(id)
        .await
        .map_err(|error| answer(error, "unable to list keys"))?;
    let name = tenant.display_name.clone();
    let config = config_json(tenant);
    let base = format!("/console/tenants/{}", id.0);
    let text = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let list = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let flag = |pointer: &str| config.pointer(pointer) == Some(&Value::Bool(true));
    let pretty = serde_json::to_string_pretty(&config).unwrap_or_default();
    let body = html! {
        h1 { (name) }
        p.hint { "Tenant id " code #tenant-id { (id.0) } }
        (shown.notice)
        @if let Some(secret) = shown.new_secret { (secret) }

        section.card {
            h2 #settings { "Relying party and ceremonies" }
            form method="post" action={ (base) "/settings" } aria-labelledby="settings" {
                (csrf(session))
                label for="rp_display_name" { "Relying party name" }
                input #rp_display_name name="rp_display_name" value=(text("/webauthn/relying_party/display_name")) required;
                label for="rp_id" { "Relying party id" }
                p.hint #rp_id_hint { "Changing it strands every passkey registered under the old one." }
                input #rp_id name="rp_id" value=(text("/webauthn/relying_party/id")) required aria-describedby="rp_id_hint";
                label for="origins" { "Origins (one per line)" }
                textarea #origins name="origins" required { (list("/webauthn/relying_party/origins")) }
                label for="related_origins" { "Related origins: other sites that may use this relying party id (one per line, at most 5 distinct names)" }
                p.hint #related_origins_hint { "Served at https://" (text("/webauthn/relying_party/id")) "/.well-known/webauthn; see docs/related-origins.md." }
                textarea #related_origins name="related_origins" aria-describedby="related_origins_hint" { (list("/webauthn/relying_party/related_origins")) }
                label for="cors_origins" { "CORS: origins allowed to call the API from browsers (one per line)" }
                textarea #cors_origins name="cors_origins" required { (list("/cors/allowed_origins")) }
                label.check {
                    input type="checkbox" name="allow_unsafe_wildcard" value="on"
                        checked[config.pointer("/cors/allow_unsafe_wildcard") == Some(&Value::Bool(true))];
                    "Allow a " code { "*" } " origin (unsafe)"
                }
                label for="timeout" { "Ceremony timeout (milliseconds)" }
                input #timeout name="timeout" type="number" min="1" value=(config.pointer("/webauthn/timeout").and_then(Value::as_u64).unwrap_or(60_000)) required;
                (choice("user_verification", "User verification", &text("/webauthn/user_verification"),
                    &[("required", "required"), ("preferred", "preferred"), ("discouraged", "discouraged")]))
                (choice("attachment", "Authenticator attachment", &text("/webauthn/attachment"),
                    &[("", "any"), ("platform", "platform (built in)"), ("cross-platform", "cross-platform (security key, phone)")]))
                (choice("resident_key_requirement", "Discoverable credential (resident key)", &text("/webauthn/resident_key_requirement"),
                    &[("required", "required"), ("preferred", "preferred"), ("discouraged", "discouraged")]))
                (choice("attestation_preference", "Attestation", &text("/webauthn/attestation_preference"),
                    &[("direct", "direct"), ("indirect", "indirect"), ("enterprise", "enterprise"), ("none", "none")]))
                (choice("algorithm", "Token signing algorithm", &text("/signing/algorithm"),
                    &[("RS256", "RS256"), ("ES256", "ES256"), ("EdDSA", "EdDSA")]))
                (choice("counter", "Signature counter that does not grow", &text("/counter"),
                    &[("reject", "reject the login"), ("audit_only", "accept and audit")]))
                (choice("backup_eligibility", "Backup eligibility that changes", &text("/backup_eligibility"),
                    &[("reject", "reject the login"), ("audit_only", "accept and audit")]))
                button type="submit" { "Save settings" }
            }
        }

        section.card {
            h2 #hanko-public { "Hanko Public API" }
            p.hint { "The full login backend at " code { "/" (id.0) "/" } " (users, emails, passcodes, passwords, passkeys, sessions). Third-party providers, SAML, webhooks and mail are in the whole configuration below." }
            form method="post" action={ (base) "/hanko-public" } aria-labelledby="hanko-public" {
                (csrf(session))
                (check("hp_enabled", "Serve the Hanko Public API for this tenant", flag("/hanko_public/enabled")))
                label for="hp_service" { "Service name (in passcode mails)" }
                input #hp_service name="hp_service" value=(text("/hanko_public/service/name"));
                label for="hp_lifespan" { "Session lifespan (Go duration, e.g. 12h)" }
                input #hp_lifespan name="hp_lifespan" value=(text("/hanko_public/session/lifespan")) required;
                (check("hp_signup", "Anyone may sign up", flag("/hanko_public/account/allow_signup")))
                (check("hp_deletion", "Users may delete their account", flag("/hanko_public/account/allow_deletion")))
                (check("hp_verification", "Email addresses must be verified", flag("/hanko_public/emails/require_verification")))
                (check("hp_passwords", "Password login", flag("/hanko_public/password/enabled")))
                label for="hp_min_password" { "Shortest password" }
                input #hp_min_password name="hp_min_password" type="number" min="1"
                    value=(config.pointer("/hanko_public/password/min_password_length").and_then(Value::as_u64).unwrap_or(8)) required;
                label for="hp_passcode_ttl" { "Passcode lifetime (seconds)" }
                input #hp_passcode_ttl name="hp_passcode_ttl" type="number" min="1"
                    value=(config.pointer("/hanko_public/passcode/ttl").and_then(Value::as_u64).unwrap_or(300)) required;
                button type="submit" { "Save Hanko Public API settings" }
            }
        }

        section.card {
            h2 #api-keys { "API keys" }
            p.hint { "For the passkey-server API's " code { "apiKey" } " header. latchkey keeps only a hash: a key is shown once, when it is made." }
            @if api_keys.is_empty() { p { "None." } } @else {
                table.responsive aria-labelledby="api-keys" {
                    thead { tr { th { "Name" } th { "Created" } th { "Id" } th { span.skip { "Actions" } } } }
                    tbody {
                        @for key in &api_keys {
                            tr {
                                td data-label="Name" { (key.name) }
                                td data-label="Created" { (when(key.created_at)) }
                                td data-label="Id" { code { (key.id) } }
                                td { (action_button(session, &format!("{base}/api-keys/{}/revoke", key.id), "Revoke",
                                    Some("Revoke this API key? Servers using it stop working."))) }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (base) "/api-keys" } {
                (csrf(session))
                label for="key_name" { "New key's name" }
                input #key_name name="name" required maxlength="256";
                button type="submit" { "Create API key" }
            }
        }

        section.card {
            h2 #signing-keys { "Token signing keys" }
            p.hint { "The newest signs tokens; every key listed is in the JWKS, so tokens it signed keep verifying until it is retired." }
            @if signing_keys.is_empty() { p { "None: the next token makes one." } } @else {
                table.responsive aria-labelledby="signing-keys" {
                    thead { tr { th { "Key id (kid)" } th { "Algorithm" } th { "Created" } th { span.skip { "Actions" } } } }
                    tbody {
                        // The store lists the oldest first and the newest signs: newest on top.
                        @for (index, key) in signing_keys.iter().rev().enumerate() {
                            tr {
                                td data-label="Key id" { code { (key.id) } @if index == 0 { " " span.badge.good { "signing" } } }
                                td data-label="Algorithm" { (key.algorithm.as_str()) }
                                td data-label="Created" { (when(key.created_at)) }
                                td { (action_button(session, &format!("{base}/signing-keys/{}/retire", key.id), "Retire",
                                    Some("Retire this signing key? Tokens it signed stop verifying."))) }
                            }
                        }
                    }
                }
            }
            (action_button(session, &format!("{base}/signing-keys"), "Rotate: make a new signing key", None))
        }

        section.card {
            h2 #config { "Whole configuration" }
            p.hint { "The admin API's " code { "PUT /tenants/{id}/config" } " body, with every block (the Hanko Public API's included). Secrets show empty and are kept when left empty." }
            form method="post" action={ (base) "/config" } aria-labelledby="config" {
                (csrf(session))
                label for="config_json" { "Configuration (JSON)" }
                textarea.config #config_json name="config" spellcheck="false" { (pretty) }
                button type="submit" { "Replace configuration" }
            }
        }

        section.card {
            h2 #rename { "Name" }
            form method="post" action={ (base) "/rename" } aria-labelledby="rename" {
                (csrf(session))
                label for="display_name" { "Tenant name" }
                input #display_name name="display_name" value=(name) required maxlength="256";
                button type="submit" { "Rename" }
            }
        }

        section.card {
            h2 { "Delete" }
            p { "Deletes the tenant with its users, credentials, keys and audit log." }
            (action_button(session, &format!("{base}/delete"), "Delete this tenant",
                Some("Delete this tenant and everything it holds? This cannot be undone.")))
        }
    };
    Ok(page::page(
        &name,
        session,
        Place::Tenant(id, &name, Tab::Settings),
        body,
    ))
}

/// A labelled checkbox sent as `on` when ticked.
fn check(name: &str, label: &str, checked: bool) -> Markup {
    html! {
        label.check { input type="checkbox" name=(name) value="on" checked[checked]; (label) }
    }
}

/// A `<select>` of `options` (value, label) with `current` chosen.
fn choice(name: &str, label: &str, current: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        label for=(name) { (label) }
        select #(name) name=(name) {
            @for (value, text) in options {
                option value=(value) selected[*value == current] { (text) }
            }
        }
    }
}

/// The tenant's configuration as the admin API shows it.
fn config_json(tenant: Tenant) -> Value {
    serde_json::to_value(TenantResponse::from(tenant))
        .ok()
        .and_then(|mut value| value.get_mut("config").map(Value::take))
        .unwrap_or(Value::Null)
}

/// The settings form.
#[derive(Debug, Deserialize)]
pub(super) struct SettingsForm {
    #[serde(default)]
    rp_display_name: String,
    #[serde(default)]
    rp_id: String,
    #[serde(default)]
    origins: String,
    /// Absent (a form from before the field existed): the list stays as it is.
    related_origins: Option<String>,
    #[serde(default)]
    cors_origins: String,
    allow_unsafe_wildcard: Option<String>,
    #[serde(default)]
    timeout: String,
    #[serde(default)]
    user_verification: String,
    #[serde(default)]
    attachment: String,
    #[serde(default)]
    resident_key_requirement: String,
    #[serde(default)]
    attestation_preference: String,
    #[serde(default)]
    algorithm: String,
    #[serde(default)]
    counter: String,
    #[serde(default)]
    backup_eligibility: String,
}

impl SettingsForm {
    /// The form laid over the configuration as the admin API shows it: the body of a
    /// `PUT /tenants/{id}/config` that changes only what the form holds.
    fn over(self, mut config: Value) -> Result<Value, ConsoleError> {
        let timeout: u32 = self.timeout.trim().parse().map_err(|_| {
            ConsoleError::bad_form("the timeout must be a whole number of milliseconds")
        })?;
        let attachment = if self.attachment.is_empty() {
            Value::Null
        } else {
            json!(self.attachment)
        };
        let changes = [
            (
                &["webauthn", "relying_party", "display_name"][..],
                json!(self.rp_display_name),
            ),
            (
                &["webauthn", "relying_party", "id"],
                json!(self.rp_id.trim()),
            ),
            (
                &["webauthn", "relying_party", "origins"],
                json!(lines(&self.origins)),
            ),
            (&["webauthn", "timeout"], json!(timeout)),
            (
                &["webauthn", "user_verification"],
                json!(self.user_verification),
            ),
            (&["webauthn", "attachment"], attachment),
            (
                &["webauthn", "resident_key_requirement"],
                json!(self.resident_key_requirement),
            ),
            (
                &["webauthn", "attestation_preference"],
                json!(self.attestation_preference),
            ),
            (
                &["cors", "allowed_origins"],
                json!(lines(&self.cors_origins)),
            ),
            (
                &["cors", "allow_unsafe_wildcard"],
                json!(self.allow_unsafe_wildcard.is_some()),
            ),
            (&["signing", "algorithm"], json!(self.algorithm)),
            (&["counter"], json!(self.counter)),
            (&["backup_eligibility"], json!(self.backup_eligibility)),
        ];
        for (path, value) in changes {
            set(&mut config, path, value)?;
        }
        if let Some(related) = self.related_origins {
            set(
                &mut config,
                &["webauthn", "relying_party", "related_origins"],
                json!(lines(&related)),
            )?;
        }
        Ok(config)
    }
}

/// Sets the member at `path` of a JSON object, making the objects on the way.
fn set(config: &mut Value, path: &[&str], value: Value) -> Result<(), ConsoleError> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut here = config;
    for key in parents {
        here = here
            .as_object_mut()
            .ok_or_else(|| ConsoleError::internal("the configuration is not a JSON object"))?
            .entry(*key)
            .or_insert_with(|| json!({}));
    }
    here.as_object_mut()
        .ok_or_else(|| ConsoleError::internal("the configuration is not a JSON object"))?
        .insert((*last).to_owned(), value);
    Ok(())
}

/// `POST /console/tenants/{id}/settings`.
pub(super) async fn update_settings<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, _): Form<SettingsForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let body = form.over(config_json(tenant(&state, id).await?))?;
    replace(&state, id, body.to_string().as_bytes()).await?;
    Ok(back(id, "settings"))
}

/// The Hanko Public API's main switches.
#[derive(Debug, Deserialize)]
pub(super) struct HankoPublicForm {
    hp_enabled: Option<String>,
    #[serde(default)]
    hp_service: String,
    #[serde(default)]
    hp_lifespan: String,
    hp_signup: Option<String>,
    hp_deletion: Option<String>,
    hp_verification: Option<String>,
    hp_passwords: Option<String>,
    #[serde(default)]
    hp_min_password: String,
    #[serde(default)]
    hp_passcode_ttl: String,
}

impl HankoPublicForm {
    /// The form laid over the configuration as the admin API shows it.
    fn over(self, mut config: Value) -> Result<Value, ConsoleError> {
        let number = |text: &str, what: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| ConsoleError::bad_form(format!("{what} must be a whole number")))
        };
        let changes = [
            (&["enabled"][..], json!(self.hp_enabled.is_some())),
            (&["service", "name"], json!(self.hp_service.trim())),
            (&["session", "lifespan"], json!(self.hp_lifespan.trim())),
            (
                &["account", "allow_signup"],
                json!(self.hp_signup.is_some()),
            ),
            (
                &["account", "allow_deletion"],
                json!(self.hp_deletion.is_some()),
            ),
            (
                &["emails", "require_verification"],
                json!(self.hp_verification.is_some()),
            ),
            (&["password", "enabled"], json!(self.hp_passwords.is_some())),
            (
                &["password", "min_password_length"],
                json!(number(&self.hp_min_password, "the shortest password")?),
            ),
            (
                &["passcode", "ttl"],
                json!(number(&self.hp_passcode_ttl, "the passcode lifetime")?),
            ),
        ];
        for (path, value) in changes {
            let mut full = vec!["hanko_public"];
            full.extend_from_slice(path);
            set(&mut config, &full, value)?;
        }
        Ok(config)
    }
}

/// `POST /console/tenants/{id}/hanko-public`.
pub(super) async fn update_hanko_public<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, _): Form<HankoPublicForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let body = form.over(config_json(tenant(&state, id).await?))?;
    replace(&state, id, body.to_string().as_bytes()).await?;
    Ok(back(id, "settings"))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConfigForm {
    #[serde(default)]
    config: String,
}

/// `POST /console/tenants/{id}/config`: the admin API's `PUT /tenants/{id}/config`.
pub(super) async fn replace_config<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, _): Form<ConfigForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    replace(&state, id, form.config.as_bytes()).await?;
    Ok(back(id, "config"))
}

async fn replace<S: Store>(
    state: &AdminState<S>,
    id: TenantId,
    body: &[u8],
) -> Result<(), ConsoleError> {
    let checked = read_config(body)?;
    state
        .engine
        .update_tenant_config(id, |current| Ok(checked.into_config(Some(current))))
        .await
        .map_err(|error| answer(error, "unable to update tenant config"))?;
    tracing::info!(tenant = %id.0, "tenant config replaced in the console");
    Ok(())
}

/// Back to the tenant's page with a notice.
fn back(id: TenantId, done: &str) -> Response {
    Redirect::to(&format!("/console/tenants/{}?done={done}", id.0)).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct RenameForm {
    #[serde(default)]
    display_name: String,
}

/// `POST /console/tenants/{id}/rename`.
pub(super) async fn rename<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, _): Form<RenameForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let name = read_display_name(
        json!({ "display_name": form.display_name })
            .to_string()
            .as_bytes(),
    )?;
    state
        .engine
        .rename_tenant(id, name)
        .await
        .map_err(|error| answer(error, "unable to update tenant"))?;
    Ok(back(id, "renamed"))
}

/// `POST /console/tenants/{id}/delete`.
pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    state
        .engine
        .delete_tenant(id)
        .await
        .map_err(|error| answer(error, "unable to delete tenant"))?;
    tracing::info!(tenant = %id.0, "tenant deleted in the console");
    Ok(Redirect::to("/console/tenants?done=tenant-deleted").into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct ApiKeyForm {
    #[serde(default)]
    name: String,
}

/// `POST /console/tenants/{id}/api-keys`: the new key is shown once, on the page answered.
pub(super) async fn create_api_key<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(form, session): Form<ApiKeyForm>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let name = read_api_key_name(json!({ "name": form.name }).to_string().as_bytes())?;
    let issued = state
        .engine
        .create_api_key(id, &name)
        .await
        .map_err(|error| answer(error, "unable to create key"))?;
    tracing::info!(tenant = %id.0, key = %issued.key.id, "api key created in the console");
    let shown = Shown {
        notice: html! {},
        new_secret: Some(secret_once(
            &format!("New API key “{}”", issued.key.name),
            &issued.secret,
        )),
    };
    let page = settings_page(&state, &session, id, shown).await?;
    Ok((StatusCode::CREATED, page).into_response())
}

/// `POST /console/tenants/{id}/api-keys/{key}/revoke`.
pub(super) async fn revoke_api_key<S: Store>(
    State(state): State<AdminState<S>>,
    ItemParams { 0: (id, key), .. }: ItemParams,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let key_id = ids::uuid(&key, "API key")?;
    state
        .engine
        .delete_api_key(id, key_id)
        .await
        .map_err(|error| secret_answer(error, &key, "unable to remove key"))?;
    tracing::info!(tenant = %id.0, key = %key_id, "api key revoked in the console");
    Ok(back(id, "key-revoked"))
}

/// `POST /console/tenants/{id}/signing-keys`: rotate.
pub(super) async fn rotate_signing_key<S: Store>(
    State(state): State<AdminState<S>>,
    TenantParam { 0: id, .. }: TenantParam,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let key = state
        .engine
        .rotate_signing_key(id)
        .await
        .map_err(|error| answer(error, "unable to create key"))?;
    tracing::info!(tenant = %id.0, kid = %key.id, "signing key rotated in the console");
    Ok(back(id, "signing-key-rotated"))
}

/// `POST /console/tenants/{id}/signing-keys/{key}/retire`.
pub(super) async fn retire_signing_key<S: Store>(
    State(state): State<AdminState<S>>,
    ItemParams { 0: (id, key), .. }: ItemParams,
    Form(NoFields {}, _): Form<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = ids::tenant(&id)?;
    let key_id = ids::uuid(&key, "signing key")?;
    state
        .engine
        .delete_signing_key(id, key_id)
        .await
        .map_err(|error| secret_answer(error, &key, "unable to remove key"))?;
    tracing::info!(tenant = %id.0, kid = %key_id, "signing key retired in the console");
    Ok(back(id, "signing-key-retired"))
}
