//! ES256 assertion verification against the bare aws-lc-rs signature check it wraps.
//!
//! `bare_verify` is the floor: one ECDSA P-256 verification of the same message with a key parsed
//! beforehand. `verify_assertion` adds everything a relying party must do around it (user handle,
//! clientDataJSON parse and checks, authenticatorData parse and checks, hashing, counter rule);
//! `from_json_and_verify` also decodes the browser's JSON. The crate README records the ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};
use latchkey_webauthn::{
    AssertionRequest, AuthenticationResponse, CredentialPublicKey, Policy, RelyingParty,
    StoredCredential, encode_base64url, verify_assertion,
};

struct Fixture {
    key: CredentialPublicKey,
    json: Vec<u8>,
    response: AuthenticationResponse,
    signed: Vec<u8>,
    challenge: Vec<u8>,
    user: Vec<u8>,
}

fn fixture() -> Fixture {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
        .unwrap();
    let point = pair.public_key().as_ref();
    let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend_from_slice(&point[1..33]);
    cose.extend_from_slice(&[0x22, 0x58, 0x20]);
    cose.extend_from_slice(&point[33..65]);
    let key = CredentialPublicKey::from_cose(&cose).unwrap();

    let challenge = vec![7u8; 32];
    let client_data = format!(
        r#"{{"type":"webauthn.get","challenge":"{}","origin":"https://login.example.com","crossOrigin":false}}"#,
        encode_base64url(&challenge)
    );
    let mut auth_data = digest::digest(&digest::SHA256, b"example.com")
        .as_ref()
        .to_vec();
    auth_data.push(0x05);
    auth_data.extend_from_slice(&42u32.to_be_bytes());
    let mut signed = auth_data.clone();
    signed.extend_from_slice(digest::digest(&digest::SHA256, client_data.as_bytes()).as_ref());
    let sig = pair.sign(&rng, &signed).unwrap();
    let user = vec![9u8; 16];
    let json = serde_json::json!({
        "id": encode_base64url(b"credential-1"),
        "rawId": encode_base64url(b"credential-1"),
        "type": "public-key",
        "response": {
            "clientDataJSON": encode_base64url(client_data.as_bytes()),
            "authenticatorData": encode_base64url(&auth_data),
            "signature": encode_base64url(sig.as_ref()),
            "userHandle": encode_base64url(&user),
        },
        "clientExtensionResults": {}
    })
    .to_string()
    .into_bytes();
    let response = AuthenticationResponse::from_json(&json).unwrap();
    Fixture {
        key,
        json,
        response,
        signed,
        challenge,
        user,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let rp = RelyingParty::new("example.com", ["https://login.example.com"]);
    let policy = Policy::default();
    let credential = StoredCredential {
        id: b"credential-1",
        public_key: &f.key,
        sign_count: 41,
        backup_eligible: false,
        user_handle: &f.user,
    };
    let request = AssertionRequest {
        challenge: &f.challenge,
        allow_credentials: &[],
        user_handle: None,
    };
    let point = match f.key.material() {
        latchkey_webauthn::KeyMaterial::Ec2 { x, y, .. } => [&[4u8][..], x, y].concat(),
        _ => unreachable!(),
    };
    let bare = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point).unwrap();

    let mut group = c.benchmark_group("es256_assertion");
    group.bench_function("bare_verify", |b| {
        b.iter(|| {
            bare.verify_sig(std::hint::black_box(&f.signed), &f.response.signature)
                .unwrap()
        })
    });
    group.bench_function("verify_assertion", |b| {
        b.iter(|| {
            verify_assertion(
                &rp,
                &policy,
                &request,
                std::hint::black_box(&f.response),
                &credential,
            )
            .unwrap()
        })
    });
    group.bench_function("from_json_and_verify", |b| {
        b.iter(|| {
            let response =
                AuthenticationResponse::from_json(std::hint::black_box(&f.json)).unwrap();
            verify_assertion(&rp, &policy, &request, &response, &credential).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
