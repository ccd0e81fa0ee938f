//! `tpm` (§8.3): every recorded TPM registration, then each check failing for its own reason. The
//! recorded statements are changed where the check runs before the signature is verified; for the
//! AIK certificate requirements (§8.3.1) and SHA-1 Names the statement is re-signed by an AIK
//! built here.

use aws_lc_rs::digest;
use ciborium::Value;
use latchkey_webauthn::{AttestationFormat, AttestationType, Error, Policy};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SigningKey as _,
};
use serde_json::Value as Json;

use crate::common::{Vector, all_vectors, vector};

/// Windows Hello, ECC P-256 credential, certInfo signed with RS1; chains to Microsoft's TPM root.
const WINDOWS_ECC: &str = "go-webauthn/tpm-es256-rs1-windows-hello.json";
/// Windows Hello on a Surface Pro 4, RSA credential, certInfo signed with RS1.
const WINDOWS_RSA: &str = "py_webauthn/tpm-rs256-rs1-surface-pro-4.json";
/// FIDO conformance TPM, RSA credential, certInfo signed with RS256.
const CONFORMANCE_RS256: &str = "go-webauthn/tpm-rs256-fido-conformance.json";
/// The W3C §16 vector: ECC credential, certInfo signed with ES256 by an EC AIK.
const W3C: &str = "w3c/tpm-es256.json";
const RECORDED: [&str; 4] = [WINDOWS_ECC, WINDOWS_RSA, CONFORMANCE_RS256, W3C];

/// Vectors whose source refuses them: the file and latchkey's verdict on it.
const REFUSED: [(&str, Error); 3] = [
    (
        "simplewebauthn/tpm-es256-ibm-fidotest-aaguid-ext-mismatch.json",
        bad("certificate AAGUID differs from authenticator data"),
    ),
    // Yubico's test authenticator writes TPM_ALG_RSASSA without the hashAlg that TPMT_RSA_SCHEME
    // carries for it, so everything after the scheme is read one field off.
    (
        "java-webauthn-server/tpm-rs384-test-authenticator.json",
        MISREAD_RSA_PARMS,
    ),
    (
        "java-webauthn-server/tpm-rs512-test-authenticator.json",
        MISREAD_RSA_PARMS,
    ),
];

const MISREAD_RSA_PARMS: Error = Error::Malformed {
    field: "TPM pubArea",
    reason: "keyBits differs from the modulus size",
};

/// webauthn-rs refuses these for their RS1 certInfo signature alone; latchkey leaves SHA-1 in
/// attestation to `Policy::allow_sha1_attestation` (default on, for the TPMs still in the field).
const RS1_REFUSED_BY_SOURCE_POLICY: [&str; 2] = [
    "webauthn-rs/tpm-ecc-rs1-aseigler.json",
    "webauthn-rs/tpm-rsa-rs1-windows-hello.json",
];

const fn bad(reason: &'static str) -> Error {
    Error::BadAttestation { fmt: "tpm", reason }
}

const fn malformed(field: &'static str, reason: &'static str) -> Error {
    Error::Malformed { field, reason }
}

fn register(v: &Vector, json: &[u8]) -> Result<(), Error> {
    v.registration_with(&v.policy(), json).map(|_| ())
}

fn without_sha1(v: &Vector) -> Policy {
    let mut policy = v.policy();
    policy.allow_sha1_attestation = false;
    policy
}

#[test]
fn every_recorded_tpm_registration_verifies() {
    let vectors: Vec<Vector> = all_vectors()
        .into_iter()
        .filter(|v| v.ceremony == "registration" && v.name().contains("tpm"))
        .collect();
    assert!(vectors.len() >= 10, "{} tpm vectors", vectors.len());
    for v in &vectors {
        let name = v.name();
        if let Some((_, want)) = REFUSED.iter().find(|(n, _)| *n == name) {
            assert_eq!(v.registration().unwrap_err(), *want, "{name}");
            continue;
        }
        assert!(
            v.expect.valid || RS1_REFUSED_BY_SOURCE_POLICY.contains(&name.as_str()),
            "{name}"
        );
        let r = v.registration().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.fmt, AttestationFormat::Tpm, "{name}");
        assert_eq!(r.attestation_type, AttestationType::AttCa, "{name}");
        assert_eq!(Some(r.public_key.alg().id()), v.expect.alg, "{name}");
        assert_eq!(r.trusted, !v.trust.is_empty(), "{name}");
        assert!(!r.trust_path.is_empty(), "{name}");
    }
}

