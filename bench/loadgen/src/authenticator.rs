//! A software authenticator with the browser's part of the ceremony: ES256 (P-256) credentials, `none`
//! attestation, user presence and verification always asserted, a sign counter that rises on every use.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rand::rand_bytes;
use openssl::sha::sha256;
use openssl::sign::Signer;
use serde_json::{Value, json};

use crate::error::Error;

const ES256: i64 = -7;
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn from_b64url(text: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| Error::Wire(format!("bad base64url {text:?}: {e}")))
}

/// One credential held by the authenticator.
#[derive(Debug)]
pub struct Credential {
    pub id: String,
    key: PKey<Private>,
    user_handle: Vec<u8>,
    counter: u32,
}

/// What the client sends to a finalize endpoint, and the challenge it answered.
#[derive(Debug)]
pub struct Response {
    pub body: Value,
}

impl Response {
    /// The same response with one bit of its signature (a login) or its challenge (a registration)
    /// flipped: a server that accepts it does not check what it claims to.
    pub fn tampered(&self) -> Result<Value, Error> {
        let mut body = self.body.clone();
        let response = body
            .get_mut("response")
            .ok_or_else(|| Error::Wire("response without a response member".into()))?;
        if let Some(signature) = response.get("signature").and_then(Value::as_str) {
            let mut bytes = from_b64url(signature)?;
            let last = bytes
                .last_mut()
                .ok_or_else(|| Error::Wire("empty signature".into()))?;
            *last ^= 0x01;
            response["signature"] = Value::String(b64url(&bytes));
        } else {
            let client_data = response
                .get("clientDataJSON")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Wire("response without clientDataJSON".into()))?;
            let mut parsed: Value = serde_json::from_slice(&from_b64url(client_data)?)?;
            let challenge = parsed
                .get("challenge")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Wire("clientDataJSON without a challenge".into()))?;
            let mut bytes = from_b64url(challenge)?;
            if let Some(first) = bytes.first_mut() {
                *first ^= 0x01;
            }
            parsed["challenge"] = Value::String(b64url(&bytes));
            response["clientDataJSON"] = Value::String(b64url(&serde_json::to_vec(&parsed)?));
        }
        Ok(body)
    }
}

/// Options arrive as `{"publicKey": {...}}`.
fn public_key(options: &Value) -> Result<&Value, Error> {
    options
        .get("publicKey")
        .ok_or_else(|| Error::Wire(format!("options without publicKey: {options}")))
}

fn text<'a>(value: &'a Value, field: &str) -> Result<&'a str, Error> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Wire(format!("options without {field}: {value}")))
}

/// The browser's clientDataJSON: the challenge is re-encoded from its bytes, as a browser does.
fn client_data(kind: &str, challenge: &str, origin: &str) -> Result<Vec<u8>, Error> {
    let challenge = b64url(&from_b64url(challenge)?);
    Ok(serde_json::to_vec(&json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    }))?)
}

fn es256_sign(key: &PKey<Private>, auth_data: &[u8], client_data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(auth_data)?;
    signer.update(&sha256(client_data))?;
    Ok(signer.sign_to_vec()?)
}

/// navigator.credentials.create() for creation options: a new credential and the JSON the client posts.
pub fn create(options: &Value, origin: &str) -> Result<(Credential, Response), Error> {
    let pk = public_key(options)?;
    let rp_id = pk
        .get("rp")
        .and_then(|rp| rp.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Wire(format!("creation options without rp.id: {pk}")))?;
    let user_handle = from_b64url(text(pk.get("user").unwrap_or(&Value::Null), "id")?)?;
    let client_data = client_data("webauthn.create", text(pk, "challenge")?, origin)?;

    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let ec = EcKey::generate(&group)?;
    let (mut x, mut y) = (openssl::bn::BigNum::new()?, openssl::bn::BigNum::new()?);
    let mut context = BigNumContext::new()?;
    ec.public_key()
        .affine_coordinates(&group, &mut x, &mut y, &mut context)?;
    let mut raw_id = [0u8; 32];
    rand_bytes(&mut raw_id)?;
    let id = b64url(&raw_id);

    let mut cose = Cbor::default();
    cose.map(5);
    cose.int(1).int(2); // kty: EC2
    cose.int(3).int(ES256);
    cose.int(-1).int(1); // crv: P-256
    cose.int(-2).bytes(&x.to_vec_padded(32)?);
    cose.int(-3).bytes(&y.to_vec_padded(32)?);

    let mut auth_data = Vec::with_capacity(37 + 16 + 2 + raw_id.len() + 77);
    auth_data.extend_from_slice(&sha256(rp_id.as_bytes()));
    auth_data.push(FLAG_UP | FLAG_UV | FLAG_AT);
    auth_data.extend_from_slice(&0u32.to_be_bytes());
    auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
    auth_data.extend_from_slice(&(raw_id.len() as u16).to_be_bytes());
    auth_data.extend_from_slice(&raw_id);
    auth_data.extend_from_slice(&cose.0);

    let mut attestation = Cbor::default();
    attestation.map(3);
    attestation.text("fmt").text("none");
    attestation.text("attStmt").map(0);
    attestation.text("authData").bytes(&auth_data);

    let body = json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(&client_data),
            "attestationObject": b64url(&attestation.0),
            "transports": ["internal"],
        },
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {},
    });
    let credential = Credential {
        id,
        key: PKey::from_ec_key(ec)?,
        user_handle,
        counter: 0,
    };
    Ok((credential, Response { body }))
}

