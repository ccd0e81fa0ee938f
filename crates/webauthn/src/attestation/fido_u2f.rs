//! `fido-u2f` (§8.6): a U2F authenticator's registration signature, reshaped into WebAuthn.

use aws_lc_rs::signature;

use super::{AttestationType, Input, Statement};
use crate::cose::{Curve, KeyMaterial};
use crate::error::{Error, Result};
use crate::x509;

const FMT: &str = "fido-u2f";

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    input.expect_fields(FMT, &["sig", "x5c"])?;
    let sig = input.sig(FMT)?;
    let x5c = input.x5c(FMT)?;
    if x5c.ders.len() != 1 {
        return Err(Error::attestation(
            FMT,
            "x5c must hold exactly one certificate",
        ));
    }

    // U2F signs neither authenticator data nor an AAGUID: the client made the AAGUID up, so
    // anything but zero would be an unsigned claim that could select another model's metadata.
    if !input.attested.aaguid.is_zero() {
        return Err(Error::attestation(FMT, "AAGUID must be zero"));
    }

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
        x5c.leaf.spki_der(),
        &data,
        sig,
    )
    .map_err(|e| match e {
        Error::BadSignature(_) => Error::BadSignature("attestation statement"),
        _ => Error::attestation(FMT, "attestation certificate key is not EC P-256"),
    })?;
    Ok(x5c.statement(AttestationType::Basic))
}
