//! FIDO MDS3: BLOB verification, entry lookups, and metadata as trust anchors for registrations.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_webauthn::{
    Aaguid, AuthenticatorStatus, BlobTrust, Error, MAX_METADATA_BLOB_LEN, Metadata,
    RegistrationResponse, Result, TrustAnchors, UnixTime, VerifiedRegistration, encode_base64url,
    verify_registration,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber, date_time_ymd,
};
use serde_json::{Value, json};

use crate::common::{Vector, rfc3339, vector, vectors_dir};

/// A BLOB signing chain made for the test: a root CA and an ES256 leaf valid during 2021-2022.
struct Signer {
    name: String,
    root: Vec<u8>,
    root_params: CertificateParams,
    root_key: KeyPair,
    leaf: Vec<u8>,
    key: EcdsaKeyPair,
}

/// The serial number of every test signer's leaf.
const SIGNER_SERIAL: u64 = 7;

impl Signer {
    fn new(name: &str) -> Self {
        let root_key = KeyPair::generate().unwrap();
        let mut root_params = CertificateParams::default();
        root_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} MDS Root"));
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.not_before = date_time_ymd(2020, 1, 1);
        root_params.not_after = date_time_ymd(2040, 1, 1);
        let root = root_params.self_signed(&root_key).unwrap();

        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params = CertificateParams::default();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} MDS Signer"));
        leaf_params.not_before = date_time_ymd(2021, 1, 1);
        leaf_params.not_after = date_time_ymd(2023, 1, 1);
        leaf_params.serial_number = Some(SerialNumber::from(SIGNER_SERIAL));
        let leaf = leaf_params
            .signed_by(&leaf_key, &Issuer::new(root_params.clone(), &root_key))
            .unwrap();

        Self {
            name: format!("{name} MDS Signer"),
            root: root.der().to_vec(),
            root_params,
            root_key,
            leaf: leaf.der().to_vec(),
            key: EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                leaf_key.serialized_der(),
            )
            .unwrap(),
        }
    }

    fn sign(&self, payload: &Value) -> String {
        let header = json!({ "alg": "ES256", "typ": "JWT", "x5c": [STANDARD.encode(&self.leaf)] });
        let input = format!(
            "{}.{}",
            encode_base64url(header.to_string().as_bytes()),
            encode_base64url(payload.to_string().as_bytes())
        );
        let signature = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", encode_base64url(signature.as_ref()))
    }

    fn roots(&self) -> Vec<Vec<u8>> {
        vec![self.root.clone()]
    }

    /// A CRL from this signer's root listing `serials`.
    fn crl(&self, serials: &[u64]) -> Vec<u8> {
        crate::common::crl(&self.root_params, &self.root_key, serials)
    }

    /// Trust in this signer: its root, and its leaf's name.
    fn trust(&self) -> BlobTrust {
        BlobTrust::signed_by(&self.roots(), &self.name)
    }
}

/// The subject common name of the signer of the MDS3 specification's example BLOB.
const EXAMPLE_SIGNER: &str = "EXAMPLE MDS3 SIGNING CERTIFICATE";

const GOOD_TIME: UnixTime = UnixTime(1_640_995_200); // 2022-01-01

const YUBIKEY5_NFC: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
/// SHA-1 of the subjectPublicKey of the attestation certificate in `fido2-lib/fido-u2f-yubikey4.json`
/// (computed with Python `cryptography`, independently of this crate).
const YUBIKEY4_KEY_ID: &str = "a72096772326b1b282b286c3e7d64089bd7aaad9";

fn payload(entries: Vec<Value>) -> Value {
    json!({
        "legalHeader": "Test BLOB: no agreement needed",
        "no": 7,
        "nextUpdate": "2022-03-01",
        "entries": entries,
        "someFutureField": { "added": "in MDS 3.9" }
    })
}

