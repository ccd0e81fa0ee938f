//! COSE algorithms and credential public keys (RFC 9052/9053 as WebAuthn uses them), parsed once
//! into aws-lc-rs keys that verify without re-parsing.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use coset::iana::{self, EnumI64 as _};
use coset::{AsCborValue as _, KeyType, Label, RegisteredLabelWithPrivate};
use serde::Serialize;

use crate::cbor::{self, CborLeniency};
use crate::error::{Error, Result};

/// A signature algorithm a credential may use, by its COSE identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CoseAlgorithm {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// ECDSA P-521 with SHA-512.
    Es512,
    /// Ed25519.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// RSASSA-PKCS1-v1_5 with SHA-1: legacy TPMs and U2F only, allowed where policy says so.
    Rs1,
    /// ML-DSA-44 (FIPS 204), post-quantum.
    MlDsa44,
    /// ML-DSA-65 (FIPS 204), post-quantum.
    MlDsa65,
    /// ML-DSA-87 (FIPS 204), post-quantum.
    MlDsa87,
}

impl CoseAlgorithm {
    /// Every algorithm this crate implements.
    pub const ALL: [Self; 14] = [
        Self::Es256,
        Self::Es384,
        Self::Es512,
        Self::EdDsa,
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Rs1,
        Self::MlDsa44,
        Self::MlDsa65,
        Self::MlDsa87,
    ];

    /// The algorithm with COSE identifier `id`.
    pub fn from_id(id: i64) -> Result<Self> {
        Ok(match id {
            -7 => Self::Es256,
            -35 => Self::Es384,
            -36 => Self::Es512,
            -8 => Self::EdDsa,
            -257 => Self::Rs256,
            -258 => Self::Rs384,
            -259 => Self::Rs512,
            -37 => Self::Ps256,
            -38 => Self::Ps384,
            -39 => Self::Ps512,
            -65535 => Self::Rs1,
            -48 => Self::MlDsa44,
            -49 => Self::MlDsa65,
            -50 => Self::MlDsa87,
            other => return Err(Error::UnsupportedAlgorithm(other)),
        })
    }

    /// The COSE identifier.
    pub const fn id(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::Es384 => -35,
            Self::Es512 => -36,
            Self::EdDsa => -8,
            Self::Rs256 => -257,
            Self::Rs384 => -258,
            Self::Rs512 => -259,
            Self::Ps256 => -37,
            Self::Ps384 => -38,
            Self::Ps512 => -39,
            Self::Rs1 => -65535,
            Self::MlDsa44 => -48,
            Self::MlDsa65 => -49,
            Self::MlDsa87 => -50,
        }
    }

    /// The JOSE name (`ES256`, `RS1` …).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Rs1 => "RS1",
            Self::MlDsa44 => "ML-DSA-44",
            Self::MlDsa65 => "ML-DSA-65",
            Self::MlDsa87 => "ML-DSA-87",
        }
    }

    /// The aws-lc-rs verifier for signatures as WebAuthn carries them (ECDSA in ASN.1 DER).
    pub(crate) fn verifier(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::Es256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::Es384 => &signature::ECDSA_P384_SHA384_ASN1,
            Self::Es512 => &signature::ECDSA_P521_SHA512_ASN1,
            Self::EdDsa => &signature::ED25519,
            Self::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Self::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Self::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
            Self::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
            Self::Rs1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Self::MlDsa44 => &signature::ML_DSA_44,
            Self::MlDsa65 => &signature::ML_DSA_65,
            Self::MlDsa87 => &signature::ML_DSA_87,
        }
    }

    /// Length of an ML-DSA public key (FIPS 204 table 2).
    const fn ml_dsa_public_key_len(self) -> Option<usize> {
        match self {
            Self::MlDsa44 => Some(1312),
            Self::MlDsa65 => Some(1952),
            Self::MlDsa87 => Some(2592),
            _ => None,
        }
    }

    fn rsa_params(self) -> Option<&'static signature::RsaParameters> {
        match self {
            Self::Rs256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
            Self::Rs384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
            Self::Rs512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
            Self::Ps256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
            Self::Ps384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
            Self::Ps512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
            Self::Rs1 => Some(&signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
            _ => None,
        }
    }
}

