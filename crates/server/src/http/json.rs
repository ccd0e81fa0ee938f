//! Request bodies: read with a size limit, an absent body read as `{}` (the Hanko JS SDK posts
//! `login/initialize` without one), a body that is not a JSON object refused, and every failure
//! answered in the error format instead of axum's plain-text rejections. Bodies read into a
//! type follow the binding rules of the Go server Hanko clients were written against: they must
//! be sent as JSON, and `null` reads as `{}`.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::LengthLimitError;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use super::error::ApiError;
use super::keep_alive::{BodyRead, has_body};
use super::validate::Validate;

/// Largest accepted request body. WebAuthn responses are a few KiB; attestation certificate
/// chains stay well below this.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The raw body, for endpoints that hand JSON to the engine unparsed.
#[derive(Debug, Clone)]
pub struct RawJson(pub Bytes);

/// A JSON body read into `T`; a body that does not fit `T`, or is not declared as JSON, is a 400
/// `unable to process request`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

/// A JSON body read into `T` and checked by [`Validate`]; a broken rule is a 400
/// `unable to validate request` with the rule in `details`.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_request_body(request, BODY_LIMIT).await.map(Self)
    }
}

/// Reads the body of `request`, at most `limit` bytes (refused up front when the declared
/// length is larger); an empty body reads as `{}`.
pub async fn read_request_body(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::payload_too_large());
    }
    let read = request.extensions().get::<BodyRead>().cloned();
    let body = read_body_up_to(request.into_body(), limit).await?;
    if let Some(read) = read {
        read.record();
    }
    Ok(body)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = !has_body(request.headers()) || declares_json(request.headers());
        // Read even a body that is refused, so that the connection stays usable.
        let RawJson(bytes) = RawJson::from_request(request, state).await?;
        if !declared_json {
            return Err(ApiError::unprocessable_body("Unsupported Media Type"));
        }
        if bytes.trim_ascii() == b"null" {
            return parse(b"{}").map(Self);
        }
        parse(&bytes).map(Self)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBody(value) = JsonBody::<T>::from_request(request, state).await?;
        value.validate().map_err(ApiError::invalid_request)?;
        Ok(Self(value))
    }
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

async fn read_body_up_to(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let bytes = to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        if error.is::<LengthLimitError>() {
            ApiError::payload_too_large()
        } else {
            ApiError::unprocessable_body(error.to_string())
        }
    })?;
    if bytes.is_empty() {
        Ok(Bytes::from_static(b"{}"))
    } else {
        Ok(bytes)
    }
}

/// Parses a JSON object into `T`, answering a mismatch with 400 `unable to process request`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    from_object(bytes).map_err(ApiError::unprocessable_body)
}

/// Reads a JSON object into `T`; `Err` says why not. serde would also read a struct from an
/// array of its fields in order (and `[]` as all defaults), which Go's decoder, binding into a
/// struct, refuses; so anything but an object is refused before serde sees it (`null` too:
/// [`JsonBody`] reads it as `{}` before it gets here, as Go's binder does).
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
    use serde::Deserialize;

    use super::*;

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

    fn request(body: impl Into<Body>) -> Request {
        Request::builder()
            .uri("/")
            .header(CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap()
    }

    #[tokio::test]
    async fn empty_body_reads_as_empty_object() {
        let JsonBody(dto) = JsonBody::<Dto>::from_request(request(Body::empty()), &())
            .await
            .unwrap();
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
            let JsonBody(dto) = JsonBody::<Dto>::from_request(request, &()).await.unwrap();
            assert_eq!(dto, Dto { user_id: None });
        }
    }

    #[tokio::test]
    async fn wrong_types_are_unprocessable() {
        let error = JsonBody::<Dto>::from_request(request(r#"{"user_id": 5}"#), &())
            .await
            .unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.title, "unable to process request");
        assert!(error.details.is_some_and(|details| !details.is_empty()));
    }

    #[tokio::test]
    async fn only_objects_are_bodies() {
        for body in ["[]", r#"["u1"]"#, "\"{}\"", "1"] {
            let error = JsonBody::<Dto>::from_request(request(body), &())
                .await
                .unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(error.title, "unable to process request", "{body}");
        }
        let JsonBody(dto) = JsonBody::<Dto>::from_request(request(" \n{\"user_id\":\"u1\"}"), &())
            .await
            .unwrap();
        assert_eq!(dto.user_id.as_deref(), Some("u1"));
    }

    #[tokio::test]
    async fn null_reads_as_an_empty_object() {
        let JsonBody(dto) = JsonBody::<Dto>::from_request(request(" null\n"), &())
            .await
            .unwrap();
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
            let error = JsonBody::<Dto>::from_request(typed(content_type), &())
                .await
                .unwrap_err();
            assert_eq!(error.title, "unable to process request", "{content_type}");
        }
        for content_type in ["application/json; charset=UTF-8", "Application/JSON"] {
            let JsonBody(dto) = JsonBody::<Dto>::from_request(typed(content_type), &())
                .await
                .unwrap();
            assert_eq!(dto.user_id.as_deref(), Some("u1"));
        }
        let untyped = Request::builder()
            .uri("/")
            .header(CONTENT_LENGTH, 2)
            .body(Body::from("{}"))
            .unwrap();
        assert!(JsonBody::<Dto>::from_request(untyped, &()).await.is_err());
        let empty = Request::builder().uri("/").body(Body::empty()).unwrap();
        assert!(JsonBody::<Dto>::from_request(empty, &()).await.is_ok());
    }

    #[tokio::test]
    async fn broken_rules_are_invalid() {
        let error = ValidJson::<Dto>::from_request(request("{}"), &())
            .await
            .unwrap_err();
        assert_eq!(error.title, "unable to validate request");
        assert_eq!(
            error.details.as_deref(),
            Some("user_id is a required field")
        );
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused() {
        let big = vec![b' '; BODY_LIMIT + 1];
        let error = RawJson::from_request(request(big), &()).await.unwrap_err();
        assert_eq!(error.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
