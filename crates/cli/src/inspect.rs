//! `latchkey inspect`: verify a `PublicKeyCredential.toJSON()` payload offline.
//!
//! Exit codes: 0 valid, 1 invalid payload (the JSON on stdout names the failed check), 2 bad
//! usage or unreadable input (a message on stderr).

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, AuthenticatorData, BlobTrust, CredentialPublicKey,
    Error, Metadata, Policy, RegistrationResponse, RelyingParty, StoredCredential, TrustAnchors,
    UnixTime, UserVerification, challenge_of, decode_base64url, encode_base64url, verify_assertion,
    verify_registration,
};
use serde_json::json;

/// The root of the FIDO Alliance metadata service's signing chain (GlobalSign Root CA - R3).
pub(crate) const FIDO_MDS_ROOT: &str = include_str!("fido-mds-root.pem");

#[derive(Debug, Subcommand)]
pub enum Inspect {
    /// A registration (attestation) response.
    Registration {
        #[command(flatten)]
        common: Common,
        /// A PEM file of trusted attestation roots, or a FIDO MDS3 BLOB (repeatable).
        #[arg(long = "trust", value_name = "FILE")]
        trust: Vec<PathBuf>,
        /// A DER certificate revocation list for the attestation chain or an MDS3 BLOB's chain
        /// (repeatable); it counts once its issuer's signature verifies.
        #[arg(long = "crl", value_name = "FILE")]
        crls: Vec<PathBuf>,
    },
    /// An authentication (assertion) response.
    Assertion {
        #[command(flatten)]
        common: Common,
        /// The stored credential public key: COSE_Key, base64url.
        #[arg(long, value_name = "COSE_B64URL")]
        public_key: String,
        /// The stored signature counter.
        #[arg(long, value_name = "N", default_value_t = 0)]
        sign_count: u32,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// The relying party ID.
    #[arg(long, value_name = "ID")]
    rp_id: String,
    /// An allowed origin (repeatable).
    #[arg(long = "origin", value_name = "ORIGIN", required = true)]
    origins: Vec<String>,
    /// The challenge the server issued, base64url. Without it the challenge is not checked.
    #[arg(long, value_name = "B64URL")]
    challenge: Option<String>,
    /// Require user verification.
    #[arg(long)]
    require_user_verification: bool,
    /// Check certificates at this RFC 3339 time instead of now (to replay old payloads).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// The JSON of `PublicKeyCredential.toJSON()`, or `-` for stdin.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// A failure that is the caller's, not the payload's.
struct Usage(String);

pub fn run(what: Inspect) -> ExitCode {
    match inspect(what) {
        Ok(Ok(summary)) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Ok(Err(error)) => {
            println!(
                "{}",
                json!({ "valid": false, "error": error.kind(), "message": error.to_string() })
            );
            ExitCode::from(1)
        }
        Err(Usage(message)) => {
            eprintln!("latchkey inspect: {message}");
            ExitCode::from(2)
        }
    }
}

fn inspect(what: Inspect) -> Result<Result<serde_json::Value, Error>, Usage> {
    match what {
        Inspect::Registration {
            common,
            trust,
            crls,
        } => {
            let input = read_input(&common.file)?;
            let now = common.now()?;
            let crls = crls
                .iter()
                .map(|file| {
                    std::fs::read(file).map_err(|e| Usage(format!("{}: {e}", file.display())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let anchors = load_trust(&trust, &crls, now)?;
            Ok(registration(&common, &input, &anchors, now))
        }
        Inspect::Assertion {
            common,
            public_key,
            sign_count,
        } => {
            let key = decode_base64url("--public-key", &public_key, 4096)
                .map_err(|e| Usage(e.to_string()))?;
            let key = CredentialPublicKey::from_cose(&key)
                .map_err(|e| Usage(format!("--public-key: {e}")))?;
            let input = read_input(&common.file)?;
            Ok(assertion(&common, &input, &key, sign_count))
        }
    }
}

impl Common {
    fn now(&self) -> Result<UnixTime, Usage> {
        match &self.at {
            // The command line is where the clock is read; the library only takes the time.
            #[allow(clippy::disallowed_methods)]
            None => Ok(UnixTime::from_system(std::time::SystemTime::now())),
            Some(at) => {
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                    .map(|t| UnixTime(t.unix_timestamp()))
                    .map_err(|_| Usage(format!("--at: not an RFC 3339 time: {at}")))
            }
        }
    }

    fn challenge(&self, client_data_json: &[u8]) -> Result<Vec<u8>, Error> {
        match &self.challenge {
            Some(c) => decode_base64url("--challenge", c, 1024),
            None => challenge_of(client_data_json),
        }
    }

    fn policy(&self) -> Policy {
        let mut policy = Policy::default();
        if self.require_user_verification {
            policy.user_verification = UserVerification::Required;
        }
        policy
    }
}

fn registration(
    common: &Common,
    input: &[u8],
    anchors: &TrustAnchors,
    now: UnixTime,
) -> Result<serde_json::Value, Error> {
    let response = RegistrationResponse::from_json(input)?;
    let challenge = common.challenge(&response.client_data_json)?;
    let rp = RelyingParty::new(common.rp_id.clone(), common.origins.clone());
    let verified = verify_registration(&rp, &common.policy(), &challenge, &response, anchors, now)?;
    serde_json::to_value(verified.summary()).map_err(|_| Error::Malformed {
        field: "output",
        reason: "unserializable",
    })
}

fn assertion(
    common: &Common,
    input: &[u8],
    key: &CredentialPublicKey,
    sign_count: u32,
) -> Result<serde_json::Value, Error> {
    let response = AuthenticationResponse::from_json(input)?;
    let challenge = common.challenge(&response.client_data_json)?;
    // Offline there is no stored state to compare with, so the response stands in for it: the
    // owner is whoever the user handle names and backup eligibility is what the flags say.
    let user_handle = response.user_handle.clone().unwrap_or_default();
    let backup_eligible = AuthenticatorData::parse(&response.authenticator_data, usize::MAX)?
        .flags
        .backup_eligible();
    let credential = StoredCredential {
        id: &response.raw_id,
        public_key: key,
        sign_count,
        backup_eligible,
        user_handle: &user_handle,
    };
    let request = AssertionRequest {
        challenge: &challenge,
        allow_credentials: &[],
        user_handle: Some(&user_handle),
    };
    let rp = RelyingParty::new(common.rp_id.clone(), common.origins.clone());
    let verified = verify_assertion(&rp, &common.policy(), &request, &response, &credential)?;
    Ok(json!({
        "valid": true,
        "alg": key.alg().id(),
        "credential_id": encode_base64url(&response.raw_id),
        "user_handle": response.user_handle.as_deref().map(encode_base64url),
        "sign_count": verified.sign_count,
        "counter": verified.counter,
        "flags": verified.flags,
    }))
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, Usage> {
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| Usage(format!("{}: {e}", path.display())))?;
    Ok(bytes)
}

/// PEM files are roots; anything else is taken as an MDS3 BLOB, verified against the FIDO root
/// and the PEM roots given beside it. The CRLs apply to the attestation chain and BLOB chains.
fn load_trust(files: &[PathBuf], crls: &[Vec<u8>], now: UnixTime) -> Result<TrustAnchors, Usage> {
    let mut anchors = TrustAnchors::none();
    for crl in crls {
        anchors
            .add_crl_der(crl.clone())
            .map_err(|e| Usage(format!("--crl: {e}")))?;
    }
    let mut blobs = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(file).map_err(|e| Usage(format!("{}: {e}", file.display())))?;
        if text.contains("-----BEGIN CERTIFICATE-----") {
            anchors
                .add_pem(&text)
                .map_err(|e| Usage(format!("{}: {e}", file.display())))?;
        } else {
            blobs.push((file, text));
        }
    }
    let mut blob_roots = TrustAnchors::none();
    blob_roots
        .add_pem(FIDO_MDS_ROOT)
        .map_err(|e| Usage(format!("built-in FIDO root: {e}")))?;
    for root in anchors.roots() {
        blob_roots
            .add_der(root.clone())
            .map_err(|e| Usage(e.to_string()))?;
    }
    let blob_trust =
        anchors
            .crls()
            .iter()
            .try_fold(BlobTrust::fido(blob_roots.roots()), |trust, crl| {
                trust
                    .with_crl_der(crl.clone())
                    .map_err(|e| Usage(e.to_string()))
            })?;
    for (file, text) in blobs {
        let metadata = Metadata::from_blob(text.trim(), &blob_trust, now).map_err(|e| {
            Usage(format!(
                "{}: not a PEM file nor a valid MDS3 BLOB: {e}",
                file.display()
            ))
        })?;
        anchors.add_metadata(metadata);
    }
    Ok(anchors)
}
