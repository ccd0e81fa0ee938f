//! The Hanko Public API in process: a single-tenant deployment's routes at the root beside the
//! 1Kosmos dialect, and tenants that do not serve the API.

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use latchkey_engine::model::TenantId;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::request;
use serde_json::json;

use crate::app::public_app;
use crate::http::meta::TrustedProxies;
use crate::mail::Mailer;
use crate::metrics::Metrics;

/// The public app with one tenant that serves the API and one that does not; the first is the
/// default tenant when `default` is set.
async fn app(default: bool) -> (Router, TenantId, TenantId) {
    let engine = Arc::new(fixtures::engine().await);
    let (serving, _) = fixtures::tenant("accounts.example")
        .tweak(|config| config.hanko_public.enabled = true)
        .create(&engine, None)
        .await;
    let (silent, _) = fixtures::tenant("passkeys.example")
        .create(&engine, None)
        .await;
    let app = public_app(
        engine,
        Metrics::default(),
        TrustedProxies::default(),
        Mailer::new(None),
        default.then_some(serving.id),
    );
    (app, serving.id, silent.id)
}

#[tokio::test]
async fn the_default_tenant_is_served_at_the_root_beside_1kosmos() {
    let (app, serving, _) = app(true).await;
    let at_root = request(Method::GET, "/.well-known/config").send(&app).await;
    assert_eq!(at_root.status, StatusCode::OK, "{}", at_root.text);
    let prefixed = request(Method::GET, &format!("/{}/.well-known/config", serving.0))
        .send(&app)
        .await;
    assert_eq!(at_root.body, prefixed.body);
    let me = request(Method::GET, "/me").send(&app).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.body, json!({"code": 401, "message": "Unauthorized"}));
    // The signal endpoint is the session user's, and this API's, not the 1Kosmos dialect's.
    let signals = request(Method::GET, "/webauthn/signals").send(&app).await;
    assert_eq!(
        signals.body,
        json!({"code": 401, "message": "Unauthorized"})
    );
    // `/webauthn/...` stays the 1Kosmos dialect's: its own answer, not the Hanko one.
    let kosmos = request(Method::GET, "/webauthn/healthz").send(&app).await;
    assert_eq!(kosmos.status, StatusCode::OK, "{}", kosmos.text);
    let options = request(Method::POST, "/webauthn/u1/attestation/options")
        .header("content-type", "application/json")
        .body("{}")
        .send(&app)
        .await;
    assert!(options.body.get("code").is_none(), "{}", options.text);
    // The root status page is still the server's.
    let root = request(Method::GET, "/").send(&app).await;
    assert_eq!(root.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_default_tenant_the_root_serves_no_accounts() {
    let (app, _, _) = app(false).await;
    // The first segment is read as the passkey server's tenant id, which this is not.
    let at_root = request(Method::GET, "/.well-known/config").send(&app).await;
    assert_eq!(at_root.status, StatusCode::BAD_REQUEST, "{}", at_root.text);
    assert_eq!(at_root.body["title"], "tenant_id must be a valid uuid4");
}

#[tokio::test]
async fn a_tenant_that_does_not_serve_the_api_answers_404() {
    let (app, _, silent) = app(false).await;
    let config = request(Method::GET, &format!("/{}/.well-known/config", silent.0))
        .send(&app)
        .await;
    assert_eq!(config.status, StatusCode::NOT_FOUND);
    assert_eq!(config.body, json!({"code": 404, "message": "Not Found"}));
    let sign_up = request(Method::POST, &format!("/{}/users", silent.0))
        .header("content-type", "application/json")
        .body(r#"{"email":"a@example.com"}"#)
        .send(&app)
        .await;
    assert_eq!(sign_up.status, StatusCode::NOT_FOUND);
}
