//! The two TPM 2.0 structures a `tpm` statement carries (TPM 2.0 Library, Part 2): TPMT_PUBLIC
//! (`pubArea`, the credential key as the TPM holds it) and TPMS_ATTEST (`certInfo`, what the AIK
//! signed). Integers are big-endian; a TPM2B is a u16 size followed by that many bytes.

use aws_lc_rs::digest;

use super::FMT;
use crate::cose::Curve;
use crate::error::{Error, Result};

const PUB_AREA: &str = "TPM pubArea";
const CERT_INFO: &str = "TPM certInfo";

// TPM_ALG_ID (Part 2 §6.3).
const ALG_RSA: u16 = 0x0001;
const ALG_SHA1: u16 = 0x0004;
const ALG_MGF1: u16 = 0x0007;
const ALG_SHA256: u16 = 0x000B;
const ALG_SHA384: u16 = 0x000C;
const ALG_SHA512: u16 = 0x000D;
const ALG_NULL: u16 = 0x0010;
pub(super) const ALG_RSASSA: u16 = 0x0014;
const ALG_RSAES: u16 = 0x0015;
pub(super) const ALG_RSAPSS: u16 = 0x0016;
const ALG_OAEP: u16 = 0x0017;
pub(super) const ALG_ECDSA: u16 = 0x0018;
const ALG_ECDAA: u16 = 0x001A;
const ALG_SM2: u16 = 0x001B;
const ALG_ECSCHNORR: u16 = 0x001C;
const ALG_KDF1_SP800_56A: u16 = 0x0020;
const ALG_KDF2: u16 = 0x0021;
const ALG_KDF1_SP800_108: u16 = 0x0022;
const ALG_ECC: u16 = 0x0023;

// TPM_ECC_CURVE (Part 2 §6.4).
const ECC_NIST_P256: u16 = 0x0003;
const ECC_NIST_P384: u16 = 0x0004;
const ECC_NIST_P521: u16 = 0x0005;

/// TPM_GENERATED_VALUE: only the TPM itself signs structures starting with it.
const GENERATED_VALUE: u32 = 0xff54_4347;
const ST_ATTEST_CERTIFY: u16 = 0x8017;

/// TPMA_OBJECT `sign`: the key may sign with any scheme its parameters allow.
pub(super) const OBJECT_SIGN: u32 = 1 << 18;

// Buffer limits: TPMU_HA (the longest digest), TPMT_HA (what TPM2B_NAME and TPM2B_DATA hold at
// most), P-521 coordinates, and RSA-8192 moduli (the largest key the crate verifies).
const MAX_DIGEST: usize = 64;
const MAX_HA: usize = 2 + MAX_DIGEST;
const MAX_ECC_PARAMETER: usize = 66;
const MAX_RSA_MODULUS: usize = 1024;

/// A hash algorithm a TPM names objects with or an attestation signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TpmHash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl TpmHash {
    fn from_id(id: u16) -> Option<Self> {
        Some(match id {
            ALG_SHA1 => Self::Sha1,
            ALG_SHA256 => Self::Sha256,
            ALG_SHA384 => Self::Sha384,
            ALG_SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    pub(super) const fn id(self) -> u16 {
        match self {
            Self::Sha1 => ALG_SHA1,
            Self::Sha256 => ALG_SHA256,
            Self::Sha384 => ALG_SHA384,
            Self::Sha512 => ALG_SHA512,
        }
    }

    pub(super) fn digest(self, data: &[u8]) -> digest::Digest {
        let alg = match self {
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data)
    }

    const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// The scheme a key is restricted to (`alg` and its `hashAlg`); `None` in [`PubArea`] means
/// TPM_ALG_NULL, any scheme chosen at signing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scheme {
    pub alg: u16,
    /// TPM_ALG_NULL for RSAES, the one scheme without a hash.
    pub hash: u16,
}

/// The public key in a TPMT_PUBLIC `unique` field, with the parameters that complete it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TpmKey<'a> {
    Rsa {
        modulus: &'a [u8],
        /// The public exponent, with the TPM's 0 already read as its default 65537.
        exponent: u32,
    },
    Ec {
        curve: Curve,
        x: &'a [u8],
        y: &'a [u8],
    },
}

/// A TPMT_PUBLIC (Part 2 §12.2.4).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PubArea<'a> {
    pub name_alg: TpmHash,
    pub attributes: u32,
    pub scheme: Option<Scheme>,
    pub key: TpmKey<'a>,
}

