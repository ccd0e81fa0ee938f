//! `apple` (§8.8): Apple's anonymous attestation, a per-credential certificate carrying a nonce.

use aws_lc_rs::digest;
use x509_parser::der_parser::oid;

use super::{AttestationType, Input, Statement};
use crate::error::{Error, Result};

const FMT: &str = "apple";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    input.expect_fields(FMT, &["x5c", "alg"])?;
    let x5c = input.x5c(FMT)?;
    let leaf = &x5c.leaf;

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
    Ok(x5c.statement(AttestationType::AnonCa))
}
