//! The request envelope of the 1Kosmos SDKs: ECDH on secp256k1 between the service's long-lived
//! key pair and the caller's key, the shared X coordinate used directly as an AES-256-GCM key,
//! and every encrypted value on the wire as standard base64 of `IV(16) ‖ ciphertext ‖ tag(16)`.
//! The page calls this "ECDSA signing"; nothing is signed.
//!
//! The agreement is a scalar multiplication, the dearest step of an encrypted request, and its
//! result depends only on the service's secret, fixed for the life of the process, and the
//! caller's public key, which an SDK keeps. So the service remembers the AES key it agreed with
//! each recent caller (in memory only, never logged, never shown by `Debug`).

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{PublicKey, SecretKey};

/// AES-256-GCM with the 16-byte IV the SDKs send (GCM derives its counter block from a
/// non-96-bit IV with GHASH; Node's `aes-256-gcm` does the same).
type Cipher = AesGcm<Aes256, U16>;

const IV_BYTES: usize = 16;
const TAG_BYTES: usize = 16;
/// A coordinate of a secp256k1 point.
const COORDINATE_BYTES: usize = 32;
/// Callers whose agreed key is kept before the service starts over: at about 200 bytes an
/// entry, under a megabyte.
const AGREED_CAPACITY: usize = 4_096;

/// Why an envelope could not be opened. Every case is the caller's mistake (a 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("publickey is not a secp256k1 public key")]
    PublicKey,
    #[error("{0} could not be decrypted (wrong key or tampered data)")]
    Decrypt(&'static str),
}

/// The service's key pair. The secret never leaves this value; `Debug` shows neither it nor
/// the keys agreed with it.
pub struct ServiceKey {
    secret: SecretKey,
    public: String,
    /// The key agreed with each recent caller, by the caller's public key in SEC1 form.
    agreed: RwLock<HashMap<Vec<u8>, SharedKey>>,
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl ServiceKey {
    /// A fresh key pair as (secret scalar, raw public point), for the engine to seal and keep.
    pub fn generate() -> latchkey_engine::Result<(Vec<u8>, Vec<u8>)> {
        let mut scalar = [0u8; COORDINATE_BYTES];
        aws_lc_rs::rand::fill(&mut scalar)
            .map_err(|_| latchkey_engine::Error::Crypto("random source failed"))?;
        // Zero or a value above the group order has probability ~2^-128: not worth a retry.
        let secret = SecretKey::from_slice(&scalar)
            .map_err(|_| latchkey_engine::Error::Crypto("random scalar out of range"))?;
        let public = raw_point(&secret.public_key());
        Ok((secret.to_bytes().to_vec(), public))
    }

    /// The key pair of a stored secret scalar.
    pub fn from_secret(secret: &[u8]) -> latchkey_engine::Result<Self> {
        let secret = SecretKey::from_slice(secret)
            .map_err(|_| latchkey_engine::Error::Crypto("stored envelope key is not a scalar"))?;
        let public = STANDARD.encode(raw_point(&secret.public_key()));
        Ok(Self {
            secret,
            public,
            agreed: RwLock::new(HashMap::new()),
        })
    }

    /// The public key as `/publickeys` shows it: standard base64 of the raw `X ‖ Y`.
    pub fn public_base64(&self) -> &str {
        &self.public
    }

    /// The key shared with the caller whose `publickey` header is `caller`: base64 of the raw
    /// 64-byte `X ‖ Y`, of the 65-byte SEC1 form, or of 63 bytes whose leading zero byte a
    /// client's big-integer encoding dropped; compressed 33-byte points are accepted too. Agreed
    /// once per caller while it is among the recent ones.
    pub fn shared_with(&self, caller: &str) -> Result<SharedKey, EnvelopeError> {
        let sec1 = caller_sec1(caller)?;
        // A panic elsewhere cannot leave an entry half written, so a poisoned lock is usable.
        let agreed = self.agreed.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = agreed.get(&sec1) {
            return Ok(key.clone());
        }
        drop(agreed);
        let point = PublicKey::from_sec1_bytes(&sec1).map_err(|_| EnvelopeError::PublicKey)?;
        let key = self.agree(&point);
        let mut agreed = self.agreed.write().unwrap_or_else(PoisonError::into_inner);
        if agreed.len() >= AGREED_CAPACITY {
            agreed.clear();
        }
        agreed.insert(sec1, key.clone());
        Ok(key)
    }

    fn agree(&self, caller: &PublicKey) -> SharedKey {
        let shared =
            k256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), caller.as_affine());
        let mut key = [0u8; COORDINATE_BYTES];
        key.copy_from_slice(shared.raw_secret_bytes());
        SharedKey(key)
    }
}

