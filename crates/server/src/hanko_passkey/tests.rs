//! The public router over an in-memory SQLite store, driven request by request: routing,
//! tenant gate, API keys, CORS, error bodies and the JSON shapes that need no authenticator.

use std::sync::Arc;

use axum::Router;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, CACHE_CONTROL, CONTENT_TYPE, LINK,
};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::model::TenantId;
use latchkey_testkit::authenticator::SoftAuthenticator;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};
use serde_json::{Value, json};

use super::public_router;
use crate::metrics::Metrics;

const ORIGIN: &str = "https://app.example";

struct Fixture {
    app: Router,
    tenant: TenantId,
    key: String,
}

async fn fixture() -> Fixture {
    let engine = fixtures::engine().await;
    let (tenant, key) = fixtures::tenant("app.example")
        .named("App")
        .display_name("Test")
        .create(&engine, Some("Initial API Key"))
        .await;
    Fixture {
        app: public_router(Arc::new(engine), Metrics::default(), None),
        tenant: tenant.id,
        key: key.unwrap().secret,
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    request(method, uri)
        .headers(headers)
        .body_if(body)
        .send(app)
        .await
}

fn error(title: &str, status: u16) -> Value {
    json!({"title": title, "details": "", "status": status})
}

impl Fixture {
    fn path(&self, rest: &str) -> String {
        format!("/{}{rest}", self.tenant.0)
    }

    async fn get(&self, rest: &str, keyed: bool) -> Answer {
        let key = [("apikey", self.key.as_str())];
        let headers: &[(&str, &str)] = if keyed { &key } else { &[] };
        call(&self.app, Method::GET, &self.path(rest), headers, None).await
    }

    async fn post(&self, rest: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
        call(&self.app, Method::POST, &self.path(rest), headers, body).await
    }
}

#[tokio::test]
async fn unknown_routes_answer_in_the_error_format_with_a_request_id() {
    let f = fixture().await;
    let unknown = f.get("/nothing/here", true).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, error("Not Found", 404));
    assert_eq!(
        unknown.headers[CONTENT_TYPE],
        "application/json; charset=UTF-8"
    );
    assert_eq!(unknown.headers["x-request-id"].len(), 32);

    let echoed = call(
        &f.app,
        Method::GET,
        "/",
        &[("x-request-id", "my-id-1")],
        None,
    )
    .await;
    assert_eq!(echoed.headers["x-request-id"], "my-id-1");
    let replaced = call(
        &f.app,
        Method::GET,
        "/",
        &[("x-request-id", &"x".repeat(65))],
        None,
    )
    .await;
    assert_eq!(replaced.headers["x-request-id"].len(), 32);

    let wrong_method = call(
        &f.app,
        Method::DELETE,
        &f.path("/login/initialize"),
        &[],
        None,
    )
    .await;
    // The original answers a wrong method on a known path as an unknown path.
    assert_eq!(wrong_method.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong_method.body, error("Not Found", 404));
    assert!(wrong_method.headers.contains_key("x-request-id"));
    assert_eq!(
        wrong_method.headers[CONTENT_TYPE],
        "application/json; charset=UTF-8"
    );
}

