//! `X-Request-Id` on every response: the caller's id when it sent a sane one, else a fresh one.
//! The same id goes into the audit log, so a client can find its request there.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming id that is echoed; longer ones are replaced, not truncated.
const MAX_LEN: usize = 64;

/// The id of the current request, in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Middleware: picks the id, stores it in the request and sets it on the response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_sane(value))
        .map_or_else(generate, str::to_owned);
    let header = HeaderValue::from_str(&id);
    request.extensions_mut().insert(RequestId(id));
    let mut response = next.run(request).await;
    if let Ok(header) = header {
        response.headers_mut().insert(REQUEST_ID, header);
    }
    response
}

/// An id the server can repeat in headers and logs without escaping.
fn is_sane(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// 32 random characters, the length of the original's ids.
fn generate() -> String {
    Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_visible_ascii() {
        assert!(is_sane("abc-123_XYZ"));
        assert!(is_sane(&"a".repeat(64)));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(65)));
        assert!(!is_sane("with space"));
        assert!(!is_sane("tab\there"));
        assert!(!is_sane("ünïcode"));
    }

    #[test]
    fn generated_ids_have_32_characters() {
        let id = generate();
        assert_eq!(id.len(), 32);
        assert!(is_sane(&id));
    }
}
