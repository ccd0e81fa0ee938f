//! Token-signing keys as the Hanko servers keep them, opened so latchkey can seal them anew.
//!
//! Both originals (passkey-server and backend v0.12) store each key as its JWK JSON encrypted
//! with AES-256-GCM under SHA-256 of a configured secret, written as base64 (URL alphabet, with
//! padding) of nonce (12 bytes) ‖ ciphertext ‖ tag. Several secrets may be configured: any of
//! them may have sealed a given row. The keys are RSA keys that sign RS256.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;
use uuid::Uuid;

use crate::{Error, Result};

/// A secret the original encrypted its keys with (its `secrets.keys` entry, or a tenant's
/// non-API secret). Never printed.
pub struct OriginalSecret(String);

impl OriginalSecret {
    /// Wraps the secret's text as the original's configuration holds it.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    fn aead_key(&self) -> Result<LessSafeKey> {
        let key = digest(&SHA256, self.0.as_bytes());
        UnboundKey::new(&AES_256_GCM, key.as_ref())
            .map(LessSafeKey::new)
            .map_err(|_| Error::Crypto("AES-256-GCM key rejected"))
    }
}

impl fmt::Debug for OriginalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OriginalSecret(..)")
    }
}

/// An original's signing key, decrypted: its `kid` and the RSA private key as PKCS#8, with the
/// public key as latchkey publishes it. Never printed beyond its kid.
pub struct OriginalJwk {
    /// The JWK `kid`, which tokens the original signed name in their header.
    pub kid: Uuid,
    pub(crate) pkcs8: Vec<u8>,
    pub(crate) public_key: Vec<u8>,
}

impl fmt::Debug for OriginalJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginalJwk")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Decrypts a `jwks.key_data` value with whichever of `secrets` sealed it and parses the RSA
/// JWK inside. Fails when no secret opens it, or when it is not an RSA private key with a UUID
/// `kid` (the originals never make another).
pub fn open_original_jwk(key_data: &str, secrets: &[OriginalSecret]) -> Result<OriginalJwk> {
    let sealed = URL_SAFE
        .decode(key_data.trim())
        .map_err(|_| invalid("key_data is not base64url with padding"))?;
    let (nonce, ciphertext) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| invalid("key_data is shorter than a nonce"))?;
    let plaintext = secrets
        .iter()
        .find_map(|secret| {
            let key = secret.aead_key().ok()?;
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut buffer = ciphertext.to_vec();
            let len = key
                .open_in_place(nonce, Aad::empty(), &mut buffer)
                .ok()?
                .len();
            buffer.truncate(len);
            Some(buffer)
        })
        .ok_or_else(|| invalid("none of the given secrets decrypts it"))?;
    parse_rsa_jwk(&plaintext)
}

/// The fields of an RSA private JWK (RFC 7518 §6.3), base64url without padding.
#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    kid: Option<String>,
    n: String,
    e: String,
    d: String,
    p: String,
    q: String,
    dp: String,
    dq: String,
    qi: String,
}

fn parse_rsa_jwk(json: &[u8]) -> Result<OriginalJwk> {
    let jwk: RsaJwk =
        serde_json::from_slice(json).map_err(|_| invalid("it is not an RSA private JWK"))?;
    if jwk.kty != "RSA" {
        return Err(invalid("its kty is not RSA"));
    }
    let kid = jwk
        .kid
        .as_deref()
        .and_then(|kid| Uuid::parse_str(kid).ok())
        .ok_or_else(|| invalid("its kid is not a UUID"))?;
    let parts = [
        &jwk.n, &jwk.e, &jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi,
    ]
    .into_iter()
    .map(|part| {
        URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|_| invalid("a key parameter is not base64url"))
    })
    .collect::<Result<Vec<_>>>()?;
    let pair = RsaKeyPair::from_der(&rsa_private_key_der(&parts))
        .map_err(|_| invalid("its RSA parameters do not form a valid key"))?;
    let pkcs8: Pkcs8V1Der<'_> = pair
        .as_der()
        .map_err(|_| Error::Crypto("PKCS#8 encoding failed"))?;
    let public: PublicKeyX509Der<'_> = pair
        .public_key()
        .as_der()
        .map_err(|_| Error::Crypto("public key encoding failed"))?;
    Ok(OriginalJwk {
        kid,
        pkcs8: pkcs8.as_ref().to_vec(),
        public_key: public.as_ref().to_vec(),
    })
}

/// PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2): version 0, then n, e, d, p, q, dP, dQ, qInv.
fn rsa_private_key_der(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = der_integer(&[0]);
    for part in parts {
        body.extend(der_integer(part));
    }
    der_tagged(0x30, &body)
}

fn der_integer(unsigned_big_endian: &[u8]) -> Vec<u8> {
    let first = unsigned_big_endian
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(unsigned_big_endian.len().saturating_sub(1));
    let digits = unsigned_big_endian.get(first..).unwrap_or_default();
    let mut content = Vec::with_capacity(digits.len() + 1);
    // DER integers are signed: a leading bit of one needs a zero byte in front.
    if digits.first().is_none_or(|&byte| byte & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(digits);
    der_tagged(0x02, &content)
}

fn der_tagged(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let significant: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&byte| byte == 0)
            .collect();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(&significant);
    }
    out.extend_from_slice(content);
    out
}

fn invalid(reason: &str) -> Error {
    Error::Invalid {
        field: "jwk",
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests;
