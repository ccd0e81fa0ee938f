//! The frame every console page shares, and the small pieces pages are built from.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;
use latchkey_engine::model::TenantId;
use maud::{DOCTYPE, Markup, html};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::session::Session;

/// Nothing but the console's own assets runs or loads; no other site may frame it.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Middleware: the console's pages are never cached (they show secrets once) and carry the CSP.
pub(super) async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/console/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !is_asset {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Where a page sits, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place<'a> {
    Dashboard,
    Tenants,
    Authenticators,
    /// A tenant's page, with its name and which of its tabs.
    Tenant(TenantId, &'a str, Tab),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tab {
    Settings,
    Users,
    Audit,
    Kosmos,
}

/// A whole page: header, navigation, `body`.
pub(super) fn page(title: &str, session: &Session, place: Place<'_>, body: Markup) -> Markup {
    let current = |here: bool| if here { Some("page") } else { None };
    let top = top_of(place);
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "latchkey" }
                    nav aria-label="Console" {
                        a href="/console" aria-current=[current(top == Place::Dashboard)] { "Dashboard" }
                        a href="/console/tenants" aria-current=[current(top == Place::Tenants)] { "Tenants" }
                        a href="/console/authenticators" aria-current=[current(top == Place::Authenticators)] { "Authenticators" }
                    }
                    @if session.token_required {
                        form.logout method="post" action="/console/logout" {
                            (csrf(session))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                @if let Place::Tenant(id, name, tab) = place {
                    nav.tabs aria-label="Tenant" {
                        span.tenant-name { (name) }
                        @for (label, path, this) in [
                            ("Settings and keys", "", Tab::Settings),
                            ("Users", "/users", Tab::Users),
                            ("Audit log", "/audit", Tab::Audit),
                            ("1Kosmos", "/kosmos", Tab::Kosmos),
                        ] {
                            a href={ "/console/tenants/" (id.0) (path) } aria-current=[current(tab == this)] { (label) }
                        }
                    }
                }
                main #main { (body) }
                script src="/console/assets/console.js" defer {}
            }
        }
    }
}

/// The top-level place a page belongs to: a tenant's pages are under Tenants.
fn top_of(place: Place<'_>) -> Place<'static> {
    match place {
        Place::Dashboard => Place::Dashboard,
        Place::Tenants | Place::Tenant(..) => Place::Tenants,
        Place::Authenticators => Place::Authenticators,
    }
}

/// A page outside the session (sign-in, errors): no navigation.
pub(super) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body {
                header.top { a.brand href="/console" { "latchkey" } }
                main #main { (body) }
            }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · latchkey console" }
        link rel="stylesheet" href="/console/assets/console.css";
    }
}

/// The hidden CSRF field every form carries.
pub(super) fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-button form that posts to `action`; `confirm` asks first (by script; without it the
/// button simply posts).
pub(super) fn action_button(
    session: &Session,
    action: &str,
    label: &str,
    confirm: Option<&str>,
) -> Markup {
    html! {
        form.inline method="post" action=(action) data-confirm=[confirm] {
            (csrf(session))
            button.danger[confirm.is_some()] type="submit" { (label) }
        }
    }
}

/// A notice after an action, from the fixed list a redirect may name (`?done=...`), so that no
/// text from a URL is ever shown.
pub(super) fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("renamed") => "Renamed.",
        Some("settings") => "Settings saved.",
        Some("config") => "Configuration replaced.",
        Some("key-revoked") => "API key revoked.",
        Some("signing-key-rotated") => "A new signing key signs from now on.",
        Some("signing-key-retired") => "Signing key retired.",
        Some("user-deleted") => "User deleted with their credentials.",
        Some("credential-deleted") => "Credential deleted.",
        Some("tenant-deleted") => "Tenant deleted with everything it held.",
        Some("community-created") => "Community created.",
        Some("license-revoked") => "License revoked.",
        Some("policy") => "Authenticator policy saved.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// A secret shown once, with a warning that it will not be shown again.
pub(super) fn secret_once(label: &str, secret: &str) -> Markup {
    html! {
        div.secret role="alert" {
            p { strong { (label) } " — copy it now: latchkey keeps only its hash and cannot show it again." }
            code #secret { (secret) }
        }
    }
}

/// A time as `2026-12-04 18:55:02Z`.
pub(super) fn when(time: OffsetDateTime) -> Markup {
    let text = time.format(&Rfc3339).unwrap_or_default();
    let shown = text.replacen('T', " ", 1);
    let shown = shown
        .split('.')
        .next()
        .unwrap_or(&shown)
        .trim_end_matches('Z');
    html! { time datetime=(text) { (shown) "Z" } }
}
