//! What the fuzz targets share: the real vectors under `crates/webauthn/tests/vectors`, loaded once,
//! so a fuzzed field is checked with the challenge, relying party, trust anchors and time of the
//! ceremony it came from and the code behind the first checks runs.
//!
//! Targets whose input starts with a vector selector read it with [`split_selector`]: two bytes,
//! big-endian, taken modulo the number of vectors by [`pick`], in the order of [`registrations`]
//! and [`assertions`] (vector files sorted by their path under `tests/vectors`).
//! `seed-corpora.py` writes seeds in the same layout.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, AuthenticatorData, CoseAlgorithm,
    CredentialPublicKey, Policy, RegistrationResponse, RelyingParty, StoredCredential,
    TrustAnchors, UnixTime, UserVerification, decode_base64url, verify_assertion,
    verify_registration,
};
use serde_json::Value;

/// A registration vector, ready to verify.
#[derive(Debug)]
pub struct Registration {
    pub rp: RelyingParty,
    pub policy: Policy,
    pub challenge: Vec<u8>,
    pub response: RegistrationResponse,
    pub trust: TrustAnchors,
    pub now: UnixTime,
}

/// An assertion vector and the credential it is checked against.
#[derive(Debug)]
pub struct Assertion {
    pub rp: RelyingParty,
    pub policy: Policy,
    pub challenge: Vec<u8>,
    pub response: AuthenticationResponse,
    /// `None` when the vector's stored key itself does not parse (a negative vector).
    pub public_key: Option<CredentialPublicKey>,
    pub user_handle: Vec<u8>,
    pub stored_sign_count: u32,
}

impl Registration {
    /// Verifies `response` as this vector's ceremony; the result is discarded, only a panic counts.
    pub fn verify(&self, response: &RegistrationResponse) {
        if let Ok(verified) = verify_registration(
            &self.rp,
            &self.policy,
            &self.challenge,
            response,
            &self.trust,
            self.now,
        ) {
            let _ = serde_json::to_string(&verified.summary());
        }
    }
}

impl Assertion {
    /// Verifies `response` against this vector's stored credential.
    pub fn verify(&self, response: &AuthenticationResponse) {
        let Some(public_key) = &self.public_key else {
            return;
        };
        let backup_eligible = AuthenticatorData::parse(&self.response.authenticator_data, 1023)
            .is_ok_and(|d| d.flags.backup_eligible());
        let credential = StoredCredential {
            id: &response.raw_id,
            public_key,
            sign_count: self.stored_sign_count,
            backup_eligible,
            user_handle: &self.user_handle,
        };
        let request = AssertionRequest {
            challenge: &self.challenge,
            allow_credentials: &[],
            user_handle: Some(&self.user_handle),
        };
        let _ = verify_assertion(&self.rp, &self.policy, &request, response, &credential);
    }
}

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every registration vector, sorted by path.
pub fn registrations() -> &'static [Registration] {
    &VECTORS.0
}

/// Every assertion vector, sorted by path.
pub fn assertions() -> &'static [Assertion] {
    &VECTORS.1
}

/// Splits a two-byte selector off `data`: the selector, big-endian, and the rest of the input.
pub fn split_selector(data: &[u8]) -> Option<(usize, &[u8])> {
    let (selector, rest) = data.split_first_chunk::<2>()?;
    Some((usize::from(u16::from_be_bytes(*selector)), rest))
}

/// The item `index` picks from `items`, modulo their number.
pub fn pick<T>(items: &[T], index: usize) -> Option<&T> {
    items.get(index.checked_rem(items.len())?)
}

/// A DER root certificate from a PEM file under `tests/vectors/roots`.
pub fn root(name: &str) -> Vec<Vec<u8>> {
    let mut anchors = TrustAnchors::none();
    anchors
        .add_pem(&read(&vectors_dir().join("roots").join(name)))
        .expect("root PEM parses");
    anchors.roots().to_vec()
}

