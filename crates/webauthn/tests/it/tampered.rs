//! Valid real vectors, changed one field at a time: each change must fail with its own reason
//! (WebAuthn L3 §7.1 and §7.2, in the order the spec checks them).

use ciborium::Value;
use latchkey_webauthn::{
    CounterPolicy, CounterStatus, Error, Policy, TrustAnchors, UnixTime, UserVerification,
};
use serde_json::Value as Json;

use crate::common::{Vector, vector};

fn b64(bytes: &[u8]) -> String {
    latchkey_webauthn::encode_base64url(bytes)
}

fn unb64(s: &Json) -> Vec<u8> {
    latchkey_webauthn::decode_base64url("test", s.as_str().unwrap(), 1 << 20).unwrap()
}

/// The response JSON with `response.<field>` replaced by `f(bytes)`.
fn edit_field(v: &Vector, field: &str, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut json = v.response.clone();
    let mut bytes = unb64(&json["response"][field]);
    f(&mut bytes);
    json["response"][field] = Json::String(b64(&bytes));
    serde_json::to_vec(&json).unwrap()
}

fn edit_client_data(v: &Vector, f: impl FnOnce(&mut Json)) -> Vec<u8> {
    edit_field(v, "clientDataJSON", |bytes| {
        let mut cd: Json = serde_json::from_slice(bytes).unwrap();
        f(&mut cd);
        *bytes = serde_json::to_vec(&cd).unwrap();
    })
}

/// The response JSON with the attestation object decoded, changed by `f`, and encoded again.
fn edit_attestation(v: &Vector, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    edit_field(v, "attestationObject", |bytes| {
        let mut object: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        f(object.as_map_mut().unwrap());
        bytes.clear();
        ciborium::into_writer(&object, &mut *bytes).unwrap();
    })
}

fn entry<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Value {
    &mut map
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}

fn edit_statement(v: &Vector, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    edit_attestation(v, |object| {
        f(entry(object, "attStmt").as_map_mut().unwrap())
    })
}

fn edit_auth_data(v: &Vector, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    edit_attestation(v, |object| {
        if let Value::Bytes(data) = entry(object, "authData") {
            f(data);
        }
    })
}

fn x5c(statement: &mut [(Value, Value)]) -> &mut Vec<Value> {
    entry(statement, "x5c").as_array_mut().unwrap()
}

fn flip_last(bytes: &mut [u8]) {
    *bytes.last_mut().unwrap() ^= 0x01;
}

const PACKED: &str = "webauthn-rs/packed-full-es256-yubikey5ci-ipados.json";
const APPLE: &str = "webauthn-rs/apple-es256-touchid.json";
const U2F: &str = "webauthn-rs/fido-u2f-yubikey5.json";
const SELF: &str = "webauthn-rs/packed-self-es256-touchid-chrome.json";
const NONE: &str = "webauthn-rs/none-es256-macos-passkey.json";
const ASSERTION: &str = "webauthn-rs/assertion-es256-yubikey5.json";
const ASSERTION_RS256: &str = "fido2-lib/assertion-rs256-windows-hello.json";

fn tweak(v: &Vector, f: impl FnOnce(&mut Policy)) -> Policy {
    let mut policy = v.policy();
    f(&mut policy);
    policy
}

fn register(v: &Vector, json: Vec<u8>) -> Result<(), Error> {
    v.registration_with(&v.policy(), &json).map(|_| ())
}

#[test]
fn the_untampered_vectors_are_valid() {
    for name in [PACKED, APPLE, U2F, SELF, NONE] {
        let v = vector(name);
        assert!(
            v.registration().unwrap().trusted || v.trust.is_empty(),
            "{name}"
        );
    }
    vector(ASSERTION).assertion().unwrap();
    vector(ASSERTION_RS256).assertion().unwrap();
}

#[test]
fn client_data_type_challenge_and_origin_are_checked() {
    for name in [PACKED, APPLE, U2F, SELF, NONE] {
        let v = vector(name);
        let wrong_type = edit_client_data(&v, |cd| cd["type"] = "webauthn.get".into());
        assert_eq!(
            register(&v, wrong_type),
            Err(Error::TypeMismatch {
                expected: "webauthn.create"
            }),
            "{name}"
        );
        let wrong_origin = edit_client_data(&v, |cd| cd["origin"] = "https://evil.example".into());
        assert_eq!(
            register(&v, wrong_origin),
            Err(Error::OriginMismatch),
            "{name}"
        );
        let wrong_challenge =
            edit_client_data(&v, |cd| cd["challenge"] = b64(b"another challenge").into());
        assert_eq!(
            register(&v, wrong_challenge),
            Err(Error::ChallengeMismatch),
            "{name}"
        );
    }
}

