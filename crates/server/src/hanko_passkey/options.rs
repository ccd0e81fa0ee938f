//! WebAuthn options as go-webauthn v0.10 serialises them for the original server:
//! `{"publicKey": {...}}`, camelCase, base64url without padding, empty fields omitted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::ceremonies::{LoginOptions, RegistrationOptions};
use latchkey_engine::model::{Attachment, AttestationPreference, ResidentKey, UserVerification};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::extensions::{hint_names, options_extensions};

const PUBLIC_KEY: &str = "public-key";

/// `PublicKeyCredentialCreationOptions` wrapped as `navigator.credentials.create` takes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreationOptions {
    #[serde(rename = "publicKey")]
    public_key: PublicKeyCreation,
}

#[derive(Debug, Serialize, ToSchema)]
struct PublicKeyCreation {
    rp: RelyingParty,
    user: UserEntity,
    challenge: String,
    #[serde(rename = "pubKeyCredParams")]
    params: Vec<CredentialParameter>,
    /// Milliseconds; absent when the tenant sets none.
    #[serde(skip_serializing_if = "is_zero")]
    #[schema(required = false)]
    timeout: u32,
    #[serde(rename = "authenticatorSelection")]
    selection: AuthenticatorSelection,
    /// The kinds of authenticator to offer first, when the tenant configures hints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    hints: Vec<&'static str>,
    #[schema(schema_with = attestation_schema)]
    attestation: &'static str,
    /// WebAuthn extension inputs (`credProps`, `credentialProtectionPolicy`, `prf`, ...);
    /// absent when none are asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, required = false)]
    extensions: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
struct RelyingParty {
    name: String,
    id: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct UserEntity {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<String>,
    #[serde(rename = "displayName")]
    display_name: String,
    id: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct CredentialParameter {
    #[serde(rename = "type")]
    #[schema(schema_with = public_key_schema)]
    kind: &'static str,
    /// A COSE algorithm identifier.
    alg: i64,
}

#[derive(Debug, Serialize, ToSchema)]
struct AuthenticatorSelection {
    /// Absent when the tenant does not restrict it.
    #[serde(
        rename = "authenticatorAttachment",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(schema_with = attachment_schema, required = false)]
    attachment: Option<&'static str>,
    #[serde(rename = "requireResidentKey")]
    require_resident_key: bool,
    #[serde(rename = "residentKey")]
    #[schema(schema_with = resident_key_schema)]
    resident_key: &'static str,
    #[serde(rename = "userVerification")]
    #[schema(schema_with = user_verification_schema)]
    user_verification: &'static str,
}

/// `PublicKeyCredentialRequestOptions` wrapped as `navigator.credentials.get` takes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOptions {
    #[serde(rename = "publicKey")]
    public_key: PublicKeyRequest,
}

#[derive(Debug, Serialize, ToSchema)]
struct PublicKeyRequest {
    challenge: String,
    /// Milliseconds; absent when the tenant sets none.
    #[serde(skip_serializing_if = "is_zero")]
    #[schema(required = false)]
    timeout: u32,
    #[serde(rename = "rpId", skip_serializing_if = "String::is_empty")]
    #[schema(required = false)]
    rp_id: String,
    /// The user's credentials when the login names a user; absent for a discoverable login.
    #[serde(rename = "allowCredentials", skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    allow_credentials: Vec<CredentialDescriptor>,
    #[serde(rename = "userVerification")]
    #[schema(schema_with = user_verification_schema)]
    user_verification: &'static str,
    /// The kinds of authenticator to offer first, when the tenant configures hints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    hints: Vec<&'static str>,
    /// WebAuthn extension inputs (`prf`, `largeBlob`) the caller asked for; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, required = false)]
    extensions: Option<Value>,
}

/// An allowed credential, deliberately without transports.
#[derive(Debug, Serialize, ToSchema)]
struct CredentialDescriptor {
    #[serde(rename = "type")]
    #[schema(schema_with = public_key_schema)]
    kind: &'static str,
    /// The credential id, base64url without padding.
    id: String,
}

impl From<RegistrationOptions> for CreationOptions {
    fn from(options: RegistrationOptions) -> Self {
        Self {
            public_key: PublicKeyCreation {
                rp: RelyingParty {
                    name: options.rp_name,
                    id: options.rp_id,
                },
                user: UserEntity {
                    name: options.user_name,
                    icon: options.user_icon.filter(|icon| !icon.is_empty()),
                    display_name: options.user_display_name,
                    id: URL_SAFE_NO_PAD.encode(&options.user_handle),
                },
                challenge: URL_SAFE_NO_PAD.encode(&options.challenge),
                params: options
                    .algorithms
                    .iter()
                    .map(|alg| CredentialParameter {
                        kind: PUBLIC_KEY,
                        alg: alg.id(),
                    })
                    .collect(),
                timeout: options.timeout_ms,
                selection: AuthenticatorSelection {
                    attachment: options.attachment.map(attachment),
                    require_resident_key: options.resident_key == ResidentKey::Required,
                    resident_key: resident_key(options.resident_key),
                    user_verification: user_verification(options.user_verification),
                },
                hints: hint_names(&options.hints),
                attestation: attestation(options.attestation),
                extensions: options_extensions(&options.extensions),
            },
            // `options.exclude_credentials` stays out: the original sends no excludeCredentials
            // (go-webauthn v0.10 as Hanko calls it), and clients may rely on that.
        }
    }
}

impl From<LoginOptions> for RequestOptions {
    fn from(options: LoginOptions) -> Self {
        Self {
            public_key: PublicKeyRequest {
                challenge: URL_SAFE_NO_PAD.encode(&options.challenge),
                timeout: options.timeout_ms,
                rp_id: options.rp_id,
                allow_credentials: options
                    .allow_credentials
                    .iter()
                    .map(|id| CredentialDescriptor {
                        kind: PUBLIC_KEY,
                        id: URL_SAFE_NO_PAD.encode(id),
                    })
                    .collect(),
                user_verification: user_verification(options.user_verification),
                hints: hint_names(&options.hints),
                extensions: options_extensions(&options.extensions),
            },
        }
    }
}

/// A string schema that allows exactly `values`.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

fn public_key_schema() -> Object {
    one_of([PUBLIC_KEY])
}

fn user_verification_schema() -> Object {
    one_of(
        [
            UserVerification::Required,
            UserVerification::Preferred,
            UserVerification::Discouraged,
        ]
        .map(user_verification),
    )
}

fn attachment_schema() -> Object {
    one_of([Attachment::Platform, Attachment::CrossPlatform].map(attachment))
}

fn resident_key_schema() -> Object {
    one_of(
        [
            ResidentKey::Discouraged,
            ResidentKey::Preferred,
            ResidentKey::Required,
        ]
        .map(resident_key),
    )
}

fn attestation_schema() -> Object {
    one_of(
        [
            AttestationPreference::None,
            AttestationPreference::Indirect,
            AttestationPreference::Direct,
            AttestationPreference::Enterprise,
        ]
        .map(attestation),
    )
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn user_verification(value: UserVerification) -> &'static str {
    match value {
        UserVerification::Required => "required",
        UserVerification::Preferred => "preferred",
        UserVerification::Discouraged => "discouraged",
    }
}

fn attachment(value: Attachment) -> &'static str {
    match value {
        Attachment::Platform => "platform",
        Attachment::CrossPlatform => "cross-platform",
    }
}

