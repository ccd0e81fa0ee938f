//! `android-key` (§8.4) and `android-safetynet` (§8.5): the recorded vectors, then each check
//! failing for its own reason, on changed vectors where the signatures allow it and on statements
//! built here where they do not.

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine as _;
use ciborium::Value;
use latchkey_webauthn::{
    AttestationFormat, AttestationType, Error, Policy, RegistrationResponse, RelyingParty, Result,
    TrustAnchors, UnixTime, VerifiedRegistration, decode_base64url, encode_base64url,
    verify_registration,
};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, SanType, SigningKey as _,
};
use serde_json::{Value as Json, json};

use crate::common::{Vector, vector, vectors_dir};

/// The valid android-key vectors and the length of their x5c.
const ANDROID_KEY: [(&str, usize); 4] = [
    (PIXEL_TEE, 5),
    (SOFTWARE_KEYSTORE, 3),
    ("go-webauthn/android-key-es256-fido-fake-localhost.json", 2),
    ("go-webauthn/android-key-es256-fido-fake-dontneeda.json", 2),
];
const PIXEL_TEE: &str = "go-webauthn/android-key-es256-pixel-tee.json";
const SOFTWARE_KEYSTORE: &str = "webauthn-rs/android-key-es256.json";
const SOFTWARE_ROOT: &str = "roots/android-software-attestation-root.pem";
const SAFETYNET: [&str; 6] = [
    "fido2-lib/android-safetynet-contubernio.json",
    "go-webauthn/android-safetynet-localhost.json",
    "go-webauthn/android-safetynet-webauthn-io.json",
    "webauthn-rs/android-safetynet-pixel3a.json",
    "webauthn-rs/android-safetynet-webauthn-io-gsr2.json",
    "webauthn-rs/android-safetynet-webauthn-io-gtsr1.json",
];
const SAFETYNET_GSR2: &str = "webauthn-rs/android-safetynet-webauthn-io-gsr2.json";
const GOOGLE_HARDWARE_ROOTS: [&str; 3] = [
    "roots/google-hardware-attestation-root-1.pem",
    "roots/google-hardware-attestation-root-2.pem",
    "roots/google-hardware-attestation-root-3.pem",
];

fn bad(fmt: &'static str, reason: &'static str) -> Error {
    Error::BadAttestation { fmt, reason }
}

