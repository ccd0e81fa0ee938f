use axum::http::Method;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{HOST_NAME, request};
use serde_json::json;

use super::*;

const RELATED: [&str; 2] = ["https://passkeys.example.de", "https://shop.example"];

fn with_related(rp_id: &str, related: &[&str]) -> fixtures::TenantFixture {
    let related = related.iter().map(|&origin| origin.to_owned()).collect();
    fixtures::tenant(rp_id).tweak(|config| config.relying_party.related_origins = related)
}

async fn app_with(tenants: Vec<fixtures::TenantFixture>) -> (Router, Vec<TenantId>) {
    let engine = fixtures::engine().await;
    let mut ids = Vec::new();
    for tenant in tenants {
        ids.push(tenant.create(&engine, None).await.0.id);
    }
    (
        related_origins_router(Arc::new(engine), Metrics::default()),
        ids,
    )
}

#[tokio::test]
async fn a_tenant_serves_its_related_origins_in_order_as_plain_json() {
    let (app, ids) = app_with(vec![with_related("login.example", &RELATED)]).await;
    let answer = request(Method::GET, &format!("/{}/.well-known/webauthn", ids[0].0))
        .send(&app)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body, json!({"origins": RELATED}));
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.headers["cache-control"], MAX_AGE);
}

#[tokio::test]
async fn the_host_names_the_tenant_by_its_rp_id() {
    let (app, _) = app_with(vec![
        with_related("other.example", &["https://other.example.de"]),
        // A second tenant at the same RP ID that lists nothing does not get in the way.
        fixtures::tenant(HOST_NAME),
        with_related(HOST_NAME, &RELATED),
    ])
    .await;
    let answer = request(Method::GET, "/.well-known/webauthn")
        .send(&app)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body, json!({"origins": RELATED}));
}

#[tokio::test]
async fn no_listing_is_a_json_404_and_several_listings_a_json_409() {
    let (app, ids) = app_with(vec![fixtures::tenant(HOST_NAME)]).await;
    for path in [
        "/.well-known/webauthn".to_owned(),
        format!("/{}/.well-known/webauthn", ids[0].0),
        format!("/{}/.well-known/webauthn", Uuid::nil()),
        "/not-a-tenant/.well-known/webauthn".to_owned(),
    ] {
        let answer = request(Method::GET, &path).send(&app).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.body["status"], 404, "{path}");
        assert_eq!(answer.headers["cache-control"], "no-store", "{path}");
    }

    let (app, _) = app_with(vec![
        with_related(HOST_NAME, &RELATED),
        with_related(HOST_NAME, &["https://elsewhere.example"]),
    ])
    .await;
    let answer = request(Method::GET, "/.well-known/webauthn")
        .send(&app)
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    assert_eq!(
        answer.body["message"],
        "several tenants at this RP ID list related origins"
    );
}

#[tokio::test]
async fn only_get_is_served() {
    let (app, _) = app_with(vec![with_related(HOST_NAME, &RELATED)]).await;
    let answer = request(Method::POST, "/.well-known/webauthn")
        .body("{}")
        .send(&app)
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.body["status"], 405);
}

#[test]
fn the_rp_id_of_a_host_drops_its_port_and_trailing_dot() {
    assert_eq!(rp_id_of("login.example"), "login.example");
    assert_eq!(rp_id_of("login.example:8443"), "login.example");
    assert_eq!(rp_id_of("login.example."), "login.example");
    assert_eq!(rp_id_of("login.example.:443"), "login.example");
    assert_eq!(rp_id_of("[::1]:8080"), "[::1]");
}