/// The elliptic curves WebAuthn uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// Ed25519 (an OKP curve).
    Ed25519,
}

impl Curve {
    /// Length of one coordinate in bytes.
    pub const fn coordinate_len(self) -> usize {
        match self {
            Self::P256 | Self::Ed25519 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }
}

/// The raw numbers of a public key, for formats that compare them with a certificate or a TPM
/// structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// An EC2 key: curve and uncompressed coordinates.
    Ec2 {
        /// The curve the point lies on.
        curve: Curve,
        /// The x coordinate, big-endian, the curve's full width.
        x: Vec<u8>,
        /// The y coordinate, big-endian, the curve's full width.
        y: Vec<u8>,
    },
    /// An OKP key (Ed25519).
    Okp {
        /// The 32-byte encoded public point.
        x: Vec<u8>,
    },
    /// An RSA key: modulus and public exponent, big-endian without leading zeros.
    Rsa {
        /// The modulus.
        n: Vec<u8>,
        /// The public exponent.
        e: Vec<u8>,
    },
    /// An AKP key (ML-DSA): the encoded public key.
    Akp {
        /// The public key as FIPS 204 encodes it.
        public: Vec<u8>,
    },
}

/// Longest COSE key accepted: an ML-DSA-87 key (2,592 bytes) or an RSA-8192 key with its labels.
pub const MAX_COSE_KEY_LEN: usize = 4096;

/// A credential public key: its COSE encoding as received, and the parsed key ready to verify.
#[derive(Clone)]
pub struct CredentialPublicKey {
    alg: CoseAlgorithm,
    cose: Vec<u8>,
    material: KeyMaterial,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialPublicKey")
            .field("alg", &self.alg)
            .field("material", &self.material)
            .finish_non_exhaustive()
    }
}

impl CredentialPublicKey {
    /// Parses a COSE_Key as stored with a credential. Its encoding was judged when the credential
    /// was registered, so any encoding [`CborLeniency::ANY_ENCODING`] allows is read here.
    pub fn from_cose(cose: &[u8]) -> Result<Self> {
        if cose.len() > MAX_COSE_KEY_LEN {
            return Err(Error::TooLarge {
                field: "COSE key",
                limit: MAX_COSE_KEY_LEN,
            });
        }
        let value = cbor::decode("COSE key", cose, CborLeniency::ANY_ENCODING)?;
        Self::from_value(value, cose.to_vec())
    }

