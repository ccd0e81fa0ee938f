//! The BLOB envelope: a compact JWS whose `x5c` chain must reach a root the caller trusts.

use crate::error::{Error, Result};
use crate::jws::Jws;
use crate::time::UnixTime;
use crate::x509;

/// Longest metadata BLOB (or unsigned payload) accepted, in bytes. The FIDO Alliance's BLOB is a
/// few MB and grows with every certified model.
pub const MAX_METADATA_BLOB_LEN: usize = 32 * 1024 * 1024;

/// The common name of the FIDO Alliance metadata service's BLOB signing certificate.
pub const FIDO_MDS_SIGNER: &str = "mds.fidoalliance.org";

/// Who may sign a metadata BLOB: a chain to one of the roots, ending in a leaf with one subject
/// common name, none of whose certificates the CRLs revoke. Any certificate a public root issued
/// could otherwise sign a BLOB and decide which roots every authenticator model trusts.
#[derive(Debug, Clone)]
pub struct BlobTrust {
    roots: Vec<Vec<u8>>,
    signer: String,
    crls: Vec<Vec<u8>>,
}

impl BlobTrust {
    /// The FIDO Alliance's service: `roots` (GlobalSign Root CA - R3 for its BLOB) and a leaf
    /// named [`FIDO_MDS_SIGNER`].
    pub fn fido(roots: &[Vec<u8>]) -> Self {
        Self::signed_by(roots, FIDO_MDS_SIGNER)
    }

    /// Another metadata service: chains to `roots` ending in a leaf whose subject common name is
    /// `signer`.
    pub fn signed_by(roots: &[Vec<u8>], signer: &str) -> Self {
        Self {
            roots: roots.to_vec(),
            signer: signer.to_owned(),
            crls: Vec::new(),
        }
    }

    /// Adds a DER CRL for the BLOB's chain (from the CRL distribution points the caller fetched).
    pub fn with_crl_der(mut self, der: Vec<u8>) -> Result<Self> {
        x509::parse_crl(&der)?;
        self.crls.push(der);
        Ok(self)
    }
}

/// The payload of `blob` once its chain reaches one of the trusted roots at `now`, its leaf is the
/// expected signer and its signature verifies.
pub(super) fn verified_payload(blob: &str, trust: &BlobTrust, now: UnixTime) -> Result<Vec<u8>> {
    let jws = Jws::parse("metadata BLOB", blob, MAX_METADATA_BLOB_LEN)?;
    let der: Vec<&[u8]> = jws.x5c.iter().map(Vec::as_slice).collect();
    let chain = x509::parse_chain(&der)?;
    let policy = x509::ChainPolicy {
        anchors: &trust.roots,
        crls: &trust.crls,
        at: now,
        allow_sha1: false,
    };
    if !x509::verify_chain(&chain, &policy)? {
        return Err(Error::Untrusted);
    }
    let leaf = chain
        .first()
        .ok_or(Error::malformed("metadata BLOB", "no x5c"))?;
    if !leaf.has_common_name(&trust.signer) {
        return Err(Error::UnexpectedSigner);
    }
    jws.verify_signature()?;
    Ok(jws.payload)
}
