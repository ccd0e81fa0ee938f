//! Trust anchors for attestation: root certificates the caller trusts outright, and metadata that
//! names the roots of each authenticator model and refuses compromised ones.

use std::borrow::Cow;
use std::sync::Arc;

use crate::auth_data::Aaguid;
use crate::error::{Error, Result};
use crate::mds::{Metadata, MetadataEntry};
use crate::x509;

/// The roots an attestation chain may end at.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    roots: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    metadata: Vec<Arc<Metadata>>,
}

impl TrustAnchors {
    /// No anchors: every chain is reported untrusted (and refused if policy requires trust).
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a DER root certificate.
    pub fn add_der(&mut self, der: Vec<u8>) -> Result<()> {
        x509::Certificate::parse(&der)?;
        self.roots.push(der);
        Ok(())
    }

    /// Adds every certificate of a PEM bundle.
    pub fn add_pem(&mut self, pem: &str) -> Result<()> {
        self.roots.extend(x509::certificates_from_pem(pem)?);
        Ok(())
    }

    /// Adds metadata (such as the FIDO MDS3 BLOB). A registration from a model or attestation
    /// key that any metadata reports compromised is refused, and the roots listed for a model are
    /// anchors for statements tied to that model only (see "Trust" in the crate README). When
    /// several metadata describe one model, the first added decides its roots.
    pub fn add_metadata(&mut self, metadata: impl Into<Arc<Metadata>>) {
        self.metadata.push(metadata.into());
    }

    /// [`TrustAnchors::add_metadata`], by value.
    pub fn with_metadata(mut self, metadata: impl Into<Arc<Metadata>>) -> Self {
        self.add_metadata(metadata);
        self
    }

    /// The root certificates (DER).
    pub fn roots(&self) -> &[Vec<u8>] {
        &self.roots
    }

    /// Adds a DER certificate revocation list. It counts for the certificates of its issuer,
    /// in attestation chains, once its signature verifies with that issuer's key.
    pub fn add_crl_der(&mut self, der: Vec<u8>) -> Result<()> {
        x509::parse_crl(&der)?;
        self.crls.push(der);
        Ok(())
    }

    /// The CRLs (DER).
    pub fn crls(&self) -> &[Vec<u8>] {
        &self.crls
    }

    /// The anchors for one attestation whose chain starts at `leaf`: the explicit roots, plus the
    /// roots metadata lists for a model the statement is provably tied to.
    ///
    /// The AAGUID in authenticator data is whatever the signer wrote (and in `fido-u2f` not even
    /// signed), so it alone never selects a model's roots: an entry's roots count when the leaf
    /// names that AAGUID in its id-fido-gen-ce-aaguid extension (checked against authenticator
    /// data by the format) or when the entry lists the leaf's key identifier. Compromise is
    /// looked up both ways and any match refuses, with [`Error::Revoked`].
    pub(crate) fn anchors_for(
        &self,
        aaguid: &Aaguid,
        leaf: Option<&x509::Certificate<'_>>,
    ) -> Result<Cow<'_, [Vec<u8>]>> {
        if self.metadata.is_empty() {
            return Ok(Cow::Borrowed(&self.roots));
        }
        let by_aaguid: Vec<&MetadataEntry> = if aaguid.is_zero() {
            Vec::new()
        } else {
            self.metadata
                .iter()
                .filter_map(|m| m.by_aaguid(aaguid))
                .collect()
        };
        let key_id = leaf.map(x509::key_identifier);
        let by_key: Vec<&MetadataEntry> = key_id
            .map(|id| {
                self.metadata
                    .iter()
                    .filter_map(|m| m.by_key_identifier(&id))
                    .collect()
            })
            .unwrap_or_default();
        // Every metadata is asked: one that knows of a compromise outweighs any that does not.
        for entry in by_aaguid.iter().chain(&by_key) {
            if let Some(status) = entry.compromised_status() {
                return Err(Error::Revoked(status.to_string()));
            }
        }
        // For roots, the first metadata added that describes the model wins.
        let tied_by_aaguid = by_aaguid
            .first()
            .copied()
            .filter(|_| leaf.is_some_and(|l| names_aaguid(l, aaguid)));
        let tied = tied_by_aaguid.or_else(|| by_key.first().copied());
        let Some(entry) = tied else {
            return Ok(Cow::Borrowed(&self.roots));
        };
        Ok(self
            .roots
            .iter()
            .chain(entry.root_certificates())
            .cloned()
            .collect())
    }
}

/// Whether the certificate's id-fido-gen-ce-aaguid extension names `aaguid`.
fn names_aaguid(cert: &x509::Certificate<'_>, aaguid: &Aaguid) -> bool {
    let oid = x509_parser::der_parser::oid!(1.3.6.1.4.1.45724.1.1.4);
    matches!(
        cert.extension(&oid),
        Ok(Some([0x04, 0x10, rest @ ..])) if rest == aaguid.0.as_slice()
    )
}
