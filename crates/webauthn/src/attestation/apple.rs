//! `apple` (§8.8): Apple's anonymous attestation, a per-credential certificate carrying a nonce.

use aws_lc_rs::digest;
use x509_parser::der_parser::oid;

use super::{AttestationType, Input, Statement};
use crate::error::{Error, Result};
use crate::x509;

const FMT: &str = "apple";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    let st = &input.statement;
    st.only_keys(&["x5c", "alg"])
        .map_err(|_| Error::attestation(FMT, "unexpected attStmt field"))?;
    let x5c = st
        .cert_chain("x5c")?
        .ok_or(Error::attestation(FMT, "missing x5c"))?;
    let chain = x509::parse_chain(&x5c)?;
    let leaf = chain
        .first()
        .ok_or(Error::attestation(FMT, "missing x5c"))?;

    let nonce = digest::digest(&digest::SHA256, &input.signed_data());
    // The extension is SEQUENCE { [1] EXPLICIT OCTET STRING nonce }; DER allows one encoding only.
    let mut expected = vec![0x30, 0x24, 0xa1, 0x22, 0x04, 0x20];
    expected.extend_from_slice(nonce.as_ref());
    let ext = leaf
        .extension(&oid!(1.2.840.113635.100.8.2))?
        .ok_or(Error::attestation(
            FMT,
            "certificate lacks the nonce extension",
        ))?;
    if ext != expected.as_slice() {
        return Err(Error::attestation(
            FMT,
            "certificate nonce does not match the ceremony",
        ));
    }
    if !input.attested.public_key.matches_spki(leaf.spki_der()) {
        return Err(Error::attestation(
            FMT,
            "certificate key differs from the credential key",
        ));
    }
    Ok(Statement::chain(AttestationType::AnonCa, &x5c))
}