fn unb64(s: &Json) -> Vec<u8> {
    decode_base64url("test", s.as_str().unwrap(), 1 << 20).unwrap()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// The value under `key` in the attestation object of `response`.
fn attestation_entry(response: &Json, key: &str) -> Value {
    let bytes = unb64(&response["response"]["attestationObject"]);
    let mut object: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    entry(object.as_map_mut().unwrap(), key).clone()
}

fn entry<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Value {
    &mut map
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}

/// `response` with its attestation object decoded, changed by `f`, and encoded again.
fn edit_attestation(response: &Json, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Json {
    let mut response = response.clone();
    let bytes = unb64(&response["response"]["attestationObject"]);
    let mut object: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    f(object.as_map_mut().unwrap());
    response["response"]["attestationObject"] = encode_base64url(&cbor(&object)).into();
    response
}

fn edit_statement(response: &Json, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Json {
    edit_attestation(response, |object| {
        f(entry(object, "attStmt").as_map_mut().unwrap())
    })
}

fn edit_auth_data(response: &Json, f: impl FnOnce(&mut Vec<u8>)) -> Json {
    edit_attestation(response, |object| {
        f(entry(object, "authData").as_bytes_mut().unwrap())
    })
}

fn run(v: &Vector, policy: &Policy, response: &Json) -> Result<VerifiedRegistration> {
    v.registration_with(policy, &serde_json::to_vec(response).unwrap())
}

fn anchors(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn trust_policy(v: &Vector, required: bool) -> Policy {
    let mut policy = v.policy();
    policy.require_trusted_attestation = required;
    policy
}

// ---- android-key, recorded ----

/// The webauthn-rs test pairs its attestation with a `rawId` that is not the credential ID in its
/// authenticator data (see `STRICTER_THAN_SOURCE` in vectors.rs); the ID is taken from the
/// authenticator data so the statement itself is what gets tested.
fn android_key_vector(name: &str) -> (Vector, Json) {
    let v = vector(name);
    let auth_data = attestation_entry(&v.response, "authData")
        .into_bytes()
        .unwrap();
    let len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
    let id = encode_base64url(&auth_data[55..55 + len]);
    let mut response = v.response.clone();
    response["id"] = id.clone().into();
    response["rawId"] = id.into();
    (v, response)
}

#[test]
fn android_key_vectors_verify() {
    for (name, certificates) in ANDROID_KEY {
        let (v, response) = android_key_vector(name);
        let r = run(&v, &v.policy(), &response).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.fmt, AttestationFormat::AndroidKey, "{name}");
        assert_eq!(r.attestation_type, AttestationType::Basic, "{name}");
        assert_eq!(r.trust_path.len(), certificates, "{name}");
        assert_eq!(r.trusted, !v.trust.is_empty(), "{name}");
    }
}

#[test]
fn android_key_chains_reach_their_own_roots_only() {
    // (vector, roots it chains to)
    let cases: [(&str, &[&str]); 4] = [
        (PIXEL_TEE, &GOOGLE_HARDWARE_ROOTS),
        (SOFTWARE_KEYSTORE, &[SOFTWARE_ROOT]),
        (
            "go-webauthn/android-key-es256-fido-fake-localhost.json",
            &[],
        ),
        (
            "go-webauthn/android-key-es256-fido-fake-dontneeda.json",
            &[],
        ),
    ];
    let all_roots = [GOOGLE_HARDWARE_ROOTS.as_slice(), &[SOFTWARE_ROOT]].concat();
    for (name, roots) in cases {
        let (mut v, response) = android_key_vector(name);
        for root in &all_roots {
            v.trust = anchors(&[root]);
            let trusted = roots.contains(root);
            let outcome = run(&v, &trust_policy(&v, true), &response);
            if trusted {
                assert!(outcome.unwrap().trusted, "{name} under {root}");
            } else {
                assert_eq!(
                    outcome.unwrap_err(),
                    Error::Untrusted,
                    "{name} under {root}"
                );
                let r = run(&v, &trust_policy(&v, false), &response).unwrap();
                assert!(!r.trusted, "{name} under {root}");
            }
        }
        v.trust.clear();
        assert_eq!(
            run(&v, &trust_policy(&v, true), &response).unwrap_err(),
            Error::Untrusted,
            "{name} without anchors"
        );
    }
}

#[test]
fn android_key_refuses_a_bad_signature() {
    for (name, _) in ANDROID_KEY {
        let (v, response) = android_key_vector(name);
        let sig = edit_statement(&response, |st| {
            let sig = entry(st, "sig").as_bytes_mut().unwrap();
            *sig.last_mut().unwrap() ^= 0x01;
        });
        assert_eq!(
            run(&v, &v.policy(), &sig).unwrap_err(),
            Error::BadSignature("attestation statement"),
            "{name}"
        );
        // The signature covers the authenticator data, counter included.
        let auth_data = edit_auth_data(&response, |data| data[36] ^= 0x01);
        assert_eq!(
            run(&v, &v.policy(), &auth_data).unwrap_err(),
            Error::BadSignature("attestation statement"),
            "{name}"
        );
    }
}

#[test]
fn android_key_refuses_a_broken_chain() {
    for name in [PIXEL_TEE, SOFTWARE_KEYSTORE] {
        let (v, response) = android_key_vector(name);
        // The intermediate that issued the leaf is missing.
        let response = edit_statement(&response, |st| {
            entry(st, "x5c").as_array_mut().unwrap().remove(1);
        });
        assert_eq!(
            run(&v, &v.policy(), &response).unwrap_err(),
            Error::BrokenChain("issuer name does not match the next certificate"),
            "{name}"
        );
    }
}

#[test]
fn android_key_refuses_the_w3c_vector_whose_lists_are_empty() {
    let v = vector("w3c/android-key-es256.json");
    assert_eq!(
        v.registration().unwrap_err(),
        bad(
            "android-key",
            "key was not generated in the keystore (teeEnforced origin)"
        )
    );
}

#[test]
fn android_key_refuses_other_statement_shapes() {
    let (v, response) = android_key_vector(PIXEL_TEE);
    let extra = edit_statement(&response, |st| st.push(("ver".into(), "1".into())));
    assert_eq!(
        run(&v, &v.policy(), &extra).unwrap_err(),
        bad("android-key", "unexpected attStmt field")
    );
    let no_x5c = edit_statement(&response, |st| {
        st.retain(|(k, _)| k.as_text() != Some("x5c"))
    });
    assert_eq!(
        run(&v, &v.policy(), &no_x5c).unwrap_err(),
        bad("android-key", "missing x5c")
    );
    let no_sig = edit_statement(&response, |st| {
        st.retain(|(k, _)| k.as_text() != Some("sig"))
    });
    assert_eq!(
        run(&v, &v.policy(), &no_sig).unwrap_err(),
        bad("android-key", "missing sig")
    );
}

// ---- android-safetynet, recorded ----

#[test]
fn safetynet_vectors_verify() {
    for name in SAFETYNET {
        let v = vector(name);
        let r = v.registration().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.fmt, AttestationFormat::AndroidSafetynet, "{name}");
        assert_eq!(r.attestation_type, AttestationType::Basic, "{name}");
        assert!(r.trust_path.len() >= 2, "{name}");
        assert_eq!(r.trusted, !v.trust.is_empty(), "{name}");
    }
}

#[test]
fn safetynet_chain_reaches_globalsign_and_no_other_root() {
    let mut v = vector(SAFETYNET_GSR2);
    assert!(
        run(&v, &trust_policy(&v, true), &v.response)
            .unwrap()
            .trusted
    );
    // The same CA (GTS CA 1O1) issued this one, a year later.
    let mut contubernio = vector("fido2-lib/android-safetynet-contubernio.json");
    contubernio.trust = anchors(&["roots/globalsign-r2.pem"]);
    let r = run(
        &contubernio,
        &trust_policy(&contubernio, true),
        &contubernio.response,
    );
    assert!(r.unwrap().trusted);
    v.trust = anchors(&GOOGLE_HARDWARE_ROOTS);
    assert_eq!(
        run(&v, &trust_policy(&v, true), &v.response).unwrap_err(),
        Error::Untrusted
    );
}

/// `response` with the SafetyNet JWS replaced by `f(header, payload, signature)` (each as sent).
fn edit_jws(response: &Json, f: impl FnOnce(&mut [String; 3])) -> Json {
    edit_statement(response, |st| {
        let token = entry(st, "response").as_bytes_mut().unwrap();
        let parts: Vec<String> = std::str::from_utf8(token)
            .unwrap()
            .split('.')
            .map(str::to_owned)
            .collect();
        let mut parts: [String; 3] = parts.try_into().unwrap();
        f(&mut parts);
        *token = parts.join(".").into_bytes();
    })
}

#[test]
fn safetynet_refuses_a_tampered_jws() {
    for name in SAFETYNET {
        let v = vector(name);
        let signature = edit_jws(&v.response, |[_, _, sig]| {
            let mut bytes = decode_base64url("sig", sig, 4096).unwrap();
            bytes[0] ^= 0x01;
            *sig = encode_base64url(&bytes);
        });
        assert_eq!(
            run(&v, &v.policy(), &signature).unwrap_err(),
            Error::BadSignature("JWS"),
            "{name}"
        );
        let payload = edit_jws(&v.response, |[_, payload, _]| {
            let mut claims: Json =
                serde_json::from_slice(&decode_base64url("p", payload, 1 << 16).unwrap()).unwrap();
            claims["ctsProfileMatch"] = false.into();
            *payload = encode_base64url(&serde_json::to_vec(&claims).unwrap());
        });
        assert_eq!(
            run(&v, &v.policy(), &payload).unwrap_err(),
            Error::BadSignature("JWS"),
            "{name}"
        );
    }
}

#[test]
fn safetynet_refuses_a_nonce_for_other_data() {
    for name in SAFETYNET {
        let v = vector(name);
        // The signature counter is covered by the nonce and by nothing checked before it.
        let response = edit_auth_data(&v.response, |data| data[36] ^= 0x01);
        assert_eq!(
            run(&v, &v.policy(), &response).unwrap_err(),
            bad("android-safetynet", "nonce does not match the ceremony"),
            "{name}"
        );
    }
}

/// The claims of the SafetyNet JWS in `response`.
fn safetynet_claims(response: &Json) -> Json {
    let mut statement = attestation_entry(response, "attStmt");
    let token = entry(statement.as_map_mut().unwrap(), "response")
        .as_bytes()
        .unwrap();
    let payload = std::str::from_utf8(token)
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    serde_json::from_slice(&decode_base64url("p", payload, 1 << 16).unwrap()).unwrap()
}

#[test]
fn safetynet_accepts_a_minute_either_side_and_no_more() {
    let iso = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    for name in SAFETYNET {
        let mut v = vector(name);
        let policy = trust_policy(&v, false);
        let issued = safetynet_claims(&v.response)["timestampMs"]
            .as_i64()
            .unwrap()
            / 1000;
        for at in [issued - 59, issued + 60] {
            v.time = Some(iso(at));
            assert!(run(&v, &policy, &v.response).is_ok(), "{name} at {at}");
        }
        v.time = Some(iso(issued + 61));
        assert_eq!(
            run(&v, &policy, &v.response).unwrap_err(),
            bad("android-safetynet", "response is too old (timestampMs)"),
            "{name}"
        );
        v.time = Some(iso(issued - 61));
        assert_eq!(
            run(&v, &policy, &v.response).unwrap_err(),
            bad("android-safetynet", "timestampMs is in the future"),
            "{name}"
        );
    }
}

#[test]
fn safetynet_refuses_other_statement_shapes() {
    let v = vector(SAFETYNET_GSR2);
    let cases: [(&str, Json, Error); 5] = [
        (
            "extra field",
            edit_statement(&v.response, |st| st.push(("alg".into(), (-7).into()))),
            bad("android-safetynet", "unexpected attStmt field"),
        ),
        (
            "empty ver",
            edit_statement(&v.response, |st| *entry(st, "ver") = "".into()),
            bad("android-safetynet", "empty ver"),
        ),
        (
            "ver as an integer",
            edit_statement(&v.response, |st| *entry(st, "ver") = 1.into()),
            bad("android-safetynet", "missing or invalid ver"),
        ),
        (
            "response as text",
            edit_statement(&v.response, |st| {
                let token = entry(st, "response").as_bytes().unwrap().clone();
                *entry(st, "response") = String::from_utf8(token).unwrap().into();
            }),
            bad("android-safetynet", "missing or invalid response"),
        ),
        (
            "response not UTF-8",
            edit_statement(&v.response, |st| {
                entry(st, "response").as_bytes_mut().unwrap().push(0xff)
            }),
            Error::Malformed {
                field: "SafetyNet response",
                reason: "not UTF-8",
            },
        ),
    ];
    for (what, response, want) in cases {
        assert_eq!(run(&v, &v.policy(), &response).unwrap_err(), want, "{what}");
    }
}

// ---- statements built here ----

const RP_ID: &str = "example.org";
const ORIGIN: &str = "https://example.org";
const CHALLENGE: &[u8] = b"a challenge the server issued...";
const CREDENTIAL_ID: &[u8] = b"credential-id";
const NOW: UnixTime = UnixTime(1_700_000_000);
const NOW_MS: i64 = 1_700_000_000_000;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Self { params, key, der }
    }

    fn issue(&self, key: &KeyPair, params: &CertificateParams) -> Vec<u8> {
        let issuer = Issuer::from_params(&self.params, &self.key);
        params.signed_by(key, &issuer).unwrap().der().to_vec()
    }

    fn anchors(&self) -> TrustAnchors {
        let mut anchors = TrustAnchors::none();
        anchors.add_der(self.der.clone()).unwrap();
        anchors
    }
}

