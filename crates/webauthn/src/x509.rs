//! X.509 certificates as attestation uses them: strict parsing, signature checks with aws-lc-rs,
//! and chains checked against caller-supplied trust anchors at a caller-supplied time.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::prelude::FromDer as _;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::signature_algorithm::SignatureAlgorithm;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{Error, Result};
use crate::time::UnixTime;

/// Longest certificate accepted.
pub const MAX_CERT_LEN: usize = 16 * 1024;

/// A parsed certificate borrowing its DER.
#[derive(Debug)]
pub struct Certificate<'a> {
    der: &'a [u8],
    inner: X509Certificate<'a>,
}

impl<'a> Certificate<'a> {
    /// Parses exactly one DER certificate filling `der`.
    pub fn parse(der: &'a [u8]) -> Result<Self> {
        const FIELD: &str = "certificate";
        if der.len() > MAX_CERT_LEN {
            return Err(Error::TooLarge {
                field: FIELD,
                limit: MAX_CERT_LEN,
            });
        }
        match X509Certificate::from_der(der) {
            Ok(([], inner)) => Ok(Self { der, inner }),
            Ok(_) => Err(Error::malformed(FIELD, "trailing bytes after certificate")),
            Err(_) => Err(Error::malformed(FIELD, "not a DER X.509 certificate")),
        }
    }

