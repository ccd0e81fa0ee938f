//! Token-signing keys: generated per tenant, stored with the private half sealed under the
//! [`MasterKey`], and loaded into a [`Signer`] once, which then signs every token of the tenant.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::{SigningAlgorithm, SigningKey, TenantId};
use crate::secrets::MasterKey;
use crate::{Error, Result};

/// Modulus sizes of RS256 keys.
///
/// 2048 bits is the default: the original server's 4096-bit keys make signing each token about
/// eight times costlier, which every login pays, while the tokens live five minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RsaKeySize {
    /// 2048-bit modulus.
    #[default]
    Bits2048,
    /// 3072-bit modulus.
    Bits3072,
    /// 4096-bit modulus, as the original server makes.
    Bits4096,
}

impl TryFrom<u32> for RsaKeySize {
    type Error = Error;

    fn try_from(bits: u32) -> Result<Self> {
        match bits {
            2048 => Ok(Self::Bits2048),
            3072 => Ok(Self::Bits3072),
            4096 => Ok(Self::Bits4096),
            _ => Err(Error::Invalid {
                field: "rsa_bits",
                reason: format!("{bits} is not one of 2048, 3072, 4096"),
            }),
        }
    }
}

impl From<RsaKeySize> for KeySize {
    fn from(size: RsaKeySize) -> Self {
        match size {
            RsaKeySize::Bits2048 => Self::Rsa2048,
            RsaKeySize::Bits3072 => Self::Rsa3072,
            RsaKeySize::Bits4096 => Self::Rsa4096,
        }
    }
}

/// A new signing key for `tenant`, its private half sealed under `master`. `rsa_size` matters
/// only for RS256.
pub fn generate_signing_key(
    tenant: TenantId,
    algorithm: SigningAlgorithm,
    rsa_size: RsaKeySize,
    master: &MasterKey,
    now: OffsetDateTime,
) -> Result<SigningKey> {
    let failed = |_| Error::Crypto("key generation failed");
    let (pkcs8, public_key) = match algorithm {
        SigningAlgorithm::RS256 => {
            let pair = RsaKeyPair::generate(rsa_size.into()).map_err(failed)?;
            let pkcs8: Pkcs8V1Der<'_> = pair.as_der().map_err(failed)?;
            (pkcs8.as_ref().to_vec(), spki(pair.public_key())?)
        }
        SigningAlgorithm::ES256 => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(failed)?;
            let pkcs8 = pair.to_pkcs8v1().map_err(failed)?;
            (pkcs8.as_ref().to_vec(), spki(pair.public_key())?)
        }
        SigningAlgorithm::EdDSA => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            let pkcs8 = pair.to_pkcs8v1().map_err(failed)?;
            (pkcs8.as_ref().to_vec(), spki(pair.public_key())?)
        }
    };
    let id = Uuid::new_v4();
    Ok(SigningKey {
        id,
        tenant,
        algorithm,
        encrypted_private_key: master.seal(&pkcs8, &private_key_aad(tenant, id))?,
        public_key,
        created_at: now,
    })
}

/// The key that signs new tokens: the newest. Older ones stay published so that the tokens they
/// signed still verify.
pub fn current_signing_key(keys: &[SigningKey]) -> Option<&SigningKey> {
    // `max_by_key` returns the last of equals, so ties go to the store's order (oldest first).
    keys.iter().max_by_key(|key| key.created_at)
}

/// A signing key decrypted and parsed, ready to sign. Loading costs a decryption and a key parse
/// (an RSA key's is the larger part), so keep one per tenant rather than loading per token.
pub struct Signer {
    kid: Uuid,
    key: PrivateKey,
}

