//! latchkey's 1Kosmos WebAuthn wire under `/webauthn`: options and result of a login or a
//! registration, either in plain JSON under `/webauthn/u1` (a plain `licensekey` header, a
//! `sessionInfo` header on results) or sealed in the request envelope (`publickey`, encrypted
//! `licensekey` and `requestid` headers, an encrypted body and answer).

mod envelope;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::authenticator::{self, Credential, Response};
use crate::dialect::{Ceremony, Dialect, User};
use crate::error::Error;
use crate::tokens::{Expected, TenantKeys};
use envelope::Envelope;

/// The `appid` of this client's request ids.
const APP_ID: &str = "latchkey-loadgen";

/// Where and as whom the load generator talks.
#[derive(Debug)]
pub struct Community {
    /// `http://host:port`
    pub url: String,
    /// The organisation (tenant) the community belongs to; its JWKS signs the community's tokens.
    pub tenant: String,
    /// The community's id (24 hex digits).
    pub id: String,
    pub license_key: String,
    pub origin: String,
    /// The community's relying party id, sent as `dns`.
    pub dns: String,
}

/// A response ready to post to a result endpoint, and whom the server must name for it.
#[derive(Debug)]
pub struct Answer {
    path: &'static str,
    response: Response,
    sub: String,
    cred: String,
    /// A login earns a `signature_token`; a registration only names its user.
    login: bool,
}

#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    community: Community,
    /// The envelope of the encrypted routes; `None` speaks u1.
    envelope: Option<Envelope>,
    keys: TenantKeys,
    /// The `aud` of the community's tokens.
    audience: String,
}

impl Client {
    /// A client of the u1 routes, or with `encrypted` of the enveloped ones (under a key pair of
    /// its own, shared with the service's `/publickeys` key).
    pub async fn connect(community: Community, encrypted: bool) -> Result<Self, Error> {
        let http = reqwest::Client::builder().build()?;
        let base = community.url.trim_end_matches('/').to_owned();
        let envelope = if encrypted {
            let keys = get_json(&http, &format!("{base}/webauthn/publickeys")).await?;
            let service = keys
                .get("publicKey")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Wire(format!("/webauthn/publickeys answered {keys}")))?;
            Some(Envelope::new(service)?)
        } else {
            None
        };
        let jwks = format!("{base}/{}/.well-known/jwks.json", community.tenant);
        let keys = TenantKeys::fetch(&http, jwks).await?;
        Ok(Self {
            http,
            audience: format!("community:{}", community.id),
            community: Community {
                url: base,
                ..community
            },
            envelope,
            keys,
        })
    }

    /// What every options and result body carries besides its own fields.
    fn in_community(&self, body: &Value) -> Result<Value, Error> {
        let Value::Object(mut fields) = body.clone() else {
            return Err(Error::Wire(format!("a body that is no object: {body}")));
        };
        fields.insert("dns".into(), json!(self.community.dns));
        fields.insert("communityId".into(), json!(self.community.id));
        fields.insert("tenantId".into(), json!(self.community.tenant));
        Ok(Value::Object(fields))
    }

    /// Posts `body` (completed with the community fields) to `path` (`/assertion/options` and
    /// so on) on this client's routes; the status and the answer's text.
    async fn post(&self, path: &str, body: &Value) -> Result<(u16, String), Error> {
        let body = serde_json::to_vec(&self.in_community(body)?)?;
        let request = match &self.envelope {
            None if path.ends_with("/result") => self
                .http
                .post(format!("{}/webauthn/u1{path}", self.community.url))
                .header("licensekey", &self.community.license_key)
                .header("sessionInfo", session_info(&self.community.origin)?)
                .body(body),
            None => self
                .http
                .post(format!("{}/webauthn/u1{path}", self.community.url))
                .header("licensekey", &self.community.license_key)
                .body(body),
            Some(envelope) => self
                .http
                .post(format!("{}/webauthn{path}", self.community.url))
                .header("publickey", envelope.public_key())
                .header(
                    "licensekey",
                    envelope.seal(self.community.license_key.as_bytes())?,
                )
                .header("requestid", envelope.seal(&request_id()?)?)
                .body(serde_json::to_vec(&json!({"data": envelope.seal(&body)?}))?),
        };
        let response = request
            .header("content-type", "application/json")
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// Posts and reads a success: the answer's JSON, opened from its envelope on the encrypted
    /// routes.
    async fn post_ok(&self, path: &'static str, body: &Value) -> Result<Value, Error> {
        let (status, text) = self.post(path, body).await?;
        if status != 200 {
            return Err(Error::Status {
                method: "POST",
                path: path.to_owned(),
                status,
                body: text,
            });
        }
        let answer: Value = serde_json::from_str(&text)?;
        if answer.get("status").and_then(Value::as_str) != Some("ok") {
            return Err(Error::Wire(format!("{path} answered 200 with {answer}")));
        }
        let Some(envelope) = &self.envelope else {
            return Ok(answer);
        };
        let sealed = answer
            .get("data")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Wire(format!("{path} answered without sealed data: {answer}")))?;
        Ok(serde_json::from_slice(&envelope.open(sealed)?)?)
    }
}

