//! Every vector file verifies exactly as its source suite says.

use crate::common::{Vector, all_vectors};

fn check(v: &Vector) -> Result<(), String> {
    let outcome = match v.ceremony.as_str() {
        "registration" => v.registration().map(|r| {
            let s = r.summary();
            serde_json::to_value(&s).unwrap()
        }),
        "assertion" => v
            .assertion()
            .map(|a| serde_json::json!({ "sign_count": a.sign_count })),
        other => return Err(format!("unknown ceremony {other}")),
    };
    let e = &v.expect;
    match (e.valid, outcome) {
        (true, Ok(got)) => {
            let wanted = [
                ("fmt", e.fmt.clone().map(Into::into)),
                (
                    "attestation_type",
                    e.attestation_type.clone().map(Into::into),
                ),
                ("alg", e.alg.map(Into::into)),
                ("trusted", e.trusted.map(Into::into)),
                ("sign_count", e.sign_count.map(Into::into)),
            ];
            for (field, want) in wanted {
                let Some(want) = want else { continue };
                let have: Option<&serde_json::Value> = got.get(field);
                if have != Some(&want) {
                    return Err(format!("{field}: expected {want}, got {have:?}"));
                }
            }
            Ok(())
        }
        (true, Err(err)) => Err(format!("expected valid, got error {} ({err})", err.kind())),
        (false, Ok(_)) => Err(format!("expected {:?}, but it verified", e.error)),
        (false, Err(err)) => match &e.error {
            Some(kind) if kind != err.kind() => {
                Err(format!("expected error {kind}, got {} ({err})", err.kind()))
            }
            _ => Ok(()),
        },
    }
}

/// Vectors where latchkey deliberately decides otherwise than the suite they come from: the file,
/// latchkey's verdict (`None` for valid, else the error kind), and why that is right.
const DIFFERS_FROM_SOURCE: &[(&str, Option<&str>, &str)] = &[
    (
        "simplewebauthn/packed-full-es256-yubikey5-dontneeda.json",
        Some("credential_id_mismatch"),
        "Placeholder rawId: SimpleWebAuthn's test replaced the browser's id with a two-byte stand-in, \
         so rawId no longer names the credential in authenticatorData; a relying party must not store \
         the key under an ID the authenticator will never present.",
    ),
    (
        "simplewebauthn/packed-self-es256-chrome-touchid.json",
        Some("credential_id_mismatch"),
        "Placeholder rawId: SimpleWebAuthn's test replaced the browser's id with a two-byte stand-in, \
         so rawId no longer names the credential in authenticatorData; a relying party must not store \
         the key under an ID the authenticator will never present.",
    ),
    (
        "webauthn-rs/android-key-es256.json",
        Some("credential_id_mismatch"),
        "rawId differs from the credential ID in authenticatorData. The relying party would store one \
         ID and the browser would later present the other, so the response is inconsistent; \
         webauthn-rs stores the authenticatorData ID without comparing.",
    ),
    (
        "webauthn-rs/tpm-ecc-rs1-aseigler.json",
        None,
        "The AIK signs certInfo with RS1. webauthn-rs refuses SHA-1 attestation outright; latchkey \
         leaves it to Policy::allow_sha1_attestation (on by default, since Windows Hello TPMs still \
         sign this way) and refuses it as algorithm_not_allowed when that is off.",
    ),
    (
        "webauthn-rs/tpm-rsa-rs1-windows-hello.json",
        None,
        "Same as tpm-ecc-rs1-aseigler: an RS1 certInfo signature, governed by allow_sha1_attestation.",
    ),
    (
        "java-webauthn-server/tpm-rs384-test-authenticator.json",
        Some("malformed"),
        "pubArea names the RSASSA scheme without the hashAlg that TPMT_RSA_SCHEME carries for it \
         (TPM 2.0 Part 2, TPMS_SIG_SCHEME_RSASSA), so it is not a TPMT_PUBLIC a TPM would produce; \
         java-webauthn-server's own test authenticator wrote it and its parser skips the details.",
    ),
    (
        "java-webauthn-server/tpm-rs512-test-authenticator.json",
        Some("malformed"),
        "The same pubArea encoding as tpm-rs384-test-authenticator.",
    ),
    (
        "w3c/fido-u2f-es256.json",
        Some("bad_attestation"),
        "The spec's generator gives this fido-u2f registration a non-zero AAGUID. U2F signs neither \
         authenticator data nor an AAGUID: a client maps a U2F response with 16 zero bytes (CTAP, \
         interoperating with CTAP1/U2F authenticators), as go-webauthn requires. A non-zero one is \
         an unsigned claim that could select another model's metadata, and latchkey refuses it.",
    ),
    (
        "py_webauthn/fido-u2f-token-binding-not-supported.json",
        None,
        "clientDataJSON carries tokenBinding {status: \"not-supported\"}, a Level 1 value. WebAuthn L3 \
         no longer verifies Token Binding and keeps the member only as reserved, so latchkey ignores \
         it; py_webauthn still rejects statuses outside the Level 2 enumeration.",
    ),
];

#[test]
fn every_vector_verifies_as_its_source_expects() {
    let vectors = all_vectors();
    assert!(!vectors.is_empty());
    let failures: Vec<String> = vectors
        .iter()
        .filter(|v| {
            !DIFFERS_FROM_SOURCE
                .iter()
                .any(|(name, ..)| *name == v.name())
        })
        .filter_map(|v| {
            check(v)
                .err()
                .map(|e| format!("{}: {e}\n    source: {}", v.name(), v.source))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn where_latchkey_differs_from_the_source_it_does_so_for_the_stated_reason() {
    for (name, verdict, _why) in DIFFERS_FROM_SOURCE {
        let v = crate::common::vector(name);
        let outcome = match v.ceremony.as_str() {
            "registration" => v.registration().map(|_| ()),
            _ => v.assertion().map(|_| ()),
        };
        assert_eq!(outcome.err().map(|e| e.kind()), *verdict, "{name}");
    }
}
