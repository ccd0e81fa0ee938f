use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaPublicKeyComponents};
use serde_json::Value;

use super::*;

/// `tests/vectors/hanko-jwk/rsa-4096.json`: see the README beside it for how it was made.
fn vector() -> Value {
    let text = include_str!("../../../tests/vectors/hanko-jwk/rsa-4096.json");
    serde_json::from_str(text).unwrap()
}

fn field<'a>(vector: &'a Value, name: &str) -> &'a str {
    vector[name].as_str().unwrap()
}

fn secret(text: &str) -> OriginalSecret {
    OriginalSecret::new(text.to_owned())
}

#[test]
fn a_key_sealed_by_the_original_opens_with_its_secret_among_others() {
    let vector = vector();
    let secrets = [
        secret("another-secret-of-the-config"),
        secret(field(&vector, "secret")),
    ];

    let jwk = open_original_jwk(field(&vector, "key_data"), &secrets).unwrap();

    assert_eq!(jwk.kid.hyphenated().to_string(), field(&vector, "kid"));
    // The private key is the one the vector's public half verifies.
    let pair = RsaKeyPair::from_pkcs8(&jwk.pkcs8).unwrap();
    let mut signature = vec![0; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(&RSA_PKCS1_SHA256, &rng, b"header.payload", &mut signature)
        .unwrap();
    let public = RsaPublicKeyComponents {
        n: URL_SAFE_NO_PAD.decode(field(&vector, "n")).unwrap(),
        e: URL_SAFE_NO_PAD.decode(field(&vector, "e")).unwrap(),
    };
    public
        .verify(&RSA_PKCS1_2048_8192_SHA256, b"header.payload", &signature)
        .unwrap();
    assert_eq!(pair.public_modulus_len(), 512);
}

#[test]
fn a_key_does_not_open_without_its_secret() {
    let vector = vector();
    let error = open_original_jwk(
        field(&vector, "key_data"),
        &[secret("not-the-right-secret")],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("none of the given secrets"),
        "{error}"
    );
}

#[test]
fn a_tampered_key_does_not_open() {
    let vector = vector();
    let mut sealed = URL_SAFE.decode(field(&vector, "key_data")).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    let error = open_original_jwk(
        &URL_SAFE.encode(sealed),
        &[secret(field(&vector, "secret"))],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("none of the given secrets"),
        "{error}"
    );
}

#[test]
fn der_integers_are_minimal_and_positive() {
    assert_eq!(der_integer(&[0, 0, 1]), [0x02, 1, 1]);
    assert_eq!(der_integer(&[0x80]), [0x02, 2, 0, 0x80]);
    assert_eq!(der_integer(&[0]), [0x02, 1, 0]);
    assert_eq!(der_tagged(0x30, &[7; 200])[..3], [0x30, 0x81, 200]);
    assert_eq!(der_tagged(0x30, &[7; 300])[..4], [0x30, 0x82, 1, 44]);
}

#[test]
fn the_secret_is_never_printed() {
    let printed = format!("{:?}", secret("needsToBeAtLeast16"));
    assert!(!printed.contains("needsToBeAtLeast16"));
}
