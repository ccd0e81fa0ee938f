//! Request bodies: read with a size limit, an absent body read as `{}` (the Hanko JS SDK posts
//! `login/initialize` without one), a body that is not a JSON object refused, and every failure
//! reported as a [`Rejection`] that the endpoint's dialect answers in its own shape (the `E` of
//! each extractor) instead of axum's plain-text rejections. Bodies read into a
//! type follow the binding rules of the Go server Hanko clients were written against: they must
//! be sent as JSON, and `null` reads as `{}`.

use std::marker::PhantomData;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::IntoResponse;
use http_body_util::LengthLimitError;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use super::error::Rejection;
use super::keep_alive::{BodyRead, has_body};
use super::validate::Validate;

/// Largest accepted request body. WebAuthn responses are a few KiB; attestation certificate
/// chains stay well below this.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The raw body, for endpoints that hand JSON to the engine unparsed; refused as the error `E`.
#[derive(Debug, Clone)]
pub struct RawJson<E>(pub Bytes, pub PhantomData<fn() -> E>);

/// A JSON body read into `T` and checked by [`Validate`]; a broken rule is
/// [`Rejection::Invalid`].
#[derive(Debug, Clone)]
pub struct ValidJson<T, E>(pub T, pub PhantomData<fn() -> E>);

impl<S: Send + Sync, E: From<Rejection> + IntoResponse> FromRequest<S> for RawJson<E> {
    type Rejection = E;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_request_body(request, BODY_LIMIT).await?;
        Ok(Self(bytes, PhantomData))
    }
}

/// Reads the body of `request`, at most `limit` bytes (refused up front when the declared
/// length is larger); an empty body reads as `{}`.
pub async fn read_request_body(request: Request, limit: usize) -> Result<Bytes, Rejection> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Rejection::TooLarge);
    }
    let read = request.extensions().get::<BodyRead>().cloned();
    let body = read_body_up_to(request.into_body(), limit).await?;
    if let Some(read) = read {
        read.record();
    }
    Ok(body)
}

impl<S, T, E> FromRequest<S> for ValidJson<T, E>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
    E: From<Rejection> + IntoResponse,
{
    type Rejection = E;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_declared_json(request).await?;
        Ok(Self(valid_body(&bytes)?, PhantomData))
    }
}

/// The body of `request`; one that is not declared as JSON is [`Rejection::Unreadable`].
async fn read_declared_json(request: Request) -> Result<Bytes, Rejection> {
    let declared_json = !has_body(request.headers()) || declares_json(request.headers());
    // Read even a body that is refused, so that the connection stays usable.
    let bytes = read_request_body(request, BODY_LIMIT).await?;
    if !declared_json {
        return Err(Rejection::Unreadable("Unsupported Media Type".to_owned()));
    }
    Ok(bytes)
}

/// A JSON body as [`ValidJson`] reads it: into `T` (`null` as `{}`), then checked by
/// [`Validate`]. A body that does not fit `T` is [`Rejection::Unreadable`], a broken rule
/// [`Rejection::Invalid`].
pub fn valid_body<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, Rejection> {
    let value: T = body_value(bytes)?;
    value.validate().map_err(Rejection::Invalid)?;
    Ok(value)
}

fn body_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    if bytes.trim_ascii() == b"null" {
        return parse(b"{}");
    }
    parse(bytes)
}

/// Whether the request says its body is JSON. Like echo's binder, any `application/json...` type
/// counts (its parameters, such as `charset`, do not matter).
fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .get(..JSON.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(JSON))
        })
}

const JSON: &str = "application/json";

async fn read_body_up_to(body: Body, limit: usize) -> Result<Bytes, Rejection> {
    let bytes = to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        if error.is::<LengthLimitError>() {
            Rejection::TooLarge
        } else {
            Rejection::Unreadable(error.to_string())
        }
    })?;
    if bytes.is_empty() {
        Ok(Bytes::from_static(b"{}"))
    } else {
        Ok(bytes)
    }
}

/// Parses a JSON object into `T`; a mismatch is [`Rejection::Unreadable`].
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    from_object(bytes).map_err(Rejection::Unreadable)
}

/// Reads a JSON object into `T`; `Err` says why not. serde would also read a struct from an
/// array of its fields in order (and `[]` as all defaults), which Go's decoder, binding into a
/// struct, refuses; so anything but an object is refused before serde sees it (`null` too:
/// [`valid_body`] reads it as `{}` before it gets here, as Go's binder does).
pub fn from_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let first = bytes
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err("the body must be a JSON object".to_owned());
    }
    serde_json::from_slice(bytes).map_err(|error| error.to_string())
}

