//! Loads the vector files under `tests/vectors/` (see its README for the shape).

use std::path::{Path, PathBuf};

use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, CredentialPublicKey, Policy, RegistrationResponse,
    RelyingParty, Result, StoredCredential, TrustAnchors, UnixTime, UserVerification,
    VerifiedAssertion, VerifiedRegistration, decode_base64url, verify_assertion,
    verify_registration,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Expect {
    pub valid: bool,
    pub error: Option<String>,
    pub fmt: Option<String>,
    pub attestation_type: Option<String>,
    pub alg: Option<i64>,
    pub trusted: Option<bool>,
    pub sign_count: Option<u32>,
    #[allow(dead_code)]
    pub source_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    #[serde(skip)]
    pub path: PathBuf,
    pub source: String,
    pub ceremony: String,
    pub rp_id: String,
    pub origins: Vec<String>,
    pub challenge: String,
    pub time: Option<String>,
    pub user_verification: Option<String>,
    #[serde(default)]
    pub trust: Vec<String>,
    pub response: serde_json::Value,
    pub public_key: Option<String>,
    pub stored_sign_count: Option<u32>,
    pub user_handle: Option<String>,
    /// Departures from canonical CBOR the recording needs (names of `CborLeniency` switches).
    #[serde(default)]
    pub cbor_leniency: Vec<String>,
    pub expect: Expect,
}

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Every vector file, sorted by path.
pub fn all_vectors() -> Vec<Vector> {
    let mut paths = Vec::new();
    for dir in std::fs::read_dir(vectors_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                paths.push(file);
            }
        }
    }
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

/// One vector, by path relative to `tests/vectors`.
pub fn vector(name: &str) -> Vector {
    load(&vectors_dir().join(name))
}

fn load(path: &Path) -> Vector {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Vector =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v.path = path.to_path_buf();
    v
}

/// A DER CRL that the CA `params`/`key` issues in 2021, revoking `serials`.
pub fn crl(params: &rcgen::CertificateParams, key: &rcgen::KeyPair, serials: &[u64]) -> Vec<u8> {
    use rcgen::{
        CertificateRevocationListParams, Issuer, KeyIdMethod, RevokedCertParams, SerialNumber,
        date_time_ymd,
    };
    CertificateRevocationListParams {
        this_update: date_time_ymd(2021, 6, 1),
        next_update: date_time_ymd(2021, 7, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from(*serial),
                revocation_time: date_time_ymd(2021, 6, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&Issuer::new(params.clone(), key))
    .unwrap()
    .der()
    .to_vec()
}

/// An RFC 3339 UTC time as Unix seconds.
pub fn rfc3339(s: &str) -> UnixTime {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    UnixTime(t.unix_timestamp())
}

impl Vector {
    pub fn name(&self) -> String {
        self.path
            .strip_prefix(vectors_dir())
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }

    pub fn rp(&self) -> RelyingParty {
        RelyingParty::new(self.rp_id.clone(), self.origins.clone())
    }

    pub fn policy(&self) -> Policy {
        let mut policy = Policy::default();
        policy.user_verification = match self.user_verification.as_deref() {
            Some("required") => UserVerification::Required,
            Some("discouraged") => UserVerification::Discouraged,
            _ => UserVerification::Preferred,
        };
        // Vectors record real authenticators; some legacy ones sign with RS1.
        policy.algorithms = latchkey_webauthn::CoseAlgorithm::ALL.to_vec();
        // A suite that configures trust roots refuses chains that do not reach them.
        policy.require_trusted_attestation = !self.trust.is_empty();
        for switch in &self.cbor_leniency {
            match switch.as_str() {
                "indefinite_lengths" => policy.cbor.indefinite_lengths = true,
                "unsorted_keys" => policy.cbor.unsorted_keys = true,
                "long_heads" => policy.cbor.long_heads = true,
                other => panic!("{}: unknown CBOR leniency {other}", self.name()),
            }
        }
        policy
    }

    /// The bytes of the base64url field `response.<name>`.
    pub fn response_field(&self, name: &str) -> Vec<u8> {
        let text = self.response["response"][name].as_str().unwrap();
        decode_base64url("vector", text, 1 << 20).unwrap()
    }

    /// The attestation object, decoded as CBOR.
    pub fn attestation_object(&self) -> ciborium::Value {
        ciborium::from_reader(self.response_field("attestationObject").as_slice()).unwrap()
    }

    pub fn challenge(&self) -> Vec<u8> {
        decode_base64url("challenge", &self.challenge, 1024).unwrap()
    }

    pub fn now(&self) -> UnixTime {
        self.time
            .as_deref()
            .map(rfc3339)
            .unwrap_or(UnixTime(1_700_000_000))
    }

    pub fn trust(&self) -> TrustAnchors {
        let mut anchors = TrustAnchors::none();
        for name in &self.trust {
            let pem = std::fs::read_to_string(vectors_dir().join(name)).unwrap();
            anchors.add_pem(&pem).unwrap();
        }
        anchors
    }

    pub fn response_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.response).unwrap()
    }

    pub fn registration(&self) -> Result<VerifiedRegistration> {
        self.registration_with(&self.policy(), &self.response_json())
    }

    pub fn registration_with(&self, policy: &Policy, json: &[u8]) -> Result<VerifiedRegistration> {
        let response = RegistrationResponse::from_json(json)?;
        verify_registration(
            &self.rp(),
            policy,
            &self.challenge(),
            &response,
            &self.trust(),
            self.now(),
        )
    }

    pub fn assertion(&self) -> Result<VerifiedAssertion> {
        self.assertion_with(&self.policy(), &self.response_json())
    }

    pub fn assertion_with(&self, policy: &Policy, json: &[u8]) -> Result<VerifiedAssertion> {
        let response = AuthenticationResponse::from_json(json)?;
        let key =
            decode_base64url("public_key", self.public_key.as_deref().unwrap(), 4096).unwrap();
        let key = CredentialPublicKey::from_cose(&key)?;
        let user_handle = match &self.user_handle {
            Some(h) => decode_base64url("user_handle", h, 1024).unwrap(),
            None => response.user_handle.clone().unwrap_or_default(),
        };
        let backup_eligible =
            latchkey_webauthn::AuthenticatorData::parse(&response.authenticator_data, 1023)
                .map(|d| d.flags.backup_eligible())
                .unwrap_or(false);
        let credential = StoredCredential {
            id: &response.raw_id,
            public_key: &key,
            sign_count: self.stored_sign_count.unwrap_or(0),
            backup_eligible,
            user_handle: &user_handle,
        };
        let challenge = self.challenge();
        let request = AssertionRequest {
            challenge: &challenge,
            allow_credentials: &[],
            user_handle: Some(&user_handle),
        };
        verify_assertion(&self.rp(), policy, &request, &response, &credential)
    }
}