fn leaf_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params
}

fn cose_es256(key: &KeyPair) -> Vec<u8> {
    let point = key.public_key_raw();
    let (x, y) = point[1..].split_at(32);
    cbor(&Value::Map(vec![
        (1.into(), 2.into()),
        (3.into(), (-7).into()),
        ((-1).into(), 1.into()),
        ((-2).into(), Value::Bytes(x.to_vec())),
        ((-3).into(), Value::Bytes(y.to_vec())),
    ]))
}

/// A registration of `credential` at NOW, as a browser would send it.
struct Registration {
    auth_data: Vec<u8>,
    client_data: Vec<u8>,
}

impl Registration {
    fn new(credential: &KeyPair) -> Self {
        let mut auth_data = sha256(RP_ID.as_bytes());
        auth_data.push(0x45); // UP, UV, AT
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend((CREDENTIAL_ID.len() as u16).to_be_bytes());
        auth_data.extend(CREDENTIAL_ID);
        auth_data.extend(cose_es256(credential));
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": encode_base64url(CHALLENGE),
            "origin": ORIGIN,
        });
        Self {
            auth_data,
            client_data: serde_json::to_vec(&client_data).unwrap(),
        }
    }

    fn client_data_hash(&self) -> Vec<u8> {
        sha256(&self.client_data)
    }

    fn signed_data(&self) -> Vec<u8> {
        [self.auth_data.as_slice(), &self.client_data_hash()].concat()
    }

    fn verify(
        &self,
        fmt: &str,
        statement: Vec<(Value, Value)>,
        policy: &Policy,
        anchors: &TrustAnchors,
    ) -> Result<VerifiedRegistration> {
        let object = Value::Map(vec![
            ("fmt".into(), fmt.into()),
            ("attStmt".into(), Value::Map(statement)),
            ("authData".into(), Value::Bytes(self.auth_data.clone())),
        ]);
        let json = json!({
            "id": encode_base64url(CREDENTIAL_ID),
            "rawId": encode_base64url(CREDENTIAL_ID),
            "type": "public-key",
            "response": {
                "clientDataJSON": encode_base64url(&self.client_data),
                "attestationObject": encode_base64url(&cbor(&object)),
            },
        });
        let response = RegistrationResponse::from_json(&serde_json::to_vec(&json).unwrap())?;
        let rp = RelyingParty::new(RP_ID, [ORIGIN]);
        verify_registration(&rp, policy, CHALLENGE, &response, anchors, NOW)
    }
}

