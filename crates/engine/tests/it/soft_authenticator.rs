//! A software ES256 authenticator producing the JSON of a browser's
//! `PublicKeyCredential.toJSON()` (a cut-down copy of the webauthn crate's test authenticator).

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use ciborium::Value;
use latchkey_webauthn::encode_base64url;
use serde_json::json;

pub struct SoftAuthenticator {
    pair: EcdsaKeyPair,
    cose_key: Vec<u8>,
    pub credential_id: Vec<u8>,
    pub counter: u32,
    /// Flags for the next ceremony: UP and UV by default.
    pub flags: u8,
}

impl SoftAuthenticator {
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let key = Value::Map(vec![
            (1.into(), 2.into()),
            (3.into(), (-7).into()),
            ((-1).into(), 1.into()),
            ((-2).into(), Value::Bytes(point[1..33].to_vec())),
            ((-3).into(), Value::Bytes(point[33..].to_vec())),
        ]);
        let mut cose_key = Vec::new();
        ciborium::into_writer(&key, &mut cose_key).unwrap();
        let mut credential_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut credential_id).unwrap();
        Self {
            pair,
            cose_key,
            credential_id,
            counter: 0,
            flags: 0x05,
        }
    }

    fn sign(&self, auth_data: &[u8], client_data: &[u8]) -> Vec<u8> {
        let mut signed = auth_data.to_vec();
        signed.extend_from_slice(digest::digest(&digest::SHA256, client_data).as_ref());
        self.pair
            .sign(&SystemRandom::new(), &signed)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn client_data(ty: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"{ty}","challenge":"{}","origin":"{origin}","crossOrigin":false}}"#,
            encode_base64url(challenge)
        )
        .into_bytes()
    }

    fn auth_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut data = digest::digest(&digest::SHA256, rp_id.as_bytes())
            .as_ref()
            .to_vec();
        data.push(self.flags | if attested { 0x40 } else { 0 });
        data.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            data.extend_from_slice(&[0x11; 16]);
            data.extend_from_slice(
                &u16::try_from(self.credential_id.len())
                    .unwrap()
                    .to_be_bytes(),
            );
            data.extend_from_slice(&self.credential_id);
            data.extend_from_slice(&self.cose_key);
        }
        data
    }

    /// A registration with packed self attestation.
    pub fn register(&self, rp_id: &str, origin: &str, challenge: &[u8]) -> Vec<u8> {
        let client_data = Self::client_data("webauthn.create", challenge, origin);
        let auth_data = self.auth_data(rp_id, true);
        let sig = self.sign(&auth_data, &client_data);
        let object = Value::Map(vec![
            ("fmt".into(), "packed".into()),
            (
                "attStmt".into(),
                Value::Map(vec![
                    ("alg".into(), (-7).into()),
                    ("sig".into(), Value::Bytes(sig)),
                ]),
            ),
            ("authData".into(), Value::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::into_writer(&object, &mut attestation_object).unwrap();
        serde_json::to_vec(&json!({
            "id": encode_base64url(&self.credential_id),
            "rawId": encode_base64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": encode_base64url(&client_data),
                "attestationObject": encode_base64url(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }))
        .unwrap()
    }

    /// An assertion; the counter goes up first, as a hardware authenticator's does.
    pub fn assert(
        &mut self,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        user_handle: &[u8],
    ) -> Vec<u8> {
        self.counter += 1;
        let client_data = Self::client_data("webauthn.get", challenge, origin);
        let auth_data = self.auth_data(rp_id, false);
        let sig = self.sign(&auth_data, &client_data);
        serde_json::to_vec(&json!({
            "id": encode_base64url(&self.credential_id),
            "rawId": encode_base64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": encode_base64url(&client_data),
                "authenticatorData": encode_base64url(&auth_data),
                "signature": encode_base64url(&sig),
                "userHandle": encode_base64url(user_handle),
            },
            "clientExtensionResults": {},
        }))
        .unwrap()
    }
}