    /// Parses a COSE_Key already decoded from CBOR; `cose` is its encoding.
    pub(crate) fn from_value(value: ciborium::Value, cose: Vec<u8>) -> Result<Self> {
        const FIELD: &str = "COSE key";
        let key = coset::CoseKey::from_cbor_value(value)
            .map_err(|_| Error::malformed(FIELD, "not a COSE_Key"))?;
        let alg = match &key.alg {
            Some(RegisteredLabelWithPrivate::Assigned(a)) => CoseAlgorithm::from_id(a.to_i64())?,
            Some(RegisteredLabelWithPrivate::PrivateUse(id)) => CoseAlgorithm::from_id(*id)?,
            Some(RegisteredLabelWithPrivate::Text(_)) | None => {
                return Err(Error::malformed(FIELD, "missing or textual alg"));
            }
        };
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes_param = |label: i64| -> Result<Vec<u8>> {
            param(label)
                .and_then(ciborium::Value::as_bytes)
                .cloned()
                .ok_or(Error::malformed(FIELD, "missing or non-byte key parameter"))
        };
        let material = match key.kty {
            KeyType::Assigned(iana::KeyType::EC2) => {
                let crv = param(-1)
                    .map(|v| cbor::as_i64(FIELD, v))
                    .transpose()?
                    .ok_or(Error::malformed(FIELD, "missing crv"))?;
                let (curve, expected_alg) = match crv {
                    1 => (Curve::P256, CoseAlgorithm::Es256),
                    2 => (Curve::P384, CoseAlgorithm::Es384),
                    3 => (Curve::P521, CoseAlgorithm::Es512),
                    _ => return Err(Error::malformed(FIELD, "unsupported EC2 curve")),
                };
                if alg != expected_alg {
                    return Err(Error::malformed(FIELD, "alg does not match the curve"));
                }
                let (x, y) = (bytes_param(-2)?, bytes_param(-3)?);
                if x.len() != curve.coordinate_len() || y.len() != curve.coordinate_len() {
                    return Err(Error::malformed(
                        FIELD,
                        "EC2 coordinate has the wrong length",
                    ));
                }
                KeyMaterial::Ec2 { curve, x, y }
            }
            KeyType::Assigned(iana::KeyType::OKP) => {
                let crv = param(-1).map(|v| cbor::as_i64(FIELD, v)).transpose()?;
                if crv != Some(iana::EllipticCurve::Ed25519.to_i64()) {
                    return Err(Error::malformed(FIELD, "unsupported OKP curve"));
                }
                if alg != CoseAlgorithm::EdDsa {
                    return Err(Error::malformed(FIELD, "alg does not match the curve"));
                }
                let x = bytes_param(-2)?;
                check_ed25519_point(&x)?;
                KeyMaterial::Okp { x }
            }
            KeyType::Assigned(iana::KeyType::AKP) => {
                let expected_len = alg
                    .ml_dsa_public_key_len()
                    .ok_or(Error::malformed(FIELD, "alg is not an ML-DSA algorithm"))?;
                let public = bytes_param(-1)?;
                if public.len() != expected_len {
                    return Err(Error::malformed(FIELD, "ML-DSA key has the wrong length"));
                }
                KeyMaterial::Akp { public }
            }
            KeyType::Assigned(iana::KeyType::RSA) => {
                if alg.rsa_params().is_none() {
                    return Err(Error::malformed(FIELD, "alg is not an RSA algorithm"));
                }
                let n = strip_zeros(bytes_param(-1)?);
                let e = strip_zeros(bytes_param(-2)?);
                check_rsa_numbers(&n, &e)?;
                KeyMaterial::Rsa { n, e }
            }
            _ => return Err(Error::malformed(FIELD, "unsupported key type")),
        };
        let key = parse_key(alg, &material)?;
        Ok(Self {
            alg,
            cose,
            material,
            key,
        })
    }

    /// The algorithm the key is bound to.
    pub fn alg(&self) -> CoseAlgorithm {
        self.alg
    }

    /// The COSE_Key encoding, exactly as the authenticator produced it.
    pub fn cose(&self) -> &[u8] {
        &self.cose
    }

    /// The raw key numbers.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// Verifies `signature` over `message` with this key and its algorithm.
    pub fn verify(&self, message: &[u8], signature: &[u8], what: &'static str) -> Result<()> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| Error::BadSignature(what))
    }

    /// Whether a certificate's SubjectPublicKeyInfo holds this same key.
    pub(crate) fn matches_spki(&self, spki_der: &[u8]) -> bool {
        let Ok(ours) = self.key.as_der() else {
            return false;
        };
        ParsedPublicKey::new(self.alg.verifier(), spki_der)
            .ok()
            .and_then(|theirs| theirs.as_der().ok())
            .is_some_and(|theirs| theirs.as_ref() == ours.as_ref())
    }
}

fn parse_key(alg: CoseAlgorithm, material: &KeyMaterial) -> Result<ParsedPublicKey> {
    let rejected = |_| Error::malformed("COSE key", "the key is not a valid public key");
    match material {
        KeyMaterial::Ec2 { x, y, .. } => {
            let mut point = Vec::with_capacity(1 + x.len() + y.len());
            point.push(0x04);
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            ParsedPublicKey::new(alg.verifier(), point).map_err(rejected)
        }
        KeyMaterial::Okp { x } => ParsedPublicKey::new(alg.verifier(), x).map_err(rejected),
        KeyMaterial::Akp { public } => {
            ParsedPublicKey::new(alg.verifier(), public).map_err(rejected)
        }
        KeyMaterial::Rsa { n, e } => {
            let params = alg
                .rsa_params()
                .ok_or(Error::malformed("COSE key", "alg is not an RSA algorithm"))?;
            RsaPublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            }
            .to_parsed_public_key(params)
            .map_err(rejected)
        }
    }
}