// -- android-key --

/// DER with a definite length.
fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = tag.to_vec();
    match len {
        0..0x80 => out.push(len as u8),
        0x80..0x100 => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// `[tag] EXPLICIT`, in high-tag-number form from 31 on.
fn explicit(tag: u32, inner: &[u8]) -> Vec<u8> {
    let header = match tag {
        0..31 => vec![0xa0 | tag as u8],
        31..128 => vec![0xbf, tag as u8],
        _ => vec![0xbf, 0x80 | (tag >> 7) as u8, (tag & 0x7f) as u8],
    };
    tlv(&header, inner)
}

fn int(v: u8) -> Vec<u8> {
    tlv(&[0x02], &[v])
}

fn purpose(values: &[u8]) -> Vec<u8> {
    let ints: Vec<Vec<u8>> = values.iter().map(|v| int(*v)).collect();
    explicit(1, &tlv(&[0x31], &ints.concat()))
}

fn origin(v: u8) -> Vec<u8> {
    explicit(702, &int(v))
}

fn all_applications() -> Vec<u8> {
    explicit(600, &[0x05, 0x00])
}

fn key_description(challenge: &[u8], software: &[Vec<u8>], tee: &[Vec<u8>]) -> Vec<u8> {
    tlv(
        &[0x30],
        &[
            int(200),
            tlv(&[0x0a], &[1]),
            int(200),
            tlv(&[0x0a], &[1]),
            tlv(&[0x04], challenge),
            tlv(&[0x04], &[]),
            tlv(&[0x30], &software.concat()),
            tlv(&[0x30], &tee.concat()),
        ]
        .concat(),
    )
}

/// An Android Keystore stand-in: an attestation CA that certifies keys with a key description.
struct Keystore {
    ca: Ca,
}

impl Keystore {
    fn new() -> Self {
        Self {
            ca: Ca::new("Droid CA test"),
        }
    }

    /// The leaf for `key`, carrying `description` (none when `None`).
    fn certify(&self, key: &KeyPair, description: Option<Vec<u8>>) -> Vec<u8> {
        let mut params = leaf_params("Android Keystore Key");
        if let Some(description) = description {
            params.custom_extensions = vec![CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17],
                description,
            )];
        }
        self.ca.issue(key, &params)
    }

    /// An `android-key` statement over `reg` signed by `key`, with `leaf` then the CA as x5c.
    fn statement(&self, reg: &Registration, key: &KeyPair, leaf: Vec<u8>) -> Vec<(Value, Value)> {
        vec![
            ("alg".into(), (-7).into()),
            (
                "sig".into(),
                Value::Bytes(key.sign(&reg.signed_data()).unwrap()),
            ),
            (
                "x5c".into(),
                Value::Array(vec![Value::Bytes(leaf), Value::Bytes(self.ca.der.clone())]),
            ),
        ]
    }

    /// Registers a fresh credential key attested with the key description `describe(clientDataHash)`.
    fn register(
        &self,
        describe: impl FnOnce(&[u8]) -> Vec<u8>,
        policy: &Policy,
    ) -> Result<VerifiedRegistration> {
        let key = KeyPair::generate().unwrap();
        let reg = Registration::new(&key);
        let leaf = self.certify(&key, Some(describe(&reg.client_data_hash())));
        let statement = self.statement(&reg, &key, leaf);
        reg.verify("android-key", statement, policy, &self.ca.anchors())
    }
}

