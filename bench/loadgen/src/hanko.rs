//! The Hanko passkey-server wire: initialize and finalize of each ceremony, and the tenant's JWKS.

use serde_json::{Value, json};

use crate::authenticator::{self, Credential, Response};
use crate::dialect::{Ceremony, Dialect, User, refused};
use crate::error::Error;
use crate::tokens::{Expected, TenantKeys};

/// Where and as whom the load generator talks.
#[derive(Debug)]
pub struct Tenant {
    /// `http://host:port/{tenant_id}`
    pub base: String,
    pub api_key: String,
    pub origin: String,
    pub rp_id: String,
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
    keys: TenantKeys,
}

impl Client {
    pub async fn connect(tenant: Tenant) -> Result<Self, Error> {
        let http = reqwest::Client::builder().build()?;
        let url = format!("{}/.well-known/jwks.json", tenant.base);
        let keys = TenantKeys::fetch(&http, url).await?;
        Ok(Self { http, tenant, keys })
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
}

impl Dialect for Client {
    type Answer = Answer;

    async fn start_registration(
        &self,
        user_id: &str,
        ceremony: Ceremony,
    ) -> Result<(Credential, Answer), Error> {
        let mfa = matches!(ceremony, Ceremony::MfaRegister | Ceremony::MfaLogin);
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

    async fn start_login(
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

    async fn finish(&self, answer: &Answer) -> Result<Value, Error> {
        self.post_ok(answer.path, &answer.response.body, answer.keyed)
            .await
    }

    async fn verify(&self, answer: &Answer, finished: &Value) -> Result<(), Error> {
        let token = finished
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Wire(format!(
                    "{} answered without a token: {finished}",
                    answer.path
                ))
            })?;
        let expected = Expected {
            sub: &answer.sub,
            cred: &answer.cred,
            aud: &self.tenant.rp_id,
            trans: answer.trans.as_deref(),
            community: None,
        };
        self.keys.verify(&self.http, token, &expected).await
    }

    async fn expect_refusal(
        &self,
        answer: &Answer,
        body: &Value,
        what: &'static str,
    ) -> Result<(), Error> {
        let (status, text) = self.post(answer.path, body, answer.keyed).await?;
        refused(answer.path, status, text, what)
    }

    fn response(answer: &Answer) -> &Response {
        &answer.response
    }
}
