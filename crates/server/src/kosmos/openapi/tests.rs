//! The document and the router describe the same API: every documented operation reaches a
//! handler of the real router, and every route `routes.rs` declares is documented.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use latchkey_testkit::fixtures;
use latchkey_testkit::harness::request;

use super::document;
use crate::app::public_app;
use crate::http::meta::TrustedProxies;
use crate::mail::Mailer;
use crate::metrics::Metrics;

/// Every (method, path) of the document, paths as written there.
fn documented() -> BTreeSet<(String, String)> {
    let document = serde_json::to_value(document()).unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    operations
}

/// Every (method, path) `routes.rs` declares, `/webauthn` prefixed: each `.route("path",
/// method(handler))` but the catch-all.
fn declared() -> BTreeSet<(String, String)> {
    let source = include_str!("../routes.rs");
    let mut routes = BTreeSet::new();
    for declaration in source.split(".route(").skip(1) {
        let mut quoted = declaration.split('"');
        let (Some(_), Some(path)) = (quoted.next(), quoted.next()) else {
            continue;
        };
        let method = quoted
            .next()
            .unwrap_or_default()
            .trim_start_matches([',', ' ', '\n'])
            .split('(')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if method != "ANY" {
            routes.insert((method, format!("/webauthn{path}")));
        }
    }
    routes
}

#[test]
fn every_declared_route_is_documented_and_nothing_else() {
    let declared = declared();
    assert_eq!(declared.len(), 21, "{declared:#?}");
    assert_eq!(documented(), declared);
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = public_app(
        Arc::new(fixtures::engine().await),
        Metrics::default(),
        TrustedProxies::default(),
        Mailer::new(None),
        None,
    );
    for (method, path) in documented() {
        let uri = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "p"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let answer = request(Method::from_bytes(method.as_bytes()).unwrap(), &uri)
            .send(&app)
            .await;
        // The router's fallbacks answer exactly these; a handler's 404 names what is unknown.
        let fallback = (answer.status == StatusCode::NOT_FOUND
            && answer.body["errorMessage"] == "not found")
            || answer.status == StatusCode::METHOD_NOT_ALLOWED;
        assert!(
            !fallback,
            "{method} {uri}: {} {}",
            answer.status, answer.text
        );
    }
}
