//! The token a finished ceremony returns, and the JWKS that verifies it, as the original server
//! makes them: a compact JWS with header `{"alg","kid","typ":"JWT"}` and the claims `sub`, `aud`,
//! `iat`, `exp`, `cred` and, for a transaction, `trans`; nothing else. (A 1Kosmos community's
//! tokens add `community`, and name it, not the RP ID, as `aud`.)

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RsaPublicKeyComponents, RsaSubjectPublicKey, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::keys::Signer;
use crate::model::{SigningAlgorithm, SigningKey};
use crate::{Error, Result};

/// Seconds from `iat` to `exp`.
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The tenant's own id of the user.
    pub sub: String,
    /// The relying party id, as a one-element array; for a community's token, its
    /// [`community_audience`].
    pub aud: Vec<String>,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry, in seconds since the Unix epoch: [`TOKEN_LIFETIME_SECONDS`] after `iat`.
    pub exp: i64,
    /// The credential used, base64url without padding.
    pub cred: String,
    /// The transaction id, for a confirmed transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trans: Option<String>,
    /// The community, for a token of a 1Kosmos community.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
}

impl Claims {
    /// The claims of a token issued at `now` for the user the tenant calls `user_id`, who used
    /// `credential_id`, for the relying party `rp_id` (and the transaction, if any).
    pub fn new(
        user_id: &str,
        rp_id: &str,
        credential_id: &[u8],
        transaction_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Self {
        let iat = now.unix_timestamp();
        Self {
            sub: user_id.to_owned(),
            aud: vec![rp_id.to_owned()],
            iat,
            exp: iat + TOKEN_LIFETIME_SECONDS,
            cred: URL_SAFE_NO_PAD.encode(credential_id),
            trans: transaction_id.map(str::to_owned),
            community: None,
        }
    }
}

/// The audience of a 1Kosmos community's tokens: `community:{id}`. It contains a colon, which
/// no domain name and so no RP ID has, so no relying party that checks `aud` against its RP ID
/// takes a community's token for its own.
pub fn community_audience(community: &str) -> String {
    format!("community:{community}")
}

#[derive(Serialize)]
struct Header {
    alg: &'static str,
    kid: Uuid,
    typ: &'static str,
}

/// The compact JWS of `claims`, signed by `signer`.
pub fn sign_token(signer: &Signer, claims: &Claims) -> Result<String> {
    sign_jwt(signer, claims)
}

/// The compact JWS of any claims, signed by `signer` with the header every latchkey token has.
pub(crate) fn sign_jwt<T: Serialize>(signer: &Signer, claims: &T) -> Result<String> {
    let header = Header {
        alg: jws_algorithm(signer.algorithm()),
        kid: signer.kid(),
        typ: "JWT",
    };
    let header = serde_json::to_vec(&header).map_err(|_| Error::Crypto("token header"))?;
    let claims = serde_json::to_vec(claims).map_err(|_| Error::Crypto("token claims"))?;
    let mut token = String::new();
    URL_SAFE_NO_PAD.encode_string(header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let signature = signer.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// The JWKS document of a tenant: every key, oldest first, so that tokens signed before a
/// rotation still verify.
pub fn jwks(keys: &[SigningKey]) -> Result<Value> {
    let mut ordered: Vec<&SigningKey> = keys.iter().collect();
    ordered.sort_by_key(|key| key.created_at);
    let keys = ordered.into_iter().map(jwk).collect::<Result<Vec<_>>>()?;
    Ok(json!({ "keys": keys }))
}

fn jwk(key: &SigningKey) -> Result<Value> {
    let corrupt = |_| Error::Crypto("stored public key does not parse");
    let kid = key.id.to_string();
    let alg = jws_algorithm(key.algorithm);
    Ok(match key.algorithm {
        SigningAlgorithm::RS256 => {
            let public = RsaSubjectPublicKey::from_der(&key.public_key).map_err(corrupt)?;
            json!({
                "kty": "RSA",
                "kid": kid,
                "alg": alg,
                "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
                "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            })
        }
        SigningAlgorithm::ES256 => {
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key.public_key).map_err(corrupt)?;
            let point = key
                .public_key
                .strip_prefix(P256_SPKI_PREFIX.as_slice())
                .ok_or(Error::Crypto("stored public key is not a P-256 point"))?;
            let (x, y) = point
                .split_at_checked(32)
                .filter(|(_, y)| y.len() == 32)
                .ok_or(Error::Crypto("stored public key is not a P-256 point"))?;
            json!({
                "kty": "EC",
                "crv": "P-256",
                "kid": kid,
                "alg": alg,
                "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(x),
                "y": URL_SAFE_NO_PAD.encode(y),
            })
        }
        SigningAlgorithm::EdDSA => {
            ParsedPublicKey::new(&ED25519, &key.public_key).map_err(corrupt)?;
            let x = key
                .public_key
                .strip_prefix(ED25519_SPKI_PREFIX.as_slice())
                .filter(|x| x.len() == 32)
                .ok_or(Error::Crypto("stored public key is not an Ed25519 key"))?;
            json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "kid": kid,
                "alg": alg,
                "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(x),
            })
        }
    })
}

/// A P-256 SubjectPublicKeyInfo up to the point's coordinates: SEQUENCE { AlgorithmIdentifier {
/// id-ecPublicKey, prime256v1 }, BIT STRING { 04 (uncompressed) ‖ x ‖ y } }. DER allows no other
/// encoding, and aws-lc-rs, which checks the key, has no accessor for the point of a parsed one.
const P256_SPKI_PREFIX: [u8; 27] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
];
/// An Ed25519 SubjectPublicKeyInfo up to the key: SEQUENCE { AlgorithmIdentifier { id-Ed25519 },
/// BIT STRING { x } }.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Verifies `token` against a JWKS document (as [`jwks`] makes it) at `now`: the key named by the
/// header's `kid`, the header's `alg` equal to that key's, the signature, and `exp` after `now`.
/// Returns the claims.
pub fn verify_token(jwks: &Value, token: &str, now: OffsetDateTime) -> Result<Claims> {
    let claims: Claims = verify_signature(jwks, token)?;
    if now.unix_timestamp() >= claims.exp {
        return Err(Error::Token("expired"));
    }
    Ok(claims)
}

/// The claims of `token` once its signature verified against `jwks` (the key named by the
/// header's `kid`, the header's `alg` equal to that key's); the caller checks the times.
pub(crate) fn verify_signature<T: DeserializeOwned>(jwks: &Value, token: &str) -> Result<T> {
    let (signed, signature) = token
        .rsplit_once('.')
        .ok_or(Error::Token("not a compact JWS"))?;
    let (header, claims) = signed
        .split_once('.')
        .ok_or(Error::Token("not a compact JWS"))?;
    if claims.contains('.') {
        return Err(Error::Token("not a compact JWS"));
    }
    let header: TokenHeader = decode_part(header)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Error::Token("signature is not base64url"))?;