/// Smallest and largest RSA modulus accepted, in bits: the range aws-lc-rs verifies signatures
/// for, so a key outside it could be stored but never used.
const RSA_MODULUS_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// An RSA public key that can verify a signature (RFC 8017 §3.1, SP 800-89 §5.3.3): an odd
/// modulus of 2048–8192 bits and an odd exponent with 3 <= e < n. `n` and `e` are big-endian
/// without leading zeros.
pub(crate) fn check_rsa_numbers(n: &[u8], e: &[u8]) -> Result<()> {
    const FIELD: &str = "COSE key";
    let bits = match n.first() {
        Some(top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    };
    if !RSA_MODULUS_BITS.contains(&bits) {
        return Err(Error::malformed(
            FIELD,
            "RSA modulus is not 2048 to 8192 bits",
        ));
    }
    if n.last().is_none_or(|low| low & 1 == 0) {
        return Err(Error::malformed(FIELD, "RSA modulus is even"));
    }
    let odd = e.last().is_some_and(|low| low & 1 == 1);
    let at_least_three = e.len() > 1 || e.first().is_some_and(|b| *b >= 3);
    // Both without leading zeros: the shorter is smaller, and equal lengths compare bytewise.
    let below_n = (e.len(), e) < (n.len(), n);
    if !(odd && at_least_three && below_n) {
        return Err(Error::malformed(
            FIELD,
            "RSA exponent is not odd, at least 3 and below the modulus",
        ));
    }
    Ok(())
}

/// An Ed25519 public key (RFC 8032 §5.1.3) must decode to a curve point, and one of small order
/// would let a single signature verify for many messages.
fn check_ed25519_point(x: &[u8]) -> Result<()> {
    const FIELD: &str = "COSE key";
    let bytes: [u8; 32] = x
        .try_into()
        .map_err(|_| Error::malformed(FIELD, "Ed25519 key has the wrong length"))?;
    let point = curve25519_dalek::edwards::CompressedEdwardsY(bytes)
        .decompress()
        .ok_or(Error::malformed(FIELD, "Ed25519 key is not a curve point"))?;
    if point.is_small_order() {
        return Err(Error::malformed(FIELD, "Ed25519 key has small order"));
    }
    Ok(())
}

/// Big-endian integers in COSE and TPM structures may carry leading zero bytes; aws-lc wants none.
pub(crate) fn strip_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let zeros = v.iter().take_while(|b| **b == 0).count();
    v.drain(..zeros);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_ids_round_trip() {
        for alg in CoseAlgorithm::ALL {
            assert_eq!(CoseAlgorithm::from_id(alg.id()).unwrap(), alg);
        }
        assert_eq!(
            CoseAlgorithm::from_id(-47),
            Err(Error::UnsupportedAlgorithm(-47))
        );
    }

    #[test]
    fn refuses_a_point_not_on_the_curve() {
        // {1: 2, 3: -7, -1: 1, -2: 32 x 0x01, -3: 32 x 0x01}
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend([1u8; 32]);
        cose.extend([0x22, 0x58, 0x20]);
        cose.extend([1u8; 32]);
        assert_eq!(
            CredentialPublicKey::from_cose(&cose).unwrap_err(),
            Error::malformed("COSE key", "the key is not a valid public key")
        );
    }

    /// A COSE RSA key {1: 3, 3: -257, -1: n, -2: e}.
    fn rsa_cose(n: &[u8], e: &[u8]) -> Vec<u8> {
        let map = ciborium::Value::Map(vec![
            (1.into(), 3.into()),
            (3.into(), (-257).into()),
            ((-1).into(), ciborium::Value::Bytes(n.to_vec())),
            ((-2).into(), ciborium::Value::Bytes(e.to_vec())),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).unwrap();
        out
    }

    /// An odd modulus of `bits` bits (top bit set).
    fn modulus(bits: usize) -> Vec<u8> {
        let mut n = vec![0xa5; bits / 8];
        n[0] = 0xc3;
        *n.last_mut().unwrap() |= 1;
        n
    }

    #[test]
    fn rsa_keys_that_could_never_verify_are_refused_at_parse_time() {
        let refused = |n: &[u8], e: &[u8]| match CredentialPublicKey::from_cose(&rsa_cose(n, e)) {
            Err(Error::Malformed { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        let size = "RSA modulus is not 2048 to 8192 bits";
        let exponent = "RSA exponent is not odd, at least 3 and below the modulus";
        for bits in [64, 512, 2040, 8200, 16_384] {
            assert_eq!(refused(&modulus(bits), &[1, 0, 1]), size, "{bits} bits");
        }
        let mut even = modulus(2048);
        *even.last_mut().unwrap() &= 0xfe;
        assert_eq!(refused(&even, &[1, 0, 1]), "RSA modulus is even");
        for e in [&[1u8][..], &[0], &[], &[1, 0, 0], &[2]] {
            assert_eq!(refused(&modulus(2048), e), exponent, "e = {e:?}");
        }
        let n = modulus(2048);
        let mut too_big = n.clone();
        too_big.push(1);
        assert_eq!(refused(&n, &too_big), exponent);
        assert_eq!(refused(&n, &n), exponent);
    }

    #[test]
    fn rsa_key_limits_are_inclusive() {
        assert_eq!(check_rsa_numbers(&modulus(2048), &[1, 0, 1]), Ok(()));
        assert_eq!(check_rsa_numbers(&modulus(8192), &[3]), Ok(()));
        // Leading zero bytes are not bits.
        assert!(check_rsa_numbers(&modulus(2048)[1..], &[3]).is_err());
    }

    /// A COSE OKP key {1: 1, 3: -8, -1: 6, -2: x}.
    fn ed25519_cose(x: [u8; 32]) -> Vec<u8> {
        let mut cose = vec![0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20];
        cose.extend(x);
        cose
    }

    #[test]
    fn ed25519_keys_must_be_points_of_large_order() {
        // y = 2: (y² - 1) / (d·y² + 1) has no square root mod 2^255 - 19.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(
            CredentialPublicKey::from_cose(&ed25519_cose(not_a_point)).unwrap_err(),
            Error::malformed("COSE key", "Ed25519 key is not a curve point")
        );
        // y = 1 is the identity; y = -1 (p - 1) has order 2.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut order_two = [0xff; 32];
        order_two[0] = 0xec;
        order_two[31] = 0x7f;
        for small in [identity, order_two] {
            assert_eq!(
                CredentialPublicKey::from_cose(&ed25519_cose(small)).unwrap_err(),
                Error::malformed("COSE key", "Ed25519 key has small order")
            );
        }
        // RFC 8032 §7.1 test 1's public key.
        let rfc8032: [u8; 32] = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        assert!(CredentialPublicKey::from_cose(&ed25519_cose(rfc8032)).is_ok());
    }

    #[test]
    fn refuses_alg_that_does_not_match_the_curve() {
        // {1: 2, 3: -35 (ES384), -1: 1 (P-256), ...}
        let mut cose = vec![
            0xa5, 0x01, 0x02, 0x03, 0x38, 0x22, 0x20, 0x01, 0x21, 0x58, 0x20,
        ];
        cose.extend([1u8; 32]);
        cose.extend([0x22, 0x58, 0x20]);
        cose.extend([1u8; 32]);
        assert_eq!(
            CredentialPublicKey::from_cose(&cose).unwrap_err(),
            Error::malformed("COSE key", "alg does not match the curve")
        );
    }
}
