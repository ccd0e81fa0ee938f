//! The Hanko Public API's admin routes (`/tenants/{id}/hanko/...`) over an in-memory SQLite
//! store, driven request by request.

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use latchkey_engine::model::{Credential, TenantId, UserId};
use latchkey_engine::{Engine, RequestMeta, Store, WriteTx};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

use super::{AdminOptions, admin_router};
use crate::metrics::Metrics;

struct Admin {
    app: Router,
    engine: Arc<Engine<SqliteStore>>,
    /// A tenant serving the Hanko Public API.
    tenant: TenantId,
}

impl Admin {
    async fn new() -> Self {
        let engine = Arc::new(fixtures::engine().await);
        let (tenant, _) = fixtures::tenant("example.com")
            .tweak(|config| config.hanko_public.enabled = true)
            .create(&engine, None)
            .await;
        let app = admin_router(
            Arc::clone(&engine),
            AdminOptions::default(),
            Metrics::default(),
        );
        Self {
            app,
            engine,
            tenant: tenant.id,
        }
    }

    /// `/tenants/{tenant}/hanko` followed by `path`.
    fn at(&self, path: &str) -> String {
        format!("/tenants/{}/hanko{path}", self.tenant.0)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        request(method, &self.at(path))
            .body_if(body.map(|body| body.to_string()))
            .send(&self.app)
            .await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    /// Creates a user with these addresses, the first primary; their id.
    async fn user(&self, addresses: &[&str]) -> String {
        let emails: Vec<Value> = addresses
            .iter()
            .enumerate()
            .map(|(i, address)| json!({"address": address, "is_primary": i == 0}))
            .collect();
        let created = self
            .call(Method::POST, "/users", Some(json!({"emails": emails})))
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.text);
        created.body["id"].as_str().unwrap().to_owned()
    }

    /// The id of the user's address `address`.
    async fn email_id(&self, user: &str, address: &str) -> String {
        let listed = self.get(&format!("/users/{user}/emails")).await;
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|email| email["address"] == address)
            .map(|email| email["id"].as_str().unwrap().to_owned())
            .unwrap()
    }
}

fn meta() -> RequestMeta {
    RequestMeta {
        request_id: "rid-1".to_owned(),
        source_ip: "192.0.2.1".to_owned(),
        user_agent: "test".to_owned(),
    }
}

fn refusal(answer: &Answer, status: StatusCode, title: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.body["title"], title, "{}", answer.text);
    assert_eq!(answer.body["status"], status.as_u16());
}

