//! `tpm` (§8.3): the TPM certifies the credential key (`pubArea`) in a TPMS_ATTEST (`certInfo`)
//! signed by an attestation identity key (AIK) whose certificate meets §8.3.1.

mod structures;

use x509_parser::der_parser::oid;
use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::oid_registry::Oid;

use super::{AttestationType, Input, Statement, statement_alg};
use crate::cose::{CoseAlgorithm, CredentialPublicKey, KeyMaterial};
use crate::error::{Error, Result};
use crate::x509::Certificate;
use structures::{
    ALG_ECDSA, ALG_RSAPSS, ALG_RSASSA, CertInfo, OBJECT_SIGN, PubArea, Scheme, TpmHash, TpmKey,
};

const FMT: &str = "tpm";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    let st = &input.statement;
    // ECDAA attestation was removed in WebAuthn Level 3.
    if st.get("ecdaaKeyId").is_some() {
        return Err(Error::attestation(FMT, "ECDAA is not supported"));
    }
    input.expect_fields(FMT, &["ver", "alg", "x5c", "sig", "certInfo", "pubArea"])?;
    if st.text("ver").ok() != Some("2.0") {
        return Err(Error::attestation(FMT, "ver is not \"2.0\""));
    }
    let alg = statement_alg(input, FMT)?;
    let hash = signing_hash(alg)?;
    let sig = input.sig(FMT)?;
    let cert_info_raw = st
        .bytes("certInfo")
        .map_err(|_| Error::attestation(FMT, "missing certInfo"))?;
    let pub_area_raw = st
        .bytes("pubArea")
        .map_err(|_| Error::attestation(FMT, "missing pubArea"))?;
    let x5c = input.x5c(FMT)?;

    let pub_area = PubArea::parse(pub_area_raw)?;
    // A SHA-1 Name is as old as an RS1 signature and falls under the same policy switch.
    if pub_area.name_alg == TpmHash::Sha1 && !input.policy.allow_sha1_attestation {
        return Err(Error::AlgorithmNotAllowed(CoseAlgorithm::Rs1.id()));
    }
    check_key(&pub_area, &input.attested.public_key)?;

    let cert_info = CertInfo::parse(cert_info_raw)?;
    if cert_info.extra_data != hash.digest(&input.signed_data()).as_ref() {
        return Err(Error::attestation(
            FMT,
            "certInfo extraData is not the hash of attToBeSigned",
        ));
    }
    // The Name binds certInfo to these exact pubArea bytes (TPM Part 1 §16).
    let name = [
        pub_area.name_alg.id().to_be_bytes().as_slice(),
        pub_area.name_alg.digest(pub_area_raw).as_ref(),
    ]
    .concat();
    if cert_info.name != name.as_slice() {
        return Err(Error::attestation(FMT, "certInfo does not name pubArea"));
    }

    x5c.verify(alg, cert_info_raw, sig)?;
    check_aik(&x5c.leaf, &input.attested.aaguid.0)?;
    Ok(x5c.statement(AttestationType::AttCa))
}

/// The hash `alg` signs with, which is also the hash certInfo carries of attToBeSigned.
fn signing_hash(alg: CoseAlgorithm) -> Result<TpmHash> {
    use CoseAlgorithm::*;
    Ok(match alg {
        Rs1 => TpmHash::Sha1,
        Rs256 | Ps256 | Es256 => TpmHash::Sha256,
        Rs384 | Ps384 | Es384 => TpmHash::Sha384,
        Rs512 | Ps512 | Es512 => TpmHash::Sha512,
        EdDsa | MlDsa44 | MlDsa65 | MlDsa87 => {
            return Err(Error::attestation(FMT, "alg is not one a TPM signs with"));
        }
    })
}

/// The TPM scheme that produces `alg` signatures.
fn tpm_scheme(alg: CoseAlgorithm) -> Option<Scheme> {
    use CoseAlgorithm::*;
    let scheme = match alg {
        Rs1 | Rs256 | Rs384 | Rs512 => ALG_RSASSA,
        Ps256 | Ps384 | Ps512 => ALG_RSAPSS,
        Es256 | Es384 | Es512 => ALG_ECDSA,
        EdDsa | MlDsa44 | MlDsa65 | MlDsa87 => return None,
    };
    Some(Scheme {
        alg: scheme,
        hash: signing_hash(alg).ok()?.id(),
    })
}

