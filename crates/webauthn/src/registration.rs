//! Registration ceremony verification (WebAuthn L3 §7.1).

use aws_lc_rs::digest;
use serde::Serialize;

use crate::attestation::{self, AttestationFormat, AttestationType, Input};
use crate::auth_data::{Aaguid, AuthenticatorData, Flags};
use crate::cbor::{self, Map};
use crate::client_data::{self, Ceremony};
use crate::cose::CredentialPublicKey;
use crate::error::{Error, Result};
use crate::extensions::AuthenticatorExtensionOutputs;
use crate::json::RegistrationResponse;
use crate::policy::{Policy, RelyingParty};
use crate::time::UnixTime;
use crate::trust::TrustAnchors;
use crate::x509;

/// A verified new credential, ready to store.
#[derive(Debug, Clone)]
pub struct VerifiedRegistration {
    /// The credential ID.
    pub credential_id: Vec<u8>,
    /// The credential public key.
    pub public_key: CredentialPublicKey,
    /// The initial signature counter.
    pub sign_count: u32,
    /// The authenticator data flags.
    pub flags: Flags,
    /// The authenticator model.
    pub aaguid: Aaguid,
    /// Transports the client reported.
    pub transports: Vec<String>,
    /// The attestation statement format.
    pub fmt: AttestationFormat,
    /// The attestation type the statement proved.
    pub attestation_type: AttestationType,
    /// The attestation certificates, leaf first (DER).
    pub trust_path: Vec<Vec<u8>>,
    /// Whether the trust path reached one of the supplied trust anchors.
    pub trusted: bool,
    /// The extension outputs of the authenticator data that describe the credential.
    pub extensions: AuthenticatorExtensionOutputs,
}

/// The stable JSON view of a verified registration (used by `latchkey inspect`).
#[derive(Debug, Serialize)]
pub struct RegistrationSummary<'a> {
    /// Always true.
    pub valid: bool,
    /// Statement format.
    pub fmt: AttestationFormat,
    /// Attestation type.
    pub attestation_type: AttestationType,
    /// AAGUID.
    pub aaguid: Aaguid,
    /// COSE algorithm identifier.
    pub alg: i64,
    /// Credential ID, base64url.
    pub credential_id: String,
    /// COSE public key, base64url.
    pub public_key: String,
    /// Signature counter.
    pub sign_count: u32,
    /// Flags.
    pub flags: Flags,
    /// Transports.
    pub transports: &'a [String],
    /// Whether the chain reached a trust anchor.
    pub trusted: bool,
}

impl VerifiedRegistration {
    /// The JSON view of this result.
    pub fn summary(&self) -> RegistrationSummary<'_> {
        RegistrationSummary {
            valid: true,
            fmt: self.fmt,
            attestation_type: self.attestation_type,
            aaguid: self.aaguid,
            alg: self.public_key.alg().id(),
            credential_id: crate::b64::encode(&self.credential_id),
            public_key: crate::b64::encode(self.public_key.cose()),
            sign_count: self.sign_count,
            flags: self.flags,
            transports: &self.transports,
            trusted: self.trusted,
        }
    }
}

/// Verifies a registration response against the challenge the server issued, at time `now`.
pub fn verify_registration(
    rp: &RelyingParty,
    policy: &Policy,
    challenge: &[u8],
    response: &RegistrationResponse,
    trust: &TrustAnchors,
    now: UnixTime,
) -> Result<VerifiedRegistration> {
    client_data::verify(&response.client_data_json, Ceremony::Create, challenge, rp)?;
    let client_data_hash = sha256(&response.client_data_json);

    let object = cbor::decode(
        "attestationObject",
        &response.attestation_object,
        policy.cbor,
    )?;
    let object = Map::new("attestationObject", &object)?;
    object.only_keys(&["fmt", "attStmt", "authData"])?;
    let fmt = AttestationFormat::from_name(object.text("fmt")?)?;
    let statement = Map::new(
        "attStmt",
        object
            .get("attStmt")
            .ok_or(Error::malformed("attestationObject", "missing attStmt"))?,
    )?;
    let auth_data_raw = object.bytes("authData")?;

    let auth_data =
        AuthenticatorData::parse_with(auth_data_raw, policy.max_credential_id_len, policy.cbor)?;
    auth_data.check(rp, policy)?;
    let attested = auth_data.attested.as_ref().ok_or(Error::malformed(
        "authenticatorData",
        "no attested credential data",
    ))?;
    if attested.credential_id != response.raw_id {
        return Err(Error::CredentialIdMismatch);
    }
    let alg = attested.public_key.alg();
    if !policy.algorithms.contains(&alg) {
        return Err(Error::AlgorithmNotAllowed(alg.id()));
    }
    let extensions = AuthenticatorExtensionOutputs::read(auth_data.extensions.as_ref())?;
    if let Some(required) = policy.credential_protection
        && extensions.cred_protect.is_none_or(|level| level < required)
    {
        return Err(Error::CredentialProtectionTooLow {
            required: required.level(),
            received: extensions.cred_protect.map(|level| level.level()),
        });
    }

    let input = Input {
        auth_data_raw,
        auth_data: &auth_data,
        attested,
        client_data_hash: &client_data_hash,
        statement,
        policy,
        now,
    };
    let statement = attestation::verify(fmt, &input)?;
    let der: Vec<&[u8]> = statement.trust_path.iter().map(Vec::as_slice).collect();
    let chain = x509::parse_chain(&der)?;
    // Metadata may refuse the authenticator outright, and adds the roots it lists for it.
    let anchors = trust.anchors_for(&attested.aaguid, chain.first())?;
    let trusted = x509::verify_chain(
        &chain,
        &x509::ChainPolicy {
            anchors: &anchors,
            crls: trust.crls(),
            at: now,
            allow_sha1: policy.allow_sha1_attestation,
        },
    )?;
    if policy.require_trusted_attestation && !trusted {
        return Err(Error::Untrusted);
    }

    Ok(VerifiedRegistration {
        credential_id: attested.credential_id.clone(),
        public_key: attested.public_key.clone(),
        sign_count: auth_data.sign_count,
        flags: auth_data.flags,
        aaguid: attested.aaguid,
        transports: response.transports.clone(),
        fmt,
        attestation_type: statement.kind,
        trust_path: statement.trust_path,
        trusted,
        extensions,
    })
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}
