//! Differential test: every vector through webauthn-rs-core 0.6.2 as well. Where it supports the
//! case, the verdicts must agree; every disagreement is listed below with why latchkey is right.
//!
//! webauthn-rs-core reads the system clock for certificate checks, so trust anchors are left out
//! on both sides: this compares the ceremony and statement checks, and the vector runner covers
//! chains at the vectors' own times.

use latchkey_webauthn::{Error, TrustAnchors, verify_registration};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{
    AttestationFormat, COSEAlgorithm, COSEKey, Credential, ParsedAttestation, PublicKeyCredential,
    RegisterPublicKeyCredential, RegisteredExtensions, UserVerificationPolicy,
};

use crate::common::{Vector, all_vectors};

/// Cases webauthn-rs-core 0.6.2 cannot verify at all (it refuses them whatever the input).
fn unsupported_by_oracle(e: &str) -> bool {
    [
        "AttestationNotSupported",
        "COSEKeyInvalidType",
        "COSEKeyInvalidAlgorithm",
        "COSEKeyEDUnsupported",
        "SshPublicKeyEDUnsupported",
        "CredentialInsecureCryptography",
    ]
    .iter()
    .any(|u| e.starts_with(u))
}

/// webauthn-rs-core's verdict: the name of its error, or `JSON` when it cannot read the input.
fn oracle(v: &Vector) -> Result<(), String> {
    run_oracle(v).map_err(|e| e.unwrap_or_else(|| "JSON".into()))
}

fn run_oracle(v: &Vector) -> Result<(), Option<String>> {
    let name = |e: WebauthnError| Some(format!("{e:?}"));
    let origins = v
        .origins
        .iter()
        .filter_map(|o| url::Url::parse(o).ok())
        .collect();
    let core = WebauthnCore::new_unsafe_experts_only(
        "latchkey differential",
        &v.rp_id,
        origins,
        std::time::Duration::from_secs(60),
        None,
        None,
    );
    let policy = match v.user_verification.as_deref() {
        Some("required") => UserVerificationPolicy::Required,
        Some("discouraged") => UserVerificationPolicy::Discouraged_DO_NOT_USE,
        _ => UserVerificationPolicy::Preferred,
    };
    let with_challenge = |state: serde_json::Value| {
        let mut state = state;
        state["challenge"] = v.challenge.clone().into();
        state
    };
    if v.ceremony == "registration" {
        let builder = core
            .new_challenge_register_builder(b"user", "user", "user")
            .map_err(name)?
            .user_verification_policy(policy)
            .credential_algorithms(COSEAlgorithm::all_possible_algs())
            .reject_synchronised_authenticators(false);
        let (_, state) = core.generate_challenge_register(builder).map_err(name)?;
        let state =
            serde_json::from_value(with_challenge(serde_json::to_value(&state).unwrap())).unwrap();
        let response: RegisterPublicKeyCredential =
            serde_json::from_value(v.response.clone()).map_err(|_| None)?;
        core.register_credential(&response, &state, None)
            .map(|_| ())
            .map_err(name)
    } else {
        let key =
            latchkey_webauthn::decode_base64url("key", v.public_key.as_deref().unwrap(), 4096)
                .unwrap();
        let key: serde_cbor_2::Value = serde_cbor_2::from_slice(&key).map_err(|_| None)?;
        let response: PublicKeyCredential =
            serde_json::from_value(v.response.clone()).map_err(|_| None)?;
        let auth_data = &response.response.authenticator_data;
        let backup_eligible = auth_data.get(32).is_some_and(|f| f & 0x08 != 0);
        let credential = Credential {
            cred_id: response.raw_id.clone(),
            cred: COSEKey::try_from(&key).map_err(name)?,
            counter: v.stored_sign_count.unwrap_or(0),
            transports: None,
            user_verified: false,
            backup_eligible,
            backup_state: false,
            registration_policy: UserVerificationPolicy::Discouraged_DO_NOT_USE,
            extensions: RegisteredExtensions::none(),
            attestation: ParsedAttestation::default(),
            attestation_format: AttestationFormat::None,
        };
        let builder = core
            .new_challenge_authenticate_builder(vec![credential.clone()], Some(policy))
            .map_err(name)?;
        let (_, state) = core
            .generate_challenge_authenticate(builder)
            .map_err(name)?;
        let state =
            serde_json::from_value(with_challenge(serde_json::to_value(&state).unwrap())).unwrap();
        core.authenticate_single_credential(&response, &state, &credential)
            .map(|_| ())
            .map_err(name)
    }
}