/// An entry identified by `ids` (an object holding `aaguid` or `attestationCertificateKeyIdentifiers`).
fn entry(ids: Value, reports: &[(&str, &str)], roots: &[Vec<u8>]) -> Value {
    let mut entry = json!({
        "metadataStatement": {
            "legalHeader": "Test statement",
            "description": "Test Authenticator",
            "authenticatorVersion": 5,
            "protocolFamily": "fido2",
            "schema": 3,
            "upv": [{ "major": 1, "minor": 0 }],
            "attestationTypes": ["basic_full"],
            "userVerificationDetails": [
                [{ "userVerificationMethod": "presence_internal" }],
                [{ "userVerificationMethod": "passcode_external", "caDesc": { "base": 10, "minLength": 4 } }]
            ],
            "attestationRootCertificates": roots.iter().map(|r| STANDARD.encode(r)).collect::<Vec<_>>(),
            "icon": "data:image/png;base64,iVBORw0KGgo=",
            "keyProtection": ["hardware", "secure_element"]
        },
        "statusReports": reports
            .iter()
            .map(|(status, date)| json!({ "status": status, "effectiveDate": date, "certificateNumber": "X" }))
            .collect::<Vec<_>>(),
        "timeOfLastStatusChange": "2021-06-01",
        "rogueListURL": "https://example.org/rogues"
    });
    for (key, value) in ids.as_object().unwrap() {
        entry[key] = value.clone();
    }
    entry
}

fn certified(ids: Value, roots: &[Vec<u8>]) -> Value {
    entry(
        ids,
        &[
            ("FIDO_CERTIFIED", "2020-01-01"),
            ("FIDO_CERTIFIED_L1", "2020-06-01"),
        ],
        roots,
    )
}

fn entry_with(reports: &[(&str, &str)]) -> Value {
    entry(json!({ "aaguid": YUBIKEY5_NFC }), reports, &[])
}

fn root_der(pem_file: &str) -> Vec<u8> {
    let mut anchors = TrustAnchors::none();
    anchors
        .add_pem(&std::fs::read_to_string(vectors_dir().join(pem_file)).unwrap())
        .unwrap();
    anchors.roots()[0].clone()
}

fn hex(text: &str) -> [u8; 20] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

fn aaguid(text: &str) -> Aaguid {
    Aaguid::parse(text).unwrap()
}

/// Verifies `v` with `trust` in place of its own anchors, reporting (not refusing) an untrusted chain.
fn register(v: &Vector, trust: &TrustAnchors) -> Result<VerifiedRegistration> {
    let mut policy = v.policy();
    policy.require_trusted_attestation = false;
    let response = RegistrationResponse::from_json(&v.response_json())?;
    verify_registration(&v.rp(), &policy, &v.challenge(), &response, trust, v.now())
}

fn unsigned(payload: &Value) -> Result<Metadata> {
    Metadata::from_unsigned_payload_json(payload.to_string().as_bytes())
}

