//! `fido-u2f` (§8.6): a U2F authenticator's registration signature, reshaped into WebAuthn.

use aws_lc_rs::signature;

use super::{AttestationType, Input, Statement};
use crate::cose::{Curve, KeyMaterial};
use crate::error::{Error, Result};
use crate::x509;

const FMT: &str = "fido-u2f";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    let st = &input.statement;
    st.only_keys(&["sig", "x5c"])
        .map_err(|_| Error::attestation(FMT, "unexpected attStmt field"))?;
    let sig = st
        .bytes("sig")
        .map_err(|_| Error::attestation(FMT, "missing sig"))?;
    let x5c = st
        .cert_chain("x5c")?
        .ok_or(Error::attestation(FMT, "missing x5c"))?;
    let [leaf_der] = x5c.as_slice() else {
        return Err(Error::attestation(
            FMT,
            "x5c must hold exactly one certificate",
        ));
    };
    let chain = x509::parse_chain(&[leaf_der])?;
    let leaf = chain
        .first()
        .ok_or(Error::attestation(FMT, "missing x5c"))?;

    let KeyMaterial::Ec2 {
        curve: Curve::P256,
        x,
        y,
    } = input.attested.public_key.material()
    else {
        return Err(Error::attestation(
            FMT,
            "credential key is not an EC P-256 key",
        ));
    };
    let mut data = Vec::with_capacity(1 + 32 + 32 + input.attested.credential_id.len() + 65);
    data.push(0x00);
    data.extend_from_slice(&input.auth_data.rp_id_hash);
    data.extend_from_slice(input.client_data_hash);
    data.extend_from_slice(&input.attested.credential_id);
    data.push(0x04);
    data.extend_from_slice(x);
    data.extend_from_slice(y);
    // The attestation key must itself be P-256; parsing with the P-256 verifier enforces it.
    x509::verify_with_spki(
        &signature::ECDSA_P256_SHA256_ASN1,
        leaf.spki_der(),
        &data,
        sig,
    )
    .map_err(|e| match e {
        Error::BadSignature(_) => Error::BadSignature("attestation statement"),
        _ => Error::attestation(FMT, "attestation certificate key is not EC P-256"),
    })?;
    Ok(Statement::chain(AttestationType::Basic, &[leaf_der]))
}