    /// The parsed certificate, for format-specific extension checks.
    pub fn x509(&self) -> &X509Certificate<'a> {
        &self.inner
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &'a [u8] {
        self.inner.tbs_certificate.subject_pki.raw
    }

    /// Whether `at` lies within the validity period.
    pub fn valid_at(&self, at: UnixTime) -> bool {
        let v = self.inner.validity();
        v.not_before.timestamp() <= at.0 && at.0 <= v.not_after.timestamp()
    }

    /// Fails with [`Error::CertificateExpired`] outside the validity period.
    pub fn check_validity(&self, at: UnixTime) -> Result<()> {
        if self.valid_at(at) {
            Ok(())
        } else {
            Err(Error::CertificateExpired)
        }
    }

    /// Version 3 with basicConstraints cA=true.
    pub fn is_ca(&self) -> bool {
        matches!(self.inner.basic_constraints(), Ok(Some(bc)) if bc.value.ca)
    }

    /// RFC 5280 §4.2.1.3: a CA certificate whose keyUsage lacks keyCertSign must not be used to
    /// verify certificate signatures. Without the extension nothing is restricted.
    pub fn may_sign_certificates(&self) -> bool {
        match self.inner.key_usage() {
            Ok(Some(usage)) => usage.value.key_cert_sign(),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// RFC 5280 §6.1.4 (l): how many non-self-issued intermediates may follow this CA
    /// certificate. `None` when unlimited.
    fn path_len_constraint(&self) -> Option<u32> {
        match self.inner.basic_constraints() {
            Ok(Some(bc)) => bc.value.path_len_constraint,
            _ => None,
        }
    }

    /// Whether subject and issuer are the same name (RFC 5280 §3.2): such certificates do not
    /// count against a path length constraint.
    fn is_self_issued(&self) -> bool {
        self.inner.subject().as_raw() == self.inner.issuer().as_raw()
    }

    /// RFC 5280 rules a certificate must meet before any of its content is believed: the
    /// outer `signatureAlgorithm` repeats the signed one (§4.1.1.2), and every critical extension
    /// is one this crate processes (§4.2).
    pub fn check_structure(&self) -> Result<()> {
        if self.inner.signature_algorithm != self.inner.tbs_certificate.signature {
            return Err(Error::BadCertificate(
                "signatureAlgorithm differs from the signed tbsCertificate signature",
            ));
        }
        let unrecognised = self
            .inner
            .extensions()
            .iter()
            .any(|ext| ext.critical && !RECOGNISED_EXTENSIONS.contains(&ext.oid));
        if unrecognised {
            return Err(Error::BadCertificate("unrecognised critical extension"));
        }
        Ok(())
    }

    /// Whether the subject's only common name is `name`.
    pub fn has_common_name(&self, name: &str) -> bool {
        let mut names = self.inner.subject().iter_common_name();
        matches!(
            (names.next().map(|cn| cn.as_str()), names.next()),
            (Some(Ok(cn)), None) if cn == name
        )
    }

    /// The value of an extension, refusing duplicates.
    pub fn extension(&self, oid: &Oid<'_>) -> Result<Option<&'a [u8]>> {
        self.inner
            .get_extension_unique(oid)
            .map(|e| e.map(|e| e.value))
            .map_err(|_| Error::malformed("certificate", "duplicate extension"))
    }

    /// Whether `issuer` issued this certificate: names chain and the signature verifies.
    pub fn verify_issued_by(&self, issuer: &Certificate<'_>, allow_sha1: bool) -> Result<()> {
        if self.inner.issuer().as_raw() != issuer.inner.subject().as_raw() {
            return Err(Error::BrokenChain(
                "issuer name does not match the next certificate",
            ));
        }
        self.verify_signature(&issuer.inner.tbs_certificate.subject_pki, allow_sha1)
            .map_err(|_| Error::BrokenChain("certificate signature does not verify"))
    }

    fn verify_signature(
        &self,
        issuer_key: &SubjectPublicKeyInfo<'_>,
        allow_sha1: bool,
    ) -> Result<()> {
        let alg = verification_algorithm(&self.inner.signature_algorithm, issuer_key, allow_sha1)?;
        verify_with_spki(
            alg,
            issuer_key.raw,
            self.inner.tbs_certificate.as_ref(),
            &self.inner.signature_value.data,
        )
    }
}

/// Verifies `signature` over `message` with the key in `spki_der`.
pub(crate) fn verify_with_spki(
    alg: &'static dyn VerificationAlgorithm,
    spki_der: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    ParsedPublicKey::new(alg, spki_der)
        .map_err(|_| Error::malformed("certificate", "unusable public key"))?
        .verify_sig(message, signature)
        .map_err(|_| Error::BadSignature("certificate"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy)]
enum KeyKind {
    P256,
    P384,
    P521,
    Rsa,
    Ed25519,
}

fn key_kind(spki: &SubjectPublicKeyInfo<'_>) -> Result<KeyKind> {
    let alg = &spki.algorithm;
    if alg.algorithm == oids::OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .ok_or(Error::malformed(
                "certificate",
                "EC key without a named curve",
            ))?;
        if curve == oids::OID_EC_P256 {
            Ok(KeyKind::P256)
        } else if curve == oids::OID_NIST_EC_P384 {
            Ok(KeyKind::P384)
        } else if curve == oids::OID_NIST_EC_P521 {
            Ok(KeyKind::P521)
        } else {
            Err(Error::malformed("certificate", "unsupported EC curve"))
        }
    } else if alg.algorithm == oids::OID_PKCS1_RSAENCRYPTION {
        Ok(KeyKind::Rsa)
    } else if alg.algorithm == oids::OID_SIG_ED25519 {
        Ok(KeyKind::Ed25519)
    } else {
        Err(Error::malformed(
            "certificate",
            "unsupported public key type",
        ))
    }
}

fn hash_of(oid: &Oid<'_>) -> Option<Hash> {
    use oids::*;
    if *oid == OID_SIG_ECDSA_WITH_SHA256
        || *oid == OID_PKCS1_SHA256WITHRSA
        || *oid == OID_NIST_HASH_SHA256
    {
        Some(Hash::Sha256)
    } else if *oid == OID_SIG_ECDSA_WITH_SHA384
        || *oid == OID_PKCS1_SHA384WITHRSA
        || *oid == OID_NIST_HASH_SHA384
    {
        Some(Hash::Sha384)
    } else if *oid == OID_SIG_ECDSA_WITH_SHA512
        || *oid == OID_PKCS1_SHA512WITHRSA
        || *oid == OID_NIST_HASH_SHA512
    {
        Some(Hash::Sha512)
    } else if *oid == OID_PKCS1_SHA1WITHRSA
        || *oid == OID_SHA1_WITH_RSA
        || *oid == OID_HASH_SHA1
        || *oid == ECDSA_WITH_SHA1
    {
        Some(Hash::Sha1)
    } else {
        None
    }
}

const ECDSA_WITH_SHA1: Oid<'static> = x509_parser::der_parser::oid!(1.2.840.10045.4.1);

/// Extensions whose meaning this crate knows, so they may be critical: the RFC 5280 ones chains
/// and formats read (basicConstraints, keyUsage, extKeyUsage, subjectAltName — the TPM AIK's is
/// critical —, key identifiers), certificatePolicies, and the attestation extensions the formats
/// check (FIDO AAGUID and transports, Android key description, Apple nonce).
///
/// certificatePolicies (critical in Microsoft's TPM AIK certificates) is processed as RFC 5280
/// §6.1 does with the initial policy set anyPolicy and no explicit policy required: whatever it
/// lists, the path is valid. policyConstraints and inhibitAnyPolicy, which could require an
/// explicit policy, and nameConstraints, which this crate does not enforce, are not listed, so a
/// certificate marking them critical is refused.
const RECOGNISED_EXTENSIONS: [Oid<'static>; 11] = [
    x509_parser::der_parser::oid!(2.5.29.32),
    x509_parser::der_parser::oid!(2.5.29.19),
    x509_parser::der_parser::oid!(2.5.29.15),
    x509_parser::der_parser::oid!(2.5.29.37),
    x509_parser::der_parser::oid!(2.5.29.17),
    x509_parser::der_parser::oid!(2.5.29.14),
    x509_parser::der_parser::oid!(2.5.29.35),
    x509_parser::der_parser::oid!(1.3.6.1.4.1.45724.1.1.4),
    x509_parser::der_parser::oid!(1.3.6.1.4.1.45724.2.1.1),
    x509_parser::der_parser::oid!(1.3.6.1.4.1.11129.2.1.17),
    x509_parser::der_parser::oid!(1.2.840.113635.100.8.2),
];

/// The aws-lc-rs algorithm for a signature made with `sig_alg` by the key in `key`.
pub(crate) fn verification_algorithm(
    sig_alg: &x509_parser::x509::AlgorithmIdentifier<'_>,
    key: &SubjectPublicKeyInfo<'_>,
    allow_sha1: bool,
) -> Result<&'static dyn VerificationAlgorithm> {
    let unsupported = Error::malformed("certificate", "unsupported signature algorithm");
    let kind = key_kind(key)?;
    // x509-parser reports algorithms it does not know on stderr in debug builds; certificates
    // come from clients, so only known OIDs reach it.
    let oid = &sig_alg.algorithm;
    if hash_of(oid).is_none() && *oid != oids::OID_PKCS1_RSASSAPSS && *oid != oids::OID_SIG_ED25519
    {
        return Err(unsupported);
    }
    let parsed = SignatureAlgorithm::try_from(sig_alg).map_err(|_| unsupported.clone())?;
    let (pss, hash) = match &parsed {
        SignatureAlgorithm::RSASSA_PSS(params) => (true, hash_of(params.hash_algorithm_oid())),
        SignatureAlgorithm::ED25519 => (false, None),
        _ => (false, hash_of(&sig_alg.algorithm)),
    };
    if hash == Some(Hash::Sha1) && !allow_sha1 {
        return Err(Error::AlgorithmNotAllowed(-65535));
    }
    use Hash::*;
    use KeyKind::*;
    let alg: &'static dyn VerificationAlgorithm = match (kind, &parsed, hash, pss) {
        (Ed25519, SignatureAlgorithm::ED25519, None, false) => &signature::ED25519,
        (P256, SignatureAlgorithm::ECDSA, Some(Sha1), _) => &signature::ECDSA_P256_SHA1_ASN1,
        (P256, SignatureAlgorithm::ECDSA, Some(Sha256), _) => &signature::ECDSA_P256_SHA256_ASN1,
        (P256, SignatureAlgorithm::ECDSA, Some(Sha384), _) => &signature::ECDSA_P256_SHA384_ASN1,
        (P256, SignatureAlgorithm::ECDSA, Some(Sha512), _) => &signature::ECDSA_P256_SHA512_ASN1,
        (P384, SignatureAlgorithm::ECDSA, Some(Sha256), _) => &signature::ECDSA_P384_SHA256_ASN1,
        (P384, SignatureAlgorithm::ECDSA, Some(Sha384), _) => &signature::ECDSA_P384_SHA384_ASN1,
        (P384, SignatureAlgorithm::ECDSA, Some(Sha512), _) => &signature::ECDSA_P384_SHA512_ASN1,
        (P521, SignatureAlgorithm::ECDSA, Some(Sha1), _) => &signature::ECDSA_P521_SHA1_ASN1,
        (P521, SignatureAlgorithm::ECDSA, Some(Sha256), _) => &signature::ECDSA_P521_SHA256_ASN1,
        (P521, SignatureAlgorithm::ECDSA, Some(Sha384), _) => &signature::ECDSA_P521_SHA384_ASN1,
        (P521, SignatureAlgorithm::ECDSA, Some(Sha512), _) => &signature::ECDSA_P521_SHA512_ASN1,
        (Rsa, _, Some(Sha1), false) => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        (Rsa, _, Some(Sha256), false) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (Rsa, _, Some(Sha384), false) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (Rsa, _, Some(Sha512), false) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (Rsa, _, Some(Sha256), true) => &signature::RSA_PSS_2048_8192_SHA256,
        (Rsa, _, Some(Sha384), true) => &signature::RSA_PSS_2048_8192_SHA384,
        (Rsa, _, Some(Sha512), true) => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return Err(unsupported),
    };
    Ok(alg)
}

