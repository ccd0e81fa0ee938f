//! What the registration and login calls share: the community a ceremony runs in (named by the
//! body's `communityId`, its relying party confirmed by `dns`), the credential as a browser
//! (or a naive serialisation of one) sends it, and the `sessionInfo` header.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::ceremonies::{ExtensionInputs, MAX_USER_HANDLE_BYTES};
use latchkey_engine::model::{License, Tenant};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::Failure;
use crate::extensions::ExtensionInputsJson;
use crate::http::json::null_as_empty;

const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// Body of the four options calls. `tenantId` is informational (the license names the tenant);
/// `dguid` (a device id on u1 assertion options) has no place in the engine yet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OptionsRequest)]
pub struct OptionsRequest {
    /// The relying party id of the community; required.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub dns: String,
    /// Required for registration; without it a login is discoverable. At most
    /// 64 bytes.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(max_length = 64)]
    pub username: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(max_length = 128)]
    pub display_name: String,
    /// The community the ceremony runs in; required.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub community_id: String,
    /// Registration only: `none`, `indirect`, `direct` or `enterprise` in any case; blank means
    /// the community's preference, anything else is a 400.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub attestation: String,
    /// Extension inputs for this ceremony (an addition to the original): PRF salts
    /// (`prf.eval`; at login also `prf.evalByCredential`) and, at login, `largeBlob` access.
    #[serde(default)]
    pub extensions: Option<ExtensionInputsJson>,
}

impl OptionsRequest {
    /// The extension inputs the body names, decoded.
    pub fn extension_inputs(&mut self) -> Result<ExtensionInputs, Failure> {
        Ok(self
            .extensions
            .take()
            .map(ExtensionInputs::try_from)
            .transpose()?
            .unwrap_or_default())
    }

    /// The user name, required or not; a present one must fit in a user handle.
    pub fn username(&self, required: bool) -> Result<Option<&str>, Failure> {
        let name = self.username.trim();
        if name.is_empty() {
            return if required {
                Err(Failure::bad_request("username is required"))
            } else {
                Ok(None)
            };
        }
        if name.len() > MAX_USER_HANDLE_BYTES {
            return Err(Failure::bad_request(format!(
                "username cannot be longer than {MAX_USER_HANDLE_BYTES} bytes"
            )));
        }
        if self.display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(Failure::bad_request(format!(
                "displayName cannot be longer than {MAX_DISPLAY_NAME_CHARS} characters"
            )));
        }
        Ok(Some(name))
    }
}

/// The realm of the community `community_id`, if `license` reaches it and its relying party is
/// `dns`.
pub async fn realm<S: Store>(
    engine: &Engine<S>,
    license: &License,
    community_id: &str,
    dns: &str,
) -> Result<Arc<Tenant>, Failure> {
    let community_id = community_id.trim();
    if community_id.is_empty() {
        return Err(Failure::bad_request("communityId is required"));
    }
    let dns = dns.trim();
    if dns.is_empty() {
        return Err(Failure::bad_request("dns is required"));
    }
    let (_, realm) = engine.community_for(license, community_id).await?;
    if !realm.config.relying_party.id.eq_ignore_ascii_case(dns) {
        return Err(Failure::bad_request(
            "dns does not match the community's relying party",
        ));
    }
    Ok(realm)
}

/// Body of the four result calls: the credential with the community fields beside it.
#[derive(Debug)]
pub struct ResultRequest {
    pub community_id: String,
    pub dns: String,
    /// The credential JSON as the engine reads it.
    pub credential: Vec<u8>,
}

impl ResultRequest {
    pub fn read(body: &Value) -> Result<Self, Failure> {
        let Value::Object(body) = body else {
            return Err(Failure::bad_request("the body must be a JSON object"));
        };
        let text = |field: &str| match body.get(field) {
            Some(Value::String(text)) => text.clone(),
            _ => String::new(),
        };
        Ok(Self {
            community_id: text("communityId"),
            dns: text("dns"),
            credential: credential_json(body)?,
        })
    }
}

/// The `PublicKeyCredential` JSON in `body`, cleaned of what naive serialisations add: the
/// methods `getAuthenticatorData`, `getPublicKey`, `getPublicKeyAlgorithm`, `getTransports` sent
/// as `{}` (a `getTransports` array stands for `transports`), `getClientExtensionResults` for
/// `clientExtensionResults`, and non-string values such as `"userHandle": {}`.
fn credential_json(body: &Map<String, Value>) -> Result<Vec<u8>, Failure> {
    let mut credential = Map::new();
    for field in ["id", "rawId", "type", "authenticatorAttachment"] {
        if let Some(Value::String(text)) = body.get(field) {
            credential.insert(field.to_owned(), Value::String(text.clone()));
        }
    }
    if !credential.contains_key("id")
        && let Some(raw_id) = credential.get("rawId").cloned()
    {
        credential.insert("id".to_owned(), raw_id);
    }
    credential
        .entry("type")
        .or_insert_with(|| Value::String("public-key".to_owned()));
    let Some(Value::Object(response)) = body.get("response") else {
        return Err(Failure::bad_request("response is required"));
    };
    let mut clean: Map<String, Value> = response
        .iter()
        .filter(|(_, value)| value.is_string())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let transports =
        ["transports", "getTransports"]
            .iter()
            .find_map(|field| match response.get(*field) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            });
    if let Some(items) = transports {
        let names = items.iter().filter(|item| item.is_string()).cloned();
        clean.insert("transports".to_owned(), Value::Array(names.collect()));
    }
    credential.insert("response".to_owned(), Value::Object(clean));
    let extensions = ["clientExtensionResults", "getClientExtensionResults"]
        .iter()
        .find_map(|field| match body.get(*field) {
            Some(Value::Object(results)) => Some(results.clone()),
            _ => None,
        })
        .unwrap_or_default();
    credential.insert(
        "clientExtensionResults".to_owned(),
        Value::Object(extensions),
    );
    serde_json::to_vec(&Value::Object(credential)).map_err(|error| {
        tracing::error!(error = %error, "credential JSON not serialisable");
        Failure::internal()
    })
}

