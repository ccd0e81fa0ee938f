//! A software authenticator: real keys and real signatures for every algorithm latchkey supports,
//! producing the JSON a browser's `PublicKeyCredential.toJSON()` would (and, for clients that
//! serialise the credential object naively, what `JSON.stringify` makes of it).

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, PqdsaKeyPair, PqdsaSigningAlgorithm,
    RsaEncoding, RsaKeyPair,
};
use ciborium::Value as Cbor;
use latchkey_webauthn::{CoseAlgorithm, encode_base64url};
use serde_json::{Value, json};

/// The attestation statement a registration carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attestation {
    /// `packed`, signed by the credential's own key.
    PackedSelf,
    /// `none`, with an empty statement.
    None,
}

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    MlDsa(PqdsaKeyPair),
}

/// One credential on a software authenticator. The public fields are what the next ceremony
/// uses, so a test changes them to make the authenticator misbehave.
pub struct SoftAuthenticator {
    signer: Signer,
    pub alg: CoseAlgorithm,
    pub cose_key: Vec<u8>,
    pub credential_id: Vec<u8>,
    /// The signature counter of the last assertion; the next one goes up first.
    pub counter: u32,
    /// Flags for the next ceremony: UP and UV by default.
    pub flags: u8,
    pub aaguid: [u8; 16],
    pub attestation: Attestation,
    /// Extension outputs a registration writes into its authenticator data (with the ED
    /// flag), such as `credProtect`; none by default.
    pub registration_extensions: Vec<(Cbor, Cbor)>,
    /// The `clientExtensionResults` of the next ceremony, as the client would report them.
    pub client_extension_results: Value,
}

impl fmt::Debug for SoftAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftAuthenticator")
            .field("alg", &self.alg)
            .field("credential_id", &encode_base64url(&self.credential_id))
            .field("counter", &self.counter)
            .field("flags", &self.flags)
            .field("attestation", &self.attestation)
            .finish_non_exhaustive()
    }
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

fn cose(entries: Vec<(i64, Cbor)>) -> Vec<u8> {
    cbor(&Cbor::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cbor::from(k), v))
            .collect(),
    ))
}

impl SoftAuthenticator {
    /// A new ES256 credential, the algorithm every browser offers first.
    pub fn es256() -> Self {
        Self::new(CoseAlgorithm::Es256)
    }