#[test]
fn rs1_statements_follow_the_sha1_policy() {
    for name in RS1_REFUSED_BY_SOURCE_POLICY
        .into_iter()
        .chain([WINDOWS_ECC, WINDOWS_RSA])
    {
        let v = vector(name);
        assert_eq!(
            v.registration_with(&without_sha1(&v), &v.response_json())
                .unwrap_err(),
            Error::AlgorithmNotAllowed(-65535),
            "{name}"
        );
    }
    let v = vector(CONFORMANCE_RS256);
    v.registration_with(&without_sha1(&v), &v.response_json())
        .unwrap();
}

// ---- the recorded statements, changed ----

fn b64(bytes: &[u8]) -> String {
    latchkey_webauthn::encode_base64url(bytes)
}

fn unb64(s: &Json) -> Vec<u8> {
    latchkey_webauthn::decode_base64url("test", s.as_str().unwrap(), 1 << 20).unwrap()
}

fn entry<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Value {
    &mut map
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}

fn bytes<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Vec<u8> {
    match entry(map, key) {
        Value::Bytes(b) => b,
        other => panic!("{key} is {other:?}"),
    }
}

fn statement(v: &Vector) -> Vec<(Value, Value)> {
    let object = unb64(&v.response["response"]["attestationObject"]);
    let object: Value = ciborium::from_reader(object.as_slice()).unwrap();
    let mut object = object.into_map().unwrap();
    entry(&mut object, "attStmt").clone().into_map().unwrap()
}

fn statement_bytes(v: &Vector, key: &str) -> Vec<u8> {
    bytes(&mut statement(v), key).clone()
}

/// The response JSON with the attestation statement changed by `f`.
fn edit_statement(v: &Vector, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let mut json = v.response.clone();
    let object = unb64(&json["response"]["attestationObject"]);
    let mut object: Value = ciborium::from_reader(object.as_slice()).unwrap();
    f(entry(object.as_map_mut().unwrap(), "attStmt")
        .as_map_mut()
        .unwrap());
    let mut encoded = Vec::new();
    ciborium::into_writer(&object, &mut encoded).unwrap();
    json["response"]["attestationObject"] = Json::String(b64(&encoded));
    serde_json::to_vec(&json).unwrap()
}

fn edit_bytes(v: &Vector, key: &'static str, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    edit_statement(v, |st| f(bytes(st, key)))
}

fn u16_at(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
}

/// Where certInfo's extraData and attested name start (after their u16 sizes).
fn cert_info_offsets(cert_info: &[u8]) -> (usize, usize) {
    let extra_data = 4 + 2 + 2 + u16_at(cert_info, 6) + 2;
    let name = extra_data + u16_at(cert_info, extra_data - 2) + 17 + 8 + 2;
    (extra_data, name)
}

/// Replaces the one occurrence of `from` in the AIK certificate with `to`, keeping its length.
fn patch_aik(st: &mut [(Value, Value)], from: &[u8], to: &[u8]) {
    let Value::Bytes(aik) = &mut entry(st, "x5c").as_array_mut().unwrap()[0] else {
        panic!("x5c[0] is not bytes");
    };
    let at: Vec<usize> = aik
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1);
    aik[at[0]..at[0] + to.len()].copy_from_slice(to);
}

const OID_TCG_KP_AIK_CERTIFICATE: [u8; 7] = [0x06, 0x05, 0x67, 0x81, 0x05, 0x08, 0x03];
const OID_TPM_MANUFACTURER: [u8; 7] = [0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x01];