/// An RFC 3339 time as Unix seconds.
/// The subject common name of the signer of the MDS3 specification's example BLOB.
pub const EXAMPLE_MDS_SIGNER: &str = "EXAMPLE MDS3 SIGNING CERTIFICATE";

/// The MDS3 specification's example BLOB (`go-webauthn/mds3-blob.jwt`).
pub fn example_blob() -> String {
    read(&vectors_dir().join("go-webauthn/mds3-blob.jwt"))
        .trim()
        .to_owned()
}

pub fn rfc3339(s: &str) -> UnixTime {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 time");
    UnixTime(t.unix_timestamp())
}

static VECTORS: LazyLock<(Vec<Registration>, Vec<Assertion>)> = LazyLock::new(load);

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn b64(value: &Value) -> Vec<u8> {
    value
        .as_str()
        .map(|s| decode_base64url("vector", s, 1 << 20).expect("vector base64url"))
        .unwrap_or_default()
}

fn load() -> (Vec<Registration>, Vec<Assertion>) {
    let dir = vectors_dir();
    let mut names = Vec::new();
    for sub in std::fs::read_dir(&dir).expect("tests/vectors exists") {
        let sub = sub.expect("readable directory").path();
        if !sub.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&sub).expect("readable directory") {
            let file = file.expect("readable file").path();
            if file.extension().is_some_and(|e| e == "json") {
                let relative = file.strip_prefix(&dir).expect("under tests/vectors");
                names.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    names.sort();

    let (mut registrations, mut assertions) = (Vec::new(), Vec::new());
    for name in names {
        let v: Value = serde_json::from_str(&read(&dir.join(&name))).expect("vector JSON");
        let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
        let origins: Vec<String> = v["origins"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| o.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let rp = RelyingParty::new(text("rp_id"), origins);
        let trust_files: Vec<String> = v["trust"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut policy = Policy::default();
        policy.user_verification = match v["user_verification"].as_str() {
            Some("required") => UserVerification::Required,
            Some("discouraged") => UserVerification::Discouraged,
            _ => UserVerification::Preferred,
        };
        policy.algorithms = CoseAlgorithm::ALL.to_vec();
        policy.require_trusted_attestation = !trust_files.is_empty();
        let challenge = b64(&v["challenge"]);
        let response = &v["response"];
        let fields = &response["response"];
        if v["ceremony"] == "registration" {
            let mut trust = TrustAnchors::none();
            for file in &trust_files {
                trust
                    .add_pem(&read(&dir.join(file)))
                    .expect("trust PEM parses");
            }
            registrations.push(Registration {
                rp,
                policy,
                challenge,
                response: RegistrationResponse {
                    raw_id: b64(&response["rawId"]),
                    client_data_json: b64(&fields["clientDataJSON"]),
                    attestation_object: b64(&fields["attestationObject"]),
                    transports: Vec::new(),
                    client_extension_results: Default::default(),
                },
                trust,
                now: v["time"].as_str().map_or(UnixTime(1_700_000_000), rfc3339),
            });
        } else {
            let returned_handle = b64(&fields["userHandle"]);
            let user_handle = match v["user_handle"].as_str() {
                Some(_) => b64(&v["user_handle"]),
                None => returned_handle.clone(),
            };
            assertions.push(Assertion {
                rp,
                policy,
                challenge,
                response: AuthenticationResponse {
                    raw_id: b64(&response["rawId"]),
                    client_data_json: b64(&fields["clientDataJSON"]),
                    authenticator_data: b64(&fields["authenticatorData"]),
                    signature: b64(&fields["signature"]),
                    user_handle: (!returned_handle.is_empty()).then_some(returned_handle),
                    client_extension_results: Default::default(),
                },
                public_key: CredentialPublicKey::from_cose(&b64(&v["public_key"])).ok(),
                user_handle,
                stored_sign_count: v["stored_sign_count"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
            });
        }
    }
    (registrations, assertions)
}