fn generated_for_signing(hash: &[u8]) -> Vec<u8> {
    key_description(hash, &[], &[purpose(&[2]), origin(0)])
}

#[test]
fn android_key_built_statement_verifies() {
    let keystore = Keystore::new();
    let r = keystore
        .register(generated_for_signing, &Policy::default())
        .unwrap();
    assert_eq!(r.attestation_type, AttestationType::Basic);
    assert!(r.trusted);
    // Tags in another order, unknown ones among them.
    let shuffled = |hash: &[u8]| {
        key_description(
            hash,
            &[explicit(709, &tlv(&[0x04], b"application id"))],
            &[
                origin(0),
                explicit(705, &int(13)),
                purpose(&[3, 2]),
                explicit(2, &int(3)),
            ],
        )
    };
    assert!(keystore.register(shuffled, &Policy::default()).is_ok());
}

#[test]
fn android_key_refuses_a_challenge_for_another_ceremony() {
    let keystore = Keystore::new();
    let err = keystore
        .register(|_| generated_for_signing(&[0x5a; 32]), &Policy::default())
        .unwrap_err();
    assert_eq!(
        err,
        bad(
            "android-key",
            "attestationChallenge is not the clientDataHash"
        )
    );
}

#[test]
fn android_key_refuses_a_certificate_for_another_key() {
    let keystore = Keystore::new();
    let credential = KeyPair::generate().unwrap();
    let attested = KeyPair::generate().unwrap();
    let reg = Registration::new(&credential);
    let leaf = keystore.certify(
        &attested,
        Some(generated_for_signing(&reg.client_data_hash())),
    );
    let statement = keystore.statement(&reg, &attested, leaf);
    let err = reg
        .verify(
            "android-key",
            statement,
            &Policy::default(),
            &keystore.ca.anchors(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        bad(
            "android-key",
            "certificate key differs from the credential key"
        )
    );
}

#[test]
fn android_key_refuses_a_leaf_without_the_extension() {
    let keystore = Keystore::new();
    let key = KeyPair::generate().unwrap();
    let reg = Registration::new(&key);
    let statement = keystore.statement(&reg, &key, keystore.certify(&key, None));
    let err = reg
        .verify(
            "android-key",
            statement,
            &Policy::default(),
            &keystore.ca.anchors(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        bad(
            "android-key",
            "certificate lacks the key attestation extension"
        )
    );
}

#[test]
fn android_key_refuses_keys_the_authorization_lists_do_not_confine() {
    let keystore = Keystore::new();
    let all_apps = bad("android-key", "key is usable by all applications");
    let not_generated = bad(
        "android-key",
        "key was not generated in the keystore (teeEnforced origin)",
    );
    let not_signing = bad(
        "android-key",
        "key purpose does not include signing (teeEnforced purpose)",
    );
    type Describe = fn(&[u8]) -> Vec<u8>;
    let cases: [(&str, Describe, Error); 7] = [
        (
            "allApplications in softwareEnforced",
            |h| key_description(h, &[all_applications()], &[purpose(&[2]), origin(0)]),
            all_apps.clone(),
        ),
        (
            "allApplications in teeEnforced",
            |h| key_description(h, &[], &[purpose(&[2]), all_applications(), origin(0)]),
            all_apps,
        ),
        (
            "imported key",
            |h| key_description(h, &[], &[purpose(&[2]), origin(2)]),
            not_generated.clone(),
        ),
        (
            "origin only in softwareEnforced",
            |h| key_description(h, &[origin(0)], &[purpose(&[2])]),
            not_generated,
        ),
        (
            "verify-only key",
            |h| key_description(h, &[], &[purpose(&[3]), origin(0)]),
            not_signing.clone(),
        ),
        (
            "purpose only in softwareEnforced",
            |h| key_description(h, &[purpose(&[2])], &[origin(0)]),
            not_signing.clone(),
        ),
        (
            "empty purpose set",
            |h| key_description(h, &[], &[purpose(&[]), origin(0)]),
            not_signing,
        ),
    ];
    for (what, describe, want) in cases {
        assert_eq!(
            keystore.register(describe, &Policy::default()).unwrap_err(),
            want,
            "{what}"
        );
    }
}

#[test]
fn android_key_refuses_a_malformed_key_description() {
    let keystore = Keystore::new();
    let err = keystore
        .register(
            |h| key_description(h, &[], &[purpose(&[2]), explicit(702, &tlv(&[0x02], &[]))]),
            &Policy::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), "malformed", "{err}");
}

#[test]
fn android_key_built_chain_must_reach_an_anchor_when_trust_is_required() {
    let keystore = Keystore::new();
    let key = KeyPair::generate().unwrap();
    let reg = Registration::new(&key);
    let leaf = keystore.certify(&key, Some(generated_for_signing(&reg.client_data_hash())));
    let mut policy = Policy::default();
    policy.require_trusted_attestation = true;
    let statement = keystore.statement(&reg, &key, leaf.clone());
    assert_eq!(
        reg.verify("android-key", statement, &policy, &TrustAnchors::none())
            .unwrap_err(),
        Error::Untrusted
    );
    // The same issuer name, but another CA's key.
    let other = Ca::new("Droid CA test");
    let mut statement = keystore.statement(&reg, &key, leaf);
    entry(&mut statement, "x5c").as_array_mut().unwrap()[1] = Value::Bytes(other.der.clone());
    assert_eq!(
        reg.verify("android-key", statement, &policy, &other.anchors())
            .unwrap_err(),
        Error::BrokenChain("certificate signature does not verify")
    );
}

// -- android-safetynet --

/// Google's SafetyNet service stand-in: a CA and a response-signing certificate it issued.
struct SafetyNet {
    ca: Ca,
    key: KeyPair,
    leaf: Vec<u8>,
}

impl SafetyNet {
    fn new(params: &CertificateParams) -> Self {
        let ca = Ca::new("GTS CA test");
        let key = KeyPair::generate().unwrap();
        let leaf = ca.issue(&key, params);
        Self { ca, key, leaf }
    }

    fn attest_android_com() -> Self {
        let mut params = leaf_params("attest.android.com");
        params.subject_alt_names = vec![SanType::DnsName("attest.android.com".try_into().unwrap())];
        Self::new(&params)
    }

    /// A compact JWS over `claims`, signed with the leaf key and carrying `x5c`.
    fn jws(&self, claims: &Json, x5c: &[&[u8]]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let header = json!({
            "alg": "ES256",
            "x5c": x5c.iter().map(|c| b64.encode(c)).collect::<Vec<_>>(),
        });
        let input = format!(
            "{}.{}",
            encode_base64url(&serde_json::to_vec(&header).unwrap()),
            encode_base64url(&serde_json::to_vec(claims).unwrap())
        );
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, self.key.serialized_der())
                .unwrap();
        let signature = signer.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", encode_base64url(signature.as_ref()))
    }

    fn claims(reg: &Registration) -> Json {
        let nonce = base64::engine::general_purpose::STANDARD.encode(sha256(&reg.signed_data()));
        json!({
            "nonce": nonce,
            "timestampMs": NOW_MS - 1500,
            "apkPackageName": "com.google.android.gms",
            "ctsProfileMatch": true,
            "basicIntegrity": true,
        })
    }

    fn statement(token: String) -> Vec<(Value, Value)> {
        vec![
            ("ver".into(), "23.1.0".into()),
            ("response".into(), Value::Bytes(token.into_bytes())),
        ]
    }

    /// Registers a fresh credential with a response whose claims are `edit`ed.
    fn register(
        &self,
        edit: impl FnOnce(&mut Json),
        policy: &Policy,
    ) -> Result<VerifiedRegistration> {
        let reg = Registration::new(&KeyPair::generate().unwrap());
        let mut claims = Self::claims(&reg);
        edit(&mut claims);
        let token = self.jws(&claims, &[&self.leaf, &self.ca.der]);
        reg.verify(
            "android-safetynet",
            Self::statement(token),
            policy,
            &self.ca.anchors(),
        )
    }
}