    /// A new credential for `alg` with packed self attestation (RS1 cannot be made: aws-lc-rs
    /// does not sign with SHA-1).
    pub fn new(alg: CoseAlgorithm) -> Self {
        let rng = SystemRandom::new();
        let ec = |signing: &'static signature::EcdsaSigningAlgorithm, crv: i64| {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref()).unwrap();
            let point = pair.public_key().as_ref().to_vec();
            let half = (point.len() - 1) / 2;
            let key = cose(vec![
                (1, 2.into()),
                (3, alg.id().into()),
                (-1, crv.into()),
                (-2, Cbor::Bytes(point[1..=half].to_vec())),
                (-3, Cbor::Bytes(point[half + 1..].to_vec())),
            ]);
            (Signer::Ecdsa(pair), key)
        };
        let rsa = |encoding: &'static dyn RsaEncoding| {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let public = pair.public_key();
            let key = cose(vec![
                (1, 3.into()),
                (3, alg.id().into()),
                (
                    -1,
                    Cbor::Bytes(public.modulus().big_endian_without_leading_zero().to_vec()),
                ),
                (
                    -2,
                    Cbor::Bytes(public.exponent().big_endian_without_leading_zero().to_vec()),
                ),
            ]);
            (Signer::Rsa(pair, encoding), key)
        };
        let ml_dsa = |signing: &'static PqdsaSigningAlgorithm| {
            let pair = PqdsaKeyPair::generate(signing).unwrap();
            let key = cose(vec![
                (1, 7.into()),
                (3, alg.id().into()),
                (-1, Cbor::Bytes(pair.public_key().as_ref().to_vec())),
            ]);
            (Signer::MlDsa(pair), key)
        };
        let (signer, cose_key) = match alg {
            CoseAlgorithm::Es256 => ec(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, 1),
            CoseAlgorithm::Es384 => ec(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, 2),
            CoseAlgorithm::Es512 => ec(&signature::ECDSA_P521_SHA512_ASN1_SIGNING, 3),
            CoseAlgorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(
                    Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref(),
                )
                .unwrap();
                let key = cose(vec![
                    (1, 1.into()),
                    (3, alg.id().into()),
                    (-1, 6.into()),
                    (-2, Cbor::Bytes(pair.public_key().as_ref().to_vec())),
                ]);
                (Signer::Ed25519(pair), key)
            }
            CoseAlgorithm::Rs256 => rsa(&signature::RSA_PKCS1_SHA256),
            CoseAlgorithm::Rs384 => rsa(&signature::RSA_PKCS1_SHA384),
            CoseAlgorithm::Rs512 => rsa(&signature::RSA_PKCS1_SHA512),
            CoseAlgorithm::Ps256 => rsa(&signature::RSA_PSS_SHA256),
            CoseAlgorithm::Ps384 => rsa(&signature::RSA_PSS_SHA384),
            CoseAlgorithm::Ps512 => rsa(&signature::RSA_PSS_SHA512),
            CoseAlgorithm::Rs1 => panic!("aws-lc-rs does not sign RS1"),
            CoseAlgorithm::MlDsa44 => ml_dsa(&signature::ML_DSA_44_SIGNING),
            CoseAlgorithm::MlDsa65 => ml_dsa(&signature::ML_DSA_65_SIGNING),
            CoseAlgorithm::MlDsa87 => ml_dsa(&signature::ML_DSA_87_SIGNING),
        };
        let mut credential_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut credential_id).unwrap();
        Self {
            signer,
            alg,
            cose_key,
            credential_id,
            counter: 0,
            flags: 0x05,
            aaguid: [0x11; 16],
            attestation: Attestation::PackedSelf,
            registration_extensions: Vec::new(),
            client_extension_results: json!({}),
        }
    }

    /// The same authenticator applying credProtect `level` (any CBOR value, so that a test
    /// can send a malformed one) to the credentials it makes.
    pub fn with_cred_protect(mut self, level: Cbor) -> Self {
        self.registration_extensions
            .push((Cbor::from("credProtect"), level));
        self
    }

    /// The same authenticator reporting `aaguid` as its model.
    pub fn with_aaguid(mut self, aaguid: [u8; 16]) -> Self {
        self.aaguid = aaguid;
        self
    }

    /// The same authenticator attesting its registrations with `attestation`.
    pub fn with_attestation(mut self, attestation: Attestation) -> Self {
        self.attestation = attestation;
        self
    }

    /// `message` signed with the credential's private key.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Ecdsa(pair) => pair.sign(&rng, message).unwrap().as_ref().to_vec(),
            Signer::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            Signer::Rsa(pair, encoding) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, &rng, message, &mut sig).unwrap();
                sig
            }
            Signer::MlDsa(pair) => {
                let mut sig = vec![0u8; pair.algorithm().signature_len()];
                let len = pair.sign(message, &mut sig).unwrap();
                sig.truncate(len);
                sig
            }
        }
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
        let extensions = attested && !self.registration_extensions.is_empty();
        data.push(self.flags | if attested { 0x40 } else { 0 } | if extensions { 0x80 } else { 0 });
        data.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            data.extend_from_slice(&self.aaguid);
            data.extend_from_slice(
                &u16::try_from(self.credential_id.len())
                    .unwrap()
                    .to_be_bytes(),
            );
            data.extend_from_slice(&self.credential_id);
            data.extend_from_slice(&self.cose_key);
        }
        if extensions {
            data.extend(cbor(&Cbor::Map(self.registration_extensions.clone())));
        }
        data
    }

    fn signed(auth_data: &[u8], client_data: &[u8]) -> Vec<u8> {
        let mut signed = auth_data.to_vec();
        signed.extend_from_slice(digest::digest(&digest::SHA256, client_data).as_ref());
        signed
    }

    /// The `PublicKeyCredential` JSON around an authenticator `response`.
    fn credential(&self, response: Value) -> Value {
        json!({
            "id": encode_base64url(&self.credential_id),
            "rawId": encode_base64url(&self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": self.client_extension_results,
        })
    }

    /// A registration response for `challenge`, attested as [`Self::attestation`] says.
    pub fn register(&self, rp_id: &str, origin: &str, challenge: &[u8]) -> Value {
        let client_data = Self::client_data("webauthn.create", challenge, origin);
        let auth_data = self.auth_data(rp_id, true);
        let (fmt, statement) = match self.attestation {
            Attestation::PackedSelf => {
                let sig = self.sign(&Self::signed(&auth_data, &client_data));
                let statement = vec![
                    (Cbor::from("alg"), Cbor::from(self.alg.id())),
                    (Cbor::from("sig"), Cbor::Bytes(sig)),
                ];
                ("packed", statement)
            }
            Attestation::None => ("none", Vec::new()),
        };
        let object = cbor(&Cbor::Map(vec![
            (Cbor::from("fmt"), Cbor::from(fmt)),
            (Cbor::from("attStmt"), Cbor::Map(statement)),
            (Cbor::from("authData"), Cbor::Bytes(auth_data)),
        ]));
        self.credential(json!({
            "clientDataJSON": encode_base64url(&client_data),
            "attestationObject": encode_base64url(&object),
            "transports": ["internal"],
        }))
    }

    /// An assertion response for `challenge`; the counter goes up first, as a hardware
    /// authenticator's does.
    pub fn assert(
        &mut self,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        user_handle: &[u8],
    ) -> Value {
        self.counter += 1;
        let client_data = Self::client_data("webauthn.get", challenge, origin);
        let auth_data = self.auth_data(rp_id, false);
        let sig = self.sign(&Self::signed(&auth_data, &client_data));
        self.credential(json!({
            "clientDataJSON": encode_base64url(&client_data),
            "authenticatorData": encode_base64url(&auth_data),
            "signature": encode_base64url(&sig),
            "userHandle": encode_base64url(user_handle),
        }))
    }
}