#[test]
fn the_recorded_statements_verify_untouched() {
    for name in RECORDED {
        let v = vector(name);
        register(&v, &edit_statement(&v, |_| {})).unwrap();
    }
}

#[test]
fn cert_info_must_certify_this_ceremony_and_this_pub_area() {
    for name in RECORDED {
        let v = vector(name);
        let extra_data = edit_bytes(&v, "certInfo", |ci| {
            let (at, _) = cert_info_offsets(ci);
            ci[at] ^= 0x01;
        });
        let other_client_data = {
            let mut json = v.response.clone();
            let mut cd: Json =
                serde_json::from_slice(&unb64(&json["response"]["clientDataJSON"])).unwrap();
            cd["crossOrigin"] = false.into();
            json["response"]["clientDataJSON"] = b64(&serde_json::to_vec(&cd).unwrap()).into();
            serde_json::to_vec(&json).unwrap()
        };
        let name_digest = edit_bytes(&v, "certInfo", |ci| {
            let (_, at) = cert_info_offsets(ci);
            ci[at + 2] ^= 0x01;
        });
        let name_alg = edit_bytes(&v, "certInfo", |ci| {
            let (_, at) = cert_info_offsets(ci);
            ci[at + 1] = 0x0c;
        });
        let magic = edit_bytes(&v, "certInfo", |ci| ci[3] ^= 0x01);
        let attest_type = edit_bytes(&v, "certInfo", |ci| ci[5] = 0x18);
        let trailing = edit_bytes(&v, "certInfo", |ci| ci.push(0));
        let truncated = edit_bytes(&v, "certInfo", |ci| {
            ci.pop();
        });
        let cases = [
            (
                "extraData",
                extra_data,
                bad("certInfo extraData is not the hash of attToBeSigned"),
            ),
            (
                "other clientDataJSON",
                other_client_data,
                bad("certInfo extraData is not the hash of attToBeSigned"),
            ),
            (
                "name digest",
                name_digest,
                bad("certInfo does not name pubArea"),
            ),
            (
                "name algorithm",
                name_alg,
                bad("certInfo does not name pubArea"),
            ),
            (
                "magic",
                magic,
                bad("certInfo magic is not TPM_GENERATED_VALUE"),
            ),
            (
                "type",
                attest_type,
                bad("certInfo type is not TPM_ST_ATTEST_CERTIFY"),
            ),
            (
                "trailing byte",
                trailing,
                malformed("TPM certInfo", "trailing bytes"),
            ),
            (
                "truncated",
                truncated,
                malformed("TPM certInfo", "truncated"),
            ),
        ];
        for (what, json, want) in cases {
            assert_eq!(register(&v, &json), Err(want), "{name}: {what}");
        }
    }
}

