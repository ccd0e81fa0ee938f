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

    /// Adds metadata (such as the FIDO MDS3 BLOB). A registration from a model the metadata
    /// reports compromised is refused, and the roots it lists for a model are anchors for that
    /// model's chains only. When several metadata describe one model, the first added wins.
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

    /// The anchors for one attestation: the explicit roots plus those metadata lists for the
    /// authenticator, found by AAGUID or, without one, by the key of the attestation certificate
    /// `leaf`. Fails with [`Error::Revoked`] when metadata reports the authenticator compromised.
    pub(crate) fn anchors_for(
        &self,
        aaguid: &Aaguid,
        leaf: Option<&x509::Certificate<'_>>,
    ) -> Result<Cow<'_, [Vec<u8>]>> {
        let Some(entry) = self.metadata_entry(aaguid, leaf) else {
            return Ok(Cow::Borrowed(&self.roots));
        };
        if let Some(status) = entry.compromised_status() {
            return Err(Error::Revoked(status.to_string()));
        }
        Ok(self
            .roots
            .iter()
            .chain(entry.root_certificates())
            .cloned()
            .collect())
    }

    fn metadata_entry(
        &self,
        aaguid: &Aaguid,
        leaf: Option<&x509::Certificate<'_>>,
    ) -> Option<&MetadataEntry> {
        if !aaguid.is_zero() {
            return self.metadata.iter().find_map(|m| m.by_aaguid(aaguid));
        }
        let key_id = x509::key_identifier(leaf?);
        self.metadata
            .iter()
            .find_map(|m| m.by_key_identifier(&key_id))
    }
}
