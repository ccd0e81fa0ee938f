//! The document and the router agree: every documented operation reaches its handler, every
//! routed path is documented, and no method beyond the documented ones is served on them.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::{Extension, Router};
use latchkey_federation::Federation;
use latchkey_saml::MetadataCache;
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::request;
use serde_json::Value;
use uuid::Uuid;

use super::{document, foreign_shapes, foreign_shapes_json};
use crate::hanko_public::routes;
use crate::mail::Mailer;

/// An answer no route gives: the router's fallback in these tests.
const UNROUTED: StatusCode = StatusCode::IM_A_TEAPOT;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The API's routes for one tenant that serves it, with every handler able to answer 405 only
/// from the method fallback (account deletion is allowed), and [`UNROUTED`] for other paths.
async fn app() -> (Router, Uuid) {
    let engine = Arc::new(fixtures::engine().await);
    let (tenant, _) = fixtures::tenant("accounts.example")
        .tweak(|config| {
            config.hanko_public.enabled = true;
            config.hanko_public.account.allow_deletion = true;
        })
        .create(&engine, None)
        .await;
    let app = routes(Arc::clone(&engine), "/{tenant_id}")
        .fallback(|| async { UNROUTED })
        .layer(Extension(Mailer::new(None)))
        .layer(Extension(Arc::new(Federation::default())))
        .layer(Extension(Arc::new(MetadataCache::default())))
        .with_state(engine);
    (app, tenant.id.0)
}

/// `(method, path template)` of every documented operation.
fn documented() -> BTreeSet<(Method, String)> {
    let value = serde_json::to_value(document()).unwrap_or_default();
    let mut operations = BTreeSet::new();
    for (path, item) in value["paths"].as_object().cloned().unwrap_or_default() {
        for method in METHODS {
            if item.get(method.as_str().to_lowercase()).is_some() {
                operations.insert((method, path.clone()));
            }
        }
    }
    operations
}

fn concrete(template: &str, tenant: Uuid) -> String {
    template
        .replace("{tenant_id}", &tenant.to_string())
        .replace("{id}", &Uuid::new_v4().to_string())
}

async fn status_of(app: &Router, method: Method, path: &str) -> StatusCode {
    request(method, path)
        .header("content-type", "application/json")
        .body("{}")
        .send(app)
        .await
        .status
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let (app, tenant) = app().await;
    let operations = documented();
    assert!(operations.len() > 30, "{operations:?}");
    for (method, template) in operations {
        let status = status_of(&app, method.clone(), &concrete(&template, tenant)).await;
        assert_ne!(status, UNROUTED, "{method} {template} is not routed");
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {template} is routed without this method"
        );
    }
}

#[tokio::test]
async fn documented_paths_serve_no_other_method() {
    let (app, tenant) = app().await;
    let operations = documented();
    let paths: BTreeSet<&String> = operations.iter().map(|(_, path)| path).collect();
    for template in paths {
        for method in METHODS {
            if operations.contains(&(method.clone(), template.clone())) {
                continue;
            }
            let status = status_of(&app, method.clone(), &concrete(template, tenant)).await;
            assert_eq!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {template} is served but not documented"
            );
        }
    }
    let unknown = status_of(&app, Method::GET, &format!("/{tenant}/no/such/route")).await;
    assert_eq!(unknown, UNROUTED, "the fallback tells routed from unrouted");
}

/// The router's paths as routes.rs writes them (`&at("/path")`): a route added there without
/// its document entry fails here.
#[test]
fn every_routed_path_is_documented() {
    let source = include_str!("../routes.rs");
    let routed: BTreeSet<String> = source
        .split("&at(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|path| format!("/{{tenant_id}}{path}"))
        .collect();
    assert!(routed.len() > 25, "{routed:?}");
    let documented: BTreeSet<String> = documented().into_iter().map(|(_, path)| path).collect();
    assert_eq!(routed, documented);
}

#[test]
fn the_foreign_shapes_survive_utoipa_unchanged() {
    let parsed = foreign_shapes();
    let written = foreign_shapes_json();
    assert_eq!(parsed.len(), written.len(), "a shape failed to parse");
    for ((name, schema), (_, json)) in parsed.iter().zip(written) {
        let rendered: Value = serde_json::to_value(schema).unwrap_or_default();
        assert_eq!(rendered, json, "{name}");
    }
}

#[test]
fn every_operation_has_the_gates_answers_and_the_tenant_parameter() {
    let value = serde_json::to_value(document()).unwrap_or_default();
    for (path, item) in value["paths"].as_object().cloned().unwrap_or_default() {
        for (method, operation) in item.as_object().cloned().unwrap_or_default() {
            assert_eq!(
                operation["parameters"][0]["name"], "tenant_id",
                "{method} {path}"
            );
            for status in ["404", "500", "503"] {
                assert!(
                    operation["responses"].get(status).is_some(),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
}

#[test]
fn operation_ids_are_unique() {
    let value = serde_json::to_value(document()).unwrap_or_default();
    let mut seen = BTreeSet::new();
    for (path, item) in value["paths"].as_object().cloned().unwrap_or_default() {
        for (method, operation) in item.as_object().cloned().unwrap_or_default() {
            if let Some(id) = operation["operationId"].as_str() {
                assert!(seen.insert(id.to_owned()), "{method} {path}: {id} twice");
            }
        }
    }
}
