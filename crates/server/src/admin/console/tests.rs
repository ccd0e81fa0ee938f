//! The console over an in-memory SQLite store, request by request: who gets in, which posts
//! are refused, and that its forms reach the same engine rules as the admin API.

use axum::Router;
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::ceremonies::{CeremonyKind, NewUser};
use latchkey_engine::model::TenantId;
use latchkey_engine::{Page, RequestMeta};
use latchkey_testkit::authenticator::SoftAuthenticator;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};
use std::sync::Arc;

use crate::admin::{AdminOptions, admin_router};
use crate::metrics::Metrics;

const TOKEN: &str = "console-test-token";
const FORM: &str = "application/x-www-form-urlencoded";

async fn console(token: Option<&str>) -> Router {
    let engine = Arc::new(fixtures::engine().await);
    admin_router(
        engine,
        AdminOptions {
            token: token.map(str::to_owned),
        },
        Metrics::default(),
    )
}

/// A browser's view: the cookie it holds and the CSRF token of the last page.
struct Browser {
    cookie: String,
    csrf: String,
}

fn cookie_of(answer: &Answer) -> String {
    let header = answer.headers[SET_COOKIE].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

/// The id a "Tenant created" page shows.
fn tenant_id_of(page: &str) -> String {
    let start = page.find("id=\"tenant-id\">").unwrap() + "id=\"tenant-id\">".len();
    page[start..].split('<').next().unwrap().to_owned()
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

impl Browser {
    async fn open(app: &Router) -> Self {
        let page = request(Method::GET, "/console/tenants").send(app).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        Self {
            cookie: cookie_of(&page),
            csrf: csrf_of(&page.text),
        }
    }

    async fn get(&self, app: &Router, uri: &str) -> Answer {
        request(Method::GET, uri)
            .header("cookie", &self.cookie)
            .send(app)
            .await
    }

    /// Creates the tenant "Shop" through the console's form and returns its id.
    async fn create_shop(&self, app: &Router) -> String {
        let created = self
            .post(
                app,
                "/console/tenants",
                &[
                    ("display_name", "Shop"),
                    ("rp_id", "shop.example"),
                    ("origins", "https://shop.example"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        tenant_id_of(&created.text)
    }

    async fn post(&self, app: &Router, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("csrf", &self.csrf);
        form.extend_pairs(fields);
        request(Method::POST, uri)
            .header("cookie", &self.cookie)
            .header("content-type", FORM)
            .header("sec-fetch-site", "same-origin")
            .body(form.finish())
            .send(app)
            .await
    }
}

#[tokio::test]
async fn an_open_console_gives_a_session_and_its_pages_carry_a_strict_policy() {
    let app = console(None).await;
    let page = request(Method::GET, "/console").send(&app).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let cookie = page.headers[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/console")
    );
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.text.contains("Dashboard"));

    let style = request(Method::GET, "/console/assets/console.css")
        .send(&app)
        .await;
    assert_eq!(style.status, StatusCode::OK);
    assert!(
        style.headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let missing = request(Method::GET, "/console/assets/other.js")
        .send(&app)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_console_with_a_token_sends_visitors_to_sign_in() {
    let app = console(Some(TOKEN)).await;
    let page = request(Method::GET, "/console/tenants").send(&app).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.headers[LOCATION], "/console/login");

    let wrong = request(Method::POST, "/console/login")
        .header("content-type", FORM)
        .body("token=guess")
        .send(&app)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.headers.contains_key(SET_COOKIE));

    let cross_site = request(Method::POST, "/console/login")
        .header("content-type", FORM)
        .header("sec-fetch-site", "cross-site")
        .body(format!("token={TOKEN}"))
        .send(&app)
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);

    let right = request(Method::POST, "/console/login")
        .header("content-type", FORM)
        .body(format!("token={TOKEN}"))
        .send(&app)
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    let cookie = cookie_of(&right);
    let page = request(Method::GET, "/console/tenants")
        .header("cookie", &cookie)
        .send(&app)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Sign out"));

    // The console's session is no key to the admin API.
    let api = request(Method::GET, "/tenants")
        .header("cookie", &cookie)
        .send(&app)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn posts_need_the_sessions_token_and_the_consoles_origin() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let fields = [
        ("display_name", "Shop"),
        ("rp_id", "shop.example"),
        ("origins", "https://shop.example"),
        ("create_api_key", "on"),
    ];

    let mut forged = Browser {
        cookie: browser.cookie.clone(),
        csrf: "forged".to_owned(),
    };
    let refused = forged.post(&app, "/console/tenants", &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    let elsewhere = request(Method::POST, "/console/tenants")
        .header("cookie", &browser.cookie)
        .header("content-type", FORM)
        .header("origin", "http://evil.example")
        .header("host", "127.0.0.1:8001")
        .body(format!(
            "csrf={}&display_name=Shop&rp_id=shop.example&origins=https://shop.example",
            browser.csrf
        ))
        .send(&app)
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::FORBIDDEN,
        "{}",
        elsewhere.text
    );

    forged.csrf = browser.csrf.clone();
    let created = forged.post(&app, "/console/tenants", &fields).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(
        created.text.contains("copy it now"),
        "the new API key is shown once"
    );
}

#[tokio::test]
async fn the_settings_form_sets_related_origins_under_the_label_limit() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let created = browser
        .post(
            &app,
            "/console/tenants",
            &[
                ("display_name", "Shop"),
                ("rp_id", "shop.example"),
                ("origins", "https://shop.example"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let base = format!("/console/tenants/{}", tenant_id_of(&created.text));
    let settings = |related: &'static str| {
        [
            ("rp_display_name", "Shop"),
            ("rp_id", "shop.example"),
            ("origins", "https://shop.example"),
            ("related_origins", related),
            ("cors_origins", "https://shop.example"),
            ("timeout", "60000"),
            ("user_verification", "required"),
            ("attachment", ""),
            ("resident_key_requirement", "required"),
            ("attestation_preference", "direct"),
            ("algorithm", "RS256"),
            ("counter", "reject"),
            ("backup_eligibility", "audit_only"),
        ]
    };

    let six = "https://a.example\nhttps://b.example\nhttps://c.example\nhttps://d.example\n\
               https://e.example\nhttps://f.example";
    let refused = browser
        .post(&app, &format!("{base}/settings"), &settings(six))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(refused.text.contains("at most 5"), "{}", refused.text);

    let saved = browser
        .post(
            &app,
            &format!("{base}/settings"),
            &settings("https://shop.example.de\nhttps://shop.example.co.uk"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let page = browser.get(&app, &base).await;
    assert!(
        page.text
            .contains("https://shop.example.de\nhttps://shop.example.co.uk"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn forms_follow_the_admin_apis_rules() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let created = browser
        .post(
            &app,
            "/console/tenants",
            &[
                ("display_name", "Shop"),
                ("rp_id", "shop.example"),
                ("origins", "https://shop.example"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = tenant_id_of(&created.text);
    let base = format!("/console/tenants/{id}");

    let page = browser.get(&app, &base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("https://shop.example"));

    let no_origins = browser
        .post(
            &app,
            &format!("{base}/settings"),
            &[
                ("rp_display_name", "Shop"),
                ("rp_id", "shop.example"),
                ("origins", ""),
                ("cors_origins", "https://shop.example"),
                ("timeout", "60000"),
                ("user_verification", "required"),
                ("attachment", ""),
                ("resident_key_requirement", "required"),
                ("attestation_preference", "direct"),
                ("algorithm", "ES256"),
                ("counter", "reject"),
                ("backup_eligibility", "audit_only"),
            ],
        )
        .await;
    assert_eq!(
        no_origins.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_origins.text
    );
    assert!(
        no_origins
            .text
            .contains("origins must contain at least 1 item"),
        "{}",
        no_origins.text
    );

    let saved = browser
        .post(
            &app,
            &format!("{base}/settings"),
            &[
                ("rp_display_name", "Shop"),
                ("rp_id", "shop.example"),
                ("origins", "https://shop.example\nhttps://www.shop.example"),
                ("cors_origins", "https://shop.example"),
                ("timeout", "60000"),
                ("user_verification", "preferred"),
                ("attachment", "platform"),
                ("resident_key_requirement", "required"),
                ("attestation_preference", "none"),
                ("algorithm", "ES256"),
                ("counter", "audit_only"),
                ("backup_eligibility", "audit_only"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let page = browser.get(&app, &format!("{base}?done=settings")).await;
    assert!(page.text.contains("Settings saved."));
    assert!(page.text.contains("https://www.shop.example"));
    assert!(
        page.text.contains("<option value=\"ES256\" selected>"),
        "{}",
        page.text
    );

    let bad_json = browser
        .post(&app, &format!("{base}/config"), &[("config", "{")])
        .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);

    let key = browser
        .post(&app, &format!("{base}/api-keys"), &[("name", "backend")])
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
    assert!(key.text.contains("New API key “backend”"));
    let empty_name = browser
        .post(&app, &format!("{base}/api-keys"), &[("name", " ")])
        .await;
    assert_eq!(empty_name.status, StatusCode::BAD_REQUEST);

    let rotated = browser
        .post(&app, &format!("{base}/signing-keys"), &[])
        .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let unknown = browser
        .post(
            &app,
            &format!("{base}/signing-keys/{}/retire", uuid::Uuid::nil()),
            &[],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let malformed = browser.get(&app, "/console/tenants/not-a-uuid").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
}

/// The kid of the key marked as signing on a tenant's page, and every kid it lists, top first.
fn signing_keys_of(page: &str) -> (String, Vec<String>) {
    let table = &page[page.find("aria-labelledby=\"signing-keys\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let cells: Vec<&str> = table
        .split("<td data-label=\"Key id\"><code>")
        .skip(1)
        .map(|cell| cell.split("</td>").next().unwrap())
        .collect();
    let kid = |cell: &&str| cell.split('<').next().unwrap().to_owned();
    let marked = cells
        .iter()
        .find(|cell| cell.contains(">signing<"))
        .map(kid);
    (marked.unwrap(), cells.iter().map(kid).collect())
}

#[tokio::test]
async fn after_a_rotation_the_new_signing_key_is_marked_as_signing() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let id = browser.create_shop(&app).await;
    let base = format!("/console/tenants/{id}");
    let (first, kids) = signing_keys_of(&browser.get(&app, &base).await.text);
    assert_eq!(kids, std::slice::from_ref(&first));

    let rotated = browser
        .post(&app, &format!("{base}/signing-keys"), &[])
        .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let (signing, kids) = signing_keys_of(&browser.get(&app, &base).await.text);
    assert_ne!(signing, first, "the new key signs");
    assert_eq!(kids, [signing, first], "newest first");
}

/// The pages' `Referrer-Policy: no-referrer` makes Chromium send `Origin: null` with their own
/// forms; `Sec-Fetch-Site` says where they come from.
#[tokio::test]
async fn a_browsers_own_form_is_accepted_though_its_origin_is_null() {
    let app = console(Some(TOKEN)).await;
    let signed_in = request(Method::POST, "/console/login")
        .header("content-type", FORM)
        .header("sec-fetch-site", "same-origin")
        .header("origin", "null")
        .header("host", "127.0.0.1:8001")
        .body(format!("token={TOKEN}"))
        .send(&app)
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.text
    );
    let cookie = cookie_of(&signed_in);
    let page = request(Method::GET, "/console/tenants")
        .header("cookie", &cookie)
        .send(&app)
        .await;
    let csrf = csrf_of(&page.text);

    let post = |site: &'static str| {
        request(Method::POST, "/console/tenants")
            .header("cookie", &cookie)
            .header("content-type", FORM)
            .header("sec-fetch-site", site)
            .header("origin", "null")
            .header("host", "127.0.0.1:8001")
            .body(format!(
                "csrf={csrf}&display_name=Shop&rp_id=shop.example&origins=https://shop.example"
            ))
    };
    let created = post("same-origin").send(&app).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let refused = post("cross-site").send(&app).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
}

/// A pager link keeps the filters and the page size: page 2 of two-entry pages is not page 2 of
/// the default twenty.
#[tokio::test]
async fn the_audit_pager_keeps_the_filters_and_the_page_size() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let id = browser.create_shop(&app).await;
    let audit = format!("/console/tenants/{id}/audit");

    let page = browser
        .get(
            &app,
            &format!("{audit}?actor_user_id=dora&per_page=2&page=2"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let newer = format!("href=\"{audit}?actor_user_id=dora&amp;per_page=2&amp;page=1\">Newer<");
    assert!(page.text.contains(&newer), "{}", page.text);
}

#[tokio::test]
async fn the_tenants_list_shows_each_community_realm_after_its_organisation() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let id = browser.create_shop(&app).await;
    let community = browser
        .post(
            &app,
            &format!("/console/tenants/{id}/kosmos/communities"),
            &[("name", "Shop community"), ("dns", "community.example")],
        )
        .await;
    assert_eq!(
        community.status,
        StatusCode::SEE_OTHER,
        "{}",
        community.text
    );

    let list = browser.get(&app, "/console/tenants").await.text;
    let organisation = list.find(">Shop</a>").expect("the organisation is listed");
    let realm = list
        .find(">Shop community</a>")
        .expect("the realm is listed");
    assert!(organisation < realm, "the realm follows its organisation");
    assert!(list[realm..].contains("<code>community.example</code>"));
    assert!(list[realm..].contains("1Kosmos community realm"));
}

#[tokio::test]
async fn a_community_realms_audit_log_is_reachable_from_its_organisations_page() {
    let app = console(None).await;
    let browser = Browser::open(&app).await;
    let id = browser.create_shop(&app).await;
    browser
        .post(
            &app,
            &format!("/console/tenants/{id}/kosmos/communities"),
            &[("name", "Shop community"), ("dns", "community.example")],
        )
        .await;

    let page = browser
        .get(&app, &format!("/console/tenants/{id}/kosmos"))
        .await
        .text;
    let link = page
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.ends_with("/audit") && !href.contains(&id))
        .expect("a link to the realm's audit log");
    let audit = browser.get(&app, link).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert!(audit.text.contains("1Kosmos community realm"));

    let dashboard = browser.get(&app, "/console").await.text;
    assert!(
        dashboard
            .contains("<div class=\"value\">1</div><div class=\"label\">1Kosmos communities</div>"),
        "{dashboard}"
    );

    let unknown = browser
        .get(
            &app,
            &format!("/console/tenants/{}/audit", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
}

#[tokio::test]
async fn a_credential_is_deleted_only_under_its_own_user() {
    let engine = Arc::new(fixtures::engine().await);
    let app = admin_router(
        Arc::clone(&engine),
        AdminOptions::default(),
        Metrics::default(),
    );
    let browser = Browser::open(&app).await;
    let id = browser.create_shop(&app).await;
    let tenant = TenantId(id.parse().unwrap());
    let meta = RequestMeta {
        request_id: "console-test".to_owned(),
        source_ip: "127.0.0.1".to_owned(),
        user_agent: "test".to_owned(),
    };
    for name in ["alice", "bob"] {
        let new_user = NewUser {
            external_id: name.to_owned(),
            name: name.to_owned(),
            display_name: name.to_owned(),
            icon: None,
        };
        let options = engine
            .start_registration(tenant, new_user, CeremonyKind::Passkey, &meta)
            .await
            .unwrap();
        let response = SoftAuthenticator::es256()
            .register("shop.example", "https://shop.example", &options.challenge)
            .to_string();
        engine
            .finish_registration(tenant, response.as_bytes(), CeremonyKind::Passkey, &meta)
            .await
            .unwrap();
    }
    let page = Page {
        number: 1,
        per_page: 10,
        descending: false,
    };
    let users = engine.users(tenant, page).await.unwrap().items;
    let latchkey_id = |name: &str| users.iter().find(|u| u.external_id == name).unwrap().id;
    let (alice, bob) = (latchkey_id("alice"), latchkey_id("bob"));
    let details = engine.user_details(tenant, alice).await.unwrap();
    let credential = URL_SAFE_NO_PAD.encode(&details.credentials[0].credential.id);

    let under_bob = browser
        .post(
            &app,
            &format!(
                "/console/tenants/{id}/users/{}/credentials/{credential}/delete",
                bob.0
            ),
            &[],
        )
        .await;
    assert_eq!(
        under_bob.status,
        StatusCode::NOT_FOUND,
        "{}",
        under_bob.text
    );
    assert_eq!(
        engine
            .user_details(tenant, alice)
            .await
            .unwrap()
            .credentials
            .len(),
        1
    );

    let under_alice = browser
        .post(
            &app,
            &format!(
                "/console/tenants/{id}/users/{}/credentials/{credential}/delete",
                alice.0
            ),
            &[],
        )
        .await;
    assert_eq!(
        under_alice.status,
        StatusCode::SEE_OTHER,
        "{}",
        under_alice.text
    );
    assert!(
        engine
            .user_details(tenant, alice)
            .await
            .unwrap()
            .credentials
            .is_empty()
    );
}
