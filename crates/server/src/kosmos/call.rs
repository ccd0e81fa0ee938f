//! Who is calling and what they sent: the plain `licensekey` header of the u1 and metadata
//! endpoints, the encrypted headers and bodies of the others, path parameters and JSON bodies,
//! each refused in the 1Kosmos failure shape.
//!
//! The `privateKey` header the documentation page shows is never read (nor logged: the access
//! log writes no headers).

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use latchkey_engine::Store;
use latchkey_engine::model::License;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::envelope::{ServiceKey, SharedKey};
use super::error::Failure;
use super::state::Kosmos;
use crate::http::json::{RawJson, from_object, read_request_body};

pub(super) const LICENSE_KEY: HeaderName = HeaderName::from_static("licensekey");
pub(super) const PUBLIC_KEY: HeaderName = HeaderName::from_static("publickey");
pub(super) const REQUEST_ID: HeaderName = HeaderName::from_static("requestid");

/// How far `requestid.ts` may be from the server's clock (`allowed_time_span`).
pub const ALLOWED_TIME_SPAN: time::Duration = time::Duration::seconds(60);
/// Scope of the request ids in the engine's replay register.
const REPLAY_SCOPE: &str = "kosmos";
/// Longest request uuid accepted; real ones are 36 characters.
const MAX_NONCE_CHARS: usize = 128;
/// A `ts` above this is taken as milliseconds (JavaScript's `Date.now()`); as seconds it would
/// be a date in the year 5138.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

type AppState<S> = Arc<Kosmos<S>>;

/// A caller with a valid plain `licensekey` header.
#[derive(Debug, Clone)]
pub struct Licensed(pub License);

impl<S: Store> FromRequestParts<AppState<S>> for Licensed {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let key = header_text(&parts.headers, &LICENSE_KEY)?;
        Ok(Self(state.engine.license(&key).await?))
    }
}

/// A caller of an encrypted endpoint: its `publickey`, its encrypted `licensekey` and a fresh,
/// unused encrypted `requestid`.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub license: License,
    key: SharedKey,
}

impl<S: Store> FromRequestParts<AppState<S>> for Sealed {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let OpenedHeaders {
            key,
            license_key,
            stamp,
        } = OpenedHeaders::open(state.service_key().await?.as_ref(), &parts.headers)?;
        // The license first: only a licensed caller may write into the replay register.
        let license = state.engine.license(&license_key).await?;
        state
            .engine
            .claim_request(
                &format!("{REPLAY_SCOPE}:{}", license.id),
                &stamp.uuid,
                stamp.issued_at,
                ALLOWED_TIME_SPAN,
            )
            .await?;
        Ok(Self { license, key })
    }
}

/// The encrypted headers of a call opened, before anything is looked up.
pub(super) struct OpenedHeaders {
    /// The key shared with the caller of `publickey`.
    pub key: SharedKey,
    pub license_key: String,
    pub stamp: RequestStamp,
}

impl OpenedHeaders {
    pub fn open(service: &ServiceKey, headers: &HeaderMap) -> Result<Self, Failure> {
        let key = service.shared_with(&header_text(headers, &PUBLIC_KEY)?)?;
        let license_key = key.open("licensekey", &header_text(headers, &LICENSE_KEY)?)?;
        let license_key = String::from_utf8(license_key)
            .map_err(|_| Failure::bad_request("licensekey is not text"))?;
        let stamp = key.open("requestid", &header_text(headers, &REQUEST_ID)?)?;
        let stamp = RequestStamp::parse(&stamp)?;
        Ok(Self {
            key,
            license_key,
            stamp,
        })
    }
}

/// The body of an encrypted call: the request's JSON object, encrypted to the service.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SealedRequest)]
pub struct Envelope {
    /// Standard base64 of `IV(16) ‖ AES-256-GCM ciphertext ‖ tag(16)` of the JSON object the
    /// operation reads, under the key the caller agreed with the service (ECDH on secp256k1).
    #[schema(content_encoding = "base64")]
    data: String,
}

/// The success answer of an encrypted call, the JSON it answers encrypted to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealedAnswer {
    /// Standard base64 of `IV(16) ‖ AES-256-GCM ciphertext ‖ tag(16)` of the answer's JSON,
    /// under the key of the call's `publickey`.
    #[schema(content_encoding = "base64")]
    data: String,
    /// Empty on success.
    #[serde(rename = "errorMessage")]
    #[schema(max_length = 0)]
    error_message: &'static str,
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

impl Sealed {
    /// The decrypted JSON object of a body `{"data": "<encrypted JSON>"}`.
    pub fn open_body<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Failure> {
        parse_json(&open_data(&self.key, body)?)
    }

    /// The success answer with `value` encrypted to the caller.
    pub fn answer(&self, value: &impl Serialize) -> Result<Json<SealedAnswer>, Failure> {
        let plaintext = serde_json::to_vec(value).map_err(|error| {
            tracing::error!(error = %error, "answer not serialisable");
            Failure::internal()
        })?;
        Ok(Json(SealedAnswer {
            data: self.key.seal(&plaintext)?,
            error_message: "",
            status: "ok",
        }))
    }
}

/// The decrypted `data` of a body `{"data": "<encrypted JSON>"}`, not yet read as JSON.
pub(super) fn open_data(key: &SharedKey, body: &[u8]) -> Result<Vec<u8>, Failure> {
    let envelope: Envelope = from_object(body).map_err(|reason| {
        Failure::bad_request(format!(
            "the body must be {{\"data\": \"<encrypted JSON>\"}}: {reason}"
        ))
    })?;
    Ok(key.open("data", &envelope.data)?)
}

