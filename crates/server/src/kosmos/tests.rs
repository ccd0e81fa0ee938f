//! The 1Kosmos router merged with the Hanko router over an in-memory SQLite store, driven
//! request by request: routing, the envelope, licenses and their scopes, error shapes, and a
//! registration and login with a software authenticator (ES256, `none` attestation).

use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt;
use latchkey_engine::Engine;
use latchkey_engine::admin::NewTenant;
use latchkey_engine::model::{LicenseScope, TenantConfig, TenantId};
use latchkey_engine::secrets::MasterKey;
use latchkey_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tower::ServiceExt;
use uuid::Uuid;

use super::envelope::{ServiceKey, SharedKey, parse_public_key};
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

// The engine under test runs on the real clock, as it does when served.
#[allow(clippy::disallowed_methods)]
async fn fixture() -> Fixture {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let engine = Arc::new(Engine::new(
        store,
        MasterKey::generate().unwrap(),
        OffsetDateTime::now_utc,
    ));
    let tenant = |name: &str, rp: &str| NewTenant {
        display_name: name.to_owned(),
        config: TenantConfig::new(rp, name, vec![format!("https://{rp}")]),
    };
    let (organisation, _) = engine
        .create_tenant(tenant("Org", "org.example"), None)
        .await
        .unwrap();
    let (other, _) = engine
        .create_tenant(tenant("Other", "other.example"), None)
        .await
        .unwrap();
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
        app: public_app(engine, metrics.clone(), TrustedProxies::default()),
        metrics,
        organisation: organisation.id,
        realm: community.realm,
        community: community.id,
        sibling: sibling.id,
        foreign: foreign.id,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "passkeys.example")
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = app
        .clone()
        .oneshot(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
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
        let service = parse_public_key(service.body["publicKey"].as_str().unwrap()).unwrap();
        let (secret, _) = ServiceKey::generate().unwrap();
        let own = ServiceKey::from_secret(&secret).unwrap();
        Self {
            public: own.public_base64().to_owned(),
            shared: own.shared_with(&service),
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
    let env = call(
        &f.app,
        Method::GET,
        "/webauthn/environment",
        &plain(&f.license),
        None,
    )
    .await;
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

    let status = call(
        &f.app,
        Method::GET,
        &format!(
            "/webauthn/u1/link/community/{}/user/alice/status",
            f.sibling
        ),
        &plain(&f.license),
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
    let put = call(
        &f.app,
        Method::PUT,
        &base,
        &plain(&f.license),
        json_body(&record),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["aaguid"], aaguid);
    assert_eq!(put.body["status"], "ok");
    let id = put.body["id"].clone();

    let patch = call(
        &f.app,
        Method::PATCH,
        &format!("{base}/aaguid/{aaguid}"),
        &plain(&f.license),
        json_body(&json!({"disabled": true, "updatedBy": "ops2"})),
    )
    .await;
    assert_eq!(patch.body, json!({"status": "ok", "errorMessage": ""}));

    let fetched = call(
        &f.app,
        Method::POST,
        &format!("{base}/fetch"),
        &plain(&f.license),
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
    let all = call(
        &f.app,
        Method::POST,
        &format!("{base}/fetch"),
        &plain(&f.license),
        None,
    )
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
    let denied = call(
        &f.app,
        Method::POST,
        &format!("{global}/fetch"),
        &plain(&f.license),
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
        let answer = call(
            &f.app,
            Method::PUT,
            &base,
            &plain(&f.license),
            json_body(&body),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.body, failed(message));
    }
    let not_object = call(
        &f.app,
        Method::PUT,
        &base,
        &plain(&f.license),
        json_body(&json!({"aaguid": aaguid, "metadata": "[1]", "name": "n", "updatedBy": "o"})),
    )
    .await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    let unknown = call(
        &f.app,
        Method::PATCH,
        &format!("{base}/aaguid/00000000-0000-0000-0000-000000000001"),
        &plain(&f.license),
        json_body(&json!({"updatedBy": "o"})),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, failed("vendor metadata not found"));
}

/// A software authenticator holding one ES256 credential.
struct Authenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
}

impl Authenticator {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Self {
            key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap(),
            credential_id: Uuid::new_v4().as_bytes().to_vec(),
            user_handle: Vec::new(),
        }
    }

    fn client_data(kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": format!("https://{DNS}")})
            .to_string()
            .into_bytes()
    }

    /// The naive serialisation of a browser's registration credential.
    fn create(&mut self, options: &Value) -> Value {
        self.user_handle = URL_SAFE_NO_PAD
            .decode(options["user"]["id"].as_str().unwrap())
            .unwrap();
        let client_data =
            Self::client_data("webauthn.create", options["challenge"].as_str().unwrap());
        let point = self.key.public_key().as_ref();
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend_from_slice(&point[1..33]);
        cose.extend_from_slice(&[0x22, 0x58, 0x20]);
        cose.extend_from_slice(&point[33..65]);
        let mut auth_data = digest(&SHA256, DNS.as_bytes()).as_ref().to_vec();
        auth_data.push(0x45); // user present, user verified, attested credential data
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&AAGUID);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose);
        let mut object = vec![0xa3, 0x63];
        object.extend_from_slice(b"fmt");
        object.push(0x64);
        object.extend_from_slice(b"none");
        object.push(0x67);
        object.extend_from_slice(b"attStmt");
        object.extend_from_slice(&[0xa0, 0x68]);
        object.extend_from_slice(b"authData");
        // A byte string's length in its shortest head, as canonical CBOR requires.
        let len = u8::try_from(auth_data.len()).unwrap();
        object.extend_from_slice(&[0x58, len]);
        object.extend_from_slice(&auth_data);
        let id = URL_SAFE_NO_PAD.encode(&self.credential_id);
        json!({
            "rawId": id,
            "id": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "getClientExtensionResults": {},
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "attestationObject": URL_SAFE_NO_PAD.encode(&object),
                "getAuthenticatorData": {},
                "getPublicKey": {},
                "getPublicKeyAlgorithm": {},
                "getTransports": {}
            }
        })
    }

    fn get(&self, options: &Value, sign_count: u32) -> Value {
        let client_data = Self::client_data("webauthn.get", options["challenge"].as_str().unwrap());
        let mut auth_data = digest(&SHA256, DNS.as_bytes()).as_ref().to_vec();
        auth_data.push(0x05); // user present, user verified
        auth_data.extend_from_slice(&sign_count.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        let id = URL_SAFE_NO_PAD.encode(&self.credential_id);
        json!({
            "rawId": id,
            "id": id,
            "type": "public-key",
            "getClientExtensionResults": {},
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": URL_SAFE_NO_PAD.encode(&self.user_handle),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data)
            }
        })
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
    let mut authenticator = Authenticator::new();

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
    let credential = with_routing(authenticator.create(options), &f.community);
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
    let again = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/attestation/options",
        &plain(&f.license),
        json_body(&options_request(&f.community, "alice")),
    )
    .await;
    let id = URL_SAFE_NO_PAD.encode(&authenticator.credential_id);
    assert_eq!(again.body["excludeCredentials"][0]["id"], json!(id));

    // Login, plain (u1) with a session, then encrypted and discoverable.
    let options = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/assertion/options",
        &plain(&f.license),
        json_body(
            &json!({"dns": DNS, "username": "alice", "communityId": f.community, "dguid": "d-1"}),
        ),
    )
    .await;
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
        json_body(&with_routing(
            authenticator.get(&options.body, 1),
            &f.community,
        )),
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
            &with_routing(authenticator.get(&options, 2), &f.community),
        )
        .await;
    let logged_in = client.open(&answer);
    assert_eq!(logged_in["data"]["sub"], "alice");
    assert!(logged_in["signature_token"].is_string());

    // A replayed assertion does not verify.
    let options = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/assertion/options",
        &plain(&f.license),
        json_body(&json!({"dns": DNS, "username": "alice", "communityId": f.community})),
    )
    .await;
    let stale = authenticator.get(&json!({"challenge": "AAAA"}), 3);
    let refused = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/assertion/result",
        &plain(&f.license),
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
    let hash = latchkey_engine::links::fido_key_hash(&authenticator.credential_id);
    let did = "did:example:alice";
    let link = call(
        &f.app,
        Method::PUT,
        &format!(
            "/webauthn/u1/link/community/{}/did/{did}/user/alice/fidokey/{hash}",
            f.community
        ),
        &plain(&f.license),
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
    let status = call(
        &f.app,
        Method::GET,
        &format!(
            "/webauthn/u1/link/community/{}/user/alice/status",
            f.community
        ),
        &plain(&f.license),
        None,
    )
    .await;
    // Without credentials, alice is nobody to link status.
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    let nobody = call(
        &f.app,
        Method::GET,
        &format!(
            "/webauthn/u1/link/community/{}/user/bob/status",
            f.community
        ),
        &plain(&f.license),
        None,
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.body, failed("user not found"));
}

#[tokio::test]
async fn a_disabled_model_cannot_register() {
    let f = fixture().await;
    let put = call(
        &f.app,
        Method::PUT,
        &format!("/webauthn/vendormetadata/{}", f.community),
        &plain(&f.license),
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
    let options = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/attestation/options",
        &plain(&f.license),
        json_body(&options_request(&f.community, "bob")),
    )
    .await;
    let credential = with_routing(Authenticator::new().create(&options.body), &f.community);
    let refused = call(
        &f.app,
        Method::POST,
        "/webauthn/u1/attestation/result",
        &plain(&f.license),
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