#[test]
fn safetynet_built_response_verifies() {
    let google = SafetyNet::attest_android_com();
    let r = google.register(|_| {}, &Policy::default()).unwrap();
    assert_eq!(r.attestation_type, AttestationType::Basic);
    assert_eq!(
        r.trust_path,
        vec![google.leaf.clone(), google.ca.der.clone()]
    );
    assert!(r.trusted);
}

#[test]
fn safetynet_refuses_each_failed_claim() {
    let google = SafetyNet::attest_android_com();
    type Edit = fn(&mut Json);
    let cases: [(&str, Edit, Error); 6] = [
        (
            "nonce of other data",
            |c| {
                c["nonce"] = base64::engine::general_purpose::STANDARD
                    .encode([0u8; 32])
                    .into()
            },
            bad("android-safetynet", "nonce does not match the ceremony"),
        ),
        (
            "nonce in base64url",
            |c| {
                let nonce = c["nonce"]
                    .as_str()
                    .unwrap()
                    .replace('+', "-")
                    .replace('/', "_");
                c["nonce"] = nonce.trim_end_matches('=').into();
            },
            bad("android-safetynet", "nonce does not match the ceremony"),
        ),
        (
            "ctsProfileMatch false",
            |c| c["ctsProfileMatch"] = false.into(),
            bad("android-safetynet", "ctsProfileMatch is false"),
        ),
        (
            "stale",
            |c| c["timestampMs"] = (NOW_MS - 61_000).into(),
            bad("android-safetynet", "response is too old (timestampMs)"),
        ),
        (
            "from the future",
            |c| c["timestampMs"] = (NOW_MS + 61_000).into(),
            bad("android-safetynet", "timestampMs is in the future"),
        ),
        (
            "no ctsProfileMatch",
            |c| {
                c.as_object_mut().unwrap().remove("ctsProfileMatch");
            },
            Error::Malformed {
                field: "SafetyNet response",
                reason: "payload lacks a valid nonce, timestampMs or ctsProfileMatch",
            },
        ),
    ];
    for (what, edit, want) in cases {
        assert_eq!(
            google.register(edit, &Policy::default()).unwrap_err(),
            want,
            "{what}"
        );
    }
}

