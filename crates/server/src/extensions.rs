//! WebAuthn extensions in WebAuthn's own JSON forms, which every dialect shares: the inputs a
//! caller adds to an `initialize` body, the `extensions` member of options, and the client
//! extension results a `finalize` passes back. Binary values are base64url without padding.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::Error;
use latchkey_engine::ceremonies::{
    ClientExtensionResults, ExtensionInputs, LargeBlobAccess, LargeBlobRequest, PrfInput,
    PrfValues, RequestedExtensions,
};
use latchkey_engine::model::Hint;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// Extension inputs a caller adds to one ceremony, in WebAuthn's JSON form.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionInputsJson {
    /// PRF salts: `eval` for whichever credential answers, `evalByCredential` (login only) per
    /// credential ID the login allows.
    #[serde(default)]
    prf: Option<PrfInputJson>,
    /// At login: `{"read": true}` or `{"write": "<base64url>"}` (a login that allows exactly one
    /// credential).
    #[serde(default)]
    large_blob: Option<LargeBlobInputJson>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct PrfInputJson {
    #[serde(default)]
    eval: Option<PrfValuesJson>,
    /// Keys: credential IDs, base64url.
    #[serde(default)]
    eval_by_credential: BTreeMap<String, PrfValuesJson>,
}

/// One or two PRF salts, base64url.
#[derive(Debug, Deserialize, ToSchema)]
struct PrfValuesJson {
    first: String,
    #[serde(default)]
    second: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct LargeBlobInputJson {
    #[serde(default)]
    read: bool,
    #[serde(default)]
    write: Option<String>,
}

/// The inputs of an initialize body's optional `extensions` member; none when it is absent.
pub fn inputs(json: Option<ExtensionInputsJson>) -> Result<ExtensionInputs, Error> {
    Ok(json
        .map(ExtensionInputs::try_from)
        .transpose()?
        .unwrap_or_default())
}

impl TryFrom<ExtensionInputsJson> for ExtensionInputs {
    type Error = Error;

    fn try_from(json: ExtensionInputsJson) -> Result<Self, Error> {
        let prf = json
            .prf
            .map(|prf| -> Result<PrfInput, Error> {
                let eval = prf
                    .eval
                    .map(|salts| salts_of("extensions.prf.eval", salts))
                    .transpose()?;
                let mut eval_by_credential = BTreeMap::new();
                for (id, salts) in prf.eval_by_credential {
                    let id = decode("extensions.prf.evalByCredential", &id)?;
                    let salts = salts_of("extensions.prf.evalByCredential", salts)?;
                    eval_by_credential.insert(id, salts);
                }
                Ok(PrfInput {
                    eval,
                    eval_by_credential,
                })
            })
            .transpose()?;
        let large_blob = match json.large_blob {
            None
            | Some(LargeBlobInputJson {
                read: false,
                write: None,
            }) => None,
            Some(LargeBlobInputJson {
                read: true,
                write: None,
            }) => Some(LargeBlobAccess::Read),
            Some(LargeBlobInputJson {
                read: false,
                write: Some(blob),
            }) => Some(LargeBlobAccess::Write(decode(
                "extensions.largeBlob.write",
                &blob,
            )?)),
            Some(LargeBlobInputJson {
                read: true,
                write: Some(_),
            }) => {
                return Err(Error::Invalid {
                    field: "extensions.largeBlob",
                    reason: "read and write exclude each other".to_owned(),
                });
            }
        };
        Ok(Self { prf, large_blob })
    }
}

fn salts_of(field: &'static str, json: PrfValuesJson) -> Result<PrfValues, Error> {
    Ok(PrfValues {
        first: decode(field, &json.first)?,
        second: json
            .second
            .map(|second| decode(field, &second))
            .transpose()?,
    })
}

fn decode(field: &'static str, text: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::Invalid {
        field,
        reason: "not base64url without padding".to_owned(),
    })
}

/// The options' `extensions` member; `None` when nothing is asked.
pub fn options_extensions(requested: &RequestedExtensions) -> Option<Value> {
    if requested.is_empty() {
        return None;
    }
    let mut out = Map::new();
    if requested.cred_props {
        out.insert("credProps".to_owned(), Value::Bool(true));
    }
    if let Some(protection) = requested.credential_protection {
        out.insert(
            "credentialProtectionPolicy".to_owned(),
            Value::from(protection.webauthn_name()),
        );
        out.insert(
            "enforceCredentialProtectionPolicy".to_owned(),
            Value::Bool(true),
        );
    }
    if requested.min_pin_length {
        out.insert("minPinLength".to_owned(), Value::Bool(true));
    }
    if let Some(large_blob) = &requested.large_blob {
        let value = match large_blob {
            LargeBlobRequest::Support(support) => json!({"support": support.as_str()}),
            LargeBlobRequest::Access(LargeBlobAccess::Read) => json!({"read": true}),
            LargeBlobRequest::Access(LargeBlobAccess::Write(blob)) => {
                json!({"write": URL_SAFE_NO_PAD.encode(blob)})
            }
        };
        out.insert("largeBlob".to_owned(), value);
    }
    if let Some(prf) = &requested.prf {
        let mut value = Map::new();
        if let Some(eval) = &prf.eval {
            value.insert("eval".to_owned(), values_json(eval));
        }
        if !prf.eval_by_credential.is_empty() {
            let by: Map<String, Value> = prf
                .eval_by_credential
                .iter()
                .map(|(id, salts)| (URL_SAFE_NO_PAD.encode(id), values_json(salts)))
                .collect();
            value.insert("evalByCredential".to_owned(), Value::Object(by));
        }
        out.insert("prf".to_owned(), Value::Object(value));
    }
    Some(Value::Object(out))
}