fn ours(v: &Vector) -> Result<(), Error> {
    let mut policy = v.policy();
    policy.require_trusted_attestation = false;
    if v.ceremony == "registration" {
        let response = latchkey_webauthn::RegistrationResponse::from_json(&v.response_json())?;
        verify_registration(
            &v.rp(),
            &policy,
            &v.challenge(),
            &response,
            &TrustAnchors::none(),
            v.now(),
        )
        .map(|_| ())
    } else {
        v.assertion_with(&policy, &v.response_json()).map(|_| ())
    }
}

/// Where the two disagree on a case webauthn-rs-core supports, and why latchkey is right.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "w3c/assertion-none-es256-cross-origin.json",
        "clientDataJSON says crossOrigin: true and the relying party allowed no cross-origin use; \
         WebAuthn L3 §7.2 has the RP check crossOrigin against its policy. webauthn-rs-core checks it \
         at registration only.",
    ),
    (
        "w3c/assertion-none-es256-top-origin.json",
        "Same as the cross-origin case, with a topOrigin the relying party does not list.",
    ),
    (
        "w3c/assertion-packed-es512.json",
        "A valid ES512 (P-521, SHA-512) signature; webauthn-rs-core 0.6.2 parses P-521 keys but its \
         P-521 verification never succeeds.",
    ),
    (
        "go-webauthn/packed-self-es512-localhost.json",
        "A valid ES512 self attestation; same P-521 verification gap in webauthn-rs-core 0.6.2.",
    ),
    (
        "w3c/assertion-packed-rs256.json",
        "An RSA key larger than 2048 bits: RFC 8230 allows any modulus of at least 2048 bits, \
         webauthn-rs-core accepts exactly 2048 with a 3-byte exponent.",
    ),
    (
        "w3c/packed-rs256.json",
        "The same larger RSA key, at registration.",
    ),
    (
        "py_webauthn/fido-u2f-token-binding-string.json",
        "clientDataJSON has tokenBinding as the string \"unused\" (an early browser's form); \
         WebAuthn L3 reserves the member without verifying it, webauthn-rs-core fails to parse it.",
    ),
    (
        "simplewebauthn/packed-full-es256-yubikey5-dontneeda.json",
        "Placeholder rawId: SimpleWebAuthn's test replaced the browser's id with a two-byte stand-in, \
         so rawId no longer names the credential in authenticatorData; a relying party must not store \
         the key under an ID the authenticator will never present.",
    ),
    (
        "simplewebauthn/packed-self-es256-chrome-touchid.json",
        "Placeholder rawId: SimpleWebAuthn's test replaced the browser's id with a two-byte stand-in, \
         so rawId no longer names the credential in authenticatorData; a relying party must not store \
         the key under an ID the authenticator will never present.",
    ),
    (
        "java-webauthn-server/packed-full-rs384-test-authenticator.json",
        "A packed statement signed with RS384 as its alg says; webauthn-rs-core ignores alg and \
         checks an RSA attestation signature with SHA-256 only.",
    ),
    (
        "java-webauthn-server/packed-full-rs512-test-authenticator.json",
        "The same with RS512.",
    ),
    (
        "w3c/fido-u2f-es256.json",
        "A fido-u2f registration with a non-zero AAGUID, which U2F never signs; latchkey requires the \
         zero AAGUID (as go-webauthn does) so the AAGUID cannot steer metadata lookups, \
         webauthn-rs-core does not look.",
    ),
    (
        "webauthn-rs/android-key-es256.json",
        "rawId differs from the credential ID in authenticatorData; the RP would store a key under an \
         ID the authenticator does not use. webauthn-rs-core never compares them.",
    ),
];

#[test]
fn agrees_with_webauthn_rs_core_wherever_it_supports_the_case() {
    let mut compared = 0;
    let mut problems = Vec::new();
    for v in all_vectors() {
        let name = v.name();
        let theirs = oracle(&v);
        if theirs.as_ref().is_err_and(|e| unsupported_by_oracle(e)) {
            continue;
        }
        compared += 1;
        let ours = ours(&v);
        let listed = DISAGREEMENTS.iter().any(|(n, _)| *n == name);
        match (ours.is_ok() == theirs.is_ok(), listed) {
            (false, false) => problems.push(format!(
                "{name}: latchkey {ours:?}, webauthn-rs-core {theirs:?}"
            )),
            (true, true) => problems.push(format!(
                "{name}: listed as a disagreement but both now say {theirs:?}"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 60, "only {compared} vectors were comparable");
}
