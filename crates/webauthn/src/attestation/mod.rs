//! Attestation statement formats (WebAuthn L3 §8). Each format checks its own statement and hands
//! back the attestation type and trust path; chains and trust anchors are checked once, in
//! [`crate::registration`], for every format alike.

mod android_key;
mod android_safetynet;
mod apple;
mod fido_u2f;
mod none;
mod packed;
mod tpm;

use serde::Serialize;

use crate::auth_data::{AttestedCredentialData, AuthenticatorData};
use crate::cbor::Map;
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::time::UnixTime;
use crate::x509::Certificate;

/// The attestation statement format named by `fmt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationFormat {
    /// `none`
    None,
    /// `packed`
    Packed,
    /// `tpm`
    Tpm,
    /// `android-key`
    AndroidKey,
    /// `android-safetynet`
    AndroidSafetynet,
    /// `fido-u2f`
    FidoU2f,
    /// `apple`
    Apple,
}

impl AttestationFormat {
    /// Parses the registered identifier.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "none" => Self::None,
            "packed" => Self::Packed,
            "tpm" => Self::Tpm,
            "android-key" => Self::AndroidKey,
            "android-safetynet" => Self::AndroidSafetynet,
            "fido-u2f" => Self::FidoU2f,
            "apple" => Self::Apple,
            _ => return Err(Error::UnsupportedFormat),
        })
    }

    /// The registered identifier.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Packed => "packed",
            Self::Tpm => "tpm",
            Self::AndroidKey => "android-key",
            Self::AndroidSafetynet => "android-safetynet",
            Self::FidoU2f => "fido-u2f",
            Self::Apple => "apple",
        }
    }
}

/// What kind of attestation the statement proves (WebAuthn L3 §6.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationType {
    /// No attestation.
    None,
    /// Signed by the credential key itself.
    #[serde(rename = "self")]
    SelfAttestation,
    /// Signed by an authenticator-model attestation key.
    Basic,
    /// Signed by a key certified by an attestation CA (TPM AIKs).
    AttCa,
    /// Anonymized by a CA that issues a certificate per credential (Apple).
    AnonCa,
}

/// Everything a format may look at.
pub(crate) struct Input<'a> {
    pub auth_data_raw: &'a [u8],
    pub auth_data: &'a AuthenticatorData,
    pub attested: &'a AttestedCredentialData,
    pub client_data_hash: &'a [u8; 32],
    pub statement: Map<'a>,
    pub policy: &'a Policy,
    pub now: UnixTime,
}

impl<'a> Input<'a> {
    /// Refuses attStmt keys the format does not define.
    pub fn expect_fields(&self, fmt: &'static str, keys: &[&str]) -> Result<()> {
        self.statement
            .only_keys(keys)
            .map_err(|_| Error::attestation(fmt, "unexpected attStmt field"))
    }

    /// The statement's `sig`.
    pub fn sig(&self, fmt: &'static str) -> Result<&'a [u8]> {
        self.statement
            .bytes("sig")
            .map_err(|_| Error::attestation(fmt, "missing sig"))
    }

    /// The statement's `x5c`, if it has one, with its leaf parsed.
    pub fn optional_x5c(&self, fmt: &'static str) -> Result<Option<X5c<'a>>> {
        let Some(ders) = self.statement.cert_chain("x5c")? else {
            return Ok(None);
        };
        let leaf = ders.first().ok_or(Error::attestation(fmt, "missing x5c"))?;
        let leaf = Certificate::parse(leaf)?;
        Ok(Some(X5c { ders, leaf }))
    }

    /// The statement's `x5c`, which the format requires.
    pub fn x5c(&self, fmt: &'static str) -> Result<X5c<'a>> {
        self.optional_x5c(fmt)?
            .ok_or(Error::attestation(fmt, "missing x5c"))
    }

    /// authenticatorData ‖ clientDataHash: what most formats sign.
    pub fn signed_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(self.auth_data_raw.len() + 32);
        data.extend_from_slice(self.auth_data_raw);
        data.extend_from_slice(self.client_data_hash);
        data
    }
}

/// An attestation statement's certificate chain (DER, leaf first) and its parsed leaf.
pub(crate) struct X5c<'a> {
    pub ders: Vec<&'a [u8]>,
    pub leaf: Certificate<'a>,
}

impl X5c<'_> {
    /// Verifies the statement signature `sig` over `data` with the leaf's key and `alg`.
    pub fn verify(&self, alg: crate::CoseAlgorithm, data: &[u8], sig: &[u8]) -> Result<()> {
        crate::x509::verify_with_spki(alg.verifier(), self.leaf.spki_der(), data, sig)
            .map_err(|_| Error::BadSignature("attestation statement"))
    }