    let jwk: Jwk = jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|jwk| jwk.get("kid").and_then(Value::as_str) == Some(header.kid.as_str()))
        .ok_or(Error::Token("unknown key id"))
        .and_then(|jwk| {
            Jwk::deserialize(jwk).map_err(|_| Error::Token("key in the JWKS is malformed"))
        })?;
    if jwk.alg.as_deref() != Some(header.alg.as_str()) {
        return Err(Error::Token("algorithm does not match the key"));
    }
    jwk.verify(signed.as_bytes(), &signature)?;
    decode_part(claims)
}

#[derive(Deserialize)]
struct TokenHeader {
    alg: String,
    kid: String,
}

/// The members of a JWK that verification reads.
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl Jwk {
    /// Verifies with the key rebuilt from its JWK members (not from our stored DER), so that a
    /// verified token also proves the JWKS right.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let member = |value: &Option<String>| {
            let text = value
                .as_deref()
                .ok_or(Error::Token("key in the JWKS is incomplete"))?;
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| Error::Token("key in the JWKS is malformed"))
        };
        let verified = match (self.kty.as_str(), self.alg.as_deref(), self.crv.as_deref()) {
            ("RSA", Some("RS256"), None) => RsaPublicKeyComponents {
                n: member(&self.n)?,
                e: member(&self.e)?,
            }
            .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature),
            ("EC", Some("ES256"), Some("P-256")) => {
                let point = [vec![0x04], member(&self.x)?, member(&self.y)?].concat();
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature)
            }
            ("OKP", Some("EdDSA"), Some("Ed25519")) => {
                UnparsedPublicKey::new(&ED25519, member(&self.x)?).verify(message, signature)
            }
            _ => return Err(Error::Token("unsupported key type")),
        };
        verified.map_err(|_| Error::Token("bad signature"))
    }
}

fn decode_part<T: DeserializeOwned>(part: &str) -> Result<T> {
    let json = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::Token("part is not base64url"))?;
    serde_json::from_slice(&json).map_err(|_| Error::Token("part is not the expected JSON"))
}

