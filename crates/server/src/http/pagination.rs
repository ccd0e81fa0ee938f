//! Paged listings: `page`/`per_page` query parameters and the `X-Total-Count` and `Link`
//! response headers, built the way the original's `pagination.CreateHeader` builds them, and
//! the one way every listing answers a page.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::header::{HOST, HeaderName, LINK};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use latchkey_engine::{Page, Paged};
use serde::Serialize;

pub const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

pub const DEFAULT_PAGE: u32 = 1;
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Largest page served. The original has no limit; one request for a billion rows would make
/// the server read and hold them all, so larger requests get pages of this size (and `Link`
/// headers that say so).
pub const MAX_PER_PAGE: u32 = 1000;

/// The requested page; both numbers are at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    pub page: u32,
    pub per_page: u32,
}

impl PageParams {
    /// Reads `page` and `per_page` from query pairs (the first of repeated values counts).
    /// Missing, empty, zero or negative values take the defaults; `Err` names a value that is
    /// not an integer.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Self, String> {
        Ok(Self {
            page: number(pairs, "page", DEFAULT_PAGE)?,
            per_page: number(pairs, "per_page", DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE),
        })
    }
}

fn number(pairs: &[(String, String)], key: &str, default: u32) -> Result<u32, String> {
    let Some(value) = first_value(pairs, key) else {
        return Ok(default);
    };
    let parsed: i64 = value
        .parse()
        .map_err(|_| format!("{key} must be an integer"))?;
    if parsed <= 0 {
        Ok(default)
    } else {
        Ok(u32::try_from(parsed).unwrap_or(u32::MAX))
    }
}

/// The first non-empty value of `key` among query pairs, as echo's query binding reads it.
pub fn first_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
}

/// The decoded query pairs of `uri`, in order.
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The absolute URL of the request as its client addressed it, for `Link` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUrl {
    /// `scheme://host`.
    pub origin: String,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers, &parts.uri))
    }
}

impl RequestUrl {
    pub fn of(headers: &HeaderMap, uri: &Uri) -> Self {
        let host = headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| uri.authority().map(|authority| authority.to_string()))
            .unwrap_or_default();
        Self {
            origin: format!("{}://{host}", scheme(headers)),
            path: uri.path().to_owned(),
            query: query_pairs(uri),
        }
    }

    /// This URL with `page` and `per_page` replaced and the query keys sorted.
    fn with_page(&self, page: u32, per_page: u32) -> String {
        let mut query: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (key, value) in &self.query {
            query.entry(key).or_default().push(value.clone());
        }
        query.insert("page", vec![page.to_string()]);
        query.insert("per_page", vec![per_page.to_string()]);
        let encoded: Vec<String> = query
            .iter()
            .flat_map(|(key, values)| {
                values
                    .iter()
                    .map(move |value| format!("{}={}", escape(key), escape(value)))
            })
            .collect();
        format!("{}{}?{}", self.origin, self.path, encoded.join("&"))
    }
}

/// The scheme a proxy says the client used, as echo's `Context.Scheme` reads it; plain HTTP
/// otherwise (latchkey itself does not terminate TLS).
fn scheme(headers: &HeaderMap) -> &'static str {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let named = header("x-forwarded-proto")
        .or_else(|| header("x-forwarded-protocol"))
        .or_else(|| header("x-url-scheme"));
    match named {
        Some(value) if value.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        None if header("x-forwarded-ssl") == Some("on") => "https",
        None => "http",
    }
}

/// Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`, the rest `%XX`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The `Link` value: `first`, `last`, `next`, `prev` entries by the original's rules, joined
/// with `,`.
pub fn link_header(url: &RequestUrl, params: PageParams, total: u64) -> String {
    let PageParams { page, per_page } = params;
    let last = u32::try_from(total.div_ceil(u64::from(per_page)))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut links = Vec::new();
    let mut link = |rel: &str, target: u32| {
        links.push(format!(
            "<{}>; rel=\"{rel}\"",
            url.with_page(target, per_page)
        ));
    };
    if page != 1 || page == last {
        link("first", 1);
    }
    if page != last {
        link("last", last);
    }
    if page < last {
        link("next", page.saturating_add(1));
    }
    if page > 1 {
        link("prev", page - 1);
    }
    links.join(",")
}

/// `X-Total-Count` and `Link` for a page of a listing of `total` items.
pub fn headers(url: &RequestUrl, params: PageParams, total: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(TOTAL_COUNT, HeaderValue::from(total));
    // A Host header that cannot be repeated in a header value costs the client its links only.
    if let Ok(link) = HeaderValue::from_str(&link_header(url, params, total)) {
        headers.insert(LINK, link);
    }
    headers
}

