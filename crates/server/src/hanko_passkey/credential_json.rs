//! The body of every `finalize`: a credential response whose binary fields the original server
//! reads with its padding stripped. Hand-written mobile clients pad them; the WebAuthn checks
//! accept only unpadded base64url, so the padding goes here, at the edge.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::Value;

use super::error::ApiError;
use crate::http::json::RawJson;

/// The fields the original reads as base64url with optional padding, under `response`.
const RESPONSE_FIELDS: [&str; 5] = [
    "clientDataJSON",
    "attestationObject",
    "authenticatorData",
    "signature",
    "userHandle",
];

/// A credential response as JSON, with the padding of its base64url fields removed. `id` keeps
/// its padding: the original refuses a padded `id` too.
#[derive(Debug, Clone)]
pub struct CredentialJson(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for CredentialJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawJson(body, _) = RawJson::<ApiError>::from_request(request, state).await?;
        Ok(Self(unpadded(body)))
    }
}

/// `body` with the trailing `=` of its base64url fields removed. A body without any `=`, or
/// one that is not JSON, is passed on as it is: the engine's parser answers for it.
pub(super) fn unpadded(body: Bytes) -> Bytes {
    if !body.contains(&b'=') {
        return body;
    }
    let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let mut changed = strip(json.get_mut("rawId"));
    if let Some(response) = json.get_mut("response") {
        for field in RESPONSE_FIELDS {
            changed |= strip(response.get_mut(field));
        }
    }
    if !changed {
        return body;
    }
    serde_json::to_vec(&json).map_or(body, Bytes::from)
}

/// Strips trailing `=` from a string value; whether there were any.
fn strip(value: Option<&mut Value>) -> bool {
    let Some(Value::String(text)) = value else {
        return false;
    };
    let kept = text.trim_end_matches('=').len();
    let had_padding = kept < text.len();
    text.truncate(kept);
    had_padding
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn normalised(body: &Value) -> Value {
        let bytes = unpadded(Bytes::from(serde_json::to_vec(body).unwrap()));
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn padding_goes_from_the_binary_fields() {
        let padded = json!({
            "id": "AQ==",
            "rawId": "AQ==",
            "type": "public-key",
            "response": {
                "clientDataJSON": "e30=",
                "authenticatorData": "AQI=",
                "attestationObject": "AQ==",
                "signature": "AQIDBA==",
                "userHandle": "dQ==",
                "transports": ["a=b"]
            },
            "clientExtensionResults": {"x": "y=="}
        });
        assert_eq!(
            normalised(&padded),
            json!({
                "id": "AQ==",
                "rawId": "AQ",
                "type": "public-key",
                "response": {
                    "clientDataJSON": "e30",
                    "authenticatorData": "AQI",
                    "attestationObject": "AQ",
                    "signature": "AQIDBA",
                    "userHandle": "dQ",
                    "transports": ["a=b"]
                },
                "clientExtensionResults": {"x": "y=="}
            })
        );
    }

    #[test]
    fn other_bodies_pass_unchanged() {
        for body in [
            &br#"{"rawId":"AQ","response":{"userHandle":null}}"#[..],
            b"not json ==",
            br#"{"rawId": 5, "response": "=="}"#,
        ] {
            assert_eq!(unpadded(Bytes::from_static(body)), body);
        }
    }
}
