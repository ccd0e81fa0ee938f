//! Compact JWS signed with an `x5c` certificate chain, as SafetyNet attestations and FIDO MDS3
//! BLOBs use it (RFC 7515). Only the signature with the leaf key is checked here; the chain is
//! the caller's to verify.

use aws_lc_rs::signature::{self, VerificationAlgorithm};
use base64::Engine as _;
use serde::Deserialize;

use crate::b64;
use crate::error::{Error, Result};
use crate::x509;

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
}

/// A compact JWS whose header carries `alg` and an `x5c` chain.
#[derive(Debug)]
pub struct Jws<'a> {
    token: &'a str,
    alg: &'static dyn VerificationAlgorithm,
    /// The certificates of the `x5c` header, leaf first (DER).
    pub x5c: Vec<Vec<u8>>,
    /// The decoded payload.
    pub payload: Vec<u8>,
    signing_input_len: usize,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits and decodes `token` (at most `limit` bytes).
    pub fn parse(field: &'static str, token: &'a str, limit: usize) -> Result<Self> {
        if token.len() > limit {
            return Err(Error::TooLarge { field, limit });
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::malformed(field, "not a compact JWS"));
        };
        let header_json = b64::decode(field, header_b64, limit)?;
        let header: Header = serde_json::from_slice(&header_json)
            .map_err(|_| Error::malformed(field, "invalid JWS header"))?;
        let alg: &'static dyn VerificationAlgorithm = match header.alg.as_str() {
            "ES256" => &signature::ECDSA_P256_SHA256_FIXED,
            "ES384" => &signature::ECDSA_P384_SHA384_FIXED,
            "ES512" => &signature::ECDSA_P521_SHA512_FIXED,
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
            "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
            "EdDSA" => &signature::ED25519,
            _ => return Err(Error::malformed(field, "unsupported JWS alg")),
        };
        if header.x5c.is_empty() || header.x5c.len() > crate::cbor::MAX_CHAIN_LEN {
            return Err(Error::malformed(field, "JWS x5c missing or too long"));
        }
        // x5c entries are standard base64 with padding (RFC 7515 §4.1.6), unlike the JWS parts.
        let x5c = header
            .x5c
            .iter()
            .map(|c| {
                base64::engine::general_purpose::STANDARD
                    .decode(c)
                    .map_err(|_| Error::Base64("x5c"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            token,
            alg,
            x5c,
            payload: b64::decode(field, payload, limit)?,
            signing_input_len: header_b64.len() + 1 + payload.len(),
            signature: b64::decode(field, signature, 1024)?,
        })
    }

    /// Verifies the signature with the key of the first `x5c` certificate.
    pub fn verify_signature(&self) -> Result<()> {
        let leaf = self.x5c.first().ok_or(Error::malformed("JWS", "no x5c"))?;
        let leaf = x509::Certificate::parse(leaf)?;
        let input = self
            .token
            .get(..self.signing_input_len)
            .ok_or(Error::malformed("JWS", "truncated"))?;
        x509::verify_with_spki(self.alg, leaf.spki_der(), input.as_bytes(), &self.signature)
            .map_err(|_| Error::BadSignature("JWS"))
    }
}