fn resident_key(value: ResidentKey) -> &'static str {
    match value {
        ResidentKey::Discouraged => "discouraged",
        ResidentKey::Preferred => "preferred",
        ResidentKey::Required => "required",
    }
}

fn attestation(value: AttestationPreference) -> &'static str {
    match value {
        AttestationPreference::None => "none",
        AttestationPreference::Indirect => "indirect",
        AttestationPreference::Direct => "direct",
        AttestationPreference::Enterprise => "enterprise",
    }
}

#[cfg(test)]
mod tests {
    use latchkey_engine::ceremonies::{ExcludedCredential, RequestedExtensions};
    use latchkey_engine::model::{CredentialProtection, Hint};
    use latchkey_webauthn::CoseAlgorithm;
    use serde_json::json;

    use super::*;

    fn registration(icon: Option<&str>, attachment: Option<Attachment>) -> RegistrationOptions {
        RegistrationOptions {
            rp_id: "example.com".to_owned(),
            rp_name: "Example".to_owned(),
            user_handle: b"user-1".to_vec(),
            user_name: "alice".to_owned(),
            user_display_name: "Alice".to_owned(),
            user_icon: icon.map(str::to_owned),
            challenge: vec![0; 32],
            algorithms: vec![
                CoseAlgorithm::Es256,
                CoseAlgorithm::Es384,
                CoseAlgorithm::Es512,
                CoseAlgorithm::Rs256,
                CoseAlgorithm::Rs384,
                CoseAlgorithm::Rs512,
                CoseAlgorithm::Ps256,
                CoseAlgorithm::Ps384,
                CoseAlgorithm::Ps512,
                CoseAlgorithm::EdDsa,
            ],
            timeout_ms: 60000,
            attachment,
            resident_key: ResidentKey::Required,
            user_verification: UserVerification::Required,
            attestation: AttestationPreference::Direct,
            // Present, so that the shape tests show they are not sent.
            exclude_credentials: vec![ExcludedCredential {
                id: vec![1, 2, 3],
                transports: Vec::new(),
            }],
            extensions: Default::default(),
            hints: Vec::new(),
        }
    }

