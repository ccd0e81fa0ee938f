//! Who made a request, for the audit log: request id, client address and user agent.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use latchkey_engine::ceremonies::RequestMeta;

use super::request_id::RequestId;

/// Extractor of the request's [`RequestMeta`].
#[derive(Debug, Clone)]
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(request_meta(parts)))
    }
}

/// The request's metadata; fields the request does not provide are empty.
pub fn request_meta(parts: &Parts) -> RequestMeta {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    RequestMeta {
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default(),
        source_ip: source_ip(&parts.headers, peer).unwrap_or_default(),
        user_agent: header_text(&parts.headers, USER_AGENT.as_str()).unwrap_or_default(),
    }
}

/// The client address as the original's echo `RealIP` finds it: the first `X-Forwarded-For`
/// hop, else `X-Real-Ip`, else the peer. The headers are trusted as the original trusts them;
/// the value only goes into the audit log.
fn source_ip(headers: &HeaderMap, peer: Option<String>) -> Option<String> {
    let forwarded = header_text(headers, "x-forwarded-for").and_then(|value| {
        value
            .split(',')
            .next()
            .map(|hop| hop.trim().to_owned())
            .filter(|hop| !hop.is_empty())
    });
    forwarded
        .or_else(|| header_text(headers, "x-real-ip").filter(|ip| !ip.is_empty()))
        .or(peer)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, Request};

    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().uri("/");
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_str(value).unwrap());
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 4711))));
        parts.extensions.insert(RequestId("rid".to_owned()));
        parts
    }

    #[test]
    fn forwarded_for_first_hop_wins() {
        let meta = request_meta(&parts(&[
            ("x-forwarded-for", " 203.0.113.1 , 10.0.0.1"),
            ("x-real-ip", "198.51.100.2"),
            ("user-agent", "test-agent/1.0"),
        ]));
        assert_eq!(
            meta,
            RequestMeta {
                request_id: "rid".to_owned(),
                source_ip: "203.0.113.1".to_owned(),
                user_agent: "test-agent/1.0".to_owned(),
            }
        );
    }

    #[test]
    fn real_ip_then_peer() {
        assert_eq!(
            request_meta(&parts(&[("x-real-ip", "198.51.100.2")])).source_ip,
            "198.51.100.2"
        );
        assert_eq!(request_meta(&parts(&[])).source_ip, "192.0.2.7");
    }
}
