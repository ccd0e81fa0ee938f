//! Extension outputs, read strictly: what the authenticator wrote into the `extensions` map of
//! its authenticator data, and what the client reports in `clientExtensionResults`. Outputs of
//! extensions this crate does not know are ignored; a known output of the wrong type or size
//! refuses the ceremony.

use ciborium::Value;
use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::{Error, Result};

/// Bytes of each PRF result: the output of HMAC-SHA-256.
pub const PRF_OUTPUT_LEN: usize = 32;
/// Longest large blob accepted, read or written.
pub const MAX_LARGE_BLOB_LEN: usize = 2048;

/// The credProtect level of a credential (CTAP 2.1 §12.1): when the authenticator reveals it.
/// Its serde form (snake case) is how tenant settings and stores name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialProtection {
    /// 1: usable with or without user verification.
    UserVerificationOptional,
    /// 2: discoverable only after user verification, usable without it when the RP names it.
    UserVerificationOptionalWithCredentialIdList,
    /// 3: usable only after user verification.
    UserVerificationRequired,
}

impl CredentialProtection {
    /// The CTAP value, 1 to 3.
    pub fn level(self) -> u8 {
        match self {
            Self::UserVerificationOptional => 1,
            Self::UserVerificationOptionalWithCredentialIdList => 2,
            Self::UserVerificationRequired => 3,
        }
    }

    /// The protection of CTAP value `level`.
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            1 => Some(Self::UserVerificationOptional),
            2 => Some(Self::UserVerificationOptionalWithCredentialIdList),
            3 => Some(Self::UserVerificationRequired),
            _ => None,
        }
    }

    /// The name WebAuthn's `credentialProtectionPolicy` input uses.
    pub fn webauthn_name(self) -> &'static str {
        match self {
            Self::UserVerificationOptional => "userVerificationOptional",
            Self::UserVerificationOptionalWithCredentialIdList => {
                "userVerificationOptionalWithCredentialIDList"
            }
            Self::UserVerificationRequired => "userVerificationRequired",
        }
    }
}

/// The outputs a registration's authenticator data carries that a relying party keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthenticatorExtensionOutputs {
    /// `credProtect`: the level the authenticator applied; `None` if it did not say.
    pub cred_protect: Option<CredentialProtection>,
    /// `minPinLength`: the authenticator's minimum PIN length, sent only to RP IDs it was
    /// configured to tell.
    pub min_pin_length: Option<u32>,
}

impl AuthenticatorExtensionOutputs {
    /// Reads the authenticator data's `extensions` map (already checked to be a map).
    pub fn read(extensions: Option<&Value>) -> Result<Self> {
        let Some(entries) = extensions.and_then(Value::as_map) else {
            return Ok(Self::default());
        };
        let mut outputs = Self::default();
        for (key, value) in entries {
            match key.as_text() {
                Some("credProtect") => {
                    let level = small_uint(value)
                        .and_then(|level| u8::try_from(level).ok())
                        .and_then(CredentialProtection::from_level)
                        .ok_or(Error::malformed(
                            "credProtect",
                            "not an unsigned integer from 1 to 3",
                        ))?;
                    outputs.cred_protect = Some(level);
                }
                Some("minPinLength") => {
                    let length = small_uint(value)
                        .and_then(|length| u32::try_from(length).ok())
                        .ok_or(Error::malformed("minPinLength", "not an unsigned integer"))?;
                    outputs.min_pin_length = Some(length);
                }
                _ => {}
            }
        }
        Ok(outputs)
    }
}

fn small_uint(value: &Value) -> Option<u64> {
    value.as_integer().and_then(|i| u64::try_from(i).ok())
}

/// The client extension results a relying party reads (`getClientExtensionResults()` in its JSON
/// form, binary values base64url).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientExtensionResults {
    /// `credProps.rk`: whether the credential is discoverable; `None` when the client did not
    /// say (most likely it is not).
    pub resident_key: Option<bool>,
    /// `prf`, if the client answered it.
    pub prf: Option<PrfOutputs>,
    /// `largeBlob`, if the client answered it.
    pub large_blob: Option<LargeBlobOutputs>,
}

/// The `prf` client output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrfOutputs {
    /// At registration: whether the credential can evaluate the PRF.
    pub enabled: Option<bool>,
    /// The PRF evaluated at the salts the options carried.
    pub results: Option<PrfValues>,
}

/// One or two PRF values (inputs or results).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrfValues {
    /// The value for `first`.
    pub first: Vec<u8>,
    /// The value for `second`, if one was asked for.
    pub second: Option<Vec<u8>>,
}

/// The `largeBlob` client output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LargeBlobOutputs {
    /// At registration: whether the credential can store a blob.
    pub supported: Option<bool>,
    /// At login: the blob read.
    pub blob: Option<Vec<u8>>,
    /// At login: whether the blob was written.
    pub written: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultsWire {
    #[serde(default)]
    cred_props: Option<CredPropsWire>,
    #[serde(default)]
    prf: Option<PrfWire>,
    #[serde(default)]
    large_blob: Option<LargeBlobWire>,
}

#[derive(Deserialize)]
struct CredPropsWire {
    #[serde(default)]
    rk: Option<bool>,
}

#[derive(Deserialize)]
struct PrfWire {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    results: Option<PrfValuesWire>,
}

#[derive(Deserialize)]
struct PrfValuesWire {
    first: String,
    #[serde(default)]
    second: Option<String>,
}