#[test]
fn the_rp_id_hash_must_be_for_this_relying_party() {
    let v = vector(PACKED);
    let mut other = v.clone();
    other.rp_id = "other.example".into();
    assert_eq!(other.registration().unwrap_err(), Error::RpIdHashMismatch);
    let a = vector(ASSERTION);
    let mut other = a.clone();
    other.rp_id = "other.example".into();
    assert_eq!(other.assertion().unwrap_err(), Error::RpIdHashMismatch);
}

#[test]
fn user_presence_is_required_unless_policy_relaxes_it() {
    let v = vector(SELF);
    let no_up = edit_auth_data(&v, |data| data[32] &= !0x01);
    assert_eq!(register(&v, no_up.clone()), Err(Error::UserNotPresent));
    // Relaxed, the check passes and the signature over the altered data is what fails.
    let relaxed = v.policy().danger_allow_missing_user_presence();
    assert_eq!(
        v.registration_with(&relaxed, &no_up).unwrap_err(),
        Error::BadSignature("attestation statement")
    );

    let a = vector(ASSERTION);
    let no_up = edit_field(&a, "authenticatorData", |data| data[32] &= !0x01);
    assert_eq!(
        a.assertion_with(&a.policy(), &no_up).unwrap_err(),
        Error::UserNotPresent
    );
}

#[test]
fn user_verification_is_enforced_when_required() {
    let v = vector(U2F);
    let required = tweak(&v, |p| p.user_verification = UserVerification::Required);
    assert_eq!(
        v.registration_with(&required, &v.response_json())
            .unwrap_err(),
        Error::UserNotVerified
    );
    let a = vector(ASSERTION);
    let required = tweak(&a, |p| p.user_verification = UserVerification::Required);
    assert_eq!(
        a.assertion_with(&required, &a.response_json()).unwrap_err(),
        Error::UserNotVerified
    );
}

#[test]
fn backed_up_without_backup_eligibility_is_refused() {
    let a = vector(ASSERTION);
    let bs_only = edit_field(&a, "authenticatorData", |data| data[32] |= 0x10);
    assert!(matches!(
        a.assertion_with(&a.policy(), &bs_only),
        Err(Error::BackupFlags(_))
    ));
}

#[test]
fn attestation_signatures_are_checked() {
    for name in [PACKED, U2F, SELF] {
        let v = vector(name);
        let bad_sig = edit_statement(&v, |st| {
            if let Value::Bytes(sig) = entry(st, "sig") {
                sig[10] ^= 0x01;
            }
        });
        assert_eq!(
            register(&v, bad_sig),
            Err(Error::BadSignature("attestation statement")),
            "{name}"
        );
    }
    // packed signs all of authenticatorData, so changing the counter breaks the signature; U2F
    // signs only the RP ID hash, client data hash, credential ID and key, so the same change passes.
    for name in [PACKED, SELF] {
        let v = vector(name);
        let other_counter = edit_auth_data(&v, |data| data[36] ^= 0x01);
        assert_eq!(
            register(&v, other_counter),
            Err(Error::BadSignature("attestation statement")),
            "{name}"
        );
    }
    let v = vector(U2F);
    assert!(register(&v, edit_auth_data(&v, |data| data[36] ^= 0x01)).is_ok());
}

#[test]
fn the_apple_nonce_binds_the_certificate_to_the_ceremony() {
    let v = vector(APPLE);
    let other_counter = edit_auth_data(&v, |data| data[36] ^= 0x01);
    assert_eq!(
        register(&v, other_counter),
        Err(Error::BadAttestation {
            fmt: "apple",
            reason: "certificate nonce does not match the ceremony"
        })
    );
}

#[test]
fn chains_must_link_and_be_in_date() {
    let v = vector(APPLE);
    let corrupted_leaf = edit_statement(&v, |st| {
        if let Value::Bytes(leaf) = &mut x5c(st)[0] {
            flip_last(leaf);
        }
    });
    assert!(matches!(
        register(&v, corrupted_leaf),
        Err(Error::BrokenChain(_))
    ));

    let foreign_intermediate = edit_statement(&v, |st| {
        let pem =
            std::fs::read_to_string(crate::common::vectors_dir().join("roots/yubico-u2f-root.pem"))
                .unwrap();
        let mut anchors = TrustAnchors::none();
        anchors.add_pem(&pem).unwrap();
        x5c(st)[1] = Value::Bytes(anchors.roots()[0].clone());
    });
    assert_eq!(
        register(&v, foreign_intermediate),
        Err(Error::BrokenChain(
            "issuer name does not match the next certificate"
        ))
    );

    let mut later = v.clone();
    later.time = Some("2100-01-01T00:00:00Z".into());
    assert_eq!(later.registration().unwrap_err(), Error::CertificateExpired);
    let mut earlier = v.clone();
    earlier.time = Some("2001-01-01T00:00:00Z".into());
    assert_eq!(
        earlier.registration().unwrap_err(),
        Error::CertificateExpired
    );
}