#[test]
fn safetynet_certificate_must_name_attest_android_com() {
    let wrong = bad(
        "android-safetynet",
        "certificate is not issued to attest.android.com",
    );
    let mut other_host = leaf_params("attest.android.com.example");
    other_host.subject_alt_names = vec![SanType::DnsName(
        "attest.android.com.example".try_into().unwrap(),
    )];
    // The subjectAltName decides once present, whatever the CN says.
    let mut san_elsewhere = leaf_params("attest.android.com");
    san_elsewhere.subject_alt_names = vec![SanType::DnsName("android.com".try_into().unwrap())];
    let mut wildcard = leaf_params("*.android.com");
    wildcard.subject_alt_names = vec![SanType::DnsName("*.android.com".try_into().unwrap())];
    for params in [
        other_host,
        san_elsewhere,
        wildcard,
        leaf_params("attest.android.co"),
    ] {
        let google = SafetyNet::new(&params);
        assert_eq!(
            google.register(|_| {}, &Policy::default()).unwrap_err(),
            wrong
        );
    }
    // Without a subjectAltName the CN names the host.
    let google = SafetyNet::new(&leaf_params("attest.android.com"));
    assert!(google.register(|_| {}, &Policy::default()).is_ok());
}

#[test]
fn safetynet_refuses_a_signature_by_another_key() {
    let google = SafetyNet::attest_android_com();
    let impostor = SafetyNet::attest_android_com();
    let reg = Registration::new(&KeyPair::generate().unwrap());
    // Signed by the impostor's key, but presenting Google's certificate.
    let token = impostor.jws(&SafetyNet::claims(&reg), &[&google.leaf, &google.ca.der]);
    assert_eq!(
        reg.verify(
            "android-safetynet",
            SafetyNet::statement(token),
            &Policy::default(),
            &google.ca.anchors()
        )
        .unwrap_err(),
        Error::BadSignature("JWS")
    );
}