#[test]
fn a_signed_blob_verifies_and_indexes_its_entries() {
    let signer = Signer::new("Test");
    let attestation_root = root_der("roots/yubico-u2f-root.pem");
    let blob = signer.sign(&payload(vec![
        certified(
            json!({ "aaguid": YUBIKEY5_NFC }),
            std::slice::from_ref(&attestation_root),
        ),
        certified(
            json!({ "attestationCertificateKeyIdentifiers": [YUBIKEY4_KEY_ID, "00".repeat(20)] }),
            &[],
        ),
        certified(json!({ "aaid": "4e4e#4005" }), &[]),
    ]));

    let metadata = Metadata::from_blob(&blob, &signer.trust(), GOOD_TIME).unwrap();
    assert_eq!(metadata.no(), 7);
    assert_eq!(metadata.next_update(), rfc3339("2022-03-01T00:00:00Z"));
    assert_eq!(metadata.legal_header(), "Test BLOB: no agreement needed");
    assert_eq!(metadata.entries().len(), 3);

    let by_aaguid = metadata.by_aaguid(&aaguid(YUBIKEY5_NFC)).unwrap();
    assert_eq!(by_aaguid.root_certificates(), &[attestation_root]);
    assert_eq!(
        by_aaguid.status(),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
    assert_eq!(by_aaguid.compromised_status(), None);
    assert_eq!(
        by_aaguid.time_of_last_status_change(),
        rfc3339("2021-06-01T00:00:00Z")
    );
    let statement = by_aaguid.statement().unwrap();
    assert_eq!(statement.description, "Test Authenticator");
    assert_eq!(statement.authenticator_version, 5);
    assert_eq!(statement.protocol_family, "fido2");
    assert_eq!(statement.attestation_types, ["basic_full"]);
    assert_eq!(
        statement.icon.as_deref(),
        Some("data:image/png;base64,iVBORw0KGgo=")
    );
    let methods = statement.user_verification_details.as_ref().unwrap();
    assert_eq!(methods[1][0].user_verification_method, "passcode_external");
    // Fields this crate does not type are kept as published.
    assert_eq!(
        statement.raw()["keyProtection"],
        json!(["hardware", "secure_element"])
    );
    assert_eq!(
        by_aaguid.status_reports()[0].certificate_number.as_deref(),
        Some("X")
    );

    let by_key = metadata.by_key_identifier(&hex(YUBIKEY4_KEY_ID)).unwrap();
    assert_eq!(by_key.key_identifiers().len(), 2);
    assert!(std::ptr::eq(
        by_key,
        metadata.by_key_identifier(&[0; 20]).unwrap()
    ));
    assert_eq!(by_key.aaguid(), None);
    assert_eq!(metadata.entries()[2].aaid(), Some("4e4e#4005"));

    assert!(
        metadata
            .by_aaguid(&aaguid("00000000-0000-0000-0000-000000000001"))
            .is_none()
    );
    assert!(metadata.by_key_identifier(&[1; 20]).is_none());
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let signer = Signer::new("Test");
    let blob = signer.sign(&payload(vec![certified(
        json!({ "aaguid": YUBIKEY5_NFC }),
        &[],
    )]));
    let parts: Vec<&str> = blob.split('.').collect();
    let forged = payload(vec![certified(
        json!({ "aaguid": YUBIKEY5_NFC }),
        std::slice::from_ref(&signer.root),
    )]);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        encode_base64url(forged.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        Metadata::from_blob(&tampered, &signer.trust(), GOOD_TIME).unwrap_err(),
        Error::BadSignature("JWS")
    );
}

#[test]
fn a_blob_from_another_root_is_untrusted() {
    let signer = Signer::new("Test");
    // Same names, another key: its CRL names the right issuer but does not verify.
    let other = Signer::new("Test");
    let blob = signer.sign(&payload(vec![]));
    assert_eq!(
        Metadata::from_blob(&blob, &other.trust(), GOOD_TIME).unwrap_err(),
        Error::Untrusted
    );
    assert_eq!(
        Metadata::from_blob(&blob, &BlobTrust::fido(&[]), GOOD_TIME).unwrap_err(),
        Error::Untrusted
    );
}

#[test]
fn a_blob_outside_its_signer_validity_is_expired() {
    let signer = Signer::new("Test");
    let blob = signer.sign(&payload(vec![]));
    for at in ["2020-12-31T23:59:59Z", "2023-01-01T00:00:01Z"] {
        assert_eq!(
            Metadata::from_blob(&blob, &signer.trust(), rfc3339(at)).unwrap_err(),
            Error::CertificateExpired,
            "{at}"
        );
    }
}

#[test]
fn statuses_parse_and_the_latest_one_is_current() {
    let names = [
        "NOT_FIDO_CERTIFIED",
        "FIDO_CERTIFIED",
        "USER_VERIFICATION_BYPASS",
        "ATTESTATION_KEY_COMPROMISE",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
        "UPDATE_AVAILABLE",
        "REVOKED",
        "SELF_ASSERTION_SUBMITTED",
        "FIDO_CERTIFIED_L1",
        "FIDO_CERTIFIED_L1plus",
        "FIDO_CERTIFIED_L2",
        "FIDO_CERTIFIED_L2plus",
        "FIDO_CERTIFIED_L3",
        "FIDO_CERTIFIED_L3plus",
        "FIDO_CERTIFIED_L4",
    ];
    let reports: Vec<(&str, &str)> = names.iter().map(|n| (*n, "2021-01-01")).collect();
    let metadata = unsigned(&payload(vec![entry(
        json!({ "aaguid": YUBIKEY5_NFC }),
        &reports,
        &[],
    )]))
    .unwrap();
    let entry = metadata.by_aaguid(&aaguid(YUBIKEY5_NFC)).unwrap();
    let parsed: Vec<&AuthenticatorStatus> =
        entry.status_reports().iter().map(|r| &r.status).collect();
    assert_eq!(parsed[3], &AuthenticatorStatus::AttestationKeyCompromise);
    assert_eq!(parsed[10], &AuthenticatorStatus::FidoCertifiedL1Plus);
    assert_eq!(
        parsed[15],
        &AuthenticatorStatus::Unknown("FIDO_CERTIFIED_L4".into())
    );
    for (status, name) in parsed.iter().zip(names) {
        assert_eq!(status.as_str(), name);
        assert!(
            !matches!(status, AuthenticatorStatus::Unknown(_)) || name == "FIDO_CERTIFIED_L4",
            "{name}"
        );
    }
    let compromised: Vec<&str> = parsed
        .iter()
        .filter(|s| s.is_compromised())
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        compromised,
        [
            "USER_VERIFICATION_BYPASS",
            "ATTESTATION_KEY_COMPROMISE",
            "USER_KEY_REMOTE_COMPROMISE",
            "USER_KEY_PHYSICAL_COMPROMISE",
            "REVOKED"
        ]
    );
    // Same date for all: list order decides.
    assert_eq!(
        entry.status(),
        Some(&AuthenticatorStatus::Unknown("FIDO_CERTIFIED_L4".into()))
    );
    assert_eq!(
        entry.compromised_status(),
        Some(&AuthenticatorStatus::Revoked)
    );

    // A later report does not clear a compromise; dates, not list order, say which is later.
    let metadata = unsigned(&payload(vec![entry_with(&[
        ("UPDATE_AVAILABLE", "2022-02-01"),
        ("USER_VERIFICATION_BYPASS", "2021-05-01"),
        ("FIDO_CERTIFIED_L1", "2020-01-01"),
    ])]))
    .unwrap();
    let entry = metadata.by_aaguid(&aaguid(YUBIKEY5_NFC)).unwrap();
    assert_eq!(entry.status(), Some(&AuthenticatorStatus::UpdateAvailable));
    assert_eq!(
        entry.compromised_status(),
        Some(&AuthenticatorStatus::UserVerificationBypass)
    );
}