impl<'a> PubArea<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(PUB_AREA, bytes);
        let key_type = r.u16()?;
        let name_alg = TpmHash::from_id(r.u16()?).ok_or(Error::attestation(
            FMT,
            "pubArea nameAlg is not SHA-1 or SHA-2",
        ))?;
        let attributes = r.u32()?;
        // A policy digest is computed with nameAlg, so it is empty or exactly that long.
        let auth_policy = r.sized(MAX_DIGEST)?;
        if !auth_policy.is_empty() && auth_policy.len() != name_alg.output_len() {
            return Err(Error::malformed(
                PUB_AREA,
                "authPolicy is not a nameAlg digest",
            ));
        }
        // Only a restricted decryption key (a storage parent) has a symmetric algorithm; a key
        // that signs never is one.
        if r.u16()? != ALG_NULL {
            return Err(Error::attestation(
                FMT,
                "pubArea symmetric algorithm is not TPM_ALG_NULL",
            ));
        }
        let (scheme, key) = match key_type {
            ALG_RSA => {
                let scheme = r.rsa_scheme()?;
                let key_bits = r.u16()?;
                let exponent = match r.u32()? {
                    0 => 65537,
                    e => e,
                };
                let modulus = r.sized(MAX_RSA_MODULUS)?;
                if modulus.len() * 8 != usize::from(key_bits) {
                    return Err(Error::malformed(
                        PUB_AREA,
                        "keyBits differs from the modulus size",
                    ));
                }
                (scheme, TpmKey::Rsa { modulus, exponent })
            }
            ALG_ECC => {
                let scheme = r.ecc_scheme()?;
                let curve = match r.u16()? {
                    ECC_NIST_P256 => Curve::P256,
                    ECC_NIST_P384 => Curve::P384,
                    ECC_NIST_P521 => Curve::P521,
                    _ => {
                        return Err(Error::attestation(
                            FMT,
                            "pubArea curve is not P-256, P-384 or P-521",
                        ));
                    }
                };
                r.kdf_scheme()?;
                let x = r.sized(MAX_ECC_PARAMETER)?;
                let y = r.sized(MAX_ECC_PARAMETER)?;
                (scheme, TpmKey::Ec { curve, x, y })
            }
            _ => {
                return Err(Error::attestation(
                    FMT,
                    "pubArea type is not TPM_ALG_RSA or TPM_ALG_ECC",
                ));
            }
        };
        r.finish()?;
        Ok(Self {
            name_alg,
            attributes,
            scheme,
            key,
        })
    }
}

/// The parts of a TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY (Part 2 §10.12.12) that §8.3.2
/// checks. qualifiedSigner, clockInfo and firmwareVersion are decoded and dropped: §8.3.2 leaves
/// them to risk engines.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct CertInfo<'a> {
    pub extra_data: &'a [u8],
    /// TPMS_CERTIFY_INFO `name`: the Name of the certified object.
    pub name: &'a [u8],
}

