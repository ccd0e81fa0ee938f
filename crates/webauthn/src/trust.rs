//! Trust anchors for attestation: root certificates the caller trusts outright.

use crate::error::Result;
use crate::x509;

/// The roots an attestation chain may end at.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    roots: Vec<Vec<u8>>,
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

    /// The root certificates (DER).
    pub fn roots(&self) -> &[Vec<u8>] {
        &self.roots
    }
}