/// For `#[serde(default, deserialize_with = "null_as_empty")]` on string fields: JSON `null`
/// reads as `""`, as a Go `string` field reads it, so that it fails the field's `required`
/// rule instead of the body's shape.
pub fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::Response;
    use serde::Deserialize;

    use super::*;

    /// A dialect's error, as far as these tests care: the rejection itself.
    #[derive(Debug)]
    struct Refused(Rejection);

    impl From<Rejection> for Refused {
        fn from(rejection: Rejection) -> Self {
            Self(rejection)
        }
    }

    impl IntoResponse for Refused {
        fn into_response(self) -> Response {
            StatusCode::BAD_REQUEST.into_response()
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Dto {
        #[serde(default)]
        user_id: Option<String>,
    }

    impl Validate for Dto {
        fn validate(&self) -> Result<(), String> {
            let mut violations = super::super::validate::Violations::default();
            violations.required("user_id", self.user_id.as_deref().unwrap_or_default());
            violations.finish()
        }
    }

    /// A body read as [`ValidJson`] reads it, before its rules are checked.
    async fn read_json<T: DeserializeOwned>(request: Request) -> Result<T, Rejection> {
        body_value(&read_declared_json(request).await?)
    }

    fn request(body: impl Into<Body>) -> Request {
        Request::builder()
            .uri("/")
            .header(CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap()
    }

    #[tokio::test]
    async fn empty_body_reads_as_empty_object() {
        let dto: Dto = read_json(request(Body::empty())).await.unwrap();
        assert_eq!(dto, Dto { user_id: None });
    }

    #[tokio::test]
    async fn a_request_without_a_body_needs_no_content_type() {
        for length in [None, Some("0")] {
            let mut builder = Request::builder().uri("/");
            if let Some(length) = length {
                builder = builder.header(CONTENT_LENGTH, length);
            }
            let request = builder.body(Body::empty()).unwrap();
            let dto: Dto = read_json(request).await.unwrap();
            assert_eq!(dto, Dto { user_id: None });
        }
    }

    #[tokio::test]
    async fn wrong_types_are_unprocessable() {
        let error = read_json::<Dto>(request(r#"{"user_id": 5}"#))
            .await
            .unwrap_err();
        assert!(matches!(error, Rejection::Unreadable(reason) if !reason.is_empty()));
    }

    #[tokio::test]
    async fn only_objects_are_bodies() {
        for body in ["[]", r#"["u1"]"#, "\"{}\"", "1"] {
            let error = read_json::<Dto>(request(body)).await.unwrap_err();
            assert!(matches!(error, Rejection::Unreadable(_)), "{body}");
        }
        let dto: Dto = read_json(request(" \n{\"user_id\":\"u1\"}")).await.unwrap();
        assert_eq!(dto.user_id.as_deref(), Some("u1"));
    }

    #[tokio::test]
    async fn null_reads_as_an_empty_object() {
        let dto: Dto = read_json(request(" null\n")).await.unwrap();
        assert_eq!(dto, Dto { user_id: None });
    }

    #[tokio::test]
    async fn bodies_must_be_declared_as_json() {
        let typed = |content_type: &'static str| {
            let body = r#"{"user_id":"u1"}"#;
            Request::builder()
                .uri("/")
                .header(CONTENT_TYPE, content_type)
                .header(CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .unwrap()
        };
        for content_type in ["text/plain", "text/plain;charset=UTF-8", "application/xml"] {
            let error = read_json::<Dto>(typed(content_type)).await.unwrap_err();
            assert_eq!(
                error,
                Rejection::Unreadable("Unsupported Media Type".to_owned()),
                "{content_type}"
            );
        }
        for content_type in ["application/json; charset=UTF-8", "Application/JSON"] {
            let dto: Dto = read_json(typed(content_type)).await.unwrap();
            assert_eq!(dto.user_id.as_deref(), Some("u1"));
        }
        let untyped = Request::builder()
            .uri("/")
            .header(CONTENT_LENGTH, 2)
            .body(Body::from("{}"))
            .unwrap();
        assert!(read_json::<Dto>(untyped).await.is_err());
        let empty = Request::builder().uri("/").body(Body::empty()).unwrap();
        assert!(read_json::<Dto>(empty).await.is_ok());
    }

    #[tokio::test]
    async fn broken_rules_are_invalid() {
        let error = ValidJson::<Dto, Refused>::from_request(request("{}"), &())
            .await
            .unwrap_err();
        assert_eq!(
            error.0,
            Rejection::Invalid("user_id is a required field".to_owned())
        );
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused() {
        let big = vec![b' '; BODY_LIMIT + 1];
        let error = RawJson::<Refused>::from_request(request(big), &())
            .await
            .unwrap_err();
        assert_eq!(error.0, Rejection::TooLarge);
    }
}
