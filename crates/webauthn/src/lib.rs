//! Pure, deterministic WebAuthn Level 3 verification for latchkey.
//!
//! Everything here is a function of its arguments: the challenge, the time, the trust anchors and
//! the policy come in from the caller; nothing reads a clock, a random source, a file or a
//! database. That keeps every check replayable on recorded vectors.
//!
//! - [`verify_registration`]: clientDataJSON, authenticator data and every attestation format
//!   (`none`, `packed`, `tpm`, `android-key`, `android-safetynet`, `fido-u2f`, `apple`), with
//!   certificate chains checked against [`TrustAnchors`].
//! - [`verify_assertion`]: the signature, flags, user handle and signature-counter rules.
//! - [`Metadata`]: FIDO MDS3 BLOBs, whose statements add per-model trust anchors and whose status
//!   reports refuse compromised authenticator models.
//!
//! Algorithms: ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512, RS1 (legacy,
//! by policy) and ML-DSA-44/65/87, all verified with aws-lc-rs.

#![warn(missing_docs)]

mod assertion;
mod attestation;
mod auth_data;
mod b64;
mod cbor;
mod client_data;
mod cose;
mod error;
mod extensions;
mod json;
mod jws;
mod mds;
mod policy;
mod registration;
mod time;
mod trust;
mod x509;

pub use assertion::{
    AssertionRequest, CounterStatus, StoredCredential, VerifiedAssertion, verify_assertion,
};
pub use attestation::{AttestationFormat, AttestationType};
pub use auth_data::{
    Aaguid, AttestedCredentialData, AuthenticatorData, Flags, MAX_CREDENTIAL_ID_LEN,
};
pub use b64::{decode as decode_base64url, encode as encode_base64url};
pub use cbor::CborLeniency;
pub use client_data::challenge_of;
pub use cose::{CoseAlgorithm, CredentialPublicKey, Curve, KeyMaterial};
pub use error::{Error, Result};
pub use extensions::{
    AuthenticatorExtensionOutputs, ClientExtensionResults, CredentialProtection, LargeBlobOutputs,
    MAX_LARGE_BLOB_LEN, PRF_OUTPUT_LEN, PrfOutputs, PrfValues,
};
pub use json::{AuthenticationResponse, RegistrationResponse};
pub use mds::{
    AuthenticatorStatus, BlobTrust, CertificationLevel, FIDO_MDS_SIGNER, MAX_METADATA_BLOB_LEN,
    Metadata, MetadataEntry, MetadataStatement, StatusReport, VerificationMethod,
};
pub use policy::{BackupEligibilityPolicy, CounterPolicy, Policy, RelyingParty, UserVerification};
pub use registration::{RegistrationSummary, VerifiedRegistration, verify_registration};
pub use time::UnixTime;
pub use trust::TrustAnchors;