/// The decrypted `requestid` header: `{ts, appid, uuid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStamp {
    pub issued_at: OffsetDateTime,
    pub uuid: String,
}

impl RequestStamp {
    pub fn parse(json: &[u8]) -> Result<Self, Failure> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default)]
            ts: Value,
            #[serde(default)]
            uuid: Value,
        }
        let invalid = |reason: &str| Failure::bad_request(format!("requestid {reason}"));
        let wire: Wire =
            from_object(json).map_err(|_| invalid("must be a JSON object {ts, appid, uuid}"))?;
        let ts = match &wire.ts {
            Value::Number(number) => number
                .as_i64()
                .or_else(|| number.as_f64().map(|float| float as i64)),
            Value::String(text) => text.trim().parse::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| invalid("needs a numeric ts"))?;
        let seconds = if ts >= MILLISECONDS_FROM {
            ts / 1000
        } else {
            ts
        };
        let issued_at = OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| invalid("ts is not a time"))?;
        let uuid = match wire.uuid {
            Value::String(text) => text.trim().to_owned(),
            _ => String::new(),
        };
        if uuid.is_empty() || uuid.chars().count() > MAX_NONCE_CHARS {
            return Err(invalid(&format!(
                "needs a uuid of 1 to {MAX_NONCE_CHARS} characters"
            )));
        }
        Ok(Self { issued_at, uuid })
    }
}

/// A JSON object body read into `T`; an empty body reads as `{}`.
#[derive(Debug, Clone)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawJson(bytes, _) = RawJson::<Failure>::from_request(request, state).await?;
        parse_json(&bytes).map(Self)
    }
}

/// A body carrying a metadata statement: real MDS3 statements reach 110 KB, so these bodies
/// may be as large as the engine's limit for a statement plus room for the other fields.
#[derive(Debug, Clone)]
pub struct MetadataBody<T>(pub T);

/// Largest body of a vendor-metadata write.
pub const METADATA_BODY_LIMIT: usize =
    latchkey_engine::authenticator_policy::MAX_METADATA_BYTES + 16 * 1024;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for MetadataBody<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_request_body(request, METADATA_BODY_LIMIT).await?;
        parse_json(&bytes).map(Self)
    }
}

/// The raw body, for the encrypted endpoints (read with the shared size limit).
#[derive(Debug, Clone)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawJson(bytes, _) = RawJson::<Failure>::from_request(request, state).await?;
        Ok(Self(bytes))
    }
}

/// Path parameters; a rejection is a 400 in the failure shape.
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection| Failure::bad_request(rejection.body_text()))
    }
}

pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    from_object(bytes).map_err(|reason| Failure::bad_request(format!("invalid request: {reason}")))
}

/// A header's trimmed text; missing or empty is a 401 for the license and a 400 otherwise.
fn header_text(headers: &HeaderMap, name: &HeaderName) -> Result<String, Failure> {
    let text = headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map(|text| text.trim().to_owned())
                .map_err(|_| Failure::bad_request(format!("the {name} header is not text")))
        })
        .transpose()?
        .unwrap_or_default();
    if !text.is_empty() {
        return Ok(text);
    }
    let message = format!("the {name} header is missing");
    Err(if *name == LICENSE_KEY {
        Failure::unauthorized(message)
    } else {
        Failure::bad_request(message)
    })
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, StatusCode};
    use time::macros::datetime;

    use super::*;

    #[test]
    fn request_stamps() {
        let stamp = RequestStamp::parse(
            br#"{"ts": 1700000000, "appid": "com.example", "uuid": " 3f0c5c36 "}"#,
        )
        .unwrap();
        assert_eq!(stamp.issued_at, datetime!(2023-11-14 22:13:20 UTC));
        assert_eq!(stamp.uuid, "3f0c5c36");
        // Milliseconds, text and fractions are read too.
        for ts in ["1700000000123", "\"1700000000\"", "1700000000.9"] {
            let json = format!(r#"{{"ts": {ts}, "uuid": "u"}}"#);
            assert_eq!(
                RequestStamp::parse(json.as_bytes()).unwrap().issued_at,
                datetime!(2023-11-14 22:13:20 UTC),
                "{ts}"
            );
        }
    }

    #[test]
    fn broken_stamps_are_bad_requests() {
        for json in [
            "[]",
            r#"{"uuid": "u"}"#,
            r#"{"ts": "soon", "uuid": "u"}"#,
            r#"{"ts": 1700000000}"#,
            r#"{"ts": 1700000000, "uuid": ""}"#,
            r#"{"ts": 1700000000, "uuid": 5}"#,
            r#"{"ts": 99999999999999999, "uuid": "u"}"#,
        ] {
            let failure = RequestStamp::parse(json.as_bytes()).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST, "{json}");
            assert!(failure.message.starts_with("requestid "), "{json}");
        }
        let long = format!(r#"{{"ts": 1, "uuid": "{}"}}"#, "u".repeat(129));
        assert!(RequestStamp::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn missing_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            header_text(&headers, &LICENSE_KEY).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            header_text(&headers, &PUBLIC_KEY).unwrap_err(),
            Failure::bad_request("the publickey header is missing")
        );
        headers.insert(LICENSE_KEY, HeaderValue::from_static("  k1 "));
        assert_eq!(header_text(&headers, &LICENSE_KEY).unwrap(), "k1");
    }
}