#[test]
fn trust_is_reported_and_enforced_on_request() {
    let v = vector(PACKED);
    let mut untrusted = v.clone();
    untrusted.trust = vec!["roots/apple-webauthn-root.pem".into()];
    let lenient = tweak(&v, |p| p.require_trusted_attestation = false);
    assert!(
        !untrusted
            .registration_with(&lenient, &v.response_json())
            .unwrap()
            .trusted
    );
    let strict = tweak(&v, |p| p.require_trusted_attestation = true);
    assert_eq!(
        untrusted
            .registration_with(&strict, &v.response_json())
            .unwrap_err(),
        Error::Untrusted
    );
    assert!(
        v.registration_with(&strict, &v.response_json())
            .unwrap()
            .trusted
    );
    // Self attestation has no chain to trust.
    let s = vector(SELF);
    assert_eq!(
        s.registration_with(&strict, &s.response_json())
            .unwrap_err(),
        Error::Untrusted
    );
}

#[test]
fn assertion_signatures_are_checked() {
    for name in [ASSERTION, ASSERTION_RS256] {
        let a = vector(name);
        let bad = edit_field(&a, "signature", |sig| sig[8] ^= 0x01);
        assert_eq!(
            a.assertion_with(&a.policy(), &bad).unwrap_err(),
            Error::BadSignature("assertion"),
            "{name}"
        );
        let wrong_origin = edit_client_data(&a, |cd| cd["origin"] = "https://evil.example".into());
        assert_eq!(
            a.assertion_with(&a.policy(), &wrong_origin).unwrap_err(),
            Error::OriginMismatch,
            "{name}"
        );
        let wrong_type = edit_client_data(&a, |cd| cd["type"] = "webauthn.create".into());
        assert_eq!(
            a.assertion_with(&a.policy(), &wrong_type).unwrap_err(),
            Error::TypeMismatch {
                expected: "webauthn.get"
            },
            "{name}"
        );
    }
}

#[test]
fn a_counter_that_does_not_increase_is_a_possible_clone() {
    let a = vector(ASSERTION);
    let mut replayed = a.clone();
    replayed.stored_sign_count = Some(20);
    assert_eq!(
        replayed.assertion().unwrap_err(),
        Error::CounterRegression {
            stored: 20,
            received: 20
        }
    );
    let report = tweak(&a, |p| p.counter = CounterPolicy::Report);
    let verified = replayed
        .assertion_with(&report, &a.response_json())
        .unwrap();
    assert_eq!(verified.counter, CounterStatus::PossibleClone);
    assert_eq!(verified.sign_count, 20);
    assert_eq!(a.assertion().unwrap().counter, CounterStatus::Increased);
}

#[test]
fn an_at_flag_without_attested_credential_data_is_malformed() {
    let a = vector(ASSERTION);
    let with_at = edit_field(&a, "authenticatorData", |data| data[32] |= 0x40);
    assert!(matches!(
        a.assertion_with(&a.policy(), &with_at),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn attested_credential_data_in_an_assertion_must_name_the_same_credential() {
    // A real macOS Touch ID assertion that repeats its attested credential data.
    let a = vector("go-webauthn/assertion-es256-macos-touchid-webauthn-io.json");
    a.assertion().unwrap();
    let mut json = a.response.clone();
    json["id"] = b64(b"another credential").into();
    json["rawId"] = json["id"].clone();
    let response = serde_json::to_vec(&json).unwrap();
    assert_eq!(
        a.assertion_with(&a.policy(), &response).unwrap_err(),
        Error::CredentialIdMismatch
    );
}

#[test]
fn time_is_an_argument() {
    let v = vector(APPLE);
    assert_eq!(v.now(), crate::common::rfc3339("2020-12-09T02:27:15Z"));
    assert!(UnixTime(0) < v.now());
}

#[test]
fn none_attestation_carries_no_statement() {
    let v = vector(NONE);
    let with_statement = edit_statement(&v, |st| {
        st.push((Value::from("sig"), Value::Bytes(vec![1, 2, 3])));
    });
    assert_eq!(
        register(&v, with_statement),
        Err(Error::BadAttestation {
            fmt: "none",
            reason: "attStmt must be empty"
        })
    );
    // none signs nothing, so the checks that remain are the ceremony's own.
    let no_up = edit_auth_data(&v, |data| data[32] &= !0x01);
    assert_eq!(register(&v, no_up), Err(Error::UserNotPresent));
    let unknown = edit_attestation(&v, |object| *entry(object, "fmt") = Value::from("bogus"));
    assert_eq!(register(&v, unknown), Err(Error::UnsupportedFormat));
}