/// What a chain is checked against: trust anchors (DER), the CRLs the caller has (DER), the time,
/// and whether SHA-1 signatures are acceptable.
#[derive(Debug, Clone, Copy)]
pub struct ChainPolicy<'a> {
    /// The trust anchors (DER certificates).
    pub anchors: &'a [Vec<u8>],
    /// Certificate revocation lists (DER); each counts only if its issuer signed it.
    pub crls: &'a [Vec<u8>],
    /// The verification time.
    pub at: UnixTime,
    /// Accept SHA-1 certificate signatures.
    pub allow_sha1: bool,
}

/// Checks a chain (leaf first) and reports whether it reaches one of the anchors.
///
/// Walking up from the leaf, each certificate must be in date and meet [`Certificate::check_structure`];
/// the walk ends trusted at the first certificate that is byte-for-byte an anchor or is issued
/// (signed) by one. A certificate that only copies an anchor's name and key is not the anchor: it
/// must be signed like any other. Until then each certificate must be issued by the next, which
/// must be a CA allowed to sign certificates whose path length constraint admits the
/// intermediates below it; a certificate its issuer's CRL lists is refused. Certificates past the
/// anchor are not looked at, as a path builder would not use them. Without an anchor the chain is
/// well-formed but untrusted.
pub fn verify_chain(chain: &[Certificate<'_>], policy: &ChainPolicy<'_>) -> Result<bool> {
    let anchors: Vec<Certificate<'_>> = policy
        .anchors
        .iter()
        .filter_map(|a| Certificate::parse(a).ok())
        .collect();
    let crls = parse_crls(policy.crls)?;
    for (i, cert) in chain.iter().enumerate() {
        cert.check_validity(policy.at)?;
        if let Some(anchor) = anchors.iter().find(|a| a.der == cert.der) {
            anchor.check_validity(policy.at)?;
            return Ok(true);
        }
        cert.check_structure()?;
        // The intermediates between a would-be issuer and the leaf: the issuer's path length
        // constraint must admit them.
        let below = chain
            .get(1..=i)
            .unwrap_or_default()
            .iter()
            .filter(|c| !c.is_self_issued())
            .count();
        for anchor in &anchors {
            if cert.verify_issued_by(anchor, policy.allow_sha1).is_ok() {
                anchor.check_validity(policy.at)?;
                check_path_len(anchor, below)?;
                check_revocation(cert, anchor, &crls, policy.allow_sha1)?;
                return Ok(true);
            }
        }
        if let Some(issuer) = chain.get(i + 1) {
            if !issuer.is_ca() {
                return Err(Error::BrokenChain("an issuing certificate is not a CA"));
            }
            if !issuer.may_sign_certificates() {
                return Err(Error::BrokenChain(
                    "an issuing certificate may not sign certificates",
                ));
            }
            check_path_len(issuer, below)?;
            cert.verify_issued_by(issuer, policy.allow_sha1)?;
            check_revocation(cert, issuer, &crls, policy.allow_sha1)?;
        }
    }
    Ok(false)
}

fn check_path_len(issuer: &Certificate<'_>, intermediates_below: usize) -> Result<()> {
    match issuer.path_len_constraint() {
        Some(limit) if intermediates_below > limit as usize => Err(Error::BrokenChain(
            "an issuer's path length constraint is exceeded",
        )),
        _ => Ok(()),
    }
}

/// Longest CRL accepted. Attestation and metadata CAs issue small ones.
pub const MAX_CRL_LEN: usize = 4 * 1024 * 1024;

/// Parses DER CRLs, refusing any that is not one.
pub(crate) fn parse_crls(ders: &[Vec<u8>]) -> Result<Vec<CertificateRevocationList<'_>>> {
    ders.iter().map(|der| parse_crl(der)).collect()
}

