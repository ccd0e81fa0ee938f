//! The document and the router describe the same API: every documented operation reaches a
//! handler, every other method on a documented path is refused as the router refuses it, and
//! every route the router declares is documented.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::{Answer, request};

use super::document;
use crate::admin::{AdminOptions, admin_router};
use crate::metrics::Metrics;

/// Documented paths with the methods documented for each.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let document = serde_json::to_value(document()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| {
                    METHODS
                        .iter()
                        .any(|method| method.as_str().eq_ignore_ascii_case(key))
                })
                .map(|key| key.to_ascii_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
];

/// A concrete request path for a templated one: ids are the nil UUID, the document is this one.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{document}" => "admin.json",
            segment if segment.starts_with('{') => "00000000-0000-0000-0000-000000000000",
            segment => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn router() -> Router {
    admin_router(
        Arc::new(fixtures::engine().await),
        AdminOptions::default(),
        Metrics::default(),
    )
}

/// Whether the answer is one of the router's own fallbacks rather than a handler's.
fn fallback(answer: &Answer) -> Option<StatusCode> {
    let title = answer.body["title"].as_str();
    match (answer.status, title) {
        (StatusCode::NOT_FOUND, Some("Not Found"))
        | (StatusCode::METHOD_NOT_ALLOWED, Some("Method Not Allowed")) => Some(answer.status),
        _ => None,
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_no_other_method_is() {
    let app = router().await;
    let documented = documented();
    assert!(documented.len() > 20, "{documented:?}");
    for (path, methods) in &documented {
        let uri = concrete(path);
        for method in METHODS {
            let answer = request(method.clone(), &uri).send(&app).await;
            if methods.contains(method.as_str()) {
                assert_eq!(
                    fallback(&answer),
                    None,
                    "{method} {path} is documented but not routed: {}",
                    answer.text
                );
            } else {
                assert_eq!(
                    fallback(&answer),
                    Some(StatusCode::METHOD_NOT_ALLOWED),
                    "{method} {path} is routed but not documented: {} {}",
                    answer.status,
                    answer.text
                );
            }
        }
    }
}

/// The paths the router declares, read from its source: `axum::Router` does not list its
/// routes, and every admin route is declared with `.route("…", …)` in `admin_router`.
fn routed_paths() -> BTreeSet<String> {
    let source = include_str!("../mod.rs");
    source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find('"')? + 1;
            let length = rest.get(start..)?.find('"')?;
            rest.get(start..start + length).map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_route_of_the_router_is_documented() {
    let routed = routed_paths();
    assert!(routed.contains("/tenants/{tenant_id}/config"), "{routed:?}");
    let documented: BTreeSet<String> = documented().into_keys().collect();
    let undocumented: Vec<&String> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not documented: {undocumented:?}"
    );
    let unrouted: Vec<&String> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
}

#[test]
fn protected_operations_need_the_bearer_token_and_health_does_not() {
    let document = serde_json::to_value(document()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"][0].get("bearerAuth").is_some();
            let protected = path == "/metrics" || path.starts_with("/tenants");
            assert_eq!(secured, protected, "{method} {path}");
            assert_eq!(
                operation["responses"].get("401").is_some(),
                protected,
                "{method} {path}"
            );
        }
    }
}
