//! The page and its script and style, built into the binary: the demo works offline and loads
//! nothing from elsewhere, which its content security policy holds it to.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::TenantId;

use super::Demo;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/demo.js");
const SIGNAL_SCRIPT: &str = include_str!("assets/signal.js");
const STYLE: &str = include_str!("assets/demo.css");

/// Only this server's own script, style and API; no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
                      frame-ancestors 'none'";

/// The page for `tenant`, pointing to the admin console at `console_url`.
pub(super) fn render(tenant: TenantId, console_url: &str) -> String {
    PAGE.replace("{{tenant_id}}", &escape(&tenant.0.to_string()))
        .replace("{{console_url}}", &escape(console_url))
}

/// Text as it may stand in HTML content and quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for char in text.chars() {
        match char {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

pub(super) async fn page(State(demo): State<Arc<Demo>>) -> Response {
    let mut response = asset("text/html; charset=utf-8", demo.page.clone());
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

pub(super) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn signal_script() -> Response {
    asset("text/javascript; charset=utf-8", SIGNAL_SCRIPT)
}

pub(super) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `body` as `content_type`, revalidated on each load (a restart may change the page) and
/// never sniffed as anything else.
fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn the_page_names_its_tenant_and_the_console_escaped() {
        let tenant = TenantId(Uuid::nil());
        let page = render(tenant, "http://127.0.0.1:8001/console?a=1&b=\"2\"");
        assert!(page.contains(r#"data-tenant="00000000-0000-0000-0000-000000000000""#));
        assert!(page.contains(r#"href="http://127.0.0.1:8001/console?a=1&amp;b=&quot;2&quot;""#));
        assert!(!page.contains("{{"));
    }

    #[test]
    fn the_page_loads_only_its_own_assets() {
        let references: Vec<&str> = ["src=\"", "href=\""]
            .iter()
            .flat_map(|attribute| PAGE.split(attribute).skip(1))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert_eq!(
            references,
            [
                "/demo/signal.js",
                "/demo/demo.js",
                "/demo/demo.css",
                "{{console_url}}"
            ],
            "{references:?}"
        );
    }
}