/// Parses exactly one DER CRL filling `der`.
pub(crate) fn parse_crl(der: &[u8]) -> Result<CertificateRevocationList<'_>> {
    const FIELD: &str = "CRL";
    if der.len() > MAX_CRL_LEN {
        return Err(Error::TooLarge {
            field: FIELD,
            limit: MAX_CRL_LEN,
        });
    }
    match CertificateRevocationList::from_der(der) {
        Ok(([], crl)) => Ok(crl),
        Ok(_) => Err(Error::malformed(FIELD, "trailing bytes after CRL")),
        Err(_) => Err(Error::malformed(
            FIELD,
            "not a DER certificate revocation list",
        )),
    }
}

/// Refuses `cert` if a CRL that `issuer` signed lists its serial number. A CRL by another issuer,
/// or whose signature does not verify, says nothing about `cert`. A CRL past its nextUpdate still
/// counts: a revocation it lists stays true.
fn check_revocation(
    cert: &Certificate<'_>,
    issuer: &Certificate<'_>,
    crls: &[CertificateRevocationList<'_>],
    allow_sha1: bool,
) -> Result<()> {
    let issuer_key = &issuer.inner.tbs_certificate.subject_pki;
    for crl in crls {
        if crl.issuer().as_raw() != issuer.inner.subject().as_raw()
            || crl.signature_algorithm != crl.tbs_cert_list.signature
        {
            continue;
        }
        let signed = verification_algorithm(&crl.signature_algorithm, issuer_key, allow_sha1)
            .and_then(|alg| {
                verify_with_spki(
                    alg,
                    issuer_key.raw,
                    crl.tbs_cert_list.as_ref(),
                    &crl.signature_value.data,
                )
            });
        if signed.is_ok()
            && crl
                .iter_revoked_certificates()
                .any(|revoked| revoked.raw_serial() == cert.inner.raw_serial())
        {
            return Err(Error::CertificateRevoked);
        }
    }
    Ok(())
}

/// Parses every certificate of an `x5c`.
pub fn parse_chain<'a>(ders: &[&'a [u8]]) -> Result<Vec<Certificate<'a>>> {
    ders.iter().map(|d| Certificate::parse(d)).collect()
}