/// `X ‖ Y` without the SEC1 `0x04` prefix.
fn raw_point(public: &PublicKey) -> Vec<u8> {
    let point = public.to_encoded_point(false);
    point.as_bytes().get(1..).unwrap_or_default().to_vec()
}

/// The bytes of a `publickey` header in SEC1 form, not yet checked to be a point.
fn caller_sec1(text: &str) -> Result<Vec<u8>, EnvelopeError> {
    let bytes = decode_base64(text).ok_or(EnvelopeError::Base64("publickey"))?;
    Ok(match bytes.len() {
        63 | 64 => {
            let mut sec1 = Vec::with_capacity(1 + 2 * COORDINATE_BYTES);
            sec1.push(0x04);
            sec1.resize(1 + 2 * COORDINATE_BYTES - bytes.len(), 0);
            sec1.extend_from_slice(&bytes);
            sec1
        }
        _ => bytes,
    })
}

/// Standard base64 as the SDKs send it; unpadded and URL-safe text is tolerated, whitespace
/// around it too.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .ok()
}

/// The AES key one caller shares with the service.
#[derive(Clone)]
pub struct SharedKey([u8; COORDINATE_BYTES]);

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedKey").finish_non_exhaustive()
    }
}

impl SharedKey {
    fn cipher(&self) -> Cipher {
        Cipher::new(&self.0.into())
    }

    /// Encrypts `plaintext` under a fresh random IV, as wire text.
    pub fn seal(&self, plaintext: &[u8]) -> latchkey_engine::Result<String> {
        let mut iv = [0u8; IV_BYTES];
        aws_lc_rs::rand::fill(&mut iv)
            .map_err(|_| latchkey_engine::Error::Crypto("random source failed"))?;
        self.seal_with_iv(plaintext, iv)
    }

    pub(super) fn seal_with_iv(
        &self,
        plaintext: &[u8],
        iv: [u8; IV_BYTES],
    ) -> latchkey_engine::Result<String> {
        let sealed = self
            .cipher()
            .encrypt(&Nonce::<U16>::from(iv), plaintext)
            .map_err(|_| latchkey_engine::Error::Crypto("response too large to encrypt"))?;
        let mut wire = Vec::with_capacity(IV_BYTES + sealed.len());
        wire.extend_from_slice(&iv);
        wire.extend_from_slice(&sealed);
        Ok(STANDARD.encode(wire))
    }