    #[test]
    fn creation_options_match_go_webauthn() {
        let options = CreationOptions::from(registration(None, None));
        let challenge = "A".repeat(43);
        let text = serde_json::to_string(&options).unwrap();
        let expected = json!({"publicKey": {
            "rp": {"name": "Example", "id": "example.com"},
            "user": {"name": "alice", "displayName": "Alice", "id": "dXNlci0x"},
            "challenge": challenge,
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -35},
                {"type": "public-key", "alg": -36},
                {"type": "public-key", "alg": -257},
                {"type": "public-key", "alg": -258},
                {"type": "public-key", "alg": -259},
                {"type": "public-key", "alg": -37},
                {"type": "public-key", "alg": -38},
                {"type": "public-key", "alg": -39},
                {"type": "public-key", "alg": -8}
            ],
            "timeout": 60000,
            "authenticatorSelection": {
                "requireResidentKey": true,
                "residentKey": "required",
                "userVerification": "required"
            },
            "attestation": "direct"
        }});
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            expected
        );
        // Field order is go-webauthn's struct order.
        assert!(text.starts_with(r#"{"publicKey":{"rp":{"name":"Example","id":"example.com"},"user":{"name":"alice","displayName":"Alice","id":"dXNlci0x"},"challenge":"#));
        assert!(text.ends_with(r#""timeout":60000,"authenticatorSelection":{"requireResidentKey":true,"residentKey":"required","userVerification":"required"},"attestation":"direct"}}"#));
    }

    #[test]
    fn icon_and_attachment_appear_when_set() {
        let options = CreationOptions::from(registration(
            Some("https://example.com/a.png"),
            Some(Attachment::CrossPlatform),
        ));
        let value = serde_json::to_value(&options).unwrap();
        assert_eq!(
            value["publicKey"]["user"]["icon"],
            json!("https://example.com/a.png")
        );
        assert_eq!(
            value["publicKey"]["authenticatorSelection"]["authenticatorAttachment"],
            json!("cross-platform")
        );
        let blank =
            serde_json::to_value(CreationOptions::from(registration(Some(""), None))).unwrap();
        assert!(blank["publicKey"]["user"].get("icon").is_none());
    }

    #[test]
    fn hints_and_extensions_are_additions_after_the_original_fields() {
        let mut options = registration(None, None);
        options.hints = vec![Hint::SecurityKey, Hint::Hybrid];
        options.extensions = RequestedExtensions {
            cred_props: true,
            credential_protection: Some(CredentialProtection::UserVerificationRequired),
            ..RequestedExtensions::default()
        };
        let text = serde_json::to_string(&CreationOptions::from(options)).unwrap();
        assert!(text.ends_with(r#""userVerification":"required"},"hints":["security-key","hybrid"],"attestation":"direct","extensions":{"credProps":true,"credentialProtectionPolicy":"userVerificationRequired","enforceCredentialProtectionPolicy":true}}}"#), "{text}");
    }

    #[test]
    fn discoverable_request_options_have_no_allow_list() {
        let options = RequestOptions::from(LoginOptions {
            challenge: vec![0; 32],
            timeout_ms: 120000,
            rp_id: "example.com".to_owned(),
            user_verification: UserVerification::Preferred,
            allow_credentials: Vec::new(),
            extensions: Default::default(),
            hints: Vec::new(),
        });
        assert_eq!(
            serde_json::to_string(&options).unwrap(),
            r#"{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","timeout":120000,"rpId":"example.com","userVerification":"preferred"}}"#
        );
    }

    #[test]
    fn allow_list_has_ids_without_transports() {
        let options = RequestOptions::from(LoginOptions {
            challenge: vec![1, 2, 3],
            timeout_ms: 0,
            rp_id: "example.com".to_owned(),
            user_verification: UserVerification::Required,
            allow_credentials: vec![vec![0xff, 0xee], vec![1]],
            extensions: Default::default(),
            hints: Vec::new(),
        });
        assert_eq!(
            serde_json::to_string(&options).unwrap(),
            r#"{"publicKey":{"challenge":"AQID","rpId":"example.com","allowCredentials":[{"type":"public-key","id":"_-4"},{"type":"public-key","id":"AQ"}],"userVerification":"required"}}"#
        );
    }
}
