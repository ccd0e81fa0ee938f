//! The attacks and spec deviations of issue 9, each reproduced end to end: the crafted input fails
//! for its own reason, and the honest counterpart still verifies. (Metadata lookups and BLOB
//! signers are in `mds.rs`; single-certificate, COSE and CBOR rules also have unit tests beside
//! their code.)

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use ciborium::Value;
use latchkey_testkit::SoftAuthenticator;
use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, CborLeniency, CoseAlgorithm, Error, Policy,
    RegistrationResponse, RelyingParty, StoredCredential, TrustAnchors, UnixTime, encode_base64url,
    verify_assertion, verify_registration,
};
use serde_json::{Value as Json, json};

use crate::common::{vector, vectors_dir};

/// A DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// Item 2. The apple format's leaf is signed by a CA the authenticator never holds the key of, and
/// its key signs nothing in the ceremony. A leaf that copies Apple's root name and key (with the
/// nonce of this ceremony and any signature at all) used to count as the root itself.
#[test]
fn a_forged_copy_of_a_trust_anchor_is_not_the_anchor() {
    const RP_ID: &str = "example.org";
    const ORIGIN: &str = "https://example.org";
    let mut anchors = TrustAnchors::none();
    anchors
        .add_pem(
            &std::fs::read_to_string(vectors_dir().join("roots/apple-webauthn-root.pem")).unwrap(),
        )
        .unwrap();
    let apple_root = anchors.roots()[0].clone();
    let (_, root) = x509_parser::parse_x509_certificate(&apple_root).unwrap();
    let point = &root.public_key().subject_public_key.data;
    assert_eq!(point.len(), 97, "Apple's WebAuthn root holds a P-384 key");

    // The credential "is" Apple's root key, as the apple format requires of the leaf.
    let cose_key = cbor(&Value::Map(vec![
        (1.into(), 2.into()),
        (3.into(), (-35).into()),
        ((-1).into(), 2.into()),
        ((-2).into(), Value::Bytes(point[1..49].to_vec())),
        ((-3).into(), Value::Bytes(point[49..].to_vec())),
    ]));
    let credential_id = [7u8; 16];
    let mut auth_data = digest::digest(&digest::SHA256, RP_ID.as_bytes())
        .as_ref()
        .to_vec();
    auth_data.extend([0x45, 0, 0, 0, 0]);
    auth_data.extend([0u8; 16]);
    auth_data.extend([0, credential_id.len() as u8]);
    auth_data.extend(credential_id);
    auth_data.extend(&cose_key);
    let challenge = [9u8; 32];
    let client_data = format!(
        r#"{{"type":"webauthn.create","challenge":"{}","origin":"{ORIGIN}"}}"#,
        encode_base64url(&challenge)
    );
    let mut signed = auth_data.clone();
    signed.extend(digest::digest(&digest::SHA256, client_data.as_bytes()).as_ref());
    let nonce = digest::digest(&digest::SHA256, &signed);

    // tbsCertificate: Apple's root subject (as issuer and subject) and key, the nonce extension.
    let ecdsa_sha256 = tlv(
        0x30,
        &tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
    );
    let validity = [tlv(0x17, b"200101000000Z"), tlv(0x17, b"400101000000Z")].concat();
    let nonce_value = tlv(0x30, &tlv(0xa1, &tlv(0x04, nonce.as_ref())));
    let nonce_ext = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02],
            ),
            tlv(0x04, &nonce_value),
        ]
        .concat(),
    );
    let tbs = tlv(
        0x30,
        &[
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &[0x01]),
            ecdsa_sha256.clone(),
            root.subject().as_raw().to_vec(),
            tlv(0x30, &validity),
            root.subject().as_raw().to_vec(),
            root.public_key().raw.to_vec(),
            tlv(0xa3, &tlv(0x30, &nonce_ext)),
        ]
        .concat(),
    );
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let attacker =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
    let signature = attacker.sign(&rng, &tbs).unwrap();
    let forged = tlv(
        0x30,
        &[
            tbs,
            ecdsa_sha256,
            tlv(0x03, &[&[0u8][..], signature.as_ref()].concat()),
        ]
        .concat(),
    );

    let object = cbor(&Value::Map(vec![
        ("fmt".into(), "apple".into()),
        (
            "attStmt".into(),
            Value::Map(vec![(
                "x5c".into(),
                Value::Array(vec![Value::Bytes(forged)]),
            )]),
        ),
        ("authData".into(), Value::Bytes(auth_data)),
    ]));
    let json = json!({
        "id": encode_base64url(&credential_id),
        "rawId": encode_base64url(&credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": encode_base64url(client_data.as_bytes()),
            "attestationObject": encode_base64url(&object),
        },
        "clientExtensionResults": {},
    });
    let response = RegistrationResponse::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let at = UnixTime(1_704_067_200); // 2024-01-01
    let mut policy = Policy::default();
    let verified = verify_registration(&rp, &policy, &challenge, &response, &anchors, at).unwrap();
    assert!(
        !verified.trusted,
        "a copied name and key is not Apple's root"
    );
    policy.require_trusted_attestation = true;
    assert_eq!(
        verify_registration(&rp, &policy, &challenge, &response, &anchors, at).unwrap_err(),
        Error::Untrusted
    );
    // The genuine Apple registration still reaches the same anchor.
    let genuine = vector("webauthn-rs/apple-es256-touchid.json");
    assert!(genuine.registration().unwrap().trusted);
}

