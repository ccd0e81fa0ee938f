//! WebAuthn options in the W3C JSON shape (base64url without padding), with the
//! `status`/`errorMessage` pair of the FIDO conformance server binding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::ceremonies::{LoginOptions, RegistrationOptions};
use latchkey_engine::model::{Attachment, AttestationPreference, ResidentKey, UserVerification};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::openapi::{attachment, attestation_conveyance, resident_key, user_verification};
use crate::extensions::{hint_names, options_extensions};

const PUBLIC_KEY: &str = "public-key";
const OK: &str = "ok";

/// `PublicKeyCredentialCreationOptions`, in the documented field order; binary values are
/// base64url without padding.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    rp: RelyingParty,
    user: UserEntity,
    #[schema(schema_with = attestation_conveyance)]
    attestation: AttestationPreference,
    pub_key_cred_params: Vec<CredentialParameter>,
    /// Milliseconds.
    timeout: u32,
    authenticator_selection: AuthenticatorSelection,
    challenge: String,
    exclude_credentials: Vec<CredentialDescriptor>,
    /// The kinds of authenticator to offer first, when the tenant configures hints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    hints: Vec<&'static str>,
    /// WebAuthn extension inputs (`credProps`, `credentialProtectionPolicy`, `prf`, ...);
    /// absent when none are asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, required = false)]
    extensions: Option<Value>,
    #[schema(pattern = "^ok$")]
    status: &'static str,
    #[schema(max_length = 0)]
    error_message: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
struct RelyingParty {
    name: String,
    id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserEntity {
    /// The user handle.
    id: String,
    name: String,
    display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct CredentialParameter {
    #[serde(rename = "type")]
    #[schema(pattern = "^public-key$")]
    kind: &'static str,
    /// A COSE algorithm identifier.
    alg: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AuthenticatorSelection {
    #[schema(schema_with = user_verification)]
    user_verification: UserVerification,
    require_resident_key: bool,
    #[schema(schema_with = resident_key)]
    resident_key: ResidentKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = attachment, required = false)]
    authenticator_attachment: Option<Attachment>,
}

/// A credential the client should exclude or may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialDescriptor {
    #[serde(rename = "type")]
    #[schema(pattern = "^public-key$")]
    kind: &'static str,
    /// The credential id.
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    transports: Vec<String>,
}

impl CredentialDescriptor {
    pub fn new(id: &[u8], transports: Vec<String>) -> Self {
        Self {
            kind: PUBLIC_KEY,
            id: URL_SAFE_NO_PAD.encode(id),
            transports,
        }
    }
}

impl CreationOptions {
    /// The options of a started registration. `attestation` is what the caller asked for,
    /// echoed; without it, the realm's preference.
    pub fn new(options: RegistrationOptions, attestation: Option<AttestationPreference>) -> Self {
        Self {
            rp: RelyingParty {
                name: options.rp_name,
                id: options.rp_id,
            },
            user: UserEntity {
                id: URL_SAFE_NO_PAD.encode(&options.user_handle),
                name: options.user_name,
                display_name: options.user_display_name,
            },
            attestation: attestation.unwrap_or(options.attestation),
            pub_key_cred_params: options
                .algorithms
                .iter()
                .map(|alg| CredentialParameter {
                    kind: PUBLIC_KEY,
                    alg: alg.id(),
                })
                .collect(),
            timeout: options.timeout_ms,
            authenticator_selection: AuthenticatorSelection {
                user_verification: options.user_verification,
                require_resident_key: options.resident_key == ResidentKey::Required,
                resident_key: options.resident_key,
                authenticator_attachment: options.attachment,
            },
            challenge: URL_SAFE_NO_PAD.encode(&options.challenge),
            exclude_credentials: options
                .exclude_credentials
                .into_iter()
                .map(|excluded| CredentialDescriptor::new(&excluded.id, excluded.transports))
                .collect(),
            hints: hint_names(&options.hints),
            extensions: options_extensions(&options.extensions),
            status: OK,
            error_message: "",
        }
    }
}