#[test]
fn pub_area_must_hold_the_credential_key() {
    for name in RECORDED {
        let v = vector(name);
        let last = statement_bytes(&v, "pubArea").len() - 1;
        // The last byte is the modulus's or the y coordinate's.
        let key = edit_bytes(&v, "pubArea", |pa| pa[last] ^= 0x01);
        // noDA (bit 10) is not part of the key, but it is part of the Name.
        let attribute = edit_bytes(&v, "pubArea", |pa| pa[6] ^= 0x04);
        let not_signing = edit_bytes(&v, "pubArea", |pa| pa[5] &= !0x04);
        let key_type = edit_bytes(&v, "pubArea", |pa| pa[1] = 0x25);
        let trailing = edit_bytes(&v, "pubArea", |pa| pa.push(0));
        // Every recorded key leaves its scheme to the signer (TPM_ALG_NULL); bind it to one.
        let ecc = statement_bytes(&v, "pubArea")[1] == 0x23;
        let (other_scheme, same_scheme) = if ecc {
            ([0x00, 0x18, 0x00, 0x0c], [0x00, 0x18, 0x00, 0x0b]) // ECDSA with SHA-384, SHA-256
        } else {
            ([0x00, 0x16, 0x00, 0x0b], [0x00, 0x14, 0x00, 0x0b]) // RSAPSS, RSASSA with SHA-256
        };
        let scheme = |scheme: [u8; 4]| {
            edit_bytes(&v, "pubArea", |pa| {
                let at = 12 + u16_at(pa, 8);
                assert_eq!(pa[at..at + 2], [0x00, 0x10]);
                pa.splice(at..at + 2, scheme);
            })
        };
        let cases = [
            (
                "scheme",
                scheme(other_scheme),
                bad("pubArea scheme cannot make the credential algorithm's signatures"),
            ),
            (
                "scheme of the credential algorithm",
                scheme(same_scheme),
                bad("certInfo does not name pubArea"),
            ),
            (
                "key",
                key,
                bad("pubArea key differs from the credential public key"),
            ),
            (
                "objectAttributes",
                attribute,
                bad("certInfo does not name pubArea"),
            ),
            (
                "sign attribute",
                not_signing,
                bad("pubArea key is not a signing key"),
            ),
            (
                "type",
                key_type,
                bad("pubArea type is not TPM_ALG_RSA or TPM_ALG_ECC"),
            ),
            (
                "trailing byte",
                trailing,
                malformed("TPM pubArea", "trailing bytes"),
            ),
        ];
        for (what, json, want) in cases {
            assert_eq!(register(&v, &json), Err(want), "{name}: {what}");
        }
    }
}

#[test]
fn sig_must_be_the_aik_signature_over_cert_info() {
    for name in RECORDED {
        let v = vector(name);
        let flipped = edit_bytes(&v, "sig", |sig| *sig.last_mut().unwrap() ^= 0x01);
        assert_eq!(
            register(&v, &flipped),
            Err(Error::BadSignature("attestation statement")),
            "{name}"
        );
        if entry(&mut statement(&v), "x5c").as_array().unwrap().len() > 1 {
            let intermediate_first = edit_statement(&v, |st| {
                entry(st, "x5c").as_array_mut().unwrap().remove(0);
            });
            assert_eq!(
                register(&v, &intermediate_first),
                Err(Error::BadSignature("attestation statement")),
                "{name}"
            );
        }
    }
    // certInfo hashed with SHA-1 for RS1 cannot pass for an RS256 statement, nor the reverse.
    for (name, alg) in [(WINDOWS_RSA, -257), (CONFORMANCE_RS256, -65535)] {
        let v = vector(name);
        let other_alg = edit_statement(&v, |st| *entry(st, "alg") = alg.into());
        assert_eq!(
            register(&v, &other_alg),
            Err(bad("certInfo extraData is not the hash of attToBeSigned")),
            "{name}"
        );
    }
}

#[test]
fn the_recorded_aik_certificates_must_meet_8_3_1() {
    for name in RECORDED {
        let v = vector(name);
        let mut other_eku = OID_TCG_KP_AIK_CERTIFICATE;
        other_eku[6] = 0x04;
        let no_aik_eku = edit_statement(&v, |st| {
            patch_aik(st, &OID_TCG_KP_AIK_CERTIFICATE, &other_eku)
        });
        assert_eq!(
            register(&v, &no_aik_eku),
            Err(bad("AIK certificate EKU lacks tcg-kp-AIKCertificate")),
            "{name}"
        );
        let mut manufacturer = OID_TPM_MANUFACTURER.to_vec();
        manufacturer.extend([0x0c, 0x0b, b'i', b'd', b':']);
        let mut not_an_id = manufacturer.clone();
        not_an_id[10] = b'x';
        let bad_manufacturer = edit_statement(&v, |st| patch_aik(st, &manufacturer, &not_an_id));
        assert_eq!(
            register(&v, &bad_manufacturer),
            Err(bad(
                "AIK certificate TPM manufacturer is not a TCG vendor ID ('id:' and eight hex digits)"
            )),
            "{name}"
        );
        let mut other_oid = OID_TPM_MANUFACTURER;
        other_oid[6] = 0x09;
        let no_manufacturer =
            edit_statement(&v, |st| patch_aik(st, &OID_TPM_MANUFACTURER, &other_oid));
        assert_eq!(
            register(&v, &no_manufacturer),
            Err(bad(
                "AIK certificate SAN lacks exactly one TPM manufacturer, model and version"
            )),
            "{name}"
        );
    }
}

