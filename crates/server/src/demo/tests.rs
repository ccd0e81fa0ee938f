//! The demo in front of the real public app over an in-memory store: the page, and a whole
//! registration and login a software authenticator makes through the forwarded calls.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, USER_AGENT};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use latchkey_engine::model::{AuditQuery, TenantId};
use latchkey_engine::{Engine, Page};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::authenticator::SoftAuthenticator;
use latchkey_testkit::fixtures;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use uuid::Uuid;

use super::{DemoOptions, with_demo};
use crate::app::public_app;
use crate::http::meta::TrustedProxies;
use crate::mail::Mailer;
use crate::metrics::Metrics;

const ORIGIN: &str = "http://localhost:8000";
const CONSOLE: &str = "http://127.0.0.1:8001/console";
/// Where the test's requests come from.
const CLIENT: ([u8; 4], u16) = ([192, 0, 2, 7], 4711);

struct Fixture {
    engine: Arc<Engine<SqliteStore>>,
    public: Router,
    app: Router,
    tenant: TenantId,
    key: String,
}

async fn fixture() -> Fixture {
    let engine = Arc::new(fixtures::engine().await);
    let (tenant, key) = fixtures::tenant("localhost")
        .named("default")
        .origins(&[ORIGIN])
        .create(&engine, Some("demo page"))
        .await;
    let public = public_app(
        Arc::clone(&engine),
        Metrics::default(),
        TrustedProxies::default(),
        Mailer::new(None),
        None,
    );
    let key = key.unwrap().secret;
    let app = with_demo(
        public.clone(),
        DemoOptions {
            tenant: tenant.id,
            api_key: key.clone(),
            console_url: CONSOLE.to_owned(),
        },
    );
    Fixture {
        engine,
        public,
        app,
        tenant: tenant.id,
        key,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
    json: Value,
}

/// A request from [`CLIENT`] as the page's browser sends it.
async fn send(app: &Router, method: Method, uri: &str, body: Option<&Value>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(USER_AGENT, "demo-browser/1.0")
        .extension(ConnectInfo(SocketAddr::from(CLIENT)));
    let request = match body {
        Some(body) => request
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    let response = app.clone().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&decode(payload)).unwrap()
}

#[tokio::test]
async fn the_page_names_its_tenant_and_loads_only_its_own_assets() {
    let f = fixture().await;
    let page = send(&f.app, Method::GET, "/demo", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        page.headers[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'; script-src 'self'")
    );
    assert!(
        page.text
            .contains(&format!("data-tenant=\"{}\"", f.tenant.0))
    );
    assert!(page.text.contains(&format!("href=\"{CONSOLE}\"")));

    let script = send(&f.app, Method::GET, "/demo/demo.js", None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.headers[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let signal = send(&f.app, Method::GET, "/demo/signal.js", None).await;
    assert_eq!(signal.status, StatusCode::OK);
    assert_eq!(
        signal.headers[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let style = send(&f.app, Method::GET, "/demo/demo.css", None).await;
    assert_eq!(style.headers[CONTENT_TYPE], "text/css; charset=utf-8");
}

#[tokio::test]
async fn the_root_leads_to_the_page() {
    let f = fixture().await;
    let root = send(&f.app, Method::GET, "/", None).await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.headers[LOCATION], "/demo");
}

#[tokio::test]
async fn without_the_demo_its_paths_are_unknown_and_the_root_is_the_status_page() {
    let f = fixture().await;
    let unknown = send(&f.public, Method::GET, "/no-such-page", None).await;
    assert!(unknown.status.is_client_error());
    for (method, path) in [
        (Method::GET, "/demo"),
        (Method::GET, "/demo/demo.js"),
        (Method::POST, "/demo/registration/initialize"),
    ] {
        let answer = send(&f.public, method, path, Some(&json!({"username": "ada"}))).await;
        assert_eq!(
            (answer.status, &answer.json),
            (unknown.status, &unknown.json),
            "{path}: {}",
            answer.text
        );
    }
    let root = send(&f.public, Method::GET, "/", None).await;
    assert_eq!(root.status, StatusCode::OK);
    assert!(root.text.contains("latchkey is running"));
}

#[tokio::test]
async fn everything_else_is_the_public_apps() {
    let f = fixture().await;
    let jwks = format!("/{}/.well-known/jwks.json", f.tenant.0);
    for (method, path) in [
        (Method::GET, jwks.as_str()),
        (Method::DELETE, "/demo"),
        (Method::GET, "/demo/registration/initialize"),
        (Method::GET, "/nothing"),
    ] {
        let through_demo = send(&f.app, method.clone(), path, None).await;
        let direct = send(&f.public, method.clone(), path, None).await;
        assert_eq!(
            (through_demo.status, through_demo.json),
            (direct.status, direct.json),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_registration_needs_a_name_and_is_refused_in_the_dialects_shape() {
    let f = fixture().await;
    let answer = send(
        &f.app,
        Method::POST,
        "/demo/registration/initialize",
        Some(&json!({})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json,
        json!({"title": "unable to validate request", "details": "username is a required field", "status": 400})
    );
    let too_long = json!({"username": "a".repeat(129)});
    let answer = send(
        &f.app,
        Method::POST,
        "/demo/registration/initialize",
        Some(&too_long),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(
        answer.json["details"],
        "username cannot have more than 128 entries"
    );
}

#[tokio::test]
async fn a_passkey_registered_through_the_demo_logs_in_through_the_dialect() {
    let f = fixture().await;
    let init = send(
        &f.app,
        Method::POST,
        "/demo/registration/initialize",
        Some(&json!({"username": "ada"})),
    )
    .await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    let options = &init.json["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "ada");
    let user_id = String::from_utf8(decode(options["user"]["id"].as_str().unwrap())).unwrap();
    assert_eq!(Uuid::parse_str(&user_id).unwrap().get_version_num(), 4);

    let mut authenticator = SoftAuthenticator::es256();
    let challenge = decode(options["challenge"].as_str().unwrap());
    let credential = authenticator.register("localhost", ORIGIN, &challenge);
    let finalize = send(
        &f.app,
        Method::POST,
        "/demo/registration/finalize",
        Some(&credential),
    )
    .await;
    assert_eq!(finalize.status, StatusCode::OK, "{}", finalize.text);
    let registered = claims(finalize.json["token"].as_str().unwrap());
    assert_eq!(registered["sub"], user_id.as_str());
    assert_eq!(registered["cred"], credential["id"]);

    // The dialect saw the page's browser, not the demo's forward.
    let events = f
        .engine
        .audit_events(
            f.tenant,
            &AuditQuery {
                kinds: vec!["webauthn_registration_final_succeeded".to_owned()],
                ..AuditQuery::default()
            },
            Page {
                number: 1,
                per_page: 10,
                descending: true,
            },
        )
        .await
        .unwrap();
    let [event] = events.items.as_slice() else {
        panic!("one registration event expected: {:?}", events.items);
    };
    assert_eq!(event.source_ip, "192.0.2.7");
    assert_eq!(event.user_agent, "demo-browser/1.0");
    assert_eq!(event.actor_user_id.as_deref(), Some(user_id.as_str()));

    let tenant = f.tenant.0;
    let login = send(
        &f.app,
        Method::POST,
        &format!("/{tenant}/login/initialize"),
        None,
    )
    .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let challenge = decode(login.json["publicKey"]["challenge"].as_str().unwrap());
    let assertion = authenticator.assert("localhost", ORIGIN, &challenge, user_id.as_bytes());
    let logged_in = send(
        &f.app,
        Method::POST,
        &format!("/{tenant}/login/finalize"),
        Some(&assertion),
    )
    .await;
    assert_eq!(logged_in.status, StatusCode::OK, "{}", logged_in.text);
    assert_eq!(
        claims(logged_in.json["token"].as_str().unwrap())["sub"],
        user_id.as_str()
    );
}

#[tokio::test]
async fn the_key_stays_on_the_server() {
    let f = fixture().await;
    let page = send(&f.app, Method::GET, "/demo", None).await;
    let init = send(
        &f.app,
        Method::POST,
        "/demo/registration/initialize",
        Some(&json!({"username": "ada"})),
    )
    .await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    for answer in [page, init] {
        assert!(!answer.text.contains(&f.key));
        assert!(
            answer
                .headers
                .values()
                .all(|value| value.as_bytes() != f.key.as_bytes())
        );
    }
    let shown = format!(
        "{:?}",
        DemoOptions {
            tenant: f.tenant,
            api_key: f.key.clone(),
            console_url: CONSOLE.to_owned(),
        }
    );
    assert!(!shown.contains(&f.key), "{shown}");
}
