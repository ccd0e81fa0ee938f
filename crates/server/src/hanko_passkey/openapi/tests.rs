//! The document and the router describe the same API: every documented operation is routed,
//! every route is documented, and the documented field limits are the code's.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use latchkey_engine::ceremonies::MAX_TRANSACTION_ID_CHARS;
use latchkey_engine::credentials::MAX_CREDENTIAL_NAME_CHARS;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::request;
use serde_json::{Value, json};

use super::{assertion_credential, attestation_credential, document, jwks_schema};
use crate::hanko_passkey::public_router;
use crate::hanko_passkey::registration::MAX_NAME_CHARS;
use crate::metrics::Metrics;

/// The methods the tenant routes could serve.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

fn rendered() -> Value {
    serde_json::to_value(document()).unwrap_or_default()
}

/// Every documented path with the methods documented for it.
fn documented() -> Vec<(String, BTreeSet<String>)> {
    let paths = rendered()["paths"].as_object().cloned().unwrap_or_default();
    paths
        .into_iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .map(|operations| operations.keys().map(|m| m.to_uppercase()).collect())
                .unwrap_or_default();
            (path, methods)
        })
        .collect()
}

/// The router's answer to a path it has no route for (and to a method a path does not serve).
fn route_not_found() -> Value {
    json!({"title": "Not Found", "details": "", "status": 404})
}

struct Api {
    app: Router,
    tenant: String,
    key: String,
}

async fn api() -> Api {
    let engine = fixtures::engine().await;
    let (tenant, key) = fixtures::tenant("app.example")
        .create(&engine, Some("Initial API Key"))
        .await;
    Api {
        app: public_router(Arc::new(engine), Metrics::default(), None),
        tenant: tenant.id.0.to_string(),
        key: key.map(|key| key.secret).unwrap_or_default(),
    }
}

impl Api {
    /// The body of `method path`, with its parameters filled in with values of the right shape.
    async fn answer(&self, method: Method, path: &str) -> Value {
        let uri = path
            .replace("{tenant_id}", &self.tenant)
            .replace("{credential_id}", "AQIDBA")
            .replace("{user_id}", "6d0a1ae0-0bd4-4bd4-8a7c-6e1c5fbd9c0a");
        let call = request(method.clone(), &uri).header("apikey", &self.key);
        let call = if method == Method::GET || method == Method::DELETE {
            call
        } else {
            call.body("{}")
        };
        call.send(&self.app).await.body
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let api = api().await;
    let documented = documented();
    assert_eq!(documented.len(), 16, "{documented:?}");
    for (path, methods) in documented {
        for method in methods {
            let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::TRACE);
            let body = api.answer(method.clone(), &path).await;
            assert_ne!(body, route_not_found(), "{method} {path} is not routed");
        }
    }
}

#[tokio::test]
async fn methods_the_document_does_not_list_are_not_served() {
    let api = api().await;
    for (path, methods) in documented() {
        for method in METHODS {
            if methods.contains(method.as_str()) {
                continue;
            }
            let body = api.answer(method.clone(), &path).await;
            assert_eq!(
                body,
                route_not_found(),
                "{method} {path} is served undocumented"
            );
        }
    }
}

/// axum's router does not list its routes, so the paths are read from the source of
/// `tenant_routes`, where each is written once as a literal.
#[test]
fn every_route_is_documented() {
    let source = include_str!("../routes.rs");
    let start = source.find("fn tenant_routes").unwrap_or_default();
    let end = source[start..]
        .find(".fallback(")
        .map_or(source.len(), |at| start + at);
    let routed: BTreeSet<&str> = source[start..end]
        .split('"')
        .filter(|piece| piece.starts_with("/{tenant_id}/"))
        .collect();
    let documented: BTreeSet<String> = documented().into_iter().map(|(path, _)| path).collect();
    assert_eq!(routed.len(), 16, "{routed:?}");
    assert_eq!(
        routed,
        documented
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );
}

fn field(schema: &str, field: &str) -> Value {
    rendered()["components"]["schemas"][schema]["properties"][field].clone()
}

#[test]
fn documented_limits_are_the_codes() {
    assert_eq!(
        field("InitTransaction", "transaction_id")["maxLength"],
        json!(MAX_TRANSACTION_ID_CHARS)
    );
    assert_eq!(
        field("Rename", "name")["maxLength"],
        json!(MAX_CREDENTIAL_NAME_CHARS)
    );
    assert_eq!(
        field("InitRegistration", "username")["maxLength"],
        json!(MAX_NAME_CHARS)
    );
    assert_eq!(
        field("InitRegistration", "display_name")["maxLength"],
        json!(MAX_NAME_CHARS)
    );
}

#[test]
fn schemas_written_as_json_read() {
    for (name, schema) in [
        ("AttestationCredential", attestation_credential()),
        ("AssertionCredential", assertion_credential()),
        ("Jwks", jwks_schema()),
    ] {
        let value = serde_json::to_value(schema).unwrap_or_default();
        assert!(
            value["required"].as_array().is_some_and(|r| !r.is_empty()),
            "{name}: {value}"
        );
    }
}

#[test]
fn keyed_operations_name_the_api_key_and_the_rest_do_not() {
    let document = rendered();
    let mut public = Vec::new();
    for (path, item) in document["paths"].as_object().cloned().unwrap_or_default() {
        for (method, operation) in item.as_object().cloned().unwrap_or_default() {
            let security = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let keyed = security.contains(&json!({"apiKey": []}));
            let anonymous = security.contains(&json!({}));
            assert!(keyed || anonymous, "{method} {path}: {security:?}");
            if keyed {
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path}"
                );
            }
            if anonymous {
                public.push(format!("{method} {path}"));
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "get /{tenant_id}/.well-known/jwks.json",
            "post /{tenant_id}/login/finalize",
            "post /{tenant_id}/login/initialize",
            "post /{tenant_id}/registration/finalize",
        ]
    );
}
