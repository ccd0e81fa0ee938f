//! The JSON that `PublicKeyCredential.toJSON()` produces in a browser, decoded strictly.

use std::borrow::Cow;

use serde::Deserialize;

use crate::auth_data::MAX_AUTH_DATA_LEN;
use crate::b64;
use crate::client_data::MAX_CLIENT_DATA_LEN;
use crate::error::{Error, Result};
use crate::extensions::ClientExtensionResults;

/// Longest credential JSON accepted.
pub const MAX_JSON_LEN: usize = 64 * 1024;
const MAX_ATTESTATION_OBJECT_LEN: usize = 32 * 1024;
/// An ML-DSA-87 signature is 4,627 bytes; RSA-8192 is 1,024.
const MAX_SIGNATURE_LEN: usize = 8 * 1024;
const MAX_USER_HANDLE_LEN: usize = 64;
const MAX_ID_LEN: usize = 1023;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credential<'a, R> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    raw_id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    response: R,
    #[serde(default)]
    client_extension_results: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttestationWire<'a> {
    #[serde(rename = "clientDataJSON", borrow)]
    client_data_json: Cow<'a, str>,
    #[serde(borrow)]
    attestation_object: Cow<'a, str>,
    #[serde(default)]
    transports: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssertionWire<'a> {
    #[serde(rename = "clientDataJSON", borrow)]
    client_data_json: Cow<'a, str>,
    #[serde(borrow)]
    authenticator_data: Cow<'a, str>,
    #[serde(borrow)]
    signature: Cow<'a, str>,
    #[serde(default, borrow)]
    user_handle: Option<Cow<'a, str>>,
}

/// A registration response: `PublicKeyCredential` with an `AuthenticatorAttestationResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationResponse {
    /// `rawId`.
    pub raw_id: Vec<u8>,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.attestationObject`.
    pub attestation_object: Vec<u8>,
    /// `response.transports`, as the client reported them.
    pub transports: Vec<String>,
    /// `clientExtensionResults`.
    pub client_extension_results: ClientExtensionResults,
}

/// An authentication response: `PublicKeyCredential` with an `AuthenticatorAssertionResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResponse {
    /// `rawId`.
    pub raw_id: Vec<u8>,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.authenticatorData`.
    pub authenticator_data: Vec<u8>,
    /// `response.signature`.
    pub signature: Vec<u8>,
    /// `response.userHandle`; an empty handle counts as absent.
    pub user_handle: Option<Vec<u8>>,
    /// `clientExtensionResults`.
    pub client_extension_results: ClientExtensionResults,
}

/// Base64url text has no JSON escapes, so the fields borrow from the input and only the decoded
/// bytes are allocated.
fn parse<'a, R: Deserialize<'a>>(json: &'a [u8]) -> Result<(Vec<u8>, R, ClientExtensionResults)> {
    if json.len() > MAX_JSON_LEN {
        return Err(Error::TooLarge {
            field: "credential JSON",
            limit: MAX_JSON_LEN,
        });
    }
    let c: Credential<'a, R> = serde_json::from_slice(json).map_err(|_| {
        Error::malformed("credential JSON", "not a PublicKeyCredential JSON object")
    })?;
    if c.ty != "public-key" {
        return Err(Error::malformed(
            "credential JSON",
            "type is not public-key",
        ));
    }
    let raw_id = b64::decode("rawId", &c.raw_id, MAX_ID_LEN)?;
    if b64::decode("id", &c.id, MAX_ID_LEN)? != raw_id {
        return Err(Error::CredentialIdMismatch);
    }
    let extensions = ClientExtensionResults::from_value(c.client_extension_results.as_ref())?;
    Ok((raw_id, c.response, extensions))
}

impl RegistrationResponse {
    /// Decodes the JSON of a registration `PublicKeyCredential`.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let (raw_id, r, client_extension_results) = parse::<AttestationWire>(json)?;
        Ok(Self {
            raw_id,
            client_data_json: b64::decode(
                "clientDataJSON",
                &r.client_data_json,
                MAX_CLIENT_DATA_LEN,
            )?,
            attestation_object: b64::decode(
                "attestationObject",
                &r.attestation_object,
                MAX_ATTESTATION_OBJECT_LEN,
            )?,
            transports: r.transports,
            client_extension_results,
        })
    }
}

impl AuthenticationResponse {
    /// Decodes the JSON of an authentication `PublicKeyCredential`.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let (raw_id, r, client_extension_results) = parse::<AssertionWire>(json)?;
        let user_handle = match r.user_handle.as_deref() {
            None | Some("") => None,
            Some(h) => Some(b64::decode("userHandle", h, MAX_USER_HANDLE_LEN)?),
        };
        Ok(Self {
            raw_id,
            client_data_json: b64::decode(
                "clientDataJSON",
                &r.client_data_json,
                MAX_CLIENT_DATA_LEN,
            )?,
            authenticator_data: b64::decode(
                "authenticatorData",
                &r.authenticator_data,
                MAX_AUTH_DATA_LEN,
            )?,
            signature: b64::decode("signature", &r.signature, MAX_SIGNATURE_LEN)?,
            user_handle,
            client_extension_results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assertion(id: &str, raw_id: &str) -> Vec<u8> {
        format!(
            r#"{{"id":"{id}","rawId":"{raw_id}","type":"public-key","response":{{"clientDataJSON":"e30",
            "authenticatorData":"AAAA","signature":"AQ","userHandle":null}},"clientExtensionResults":{{}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn reads_the_browser_shape() {
        let r = AuthenticationResponse::from_json(&assertion("AQID", "AQID")).unwrap();
        assert_eq!(r.raw_id, [1, 2, 3]);
        assert_eq!(r.client_data_json, b"{}");
        assert_eq!(r.user_handle, None);
    }

    #[test]
    fn escaped_characters_in_base64_fields_are_unescaped_first() {
        let r = AuthenticationResponse::from_json(&assertion(r"\u0041QID", "AQID")).unwrap();
        assert_eq!(r.raw_id, [1, 2, 3]);
    }

    #[test]
    fn id_and_raw_id_must_agree() {
        assert_eq!(
            AuthenticationResponse::from_json(&assertion("AQIE", "AQID")),
            Err(Error::CredentialIdMismatch)
        );
    }

    #[test]
    fn refuses_other_credential_types_and_oversize_input() {
        let other = String::from_utf8(assertion("AQID", "AQID"))
            .unwrap()
            .replace("public-key", "password");
        assert!(matches!(
            AuthenticationResponse::from_json(other.as_bytes()),
            Err(Error::Malformed { .. })
        ));
        let huge = vec![b' '; MAX_JSON_LEN + 1];
        assert!(matches!(
            AuthenticationResponse::from_json(&huge),
            Err(Error::TooLarge { .. })
        ));
    }
}
