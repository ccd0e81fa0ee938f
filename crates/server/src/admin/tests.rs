//! The admin router over an in-memory SQLite store, driven request by request.

use std::sync::Arc;

use axum::Router;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{Method, StatusCode};
use latchkey_engine::ceremonies::{CeremonyKind, NewUser};
use latchkey_engine::model::TenantId;
use latchkey_engine::{Engine, RequestMeta, Store};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};
use serde_json::{Value, json};

use super::{AdminOptions, admin_router};
use crate::metrics::Metrics;

const TOKEN: &str = "admin-test-token";

async fn router(token: Option<&str>) -> Router {
    with_engine(token).await.0
}

async fn with_engine(token: Option<&str>) -> (Router, Arc<Engine<SqliteStore>>) {
    let engine = Arc::new(fixtures::engine().await);
    let router = admin_router(
        Arc::clone(&engine),
        AdminOptions {
            token: token.map(str::to_owned),
        },
        Metrics::default(),
    );
    (router, engine)
}

async fn call(app: &Router, method: Method, uri: &str, body: Option<Value>) -> Answer {
    call_with(
        app,
        method,
        uri,
        body.map(|body| body.to_string()),
        Some(TOKEN),
    )
    .await
}

async fn call_with(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Answer {
    let bearer = token.map(|token| ("authorization", format!("Bearer {token}")));
    request(method, uri)
        .headers(bearer.as_slice())
        .body_if(body)
        .send(app)
        .await
}

fn tenant_body(create_api_key: bool) -> Value {
    fixtures::tenant("example.com")
        .timeout_ms(60_000)
        .admin_body(create_api_key)
}

async fn create_tenant(app: &Router) -> String {
    let created = call(app, Method::POST, "/tenants", Some(tenant_body(false))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn tenant_lifecycle() {
    let app = router(Some(TOKEN)).await;
    let created = call(&app, Method::POST, "/tenants", Some(tenant_body(true))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(created.headers.contains_key("x-request-id"));
    let id = created.body["id"].as_str().unwrap().to_owned();
    let key = &created.body["api_key"];
    assert_eq!(key["name"], "Initial API Key");
    assert_eq!(key["secret"].as_str().unwrap().len(), 88);
    assert!(key["created_at"].is_string());

    let listed = call(&app, Method::GET, "/tenants", None).await;
    assert_eq!(listed.body, json!([{"id": id, "display_name": "Example"}]));

    let shown = call(&app, Method::GET, &format!("/tenants/{id}"), None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["config"]["webauthn"]["timeout"], 60000);
    assert_eq!(shown.body["config"]["mfa"]["attachment"], "cross-platform");

    let renamed = call(
        &app,
        Method::PUT,
        &format!("/tenants/{id}"),
        Some(json!({"display_name": "Renamed"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::NO_CONTENT);

    let mut config = shown.body["config"].clone();
    config["webauthn"]["timeout"] = json!(90000);
    config["counter"] = json!("audit_only");
    let replaced = call(
        &app,
        Method::PUT,
        &format!("/tenants/{id}/config"),
        Some(config),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::NO_CONTENT, "{}", replaced.text);
    let shown = call(&app, Method::GET, &format!("/tenants/{id}"), None).await;
    assert_eq!(shown.body["display_name"], "Renamed");
    assert_eq!(shown.body["config"]["webauthn"]["timeout"], 90000);
    assert_eq!(shown.body["config"]["counter"], "audit_only");

    let deleted = call(&app, Method::DELETE, &format!("/tenants/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = call(&app, Method::GET, &format!("/tenants/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.body,
        json!({"title": "tenant not found", "details": "", "status": 404})
    );
}

#[tokio::test]
async fn concurrent_config_replacements_keep_each_others_blocks() {
    let app = router(None).await;
    let tenant = create_tenant(&app).await;
    let path = format!("/tenants/{tenant}/config");
    let base = tenant_body(false)["config"].clone();
    // Each replacement sets one latchkey block and leaves the other out, so it must keep what
    // the other wrote, whichever runs first.
    let mut counter = base.clone();
    counter["counter"] = json!("audit_only");
    let mut signing = base;
    signing["signing"] = json!({"algorithm": "ES256"});
    let (first, second) = tokio::join!(
        call(&app, Method::PUT, &path, Some(counter)),
        call(&app, Method::PUT, &path, Some(signing)),
    );
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text);
    assert_eq!(second.status, StatusCode::NO_CONTENT, "{}", second.text);
    let shown = call(&app, Method::GET, &format!("/tenants/{tenant}"), None).await;
    assert_eq!(shown.body["config"]["counter"], "audit_only");
    assert_eq!(shown.body["config"]["signing"]["algorithm"], "ES256");

    let unknown = call(
        &app,
        Method::PUT,
        &format!("/tenants/{}/config", uuid::Uuid::new_v4()),
        Some(tenant_body(false)["config"].clone()),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["title"], "tenant not found");
    let refused = call(&app, Method::PUT, &path, Some(json!([]))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["title"], "unable to update tenant config");
}

#[tokio::test]
async fn refusals_use_the_error_format() {
    let app = router(None).await;
    let bad_uuid = call(&app, Method::GET, "/tenants/not-a-uuid", None).await;
    assert_eq!(bad_uuid.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_uuid.body["title"], "tenant_id must be a valid uuid4");

    let malformed = call_with(&app, Method::POST, "/tenants", Some("{".to_owned()), None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["title"], "unable to create tenant");

    let mut incomplete = tenant_body(false);
    incomplete["display_name"] = json!("");
    incomplete["config"]["webauthn"]["relying_party"]["origins"] = json!([]);
    let incomplete = call(&app, Method::POST, "/tenants", Some(incomplete)).await;
    assert_eq!(incomplete.status, StatusCode::BAD_REQUEST);
    assert_eq!(incomplete.body["title"], "unable to create tenant");
    assert_eq!(
        incomplete.body["details"],
        "display_name is a required field"
    );

    let mut bad_rsa = tenant_body(false);
    bad_rsa["config"]["signing"] = json!({"rsa_bits": 1024});
    let bad_rsa = call(&app, Method::POST, "/tenants", Some(bad_rsa)).await;
    assert_eq!(bad_rsa.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_rsa.body["title"], "unable to create tenant");

    let huge = format!("{{\"display_name\": \"{}\"}}", "x".repeat(1 << 20));
    let huge = call_with(&app, Method::POST, "/tenants", Some(huge), None).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);

    let array = call_with(
        &app,
        Method::POST,
        "/tenants",
        Some(format!("[{}]", tenant_body(true))),
        None,
    )
    .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(array.body["title"], "unable to create tenant");

    let unknown = call(&app, Method::GET, "/nowhere", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["title"], "Not Found");
    assert!(unknown.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn token_guards_everything_but_health() {
    let app = router(Some(TOKEN)).await;
    for token in [None, Some("wrong")] {
        let refused = call_with(&app, Method::GET, "/tenants", None, token).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.headers[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(refused.body["title"], "Unauthorized");
        assert!(refused.headers.contains_key("x-request-id"));
    }
    let metrics = call_with(&app, Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, StatusCode::UNAUTHORIZED);

    let status = call_with(&app, Method::GET, "/", None, None).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        status.text.contains("latchkey is running"),
        "{}",
        status.text
    );
    assert!(status.text.contains(env!("CARGO_PKG_VERSION")));

    let alive = call_with(&app, Method::GET, "/health/alive", None, None).await;
    assert_eq!(alive.body, json!({"alive": true}));
    let ready = call_with(&app, Method::GET, "/health/ready", None, None).await;
    assert_eq!(ready.body, json!({"ready": true}));
}

#[tokio::test]
async fn readiness_fails_when_the_store_does_not_answer() {
    let (app, engine) = with_engine(None).await;
    engine.store().close().await;
    let ready = call_with(&app, Method::GET, "/health/ready", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["status"], 503);
    let alive = call_with(&app, Method::GET, "/health/alive", None, None).await;
    assert_eq!(alive.status, StatusCode::OK);
}

#[tokio::test]
async fn api_keys_show_their_secret_once() {
    let app = router(Some(TOKEN)).await;
    let tenant = create_tenant(&app).await;
    let path = format!("/tenants/{tenant}/secrets/api");

    let created = call(&app, Method::POST, &path, Some(json!({"name": "backend"}))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["name"], "backend");
    assert_eq!(created.body["secret"].as_str().unwrap().len(), 88);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let listed = call(&app, Method::GET, &path, None).await;
    let keys = listed.body.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], id.as_str());
    assert!(keys[0].get("secret").is_none());

    let unnamed = call(&app, Method::POST, &path, Some(json!({}))).await;
    assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
    assert_eq!(unnamed.body["details"], "name is a required field");

    let bad = call(&app, Method::DELETE, &format!("{path}/nope"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let deleted = call(&app, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = call(&app, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.body["title"],
        format!("secret with ID '{id}' not found")
    );
}

#[tokio::test]
async fn signing_keys_rotate() {
    let app = router(None).await;
    let tenant = create_tenant(&app).await;
    let path = format!("/tenants/{tenant}/secrets/jwk");

    let first = call(&app, Method::GET, &path, None).await;
    assert_eq!(first.body.as_array().unwrap().len(), 1);
    assert_eq!(first.body[0]["algorithm"], "RS256");

    let rotated = call(&app, Method::POST, &path, None).await;
    assert_eq!(rotated.status, StatusCode::CREATED);
    let kid = rotated.body["id"].as_str().unwrap().to_owned();
    let listed = call(&app, Method::GET, &path, None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(listed.body[1]["id"], kid.as_str());
    assert!(!listed.text.contains("private"));

    let deleted = call(&app, Method::DELETE, &format!("{path}/{kid}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = call(&app, Method::DELETE, &format!("{path}/{kid}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_are_paged() {
    let app = router(None).await;
    let tenant = create_tenant(&app).await;
    let listed = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/users?sort_direction=asc"),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body, json!([]));
    assert_eq!(listed.headers["x-total-count"], "0");
    assert!(listed.headers.contains_key("link"));

    let sideways = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/users?sort_direction=up"),
        None,
    )
    .await;
    assert_eq!(sideways.status, StatusCode::BAD_REQUEST);

    let bad = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/users/x"),
        None,
    )
    .await;
    assert_eq!(bad.body["title"], "invalid user_id");
    let missing = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/users/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["title"], "user not found");
}

#[tokio::test]
async fn users_and_audit_log_of_a_registration() {
    let (app, engine) = with_engine(None).await;
    let tenant = create_tenant(&app).await;
    let meta = RequestMeta {
        request_id: "rid-1".to_owned(),
        source_ip: "192.0.2.1".to_owned(),
        user_agent: "test".to_owned(),
    };
    let user = NewUser {
        external_id: "ext-1".to_owned(),
        name: "alice".to_owned(),
        display_name: "Alice".to_owned(),
        icon: None,
    };
    engine
        .start_registration(
            TenantId(tenant.parse().unwrap()),
            user,
            CeremonyKind::Passkey,
            &meta,
        )
        .await
        .unwrap();

    let listed = call(&app, Method::GET, &format!("/tenants/{tenant}/users"), None).await;
    assert_eq!(listed.headers["x-total-count"], "1");
    let id = listed.body[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed.body,
        json!([{"id": id, "user_id": "ext-1", "name": "alice", "icon": "", "display_name": "Alice"}])
    );

    let shown = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/users/{id}"),
        None,
    )
    .await;
    assert_eq!(shown.body["user_id"], "ext-1");
    assert_eq!(shown.body["credentials"], json!([]));
    assert_eq!(shown.body["transactions"], json!([]));

    let audit = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/audit_logs?type=webauthn_registration_init_succeeded"),
        None,
    )
    .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert_eq!(audit.headers["x-total-count"], "1");
    assert_eq!(audit.body[0]["meta_http_request_id"], "rid-1");
    assert_eq!(audit.body[0]["actor_user_id"], "ext-1");
    let bad = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/audit_logs?start_time=yesterday"),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let deleted = call(
        &app,
        Method::DELETE,
        &format!("/tenants/{tenant}/users/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/tenants/{tenant}/users/{id}"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_count_admin_requests() {
    let app = router(None).await;
    call(&app, Method::GET, "/tenants", None).await;
    let scraped = call(&app, Method::GET, "/metrics", None).await;
    assert_eq!(
        scraped.headers[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(scraped.text.contains(
        r#"latchkey_http_requests_total{dialect="admin",method="GET",route="/tenants",status="200"} 1"#
    ));
}

#[tokio::test]
async fn a_tenants_own_authenticator_records_are_written_listed_and_deleted() {
    let app = router(Some(TOKEN)).await;
    let tenant = create_tenant(&app).await;
    let model = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
    let record = format!("/tenants/{tenant}/authenticators/{model}");
    let put = call(
        &app,
        Method::PUT,
        &record,
        Some(json!({"disabled": true, "name": "YubiKey 5"})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["scope"], "tenant");
    assert_eq!(put.body["disabled"], true);
    assert!(put.body.get("certification").is_none());
    let listed = call(
        &app,
        Method::GET,
        &format!("/tenants/{tenant}/authenticators"),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body[0]["name"], "YubiKey 5");

    for (uri, body) in [
        (format!("/tenants/{tenant}/authenticators/nope"), json!({})),
        (record.clone(), json!({"disabled": 1})),
        (record.clone(), json!({"metadata": "{}"})),
        (record.clone(), json!({"name": "x".repeat(257)})),
    ] {
        let refused = call(&app, Method::PUT, &uri, Some(body)).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            refused.text
        );
        assert_eq!(refused.body["title"], "unable to update authenticator");
    }

    let deleted = call(&app, Method::DELETE, &record, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let again = call(&app, Method::DELETE, &record, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["title"], "authenticator policy not found");
    let unknown = call(
        &app,
        Method::GET,
        "/tenants/00000000-0000-0000-0000-000000000000/authenticators",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["title"], "tenant not found");
}