/// Answers one page of a listing: `fetch` gets the engine's [`Page`] for `params` in the given
/// order, and what it lists goes out as a JSON array of `D` with `X-Total-Count` and `Link`.
/// Reading the parameters stays with each listing, which words its own refusal.
pub async fn page_response<T, D, E, F, Fut>(
    url: &RequestUrl,
    params: PageParams,
    descending: bool,
    fetch: F,
) -> Result<Response, E>
where
    D: Serialize + From<T>,
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = Result<Paged<T>, E>>,
{
    let page = Page {
        number: params.page,
        per_page: params.per_page,
        descending,
    };
    let listed = fetch(page).await?;
    let items: Vec<D> = listed.items.into_iter().map(D::from).collect();
    Ok((headers(url, params, listed.total), Json(items)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(uri: &str) -> RequestUrl {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("passkeys.example"));
        RequestUrl::of(&headers, &uri.parse().unwrap())
    }

    fn params(page: u32, per_page: u32) -> PageParams {
        PageParams { page, per_page }
    }

    #[test]
    fn per_page_is_capped() {
        let pairs = vec![("per_page".to_owned(), "1000000000".to_owned())];
        assert_eq!(
            PageParams::from_pairs(&pairs).unwrap(),
            params(1, MAX_PER_PAGE)
        );
    }

    #[test]
    fn single_page_has_only_first() {
        assert_eq!(
            link_header(&url("/t/credentials"), params(1, 20), 3),
            r#"<http://passkeys.example/t/credentials?page=1&per_page=20>; rel="first""#
        );
        assert_eq!(
            link_header(&url("/t/credentials"), params(1, 20), 0),
            r#"<http://passkeys.example/t/credentials?page=1&per_page=20>; rel="first""#
        );
    }

    #[test]
    fn first_page_of_many_has_last_and_next() {
        assert_eq!(
            link_header(&url("/t/credentials?user_id=u1"), params(1, 2), 5),
            concat!(
                r#"<http://passkeys.example/t/credentials?page=3&per_page=2&user_id=u1>; rel="last","#,
                r#"<http://passkeys.example/t/credentials?page=2&per_page=2&user_id=u1>; rel="next""#
            )
        );
    }

    #[test]
    fn middle_page_has_all_four_in_order() {
        assert_eq!(
            link_header(
                &url("/t/audit_logs?page=2&per_page=2&type=b&type=a"),
                params(2, 2),
                5
            ),
            concat!(
                r#"<http://passkeys.example/t/audit_logs?page=1&per_page=2&type=b&type=a>; rel="first","#,
                r#"<http://passkeys.example/t/audit_logs?page=3&per_page=2&type=b&type=a>; rel="last","#,
                r#"<http://passkeys.example/t/audit_logs?page=3&per_page=2&type=b&type=a>; rel="next","#,
                r#"<http://passkeys.example/t/audit_logs?page=1&per_page=2&type=b&type=a>; rel="prev""#
            )
        );
    }

    #[test]
    fn last_page_has_first_and_prev() {
        assert_eq!(
            link_header(&url("/t/c?page=3"), params(3, 2), 5),
            concat!(
                r#"<http://passkeys.example/t/c?page=1&per_page=2>; rel="first","#,
                r#"<http://passkeys.example/t/c?page=2&per_page=2>; rel="prev""#
            )
        );
    }

    #[test]
    fn page_past_the_end_points_back() {
        assert_eq!(
            link_header(&url("/t/c"), params(5, 2), 3),
            concat!(
                r#"<http://passkeys.example/t/c?page=1&per_page=2>; rel="first","#,
                r#"<http://passkeys.example/t/c?page=2&per_page=2>; rel="last","#,
                r#"<http://passkeys.example/t/c?page=4&per_page=2>; rel="prev""#
            )
        );
    }

    #[test]
    fn query_values_are_escaped_like_go() {
        assert_eq!(
            url("/t/c?q=a+b%2Fc~*").with_page(1, 20),
            "http://passkeys.example/t/c?page=1&per_page=20&q=a+b%2Fc~%2A"
        );
    }

    #[test]
    fn forwarded_scheme_is_used() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("h"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(
            RequestUrl::of(&headers, &"/x".parse().unwrap()).origin,
            "https://h"
        );
    }

    #[test]
    fn page_params_defaults() {
        let pairs = |query: &str| query_pairs(&format!("/x?{query}").parse().unwrap());
        assert_eq!(PageParams::from_pairs(&pairs("")), Ok(params(1, 20)));
        assert_eq!(
            PageParams::from_pairs(&pairs("page=0&per_page=-5")),
            Ok(params(1, 20))
        );
        assert_eq!(
            PageParams::from_pairs(&pairs("page=3&per_page=7")),
            Ok(params(3, 7))
        );
        assert_eq!(
            PageParams::from_pairs(&pairs("page=abc")),
            Err("page must be an integer".to_owned())
        );
    }

    #[tokio::test]
    async fn page_response_asks_for_the_page_and_answers_it() {
        #[derive(Serialize)]
        struct Item(u32);
        impl From<u32> for Item {
            fn from(n: u32) -> Self {
                Self(n * 10)
            }
        }
        let response = page_response::<_, Item, (), _, _>(
            &url("/t/c?page=2&per_page=2"),
            params(2, 2),
            false,
            |page| async move {
                assert_eq!(
                    page,
                    Page {
                        number: 2,
                        per_page: 2,
                        descending: false
                    }
                );
                Ok(Paged {
                    items: vec![3, 4],
                    total: 5,
                })
            },
        )
        .await
        .unwrap();
        assert_eq!(response.headers()[TOTAL_COUNT], "5");
        assert!(
            response.headers()[LINK]
                .to_str()
                .unwrap()
                .contains("rel=\"next\"")
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], b"[30,40]");
    }

    #[test]
    fn headers_carry_total() {
        let headers = headers(&url("/t/c"), params(1, 20), 42);
        assert_eq!(headers[TOTAL_COUNT], "42");
        assert!(headers.contains_key(LINK));
    }
}