/// §8.3.2: the key in pubArea is the credential public key.
fn check_key(area: &PubArea<'_>, credential: &CredentialPublicKey) -> Result<()> {
    // Without `sign` the TPM would refuse every assertion this credential is asked for.
    if area.attributes & OBJECT_SIGN == 0 {
        return Err(Error::attestation(FMT, "pubArea key is not a signing key"));
    }
    // A key bound to a scheme can only ever make that scheme's signatures.
    if area
        .scheme
        .is_some_and(|s| Some(s) != tpm_scheme(credential.alg()))
    {
        return Err(Error::attestation(
            FMT,
            "pubArea scheme cannot make the credential algorithm's signatures",
        ));
    }
    let same = match (&area.key, credential.material()) {
        (TpmKey::Rsa { modulus, exponent }, KeyMaterial::Rsa { n, e }) => {
            unpadded(modulus) == unpadded(n) && unpadded(&exponent.to_be_bytes()) == unpadded(e)
        }
        (
            TpmKey::Ec { curve, x, y },
            KeyMaterial::Ec2 {
                curve: credential_curve,
                x: credential_x,
                y: credential_y,
            },
        ) => {
            curve == credential_curve
                && unpadded(x) == unpadded(credential_x)
                && unpadded(y) == unpadded(credential_y)
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(Error::attestation(
            FMT,
            "pubArea key differs from the credential public key",
        ))
    }
}

/// A big-endian integer without leading zero bytes, so equal numbers compare equal however
/// each side padded them.
fn unpadded(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

// TCG EK Credential Profile §3.2.9 attributes of the TPM in the AIK certificate's SAN.
const TPM_MANUFACTURER: Oid<'static> = oid!(2.23.133.2.1);
const TPM_MODEL: Oid<'static> = oid!(2.23.133.2.2);
const TPM_VERSION: Oid<'static> = oid!(2.23.133.2.3);
const TCG_KP_AIK_CERTIFICATE: Oid<'static> = oid!(2.23.133.8.3);

/// §8.3.1 TPM attestation certificate requirements.
fn check_aik(aik: &Certificate<'_>, aaguid: &[u8; 16]) -> Result<()> {
    let cert = aik.x509();
    if cert.version().0 != 2 {
        return Err(Error::attestation(FMT, "AIK certificate is not X.509 v3"));
    }
    if cert.subject().iter().next().is_some() {
        return Err(Error::attestation(
            FMT,
            "AIK certificate subject is not empty",
        ));
    }
    let san = cert
        .subject_alternative_name()
        .map_err(|_| Error::attestation(FMT, "AIK certificate SAN is malformed or repeated"))?
        .ok_or(Error::attestation(FMT, "AIK certificate has no SAN"))?;
    // RFC 5280 §4.2.1.6: with an empty subject, the SAN is the identity and must be critical.
    if !san.critical {
        return Err(Error::attestation(
            FMT,
            "AIK certificate SAN is not critical",
        ));
    }
    let manufacturer = tpm_attribute(san.value, &TPM_MANUFACTURER)?;
    tpm_attribute(san.value, &TPM_MODEL)?;
    tpm_attribute(san.value, &TPM_VERSION)?;
    if !is_vendor_id(manufacturer) {
        return Err(Error::attestation(
            FMT,
            "AIK certificate TPM manufacturer is not a TCG vendor ID ('id:' and eight hex digits)",
        ));
    }

    let eku = cert
        .extended_key_usage()
        .map_err(|_| Error::attestation(FMT, "AIK certificate EKU is malformed or repeated"))?;
    if !eku.is_some_and(|eku| eku.value.other.contains(&TCG_KP_AIK_CERTIFICATE)) {
        return Err(Error::attestation(
            FMT,
            "AIK certificate EKU lacks tcg-kp-AIKCertificate",
        ));
    }
    // An absent extension does not say cA is false, which §8.3.1 asks for explicitly.
    match cert.basic_constraints() {
        Ok(Some(bc)) if !bc.value.ca => {}
        Ok(Some(_)) => return Err(Error::attestation(FMT, "AIK certificate is a CA")),
        Ok(None) | Err(_) => {
            return Err(Error::attestation(
                FMT,
                "AIK certificate has no single basicConstraints",
            ));
        }
    }

    super::check_aaguid_extension(aik, aaguid, FMT)
}

/// The one value of a TPM attribute in the SAN's directoryNames, wherever the certificate put it:
/// TCG writes one attribute per RDN, Windows often all three in one multi-valued RDN.
fn tpm_attribute<'a>(san: &'a SubjectAlternativeName<'_>, oid: &Oid<'_>) -> Result<&'a str> {
    let mut values = san
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DirectoryName(dn) => Some(dn.iter_attributes()),
            _ => None,
        })
        .flatten()
        .filter(|attr| attr.attr_type() == oid);
    match (values.next(), values.next()) {
        (Some(value), None) => value.as_str().map_err(|_| {
            Error::attestation(FMT, "AIK certificate SAN TPM attribute is not a string")
        }),
        _ => Err(Error::attestation(
            FMT,
            "AIK certificate SAN lacks exactly one TPM manufacturer, model and version",
        )),
    }
}

/// `id:` and the TPM_PT_MANUFACTURER value in eight hex digits, as the TCG Vendor ID Registry
/// writes it. Which vendors are genuine is for the trust anchors to say, not a list kept here: the
/// W3C test vectors use `id:00000000`.
fn is_vendor_id(manufacturer: &str) -> bool {
    manufacturer
        .strip_prefix("id:")
        .is_some_and(|hex| hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_ids_are_id_and_eight_hex_digits() {
        for good in ["id:4E544300", "id:494e5443", "id:00000000", "id:FFFFF1D0"] {
            assert!(is_vendor_id(good), "{good}");
        }
        for bad in [
            "4E544300",
            "id:4E5443",
            "id:4E5443000",
            "id:4E54430G",
            "ID:4E544300",
            "",
        ] {
            assert!(!is_vendor_id(bad), "{bad}");
        }
    }

    #[test]
    fn each_tpm_algorithm_has_its_hash_and_scheme() {
        assert_eq!(signing_hash(CoseAlgorithm::Rs1), Ok(TpmHash::Sha1));
        assert_eq!(signing_hash(CoseAlgorithm::Es384), Ok(TpmHash::Sha384));
        assert_eq!(
            signing_hash(CoseAlgorithm::EdDsa),
            Err(Error::attestation(FMT, "alg is not one a TPM signs with"))
        );
        assert_eq!(
            tpm_scheme(CoseAlgorithm::Ps512),
            Some(Scheme {
                alg: ALG_RSAPSS,
                hash: TpmHash::Sha512.id()
            })
        );
        assert_eq!(tpm_scheme(CoseAlgorithm::MlDsa44), None);
    }

    #[test]
    fn unpadded_ignores_leading_zeros_only() {
        assert_eq!(unpadded(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(unpadded(&[0, 0]), &[] as &[u8]);
        assert_eq!(unpadded(&[]), &[] as &[u8]);
    }
}
