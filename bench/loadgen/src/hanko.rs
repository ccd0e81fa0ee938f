//! The Hanko passkey-server wire: initialize and finalize of each ceremony, and the tenant's JWKS.

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use crate::authenticator::{self, Credential, Response};
use crate::error::Error;
use crate::tokens::{Expected, Jwks};

/// Where and as whom the load generator talks.
#[derive(Debug)]
pub struct Tenant {
    /// `http://host:port/{tenant_id}`
    pub base: String,
    pub api_key: String,
    pub origin: String,
    pub rp_id: String,
}

/// A user of the run with the credential the authenticator holds for them.
#[derive(Debug)]
pub struct User {
    pub id: String,
    pub credential: Credential,
}

/// The ceremonies the load generator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ceremony {
    Register,
    MfaRegister,
    Login,
    MfaLogin,
    Transaction,
}

/// A response ready to post to a finalize endpoint, and what the token it earns must say.
#[derive(Debug)]
pub struct Answer {
    path: &'static str,
    keyed: bool,
    response: Response,
    sub: String,
    cred: String,
    trans: Option<String>,
}

#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    tenant: Tenant,
    jwks: RwLock<Arc<Jwks>>,
}

impl Client {
    pub async fn connect(tenant: Tenant) -> Result<Self, Error> {
        let http = reqwest::Client::builder().build()?;
        let jwks = fetch_jwks(&http, &tenant.base).await?;
        Ok(Self {
            http,
            tenant,
            jwks: RwLock::new(Arc::new(jwks)),
        })
    }

    async fn post(&self, path: &str, body: &Value, keyed: bool) -> Result<(u16, String), Error> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.tenant.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body)?);
        if keyed {
            request = request.header("apiKey", &self.tenant.api_key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    async fn post_ok(&self, path: &'static str, body: &Value, keyed: bool) -> Result<Value, Error> {
        let (status, text) = self.post(path, body, keyed).await?;
        if status != 200 {
            return Err(Error::Status {
                method: "POST",
                path: path.to_owned(),
                status,
                body: text,
            });
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// A registration up to the authenticator's answer; the credential is the user's once finalized.
    pub async fn start_registration(
        &self,
        user_id: &str,
        mfa: bool,
    ) -> Result<(Credential, Answer), Error> {
        let path = if mfa {
            "/mfa/registration/initialize"
        } else {
            "/registration/initialize"
        };
        let body = json!({"user_id": user_id, "username": user_id});
        let options = self.post_ok(path, &body, true).await?;
        let (credential, response) = authenticator::create(&options, &self.tenant.origin)?;
        let answer = Answer {
            path: if mfa {
                "/mfa/registration/finalize"
            } else {
                "/registration/finalize"
            },
            keyed: mfa,
            response,
            sub: user_id.to_owned(),
            cred: credential.id.clone(),
            trans: None,
        };
        Ok((credential, answer))
    }

    /// A login (or MFA login, or transaction confirmation when `transaction` names one) up to the
    /// authenticator's answer.
    pub async fn start_login(
        &self,
        user: &mut User,
        ceremony: Ceremony,
        transaction: Option<String>,
    ) -> Result<Answer, Error> {
        let (init, finish, body) = match (ceremony, &transaction) {
            (Ceremony::MfaLogin, _) => (
                "/mfa/login/initialize",
                "/mfa/login/finalize",
                json!({"user_id": user.id}),
            ),
            (Ceremony::Transaction, Some(id)) => (
                "/transaction/initialize",
                "/transaction/finalize",
                json!({"user_id": user.id, "transaction_id": id, "transaction_data": {"amount": 42, "to": "bench"}}),
            ),
            _ => (
                "/login/initialize",
                "/login/finalize",
                json!({"user_id": user.id}),
            ),
        };
        let options = self.post_ok(init, &body, true).await?;
        let response = user.credential.get(&options, &self.tenant.origin)?;
        Ok(Answer {
            path: finish,
            keyed: ceremony != Ceremony::Login,
            response,
            sub: user.id.clone(),
            cred: user.credential.id.clone(),
            trans: transaction,
        })
    }

    /// Posts the answer; the token it returns.
    pub async fn finish(&self, answer: &Answer) -> Result<String, Error> {
        let done = self
            .post_ok(answer.path, &answer.response.body, answer.keyed)
            .await?;
        done.get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Wire(format!("{} answered without a token: {done}", answer.path)))
    }

    /// Verifies a token against the tenant's JWKS, fetched again if the token names a key it does not hold.
    pub async fn verify(&self, answer: &Answer, token: &str) -> Result<(), Error> {
        let mut jwks = self
            .jwks
            .read()
            .map_err(|_| Error::Wire("JWKS lock poisoned".into()))?
            .clone();
        if !jwks.knows(token) {
            let fresh = Arc::new(fetch_jwks(&self.http, &self.tenant.base).await?);
            *self
                .jwks
                .write()
                .map_err(|_| Error::Wire("JWKS lock poisoned".into()))? = fresh.clone();
            jwks = fresh;
        }
        jwks.verify(
            token,
            &Expected {
                sub: &answer.sub,
                cred: &answer.cred,
                aud: &self.tenant.rp_id,
                trans: answer.trans.as_deref(),
            },
        )
    }

    /// Posts an answer that must be refused with a 4xx (a replay, a tampered response).
    pub async fn expect_refusal(
        &self,
        answer: &Answer,
        body: &Value,
        what: &'static str,
    ) -> Result<(), Error> {
        let (status, text) = self.post(answer.path, body, answer.keyed).await?;
        match status {
            400..=499 => Ok(()),
            200..=299 => Err(Error::Accepted(what)),
            _ => Err(Error::Status {
                method: "POST",
                path: format!("{} ({what})", answer.path),
                status,
                body: text,
            }),
        }
    }

    pub fn replay_body(answer: &Answer) -> &Value {
        &answer.response.body
    }

    pub fn tampered_body(answer: &Answer) -> Result<Value, Error> {
        answer.response.tampered()
    }
}

async fn fetch_jwks(http: &reqwest::Client, base: &str) -> Result<Jwks, Error> {
    let url = format!("{base}/.well-known/jwks.json");
    let response = http.get(&url).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    if status != 200 {
        return Err(Error::Status {
            method: "GET",
            path: url,
            status,
            body: text,
        });
    }
    Jwks::parse(&serde_json::from_str(&text)?)
}