/// The DER of each PEM `CERTIFICATE` block in `pem`.
pub fn certificates_from_pem(pem: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body_start = start + "-----BEGIN CERTIFICATE-----".len();
        let after = rest.get(body_start..).unwrap_or_default();
        let end = after
            .find("-----END CERTIFICATE-----")
            .ok_or(Error::malformed("PEM", "unterminated certificate"))?;
        let body: String = after
            .get(..end)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| Error::Base64("PEM"))?;
        Certificate::parse(&der)?;
        out.push(der);
        rest = after.get(end..).unwrap_or_default();
    }
    Ok(out)
}

/// The attestation certificate key identifier that FIDO metadata lists for authenticators without
/// an AAGUID: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2, method 1).
pub(crate) fn key_identifier(cert: &Certificate<'_>) -> [u8; 20] {
    use aws_lc_rs::digest;
    let key = &cert.x509().public_key().subject_public_key.data;
    let mut out = [0u8; 20];
    out.copy_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, key).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension,
        DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType,
        SerialNumber, date_time_ymd,
    };

    use super::*;

    /// root → intermediate (with `usages`, empty for no keyUsage extension) → leaf, as DER.
    fn chain(intermediate_usages: Vec<KeyUsagePurpose>) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let params = |cn: &str, ca: bool| {
            let mut p = CertificateParams::default();
            p.distinguished_name.push(DnType::CommonName, cn);
            p.not_before = date_time_ymd(2020, 1, 1);
            p.not_after = date_time_ymd(2040, 1, 1);
            if ca {
                p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            }
            p
        };
        let root_key = KeyPair::generate().unwrap();
        let root_params = params("Root", true);
        let root = root_params.self_signed(&root_key).unwrap();
        let mid_key = KeyPair::generate().unwrap();
        let mut mid_params = params("Intermediate", true);
        mid_params.key_usages = intermediate_usages;
        let mid = mid_params
            .clone()
            .signed_by(&mid_key, &Issuer::new(root_params, &root_key))
            .unwrap();
        let leaf = params("Leaf", false)
            .signed_by(
                &KeyPair::generate().unwrap(),
                &Issuer::new(mid_params, &mid_key),
            )
            .unwrap();
        (root.der().to_vec(), mid.der().to_vec(), leaf.der().to_vec())
    }

    fn policy(anchors: &[Vec<u8>], at: UnixTime) -> ChainPolicy<'_> {
        ChainPolicy {
            anchors,
            crls: &[],
            at,
            allow_sha1: false,
        }
    }

    fn verify(root: &[u8], mid: &[u8], leaf: &[u8]) -> Result<bool> {
        let chain = parse_chain(&[leaf, mid])?;
        verify_chain(&chain, &policy(&[root.to_vec()], UnixTime(1_800_000_000)))
    }

    #[test]
    fn a_chain_to_an_anchor_is_trusted() {
        let (root, mid, leaf) = chain(vec![KeyUsagePurpose::KeyCertSign]);
        assert_eq!(verify(&root, &mid, &leaf), Ok(true));
        let (root, mid, leaf) = chain(Vec::new());
        assert_eq!(verify(&root, &mid, &leaf), Ok(true));
        let (other_root, ..) = chain(Vec::new());
        assert_eq!(verify(&other_root, &mid, &leaf), Ok(false));
    }

    #[test]
    fn an_issuer_whose_key_usage_excludes_certificate_signing_breaks_the_chain() {
        let (root, mid, leaf) = chain(vec![KeyUsagePurpose::DigitalSignature]);
        assert_eq!(
            verify(&root, &mid, &leaf),
            Err(Error::BrokenChain(
                "an issuing certificate may not sign certificates"
            ))
        );
    }

    /// A CA or leaf certificate and its key, for chains built case by case.
    struct Made {
        params: CertificateParams,
        key: KeyPair,
        der: Vec<u8>,
    }

    fn make(
        cn: &str,
        ca: IsCa,
        serial: u64,
        issuer: Option<&Made>,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Made {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2040, 1, 1);
        params.is_ca = ca;
        params.serial_number = Some(SerialNumber::from(serial));
        edit(&mut params);
        let key = KeyPair::generate().unwrap();
        let der = match issuer {
            Some(issuer) => params
                .clone()
                .signed_by(&key, &Issuer::new(issuer.params.clone(), &issuer.key)),
            None => params.clone().self_signed(&key),
        }
        .unwrap()
        .der()
        .to_vec();
        Made { params, key, der }
    }

    fn ca(limit: Option<u8>) -> IsCa {
        IsCa::Ca(limit.map_or(
            BasicConstraints::Unconstrained,
            BasicConstraints::Constrained,
        ))
    }

    fn check(chain: &[&Made], anchor: &Made, crls: &[Vec<u8>]) -> Result<bool> {
        let ders: Vec<&[u8]> = chain.iter().map(|c| c.der.as_slice()).collect();
        verify_chain(
            &parse_chain(&ders)?,
            &ChainPolicy {
                anchors: std::slice::from_ref(&anchor.der),
                crls,
                at: UnixTime(1_800_000_000),
                allow_sha1: false,
            },
        )
    }

    #[test]
    fn path_length_constraints_of_issuers_and_anchors_are_enforced() {
        let root = make("Root", ca(Some(1)), 1, None, |_| {});
        let mid = make("Mid", ca(Some(0)), 2, Some(&root), |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 3, Some(&mid), |_| {});
        assert_eq!(check(&[&leaf, &mid], &root, &[]), Ok(true));
        // Mid admits no intermediate below it.
        let below = make("Below", ca(None), 4, Some(&mid), |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 5, Some(&below), |_| {});
        let exceeded = Err(Error::BrokenChain(
            "an issuer's path length constraint is exceeded",
        ));
        assert_eq!(check(&[&leaf, &below, &mid], &root, &[]), exceeded);
        // The anchor admits one intermediate, not two.
        let mid = make("Mid", ca(None), 6, Some(&root), |_| {});
        let below = make("Below", ca(None), 7, Some(&mid), |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 8, Some(&below), |_| {});
        assert_eq!(check(&[&leaf, &below, &mid], &root, &[]), exceeded);
    }

    #[test]
    fn unrecognised_critical_extensions_are_refused_and_known_ones_accepted() {
        let root = make("Root", ca(None), 1, None, |_| {});
        let with = |oid: &[u64], critical| {
            make("Leaf", IsCa::NoCa, 2, Some(&root), |p| {
                let mut ext = CustomExtension::from_oid_content(oid, vec![0x05, 0x00]);
                ext.set_criticality(critical);
                p.custom_extensions.push(ext);
            })
        };
        let unknown = [1, 3, 6, 1, 4, 1, 99999, 1];
        assert_eq!(check(&[&with(&unknown, false)], &root, &[]), Ok(true));
        assert_eq!(
            check(&[&with(&unknown, true)], &root, &[]),
            Err(Error::BadCertificate("unrecognised critical extension"))
        );
        // nameConstraints is not enforced here, so a critical one is not silently passed over.
        let name_constraints = [2, 5, 29, 30];
        assert_eq!(
            check(&[&with(&name_constraints, true)], &root, &[]),
            Err(Error::BadCertificate("unrecognised critical extension"))
        );
        let critical_san = make("Leaf", IsCa::NoCa, 3, Some(&root), |p| {
            p.subject_alt_names = vec![SanType::DnsName("aik.example".try_into().unwrap())];
        });
        assert_eq!(check(&[&critical_san], &root, &[]), Ok(true));
    }

    #[test]
    fn an_outer_signature_algorithm_must_repeat_the_signed_one() {
        let root = make("Root", ca(None), 1, None, |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 2, Some(&root), |_| {});
        // ecdsa-with-SHA256 appears in tbsCertificate and after it; change only the outer one to
        // ecdsa-with-SHA384.
        let oid = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        let mut der = leaf.der.clone();
        let outer = der.windows(oid.len()).rposition(|w| w == oid).unwrap();
        der[outer + oid.len() - 1] = 0x03;
        let chain = parse_chain(&[&der]).unwrap();
        assert_eq!(
            verify_chain(
                &chain,
                &ChainPolicy {
                    anchors: &[root.der],
                    crls: &[],
                    at: UnixTime(1_800_000_000),
                    allow_sha1: false,
                },
            ),
            Err(Error::BadCertificate(
                "signatureAlgorithm differs from the signed tbsCertificate signature"
            ))
        );
    }

    #[test]
    fn a_copy_of_an_anchors_name_and_key_is_not_the_anchor() {
        let root = make("Root", ca(None), 1, None, |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 2, Some(&root), |_| {});
        // The root's own certificate, byte for byte, ends the chain as the anchor.
        assert_eq!(check(&[&leaf, &root], &root, &[]), Ok(true));
        // Re-issued by a stranger with the root's name and key, it is not the anchor.
        let stranger = make("Stranger", ca(None), 3, None, |_| {});
        let mut copy_params = root.params.clone();
        copy_params.serial_number = Some(SerialNumber::from(99u64));
        let copy = copy_params
            .signed_by(
                &root.key,
                &Issuer::new(stranger.params.clone(), &stranger.key),
            )
            .unwrap();
        let copy = Made {
            params: root.params.clone(),
            key: KeyPair::generate().unwrap(),
            der: copy.der().to_vec(),
        };
        assert_eq!(check(&[&copy], &root, &[]), Ok(false));
    }

    fn crl(issuer: &Made, serials: &[u64]) -> Vec<u8> {
        CertificateRevocationListParams {
            this_update: date_time_ymd(2025, 1, 1),
            next_update: date_time_ymd(2025, 2, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: date_time_ymd(2025, 1, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&Issuer::new(issuer.params.clone(), &issuer.key))
        .unwrap()
        .der()
        .to_vec()
    }

    #[test]
    fn crls_signed_by_the_issuer_revoke_its_certificates() {
        let root = make("Root", ca(None), 1, None, |_| {});
        let mid = make("Mid", ca(None), 2, Some(&root), |_| {});
        let leaf = make("Leaf", IsCa::NoCa, 3, Some(&mid), |_| {});
        let chain = [&leaf, &mid];
        assert_eq!(
            check(&chain, &root, &[crl(&mid, &[3])]),
            Err(Error::CertificateRevoked)
        );
        assert_eq!(
            check(&chain, &root, &[crl(&root, &[2])]),
            Err(Error::CertificateRevoked)
        );
        // The root's CRL does not speak for the intermediate's certificates, nor does a CRL with
        // the intermediate's name made with another key.
        assert_eq!(check(&chain, &root, &[crl(&root, &[3])]), Ok(true));
        let impostor = make("Mid", ca(None), 2, None, |_| {});
        assert_eq!(check(&chain, &root, &[crl(&impostor, &[3])]), Ok(true));
        assert_eq!(check(&chain, &root, &[crl(&mid, &[4])]), Ok(true));
    }

    #[test]
    fn time_outside_any_validity_period_is_refused() {
        let (root, mid, leaf) = chain(Vec::new());
        let chain = parse_chain(&[&leaf, &mid]).unwrap();
        assert_eq!(
            verify_chain(&chain, &policy(&[root], UnixTime(2_300_000_000))),
            Err(Error::CertificateExpired)
        );
    }
}