fn jws_algorithm(algorithm: SigningAlgorithm) -> &'static str {
    match algorithm {
        SigningAlgorithm::RS256 => "RS256",
        SigningAlgorithm::ES256 => "ES256",
        SigningAlgorithm::EdDSA => "EdDSA",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    use super::*;
    use crate::keys::{RsaKeySize, current_signing_key, generate_signing_key};
    use crate::model::TenantId;
    use crate::secrets::MasterKey;

    const ALGORITHMS: [SigningAlgorithm; 3] = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
    ];

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    fn key(algorithm: SigningAlgorithm, master: &MasterKey, created: i64) -> SigningKey {
        let tenant = TenantId(Uuid::from_u128(7));
        generate_signing_key(
            tenant,
            algorithm,
            RsaKeySize::default(),
            master,
            at(created),
        )
        .unwrap()
    }

    fn claims(now: i64, transaction: Option<&str>) -> Claims {
        Claims::new(
            "user-42",
            "login.example.com",
            &[0xFB, 0xFF, 0x00, 0x01],
            transaction,
            at(now),
        )
    }

    fn json_part(token: &str, index: usize) -> serde_json::Map<String, Value> {
        let part = token.split('.').nth(index).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn names(object: &serde_json::Map<String, Value>) -> BTreeSet<&str> {
        object.keys().map(String::as_str).collect()
    }

    /// Verifies with the `jsonwebtoken` crate (pure-Rust RSA, P-256 and Ed25519, its own JWK
    /// parsing): an implementation that shares no code with ours.
    fn verify_independently(jwks: &Value, token: &str, now: i64) -> Claims {
        let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        let jwk = set.find(&kid).unwrap();
        let algorithm = match jwk.common.key_algorithm.unwrap() {
            jsonwebtoken::jwk::KeyAlgorithm::RS256 => Algorithm::RS256,
            jsonwebtoken::jwk::KeyAlgorithm::ES256 => Algorithm::ES256,
            jsonwebtoken::jwk::KeyAlgorithm::EdDSA => Algorithm::EdDSA,
            other => panic!("unexpected {other:?}"),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&["login.example.com"]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        // jsonwebtoken reads the clock; our tokens are minted at a fixed past time.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation,
        )
        .unwrap();
        assert!(now < data.claims.exp);
        data.claims
    }

    #[test]
    fn tokens_of_every_algorithm_verify_with_the_jwks_here_and_independently() {
        let master = MasterKey::generate().unwrap();
        for algorithm in ALGORITHMS {
            let key = key(algorithm, &master, 1_000);
            let signer = Signer::load(&key, &master).unwrap();
            let claims = claims(1_700_000_000, None);
            let token = sign_token(&signer, &claims).unwrap();
            let jwks = jwks(std::slice::from_ref(&key)).unwrap();

            assert_eq!(
                verify_token(&jwks, &token, at(1_700_000_000)).unwrap(),
                claims
            );
            assert_eq!(verify_independently(&jwks, &token, 1_700_000_000), claims);
        }
    }

    #[test]
    fn header_and_claims_are_exactly_the_originals() {
        let master = MasterKey::generate().unwrap();
        for algorithm in ALGORITHMS {
            let key = key(algorithm, &master, 1_000);
            let signer = Signer::load(&key, &master).unwrap();
            let token = sign_token(&signer, &claims(1_700_000_000, None)).unwrap();

            let header = token.split('.').next().unwrap();
            let header = String::from_utf8(URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
            let alg = jws_algorithm(algorithm);
            assert_eq!(
                header,
                format!(r#"{{"alg":"{alg}","kid":"{}","typ":"JWT"}}"#, key.id)
            );

            let payload = json_part(&token, 1);
            assert_eq!(
                names(&payload),
                BTreeSet::from(["sub", "aud", "iat", "exp", "cred"])
            );
            assert_eq!(payload["sub"], "user-42");
            assert_eq!(payload["aud"], json!(["login.example.com"]));
            assert_eq!(payload["iat"], 1_700_000_000);
            assert_eq!(payload["exp"], 1_700_000_300);
            assert_eq!(payload["cred"], "-_8AAQ");
        }
    }

    #[test]
    fn transaction_tokens_add_trans() {
        let master = MasterKey::generate().unwrap();
        let key = key(SigningAlgorithm::RS256, &master, 1_000);
        let signer = Signer::load(&key, &master).unwrap();
        let claims = claims(1_700_000_000, Some("tx-1"));
        let token = sign_token(&signer, &claims).unwrap();

        let payload = json_part(&token, 1);
        assert_eq!(
            names(&payload),
            BTreeSet::from(["sub", "aud", "iat", "exp", "cred", "trans"])
        );
        assert_eq!(payload["trans"], "tx-1");
        let jwks = jwks(&[key]).unwrap();
        assert_eq!(
            verify_token(&jwks, &token, at(1_700_000_299)).unwrap(),
            claims
        );
        assert_eq!(verify_independently(&jwks, &token, 1_700_000_299), claims);
    }

    #[test]
    fn jwks_members_per_key_type() {
        let master = MasterKey::generate().unwrap();
        let keys = [
            key(SigningAlgorithm::RS256, &master, 1),
            key(SigningAlgorithm::ES256, &master, 2),
            key(SigningAlgorithm::EdDSA, &master, 3),
        ];
        let jwks = jwks(&keys).unwrap();
        let object = jwks.as_object().unwrap();
        assert_eq!(names(object), BTreeSet::from(["keys"]));
        let published = jwks["keys"].as_array().unwrap();
        assert_eq!(published.len(), 3);

        let rsa = published[0].as_object().unwrap();
        assert_eq!(
            names(rsa),
            BTreeSet::from(["kty", "kid", "alg", "use", "n", "e"])
        );
        assert_eq!(
            (&rsa["kty"], &rsa["alg"], &rsa["use"]),
            (&json!("RSA"), &json!("RS256"), &json!("sig"))
        );
        assert_eq!(rsa["kid"], keys[0].id.to_string());
        assert_eq!(rsa["e"], "AQAB");
        let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256);
        assert!(
            n[0] >= 0x80,
            "a 2048-bit modulus has its top bit set, so no leading zero byte"
        );

        let ec = published[1].as_object().unwrap();
        assert_eq!(
            names(ec),
            BTreeSet::from(["kty", "crv", "kid", "alg", "use", "x", "y"])
        );
        assert_eq!(
            (&ec["kty"], &ec["crv"], &ec["alg"]),
            (&json!("EC"), &json!("P-256"), &json!("ES256"))
        );
        assert_eq!(
            (ec["kid"].as_str().unwrap(), &ec["use"]),
            (keys[1].id.to_string().as_str(), &json!("sig"))
        );
        for coordinate in ["x", "y"] {
            assert_eq!(
                URL_SAFE_NO_PAD
                    .decode(ec[coordinate].as_str().unwrap())
                    .unwrap()
                    .len(),
                32
            );
        }
        let point = [
            vec![4],
            URL_SAFE_NO_PAD.decode(ec["x"].as_str().unwrap()).unwrap(),
            URL_SAFE_NO_PAD.decode(ec["y"].as_str().unwrap()).unwrap(),
        ]
        .concat();
        assert!(keys[1].public_key.ends_with(&point));

        let okp = published[2].as_object().unwrap();
        assert_eq!(
            names(okp),
            BTreeSet::from(["kty", "crv", "kid", "alg", "use", "x"])
        );
        assert_eq!(
            (&okp["kty"], &okp["crv"], &okp["alg"]),
            (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"))
        );
        assert_eq!(
            (okp["kid"].as_str().unwrap(), &okp["use"]),
            (keys[2].id.to_string().as_str(), &json!("sig"))
        );
        let x = URL_SAFE_NO_PAD.decode(okp["x"].as_str().unwrap()).unwrap();
        assert_eq!(x.len(), 32);
        assert!(keys[2].public_key.ends_with(&x));
    }

    #[test]
    fn jwks_lists_keys_oldest_first() {
        let master = MasterKey::generate().unwrap();
        let older = key(SigningAlgorithm::EdDSA, &master, 10);
        let newer = key(SigningAlgorithm::EdDSA, &master, 20);
        for keys in [
            [older.clone(), newer.clone()],
            [newer.clone(), older.clone()],
        ] {
            let kids: Vec<_> = jwks(&keys).unwrap()["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].clone())
                .collect();
            assert_eq!(
                kids,
                [json!(older.id.to_string()), json!(newer.id.to_string())]
            );
        }
        assert_eq!(jwks(&[]).unwrap(), json!({ "keys": [] }));
    }

    #[test]
    fn rotation_switches_the_signer_and_keeps_old_tokens_valid() {
        let master = MasterKey::generate().unwrap();
        let mut keys = vec![key(SigningAlgorithm::RS256, &master, 1_000)];
        let first = Signer::load(current_signing_key(&keys).unwrap(), &master).unwrap();
        let old_token = sign_token(&first, &claims(1_700_000_000, None)).unwrap();

        keys.push(key(SigningAlgorithm::RS256, &master, 2_000));
        keys.push(key(SigningAlgorithm::ES256, &master, 3_000));
        let current = current_signing_key(&keys).unwrap();
        assert_eq!(current.id, keys[2].id);
        let second = Signer::load(current, &master).unwrap();
        let new_token = sign_token(&second, &claims(1_700_000_100, None)).unwrap();
        assert_eq!(json_part(&new_token, 0)["kid"], keys[2].id.to_string());
        assert_eq!(json_part(&new_token, 0)["alg"], "ES256");

        let jwks = jwks(&keys).unwrap();
        for token in [&old_token, &new_token] {
            assert_eq!(
                verify_token(&jwks, token, at(1_700_000_200)).unwrap().sub,
                "user-42"
            );
            assert_eq!(
                verify_independently(&jwks, token, 1_700_000_200).sub,
                "user-42"
            );
        }
        // Only when its key is no longer published does an old token stop verifying.
        let without_first = super::jwks(&keys[1..]).unwrap();
        assert!(matches!(
            verify_token(&without_first, &old_token, at(1_700_000_200)),
            Err(Error::Token("unknown key id"))
        ));
    }

    #[test]
    fn verification_refuses_expired_tampered_and_unknown_tokens() {
        let master = MasterKey::generate().unwrap();
        let rsa = key(SigningAlgorithm::RS256, &master, 1);
        let ec = key(SigningAlgorithm::ES256, &master, 2);
        let jwks = jwks(&[rsa.clone(), ec.clone()]).unwrap();
        let signer = Signer::load(&rsa, &master).unwrap();
        let token = sign_token(&signer, &claims(1_700_000_000, None)).unwrap();
        let refusal = |token: &str, now: i64| match verify_token(&jwks, token, at(now)) {
            Err(Error::Token(reason)) => reason,
            other => panic!("{other:?}"),
        };

        assert!(verify_token(&jwks, &token, at(1_700_000_299)).is_ok());
        assert_eq!(refusal(&token, 1_700_000_300), "expired");
        assert_eq!(refusal(&token, 1_800_000_000), "expired");

        let [header, payload, signature]: [&str; 3] =
            token.split('.').collect::<Vec<_>>().try_into().unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","aud":["login.example.com"],"iat":1700000000,"exp":1700000300,"cred":"AA"}"#);
        assert_eq!(
            refusal(&format!("{header}.{forged}.{signature}"), 1_700_000_000),
            "bad signature"
        );
        let mut flipped = URL_SAFE_NO_PAD.decode(signature).unwrap();
        flipped[0] ^= 1;
        let flipped = URL_SAFE_NO_PAD.encode(flipped);
        assert_eq!(
            refusal(&format!("{header}.{payload}.{flipped}"), 1_700_000_000),
            "bad signature"
        );

        // The same claims under the ES256 key's kid: signed by the wrong key.
        let other_kid = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"RS256","kid":"{}","typ":"JWT"}}"#,
            ec.id
        ));
        assert_eq!(
            refusal(&format!("{other_kid}.{payload}.{signature}"), 1_700_000_000),
            "algorithm does not match the key"
        );
        let other_alg = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"ES256","kid":"{}","typ":"JWT"}}"#,
            ec.id
        ));
        assert_eq!(
            refusal(&format!("{other_alg}.{payload}.{signature}"), 1_700_000_000),
            "bad signature"
        );
        let none = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","kid":"{}","typ":"JWT"}}"#,
            rsa.id
        ));
        assert_eq!(
            refusal(&format!("{none}.{payload}."), 1_700_000_000),
            "algorithm does not match the key"
        );
        let unknown = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"RS256","kid":"{}","typ":"JWT"}}"#,
            Uuid::nil()
        ));
        assert_eq!(
            refusal(&format!("{unknown}.{payload}.{signature}"), 1_700_000_000),
            "unknown key id"
        );

        for malformed in [
            "",
            "a.b",
            "a.b.c.d",
            &format!("{token}."),
            &format!("{header}.{payload}"),
            "...",
        ] {
            assert!(
                matches!(verify_token(&jwks, malformed, at(0)), Err(Error::Token(_))),
                "{malformed:?}"
            );
        }
        let padded = format!("{header}.{payload}.{signature}=");
        assert_eq!(
            refusal(&padded, 1_700_000_000),
            "signature is not base64url"
        );
    }
}
