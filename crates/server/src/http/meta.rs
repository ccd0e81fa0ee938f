//! Who made a request, for the audit log and the rate limits: request id, client address and
//! user agent.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{HOST, USER_AGENT};
use axum::http::request::Parts;
use ipnet::IpNet;
use latchkey_engine::RequestMeta;

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

/// The proxies whose `X-Forwarded-For` and `X-Real-Ip` headers name the client, as a request
/// extension. Without it, or when the peer is not one of them, the peer is the client: anyone
/// can send those headers, and the address they name is what the audit log records and the
/// rate limits count.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self(networks.into_iter().collect())
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }
}

/// The request's metadata; fields the request does not provide are empty.
pub fn request_meta(parts: &Parts) -> RequestMeta {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let proxies = parts.extensions.get::<TrustedProxies>();
    RequestMeta {
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default(),
        source_ip: peer
            .map(|peer| client_address(&parts.headers, peer, proxies).to_string())
            .unwrap_or_default(),
        user_agent: header_text(&parts.headers, USER_AGENT.as_str()).unwrap_or_default(),
    }
}

/// The client: walking `X-Forwarded-For` from the nearest hop back, the first address that is
/// not a trusted proxy; if every hop is trusted, `X-Real-Ip`; else the last trusted hop. Hops
/// the peer did not vouch for are never read, and a hop that is not an address ends the walk.
fn client_address(headers: &HeaderMap, peer: IpAddr, proxies: Option<&TrustedProxies>) -> IpAddr {
    let Some(proxies) = proxies.filter(|proxies| proxies.trusts(peer)) else {
        return peer;
    };
    let mut nearest = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(hop) = hop.trim().parse::<IpAddr>() else {
            return nearest;
        };
        if !proxies.trusts(hop) {
            return hop.to_canonical();
        }
        nearest = hop.to_canonical();
    }
    header_text(headers, "x-real-ip")
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .map_or(nearest, |ip| ip.to_canonical())
}

/// The host the client addressed: the last `X-Forwarded-Host` entry when the peer is a trusted
/// proxy (the one that proxy wrote; entries before it came from further away), else `Host`,
/// else the URI's authority (HTTP/2). Lower-cased; `None` when the request names none.
pub fn request_host(parts: &Parts) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let proxied = peer.is_some_and(|peer| {
        parts
            .extensions
            .get::<TrustedProxies>()
            .is_some_and(|proxies| proxies.trusts(peer))
    });
    let forwarded = proxied
        .then(|| header_text(&parts.headers, "x-forwarded-host"))
        .flatten()
        .and_then(|value| value.rsplit(',').next().map(|host| host.trim().to_owned()));
    forwarded
        .or_else(|| header_text(&parts.headers, HOST.as_str()))
        .or_else(|| parts.uri.authority().map(|authority| authority.to_string()))
        .filter(|host| !host.is_empty())
        .map(|host| host.to_ascii_lowercase())
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

    fn parts(headers: &[(&str, &str)], proxies: Option<&[&str]>) -> Parts {
        let mut builder = Request::builder().uri("/");
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_str(value).unwrap());
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 4711))));
        parts.extensions.insert(RequestId("rid".to_owned()));
        if let Some(proxies) = proxies {
            parts.extensions.insert(TrustedProxies::new(
                proxies.iter().map(|net| net.parse::<IpNet>().unwrap()),
            ));
        }
        parts
    }

    const FORWARDED: [(&str, &str); 3] = [
        ("x-forwarded-for", " 203.0.113.1 , 10.0.0.1"),
        ("x-real-ip", "198.51.100.2"),
        ("user-agent", "test-agent/1.0"),
    ];

    #[test]
    fn the_host_is_forwarded_only_by_a_trusted_proxy() {
        let headers = [
            ("host", "Internal.Example:8080"),
            ("x-forwarded-host", "forged.example, Login.Example"),
        ];
        assert_eq!(
            request_host(&parts(&headers, None)).as_deref(),
            Some("internal.example:8080")
        );
        assert_eq!(
            request_host(&parts(&headers, Some(&["10.0.0.0/8"]))).as_deref(),
            Some("internal.example:8080")
        );
        assert_eq!(
            request_host(&parts(&headers, Some(&["192.0.2.0/24"]))).as_deref(),
            Some("login.example")
        );
        assert_eq!(request_host(&parts(&[], None)), None);
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let meta = request_meta(&parts(&FORWARDED, None));
        assert_eq!(
            meta,
            RequestMeta {
                request_id: "rid".to_owned(),
                source_ip: "192.0.2.7".to_owned(),
                user_agent: "test-agent/1.0".to_owned(),
            }
        );
        let untrusted = request_meta(&parts(&FORWARDED, Some(&["10.0.0.0/8"])));
        assert_eq!(untrusted.source_ip, "192.0.2.7");
    }

    #[test]
    fn a_trusted_peer_names_the_first_untrusted_hop_from_the_right() {
        let proxies = Some(&["192.0.2.0/24", "10.0.0.0/8"][..]);
        assert_eq!(
            request_meta(&parts(&FORWARDED, proxies)).source_ip,
            "203.0.113.1"
        );
        let forged = [("x-forwarded-for", "1.2.3.4, 203.0.113.9")];
        assert_eq!(
            request_meta(&parts(&forged, proxies)).source_ip,
            "203.0.113.9"
        );
        let garbage = [("x-forwarded-for", "203.0.113.9, <script>, 10.0.0.1")];
        assert_eq!(
            request_meta(&parts(&garbage, proxies)).source_ip,
            "10.0.0.1"
        );
    }

    #[test]
    fn real_ip_when_every_hop_is_trusted() {
        let proxies = Some(&["192.0.2.7/32"][..]);
        assert_eq!(
            request_meta(&parts(&[("x-real-ip", "198.51.100.2")], proxies)).source_ip,
            "198.51.100.2"
        );
        assert_eq!(request_meta(&parts(&[], proxies)).source_ip, "192.0.2.7");
    }
}