#[test]
fn the_statement_has_exactly_the_tpm_fields() {
    let v = vector(WINDOWS_RSA);
    let cases: Vec<(&str, Vec<u8>, Error)> = vec![
        (
            "ver 1.2",
            edit_statement(&v, |st| *entry(st, "ver") = "1.2".into()),
            bad("ver is not \"2.0\""),
        ),
        (
            "ver as a number",
            edit_statement(&v, |st| *entry(st, "ver") = 2.into()),
            bad("ver is not \"2.0\""),
        ),
        (
            "no ver",
            edit_statement(&v, |st| st.retain(|(k, _)| k.as_text() != Some("ver"))),
            bad("ver is not \"2.0\""),
        ),
        (
            "ecdaaKeyId",
            edit_statement(&v, |st| {
                st.push(("ecdaaKeyId".into(), Value::Bytes(vec![1; 32])))
            }),
            bad("ECDAA is not supported"),
        ),
        (
            "unknown field",
            edit_statement(&v, |st| st.push(("extra".into(), 1.into()))),
            bad("unexpected attStmt field"),
        ),
        (
            "EdDSA alg",
            edit_statement(&v, |st| *entry(st, "alg") = (-8).into()),
            bad("alg is not one a TPM signs with"),
        ),
        (
            "no x5c",
            edit_statement(&v, |st| st.retain(|(k, _)| k.as_text() != Some("x5c"))),
            bad("missing x5c"),
        ),
        (
            "empty x5c",
            edit_statement(&v, |st| *entry(st, "x5c") = Value::Array(vec![])),
            malformed("attStmt", "x5c length out of range"),
        ),
    ];
    for key in ["sig", "certInfo", "pubArea"] {
        let missing = edit_statement(&v, |st| st.retain(|(k, _)| k.as_text() != Some(key)));
        let reason: &'static str = match key {
            "sig" => "missing sig",
            "certInfo" => "missing certInfo",
            _ => "missing pubArea",
        };
        assert_eq!(register(&v, &missing), Err(bad(reason)), "{key}");
    }
    for (what, json, want) in cases {
        assert_eq!(register(&v, &json), Err(want), "{what}");
    }
}

// ---- statements re-signed by an AIK built here ----

/// A self-signed AIK certificate and its key.
struct Aik {
    key: KeyPair,
    der: Vec<u8>,
}

const AIK_EKU: [u64; 5] = [2, 23, 133, 8, 3];
const SAN: [u64; 4] = [2, 5, 29, 17];
const AAGUID_EXT: [u64; 10] = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        len @ 0..0x80 => out.push(len as u8),
        len => out.extend([0x81, len as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A SAN with one directoryName holding each `(2.23.133.2.<arc>, value)` in its own RDN.
fn tpm_san(attributes: &[(u8, &str)], critical: bool) -> CustomExtension {
    let rdns: Vec<u8> = attributes
        .iter()
        .flat_map(|(arc, value)| {
            let oid = [0x06, 0x05, 0x67, 0x81, 0x05, 0x02, *arc];
            tlv(
                0x31,
                &tlv(0x30, &[&oid[..], &tlv(0x0c, value.as_bytes())].concat()),
            )
        })
        .collect();
    let mut ext = CustomExtension::from_oid_content(&SAN, tlv(0x30, &tlv(0xa4, &tlv(0x30, &rdns))));
    ext.set_criticality(critical);
    ext
}

const TPM_ATTRIBUTES: [(u8, &str); 3] = [(1, "id:494E5443"), (2, "ICL"), (3, "id:00020000")];

impl Aik {
    /// An AIK certificate as §8.3.1 wants it, then changed by `edit`.
    fn new(edit: impl FnOnce(&mut CertificateParams)) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.is_ca = IsCa::ExplicitNoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(AIK_EKU.to_vec())];
        params.custom_extensions = vec![tpm_san(&TPM_ATTRIBUTES, true)];
        edit(&mut params);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Self { key, der }
    }

    /// The W3C statement after `edit`, with this AIK as x5c and its signature over certInfo.
    fn sign(&self, v: &Vector, edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
        edit_statement(v, |st| {
            edit(st);
            *entry(st, "x5c") = Value::Array(vec![Value::Bytes(self.der.clone())]);
            let sig = self.key.sign(bytes(st, "certInfo")).unwrap();
            *entry(st, "sig") = Value::Bytes(sig);
        })
    }
}

