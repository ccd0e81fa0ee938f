//! Drives an `axum::Router` in-process, one request at a time, and reads back status, headers
//! and body. Generic over the router, so the dialects' tests share it without this crate
//! depending on the server.

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::request::Builder;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The host every request names, as a client reaching the server by name would.
pub const HOST_NAME: &str = "passkeys.example";

/// A request being put together.
#[derive(Debug)]
pub struct Call {
    request: Builder,
    body: Option<Vec<u8>>,
}

/// `method uri` to `Host: passkeys.example`.
pub fn request(method: Method, uri: &str) -> Call {
    Call {
        request: Request::builder()
            .method(method)
            .uri(uri)
            .header(HOST, HOST_NAME),
        body: None,
    }
}

impl Call {
    /// Adds a header; a name given twice is sent twice.
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.request = self.request.header(name, value.as_ref());
        self
    }

    /// Adds each of `headers`, in order.
    pub fn headers<V: AsRef<str>>(self, headers: &[(&str, V)]) -> Self {
        headers
            .iter()
            .fold(self, |call, (name, value)| call.header(name, value))
    }

    /// The body, framed as a client does: with its length, and as JSON unless a content type
    /// was given.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// [`Call::body`] when there is one.
    pub fn body_if(self, body: Option<impl Into<Vec<u8>>>) -> Self {
        match body {
            Some(body) => self.body(body),
            None => self,
        }
    }

    /// Sends the request to `app` and reads the whole answer.
    pub async fn send(self, app: &Router) -> Answer {
        let mut request = self.request;
        let request = match self.body {
            Some(body) => {
                let typed = request
                    .headers_ref()
                    .is_some_and(|headers| headers.contains_key(CONTENT_TYPE));
                if !typed {
                    request = request.header(CONTENT_TYPE, "application/json");
                }
                request
                    .header(CONTENT_LENGTH, body.len())
                    .body(Body::from(body))
            }
            None => request.body(Body::empty()),
        };
        let response = app.clone().oneshot(request.unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }
}

/// What the app answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as JSON, or `null` when it is not JSON.
    pub body: Value,
    pub text: String,
}