/// What `JSON.stringify` makes of a browser's credential object rather than of its `toJSON()`:
/// the byte fields are there (some SDKs encode them by hand), every method becomes an empty
/// object, and the extension results are missing.
pub fn naively_serialised(credential: &Value) -> Value {
    let mut naive = credential.clone();
    let object = naive.as_object_mut().unwrap();
    object.remove("clientExtensionResults");
    object.insert("getClientExtensionResults".into(), json!({}));
    if object["response"].get("attestationObject").is_some() {
        object.insert("authenticatorAttachment".into(), json!("platform"));
        let response = object
            .get_mut("response")
            .and_then(Value::as_object_mut)
            .unwrap();
        response.remove("transports");
        for method in [
            "getAuthenticatorData",
            "getPublicKey",
            "getPublicKeyAlgorithm",
            "getTransports",
        ] {
            response.insert(method.into(), json!({}));
        }
    }
    naive
}

#[cfg(test)]
mod tests {
    use latchkey_webauthn::{
        AttestationFormat, Policy, RegistrationResponse, RelyingParty, TrustAnchors, UnixTime,
        verify_registration,
    };

    use super::*;

    #[test]
    fn a_none_attested_registration_names_its_model_and_verifies() {
        let authenticator = SoftAuthenticator::es256()
            .with_aaguid([0x5a; 16])
            .with_attestation(Attestation::None);
        let json = authenticator
            .register("example.test", "https://example.test", b"c")
            .to_string();
        let registered = verify_registration(
            &RelyingParty::new("example.test", ["https://example.test"]),
            &Policy::default(),
            b"c",
            &RegistrationResponse::from_json(json.as_bytes()).unwrap(),
            &TrustAnchors::none(),
            UnixTime(0),
        )
        .unwrap();
        assert_eq!(registered.fmt, AttestationFormat::None);
        assert_eq!(registered.aaguid.0, [0x5a; 16]);
        assert_eq!(registered.credential_id, authenticator.credential_id);
    }

    #[test]
    fn a_naive_serialisation_keeps_the_bytes_and_turns_methods_into_objects() {
        let mut authenticator = SoftAuthenticator::es256();
        let created = authenticator.register("example.test", "https://example.test", b"c");
        let naive = naively_serialised(&created);
        assert_eq!(
            naive["response"]["clientDataJSON"],
            created["response"]["clientDataJSON"]
        );
        assert_eq!(naive["response"]["getPublicKey"], json!({}));
        assert_eq!(naive["authenticatorAttachment"], "platform");
        assert!(naive.get("clientExtensionResults").is_none());
        let asserted = authenticator.assert("example.test", "https://example.test", b"c", b"u");
        let naive = naively_serialised(&asserted);
        assert_eq!(naive["response"], asserted["response"]);
        assert_eq!(naive["getClientExtensionResults"], json!({}));
        assert_eq!(authenticator.counter, 1);
    }
}