#[derive(Deserialize)]
struct LargeBlobWire {
    #[serde(default)]
    supported: Option<bool>,
    #[serde(default)]
    blob: Option<String>,
    #[serde(default)]
    written: Option<bool>,
}

impl ClientExtensionResults {
    /// Reads the `clientExtensionResults` member of a credential's JSON; absent or `null` is
    /// an empty result.
    pub fn from_value(value: Option<&serde_json::Value>) -> Result<Self> {
        let Some(value) = value.filter(|value| !value.is_null()) else {
            return Ok(Self::default());
        };
        if !value.is_object() {
            return Err(Error::malformed(
                "clientExtensionResults",
                "not a JSON object",
            ));
        }
        let wire = ResultsWire::deserialize(value).map_err(|_| {
            Error::malformed(
                "clientExtensionResults",
                "credProps, prf or largeBlob has a member of the wrong type",
            )
        })?;
        let prf = wire
            .prf
            .map(|prf| -> Result<PrfOutputs> {
                let results = prf
                    .results
                    .map(|values| -> Result<PrfValues> {
                        Ok(PrfValues {
                            first: prf_output("prf.results.first", &values.first)?,
                            second: values
                                .second
                                .map(|second| prf_output("prf.results.second", &second))
                                .transpose()?,
                        })
                    })
                    .transpose()?;
                Ok(PrfOutputs {
                    enabled: prf.enabled,
                    results,
                })
            })
            .transpose()?;
        let large_blob = wire
            .large_blob
            .map(|blob| -> Result<LargeBlobOutputs> {
                Ok(LargeBlobOutputs {
                    supported: blob.supported,
                    blob: blob
                        .blob
                        .map(|text| b64::decode("largeBlob.blob", &text, MAX_LARGE_BLOB_LEN))
                        .transpose()?,
                    written: blob.written,
                })
            })
            .transpose()?;
        Ok(Self {
            resident_key: wire.cred_props.and_then(|props| props.rk),
            prf,
            large_blob,
        })
    }
}

fn prf_output(field: &'static str, text: &str) -> Result<Vec<u8>> {
    let bytes = b64::decode(field, text, PRF_OUTPUT_LEN)?;
    if bytes.len() != PRF_OUTPUT_LEN {
        return Err(Error::malformed(field, "not 32 bytes"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (Value::Text(key.to_owned()), value))
                .collect(),
        )
    }

    #[test]
    fn cred_protect_and_min_pin_length_are_read_from_the_authenticator_data() {
        let extensions = map(vec![
            ("credProtect", Value::Integer(2.into())),
            ("minPinLength", Value::Integer(6.into())),
            ("hmac-secret", Value::Bool(true)),
        ]);
        assert_eq!(
            AuthenticatorExtensionOutputs::read(Some(&extensions)),
            Ok(AuthenticatorExtensionOutputs {
                cred_protect: Some(
                    CredentialProtection::UserVerificationOptionalWithCredentialIdList
                ),
                min_pin_length: Some(6),
            })
        );
        assert_eq!(
            AuthenticatorExtensionOutputs::read(None),
            Ok(AuthenticatorExtensionOutputs::default())
        );
    }

    #[test]
    fn cred_protect_outside_one_to_three_or_of_another_type_is_refused() {
        for value in [
            Value::Integer(0.into()),
            Value::Integer(4.into()),
            Value::Integer((-1).into()),
            Value::Text("3".into()),
            Value::Bool(true),
        ] {
            let extensions = map(vec![("credProtect", value)]);
            assert!(matches!(
                AuthenticatorExtensionOutputs::read(Some(&extensions)),
                Err(Error::Malformed {
                    field: "credProtect",
                    ..
                })
            ));
        }
        let pin = map(vec![("minPinLength", Value::Bytes(vec![4]))]);
        assert!(AuthenticatorExtensionOutputs::read(Some(&pin)).is_err());
    }

    #[test]
    fn client_results_of_cred_props_prf_and_large_blob() {
        let first = b64::encode(&[1; 32]);
        let results = ClientExtensionResults::from_value(Some(&json!({
            "credProps": {"rk": true},
            "prf": {"enabled": true, "results": {"first": first}},
            "largeBlob": {"blob": "AQID"},
            "appid": false,
        })))
        .unwrap();
        assert_eq!(results.resident_key, Some(true));
        assert_eq!(
            results.prf,
            Some(PrfOutputs {
                enabled: Some(true),
                results: Some(PrfValues {
                    first: vec![1; 32],
                    second: None
                }),
            })
        );
        assert_eq!(results.large_blob.unwrap().blob, Some(vec![1, 2, 3]));
        assert_eq!(
            ClientExtensionResults::from_value(Some(&json!({"credProps": {}}))),
            Ok(ClientExtensionResults::default())
        );
        assert_eq!(
            ClientExtensionResults::from_value(None),
            Ok(ClientExtensionResults::default())
        );
    }

    #[test]
    fn malformed_client_results_are_refused() {
        for bad in [
            json!({"credProps": {"rk": "yes"}}),
            json!({"credProps": true}),
            json!({"prf": {"enabled": 1}}),
            json!({"prf": {"results": {"first": "AQID"}}}),
            json!({"prf": {"results": {"first": "not base64!"}}}),
            json!({"prf": {"results": {}}}),
            json!({"largeBlob": {"blob": "A".repeat(4000)}}),
            json!([]),
        ] {
            assert!(
                ClientExtensionResults::from_value(Some(&bad)).is_err(),
                "{bad}"
            );
        }
    }
}