impl<'a> CertInfo<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(CERT_INFO, bytes);
        if r.u32()? != GENERATED_VALUE {
            return Err(Error::attestation(
                FMT,
                "certInfo magic is not TPM_GENERATED_VALUE",
            ));
        }
        if r.u16()? != ST_ATTEST_CERTIFY {
            return Err(Error::attestation(
                FMT,
                "certInfo type is not TPM_ST_ATTEST_CERTIFY",
            ));
        }
        r.sized(MAX_HA)?; // qualifiedSigner
        let extra_data = r.sized(MAX_HA)?;
        // clockInfo: clock, resetCount, restartCount, safe. Not even `safe` (a TPMI_YES_NO) is
        // checked: §8.3.2 ignores clockInfo, and the W3C test vectors set it to 0x33.
        r.take(8 + 4 + 4 + 1)?;
        r.take(8)?; // firmwareVersion
        let name = r.sized(MAX_HA)?;
        r.sized(MAX_HA)?; // qualifiedName
        r.finish()?;
        Ok(Self { extra_data, name })
    }
}

/// Reads TPM fields front to back, failing (never panicking) on a short buffer.
struct Reader<'a> {
    field: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    const fn new(field: &'static str, bytes: &'a [u8]) -> Self {
        Self { field, rest: bytes }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let (head, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(Error::malformed(self.field, "truncated"))?;
        self.rest = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(Error::malformed(self.field, "truncated"))?;
        self.rest = rest;
        Ok(*head)
    }

    fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// A TPM2B buffer holding at most `max` bytes.
    fn sized(&mut self, max: usize) -> Result<&'a [u8]> {
        let len = usize::from(self.u16()?);
        if len > max {
            return Err(Error::malformed(
                self.field,
                "buffer is longer than allowed",
            ));
        }
        self.take(len)
    }

    /// TPMT_RSA_SCHEME (Part 2 §11.2.4.2).
    fn rsa_scheme(&mut self) -> Result<Option<Scheme>> {
        let alg = self.u16()?;
        let hash = match alg {
            ALG_NULL => return Ok(None),
            ALG_RSAES => ALG_NULL,
            ALG_RSASSA | ALG_RSAPSS | ALG_OAEP => self.u16()?,
            _ => return Err(Error::malformed(self.field, "unknown RSA scheme")),
        };
        Ok(Some(Scheme { alg, hash }))
    }

    /// TPMT_ECC_SCHEME (Part 2 §11.2.5.6).
    fn ecc_scheme(&mut self) -> Result<Option<Scheme>> {
        let alg = self.u16()?;
        let hash = match alg {
            ALG_NULL => return Ok(None),
            ALG_ECDSA | ALG_SM2 | ALG_ECSCHNORR => self.u16()?,
            ALG_ECDAA => {
                let hash = self.u16()?;
                self.u16()?; // count
                hash
            }
            _ => return Err(Error::malformed(self.field, "unknown ECC scheme")),
        };
        Ok(Some(Scheme { alg, hash }))
    }

    /// TPMT_KDF_SCHEME (Part 2 §11.2.3.3): key derivation for ECDH, which signing never uses.
    fn kdf_scheme(&mut self) -> Result<()> {
        match self.u16()? {
            ALG_NULL => Ok(()),
            ALG_MGF1 | ALG_KDF1_SP800_56A | ALG_KDF2 | ALG_KDF1_SP800_108 => self.u16().map(drop),
            _ => Err(Error::malformed(self.field, "unknown KDF scheme")),
        }
    }

    fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::malformed(self.field, "trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A named change to a valid structure and the error it must cause.
    type Edit = (&'static str, fn(&mut [u8]), Error);

    fn tpm2b(bytes: &[u8]) -> Vec<u8> {
        let mut out = u16::try_from(bytes.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        out
    }

    /// An ECC P-256 signing key as Windows Hello creates it: SHA-256 name, a policy digest, no
    /// symmetric algorithm, scheme or KDF.
    fn ecc_pub_area() -> Vec<u8> {
        let mut out = vec![0x00, 0x23, 0x00, 0x0b, 0x00, 0x06, 0x04, 0x72];
        out.extend(tpm2b(&[0xaa; 32]));
        out.extend([0x00, 0x10, 0x00, 0x10, 0x00, 0x03, 0x00, 0x10]);
        out.extend(tpm2b(&[0x01; 32]));
        out.extend(tpm2b(&[0x02; 32]));
        out
    }

    fn rsa_pub_area(exponent: u32) -> Vec<u8> {
        let mut out = vec![0x00, 0x01, 0x00, 0x0b, 0x00, 0x06, 0x04, 0x72];
        out.extend(tpm2b(&[]));
        out.extend([0x00, 0x10, 0x00, 0x10, 0x08, 0x00]);
        out.extend(exponent.to_be_bytes());
        out.extend(tpm2b(&[0xc5; 256]));
        out
    }

    fn cert_info(extra_data: &[u8], name: &[u8]) -> Vec<u8> {
        let mut out = vec![0xff, 0x54, 0x43, 0x47, 0x80, 0x17];
        out.extend(tpm2b(&[0x00, 0x0b, 0x11, 0x22]));
        out.extend(tpm2b(extra_data));
        out.extend([0x00; 8]);
        out.extend([0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01]);
        out.extend([0x00; 8]);
        out.extend(tpm2b(name));
        out.extend(tpm2b(&[]));
        out
    }

    #[test]
    fn decodes_an_ecc_pub_area() {
        let bytes = ecc_pub_area();
        let area = PubArea::parse(&bytes).unwrap();
        assert_eq!(area.name_alg, TpmHash::Sha256);
        assert_eq!(area.attributes, 0x0006_0472);
        assert_eq!(area.scheme, None);
        assert_eq!(
            area.key,
            TpmKey::Ec {
                curve: Curve::P256,
                x: &[0x01; 32],
                y: &[0x02; 32]
            }
        );
    }

    #[test]
    fn decodes_an_rsa_pub_area_and_reads_exponent_zero_as_65537() {
        let bytes = rsa_pub_area(0);
        let area = PubArea::parse(&bytes).unwrap();
        assert_eq!(
            area.key,
            TpmKey::Rsa {
                modulus: &[0xc5; 256],
                exponent: 65537
            }
        );
        let bytes = rsa_pub_area(3);
        assert!(matches!(
            PubArea::parse(&bytes).unwrap().key,
            TpmKey::Rsa { exponent: 3, .. }
        ));
    }

    #[test]
    fn decodes_schemes_with_their_details() {
        let mut bytes = ecc_pub_area();
        // ECDAA carries a hash and a count; ECDSA only a hash.
        bytes.splice(44..46, [0x00, 0x1a, 0x00, 0x0b, 0x00, 0x01]);
        bytes.splice(52..54, [0x00, 0x20, 0x00, 0x0b]);
        let area = PubArea::parse(&bytes).unwrap();
        assert_eq!(
            area.scheme,
            Some(Scheme {
                alg: ALG_ECDAA,
                hash: ALG_SHA256
            })
        );
        let mut bytes = rsa_pub_area(0);
        bytes.splice(12..14, [0x00, 0x14, 0x00, 0x0c]);
        assert_eq!(
            PubArea::parse(&bytes).unwrap().scheme,
            Some(Scheme {
                alg: ALG_RSASSA,
                hash: ALG_SHA384
            })
        );
    }

    #[test]
    fn every_truncation_of_a_pub_area_fails_cleanly() {
        for bytes in [ecc_pub_area(), rsa_pub_area(0)] {
            for len in 0..bytes.len() {
                assert_eq!(
                    PubArea::parse(&bytes[..len]),
                    Err(Error::malformed(PUB_AREA, "truncated")),
                    "{len}"
                );
            }
            let mut long = bytes.clone();
            long.push(0);
            assert_eq!(
                PubArea::parse(&long),
                Err(Error::malformed(PUB_AREA, "trailing bytes"))
            );
        }
    }

    #[test]
    fn refuses_inconsistent_pub_areas() {
        let cases: [Edit; 8] = [
            (
                "type",
                |b| b[1] = 0x25,
                Error::attestation(FMT, "pubArea type is not TPM_ALG_RSA or TPM_ALG_ECC"),
            ),
            (
                "nameAlg",
                |b| b[3] = 0x12,
                Error::attestation(FMT, "pubArea nameAlg is not SHA-1 or SHA-2"),
            ),
            (
                "authPolicy",
                |b| b[9] = 20,
                Error::malformed(PUB_AREA, "authPolicy is not a nameAlg digest"),
            ),
            (
                "long authPolicy",
                |b| b[9] = 65,
                Error::malformed(PUB_AREA, "buffer is longer than allowed"),
            ),
            (
                "symmetric",
                |b| b[43] = 0x06,
                Error::attestation(FMT, "pubArea symmetric algorithm is not TPM_ALG_NULL"),
            ),
            (
                "scheme",
                |b| b[45] = 0x99,
                Error::malformed(PUB_AREA, "unknown ECC scheme"),
            ),
            (
                "curve",
                |b| b[47] = 0x20,
                Error::attestation(FMT, "pubArea curve is not P-256, P-384 or P-521"),
            ),
            (
                "kdf",
                |b| b[49] = 0x99,
                Error::malformed(PUB_AREA, "unknown KDF scheme"),
            ),
        ];
        for (what, edit, want) in cases {
            let mut bytes = ecc_pub_area();
            edit(&mut bytes);
            assert_eq!(PubArea::parse(&bytes), Err(want), "{what}");
        }
        let mut bytes = rsa_pub_area(0);
        bytes[15] = 0x01; // keyBits 2049
        assert_eq!(
            PubArea::parse(&bytes),
            Err(Error::malformed(
                PUB_AREA,
                "keyBits differs from the modulus size"
            ))
        );
        let mut bytes = ecc_pub_area();
        bytes[51] = 67; // x claims more than a P-521 coordinate
        assert_eq!(
            PubArea::parse(&bytes),
            Err(Error::malformed(PUB_AREA, "buffer is longer than allowed"))
        );
    }

    #[test]
    fn decodes_a_certify_cert_info() {
        let bytes = cert_info(&[0x33; 32], &[0x00, 0x0b, 0x44]);
        assert_eq!(
            CertInfo::parse(&bytes).unwrap(),
            CertInfo {
                extra_data: &[0x33; 32],
                name: &[0x00, 0x0b, 0x44]
            }
        );
    }

    #[test]
    fn every_truncation_of_a_cert_info_fails_cleanly() {
        let bytes = cert_info(&[0x33; 20], &[0x00, 0x04, 0x44]);
        for len in 0..bytes.len() {
            assert_eq!(
                CertInfo::parse(&bytes[..len]),
                Err(Error::malformed(CERT_INFO, "truncated")),
                "{len}"
            );
        }
        let mut long = bytes;
        long.extend([0x00, 0x00]);
        assert_eq!(
            CertInfo::parse(&long),
            Err(Error::malformed(CERT_INFO, "trailing bytes"))
        );
    }

    #[test]
    fn refuses_cert_infos_that_are_not_certifications() {
        let good = cert_info(&[0x33; 32], &[0x00, 0x0b, 0x44]);
        let cases: [Edit; 3] = [
            (
                "magic",
                |b| b[3] = 0x48,
                Error::attestation(FMT, "certInfo magic is not TPM_GENERATED_VALUE"),
            ),
            (
                "type",
                |b| b[5] = 0x18,
                Error::attestation(FMT, "certInfo type is not TPM_ST_ATTEST_CERTIFY"),
            ),
            (
                "long extraData",
                |b| b[13] = 67,
                Error::malformed(CERT_INFO, "buffer is longer than allowed"),
            ),
        ];
        for (what, edit, want) in cases {
            let mut bytes = good.clone();
            edit(&mut bytes);
            assert_eq!(CertInfo::parse(&bytes), Err(want), "{what}");
        }
    }
}
