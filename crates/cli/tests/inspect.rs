//! `latchkey inspect` as a user runs it: the real binary, real vector files, exit codes and JSON.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::json;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../webauthn/tests/vectors")
}

fn vector(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(vectors().join(name)).unwrap()).unwrap()
}

fn latchkey(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or_default())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `latchkey inspect KIND` of the file `input` for the vector `v`'s relying party and first
/// origin, with `options` in between; an `input` of `-` reads `stdin`.
fn inspect(
    kind: &str,
    v: &serde_json::Value,
    options: &[&str],
    input: &str,
    stdin: Option<&[u8]>,
) -> Output {
    let mut args = vec![
        "inspect",
        kind,
        "--rp-id",
        v["rp_id"].as_str().unwrap(),
        "--origin",
        v["origins"][0].as_str().unwrap(),
    ];
    args.extend_from_slice(options);
    args.push(input);
    latchkey(&args, stdin)
}

/// The JSON printed by a run that exited 0.
fn succeeded(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(out)
}

/// The vector's response JSON in a temporary file, as a user would save it from a browser; removed
/// when dropped.
struct ResponseFile(PathBuf);

impl ResponseFile {
    fn to_str(&self) -> Option<&str> {
        self.0.to_str()
    }
}

impl Drop for ResponseFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn response_file(v: &serde_json::Value, name: &str) -> ResponseFile {
    let path = std::env::temp_dir().join(format!(
        "latchkey-inspect-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, serde_json::to_vec(&v["response"]).unwrap()).unwrap();
    ResponseFile(path)
}

#[test]
fn a_valid_registration_prints_its_contents_and_exits_0() {
    let v = vector("webauthn-rs/apple-es256-touchid.json");
    let file = response_file(&v, "apple");
    let root = vectors().join("roots/apple-webauthn-root.pem");
    let out = inspect(
        "registration",
        &v,
        &[
            "--challenge",
            v["challenge"].as_str().unwrap(),
            "--trust",
            root.to_str().unwrap(),
            "--at",
            v["time"].as_str().unwrap(),
        ],
        file.to_str().unwrap(),
        None,
    );
    let json = succeeded(&out);
    assert_eq!(json["valid"], true);
    assert_eq!(json["fmt"], "apple");
    assert_eq!(json["attestation_type"], "anonca");
    assert_eq!(json["alg"], -7);
    assert_eq!(json["trusted"], true);
    assert_eq!(json["credential_id"], v["response"]["rawId"]);
    for key in ["aaguid", "public_key", "sign_count", "flags"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["flags"]["up"], true);
}

/// A DER CRL from a CA that has nothing to do with the vector's chain.
fn unrelated_crl() -> Vec<u8> {
    use rcgen::{
        CertificateParams, CertificateRevocationListParams, Issuer, KeyIdMethod, KeyPair,
        RevokedCertParams, SerialNumber, date_time_ymd,
    };
    CertificateRevocationListParams {
        this_update: date_time_ymd(2021, 1, 1),
        next_update: date_time_ymd(2021, 2, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(1u64),
            revocation_time: date_time_ymd(2021, 1, 1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&Issuer::new(
        CertificateParams::default(),
        &KeyPair::generate().unwrap(),
    ))
    .unwrap()
    .der()
    .to_vec()
}

#[test]
fn crls_are_read_from_files_and_must_be_crls() {
    let v = vector("webauthn-rs/apple-es256-touchid.json");
    let file = response_file(&v, "apple-crl");
    let root = vectors().join("roots/apple-webauthn-root.pem");
    let crl = std::env::temp_dir().join(format!("latchkey-inspect-{}.crl", std::process::id()));
    let run = |crl_bytes: &[u8]| {
        std::fs::write(&crl, crl_bytes).unwrap();
        inspect(
            "registration",
            &v,
            &[
                "--trust",
                root.to_str().unwrap(),
                "--crl",
                crl.to_str().unwrap(),
                "--at",
                v["time"].as_str().unwrap(),
            ],
            file.to_str().unwrap(),
            None,
        )
    };
    // A CRL of another CA says nothing about this chain.
    assert_eq!(succeeded(&run(&unrelated_crl()))["trusted"], true);
    let out = run(b"not a CRL");
    std::fs::remove_file(&crl).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--crl: malformed CRL"));
}

#[test]
fn stdin_works_and_the_challenge_is_optional() {
    let v = vector("webauthn-rs/none-es256-macos-passkey.json");
    let body = serde_json::to_vec(&v["response"]).unwrap();
    let out = inspect("registration", &v, &[], "-", Some(&body));
    assert_eq!(succeeded(&out)["trusted"], false);
}

#[test]
fn an_invalid_payload_names_the_failed_check_and_exits_1() {
    let v = vector("webauthn-rs/apple-es256-touchid.json");
    let file = response_file(&v, "apple-wrong-origin");
    let elsewhere = json!({"rp_id": v["rp_id"], "origins": ["https://elsewhere.example"]});
    let out = inspect(
        "registration",
        &elsewhere,
        &[],
        file.to_str().unwrap(),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let json = stdout_json(&out);
    assert_eq!(json["valid"], false);
    assert_eq!(json["error"], "origin_mismatch");

    let x = json!({"rp_id": "x", "origins": ["https://x"]});
    let garbage = inspect("registration", &x, &[], "-", Some(b"{not json"));
    assert_eq!(garbage.status.code(), Some(1));
    assert_eq!(stdout_json(&garbage)["error"], "malformed");
}

#[test]
fn an_assertion_is_checked_against_the_given_key_and_counter() {
    let v = vector("webauthn-rs/assertion-es256-yubikey5.json");
    let file = response_file(&v, "assertion");
    let run = |count: &str| {
        inspect(
            "assertion",
            &v,
            &[
                "--public-key",
                v["public_key"].as_str().unwrap(),
                "--challenge",
                v["challenge"].as_str().unwrap(),
                "--sign-count",
                count,
            ],
            file.to_str().unwrap(),
            None,
        )
    };
    let json = succeeded(&run("1"));
    assert_eq!(json["valid"], true);
    assert_eq!(json["sign_count"], 20);
    let replayed = run("20");
    assert_eq!(replayed.status.code(), Some(1));
    assert_eq!(stdout_json(&replayed)["error"], "counter_regression");
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let missing_origin = latchkey(&["inspect", "registration", "--rp-id", "x", "-"], None);
    assert_eq!(missing_origin.status.code(), Some(2));
    assert!(!missing_origin.stderr.is_empty());
    let x = json!({"rp_id": "x", "origins": ["https://x"]});
    let no_file = inspect("registration", &x, &[], "/nonexistent/file.json", None);
    assert_eq!(no_file.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("/nonexistent/file.json"));
    let bad_key = inspect("assertion", &x, &["--public-key", "!!"], "-", None);
    assert_eq!(bad_key.status.code(), Some(2));
    let help = latchkey(&["--help"], None);
    assert_eq!(help.status.code(), Some(0));
}

#[test]
fn an_mds3_blob_is_a_trust_source() {
    let v = vector("fido2-lib/fido-u2f-yubikey4.json");
    let file = response_file(&v, "u2f");
    let blob = vectors().join("fido2-lib/mds3-blob.jwt");
    let run = |at: &str| {
        inspect(
            "registration",
            &v,
            &["--trust", blob.to_str().unwrap(), "--at", at],
            file.to_str().unwrap(),
            None,
        )
    };
    // The BLOB is signed by a chain to the FIDO root built into the binary, valid in early 2022.
    assert_eq!(succeeded(&run("2022-02-15T00:00:00Z"))["trusted"], true);
    let expired = run("2023-01-01T00:00:00Z");
    assert_eq!(expired.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&expired.stderr).contains("MDS3"));
}