enum PrivateKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    /// Decrypts and parses `key`. Fails if the master key is not the one it was sealed with, if
    /// the sealed private key was moved from another row, or if it does not belong to the public
    /// key the JWKS publishes.
    pub fn load(key: &SigningKey, master: &MasterKey) -> Result<Self> {
        let pkcs8 = master.open(
            &key.encrypted_private_key,
            &private_key_aad(key.tenant, key.id),
        )?;
        let rejected = |_| Error::Crypto("stored private key does not parse");
        let (private, public) = match key.algorithm {
            SigningAlgorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(&pkcs8).map_err(rejected)?;
                let public = spki(pair.public_key())?;
                (PrivateKey::Rsa(pair), public)
            }
            SigningAlgorithm::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
                    .map_err(rejected)?;
                let public = spki(pair.public_key())?;
                (PrivateKey::Ecdsa(pair), public)
            }
            SigningAlgorithm::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(rejected)?;
                let public = spki(pair.public_key())?;
                (PrivateKey::Ed25519(pair), public)
            }
        };
        if public != key.public_key {
            return Err(Error::Crypto(
                "stored private key does not match its public key",
            ));
        }
        Ok(Self {
            kid: key.id,
            key: private,
        })
    }

    /// The JWK `kid` of the key.
    pub fn kid(&self) -> Uuid {
        self.kid
    }

    /// The JWS `alg` the key signs with, following its key type.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self.key {
            PrivateKey::Rsa(_) => SigningAlgorithm::RS256,
            PrivateKey::Ecdsa(_) => SigningAlgorithm::ES256,
            PrivateKey::Ed25519(_) => SigningAlgorithm::EdDSA,
        }
    }

    /// The JWS signature of `message`: RSASSA-PKCS1-v1_5 with SHA-256, ECDSA P-256 with SHA-256
    /// as r ‖ s, or Ed25519.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let failed = |_| Error::Crypto("signing failed");
        match &self.key {
            PrivateKey::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                // aws-lc-rs ignores the `rng` argument (kept for *ring* compatibility).
                let rng = aws_lc_rs::rand::SystemRandom::new();
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            PrivateKey::Ecdsa(pair) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
            }
            PrivateKey::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// Binds a sealed private key to its row, so that a ciphertext copied to another key id or
/// another tenant (where it would sign in that tenant's name) does not open.
pub(crate) fn private_key_aad(tenant: TenantId, kid: Uuid) -> Vec<u8> {
    [
        b"latchkey signing key v1".as_slice(),
        tenant.0.as_bytes(),
        kid.as_bytes(),
    ]
    .concat()
}

