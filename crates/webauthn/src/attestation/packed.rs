//! `packed` (§8.2): self attestation with the credential key, or basic attestation with an x5c
//! whose leaf meets §8.2.1.

use super::{AttestationType, Input, Statement, check_aaguid_extension, statement_alg};
use crate::error::{Error, Result};
use crate::x509::Certificate;

const FMT: &str = "packed";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    input.expect_fields(FMT, &["alg", "sig", "x5c"])?;
    let alg = statement_alg(input, FMT)?;
    let sig = input.sig(FMT)?;
    let signed = input.signed_data();

    let Some(x5c) = input.optional_x5c(FMT)? else {
        let key = &input.attested.public_key;
        if alg != key.alg() {
            return Err(Error::attestation(
                FMT,
                "self attestation alg differs from the credential key",
            ));
        }
        key.verify(&signed, sig, "attestation statement")?;
        return Ok(Statement::empty(AttestationType::SelfAttestation));
    };
    x5c.verify(alg, &signed, sig)?;
    check_leaf(&x5c.leaf, &input.attested.aaguid.0)?;
    Ok(x5c.statement(AttestationType::Basic))
}

/// §8.2.1 packed attestation certificate requirements.
fn check_leaf(leaf: &Certificate<'_>, aaguid: &[u8; 16]) -> Result<()> {
    let cert = leaf.x509();
    if cert.version().0 != 2 {
        return Err(Error::attestation(
            FMT,
            "attestation certificate is not X.509 v3",
        ));
    }
    let subject = cert.subject();
    let one = |oid: &x509_parser::oid_registry::Oid<'_>| -> Option<String> {
        subject
            .iter_by_oid(oid)
            .next()?
            .as_str()
            .ok()
            .map(str::to_owned)
    };
    use x509_parser::oid_registry as oids;
    let country = one(&oids::OID_X509_COUNTRY_NAME);
    let org = one(&oids::OID_X509_ORGANIZATION_NAME);
    let ou = one(&oids::OID_X509_ORGANIZATIONAL_UNIT);
    let cn = one(&oids::OID_X509_COMMON_NAME);
    let present = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    if country.as_deref().is_none_or(|c| c.len() != 2) || !present(&org) || !present(&cn) {
        return Err(Error::attestation(
            FMT,
            "attestation certificate subject lacks C, O or CN",
        ));
    }
    if ou.as_deref() != Some("Authenticator Attestation") {
        return Err(Error::attestation(
            FMT,
            "attestation certificate OU is not \"Authenticator Attestation\"",
        ));
    }
    if leaf.is_ca() {
        return Err(Error::attestation(FMT, "attestation certificate is a CA"));
    }
    check_aaguid_extension(leaf, aaguid, FMT)
}
