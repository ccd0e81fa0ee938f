//! The 1Kosmos router merged with the Hanko router over an in-memory SQLite store, driven
//! request by request: routing, the envelope, licenses and their scopes, error shapes, and a
//! registration and login with a software authenticator (ES256, `none` attestation).

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use latchkey_engine::model::{LicenseScope, TenantId};
use latchkey_testkit::authenticator::naively_serialised;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};
use latchkey_testkit::{Attestation, SoftAuthenticator};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::envelope::{ServiceKey, SharedKey};
use crate::app::public_app;
use crate::http::meta::TrustedProxies;
use crate::metrics::Metrics;

const DNS: &str = "login.example";
const AAGUID: [u8; 16] = [0x5a; 16];

struct Fixture {
    app: Router,
    metrics: Metrics,
    organisation: TenantId,
    community: String,
    /// The tenant holding `community`'s users.
    realm: TenantId,
    sibling: String,
    foreign: String,
    /// Reaches `community` only.
    license: String,
    /// Reaches every community of the organisation.
    all: String,
    system: String,
}

async fn fixture() -> Fixture {
    let engine = Arc::new(fixtures::engine().await);
    let (organisation, _) = fixtures::tenant("org.example")
        .named("Org")
        .create(&engine, None)
        .await;
    let (other, _) = fixtures::tenant("other.example")
        .named("Other")
        .create(&engine, None)
        .await;
    let community = engine
        .create_community(organisation.id, "Community", DNS, Vec::new())
        .await
        .unwrap();
    let sibling = engine
        .create_community(organisation.id, "Sibling", "sibling.example", Vec::new())
        .await
        .unwrap();
    let foreign = engine
        .create_community(other.id, "Foreign", "foreign.example", Vec::new())
        .await
        .unwrap();
    let license = |scope| {
        let engine = Arc::clone(&engine);
        async move {
            engine
                .create_license(organisation.id, scope)
                .await
                .unwrap()
                .key
        }
    };
    let metrics = Metrics::default();
    Fixture {
        license: license(LicenseScope::Community(community.id.clone())).await,
        all: license(LicenseScope::AllCommunities).await,
        system: license(LicenseScope::System).await,
        app: public_app(
            engine,
            metrics.clone(),
            TrustedProxies::default(),
            crate::mail::Mailer::new(None),
            None,
        ),
        metrics,
        organisation: organisation.id,
        realm: community.realm,
        community: community.id,
        sibling: sibling.id,
        foreign: foreign.id,
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Answer {
    request(method, uri)
        .headers(headers)
        .body_if(body)
        .send(app)
        .await
}

impl Fixture {
    /// A plain (u1) request with the license of `community`.
    async fn licensed(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        call(&self.app, method, path, &plain(&self.license), body).await
    }
}

fn failed(message: &str) -> Value {
    json!({"status": "failed", "errorMessage": message})
}

/// A caller of the encrypted endpoints with its own key pair.
struct Client {
    public: String,
    shared: SharedKey,
}

impl Client {
    async fn new(app: &Router) -> Self {
        let service = call(app, Method::GET, "/webauthn/publickeys", &[], None).await;
        let (secret, _) = ServiceKey::generate().unwrap();
        let own = ServiceKey::from_secret(&secret).unwrap();
        Self {
            public: own.public_base64().to_owned(),
            shared: own
                .shared_with(service.body["publicKey"].as_str().unwrap())
                .unwrap(),
        }
    }

    // Envelopes are checked against the real clock, so a fresh one is stamped with it.
    #[allow(clippy::disallowed_methods)]
    fn headers(&self, license: &str) -> Vec<(&'static str, String)> {
        self.headers_at(
            license,
            OffsetDateTime::now_utc().unix_timestamp(),
            &new_uuid(),
        )
    }

    fn headers_at(&self, license: &str, ts: i64, uuid: &str) -> Vec<(&'static str, String)> {
        let stamp = json!({"ts": ts, "appid": "com.example.app", "uuid": uuid}).to_string();
        vec![
            ("publickey", self.public.clone()),
            ("licensekey", self.shared.seal(license.as_bytes()).unwrap()),
            ("requestid", self.shared.seal(stamp.as_bytes()).unwrap()),
            // The documentation page's header: ignored.
            ("privateKey", "not-a-secret-we-read".to_owned()),
        ]
    }

    fn body(&self, value: &Value) -> Vec<u8> {
        let data = self.shared.seal(value.to_string().as_bytes()).unwrap();
        json!({ "data": data }).to_string().into_bytes()
    }

    fn open(&self, answer: &Answer) -> Value {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["status"], "ok");
        assert_eq!(answer.body["errorMessage"], "");
        let plain = self
            .shared
            .open("data", answer.body["data"].as_str().unwrap())
            .unwrap();
        serde_json::from_slice(&plain).unwrap()
    }

    async fn post(&self, app: &Router, path: &str, license: &str, value: &Value) -> Answer {
        call(
            app,
            Method::POST,
            path,
            &self.headers(license),
            Some(self.body(value)),
        )
        .await
    }
}

fn new_uuid() -> String {
    Uuid::new_v4().to_string()
}

fn plain(license: &str) -> Vec<(&'static str, String)> {
    vec![("licensekey", license.to_owned())]
}

fn json_body(value: &Value) -> Option<Vec<u8>> {
    Some(value.to_string().into_bytes())
}

#[tokio::test]
async fn webauthn_paths_reach_this_dialect_when_merged_with_hanko() {
    let f = fixture().await;
    let health = call(&f.app, Method::GET, "/webauthn/healthz", &[], None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        health.body,
        json!({"status": "ok", "code": "200", "version": env!("CARGO_PKG_VERSION")})
    );
    assert_eq!(health.headers["x-request-id"].len(), 32);

    // Unknown paths below /webauthn, even ones shaped like Hanko routes, answer in this
    // dialect's shape and never meet the tenant gate.
    for path in [
        "/webauthn/nothing",
        "/webauthn/credentials",
        "/webauthn/login/initialize",
        "/webauthn/",
        "/webauthn",
    ] {
        let answer = call(&f.app, Method::GET, path, &[], None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.body, failed("not found"), "{path}");
    }
    let wrong_method = call(&f.app, Method::POST, "/webauthn/healthz", &[], None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body, failed("method not allowed"));

    // Hanko keeps its own routes, gate and error shape.
    let jwks = call(
        &f.app,
        Method::GET,
        &format!("/{}/.well-known/jwks.json", f.organisation.0),
        &[],
        None,
    )
    .await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert!(jwks.body["keys"].is_array());
    let gate = call(&f.app, Method::GET, "/not-a-uuid/credentials", &[], None).await;
    assert_eq!(gate.status, StatusCode::BAD_REQUEST);
    assert_eq!(gate.body["title"], "tenant_id must be a valid uuid4");
    let hanko_unknown = call(
        &f.app,
        Method::GET,
        &format!("/{}/nothing", f.organisation.0),
        &[],
        None,
    )
    .await;
    assert_eq!(hanko_unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(hanko_unknown.body["title"], "Not Found");

    let text = f.metrics.render();
    assert!(text.contains(
        r#"latchkey_http_requests_total{dialect="kosmos",method="GET",route="/webauthn/healthz",status="200"} 1"#
    ));
    assert!(text.contains(r#"dialect="hanko""#));
}

#[tokio::test]
async fn public_key_is_raw_base64_and_stable() {
    let f = fixture().await;
    let first = call(&f.app, Method::GET, "/webauthn/publickeys", &[], None).await;
    let second = call(&f.app, Method::GET, "/webauthn/publickeys", &[], None).await;
    let key = first.body["publicKey"].as_str().unwrap();
    assert_eq!(STANDARD.decode(key).unwrap().len(), 64);
    assert_eq!(first.body, second.body);
}

#[tokio::test]
async fn environment_needs_a_license_and_service_directory_uses_the_host() {
    let f = fixture().await;
    let missing = call(&f.app, Method::GET, "/webauthn/environment", &[], None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body, failed("the licensekey header is missing"));
    let wrong = call(
        &f.app,
        Method::GET,
        "/webauthn/environment",
        &plain("nope"),
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, failed("the license key is invalid"));
    let env = f.licensed(Method::GET, "/webauthn/environment", None).await;
    assert_eq!(env.status, StatusCode::OK);
    assert_eq!(env.body["ec_curve_name"], "secp256k1");
    assert_eq!(env.body["allowed_time_span"], 60);
    assert!(!env.body.to_string().contains(&f.license));

    let sd = call(
        &f.app,
        Method::GET,
        "/webauthn/sd",
        &[("x-forwarded-proto", "https".to_owned())],
        None,
    )
    .await;
    assert_eq!(sd.body["webauthn"], "https://passkeys.example/webauthn");
    assert_eq!(sd.headers["cache-control"], "no-store");
    assert_eq!(
        sd.body["adminconsole"],
        "https://passkeys.example/adminconsole"
    );
}

fn options_request(community: &str, username: &str) -> Value {
    json!({
        "dns": DNS,
        "username": username,
        "displayName": "Alice A.",
        "communityId": community,
        "tenantId": "informational",
        "attestation": "none"
    })
}

// The allowed span is measured from the real clock the served engine reads.
#[allow(clippy::disallowed_methods)]
#[tokio::test]
async fn envelope_failures() {
    let f = fixture().await;
    let client = Client::new(&f.app).await;
    let path = "/webauthn/attestation/options";
    let body = client.body(&options_request(&f.community, "alice"));

    // A request id is good once.
    let headers = client.headers(&f.license);
    let first = call(&f.app, Method::POST, path, &headers, Some(body.clone())).await;
    client.open(&first);
    let replay = call(&f.app, Method::POST, path, &headers, Some(body.clone())).await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert_eq!(replay.body["status"], "failed");

    // Older or newer than the allowed span.
    let now = OffsetDateTime::now_utc().unix_timestamp();
    for ts in [now - 120, now + 120] {
        let stale = client.headers_at(&f.license, ts, &new_uuid());
        let answer = call(&f.app, Method::POST, path, &stale, Some(body.clone())).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{ts}");
        assert!(
            answer.body["errorMessage"]
                .as_str()
                .unwrap()
                .contains("stale")
        );
    }
    // Milliseconds are fine.
    let millis = client.headers_at(&f.license, now * 1000, &new_uuid());
    let answer = call(&f.app, Method::POST, path, &millis, Some(body.clone())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    // Encrypted to another key: the service cannot decrypt.
    let (other, _) = ServiceKey::generate().unwrap();
    let other = ServiceKey::from_secret(&other).unwrap();
    let mut stranger = client.headers(&f.license);
    stranger[0].1 = other.public_base64().to_owned();
    let answer = call(&f.app, Method::POST, path, &stranger, Some(body.clone())).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body,
        failed("licensekey could not be decrypted (wrong key or tampered data)")
    );

    // Missing or broken pieces.
    let mut no_key = client.headers(&f.license);
    no_key.remove(0);
    let answer = call(&f.app, Method::POST, path, &no_key, Some(body.clone())).await;
    assert_eq!(answer.body, failed("the publickey header is missing"));
    let mut bad_key = client.headers(&f.license);
    bad_key[0].1 = "AAAA".to_owned();
    let answer = call(&f.app, Method::POST, path, &bad_key, Some(body.clone())).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        &f.app,
        Method::POST,
        path,
        &client.headers(&f.license),
        json_body(&json!({"data": "%%%"})),
    )
    .await;
    assert_eq!(answer.body, failed("data is not valid base64"));
    let answer = call(
        &f.app,
        Method::POST,
        path,
        &client.headers(&f.license),
        json_body(&options_request(&f.community, "alice")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        &f.app,
        Method::POST,
        path,
        &client.headers("unknown license"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let huge = vec![b' '; 64 * 1024 + 1];
    let answer = call(
        &f.app,
        Method::POST,
        path,
        &client.headers(&f.license),
        Some(huge),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body["status"], "failed");
}

#[tokio::test]
async fn licenses_reach_only_their_communities() {
    let f = fixture().await;
    let path = "/webauthn/u1/attestation/options";
    let ask = |license: &str, community: &str, dns: &str| {
        let mut body = options_request(community, "alice");
        body["dns"] = json!(dns);
        let headers = plain(license);
        let app = f.app.clone();
        async move { call(&app, Method::POST, path, &headers, json_body(&body)).await }
    };
    let own = ask(&f.license, &f.community, DNS).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let sibling = ask(&f.license, &f.sibling, "sibling.example").await;
    assert_eq!(sibling.status, StatusCode::FORBIDDEN);
    assert_eq!(sibling.body["status"], "failed");
    let by_all = ask(&f.all, &f.sibling, "sibling.example").await;
    assert_eq!(by_all.status, StatusCode::OK);
    let foreign = ask(&f.system, &f.foreign, "foreign.example").await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.body, failed("community not found"));
    let unknown = ask(&f.all, "0123456789abcdef01234567", DNS).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let wrong_dns = ask(&f.license, &f.community, "evil.example").await;
    assert_eq!(wrong_dns.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_dns.body,
        failed("dns does not match the community's relying party")
    );
    let no_community = ask(&f.license, "", DNS).await;
    assert_eq!(no_community.body, failed("communityId is required"));

    let status = f
        .licensed(
            Method::GET,
            &format!(
                "/webauthn/u1/link/community/{}/user/alice/status",
                f.sibling
            ),
            None,
        )
        .await;
    assert_eq!(status.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn vendor_metadata_records() {
    let f = fixture().await;
    let aaguid = "ee882879-721c-4913-9775-3dfcce97072a";
    let base = format!("/webauthn/vendormetadata/{}", f.community);
    let record = json!({
        "aaguid": aaguid,
        "metadata": {"description": "Key", "attestationRootCertificates": []},
        "name": "Key",
        "updatedBy": "ops"
    });
    let put = f.licensed(Method::PUT, &base, json_body(&record)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["aaguid"], aaguid);
    assert_eq!(put.body["status"], "ok");
    let id = put.body["id"].clone();

    let patch = f
        .licensed(
            Method::PATCH,
            &format!("{base}/aaguid/{aaguid}"),
            json_body(&json!({"disabled": true, "updatedBy": "ops2"})),
        )
        .await;
    assert_eq!(patch.body, json!({"status": "ok", "errorMessage": ""}));

    let fetched = f
        .licensed(
            Method::POST,
            &format!("{base}/fetch"),
            json_body(&json!({"aaguids": [aaguid]})),
        )
        .await;
    let records = fetched.body.as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], id);
    assert_eq!(records[0]["communityId"], json!(f.community));
    assert_eq!(records[0]["disabled"], true);
    assert_eq!(records[0]["updatedBy"], "ops2");
    assert_eq!(
        serde_json::from_str::<Value>(records[0]["metadata"].as_str().unwrap()).unwrap(),
        record["metadata"]
    );
    // No body: every record.
    let all = f
        .licensed(Method::POST, &format!("{base}/fetch"), None)
        .await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);

    // The global records: readable by any license, writable by a system license only.
    let global = "/webauthn/vendormetadata/any";
    let denied = call(
        &f.app,
        Method::PUT,
        global,
        &plain(&f.all),
        json_body(&record),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let allowed = call(
        &f.app,
        Method::PUT,
        global,
        &plain(&f.system),
        json_body(&record),
    )
    .await;
    assert_eq!(allowed.status, StatusCode::OK);
    // Reading the global records takes a system license too.
    let denied = f
        .licensed(
            Method::POST,
            &format!("{global}/fetch"),
            json_body(&json!({"aaguids": []})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let read = call(
        &f.app,
        Method::POST,
        &format!("{global}/fetch"),
        &plain(&f.system),
        json_body(&json!({"aaguids": []})),
    )
    .await;
    assert_eq!(read.body[0]["communityId"], "any");
    assert_eq!(read.body[0]["disabled"], false);

    // Client mistakes.
    for (body, message) in [
        (
            json!({"aaguid": aaguid, "name": "n", "updatedBy": "o"}),
            "metadata is required",
        ),
        (
            json!({"aaguid": "x", "metadata": {}, "name": "n", "updatedBy": "o"}),
            "'x' is not an AAGUID",
        ),
        (
            json!({"aaguid": aaguid, "metadata": {}, "name": "n"}),
            "updatedBy is required",
        ),
    ] {
        let answer = f.licensed(Method::PUT, &base, json_body(&body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.body, failed(message));
    }
    let not_object = f
        .licensed(
            Method::PUT,
            &base,
            json_body(&json!({"aaguid": aaguid, "metadata": "[1]", "name": "n", "updatedBy": "o"})),
        )
        .await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    let unknown = f
        .licensed(
            Method::PATCH,
            &format!("{base}/aaguid/00000000-0000-0000-0000-000000000001"),
            json_body(&json!({"updatedBy": "o"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, failed("vendor metadata not found"));
}

/// A browser running the 1Kosmos SDK over a software authenticator: ES256, `none` attestation,
/// the model the vendor-metadata tests name, and credentials serialised naively.
struct Browser {
    authenticator: SoftAuthenticator,
    user_handle: Vec<u8>,
}

impl Browser {
    fn new() -> Self {
        Self {
            authenticator: SoftAuthenticator::es256()
                .with_aaguid(AAGUID)
                .with_attestation(Attestation::None),
            user_handle: Vec::new(),
        }
    }

    fn challenge(options: &Value) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(options["challenge"].as_str().unwrap())
            .unwrap()
    }

    fn create(&mut self, options: &Value) -> Value {
        self.user_handle = URL_SAFE_NO_PAD
            .decode(options["user"]["id"].as_str().unwrap())
            .unwrap();
        let credential =
            self.authenticator
                .register(DNS, &format!("https://{DNS}"), &Self::challenge(options));
        naively_serialised(&credential)
    }

    fn get(&mut self, options: &Value) -> Value {
        let credential = self.authenticator.assert(
            DNS,
            &format!("https://{DNS}"),
            &Self::challenge(options),
            &self.user_handle,
        );
        naively_serialised(&credential)
    }
}

fn with_routing(mut credential: Value, community: &str) -> Value {
    credential["dns"] = json!(DNS);
    credential["communityId"] = json!(community);
    credential["tenantId"] = json!("informational");
    credential
}

#[tokio::test]
async fn register_log_in_link_and_unregister() {
    let f = fixture().await;
    let client = Client::new(&f.app).await;
    let mut browser = Browser::new();

    // Registration, encrypted.
    let answer = client
        .post(
            &f.app,
            "/webauthn/attestation/options",
            &f.license,
            &options_request(&f.community, "alice"),
        )
        .await;
    let wrapped = client.open(&answer);
    let service_key = call(&f.app, Method::GET, "/webauthn/publickeys", &[], None).await;
    assert_eq!(wrapped["publickey"], service_key.body["publicKey"]);
    let options = &wrapped["data"];
    assert_eq!(options["rp"]["id"], DNS);
    assert_eq!(options["user"]["name"], "alice");
    assert_eq!(options["user"]["displayName"], "Alice A.");
    assert_eq!(options["attestation"], "none");
    assert_eq!(options["excludeCredentials"], json!([]));
    assert_eq!(options["status"], "ok");
    let credential = with_routing(browser.create(options), &f.community);
    let answer = client
        .post(
            &f.app,
            "/webauthn/attestation/result",
            &f.license,
            &credential,
        )
        .await;
    assert_eq!(
        client.open(&answer),
        json!({"data": {"sub": "alice"}, "status": "ok", "errorMessage": ""})
    );

    // The next registration excludes the credential.
    let again = f
        .licensed(
            Method::POST,
            "/webauthn/u1/attestation/options",
            json_body(&options_request(&f.community, "alice")),
        )
        .await;
    let id = URL_SAFE_NO_PAD.encode(&browser.authenticator.credential_id);
    assert_eq!(again.body["excludeCredentials"][0]["id"], json!(id));

    // Login, plain (u1) with a session, then encrypted and discoverable.
    let options = f.licensed(Method::POST, "/webauthn/u1/assertion/options", json_body(
            &json!({"dns": DNS, "username": "alice", "communityId": f.community, "dguid": "d-1"}),
        )).await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    assert_eq!(options.body["rpId"], DNS);
    assert_eq!(options.body["allowCredentials"][0]["id"], json!(id));
    let mut headers = plain(&f.license);
    let session = STANDARD.encode(r#"{"url":"https://app.example/s","sessionId":"s-1"}"#);
    headers.push(("sessionInfo", session));
    let result = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/assertion/result",
        &headers,
        json_body(&with_routing(browser.get(&options.body), &f.community)),
    )
    .await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert_eq!(result.body["data"], json!({"sub": "alice"}));
    assert_eq!(result.body["status"], "ok");
    assert_eq!(
        result.body["signature_token"]
            .as_str()
            .unwrap()
            .split('.')
            .count(),
        3
    );

    let answer = client
        .post(
            &f.app,
            "/webauthn/assertion/options",
            &f.license,
            &json!({"dns": DNS, "communityId": f.community}),
        )
        .await;
    let options = client.open(&answer);
    assert!(
        options
            .get("allowCredentials")
            .is_none_or(|list| list == &json!([]))
    );
    let answer = client
        .post(
            &f.app,
            "/webauthn/assertion/result",
            &f.license,
            &with_routing(browser.get(&options), &f.community),
        )
        .await;
    let logged_in = client.open(&answer);
    assert_eq!(logged_in["data"]["sub"], "alice");
    assert!(logged_in["signature_token"].is_string());

    // A replayed assertion does not verify.
    let options = f
        .licensed(
            Method::POST,
            "/webauthn/u1/assertion/options",
            json_body(&json!({"dns": DNS, "username": "alice", "communityId": f.community})),
        )
        .await;
    let stale = browser.get(&json!({"challenge": "AAAA"}));
    let refused = f
        .licensed(
            Method::POST,
            "/webauthn/u1/assertion/result",
            json_body(&with_routing(stale, &f.community)),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["status"], "failed");
    assert!(options.body["challenge"].is_string());

    // Link, status (both variants), unregister by DID.
    let hash = latchkey_engine::links::fido_key_hash(&browser.authenticator.credential_id);
    let did = "did:example:alice";
    let link = f
        .licensed(
            Method::PUT,
            &format!(
                "/webauthn/u1/link/community/{}/did/{did}/user/alice/fidokey/{hash}",
                f.community
            ),
            None,
        )
        .await;
    assert_eq!(link.body, json!({"status": "ok", "errorMessage": ""}));
    let status = call(
        &f.app,
        Method::GET,
        &format!("/webauthn/link/community/{}/user/alice/status", f.community),
        &client.headers(&f.license),
        None,
    )
    .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(status.body["linked"], true);
    assert_eq!(status.body["links"][0]["did"], did);
    assert_eq!(status.body["links"][0]["fidoKeyHash"], json!(hash));
    let unknown_hash = call(
        &f.app,
        Method::PUT,
        &format!(
            "/webauthn/link/community/{}/did/{did}/user/alice/fidokey/{}",
            f.community,
            "0".repeat(128)
        ),
        &client.headers(&f.license),
        None,
    )
    .await;
    assert_eq!(unknown_hash.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_hash.body, failed("credential not found"));

    let gone = call(
        &f.app,
        Method::DELETE,
        &format!(
            "/webauthn/unregister/community/{}/user/alice/did_or_fidokey/{did}",
            f.community
        ),
        &client.headers(&f.license),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(gone.body, json!({}));
    let again = call(
        &f.app,
        Method::DELETE,
        &format!(
            "/webauthn/unregister/community/{}/did_or_fidokey/{hash}",
            f.community
        ),
        &client.headers(&f.license),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let status = f
        .licensed(
            Method::GET,
            &format!(
                "/webauthn/u1/link/community/{}/user/alice/status",
                f.community
            ),
            None,
        )
        .await;
    // Without credentials, alice is nobody to link status.
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    let nobody = f
        .licensed(
            Method::GET,
            &format!(
                "/webauthn/u1/link/community/{}/user/bob/status",
                f.community
            ),
            None,
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.body, failed("user not found"));
}

#[tokio::test]
async fn a_disabled_model_cannot_register() {
    let f = fixture().await;
    let put = f
        .licensed(
            Method::PUT,
            &format!("/webauthn/vendormetadata/{}", f.community),
            json_body(&json!({
                "aaguid": Uuid::from_bytes(AAGUID).to_string(),
                "metadata": "{}",
                "name": "Blocked",
                "disabled": true,
                "updatedBy": "ops"
            })),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let options = f
        .licensed(
            Method::POST,
            "/webauthn/u1/attestation/options",
            json_body(&options_request(&f.community, "bob")),
        )
        .await;
    let credential = with_routing(Browser::new().create(&options.body), &f.community);
    let refused = f
        .licensed(
            Method::POST,
            "/webauthn/u1/attestation/result",
            json_body(&credential),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("disabled")
    );
}

#[tokio::test]
async fn a_community_realm_is_not_a_hanko_tenant() {
    let f = fixture().await;
    // Hanko's discoverable login needs no key: a realm reachable here would bypass licenses.
    let login = call(
        &f.app,
        Method::POST,
        &format!("/{}/login/initialize", f.realm.0),
        &[],
        None,
    )
    .await;
    assert_eq!(login.status, StatusCode::NOT_FOUND);
    assert_eq!(login.body["title"], "tenant not found");
    let jwks = call(
        &f.app,
        Method::GET,
        &format!("/{}/.well-known/jwks.json", f.organisation.0),
        &[],
        None,
    )
    .await;
    assert_eq!(jwks.status, StatusCode::OK);
}