/// The options' `hints` member, in order.
pub fn hint_names(hints: &[Hint]) -> Vec<&'static str> {
    hints.iter().map(|hint| hint.as_str()).collect()
}

/// The client extension results worth passing back (`credProps`, `prf`, `largeBlob`), in their
/// JSON form; `None` when the client reported none of them.
pub fn results_json(results: &ClientExtensionResults) -> Option<Value> {
    let mut out = Map::new();
    if let Some(rk) = results.resident_key {
        out.insert("credProps".to_owned(), json!({"rk": rk}));
    }
    if let Some(prf) = &results.prf {
        let mut value = Map::new();
        if let Some(enabled) = prf.enabled {
            value.insert("enabled".to_owned(), Value::Bool(enabled));
        }
        if let Some(values) = &prf.results {
            value.insert("results".to_owned(), values_json(values));
        }
        out.insert("prf".to_owned(), Value::Object(value));
    }
    if let Some(large_blob) = &results.large_blob {
        let mut value = Map::new();
        if let Some(supported) = large_blob.supported {
            value.insert("supported".to_owned(), Value::Bool(supported));
        }
        if let Some(blob) = &large_blob.blob {
            value.insert("blob".to_owned(), Value::from(URL_SAFE_NO_PAD.encode(blob)));
        }
        if let Some(written) = large_blob.written {
            value.insert("written".to_owned(), Value::Bool(written));
        }
        out.insert("largeBlob".to_owned(), Value::Object(value));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn values_json(values: &PrfValues) -> Value {
    let mut out = Map::new();
    out.insert(
        "first".to_owned(),
        Value::from(URL_SAFE_NO_PAD.encode(&values.first)),
    );
    if let Some(second) = &values.second {
        out.insert(
            "second".to_owned(),
            Value::from(URL_SAFE_NO_PAD.encode(second)),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use latchkey_engine::model::{CredentialProtection, LargeBlobSupport};

    use super::*;

    fn inputs(json: Value) -> Result<ExtensionInputs, Error> {
        serde_json::from_value::<ExtensionInputsJson>(json)
            .unwrap()
            .try_into()
    }

    #[test]
    fn inputs_decode_salts_and_credential_ids() {
        let parsed = inputs(json!({
            "prf": {"eval": {"first": "AQ", "second": "Ag"}, "evalByCredential": {"_-4": {"first": "Aw"}}},
            "largeBlob": {"read": true},
        }))
        .unwrap();
        let prf = parsed.prf.unwrap();
        assert_eq!(
            prf.eval,
            Some(PrfValues {
                first: vec![1],
                second: Some(vec![2])
            })
        );
        assert_eq!(
            prf.eval_by_credential.get([0xff, 0xee].as_slice()),
            Some(&PrfValues {
                first: vec![3],
                second: None
            })
        );
        assert_eq!(parsed.large_blob, Some(LargeBlobAccess::Read));
    }

    #[test]
    fn inputs_refuse_bad_base64url_and_read_with_write() {
        assert!(inputs(json!({"prf": {"eval": {"first": "AQ=="}}})).is_err());
        assert!(inputs(json!({"prf": {"evalByCredential": {"**": {"first": "AQ"}}}})).is_err());
        assert!(inputs(json!({"largeBlob": {"read": true, "write": "AQ"}})).is_err());
    }

    #[test]
    fn options_carry_what_was_asked_in_webauthn_names() {
        assert_eq!(options_extensions(&RequestedExtensions::default()), None);
        let requested = RequestedExtensions {
            cred_props: true,
            credential_protection: Some(
                CredentialProtection::UserVerificationOptionalWithCredentialIdList,
            ),
            min_pin_length: true,
            large_blob: Some(LargeBlobRequest::Support(LargeBlobSupport::Required)),
            prf: Some(PrfInput {
                eval: Some(PrfValues {
                    first: vec![1],
                    second: None,
                }),
                eval_by_credential: BTreeMap::new(),
            }),
        };
        assert_eq!(
            options_extensions(&requested),
            Some(json!({
                "credProps": true,
                "credentialProtectionPolicy": "userVerificationOptionalWithCredentialIDList",
                "enforceCredentialProtectionPolicy": true,
                "minPinLength": true,
                "largeBlob": {"support": "required"},
                "prf": {"eval": {"first": "AQ"}},
            }))
        );
    }

    #[test]
    fn results_pass_back_only_what_the_client_reported() {
        assert_eq!(results_json(&ClientExtensionResults::default()), None);
        let results = ClientExtensionResults {
            resident_key: Some(true),
            prf: Some(latchkey_webauthn::PrfOutputs {
                enabled: None,
                results: Some(PrfValues {
                    first: vec![7; 32],
                    second: None,
                }),
            }),
            large_blob: None,
        };
        assert_eq!(
            results_json(&results),
            Some(json!({
                "credProps": {"rk": true},
                "prf": {"results": {"first": URL_SAFE_NO_PAD.encode([7; 32])}},
            }))
        );
    }
}