/// Item 4. A real registration with a topOrigin added while crossOrigin stays absent.
#[test]
fn a_top_origin_is_checked_even_when_cross_origin_is_absent() {
    for name in [
        "webauthn-rs/packed-full-es256-yubikey5ci-ipados.json",
        "webauthn-rs/none-es256-macos-passkey.json",
    ] {
        let v = vector(name);
        let mut json = v.response.clone();
        let mut client_data: Json =
            serde_json::from_slice(&v.response_field("clientDataJSON")).unwrap();
        assert!(
            client_data.get("crossOrigin").is_none_or(|c| c == false),
            "{name}"
        );
        client_data["topOrigin"] = "https://evil.example".into();
        json["response"]["clientDataJSON"] =
            encode_base64url(&serde_json::to_vec(&client_data).unwrap()).into();
        assert_eq!(
            v.registration_with(&v.policy(), &serde_json::to_vec(&json).unwrap())
                .unwrap_err(),
            Error::CrossOriginNotAllowed,
            "{name}"
        );
        assert!(v.registration().is_ok(), "{name}");
    }
}

/// Item 5. A client that sends clientDataJSON with a UTF-8 byte order mark signs over those exact
/// bytes; the relying party decodes it as UTF-8 decode does, dropping the mark.
#[test]
fn client_data_with_a_byte_order_mark_verifies_over_the_bytes_as_sent() {
    const RP_ID: &str = "login.example.com";
    const ORIGIN: &str = "https://login.example.com";
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let policy = Policy::default();
    let mut authenticator = SoftAuthenticator::new(CoseAlgorithm::Es256);
    let key = latchkey_webauthn::CredentialPublicKey::from_cose(&authenticator.cose_key).unwrap();
    let challenge = [3u8; 32];
    let json = authenticator.assert(RP_ID, ORIGIN, &challenge, b"user");
    let honest = AuthenticationResponse::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    let credential = StoredCredential {
        id: &authenticator.credential_id,
        public_key: &key,
        sign_count: 0,
        backup_eligible: false,
        user_handle: b"user",
    };
    let request = AssertionRequest {
        challenge: &challenge,
        allow_credentials: &[],
        user_handle: None,
    };
    let with_prefix = |prefix: &[u8]| {
        let mut response = honest.clone();
        response.client_data_json = [prefix, &honest.client_data_json].concat();
        let mut signed = response.authenticator_data.clone();
        signed.extend(digest::digest(&digest::SHA256, &response.client_data_json).as_ref());
        response.signature = authenticator.sign(&signed);
        verify_assertion(&rp, &policy, &request, &response, &credential)
    };
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    assert!(with_prefix(BOM).is_ok());
    assert!(matches!(
        with_prefix(&[BOM, BOM].concat()),
        Err(Error::Malformed {
            field: "clientDataJSON",
            ..
        })
    ));
}