#[tokio::test]
async fn status_page_needs_no_tenant() {
    let f = fixture().await;
    let response = call(&f.app, Method::GET, "/", &[], None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(response.headers.contains_key("x-request-id"));
    let page = response.text;
    assert!(page.contains("latchkey is running"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");

    let head = call(&f.app, Method::HEAD, "/", &[], None).await;
    assert_eq!(head.status, StatusCode::OK);
    let post = call(&f.app, Method::POST, "/", &[], None).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert_eq!(post.body, error("Not Found", 404));
    // A tenant path still goes through the gate.
    let not_a_tenant = call(&f.app, Method::GET, "/status", &[], None).await;
    assert_eq!(
        not_a_tenant.body,
        error("tenant_id must be a valid uuid4", 400)
    );
}

#[tokio::test]
async fn tenant_must_be_a_known_uuid() {
    let f = fixture().await;
    let bad = call(
        &f.app,
        Method::GET,
        "/not-a-uuid/.well-known/jwks.json",
        &[],
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body, error("tenant_id must be a valid uuid4", 400));
    let unknown = call(
        &f.app,
        Method::GET,
        "/6c0a3a3e-0d2b-4a8e-9d55-b1d3c2a0e4f1/.well-known/jwks.json",
        &[],
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, error("tenant not found", 404));
}

#[tokio::test]
async fn jwks_is_public_and_cacheable() {
    let f = fixture().await;
    let jwks = f.get("/.well-known/jwks.json", false).await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert_eq!(jwks.headers[CACHE_CONTROL], "max-age=600");
    let keys = jwks.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "RS256");
}

#[tokio::test]
async fn api_keys_are_checked() {
    let f = fixture().await;
    let missing = f.get("/credentials", false).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.body,
        json!({"title": "The api key is invalid",
               "details": "api keys needs to be an apiKey Header and 32 byte long",
               "status": 401})
    );
    let wrong = call(
        &f.app,
        Method::GET,
        &f.path("/credentials"),
        &[("apiKey", "wrong")],
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let padded = format!("  {}  ", f.key);
    let alias = call(
        &f.app,
        Method::GET,
        &f.path("/credentials"),
        &[("X-API-KEY", &padded)],
        None,
    )
    .await;
    assert_eq!(alias.status, StatusCode::OK);
}

#[tokio::test]
async fn discoverable_login_needs_no_key_nor_body() {
    let f = fixture().await;
    let login = f
        .post(
            "/login/initialize",
            &[("content-type", "application/json")],
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let options = &login.body["publicKey"];
    assert_eq!(options["rpId"], "app.example");
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["challenge"].as_str().unwrap().len(), 43);
    assert!(options.get("allowCredentials").is_none());
    assert!(login.body.get("mediation").is_none());
}

#[tokio::test]
async fn an_empty_body_and_null_read_as_an_empty_object() {
    let f = fixture().await;
    for body in ["[]", "\"\"", "[\"u1\"]"] {
        let refused = f.post("/login/initialize", &[], Some(body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(refused.body["title"], "unable to process request", "{body}");
    }
    for body in ["", "null"] {
        let read = f.post("/login/initialize", &[], Some(body)).await;
        assert_eq!(read.status, StatusCode::OK, "{body}");
    }
    let text = f
        .post(
            "/login/initialize",
            &[("content-type", "text/plain")],
            Some("{}"),
        )
        .await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
    assert_eq!(text.body["title"], "unable to process request");
}

#[tokio::test]
async fn login_for_a_user_needs_a_key() {
    let f = fixture().await;
    let body = Some(r#"{"user_id":"u1"}"#);
    let missing = f.post("/login/initialize", &[], body).await;
    assert_eq!(missing.body, error("api key is missing", 401));
    let wrong = f
        .post("/login/initialize", &[("apikey", "nope")], body)
        .await;
    assert_eq!(wrong.body["title"], "The api key is invalid");
    let unknown = f
        .post("/login/initialize", &[("apikey", &f.key)], body)
        .await;
    assert_eq!(unknown.body, error("user not found", 404));
    let invalid = f
        .post("/login/initialize", &[], Some(r#"{"user_id":""}"#))
        .await;
    assert_eq!(
        invalid.body,
        json!({"title": "unable to validate request",
               "details": "user_id must at least have 1 entry", "status": 400})
    );
}

#[tokio::test]
async fn registration_options_and_users_without_credentials() {
    let f = fixture().await;
    let key = [("apikey", f.key.as_str())];
    let options = f
        .post(
            "/registration/initialize",
            &key,
            Some(r#"{"user_id":"user-1","username":"alice"}"#),
        )
        .await;
    assert_eq!(options.status, StatusCode::OK);
    let public_key = &options.body["publicKey"];
    assert_eq!(
        public_key["rp"],
        json!({"name": "App", "id": "app.example"})
    );
    assert_eq!(
        public_key["user"],
        json!({"name": "alice", "displayName": "alice", "id": "dXNlci0x"})
    );
    assert_eq!(public_key["pubKeyCredParams"].as_array().unwrap().len(), 10);
    assert_eq!(public_key["attestation"], "direct");

    let no_credentials = f
        .post("/login/initialize", &key, Some(r#"{"user_id":"user-1"}"#))
        .await;
    assert_eq!(
        no_credentials.body,
        error("user has no suitable credentials for this operation", 400)
    );
    let transaction = f
        .post(
            "/transaction/initialize",
            &key,
            Some(r#"{"user_id":"user-1","transaction_id":"t1","transaction_data":{"a":1}}"#),
        )
        .await;
    assert_eq!(transaction.status, StatusCode::BAD_REQUEST);

    let invalid = f.post("/registration/initialize", &key, Some("{}")).await;
    assert_eq!(invalid.body["title"], "unable to validate request");
    let array = f
        .post(
            "/registration/initialize",
            &key,
            Some(r#"["user-1","alice"]"#),
        )
        .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(array.body["title"], "unable to process request");
    let unparsable = f.post("/registration/initialize", &key, Some("{")).await;
    assert_eq!(unparsable.body["title"], "unable to process request");
    let unkeyed = f
        .post(
            "/registration/initialize",
            &[],
            Some(r#"{"user_id":"u","username":"a"}"#),
        )
        .await;
    assert_eq!(unkeyed.status, StatusCode::UNAUTHORIZED);

    let long_id = format!(r#"{{"user_id":"{}","username":"alice"}}"#, "u".repeat(65));
    let too_long = f
        .post("/registration/initialize", &key, Some(&long_id))
        .await;
    assert_eq!(
        too_long.body,
        json!({"title": "unable to validate request",
               "details": "invalid user_id: longer than 64 bytes, the most a WebAuthn user handle holds",
               "status": 400})
    );
}

#[tokio::test]
async fn finishing_without_a_ceremony() {
    let f = fixture().await;
    let registration = f.post("/registration/finalize", &[], Some("{}")).await;
    assert_eq!(
        registration.body["title"],
        "unable to parse credential creation response"
    );
    let login = f.post("/login/finalize", &[], Some("{}")).await;
    assert_eq!(login.body["title"], "unable to finish login");
    let transaction = f
        .post("/transaction/finalize", &[("apikey", &f.key)], Some("{}"))
        .await;
    assert_eq!(transaction.body["title"], "unable to finish transaction");
    let too_large = f
        .post("/login/finalize", &[], Some(&" ".repeat(70 * 1024)))
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn credential_listing_is_paged() {
    let f = fixture().await;
    let list = f.get("/credentials?user_id=nobody", true).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body, json!([]));
    assert_eq!(list.headers["x-total-count"], "0");
    assert_eq!(
        list.headers[LINK],
        format!(
            "<http://passkeys.example{}?page=1&per_page=20&user_id=nobody>; rel=\"first\"",
            f.path("/credentials")
        )
    );
    let bad_order = f.get("/credentials?order=up", true).await;
    assert_eq!(bad_order.status, StatusCode::BAD_REQUEST);
    let missing = f.get("/credentials/AQIDBA", true).await;
    assert_eq!(
        missing.body,
        error("credential with id 'AQIDBA' not found", 404)
    );
    let garbage = f.get("/credentials/%25%25", true).await;
    assert_eq!(
        garbage.body,
        error("credential with id '%%' not found", 404)
    );
}

#[tokio::test]
async fn credential_ids_that_are_not_text_name_no_credential() {
    let f = fixture().await;
    let key = [("apikey", f.key.as_str())];
    let expected = error("credential with id '\u{fffd}' not found", 404);
    let path = f.path("/credentials/%FF");
    let read = call(&f.app, Method::GET, &path, &key, None).await;
    assert_eq!(read.body, expected);
    let deleted = call(&f.app, Method::DELETE, &path, &key, None).await;
    assert_eq!(deleted.body, expected);
    let renamed = call(&f.app, Method::PATCH, &path, &key, Some(r#"{"name":"n"}"#)).await;
    assert_eq!(renamed.body, expected);
    let unkeyed = call(&f.app, Method::GET, &path, &[], None).await;
    assert_eq!(unkeyed.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn tokens_stay_out_of_debug() {
    let shown = format!(
        "{:?}",
        super::Token {
            token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl".to_owned(),
            client_extension_results: None,
        }
    );
    assert!(!shown.contains("eyJ"), "{shown}");
}

#[tokio::test]
async fn transactions_of_a_user() {
    let f = fixture().await;
    let bad = f.get("/transaction/not-a-uuid", true).await;
    assert_eq!(bad.body, error("invalid user id", 400));
    let none = f
        .get("/transaction/6c0a3a3e-0d2b-4a8e-9d55-b1d3c2a0e4f1", true)
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body, json!([]));
}

#[tokio::test]
async fn audit_log_records_requests() {
    let f = fixture().await;
    f.post(
        "/login/initialize",
        &[("x-request-id", "audit-me"), ("user-agent", "ua/1")],
        None,
    )
    .await;
    let logs = f
        .get(
            "/audit_logs?type=webauthn_authentication_init_succeeded",
            true,
        )
        .await;
    assert_eq!(logs.status, StatusCode::OK);
    assert_eq!(logs.headers["x-total-count"], "1");
    let entry = &logs.body[0];
    assert_eq!(entry["type"], "webauthn_authentication_init_succeeded");
    assert_eq!(entry["meta_http_request_id"], "audit-me");
    assert_eq!(entry["meta_user_agent"], "ua/1");
    assert_eq!(entry["transaction_id"], Value::Null);
    let bad = f.get("/audit_logs?start_time=yesterday", true).await;
    assert_eq!(bad.body["title"], "unable to list audit logs");
}

#[tokio::test]
async fn cors_follows_the_tenant() {
    let f = fixture().await;
    let preflight = call(
        &f.app,
        Method::OPTIONS,
        &f.path("/login/initialize"),
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers[ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    assert_eq!(preflight.headers[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert_eq!(
        preflight.headers[ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type"
    );
    assert_eq!(preflight.headers[ACCESS_CONTROL_MAX_AGE], "7200");

    let foreign = call(
        &f.app,
        Method::OPTIONS,
        &f.path("/login/initialize"),
        &[("origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NO_CONTENT);
    assert!(!foreign.headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));

    let simple = f
        .post("/login/initialize", &[("origin", ORIGIN)], None)
        .await;
    assert_eq!(simple.status, StatusCode::OK);
    assert_eq!(simple.headers[ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    let refused = f.get("/credentials", false).await;
    assert!(!refused.headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
}

/// Registers a passkey of `authenticator` for `user_id` through the API; answers its id.
async fn register(f: &Fixture, authenticator: &SoftAuthenticator, user_id: &str) -> String {
    let key = [("apikey", f.key.as_str())];
    let body = json!({"user_id": user_id, "username": "alice", "display_name": "Alice"});
    let options = f
        .post("/registration/initialize", &key, Some(&body.to_string()))
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.text);
    let challenge = challenge_of(&options.body);
    let response = authenticator.register("app.example", ORIGIN, &challenge);
    let done = f
        .post("/registration/finalize", &[], Some(&response.to_string()))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    response["id"].as_str().unwrap().to_owned()
}

fn challenge_of(options: &Value) -> Vec<u8> {
    let challenge = options["publicKey"]["challenge"].as_str().unwrap();
    URL_SAFE_NO_PAD.decode(challenge).unwrap()
}

/// A discoverable login of `authenticator`, whose passkey carries `user_id` as handle.
async fn log_in(f: &Fixture, authenticator: &mut SoftAuthenticator, user_id: &str) -> Answer {
    let options = f.post("/login/initialize", &[], None).await;
    let assertion = authenticator.assert(
        "app.example",
        ORIGIN,
        &challenge_of(&options.body),
        user_id.as_bytes(),
    );
    f.post("/login/finalize", &[], Some(&assertion.to_string()))
        .await
}

#[tokio::test]
async fn a_login_answers_the_users_signals_beside_the_token() {
    let f = fixture().await;
    let mut authenticator = SoftAuthenticator::es256();
    let id = register(&f, &authenticator, "user-1").await;

    let login = log_in(&f, &mut authenticator, "user-1").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert!(login.body["token"].is_string());
    assert_eq!(
        login.body["signal"],
        json!({
            "allAcceptedCredentials": {
                "rpId": "app.example",
                "userId": "dXNlci0x",
                "allAcceptedCredentialIds": [id],
            },
            "currentUserDetails": {
                "rpId": "app.example",
                "userId": "dXNlci0x",
                "name": "alice",
                "displayName": "Alice",
            },
        })
    );
}

#[tokio::test]
async fn a_login_with_a_deleted_credential_names_it_for_signal_unknown_credential() {
    let f = fixture().await;
    let mut authenticator = SoftAuthenticator::es256();
    let id = register(&f, &authenticator, "user-1").await;
    let key = [("apikey", f.key.as_str())];
    let deleted = call(
        &f.app,
        Method::DELETE,
        &f.path(&format!("/credentials/{id}")),
        &key,
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let refused = log_in(&f, &mut authenticator, "user-1").await;
    assert_eq!(
        refused.body,
        json!({
            "title": "failed to validate assertion",
            "details": "credential not found",
            "status": 401,
            "signal": {"unknownCredential": {"rpId": "app.example", "credentialId": id}},
        })
    );
}

#[tokio::test]
async fn a_login_of_a_user_without_that_passkey_keeps_the_original_error() {
    let f = fixture().await;
    let mut authenticator = SoftAuthenticator::es256();
    register(&f, &authenticator, "user-1").await;
    // The passkey exists but its handle names another user: nothing may be forgotten.
    let refused = log_in(&f, &mut authenticator, "user-2").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["title"], "failed to get user handle");
    assert!(refused.body.get("signal").is_none(), "{}", refused.text);
}

#[tokio::test]
async fn signals_of_a_user_need_the_key_and_a_known_user() {
    let f = fixture().await;
    let first = SoftAuthenticator::es256();
    let second = SoftAuthenticator::es256();
    let one = register(&f, &first, "user-1").await;
    let two = register(&f, &second, "user-1").await;

    let signals = f.get("/signals?user_id=user-1", true).await;
    assert_eq!(signals.status, StatusCode::OK, "{}", signals.text);
    let mut ids: Vec<String> = serde_json::from_value(
        signals.body["allAcceptedCredentials"]["allAcceptedCredentialIds"].clone(),
    )
    .unwrap();
    ids.sort();
    let mut expected = vec![one, two];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        signals.body["currentUserDetails"],
        json!({"rpId": "app.example", "userId": "dXNlci0x", "name": "alice", "displayName": "Alice"})
    );

    let unkeyed = f.get("/signals?user_id=user-1", false).await;
    assert_eq!(unkeyed.status, StatusCode::UNAUTHORIZED);
    let unknown = f.get("/signals?user_id=nobody", true).await;
    assert_eq!(unknown.body, error("user not found", 404));
    let missing = f.get("/signals", true).await;
    assert_eq!(
        missing.body,
        json!({"title": "unable to validate request", "details": "user_id is a required field", "status": 400})
    );
}

#[tokio::test]
async fn extension_inputs_reach_the_options_and_bad_ones_are_refused() {
    let f = fixture().await;
    let key = [("apikey", f.key.as_str())];
    let plain = f
        .post(
            "/registration/initialize",
            &key,
            Some(r#"{"user_id":"user-1","username":"alice"}"#),
        )
        .await;
    assert!(
        plain.body["publicKey"].get("extensions").is_none(),
        "the original's shape without inputs or settings"
    );
    let salted = f
        .post(
            "/registration/initialize",
            &key,
            Some(r#"{"user_id":"user-1","username":"alice","extensions":{"prf":{"eval":{"first":"c2FsdA"}}}}"#),
        )
        .await;
    assert_eq!(salted.status, StatusCode::OK, "{}", salted.text);
    assert_eq!(
        salted.body["publicKey"]["extensions"],
        json!({"prf": {"eval": {"first": "c2FsdA"}}})
    );
    let padded = f
        .post(
            "/registration/initialize",
            &key,
            Some(r#"{"user_id":"user-1","username":"alice","extensions":{"prf":{"eval":{"first":"c2FsdA=="}}}}"#),
        )
        .await;
    assert_eq!(padded.status, StatusCode::BAD_REQUEST, "{}", padded.text);
    // A discoverable login allows no credential a salt could be for.
    let by_credential = f
        .post(
            "/login/initialize",
            &[],
            Some(r#"{"extensions":{"prf":{"evalByCredential":{"AQID":{"first":"c2FsdA"}}}}}"#),
        )
        .await;
    assert_eq!(by_credential.status, StatusCode::BAD_REQUEST);
    assert_eq!(by_credential.body["title"], "unable to validate request");
    assert!(
        by_credential.body["details"]
            .as_str()
            .unwrap()
            .contains("evalByCredential"),
        "{}",
        by_credential.text
    );
    let read_and_write = f
        .post(
            "/login/initialize",
            &[],
            Some(r#"{"extensions":{"largeBlob":{"read":true,"write":"AQ"}}}"#),
        )
        .await;
    assert_eq!(read_and_write.status, StatusCode::BAD_REQUEST);
}