#[test]
fn malformed_entries_fail_at_load() {
    let with = |change: &dyn Fn(&mut Value)| {
        let mut p = payload(vec![certified(json!({ "aaguid": YUBIKEY5_NFC }), &[])]);
        change(&mut p["entries"][0]);
        unsigned(&p).unwrap_err()
    };
    let not_a_cert =
        with(&|e| e["metadataStatement"]["attestationRootCertificates"] = json!(["AAAA"]));
    assert_eq!(not_a_cert.kind(), "malformed");
    let not_base64 =
        with(&|e| e["metadataStatement"]["attestationRootCertificates"] = json!(["not base64!"]));
    assert_eq!(not_base64, Error::Base64("attestationRootCertificates"));
    assert_eq!(
        with(&|e| e["aaguid"] = json!("2fc0579f")).kind(),
        "malformed"
    );
    assert_eq!(
        with(&|e| e["attestationCertificateKeyIdentifiers"] = json!(["zz"])).kind(),
        "malformed"
    );
    assert_eq!(
        with(&|e| e["statusReports"][0]["effectiveDate"] = json!("01/01/2020")).kind(),
        "malformed"
    );
    assert_eq!(
        with(&|e| e["metadataStatement"]["description"] = json!(5)).kind(),
        "malformed"
    );
    let no_reports = with(&|e| {
        e.as_object_mut().unwrap().remove("statusReports");
    });
    assert_eq!(no_reports.kind(), "malformed");

    let duplicated = payload(vec![entry_with(&[]), entry_with(&[])]);
    assert_eq!(unsigned(&duplicated).unwrap_err().kind(), "malformed");

    let huge = vec![b' '; MAX_METADATA_BLOB_LEN + 1];
    assert!(matches!(
        Metadata::from_unsigned_payload_json(&huge),
        Err(Error::TooLarge { .. })
    ));
    let huge_blob = "a".repeat(MAX_METADATA_BLOB_LEN + 1);
    assert!(matches!(
        Metadata::from_blob(&huge_blob, &BlobTrust::fido(&[]), GOOD_TIME),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn a_key_identifier_repeated_within_one_entry_is_one_claim() {
    // The live BLOB lists one identifier twice in the RSA DS100 entry.
    let key_id = "3e4ce3e28cea53e2c2e2fb2eac1e4b31b81f4e23";
    let repeated = json!({ "attestationCertificateKeyIdentifiers": [key_id, key_id] });
    let metadata = unsigned(&payload(vec![certified(repeated, &[])])).unwrap();
    assert!(metadata.by_key_identifier(&hex(key_id)).is_some());

    let once = json!({ "attestationCertificateKeyIdentifiers": [key_id] });
    let shared = payload(vec![certified(once.clone(), &[]), certified(once, &[])]);
    assert_eq!(unsigned(&shared).unwrap_err().kind(), "malformed");
}

/// Registrations of real authenticators, with test metadata for their model: one found by AAGUID
/// (packed), one by attestation key identifier (fido-u2f).
fn real_registrations() -> [(Vector, Value); 2] {
    [
        (
            vector("webauthn-rs/packed-full-es256-yubikey5-aaguid-ext.json"),
            json!({ "aaguid": YUBIKEY5_NFC }),
        ),
        (
            vector("fido2-lib/fido-u2f-yubikey4.json"),
            json!({ "attestationCertificateKeyIdentifiers": [YUBIKEY4_KEY_ID] }),
        ),
    ]
}

#[test]
fn metadata_refuses_a_revoked_authenticator() {
    for (v, ids) in real_registrations() {
        for status in ["REVOKED", "ATTESTATION_KEY_COMPROMISE"] {
            let reports = [("FIDO_CERTIFIED_L1", "2019-01-01"), (status, "2021-01-01")];
            let metadata = unsigned(&payload(vec![entry(ids.clone(), &reports, &[])])).unwrap();
            let trust = TrustAnchors::none().with_metadata(metadata);
            assert_eq!(
                register(&v, &trust).unwrap_err(),
                Error::Revoked(status.into()),
                "{}",
                v.name()
            );
        }
    }
}

#[test]
fn metadata_roots_make_a_certified_authenticator_trusted() {
    let yubico = root_der("roots/yubico-u2f-root.pem");
    for (v, ids) in real_registrations() {
        assert!(
            !register(&v, &TrustAnchors::none()).unwrap().trusted,
            "{}",
            v.name()
        );

        let signer = Signer::new("Test");
        let blob = signer.sign(&payload(vec![certified(
            ids,
            std::slice::from_ref(&yubico),
        )]));
        let metadata = Metadata::from_blob(&blob, &signer.trust(), GOOD_TIME).unwrap();
        let verified = register(&v, &TrustAnchors::none().with_metadata(metadata)).unwrap();
        assert!(verified.trusted, "{}", v.name());
    }
}

#[test]
fn metadata_roots_only_anchor_their_own_model() {
    let yubico = root_der("roots/yubico-u2f-root.pem");
    let other_model = certified(
        json!({ "aaguid": "00000000-0000-0000-0000-000000000001" }),
        &[yubico],
    );
    let trust = TrustAnchors::none().with_metadata(unsigned(&payload(vec![other_model])).unwrap());
    for (v, _) in real_registrations() {
        assert!(!register(&v, &trust).unwrap().trusted, "{}", v.name());
    }
}

/// `v` with the AAGUID in its authenticator data replaced: what a client can do to a `fido-u2f`
/// registration, whose signature covers no AAGUID.
fn with_aaguid(v: &Vector, aaguid: &str) -> Vector {
    let mut v = v.clone();
    let mut object = v.attestation_object();
    for (key, value) in object.as_map_mut().unwrap() {
        if key.as_text() == Some("authData") {
            let auth_data = value.as_bytes_mut().unwrap();
            auth_data[37..53].copy_from_slice(&Aaguid::parse(aaguid).unwrap().0);
        }
    }
    let mut out = Vec::new();
    ciborium::into_writer(&object, &mut out).unwrap();
    v.response["response"]["attestationObject"] = encode_base64url(&out).into();
    v
}

/// The attestation certificate key identifier of `v`'s leaf: SHA-1 of its subjectPublicKey.
fn leaf_key_identifier(v: &Vector) -> String {
    let object = v.attestation_object();
    let field = |map: &ciborium::Value, key: &str| {
        map.as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .unwrap()
            .1
            .clone()
    };
    let x5c = field(&field(&object, "attStmt"), "x5c");
    let leaf = x5c.as_array().unwrap()[0].as_bytes().unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).unwrap();
    let key = &cert.public_key().subject_public_key.data;
    let id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key);
    id.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Issue 9, item 1: a U2F attestation whose key identifier metadata marks compromised used to
/// pass as `trusted` once its (unsigned) AAGUID named a sibling model that metadata certifies
/// with the same vendor root.
#[test]
fn a_u2f_aaguid_cannot_steer_the_metadata_lookup() {
    const SIBLING: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
    let yubico = root_der("roots/yubico-u2f-root.pem");
    let metadata = unsigned(&payload(vec![
        entry(
            json!({ "attestationCertificateKeyIdentifiers": [YUBIKEY4_KEY_ID] }),
            &[("ATTESTATION_KEY_COMPROMISE", "2021-01-01")],
            &[],
        ),
        certified(json!({ "aaguid": SIBLING }), std::slice::from_ref(&yubico)),
    ]))
    .unwrap();
    let honest = vector("fido2-lib/fido-u2f-yubikey4.json");
    let steered = with_aaguid(&honest, SIBLING);
    let mut with_vendor_root = TrustAnchors::none().with_metadata(metadata);
    assert_eq!(
        register(&honest, &with_vendor_root).unwrap_err(),
        Error::Revoked("ATTESTATION_KEY_COMPROMISE".into())
    );
    let steering_refused = Error::BadAttestation {
        fmt: "fido-u2f",
        reason: "AAGUID must be zero",
    };
    assert_eq!(
        register(&steered, &with_vendor_root).unwrap_err(),
        steering_refused
    );
    // Also when the vendor root is an anchor of its own.
    with_vendor_root.add_der(yubico).unwrap();
    assert_eq!(
        register(&steered, &with_vendor_root).unwrap_err(),
        steering_refused
    );
    assert_eq!(
        register(&honest, &with_vendor_root).unwrap_err(),
        Error::Revoked("ATTESTATION_KEY_COMPROMISE".into())
    );
}

/// Issue 9, item 1: the leaf's key identifier is looked up even when the statement names an
/// AAGUID, and a compromised match refuses it.
#[test]
fn a_compromised_attestation_key_is_refused_whatever_aaguid_is_named() {
    let v = vector("webauthn-rs/packed-full-es256-yubikey5-aaguid-ext.json");
    let yubico = root_der("roots/yubico-u2f-root.pem");
    let metadata = unsigned(&payload(vec![
        certified(json!({ "aaguid": YUBIKEY5_NFC }), &[yubico]),
        entry(
            json!({ "attestationCertificateKeyIdentifiers": [leaf_key_identifier(&v)] }),
            &[
                ("FIDO_CERTIFIED", "2020-01-01"),
                ("ATTESTATION_KEY_COMPROMISE", "2021-01-01"),
            ],
            &[],
        ),
    ]))
    .unwrap();
    assert_eq!(
        register(&v, &TrustAnchors::none().with_metadata(metadata)).unwrap_err(),
        Error::Revoked("ATTESTATION_KEY_COMPROMISE".into())
    );
}

/// Issue 9, item 1: a compromise that any metadata knows of refuses, whichever was added first.
#[test]
fn a_compromise_in_later_metadata_outweighs_an_earlier_certification() {
    let v = vector("webauthn-rs/packed-full-es256-yubikey5-aaguid-ext.json");
    let yubico = root_der("roots/yubico-u2f-root.pem");
    let certifies = unsigned(&payload(vec![certified(
        json!({ "aaguid": YUBIKEY5_NFC }),
        &[yubico],
    )]));
    let revokes = unsigned(&payload(vec![entry(
        json!({ "aaguid": YUBIKEY5_NFC }),
        &[("FIDO_CERTIFIED", "2020-01-01"), ("REVOKED", "2021-01-01")],
        &[],
    )]));
    let trust = TrustAnchors::none()
        .with_metadata(certifies.unwrap())
        .with_metadata(revokes.unwrap());
    assert_eq!(
        register(&v, &trust).unwrap_err(),
        Error::Revoked("REVOKED".into())
    );
}

/// Issue 9, item 1: a model's roots anchor only statements tied to that model. Windows Hello's
/// TPM AIK certificates carry no AAGUID extension, so naming Windows Hello's AAGUID does not
/// select its roots; listing the AIK's key identifier does.
#[test]
fn model_roots_anchor_only_statements_tied_to_the_model() {
    const WINDOWS_HELLO: &str = "08987058-cadc-4b81-b6e1-30de50dcbe96";
    let v = vector("py_webauthn/tpm-rs256-rs1-dell-xps-13.json");
    let microsoft = root_der("roots/microsoft-tpm-root-2014.pem");
    let by_aaguid = unsigned(&payload(vec![certified(
        json!({ "aaguid": WINDOWS_HELLO }),
        std::slice::from_ref(&microsoft),
    )]))
    .unwrap();
    let verified = register(&v, &TrustAnchors::none().with_metadata(by_aaguid)).unwrap();
    assert!(!verified.trusted);
    let by_key = unsigned(&payload(vec![certified(
        json!({ "attestationCertificateKeyIdentifiers": [leaf_key_identifier(&v)] }),
        &[microsoft],
    )]))
    .unwrap();
    let verified = register(&v, &TrustAnchors::none().with_metadata(by_key)).unwrap();
    assert!(verified.trusted);
}

/// Issue 9, item 3: a certificate the trusted root issued to anyone else cannot sign a BLOB.
#[test]
fn only_the_named_signer_may_sign_a_blob() {
    let signer = Signer::new("Test");
    let blob = signer.sign(&payload(vec![]));
    assert_eq!(
        Metadata::from_blob(
            &blob,
            &BlobTrust::signed_by(&signer.roots(), "mds.example.org"),
            GOOD_TIME
        )
        .unwrap_err(),
        Error::UnexpectedSigner
    );
    assert_eq!(
        Metadata::from_blob(&blob, &BlobTrust::fido(&signer.roots()), GOOD_TIME).unwrap_err(),
        Error::UnexpectedSigner
    );
    // The real BLOB's leaf is the FIDO Alliance's signer, and nothing else is accepted for it.
    let at = rfc3339("2022-02-15T00:00:00Z");
    assert!(
        Metadata::from_blob(real_blob().trim(), &BlobTrust::fido(&fido_mds_root()), at).is_ok()
    );
    assert_eq!(
        Metadata::from_blob(
            real_blob().trim(),
            &BlobTrust::signed_by(&fido_mds_root(), "mds3.fidoalliance.org"),
            at
        )
        .unwrap_err(),
        Error::UnexpectedSigner
    );
}

/// Issue 9, item 3: a CRL its root signed revokes the BLOB's signer; one signed by anybody else,
/// or listing other serials, changes nothing.
#[test]
fn a_crl_from_the_blob_root_revokes_its_signer() {
    let signer = Signer::new("Test");
    // Same names, another key: its CRL names the right issuer but does not verify.
    let other = Signer::new("Test");
    let blob = signer.sign(&payload(vec![]));
    let revoked = signer
        .trust()
        .with_crl_der(signer.crl(&[SIGNER_SERIAL]))
        .unwrap();
    assert_eq!(
        Metadata::from_blob(&blob, &revoked, GOOD_TIME).unwrap_err(),
        Error::CertificateRevoked
    );
    let others = signer
        .trust()
        .with_crl_der(signer.crl(&[SIGNER_SERIAL + 1]))
        .unwrap();
    assert!(Metadata::from_blob(&blob, &others, GOOD_TIME).is_ok());
    let forged = signer
        .trust()
        .with_crl_der(other.crl(&[SIGNER_SERIAL]))
        .unwrap();
    assert!(Metadata::from_blob(&blob, &forged, GOOD_TIME).is_ok());
    assert!(matches!(
        signer.trust().with_crl_der(b"not a CRL".to_vec()),
        Err(Error::Malformed { .. })
    ));
}

/// The real FIDO Alliance BLOB saved in `tests/vectors/fido2-lib/mds3-blob.jwt`; see the README.
fn real_blob() -> String {
    std::fs::read_to_string(vectors_dir().join("fido2-lib/mds3-blob.jwt")).unwrap()
}

fn fido_mds_root() -> Vec<Vec<u8>> {
    vec![root_der("roots/fido-mds-root.pem")]
}

#[test]
fn the_real_fido_blob_verifies_at_its_time() {
    let metadata = Metadata::from_blob(
        real_blob().trim(),
        &BlobTrust::fido(&fido_mds_root()),
        rfc3339("2022-02-15T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(metadata.no(), 12);
    assert_eq!(metadata.next_update(), rfc3339("2022-03-01T00:00:00Z"));
    assert_eq!(metadata.entries().len(), 101);
    assert!(
        metadata
            .legal_header()
            .starts_with("Retrieval and use of this BLOB")
    );

    let yubikey5 = metadata.by_aaguid(&aaguid(YUBIKEY5_NFC)).unwrap();
    assert_eq!(
        yubikey5.statement().unwrap().description,
        "YubiKey 5 Series with NFC"
    );
    assert_eq!(
        yubikey5.status(),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
    assert!(
        yubikey5
            .root_certificates()
            .contains(&root_der("roots/yubico-u2f-root.pem"))
    );

    let yubikey4 = metadata.by_key_identifier(&hex(YUBIKEY4_KEY_ID)).unwrap();
    assert_eq!(
        yubikey4.statement().unwrap().description,
        "YK4 Series Key by Yubico"
    );
    assert_eq!(yubikey4.statement().unwrap().protocol_family, "u2f");

    let at = rfc3339("2022-06-01T00:00:00Z");
    assert_eq!(
        Metadata::from_blob(real_blob().trim(), &BlobTrust::fido(&fido_mds_root()), at)
            .unwrap_err(),
        Error::CertificateExpired
    );
    let yubico = vec![root_der("roots/yubico-u2f-root.pem")];
    assert_eq!(
        Metadata::from_blob(
            real_blob().trim(),
            &BlobTrust::fido(&yubico),
            rfc3339("2022-02-15T00:00:00Z")
        )
        .unwrap_err(),
        Error::Untrusted
    );
}

#[test]
fn the_real_fido_blob_anchors_real_registrations() {
    let metadata = Metadata::from_blob(
        real_blob().trim(),
        &BlobTrust::fido(&fido_mds_root()),
        rfc3339("2022-02-15T00:00:00Z"),
    )
    .unwrap();
    let trust = TrustAnchors::none().with_metadata(metadata);
    for (v, _) in real_registrations() {
        assert!(register(&v, &trust).unwrap().trusted, "{}", v.name());
    }
}

#[test]
fn the_spec_example_blob_verifies_through_its_intermediate() {
    let blob = std::fs::read_to_string(vectors_dir().join("go-webauthn/mds3-blob.jwt")).unwrap();
    let root = vec![root_der("roots/fido-mds3-example-root.pem")];
    let at = rfc3339("2022-01-01T00:00:00Z");
    let trust = BlobTrust::signed_by(&root, EXAMPLE_SIGNER);
    let metadata = Metadata::from_blob(blob.trim(), &trust, at).unwrap();
    assert_eq!(metadata.no(), 15);
    // Already stale when signed; loading leaves that judgement to the caller.
    assert!(metadata.next_update() < at);

    let fido2 = metadata
        .by_aaguid(&aaguid("0132d110-bf4e-4208-a403-ab4f5f12efe5"))
        .unwrap();
    assert_eq!(
        fido2.statement().unwrap().description,
        "FIDO Alliance Sample FIDO2 Authenticator"
    );
    assert_eq!(fido2.status(), Some(&AuthenticatorStatus::FidoCertifiedL1));
    assert!(!fido2.root_certificates().is_empty());
    let uaf = metadata
        .entries()
        .iter()
        .find(|e| e.aaid() == Some("1234#5678"))
        .unwrap();
    assert_eq!(uaf.statement().unwrap().protocol_family, "uaf");

    assert_eq!(
        Metadata::from_blob(blob.trim(), &BlobTrust::fido(&fido_mds_root()), at).unwrap_err(),
        Error::Untrusted
    );
}