/// The `sessionInfo` header of the u1 result calls: standard base64 of `{url, sessionId}`, or a
/// bare session id. Read leniently (anything unreadable counts as absent). The session id may be
/// a bearer secret: it is neither logged nor shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub url: Option<String>,
    pub session_id: Option<String>,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Longest header value read; longer ones are ignored.
const MAX_SESSION_INFO_BYTES: usize = 4096;

impl SessionInfo {
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_SESSION_INFO_BYTES {
            return Self::default();
        }
        let decoded = STANDARD
            .decode(value)
            .or_else(|_| URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        if let Some(Value::Object(info)) = decoded {
            let text = |field: &str| {
                info.get(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .filter(|text| !text.is_empty())
            };
            return Self {
                url: text("url"),
                session_id: text("sessionId"),
            };
        }
        Self {
            url: None,
            session_id: Some(value.to_owned()),
        }
    }

    /// Notes the session a result belongs to in the debug log: its URL only.
    pub fn trace(&self, call: &'static str) {
        if let Some(url) = &self.url {
            tracing::debug!(call, session_url = %url, "result for a session");
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .headers
            .get("sessioninfo")
            .and_then(|value| value.to_str().ok())
            .map(Self::parse)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cleaned(body: Value) -> Value {
        let request = ResultRequest::read(&body).unwrap();
        serde_json::from_slice(&request.credential).unwrap()
    }

    #[test]
    fn naive_serialisations_are_cleaned() {
        let body = json!({
            "rawId": "AQID",
            "id": "AQID",
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "getClientExtensionResults": {},
            "dns": "login.example",
            "communityId": "c1",
            "tenantId": "t1",
            "response": {
                "clientDataJSON": "e30",
                "attestationObject": "o",
                "getAuthenticatorData": {},
                "getPublicKey": {},
                "getPublicKeyAlgorithm": {},
                "getTransports": ["internal", 5, "hybrid"]
            }
        });
        let request = ResultRequest::read(&body).unwrap();
        assert_eq!(request.community_id, "c1");
        assert_eq!(request.dns, "login.example");
        assert_eq!(
            cleaned(body),
            json!({
                "rawId": "AQID",
                "id": "AQID",
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": "e30",
                    "attestationObject": "o",
                    "transports": ["internal", "hybrid"]
                }
            })
        );
    }

    #[test]
    fn assertion_fields_and_defaults() {
        let credential = cleaned(json!({
            "rawId": "AQID",
            "response": {
                "authenticatorData": "a",
                "signature": "s",
                "userHandle": {},
                "clientDataJSON": "c"
            },
            "clientExtensionResults": {"credProps": {"rk": true}}
        }));
        assert_eq!(
            credential,
            json!({
                "rawId": "AQID",
                "id": "AQID",
                "type": "public-key",
                "clientExtensionResults": {"credProps": {"rk": true}},
                "response": {"authenticatorData": "a", "signature": "s", "clientDataJSON": "c"}
            })
        );
    }

    #[test]
    fn a_response_is_required() {
        for body in [json!({"id": "AQID"}), json!({"response": "x"}), json!([])] {
            assert_eq!(ResultRequest::read(&body).unwrap_err().status.as_u16(), 400);
        }
    }

    #[test]
    fn user_names() {
        let request = |username: &str, display: &str| OptionsRequest {
            dns: String::new(),
            username: username.to_owned(),
            display_name: display.to_owned(),
            community_id: String::new(),
            attestation: String::new(),
            extensions: None,
        };
        assert_eq!(
            request(" alice ", "").username(true).unwrap(),
            Some("alice")
        );
        assert_eq!(request("", "").username(false).unwrap(), None);
        assert!(request("", "").username(true).is_err());
        assert!(request(&"a".repeat(65), "").username(true).is_err());
        assert!(request("a", &"d".repeat(129)).username(true).is_err());
    }

    #[test]
    fn session_info_forms() {
        let encoded = STANDARD.encode(r#"{"url":"https://app.example/s","sessionId":"s-1"}"#);
        assert_eq!(
            SessionInfo::parse(&encoded),
            SessionInfo {
                url: Some("https://app.example/s".to_owned()),
                session_id: Some("s-1".to_owned())
            }
        );
        assert_eq!(
            SessionInfo::parse(" 65f1c0de "),
            SessionInfo {
                url: None,
                session_id: Some("65f1c0de".to_owned())
            }
        );
        assert_eq!(SessionInfo::parse(""), SessionInfo::default());
        assert!(!format!("{:?}", SessionInfo::parse(&encoded)).contains("s-1"));
    }
}