    /// Decrypts the wire text of the value named `what` (for the error message).
    pub fn open(&self, what: &'static str, wire: &str) -> Result<Vec<u8>, EnvelopeError> {
        let bytes = decode_base64(wire).ok_or(EnvelopeError::Base64(what))?;
        if bytes.len() < IV_BYTES + TAG_BYTES {
            return Err(EnvelopeError::Decrypt(what));
        }
        let (iv, sealed) = bytes.split_at(IV_BYTES);
        let iv = Nonce::<U16>::try_from(iv).map_err(|_| EnvelopeError::Decrypt(what))?;
        self.cipher()
            .decrypt(&iv, sealed)
            .map_err(|_| EnvelopeError::Decrypt(what))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// `crates/server/tests/data/kosmos-envelope-vector.json`, made with Node 20 by:
    ///
    /// ```js
    /// const crypto = require('crypto');
    /// const service = crypto.createECDH('secp256k1');
    /// service.setPrivateKey(Buffer.from('11'.repeat(32), 'hex'));
    /// const client = crypto.createECDH('secp256k1');
    /// client.setPrivateKey(Buffer.from('22'.repeat(32), 'hex'));
    /// const raw = (ecdh) => ecdh.getPublicKey().subarray(1).toString('base64');
    /// const key = client.computeSecret(service.getPublicKey());
    /// const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    /// const plaintext = '{"ts":1700000000,"appid":"com.example.app","uuid":"3f0c5c36-6f0e-4f55-9a4c-0b7a1c1f2e3d"}';
    /// const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    /// const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    /// console.log(JSON.stringify({
    ///   servicePublicKey: raw(service), clientPublicKey: raw(client),
    ///   sharedKeyHex: key.toString('hex'), plaintext,
    ///   wire: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'),
    /// }));
    /// ```
    const VECTOR: &str = include_str!("../../tests/data/kosmos-envelope-vector.json");

    fn vector() -> Value {
        serde_json::from_str(VECTOR).unwrap()
    }

    fn text<'a>(vector: &'a Value, field: &str) -> &'a str {
        vector[field].as_str().unwrap()
    }

    fn key_of(hex_text: &str) -> ServiceKey {
        ServiceKey::from_secret(&hex::decode(hex_text).unwrap()).unwrap()
    }

    #[test]
    fn node_vector() {
        let v = vector();
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        let client = key_of(text(&v, "clientPrivateKeyHex"));
        assert_eq!(service.public_base64(), text(&v, "servicePublicKey"));
        assert_eq!(client.public_base64(), text(&v, "clientPublicKey"));

        // The service's side, from the caller's public key.
        let shared = service.shared_with(text(&v, "clientPublicKey")).unwrap();
        assert_eq!(hex::encode(shared.0), text(&v, "sharedKeyHex"));
        let opened = shared.open("requestid", text(&v, "wire")).unwrap();
        assert_eq!(opened, text(&v, "plaintext").as_bytes());

        // Sealing with the same IV gives Node's bytes exactly.
        let iv: [u8; 16] = hex::decode(text(&v, "ivHex")).unwrap().try_into().unwrap();
        assert_eq!(
            shared
                .seal_with_iv(text(&v, "plaintext").as_bytes(), iv)
                .unwrap(),
            text(&v, "wire")
        );

        // And the caller's side agrees.
        let at_caller = client.shared_with(text(&v, "servicePublicKey")).unwrap();
        assert_eq!(at_caller.0, shared.0);
    }

    #[test]
    fn round_trip_with_random_keys() {
        let (secret, public) = ServiceKey::generate().unwrap();
        let service = ServiceKey::from_secret(&secret).unwrap();
        assert_eq!(STANDARD.encode(&public), service.public_base64());
        let (caller_secret, _) = ServiceKey::generate().unwrap();
        let caller = ServiceKey::from_secret(&caller_secret).unwrap();

        let to_service = caller.shared_with(service.public_base64()).unwrap();
        let wire = to_service.seal(b"{\"hello\":1}").unwrap();
        let at_service = service.shared_with(caller.public_base64()).unwrap();
        assert_eq!(at_service.open("data", &wire).unwrap(), b"{\"hello\":1}");
        // A fresh IV every time.
        assert_ne!(
            to_service.seal(b"x").unwrap(),
            to_service.seal(b"x").unwrap()
        );
    }

    #[test]
    fn wrong_key_or_tampering_is_refused() {
        let v = vector();
        let wrong = key_of(&"33".repeat(32));
        let caller = text(&v, "clientPublicKey");
        assert_eq!(
            wrong
                .shared_with(caller)
                .unwrap()
                .open("data", text(&v, "wire")),
            Err(EnvelopeError::Decrypt("data"))
        );
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        let shared = service.shared_with(caller).unwrap();
        let mut bytes = STANDARD.decode(text(&v, "wire")).unwrap();
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            shared.open("data", &STANDARD.encode(&bytes)),
            Err(EnvelopeError::Decrypt("data"))
        );
        assert_eq!(
            shared.open("data", "AAAA"),
            Err(EnvelopeError::Decrypt("data"))
        );
        assert_eq!(
            shared.open("data", "not base64!"),
            Err(EnvelopeError::Base64("data"))
        );
    }

    #[test]
    fn a_caller_agrees_one_key_and_each_caller_its_own() {
        let v = vector();
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        let caller = text(&v, "clientPublicKey");
        let first = service.shared_with(caller).unwrap();
        let second = service.shared_with(caller).unwrap();
        assert_eq!(hex::encode(first.0), text(&v, "sharedKeyHex"));
        assert_eq!(second.0, first.0);
        assert_eq!(service.agreed.read().unwrap().len(), 1);

        let other = key_of(&"33".repeat(32));
        let theirs = service.shared_with(other.public_base64()).unwrap();
        assert_ne!(theirs.0, first.0);
        assert_eq!(
            theirs.0,
            other.shared_with(service.public_base64()).unwrap().0
        );
        assert_eq!(service.agreed.read().unwrap().len(), 2);
    }

    #[test]
    fn a_full_set_of_agreed_keys_starts_over() {
        let v = vector();
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        service
            .agreed
            .write()
            .unwrap()
            .extend((0..AGREED_CAPACITY).map(|n| (n.to_be_bytes().to_vec(), SharedKey([0; 32]))));
        let key = service.shared_with(text(&v, "clientPublicKey")).unwrap();
        assert_eq!(hex::encode(key.0), text(&v, "sharedKeyHex"));
        assert_eq!(service.agreed.read().unwrap().len(), 1);
    }

    #[test]
    fn debug_shows_no_key() {
        let v = vector();
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        let shared = service.shared_with(text(&v, "clientPublicKey")).unwrap();
        let shown = format!("{service:?} {shared:?}");
        for secret in [text(&v, "servicePrivateKeyHex"), text(&v, "sharedKeyHex")] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(!shown.contains(&format!("{:?}", shared.0)), "{shown}");
    }

    #[test]
    fn public_key_forms() {
        let v = vector();
        let service = key_of(text(&v, "servicePrivateKeyHex"));
        let raw = STANDARD.decode(text(&v, "clientPublicKey")).unwrap();
        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(&raw);
        let point = PublicKey::from_sec1_bytes(&sec1).unwrap();
        let compressed = point.to_encoded_point(true);
        for form in [
            STANDARD.encode(&sec1),
            URL_SAFE_NO_PAD.encode(&raw),
            format!(" {} ", STANDARD_NO_PAD.encode(&raw)),
            STANDARD.encode(compressed.as_bytes()),
        ] {
            let key = service.shared_with(&form).unwrap();
            assert_eq!(hex::encode(key.0), text(&v, "sharedKeyHex"), "{form}");
        }
        for (form, error) in [
            (STANDARD.encode([1u8; 64]), EnvelopeError::PublicKey),
            ("%%%".to_owned(), EnvelopeError::Base64("publickey")),
            (String::new(), EnvelopeError::PublicKey),
        ] {
            assert_eq!(service.shared_with(&form).unwrap_err(), error, "{form}");
        }
        assert!(service.agreed.read().unwrap().len() <= 2);
    }

    #[test]
    fn a_dropped_leading_zero_is_restored() {
        // Search a key whose X coordinate starts with a zero byte (1 in 256 do).
        let found = (1u32..)
            .map(|n| {
                let mut scalar = [0x11u8; 32];
                scalar[28..].copy_from_slice(&n.to_be_bytes());
                SecretKey::from_slice(&scalar).unwrap()
            })
            .find(|secret| raw_point(&secret.public_key()).first() == Some(&0))
            .unwrap();
        let raw = raw_point(&found.public_key());
        let short = raw.get(1..).unwrap();
        assert_eq!(short.len(), 63);
        let service = key_of(&"22".repeat(32));
        let caller = ServiceKey::from_secret(&found.to_bytes()).unwrap();
        assert_eq!(
            service.shared_with(&STANDARD.encode(short)).unwrap().0,
            caller.shared_with(service.public_base64()).unwrap().0
        );
    }
}