    /// The verdict: `kind` of attestation, with this chain to check up to a trust anchor.
    pub fn statement(&self, kind: AttestationType) -> Statement {
        Statement::chain(kind, &self.ders)
    }
}

/// A format's verdict: the attestation type and the certificates (DER, leaf first) to check up to
/// a trust anchor.
pub(crate) struct Statement {
    pub kind: AttestationType,
    pub trust_path: Vec<Vec<u8>>,
}

impl Statement {
    const fn empty(kind: AttestationType) -> Self {
        Self {
            kind,
            trust_path: Vec::new(),
        }
    }

    fn chain(kind: AttestationType, x5c: &[&[u8]]) -> Self {
        Self {
            kind,
            trust_path: x5c.iter().map(|c| c.to_vec()).collect(),
        }
    }
}

/// Verifies the statement of format `fmt`.
pub(crate) fn verify(fmt: AttestationFormat, input: &Input<'_>) -> Result<Statement> {
    match fmt {
        AttestationFormat::None => none::verify(input),
        AttestationFormat::Packed => packed::verify(input),
        AttestationFormat::Tpm => tpm::verify(input),
        AttestationFormat::AndroidKey => android_key::verify(input),
        AttestationFormat::AndroidSafetynet => android_safetynet::verify(input),
        AttestationFormat::FidoU2f => fido_u2f::verify(input),
        AttestationFormat::Apple => apple::verify(input),
    }
}

/// The signature algorithm named by a statement's `alg`, subject to policy for RS1.
pub(crate) fn statement_alg(input: &Input<'_>, fmt: &'static str) -> Result<crate::CoseAlgorithm> {
    let id = input
        .statement
        .int("alg")
        .map_err(|_| Error::attestation(fmt, "missing or invalid alg"))?;
    let alg = crate::CoseAlgorithm::from_id(id)?;
    if alg == crate::CoseAlgorithm::Rs1 && !input.policy.allow_sha1_attestation {
        return Err(Error::AlgorithmNotAllowed(id));
    }
    Ok(alg)
}

/// §8.2.1 and §8.3.1: if the attestation certificate carries id-fido-gen-ce-aaguid, it must not be
/// critical and must name the AAGUID the authenticator data claims.
pub(crate) fn check_aaguid_extension(
    cert: &crate::x509::Certificate<'_>,
    aaguid: &[u8; 16],
    fmt: &'static str,
) -> Result<()> {
    let oid = x509_parser::der_parser::oid!(1.3.6.1.4.1.45724.1.1.4);
    let Some(ext) = cert
        .x509()
        .get_extension_unique(&oid)
        .map_err(|_| Error::attestation(fmt, "duplicate extension"))?
    else {
        return Ok(());
    };
    if ext.critical {
        return Err(Error::attestation(
            fmt,
            "AAGUID extension must not be critical",
        ));
    }
    // An OCTET STRING of 16 bytes has only this DER encoding.
    let expected = [[0x04, 0x10].as_slice(), aaguid].concat();
    if ext.value != expected.as_slice() {
        return Err(Error::attestation(
            fmt,
            "certificate AAGUID differs from authenticator data",
        ));
    }
    Ok(())
}