/// The W3C vector with its anchor kept but not required: the AIKs here are self-signed.
fn w3c() -> (Vector, Policy) {
    let v = vector(W3C);
    let mut policy = v.policy();
    policy.require_trusted_attestation = false;
    (v, policy)
}

fn aaguid_extension(aaguid: &[u8], critical: bool) -> CustomExtension {
    let mut ext =
        CustomExtension::from_oid_content(&AAGUID_EXT, [&[0x04, 0x10][..], aaguid].concat());
    ext.set_criticality(critical);
    ext
}

const W3C_AAGUID: [u8; 16] = [
    0x4b, 0x92, 0xa3, 0x77, 0xfc, 0x5f, 0x61, 0x07, 0xc4, 0xc8, 0x5c, 0x19, 0x0a, 0xdb, 0xfd, 0x99,
];

#[test]
fn an_aik_meeting_8_3_1_is_accepted_without_a_trust_anchor() {
    let (v, policy) = w3c();
    for aik in [
        Aik::new(|_| {}),
        Aik::new(|p| {
            p.custom_extensions
                .push(aaguid_extension(&W3C_AAGUID, false))
        }),
        // The attributes in any order.
        Aik::new(|p| {
            p.custom_extensions = vec![tpm_san(
                &[(3, "id:13"), (2, "NPCT6xx"), (1, "id:4E544300")],
                true,
            )]
        }),
    ] {
        let r = v.registration_with(&policy, &aik.sign(&v, |_| {})).unwrap();
        assert_eq!(r.attestation_type, AttestationType::AttCa);
        assert_eq!(r.trust_path, vec![aik.der.clone()]);
        assert!(!r.trusted);
    }
}

