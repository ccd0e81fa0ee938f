//! Checks every token a server hands out: signature against the tenant's JWKS (RS256, ES256, EdDSA),
//! and the claims that say who logged in with what.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use serde_json::Value;

use crate::authenticator::from_b64url;
use crate::error::Error;

/// The tenant's published keys, by `kid`.
#[derive(Debug)]
pub struct Jwks {
    keys: HashMap<String, (String, PKey<Public>)>,
}

/// What a token must say.
#[derive(Debug)]
pub struct Expected<'a> {
    pub sub: &'a str,
    pub cred: &'a str,
    pub aud: &'a str,
    pub trans: Option<&'a str>,
}

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a str, Error> {
    value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Token(format!("JWK without {name}: {value}")))
}

fn big(value: &Value, name: &str) -> Result<BigNum, Error> {
    Ok(BigNum::from_slice(&from_b64url(field(value, name)?)?)?)
}

fn public_key(jwk: &Value) -> Result<PKey<Public>, Error> {
    match field(jwk, "kty")? {
        "RSA" => Ok(PKey::from_rsa(Rsa::from_public_components(
            big(jwk, "n")?,
            big(jwk, "e")?,
        )?)?),
        "EC" => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            let (x, y) = (big(jwk, "x")?, big(jwk, "y")?);
            let key = EcKey::from_public_key_affine_coordinates(&group, &x, &y)?;
            Ok(PKey::from_ec_key(key)?)
        }
        "OKP" => Ok(PKey::public_key_from_raw_bytes(
            &from_b64url(field(jwk, "x")?)?,
            Id::ED25519,
        )?),
        other => Err(Error::Token(format!("JWK of unknown type {other}"))),
    }
}

impl Jwks {
    pub fn parse(document: &Value) -> Result<Self, Error> {
        let listed = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Token(format!("JWKS without keys: {document}")))?;
        let mut keys = HashMap::new();
        for jwk in listed {
            let alg = field(jwk, "alg")?.to_owned();
            keys.insert(field(jwk, "kid")?.to_owned(), (alg, public_key(jwk)?));
        }
        Ok(Self { keys })
    }

    /// Whether the token names a key this set holds (a rotated key means: fetch the JWKS again).
    pub fn knows(&self, token: &str) -> bool {
        header(token)
            .ok()
            .and_then(|h| {
                h.get("kid")
                    .and_then(Value::as_str)
                    .map(|kid| self.keys.contains_key(kid))
            })
            .unwrap_or(false)
    }

    pub fn verify(&self, token: &str, expected: &Expected<'_>) -> Result<(), Error> {
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Token(format!("not a compact JWS: {token}")));
        };
        let header = header(token)?;
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (alg, key) = self
            .keys
            .get(kid)
            .ok_or_else(|| Error::Token(format!("kid {kid:?} is not in the JWKS")))?;
        if header.get("alg").and_then(Value::as_str) != Some(alg.as_str()) {
            return Err(Error::Token(format!(
                "header {header} does not match the JWK's alg {alg}"
            )));
        }
        let signed = format!("{head}.{body}");
        let signature = from_b64url(signature)?;
        let valid = match alg.as_str() {
            "RS256" => {
                let mut verifier = Verifier::new(MessageDigest::sha256(), key)?;
                verifier.verify_oneshot(&signature, signed.as_bytes())?
            }
            "ES256" => {
                let (r, s) = signature.split_at(signature.len() / 2);
                let der = EcdsaSig::from_private_components(
                    BigNum::from_slice(r)?,
                    BigNum::from_slice(s)?,
                )?
                .to_der()?;
                let mut verifier = Verifier::new(MessageDigest::sha256(), key)?;
                signature.len() == 64 && verifier.verify_oneshot(&der, signed.as_bytes())?
            }
            "EdDSA" => {
                let mut verifier = Verifier::new_without_digest(key)?;
                verifier.verify_oneshot(&signature, signed.as_bytes())?
            }
            other => return Err(Error::Token(format!("unknown alg {other}"))),
        };
        if !valid {
            return Err(Error::Token(format!("bad signature on {token}")));
        }
        check_claims(&serde_json::from_slice(&from_b64url(body)?)?, expected)
    }
}

fn header(token: &str) -> Result<Value, Error> {
    let head = token.split('.').next().unwrap_or_default();
    Ok(serde_json::from_slice(&from_b64url(head)?)?)
}

#[expect(
    clippy::disallowed_methods,
    reason = "a binary of its own: the clock is read where it is used"
)]
fn check_claims(claims: &Value, expected: &Expected<'_>) -> Result<(), Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let wrong = |what: &str| Err(Error::Token(format!("{what} in {claims}")));
    if claims.get("sub").and_then(Value::as_str) != Some(expected.sub) {
        return wrong(&format!("sub is not {}", expected.sub));
    }
    if claims.get("cred").and_then(Value::as_str) != Some(expected.cred) {
        return wrong(&format!("cred is not {}", expected.cred));
    }
    let audience = claims.get("aud").and_then(Value::as_array);
    if !audience.is_some_and(|aud| aud.iter().any(|a| a.as_str() == Some(expected.aud))) {
        return wrong(&format!("aud does not name {}", expected.aud));
    }
    if claims.get("trans").and_then(Value::as_str) != expected.trans {
        return wrong(&format!("trans is not {:?}", expected.trans));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX);
    if exp <= now || iat > now + 60 {
        return wrong(&format!("iat/exp do not hold now ({now})"));
    }
    Ok(())
}