impl Dialect for Client {
    type Answer = Answer;

    async fn start_registration(
        &self,
        user_id: &str,
        _: Ceremony,
    ) -> Result<(Credential, Answer), Error> {
        let body = json!({"username": user_id, "displayName": user_id, "attestation": "none"});
        let answer = self.post_ok("/attestation/options", &body).await?;
        // The encrypted route wraps the creation options as {data, publickey}.
        let options = match &self.envelope {
            None => answer,
            Some(_) => answer.get("data").cloned().unwrap_or_default(),
        };
        let (credential, response) =
            authenticator::create(&json!({"publicKey": options}), &self.community.origin)?;
        let answer = Answer {
            path: "/attestation/result",
            response,
            sub: user_id.to_owned(),
            cred: credential.id.clone(),
            login: false,
        };
        Ok((credential, answer))
    }

    async fn start_login(
        &self,
        user: &mut User,
        _: Ceremony,
        _: Option<String>,
    ) -> Result<Answer, Error> {
        let body = json!({"username": user.id, "displayName": user.id});
        let options = self.post_ok("/assertion/options", &body).await?;
        let response = user
            .credential
            .get(&json!({"publicKey": options}), &self.community.origin)?;
        Ok(Answer {
            path: "/assertion/result",
            response,
            sub: user.id.clone(),
            cred: user.credential.id.clone(),
            login: true,
        })
    }

    async fn finish(&self, answer: &Answer) -> Result<Value, Error> {
        self.post_ok(answer.path, &answer.response.body).await
    }

    async fn verify(&self, answer: &Answer, finished: &Value) -> Result<(), Error> {
        let sub = finished.get("data").and_then(|data| data.get("sub"));
        if sub.and_then(Value::as_str) != Some(answer.sub.as_str()) {
            return Err(Error::Wire(format!(
                "{} named another user than {}: {finished}",
                answer.path, answer.sub
            )));
        }
        if !answer.login {
            return Ok(());
        }
        let token = finished
            .get("signature_token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Wire(format!(
                    "{} answered without a signature_token: {finished}",
                    answer.path
                ))
            })?;
        let expected = Expected {
            sub: &answer.sub,
            cred: &answer.cred,
            aud: &self.audience,
            trans: None,
            community: Some(&self.community.id),
        };
        self.keys.verify(&self.http, token, &expected).await
    }

    /// A refusal is a 4xx in the dialect's failure shape. On the encrypted routes the body goes
    /// in a fresh envelope (a new request id), so what refuses it is the ceremony's check, not
    /// the envelope's replay register.
    async fn expect_refusal(
        &self,
        answer: &Answer,
        body: &Value,
        what: &'static str,
    ) -> Result<(), Error> {
        let (status, text) = self.post(answer.path, body).await?;
        let failed = || {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|answer| answer.get("status").cloned())
                == Some(json!("failed"))
        };
        match status {
            400..=499 if failed() => Ok(()),
            200..=299 => Err(Error::Accepted(what)),
            _ => Err(Error::Status {
                method: "POST",
                path: format!("{} ({what})", answer.path),
                status,
                body: text,
            }),
        }
    }

    fn response(answer: &Answer) -> &Response {
        &answer.response
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, Error> {
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
    Ok(serde_json::from_str(&text)?)
}

/// The plaintext of a `requestid` header: `{ts, appid, uuid}`, `ts` in seconds; the service
/// refuses a stale `ts` and a `uuid` it has seen.
#[expect(
    clippy::disallowed_methods,
    reason = "a binary of its own: the clock is read where it is used"
)]
fn request_id() -> Result<Vec<u8>, Error> {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(serde_json::to_vec(&json!({
        "ts": ts,
        "appid": APP_ID,
        "uuid": uuid::Uuid::new_v4().to_string(),
    }))?)
}

/// The `sessionInfo` header of the u1 calls: standard base64 of `{url, sessionId}`.
fn session_info(origin: &str) -> Result<String, Error> {
    let info =
        json!({"url": format!("{origin}/login"), "sessionId": uuid::Uuid::new_v4().to_string()});
    Ok(STANDARD.encode(serde_json::to_vec(&info)?))
}