/// `PublicKeyCredentialRequestOptions`, in the documented field order; binary values are
/// base64url without padding.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    challenge: String,
    rp_id: String,
    /// Milliseconds.
    timeout: u32,
    #[schema(schema_with = user_verification)]
    user_verification: UserVerification,
    /// Empty for a discoverable login.
    allow_credentials: Vec<CredentialDescriptor>,
    /// The kinds of authenticator to offer first, when the tenant configures hints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    hints: Vec<&'static str>,
    /// WebAuthn extension inputs (`prf`, `largeBlob`) the caller asked for; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, required = false)]
    extensions: Option<Value>,
    #[schema(pattern = "^ok$")]
    status: &'static str,
    #[schema(max_length = 0)]
    error_message: &'static str,
}

impl From<LoginOptions> for RequestOptions {
    fn from(options: LoginOptions) -> Self {
        Self {
            challenge: URL_SAFE_NO_PAD.encode(&options.challenge),
            rp_id: options.rp_id,
            timeout: options.timeout_ms,
            user_verification: options.user_verification,
            // The engine leaves transports out on purpose (hints made some clients skip
            // usable authenticators).
            allow_credentials: options
                .allow_credentials
                .iter()
                .map(|id| CredentialDescriptor::new(id, Vec::new()))
                .collect(),
            hints: hint_names(&options.hints),
            extensions: options_extensions(&options.extensions),
            status: OK,
            error_message: "",
        }
    }
}

#[cfg(test)]
mod tests {
    use latchkey_engine::ceremonies::ExcludedCredential;
    use latchkey_webauthn::CoseAlgorithm;
    use serde_json::json;

    use super::*;

    #[test]
    fn creation_options_shape() {
        let options = RegistrationOptions {
            rp_id: "login.example".to_owned(),
            rp_name: "Example".to_owned(),
            user_handle: b"alice".to_vec(),
            user_name: "alice".to_owned(),
            user_display_name: "Alice".to_owned(),
            user_icon: None,
            challenge: vec![0; 32],
            algorithms: vec![CoseAlgorithm::Es256, CoseAlgorithm::Rs256],
            timeout_ms: 300_000,
            attachment: Some(Attachment::CrossPlatform),
            resident_key: ResidentKey::Required,
            user_verification: UserVerification::Required,
            attestation: AttestationPreference::Direct,
            exclude_credentials: vec![ExcludedCredential {
                id: vec![0xff, 0xee],
                transports: vec!["usb".to_owned()],
            }],
            extensions: Default::default(),
            hints: Vec::new(),
        };
        let text = serde_json::to_string(&CreationOptions::new(
            options,
            Some(AttestationPreference::None),
        ))
        .unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            json!({
                "rp": {"name": "Example", "id": "login.example"},
                "user": {"id": "YWxpY2U", "name": "alice", "displayName": "Alice"},
                "attestation": "none",
                "pubKeyCredParams": [
                    {"type": "public-key", "alg": -7},
                    {"type": "public-key", "alg": -257}
                ],
                "timeout": 300000,
                "authenticatorSelection": {
                    "userVerification": "required",
                    "requireResidentKey": true,
                    "residentKey": "required",
                    "authenticatorAttachment": "cross-platform"
                },
                "challenge": "A".repeat(43),
                "excludeCredentials": [{"type": "public-key", "id": "_-4", "transports": ["usb"]}],
                "status": "ok",
                "errorMessage": ""
            })
        );
        assert!(text.starts_with(r#"{"rp":"#));
        assert!(text.ends_with(r#""status":"ok","errorMessage":""}"#));
    }

    #[test]
    fn request_options_shape() {
        let options = RequestOptions::from(LoginOptions {
            challenge: vec![1, 2, 3],
            timeout_ms: 60_000,
            rp_id: "login.example".to_owned(),
            user_verification: UserVerification::Preferred,
            allow_credentials: vec![vec![1]],
            extensions: Default::default(),
            hints: Vec::new(),
        });
        assert_eq!(
            serde_json::to_string(&options).unwrap(),
            r#"{"challenge":"AQID","rpId":"login.example","timeout":60000,"userVerification":"preferred","allowCredentials":[{"type":"public-key","id":"AQ"}],"status":"ok","errorMessage":""}"#
        );
    }
}
