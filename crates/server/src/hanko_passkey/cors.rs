//! Per-tenant CORS, decided the way the original's echo CORS middleware decides: allowed
//! origins from the tenant config, credentials allowed, preflights answered 204 with the
//! requested headers reflected and cached for two hours.

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_engine::model::CorsConfig;

const ALLOWED_METHODS: &str = "GET,HEAD,PUT,PATCH,POST,DELETE";
/// Chromium caps preflight caching at two hours.
const MAX_AGE_SECONDS: &str = "7200";
/// Longest origin tried against wildcard patterns (a domain name is at most 253 characters).
const MAX_PATTERN_ORIGIN: usize = 253 + 3 + 5;

/// What CORS adds to one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The request is a preflight: answer it here with 204 instead of routing it.
    pub preflight: bool,
    /// Headers to set (after `Vary`, which is appended).
    pub headers: Vec<(HeaderName, String)>,
    pub vary: Vec<HeaderName>,
}

/// Applies the tenant's CORS rules around `next`.
pub async fn apply(config: &CorsConfig, request: Request, next: Next) -> Response {
    let decision = decide(config, request.method(), request.headers());
    let mut response = if decision.preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    for name in decision.vary {
        headers.append(VARY, HeaderValue::from_name(name));
    }
    for (name, value) in decision.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The CORS answer to a request with this method and these headers. Every `OPTIONS` request
/// is a preflight, as in echo.
pub fn decide(config: &CorsConfig, method: &Method, request: &HeaderMap) -> Decision {
    let preflight = method == Method::OPTIONS;
    let mut decision = Decision {
        preflight,
        headers: Vec::new(),
        vary: vec![ORIGIN],
    };
    let origin = request
        .get(ORIGIN)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if origin.is_empty() {
        return decision;
    }
    let Some(allowed) = allowed_origin(config, origin) else {
        return decision;
    };
    decision
        .headers
        .push((ACCESS_CONTROL_ALLOW_ORIGIN, allowed));
    decision
        .headers
        .push((ACCESS_CONTROL_ALLOW_CREDENTIALS, "true".to_owned()));
    if !preflight {
        return decision;
    }
    decision.vary.push(ACCESS_CONTROL_REQUEST_METHOD);
    decision.vary.push(ACCESS_CONTROL_REQUEST_HEADERS);
    decision
        .headers
        .push((ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS.to_owned()));
    if let Some(requested) = request
        .get(ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
    {
        decision
            .headers
            .push((ACCESS_CONTROL_ALLOW_HEADERS, requested.to_owned()));
    }
    decision
        .headers
        .push((ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS.to_owned()));
    decision
}

/// The `Access-Control-Allow-Origin` value for `origin`, if the tenant allows it. A plain `*`
/// entry answers `*` (which browsers refuse together with credentials) unless the tenant set
/// `allow_unsafe_wildcard`, which reflects the origin instead. Entries with `*` or `?` are
/// patterns matched against the whole origin.
pub fn allowed_origin(config: &CorsConfig, origin: &str) -> Option<String> {
    for allowed in &config.allowed_origins {
        if allowed == "*" && config.allow_unsafe_wildcard {
            return Some(origin.to_owned());
        }
        if allowed == "*" || allowed == origin {
            return Some(allowed.clone());
        }
    }
    if origin.len() > MAX_PATTERN_ORIGIN || !origin.contains("://") {
        return None;
    }
    config
        .allowed_origins
        .iter()
        .any(|pattern| wildcard_match(pattern, origin))
        .then(|| origin.to_owned())
}

/// Glob match over characters: `*` is any run (including none), `?` any one character.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was and which text position it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || text.get(t) == Some(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str], unsafe_wildcard: bool) -> CorsConfig {
        CorsConfig {
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            allow_unsafe_wildcard: unsafe_wildcard,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    fn header<'a>(decision: &'a Decision, name: &HeaderName) -> Option<&'a str> {
        decision
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn allowed_origin_gets_credentials() {
        let decision = decide(
            &config(&["https://app.example"], false),
            &Method::POST,
            &headers(&[("origin", "https://app.example")]),
        );
        assert!(!decision.preflight);
        assert_eq!(
            header(&decision, &ACCESS_CONTROL_ALLOW_ORIGIN),
            Some("https://app.example")
        );
        assert_eq!(
            header(&decision, &ACCESS_CONTROL_ALLOW_CREDENTIALS),
            Some("true")
        );
        assert_eq!(header(&decision, &ACCESS_CONTROL_MAX_AGE), None);
        assert_eq!(decision.vary, vec![ORIGIN]);
    }

    #[test]
    fn other_origins_get_nothing() {
        let decision = decide(
            &config(&["https://app.example"], false),
            &Method::POST,
            &headers(&[("origin", "https://evil.example")]),
        );
        assert!(decision.headers.is_empty());
        let preflight = decide(
            &config(&["https://app.example"], false),
            &Method::OPTIONS,
            &headers(&[("origin", "https://evil.example")]),
        );
        assert!(preflight.preflight);
        assert!(preflight.headers.is_empty());
    }

    #[test]
    fn preflight_reflects_requested_headers() {
        let decision = decide(
            &config(&["https://app.example"], false),
            &Method::OPTIONS,
            &headers(&[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type,apikey"),
            ]),
        );
        assert!(decision.preflight);
        assert_eq!(
            header(&decision, &ACCESS_CONTROL_ALLOW_HEADERS),
            Some("content-type,apikey")
        );
        assert_eq!(
            header(&decision, &ACCESS_CONTROL_ALLOW_METHODS),
            Some(ALLOWED_METHODS)
        );
        assert_eq!(header(&decision, &ACCESS_CONTROL_MAX_AGE), Some("7200"));
        assert_eq!(
            decision.vary,
            vec![
                ORIGIN,
                ACCESS_CONTROL_REQUEST_METHOD,
                ACCESS_CONTROL_REQUEST_HEADERS
            ]
        );
    }

    #[test]
    fn wildcard_is_literal_unless_unsafe() {
        assert_eq!(
            allowed_origin(&config(&["*"], false), "https://x.example").as_deref(),
            Some("*")
        );
        assert_eq!(
            allowed_origin(&config(&["*"], true), "https://x.example").as_deref(),
            Some("https://x.example")
        );
    }

    #[test]
    fn patterns_match_whole_origins() {
        let tenant = config(&["https://*.example.com", "http://localhost:300?"], false);
        assert_eq!(
            allowed_origin(&tenant, "https://a.b.example.com").as_deref(),
            Some("https://a.b.example.com")
        );
        assert_eq!(allowed_origin(&tenant, "https://example.com"), None);
        assert_eq!(allowed_origin(&tenant, "https://a.example.com.evil"), None);
        assert!(allowed_origin(&tenant, "http://localhost:3001").is_some());
        assert_eq!(allowed_origin(&tenant, "http://localhost:30011"), None);
    }

    #[test]
    fn glob() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
    }
}