fn spki(public: &impl AsDer<PublicKeyX509Der<'static>>) -> Result<Vec<u8>> {
    public
        .as_der()
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| Error::Crypto("public key does not encode"))
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaSubjectPublicKey,
        UnparsedPublicKey, VerificationAlgorithm,
    };

    use super::*;

    const ALGORITHMS: [SigningAlgorithm; 3] = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
    ];

    fn tenant() -> TenantId {
        TenantId(Uuid::new_v4())
    }

    fn generate(algorithm: SigningAlgorithm, master: &MasterKey) -> SigningKey {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        generate_signing_key(tenant(), algorithm, RsaKeySize::default(), master, now).unwrap()
    }

    fn verification(algorithm: SigningAlgorithm) -> &'static dyn VerificationAlgorithm {
        match algorithm {
            SigningAlgorithm::RS256 => &RSA_PKCS1_2048_8192_SHA256,
            SigningAlgorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
            SigningAlgorithm::EdDSA => &ED25519,
        }
    }

    #[test]
    fn signer_is_shareable_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Signer>();
    }

    #[test]
    fn generated_keys_sign_and_verify_with_their_public_key() {
        let master = MasterKey::generate().unwrap();
        for algorithm in ALGORITHMS {
            let key = generate(algorithm, &master);
            assert_eq!(key.algorithm, algorithm);
            let signer = Signer::load(&key, &master).unwrap();
            assert_eq!((signer.kid(), signer.algorithm()), (key.id, algorithm));
            let signature = signer.sign(b"header.payload").unwrap();
            let public = UnparsedPublicKey::new(verification(algorithm), &key.public_key);
            public.verify(b"header.payload", &signature).unwrap();
            assert!(
                public.verify(b"header.payloae", &signature).is_err(),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn private_key_is_not_stored_in_clear() {
        let master = MasterKey::generate().unwrap();
        for algorithm in ALGORITHMS {
            let key = generate(algorithm, &master);
            let pkcs8 = master
                .open(
                    &key.encrypted_private_key,
                    &private_key_aad(key.tenant, key.id),
                )
                .unwrap();
            let stored = &key.encrypted_private_key;
            assert!(
                !stored
                    .windows(16)
                    .any(|w| pkcs8.windows(16).any(|p| p == w))
            );
        }
    }

    #[test]
    fn rsa_key_sizes() {
        let master = MasterKey::generate().unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        for (bits, size) in [
            (2048, RsaKeySize::Bits2048),
            (3072, RsaKeySize::Bits3072),
            (4096, RsaKeySize::Bits4096),
        ] {
            assert_eq!(RsaKeySize::try_from(bits).unwrap(), size);
            let key = generate_signing_key(tenant(), SigningAlgorithm::RS256, size, &master, now)
                .unwrap();
            let public = RsaSubjectPublicKey::from_der(&key.public_key).unwrap();
            assert_eq!(public.modulus_len() * 8, bits as usize);
            let signature = Signer::load(&key, &master).unwrap().sign(b"m").unwrap();
            assert_eq!(signature.len() * 8, bits as usize);
        }
        for bits in [0, 1024, 2047, 8192] {
            assert!(matches!(
                RsaKeySize::try_from(bits),
                Err(Error::Invalid {
                    field: "rsa_bits",
                    ..
                })
            ));
        }
        assert_eq!(RsaKeySize::default(), RsaKeySize::Bits2048);
    }

    #[test]
    fn sealed_private_key_does_not_load_in_another_row() {
        let master = MasterKey::generate().unwrap();
        let key = generate(SigningAlgorithm::ES256, &master);

        let other_tenant = SigningKey {
            tenant: tenant(),
            ..key.clone()
        };
        assert!(matches!(
            Signer::load(&other_tenant, &master),
            Err(Error::Crypto(_))
        ));
        let other_kid = SigningKey {
            id: Uuid::new_v4(),
            ..key.clone()
        };
        assert!(matches!(
            Signer::load(&other_kid, &master),
            Err(Error::Crypto(_))
        ));

        let other_master = MasterKey::generate().unwrap();
        assert!(matches!(
            Signer::load(&key, &other_master),
            Err(Error::Crypto(_))
        ));

        let mut tampered = key.clone();
        tampered.encrypted_private_key[20] ^= 0x80;
        assert!(matches!(
            Signer::load(&tampered, &master),
            Err(Error::Crypto(_))
        ));
    }

    #[test]
    fn private_key_must_match_the_published_public_key() {
        let master = MasterKey::generate().unwrap();
        let key = generate(SigningAlgorithm::EdDSA, &master);
        let stranger = generate(SigningAlgorithm::EdDSA, &master);
        let swapped = SigningKey {
            public_key: stranger.public_key,
            ..key.clone()
        };
        assert!(matches!(
            Signer::load(&swapped, &master),
            Err(Error::Crypto(_))
        ));
    }

    #[test]
    fn algorithm_of_the_row_must_match_the_sealed_key() {
        let master = MasterKey::generate().unwrap();
        let key = generate(SigningAlgorithm::ES256, &master);
        for algorithm in [SigningAlgorithm::RS256, SigningAlgorithm::EdDSA] {
            let relabelled = SigningKey {
                algorithm,
                ..key.clone()
            };
            assert!(matches!(
                Signer::load(&relabelled, &master),
                Err(Error::Crypto(_))
            ));
        }
    }

    #[test]
    fn newest_key_signs() {
        let master = MasterKey::generate().unwrap();
        assert_eq!(current_signing_key(&[]), None);
        let mut keys: Vec<SigningKey> = (0..3)
            .map(|i| {
                let at = OffsetDateTime::from_unix_timestamp(1_700_000_000 + i).unwrap();
                generate_signing_key(
                    tenant(),
                    SigningAlgorithm::EdDSA,
                    RsaKeySize::default(),
                    &master,
                    at,
                )
                .unwrap()
            })
            .collect();
        assert_eq!(current_signing_key(&keys), keys.last());
        keys.swap(0, 2);
        assert_eq!(current_signing_key(&keys), keys.first());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let master = MasterKey::generate().unwrap();
        let signer = Signer::load(&generate(SigningAlgorithm::EdDSA, &master), &master).unwrap();
        let shown = format!("{signer:?}");
        assert!(
            shown.starts_with("Signer { kid: ") && shown.contains("EdDSA"),
            "{shown}"
        );
        assert!(shown.len() < 100, "{shown}");
    }
}