#[test]
fn a_built_aik_breaking_8_3_1_is_refused_for_its_reason() {
    let (v, policy) = w3c();
    let mut other_aaguid = W3C_AAGUID;
    other_aaguid[0] ^= 0x01;
    let cases: Vec<(&str, Aik, Error)> = vec![
        (
            "no EKU",
            Aik::new(|p| p.extended_key_usages.clear()),
            bad("AIK certificate EKU lacks tcg-kp-AIKCertificate"),
        ),
        (
            "other EKU only",
            Aik::new(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth]),
            bad("AIK certificate EKU lacks tcg-kp-AIKCertificate"),
        ),
        (
            "subject",
            Aik::new(|p| p.distinguished_name.push(DnType::CommonName, "AIK")),
            bad("AIK certificate subject is not empty"),
        ),
        (
            "no SAN",
            Aik::new(|p| p.custom_extensions.clear()),
            bad("AIK certificate has no SAN"),
        ),
        (
            "SAN not critical",
            Aik::new(|p| p.custom_extensions = vec![tpm_san(&TPM_ATTRIBUTES, false)]),
            bad("AIK certificate SAN is not critical"),
        ),
        (
            "no model",
            Aik::new(|p| {
                p.custom_extensions = vec![tpm_san(&[(1, "id:494E5443"), (3, "id:00020000")], true)]
            }),
            bad("AIK certificate SAN lacks exactly one TPM manufacturer, model and version"),
        ),
        (
            "two manufacturers",
            Aik::new(|p| {
                let mut attributes = TPM_ATTRIBUTES.to_vec();
                attributes.push((1, "id:4E544300"));
                p.custom_extensions = vec![tpm_san(&attributes, true)]
            }),
            bad("AIK certificate SAN lacks exactly one TPM manufacturer, model and version"),
        ),
        (
            "manufacturer name",
            Aik::new(|p| {
                p.custom_extensions = vec![tpm_san(
                    &[(1, "Intel"), (2, "ICL"), (3, "id:00020000")],
                    true,
                )]
            }),
            bad(
                "AIK certificate TPM manufacturer is not a TCG vendor ID ('id:' and eight hex digits)",
            ),
        ),
        (
            "CA",
            Aik::new(|p| p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained)),
            bad("AIK certificate is a CA"),
        ),
        (
            "no basicConstraints",
            Aik::new(|p| p.is_ca = IsCa::NoCa),
            bad("AIK certificate has no single basicConstraints"),
        ),
        (
            "other AAGUID",
            Aik::new(|p| {
                p.custom_extensions
                    .push(aaguid_extension(&other_aaguid, false))
            }),
            bad("certificate AAGUID differs from authenticator data"),
        ),
        (
            "critical AAGUID",
            Aik::new(|p| {
                p.custom_extensions
                    .push(aaguid_extension(&W3C_AAGUID, true))
            }),
            bad("AAGUID extension must not be critical"),
        ),
    ];
    for (what, aik, want) in cases {
        assert_eq!(
            v.registration_with(&policy, &aik.sign(&v, |_| {}))
                .map(|_| ()),
            Err(want),
            "{what}"
        );
    }
}

#[test]
fn a_validly_signed_cert_info_is_still_checked() {
    let (v, policy) = w3c();
    let aik = Aik::new(|_| {});
    let cases = [
        (
            "extraData",
            aik.sign(&v, |st| {
                let ci = bytes(st, "certInfo");
                let (at, _) = cert_info_offsets(ci);
                ci[at] ^= 0x01;
            }),
            bad("certInfo extraData is not the hash of attToBeSigned"),
        ),
        (
            "magic",
            aik.sign(&v, |st| bytes(st, "certInfo")[0] = 0x00),
            bad("certInfo magic is not TPM_GENERATED_VALUE"),
        ),
        (
            "name",
            aik.sign(&v, |st| {
                let ci = bytes(st, "certInfo");
                let (_, at) = cert_info_offsets(ci);
                ci[at + 2] ^= 0x01;
            }),
            bad("certInfo does not name pubArea"),
        ),
    ];
    for (what, json, want) in cases {
        assert_eq!(
            v.registration_with(&policy, &json).map(|_| ()),
            Err(want),
            "{what}"
        );
    }
}

#[test]
fn a_sha1_name_follows_the_sha1_policy() {
    let (v, policy) = w3c();
    let aik = Aik::new(|_| {});
    let json = aik.sign(&v, |st| {
        // The W3C pubArea has an empty authPolicy, so only nameAlg and the Name change.
        let pub_area = bytes(st, "pubArea");
        pub_area[3] = 0x04;
        let pub_area = pub_area.clone();
        let mut name = vec![0x00, 0x04];
        name.extend(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &pub_area).as_ref());
        let ci = bytes(st, "certInfo");
        let (_, at) = cert_info_offsets(ci);
        let end = at + u16_at(ci, at - 2);
        ci.splice(at - 2..end, [&[0x00, 22][..], &name].concat());
    });
    v.registration_with(&policy, &json).unwrap();
    let mut strict = policy;
    strict.allow_sha1_attestation = false;
    assert_eq!(
        v.registration_with(&strict, &json).unwrap_err(),
        Error::AlgorithmNotAllowed(-65535)
    );
}
