//! Checks every token a server hands out: signature against the tenant's JWKS (RS256, ES256, EdDSA),
//! and the claims that say who logged in with what.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
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
    /// The 1Kosmos community a community's token names.
    pub community: Option<&'a str>,
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

/// A tenant's JWKS as last fetched from `url`; fetched again when a token names a key it does not
/// hold (a rotation).
#[derive(Debug)]
pub struct TenantKeys {
    url: String,
    jwks: RwLock<Arc<Jwks>>,
}

impl TenantKeys {
    pub async fn fetch(http: &reqwest::Client, url: String) -> Result<Self, Error> {
        let jwks = fetch_jwks(http, &url).await?;
        Ok(Self {
            url,
            jwks: RwLock::new(Arc::new(jwks)),
        })
    }

    pub async fn verify(
        &self,
        http: &reqwest::Client,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<(), Error> {
        let poisoned = || Error::Wire("JWKS lock poisoned".into());
        let mut jwks = self.jwks.read().map_err(|_| poisoned())?.clone();
        if !jwks.knows(token) {
            let fresh = Arc::new(fetch_jwks(http, &self.url).await?);
            *self.jwks.write().map_err(|_| poisoned())? = fresh.clone();
            jwks = fresh;
        }
        jwks.verify(token, expected)
    }
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Jwks, Error> {
    let response = http.get(url).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    if status != 200 {
        return Err(Error::Status {
            method: "GET",
            path: url.to_owned(),
            status,
            body: text,
        });
    }
    Jwks::parse(&serde_json::from_str(&text)?)
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
    if claims.get("community").and_then(Value::as_str) != expected.community {
        return wrong(&format!("community is not {:?}", expected.community));
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

#[cfg(test)]
mod tests {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::Private;
    use serde_json::json;

    use super::*;
    use crate::authenticator::b64url;

    const NOW_ISH: i64 = 4_000_000_000;

    fn expected() -> Expected<'static> {
        Expected {
            sub: "alice",
            cred: "Y3JlZA",
            aud: "localhost",
            trans: None,
            community: None,
        }
    }

    fn claims() -> Value {
        json!({"sub": "alice", "aud": ["localhost"], "iat": 1_700_000_000, "exp": NOW_ISH, "cred": "Y3JlZA"})
    }

    fn rs256(key: &PKey<Private>, claims: &Value) -> String {
        let head = b64url(json!({"alg": "RS256", "kid": "k1"}).to_string().as_bytes());
        let signed = format!("{head}.{}", b64url(claims.to_string().as_bytes()));
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), key).unwrap();
        format!(
            "{signed}.{}",
            b64url(&signer.sign_oneshot_to_vec(signed.as_bytes()).unwrap())
        )
    }

    fn rsa_jwks(key: &PKey<Private>) -> Jwks {
        let rsa = key.rsa().unwrap();
        Jwks::parse(&json!({"keys": [{"kty": "RSA", "alg": "RS256", "kid": "k1",
            "n": b64url(&rsa.n().to_vec()), "e": b64url(&rsa.e().to_vec())}]}))
        .unwrap()
    }

    #[test]
    fn an_rs256_token_verifies_and_a_flipped_bit_does_not() {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let jwks = rsa_jwks(&key);
        let token = rs256(&key, &claims());
        jwks.verify(&token, &expected()).unwrap();
        let mut bytes = token.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(jwks.verify(&tampered, &expected()).is_err());
    }

    #[test]
    fn a_well_signed_token_for_someone_else_is_refused() {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let jwks = rsa_jwks(&key);
        let mut other = claims();
        other["sub"] = json!("mallory");
        assert!(jwks.verify(&rs256(&key, &other), &expected()).is_err());
        let mut expired = claims();
        expired["exp"] = json!(1_700_000_300);
        assert!(jwks.verify(&rs256(&key, &expired), &expected()).is_err());
        let mut transaction = claims();
        transaction["trans"] = json!("tx-1");
        assert!(
            jwks.verify(&rs256(&key, &transaction), &expected())
                .is_err()
        );
    }

    #[test]
    fn a_community_token_names_its_community_as_audience_and_claim() {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let jwks = rsa_jwks(&key);
        let community = Expected {
            aud: "community:c1",
            community: Some("c1"),
            ..expected()
        };
        let mut token = claims();
        token["aud"] = json!(["community:c1"]);
        token["community"] = json!("c1");
        jwks.verify(&rs256(&key, &token), &community).unwrap();
        assert!(
            jwks.verify(&rs256(&key, &token), &expected()).is_err(),
            "a community's token is no token of the relying party"
        );
        let mut elsewhere = token.clone();
        elsewhere["community"] = json!("c2");
        assert!(jwks.verify(&rs256(&key, &elsewhere), &community).is_err());
        assert!(jwks.verify(&rs256(&key, &claims()), &community).is_err());
    }

    #[test]
    fn an_es256_token_with_a_raw_signature_verifies() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        let mut context = openssl::bn::BigNumContext::new().unwrap();
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut context)
            .unwrap();
        let jwks = Jwks::parse(&json!({"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "e1",
            "x": b64url(&x.to_vec_padded(32).unwrap()), "y": b64url(&y.to_vec_padded(32).unwrap())}]}))
        .unwrap();
        let head = b64url(json!({"alg": "ES256", "kid": "e1"}).to_string().as_bytes());
        let signed = format!("{head}.{}", b64url(claims().to_string().as_bytes()));
        let digest = openssl::sha::sha256(signed.as_bytes());
        let signature = EcdsaSig::sign(&digest, &ec).unwrap();
        let raw = [
            signature.r().to_vec_padded(32).unwrap(),
            signature.s().to_vec_padded(32).unwrap(),
        ]
        .concat();
        jwks.verify(&format!("{signed}.{}", b64url(&raw)), &expected())
            .unwrap();
        assert!(
            jwks.verify(&format!("{signed}.{}", b64url(&raw[..63])), &expected())
                .is_err()
        );
    }
}