#[tokio::test]
async fn a_user_is_created_with_their_addresses() {
    let admin = Admin::new().await;
    let id = Uuid::new_v4();
    let created = admin
        .call(
            Method::POST,
            "/users",
            Some(json!({
                "id": id,
                "emails": [
                    {"address": "Alice@Example.com", "is_primary": true, "is_verified": true},
                    {"address": "alice@work.example", "is_primary": false},
                ],
                "created_at": "2024-01-02T03:04:05Z",
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let user = &created.body;
    assert_eq!(user["id"], id.to_string());
    assert_eq!(user["created_at"], "2024-01-02T03:04:05Z");
    assert!(user["updated_at"].as_str().unwrap() > "2024");
    assert!(user.get("webauthn_credentials").is_none(), "{user}");
    let emails = user["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    let email = |address: &str| {
        emails
            .iter()
            .find(|email| email["address"] == address)
            .unwrap_or_else(|| panic!("{address} in {user}"))
    };
    let home = email("alice@example.com");
    assert_eq!(home["is_primary"], true);
    assert_eq!(home["is_verified"], true);
    let work = email("alice@work.example");
    assert_eq!(work["is_primary"], false);
    assert_eq!(work["is_verified"], false);
    for key in ["id", "created_at", "updated_at"] {
        assert!(home[key].is_string(), "{key}");
    }

    let shown = admin.get(&format!("/users/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, created.body);
    // The user is the public API's user: the address finds them.
    let found = admin
        .engine
        .look_up_address(admin.tenant, "alice@work.example")
        .await
        .unwrap();
    assert_eq!(found.user, UserId(id));

    let generated = admin.user(&["bob@example.com"]).await;
    assert!(Uuid::parse_str(&generated).is_ok());
}

#[tokio::test]
async fn creating_a_user_refuses_taken_ids_and_addresses() {
    let admin = Admin::new().await;
    let id = admin.user(&["alice@example.com"]).await;
    let again = admin
        .call(
            Method::POST,
            "/users",
            Some(json!({"id": id, "emails": [{"address": "new@example.com", "is_primary": true}]})),
        )
        .await;
    refusal(&again, StatusCode::CONFLICT, "user already exists");
    let taken = admin
        .call(
            Method::POST,
            "/users",
            Some(json!({"emails": [{"address": "ALICE@example.com", "is_primary": true}]})),
        )
        .await;
    refusal(&taken, StatusCode::CONFLICT, "email already exists");
    // Twice in one request, in different case: the second is taken by the first.
    let twice = admin
        .call(
            Method::POST,
            "/users",
            Some(json!({"emails": [
                {"address": "carol@example.com", "is_primary": true},
                {"address": "Carol@example.com"},
            ]})),
        )
        .await;
    refusal(&twice, StatusCode::CONFLICT, "email already exists");
    // Nothing of a refused user stays.
    let listed = admin.get("/users").await;
    assert_eq!(listed.headers["x-total-count"], "1");
}

#[tokio::test]
async fn creating_a_user_checks_the_body() {
    let admin = Admin::new().await;
    let cases = [
        (json!({}), "emails is a required field"),
        (
            json!({"emails": []}),
            "length of emails must be greater or equal to 1",
        ),
        (
            json!({"emails": [{"address": "a@example.com"}, {"address": "a@example.com"}]}),
            "emails entries are not unique",
        ),
        (
            json!({"emails": [{"address": "not-an-address", "is_primary": true}]}),
            "address must be a valid email address",
        ),
        (
            json!({"emails": [{"address": "a@example.com"}]}),
            "invalid emails: at least one primary email must be provided",
        ),
        (
            json!({"emails": [
                {"address": "a@example.com", "is_primary": true},
                {"address": "b@example.com", "is_primary": true},
            ]}),
            "invalid emails: only one primary email is allowed",
        ),
        (
            json!({"id": "nope", "emails": [{"address": "a@example.com", "is_primary": true}]}),
            "",
        ),
    ];
    for (body, details) in cases {
        let refused = admin.call(Method::POST, "/users", Some(body)).await;
        refusal(&refused, StatusCode::BAD_REQUEST, "unable to create user");
        if !details.is_empty() {
            assert_eq!(refused.body["details"], details);
        }
    }
    let malformed = request(Method::POST, &admin.at("/users"))
        .body("{")
        .send(&admin.app)
        .await;
    refusal(&malformed, StatusCode::BAD_REQUEST, "unable to create user");
    assert_eq!(admin.get("/users").await.body, json!([]));
}

#[tokio::test]
async fn an_address_waiting_for_its_passcode_goes_to_the_new_user() {
    let admin = Admin::new().await;
    let pending = admin
        .engine
        .sign_up(admin.tenant, "dave@example.com", &meta())
        .await
        .unwrap();
    let id = admin.user(&["dave@example.com"]).await;
    let shown = admin.get(&format!("/users/{id}")).await;
    assert_eq!(shown.body["emails"][0]["id"], pending.email.to_string());
    assert_eq!(shown.body["emails"][0]["is_primary"], true);
    // The sign-up's user holds no address, so it is no account to list.
    let listed = admin.get("/users").await;
    assert_eq!(listed.headers["x-total-count"], "1");
    assert_eq!(listed.body[0]["id"], id);
}

#[tokio::test]
async fn users_are_listed_filtered_and_paged() {
    let admin = Admin::new().await;
    let mut ids = Vec::new();
    for (address, at) in [
        ("alice@example.com", "2024-01-01T00:00:00Z"),
        ("bob@example.org", "2024-01-02T00:00:00Z"),
        ("carol@example.com", "2024-01-03T00:00:00Z"),
    ] {
        let created = admin
            .call(
                Method::POST,
                "/users",
                Some(json!({
                    "emails": [{"address": address, "is_primary": true}],
                    "created_at": at,
                })),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let order = |answer: &Answer| -> Vec<String> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let newest_first = admin.get("/users").await;
    assert_eq!(newest_first.status, StatusCode::OK);
    assert_eq!(newest_first.headers["x-total-count"], "3");
    assert_eq!(
        order(&newest_first),
        vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );
    let oldest_first = admin.get("/users?sort_direction=asc").await;
    assert_eq!(
        order(&oldest_first),
        vec![ids[0].as_str(), ids[1].as_str(), ids[2].as_str()]
    );

    let second = admin.get("/users?page=2&per_page=2").await;
    assert_eq!(second.headers["x-total-count"], "3");
    assert_eq!(order(&second), vec![ids[0].as_str()]);
    let link = second.headers["link"].to_str().unwrap();
    assert!(link.contains("rel=\"first\""), "{link}");
    assert!(link.contains("rel=\"prev\""), "{link}");

    let by_email = admin.get("/users?email=EXAMPLE.com").await;
    assert_eq!(by_email.headers["x-total-count"], "2");
    assert_eq!(order(&by_email), vec![ids[2].as_str(), ids[0].as_str()]);
    let by_id = admin.get(&format!("/users?user_id={}", ids[1])).await;
    assert_eq!(order(&by_id), vec![ids[1].as_str()]);
    let neither = admin
        .get(&format!("/users?user_id={}&email=example.com", ids[1]))
        .await;
    assert_eq!(neither.headers["x-total-count"], "0");
    assert_eq!(neither.body, json!([]));

    let bad_id = admin.get("/users?user_id=nope").await;
    refusal(
        &bad_id,
        StatusCode::BAD_REQUEST,
        "failed to parse user_id as uuid",
    );
    let sideways = admin.get("/users?sort_direction=up").await;
    refusal(
        &sideways,
        StatusCode::BAD_REQUEST,
        "sort_direction must be desc or asc",
    );
    let bad_page = admin.get("/users?page=first").await;
    refusal(&bad_page, StatusCode::BAD_REQUEST, "unable to list users");
}

#[tokio::test]
async fn a_user_shows_their_passkeys() {
    let admin = Admin::new().await;
    let id = admin.user(&["alice@example.com"]).await;
    let user = UserId(Uuid::parse_str(&id).unwrap());
    let credential = |id: &[u8], is_mfa: bool| Credential {
        id: id.to_vec(),
        tenant: admin.tenant,
        user,
        name: Some("Laptop".to_owned()),
        public_key: vec![1, 2, 3],
        attestation_format: "none".to_owned(),
        aaguid: [0; 16],
        sign_count: 0,
        transports: vec!["internal".to_owned()],
        backup_eligible: true,
        backup_state: false,
        is_mfa,
        created_at: datetime!(2024-05-06 07:08:09 UTC),
        last_used_at: None,
        discoverable: None,
        credential_protection: None,
        min_pin_length: None,
    };
    let mut tx = admin.engine.store().write().await.unwrap();
    tx.insert_credential(&credential(b"passkey", false))
        .await
        .unwrap();
    tx.insert_credential(&credential(b"second-factor", true))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let shown = admin.get(&format!("/users/{id}")).await;
    assert_eq!(
        shown.body["webauthn_credentials"],
        json!([{
            "id": "cGFzc2tleQ",
            "name": "Laptop",
            "public_key": "AQID",
            "attestation_type": "none",
            "aaguid": "00000000-0000-0000-0000-000000000000",
            "created_at": "2024-05-06T07:08:09Z",
            "transports": ["internal"],
            "backup_eligible": true,
            "backup_state": false,
        }])
    );
    let listed = admin.get("/users").await;
    assert_eq!(
        listed.body[0]["webauthn_credentials"][0]["id"],
        "cGFzc2tleQ"
    );
}

#[tokio::test]
async fn a_deleted_user_is_gone() {
    let admin = Admin::new().await;
    let id = admin.user(&["alice@example.com"]).await;
    let deleted = admin
        .call(Method::DELETE, &format!("/users/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    refusal(
        &admin.get(&format!("/users/{id}")).await,
        StatusCode::NOT_FOUND,
        "user not found",
    );
    let again = admin
        .call(Method::DELETE, &format!("/users/{id}"), None)
        .await;
    refusal(&again, StatusCode::NOT_FOUND, "user not found");
    let bad = admin.call(Method::DELETE, "/users/nope", None).await;
    refusal(
        &bad,
        StatusCode::BAD_REQUEST,
        "failed to parse user_id as uuid",
    );
    // The address is free again.
    admin.user(&["alice@example.com"]).await;
}

#[tokio::test]
async fn ending_a_users_sessions() {
    let admin = Admin::new().await;
    admin
        .engine
        .update_tenant_config(admin.tenant, |config| {
            let mut config = config.clone();
            config.hanko_public.emails.require_verification = false;
            Ok(config)
        })
        .await
        .unwrap();
    let signed_up = admin
        .engine
        .sign_up(admin.tenant, "erin@example.com", &meta())
        .await
        .unwrap();
    let token = signed_up.session.unwrap().token;
    admin
        .engine
        .verify_session(admin.tenant, &token)
        .await
        .unwrap();

    let path = format!("/users/{}/sessions", signed_up.user.0);
    let ended = admin.call(Method::DELETE, &path, None).await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(ended.body, json!({"ended": 1}));
    assert!(
        admin
            .engine
            .verify_session(admin.tenant, &token)
            .await
            .is_err()
    );
    let none_left = admin.call(Method::DELETE, &path, None).await;
    assert_eq!(none_left.body, json!({"ended": 0}));
    let unknown = admin
        .call(
            Method::DELETE,
            &format!("/users/{}/sessions", Uuid::new_v4()),
            None,
        )
        .await;
    refusal(&unknown, StatusCode::NOT_FOUND, "user not found");
}

#[tokio::test]
async fn addresses_are_added_listed_and_read() {
    let admin = Admin::new().await;
    let id = admin.user(&["alice@example.com"]).await;
    let emails = format!("/users/{id}/emails");

    let added = admin
        .call(
            Method::POST,
            &emails,
            Some(json!({"address": "Alice@Work.example", "is_verified": true, "is_primary": true})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["address"], "alice@work.example");
    assert_eq!(added.body["is_verified"], true);
    // Only a user without a primary address gets one this way.
    assert_eq!(added.body["is_primary"], false);

    let listed = admin.get(&emails).await;
    assert_eq!(listed.status, StatusCode::OK);
    let addresses: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|email| email["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, vec!["alice@example.com", "alice@work.example"]);

    let email_id = added.body["id"].as_str().unwrap();
    let shown = admin.get(&format!("{emails}/{email_id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, added.body);

    let taken = admin
        .call(
            Method::POST,
            &emails,
            Some(json!({"address": "alice@example.com"})),
        )
        .await;
    refusal(
        &taken,
        StatusCode::BAD_REQUEST,
        "email address already exists",
    );
    let invalid = admin
        .call(Method::POST, &emails, Some(json!({"address": "alice"})))
        .await;
    refusal(&invalid, StatusCode::BAD_REQUEST, "unable to create email");
    assert_eq!(
        invalid.body["details"],
        "address must be a valid email address"
    );
    let missing = admin.call(Method::POST, &emails, Some(json!({}))).await;
    assert_eq!(missing.body["details"], "address is a required field");

    let bob = admin.user(&["bob@example.com"]).await;
    let not_hers = admin.email_id(&bob, "bob@example.com").await;
    refusal(
        &admin.get(&format!("{emails}/{not_hers}")).await,
        StatusCode::NOT_FOUND,
        "email not found",
    );
    refusal(
        &admin.get(&format!("{emails}/nope")).await,
        StatusCode::BAD_REQUEST,
        "failed to parse email_id as uuid",
    );
    let nobody = format!("/users/{}/emails", Uuid::new_v4());
    refusal(
        &admin.get(&nobody).await,
        StatusCode::NOT_FOUND,
        "user not found",
    );
    let to_nobody = admin
        .call(
            Method::POST,
            &nobody,
            Some(json!({"address": "x@example.com"})),
        )
        .await;
    refusal(&to_nobody, StatusCode::NOT_FOUND, "user not found");
}

#[tokio::test]
async fn a_user_holds_at_most_the_configured_number_of_addresses() {
    let admin = Admin::new().await;
    let id = admin
        .user(&[
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@example.com",
            "e@example.com",
        ])
        .await;
    let sixth = admin
        .call(
            Method::POST,
            &format!("/users/{id}/emails"),
            Some(json!({"address": "f@example.com"})),
        )
        .await;
    refusal(
        &sixth,
        StatusCode::CONFLICT,
        "max number of email addresses reached",
    );
}

#[tokio::test]
async fn the_primary_address_moves_and_stays() {
    let admin = Admin::new().await;
    let id = admin
        .user(&["alice@example.com", "alice@work.example"])
        .await;
    let home = admin.email_id(&id, "alice@example.com").await;
    let work = admin.email_id(&id, "alice@work.example").await;
    let emails = format!("/users/{id}/emails");

    let kept = admin
        .call(Method::DELETE, &format!("{emails}/{home}"), None)
        .await;
    refusal(
        &kept,
        StatusCode::CONFLICT,
        "primary email can't be deleted",
    );

    let moved = admin
        .call(Method::POST, &format!("{emails}/{work}/set_primary"), None)
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{}", moved.text);
    let again = admin
        .call(Method::POST, &format!("{emails}/{work}/set_primary"), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin.get(&format!("{emails}/{work}")).await.body["is_primary"],
        true
    );
    assert_eq!(
        admin.get(&format!("{emails}/{home}")).await.body["is_primary"],
        false
    );

    let removed = admin
        .call(Method::DELETE, &format!("{emails}/{home}"), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    refusal(
        &admin.get(&format!("{emails}/{home}")).await,
        StatusCode::NOT_FOUND,
        "email not found",
    );
    let gone = admin
        .call(Method::DELETE, &format!("{emails}/{home}"), None)
        .await;
    refusal(&gone, StatusCode::NOT_FOUND, "email not found");
    let unknown = admin
        .call(
            Method::POST,
            &format!("{emails}/{}/set_primary", Uuid::new_v4()),
            None,
        )
        .await;
    refusal(&unknown, StatusCode::NOT_FOUND, "email not found");
    let nobody = admin
        .call(
            Method::POST,
            &format!("/users/{}/emails/{work}/set_primary", Uuid::new_v4()),
            None,
        )
        .await;
    refusal(&nobody, StatusCode::NOT_FOUND, "user not found");
}

#[tokio::test]
async fn the_audit_log_of_the_public_api() {
    let admin = Admin::new().await;
    let signed_up = admin
        .engine
        .sign_up(admin.tenant, "frank@example.com", &meta())
        .await
        .unwrap();
    let id = admin.user(&["grace@example.com"]).await;
    admin
        .engine
        .add_email(
            admin.tenant,
            UserId(Uuid::parse_str(&id).unwrap()),
            "grace@work.example",
            &meta(),
        )
        .await
        .unwrap();

    let all = admin.get("/audit_logs").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.headers["x-total-count"], "2");
    assert!(all.headers.contains_key("link"));
    let newest = &all.body[0];
    assert_eq!(newest["type"], "email_created");
    assert_eq!(newest["actor_user_id"], id);
    assert_eq!(newest["meta_http_request_id"], "rid-1");
    assert_eq!(newest["meta_source_ip"], "192.0.2.1");
    assert_eq!(newest["meta_user_agent"], "test");
    assert_eq!(newest["created_at"], newest["updated_at"]);
    assert!(newest.get("error").is_none());
    assert!(newest.get("actor_email").is_none());

    let created = admin.get("/audit_logs?type=user_created").await;
    assert_eq!(created.headers["x-total-count"], "1");
    assert_eq!(
        created.body[0]["actor_user_id"],
        signed_up.user.0.to_string()
    );
    let both = admin
        .get("/audit_logs?type=user_created&type=email_created&per_page=1")
        .await;
    assert_eq!(both.headers["x-total-count"], "2");
    assert_eq!(both.body.as_array().unwrap().len(), 1);

    let by_holder = admin.get("/audit_logs?actor_email=Grace@Example.com").await;
    assert_eq!(by_holder.headers["x-total-count"], "1");
    assert_eq!(by_holder.body[0]["type"], "email_created");
    // Addresses waiting for their passcode are nobody's yet.
    for unheld in ["frank@example.com", "grace@work.example"] {
        let none = admin
            .get(&format!("/audit_logs?actor_email={unheld}"))
            .await;
        assert_eq!(none.headers["x-total-count"], "0", "{unheld}");
    }
    let elsewhere = admin
        .get(&format!(
            "/audit_logs?actor_email=grace@example.com&actor_user_id={}",
            signed_up.user.0
        ))
        .await;
    assert_eq!(elsewhere.body, json!([]));
    let later = admin
        .get("/audit_logs?start_time=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(later.body, json!([]));

    for query in ["start_time=yesterday", "actor_email=grace", "per_page=many"] {
        let refused = admin.get(&format!("/audit_logs?{query}")).await;
        refusal(
            &refused,
            StatusCode::BAD_REQUEST,
            "unable to list audit logs",
        );
    }
}

#[tokio::test]
async fn a_tenant_without_the_public_api_has_no_such_routes() {
    let admin = Admin::new().await;
    let (plain, _) = fixtures::tenant("plain.example")
        .create(&admin.engine, None)
        .await;
    let user = Uuid::new_v4();
    let email = Uuid::new_v4();
    let routes = [
        (Method::GET, "/users".to_owned()),
        (Method::POST, "/users".to_owned()),
        (Method::GET, format!("/users/{user}")),
        (Method::DELETE, format!("/users/{user}")),
        (Method::DELETE, format!("/users/{user}/sessions")),
        (Method::GET, format!("/users/{user}/emails")),
        (Method::POST, format!("/users/{user}/emails")),
        (Method::GET, format!("/users/{user}/emails/{email}")),
        (Method::DELETE, format!("/users/{user}/emails/{email}")),
        (
            Method::POST,
            format!("/users/{user}/emails/{email}/set_primary"),
        ),
        (Method::GET, "/audit_logs".to_owned()),
    ];
    let body = json!({"address": "a@example.com", "emails": [{"address": "a@example.com", "is_primary": true}]});
    for tenant in [plain.id.0, Uuid::new_v4()] {
        for (method, path) in &routes {
            let answer = request(method.clone(), &format!("/tenants/{tenant}/hanko{path}"))
                .body(body.to_string())
                .send(&admin.app)
                .await;
            refusal(&answer, StatusCode::NOT_FOUND, "tenant not found");
        }
    }
    let bad = request(Method::GET, "/tenants/nope/hanko/users")
        .send(&admin.app)
        .await;
    refusal(
        &bad,
        StatusCode::BAD_REQUEST,
        "tenant_id must be a valid uuid4",
    );
    let bad = request(Method::GET, &format!("/tenants/nope/hanko/users/{user}"))
        .send(&admin.app)
        .await;
    refusal(
        &bad,
        StatusCode::BAD_REQUEST,
        "tenant_id must be a valid uuid4",
    );
}

#[tokio::test]
async fn the_admin_token_guards_these_routes_too() {
    let engine = Arc::new(fixtures::engine().await);
    let app = admin_router(
        engine,
        AdminOptions {
            token: Some("secret".to_owned()),
        },
        Metrics::default(),
    );
    let refused = request(
        Method::GET,
        &format!("/tenants/{}/hanko/users", Uuid::new_v4()),
    )
    .send(&app)
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}