/// Item 8. A real registration whose attestation object is re-encoded without changing a value:
/// each departure from canonical CBOR is refused by default and accepted by its switch, and
/// duplicate keys never are.
#[test]
fn re_encoded_attestation_objects_follow_the_cbor_policy() {
    let v = vector("webauthn-rs/packed-full-es256-yubikey5ci-ipados.json");
    let original = v.response_field("attestationObject");
    assert_eq!(original[0], 0xa3, "a definite map of three entries");
    let with_object = |object: Vec<u8>| {
        let mut json = v.response.clone();
        json["response"]["attestationObject"] = encode_base64url(&object).into();
        serde_json::to_vec(&json).unwrap()
    };
    let indefinite = with_object([&[0xbf][..], &original[1..], &[0xff]].concat());
    let long_head = with_object([&[0xb8, 0x03][..], &original[1..]].concat());
    let duplicate = {
        // A fourth entry repeating "fmt".
        let mut bytes = [&[0xa4][..], &original[1..]].concat();
        bytes.extend(cbor(&"fmt".into()));
        bytes.extend(cbor(&"packed".into()));
        with_object(bytes)
    };
    let with = |f: fn(&mut CborLeniency)| {
        let mut policy = v.policy();
        f(&mut policy.cbor);
        policy
    };
    let malformed = |reason| Error::Malformed {
        field: "attestationObject",
        reason,
    };
    assert_eq!(
        v.registration_with(&v.policy(), &indefinite).unwrap_err(),
        malformed("indefinite-length CBOR item")
    );
    assert!(
        v.registration_with(&with(|c| c.indefinite_lengths = true), &indefinite)
            .is_ok()
    );
    assert_eq!(
        v.registration_with(&v.policy(), &long_head).unwrap_err(),
        malformed("CBOR integer or length not in its shortest form")
    );
    assert!(
        v.registration_with(&with(|c| c.long_heads = true), &long_head)
            .is_ok()
    );
    assert_eq!(
        v.registration_with(&with(|c| *c = CborLeniency::ANY_ENCODING), &duplicate)
            .unwrap_err(),
        malformed("duplicate key in CBOR map")
    );
    // Recorded Windows Hello statements list their keys out of canonical order: the default
    // accepts them, strict canonical form does not.
    let hello = vector("fido2-lib/tpm-rsa-rs1-windows-hello.json");
    assert!(hello.registration().is_ok());
    let mut strict = hello.policy();
    strict.cbor = CborLeniency::STRICT;
    assert_eq!(
        hello
            .registration_with(&strict, &hello.response_json())
            .unwrap_err(),
        malformed("CBOR map keys not in canonical order")
    );
}

/// Item 8. A credential key whose `alg` is a bignum (tag 3 around -7's magnitude) is refused
/// whatever the leniency, before any signature is looked at.
#[test]
fn a_bignum_alg_in_the_credential_key_is_refused() {
    let mut authenticator = SoftAuthenticator::new(CoseAlgorithm::Es256);
    // {1: 2, 3: -7, ...} → {1: 2, 3: 3(h'06'), ...}
    let at = authenticator
        .cose_key
        .windows(2)
        .position(|w| w == [0x03, 0x26])
        .unwrap();
    authenticator
        .cose_key
        .splice(at + 1..at + 2, [0xc3, 0x41, 0x06]);
    let challenge = [1u8; 32];
    let json = authenticator.register("example.org", "https://example.org", &challenge);
    let response = RegistrationResponse::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    let mut policy = Policy::default();
    policy.cbor = CborLeniency::ANY_ENCODING;
    assert_eq!(
        verify_registration(
            &RelyingParty::new("example.org", ["https://example.org"]),
            &policy,
            &challenge,
            &response,
            &TrustAnchors::none(),
            UnixTime(1_800_000_000),
        )
        .unwrap_err(),
        Error::Malformed {
            field: "credentialPublicKey",
            reason: "CBOR tags are not allowed"
        }
    );
}