#[test]
fn safetynet_chain_must_hold_and_reach_an_anchor_when_trust_is_required() {
    let google = SafetyNet::attest_android_com();
    let other = Ca::new("GTS CA test");
    let reg = Registration::new(&KeyPair::generate().unwrap());
    let claims = SafetyNet::claims(&reg);
    let mut policy = Policy::default();
    policy.require_trusted_attestation = true;

    let broken = google.jws(&claims, &[&google.leaf, &other.der]);
    assert_eq!(
        reg.verify(
            "android-safetynet",
            SafetyNet::statement(broken),
            &policy,
            &other.anchors()
        )
        .unwrap_err(),
        Error::BrokenChain("certificate signature does not verify")
    );
    let token = google.jws(&claims, &[&google.leaf, &google.ca.der]);
    assert_eq!(
        reg.verify(
            "android-safetynet",
            SafetyNet::statement(token.clone()),
            &policy,
            &other.anchors()
        )
        .unwrap_err(),
        Error::Untrusted
    );
    let mut roots = TrustAnchors::none();
    for name in GOOGLE_HARDWARE_ROOTS {
        roots
            .add_pem(&std::fs::read_to_string(vectors_dir().join(name)).unwrap())
            .unwrap();
    }
    assert_eq!(
        reg.verify(
            "android-safetynet",
            SafetyNet::statement(token),
            &policy,
            &roots
        )
        .unwrap_err(),
        Error::Untrusted
    );
}
