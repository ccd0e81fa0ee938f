//! The caller's side of latchkey's 1Kosmos request envelope: ECDH on secp256k1 between a key pair of
//! this run and the service's long-lived key, the shared X coordinate used directly as the
//! AES-256-GCM key, every encrypted value standard base64 of `IV(16) ‖ ciphertext ‖ tag(16)`, and
//! public keys standard base64 of the raw 64-byte `X ‖ Y` point.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::bn::BigNumContext;
use openssl::derive::Deriver;
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rand::rand_bytes;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use crate::error::Error;

const IV_BYTES: usize = 16;
const TAG_BYTES: usize = 16;

/// The AES key this run shares with the service, and the public key that names it in `publickey`.
pub struct Envelope {
    key: [u8; 32],
    public: String,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

fn group() -> Result<EcGroup, Error> {
    Ok(EcGroup::from_curve_name(Nid::SECP256K1)?)
}

fn wire(what: &str) -> impl Fn(String) -> Error + '_ {
    move |reason| Error::Wire(format!("{what}: {reason}"))
}

impl Envelope {
    /// A fresh caller key pair and its key shared with the service's `/publickeys` value.
    pub fn new(service_public: &str) -> Result<Self, Error> {
        let group = group()?;
        Self::with_key(EcKey::generate(&group)?, service_public)
    }

    fn with_key(caller: EcKey<Private>, service_public: &str) -> Result<Self, Error> {
        let group = group()?;
        let mut context = BigNumContext::new()?;
        let raw = caller.public_key().to_bytes(
            &group,
            PointConversionForm::UNCOMPRESSED,
            &mut context,
        )?;
        let public = STANDARD.encode(raw.get(1..).unwrap_or_default());

        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(
            &STANDARD
                .decode(service_public.trim())
                .map_err(|e| wire("the service's public key")(e.to_string()))?,
        );
        let point = EcPoint::from_bytes(&group, &sec1, &mut context)?;
        let service = PKey::from_ec_key(EcKey::from_public_key(&group, &point)?)?;
        let caller = PKey::from_ec_key(caller)?;
        let mut deriver = Deriver::new(&caller)?;
        deriver.set_peer(&service)?;
        let secret = deriver.derive_to_vec()?;
        let key = <[u8; 32]>::try_from(secret.as_slice())
            .map_err(|_| wire("ECDH")(format!("a {}-byte secret", secret.len())))?;
        Ok(Self { key, public })
    }

    /// This run's public key, as the `publickey` header carries it.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// `plaintext` encrypted under a fresh IV, as wire text.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, Error> {
        let mut iv = [0u8; IV_BYTES];
        rand_bytes(&mut iv)?;
        self.seal_with_iv(plaintext, &iv)
    }

    fn seal_with_iv(&self, plaintext: &[u8], iv: &[u8; IV_BYTES]) -> Result<String, Error> {
        let mut tag = [0u8; TAG_BYTES];
        let sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(iv),
            &[],
            plaintext,
            &mut tag,
        )?;
        Ok(STANDARD.encode([iv.as_slice(), &sealed, &tag].concat()))
    }

    /// The plaintext of wire text the service sealed.
    pub fn open(&self, text: &str) -> Result<Vec<u8>, Error> {
        let bytes = STANDARD
            .decode(text)
            .map_err(|e| wire("an encrypted answer")(e.to_string()))?;
        if bytes.len() < IV_BYTES + TAG_BYTES {
            return Err(wire("an encrypted answer")(format!(
                "{} bytes",
                bytes.len()
            )));
        }
        let (iv, rest) = bytes.split_at(IV_BYTES);
        let (sealed, tag) = rest.split_at(rest.len() - TAG_BYTES);
        Ok(decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(iv),
            &[],
            sealed,
            tag,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use openssl::bn::BigNum;
    use serde_json::Value;

    use super::*;

    /// The server's own vector, made with Node's crypto (the script is in the server's
    /// `kosmos/envelope.rs`): this side must produce and read the same bytes.
    const VECTOR: &str =
        include_str!("../../../../crates/server/tests/data/kosmos-envelope-vector.json");

    fn caller_key(secret: &[u8]) -> EcKey<Private> {
        let group = group().unwrap();
        let scalar = BigNum::from_slice(secret).unwrap();
        let mut point = EcPoint::new(&group).unwrap();
        point
            .mul_generator2(&group, &scalar, &mut BigNumContext::new().unwrap())
            .unwrap();
        EcKey::from_private_components(&group, &scalar, &point).unwrap()
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_servers_node_vector_seals_and_opens_alike() {
        let v: Value = serde_json::from_str(VECTOR).unwrap();
        let field = |name: &str| v[name].as_str().unwrap();
        let caller = caller_key(&hex(field("clientPrivateKeyHex")));
        let envelope = Envelope::with_key(caller, field("servicePublicKey")).unwrap();
        assert_eq!(envelope.public_key(), field("clientPublicKey"));
        assert_eq!(envelope.key.to_vec(), hex(field("sharedKeyHex")));
        let iv: [u8; 16] = hex(field("ivHex")).try_into().unwrap();
        assert_eq!(
            envelope
                .seal_with_iv(field("plaintext").as_bytes(), &iv)
                .unwrap(),
            field("wire")
        );
        assert_eq!(
            envelope.open(field("wire")).unwrap(),
            field("plaintext").as_bytes()
        );
    }

    #[test]
    fn a_sealed_value_opens_once_and_not_after_a_flipped_bit() {
        let service = EcKey::generate(&group().unwrap()).unwrap();
        let raw = service
            .public_key()
            .to_bytes(
                &group().unwrap(),
                PointConversionForm::UNCOMPRESSED,
                &mut BigNumContext::new().unwrap(),
            )
            .unwrap();
        let envelope = Envelope::new(&STANDARD.encode(&raw[1..])).unwrap();
        let sealed = envelope.seal(b"{\"hello\":1}").unwrap();
        assert_ne!(
            sealed,
            envelope.seal(b"{\"hello\":1}").unwrap(),
            "a fresh IV"
        );
        assert_eq!(envelope.open(&sealed).unwrap(), b"{\"hello\":1}");
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[IV_BYTES] ^= 1;
        assert!(envelope.open(&STANDARD.encode(&bytes)).is_err());
        assert!(envelope.open("AAAA").is_err());
    }
}