impl Credential {
    /// The user handle the creation options named.
    pub fn user_handle(&self) -> &[u8] {
        &self.user_handle
    }

    /// navigator.credentials.get() for request options, with this credential.
    pub fn get(&mut self, options: &Value, origin: &str) -> Result<Response, Error> {
        let pk = public_key(options)?;
        let rp_id = text(pk, "rpId")?;
        let client_data = client_data("webauthn.get", text(pk, "challenge")?, origin)?;
        self.counter += 1;
        let mut auth_data = Vec::with_capacity(37);
        auth_data.extend_from_slice(&sha256(rp_id.as_bytes()));
        auth_data.push(FLAG_UP | FLAG_UV);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let signature = es256_sign(&self.key, &auth_data, &client_data)?;
        let body = json!({
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(&client_data),
                "authenticatorData": b64url(&auth_data),
                "signature": b64url(&signature),
                "userHandle": b64url(&self.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        });
        Ok(Response { body })
    }
}

/// Just enough CBOR (RFC 8949) for a COSE key and an attestation object.
#[derive(Default)]
struct Cbor(Vec<u8>);

impl Cbor {
    fn head(&mut self, major: u8, value: u64) -> &mut Self {
        let major = major << 5;
        match value {
            0..=23 => self.0.push(major | value as u8),
            24..=0xff => self.0.extend_from_slice(&[major | 24, value as u8]),
            0x100..=0xffff => {
                self.0.push(major | 25);
                self.0.extend_from_slice(&(value as u16).to_be_bytes());
            }
            _ => {
                self.0.push(major | 26);
                self.0.extend_from_slice(&(value as u32).to_be_bytes());
            }
        }
        self
    }

    fn int(&mut self, value: i64) -> &mut Self {
        if value >= 0 {
            self.head(0, value.unsigned_abs())
        } else {
            self.head(1, value.unsigned_abs() - 1)
        }
    }

    fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.head(2, value.len() as u64);
        self.0.extend_from_slice(value);
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.head(3, value.len() as u64);
        self.0.extend_from_slice(value.as_bytes());
        self
    }

    fn map(&mut self, entries: u64) -> &mut Self {
        self.head(5, entries)
    }
}

#[cfg(test)]
mod tests {
    use openssl::ecdsa::EcdsaSig;
    use serde_json::json;

    use super::*;

    #[test]
    fn cbor_heads_follow_rfc_8949() {
        let mut cbor = Cbor::default();
        cbor.int(10)
            .int(24)
            .int(-1)
            .int(-300)
            .text("a")
            .bytes(&[1, 2])
            .map(0);
        assert_eq!(
            cbor.0,
            [
                0x0a, 0x18, 0x18, 0x20, 0x39, 0x01, 0x2b, 0x61, b'a', 0x42, 1, 2, 0xa0
            ]
        );
    }

    fn request_options() -> Value {
        json!({"publicKey": {"challenge": b64url(&[7u8; 32]), "rpId": "localhost"}})
    }

    #[test]
    fn an_assertion_verifies_with_the_credential_key_and_its_tampered_twin_does_not() {
        let creation = json!({"publicKey": {"rp": {"id": "localhost"}, "user": {"id": b64url(b"alice")},
            "challenge": b64url(&[1u8; 32])}});
        let (mut credential, _) = create(&creation, "http://localhost:8080").unwrap();
        let response = credential
            .get(&request_options(), "http://localhost:8080")
            .unwrap();
        let field = |body: &Value, name: &str| {
            from_b64url(body["response"][name].as_str().unwrap()).unwrap()
        };
        let (auth_data, client_data) = (
            field(&response.body, "authenticatorData"),
            field(&response.body, "clientDataJSON"),
        );
        assert_eq!(auth_data[32], FLAG_UP | FLAG_UV);
        assert_eq!(auth_data[33..37], 1u32.to_be_bytes());
        let digest = openssl::sha::sha256(&[auth_data.as_slice(), &sha256(&client_data)].concat());
        let ec = credential.key.ec_key().unwrap();
        let verifies = |signature: &[u8]| {
            EcdsaSig::from_der(signature)
                .unwrap()
                .verify(&digest, &ec)
                .unwrap()
        };
        assert!(verifies(&field(&response.body, "signature")));
        assert!(!verifies(&field(
            &response.tampered().unwrap(),
            "signature"
        )));
        assert_eq!(field(&response.body, "userHandle"), b"alice");
    }
}
