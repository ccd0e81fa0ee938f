//! The Hanko Public API wire (v0.12, a tenant with `hanko_public` enabled): sign-up with an email
//! address, a passkey registered in the session that sign-up opens, discoverable passkey logins,
//! and the session each login opens checked with `GET /me`. The tenant must send sessions in the
//! `X-Auth-Token` header (`session.enable_auth_token_header`) and need no email verification, so
//! that no mail is involved.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::authenticator::{self, Credential, Response};
use crate::dialect::{Ceremony, Dialect, User, refused};
use crate::error::Error;

const AUTH_TOKEN: &str = "x-auth-token";
const REGISTRATION_FINALIZE: &str = "/webauthn/registration/finalize";
const LOGIN_FINALIZE: &str = "/webauthn/login/finalize";

/// A response ready to post to a finalize endpoint, and the user it must name.
#[derive(Debug)]
pub struct Answer {
    path: &'static str,
    /// The session a registration is made in; a login needs none.
    session: Option<String>,
    response: Response,
    user: Uuid,
}

#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `http://host:port/{tenant_id}`
    base: String,
    origin: String,
}

/// What one request answered: its status, the session token it delivered, its body.
struct Answered {
    status: u16,
    token: Option<String>,
    text: String,
}

impl Client {
    pub fn connect(base: String, origin: String) -> Result<Self, Error> {
        let http = reqwest::Client::builder().build()?;
        Ok(Self { http, base, origin })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        session: Option<&str>,
    ) -> Result<Answered, Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(serde_json::to_vec(body)?);
        }
        if let Some(token) = session {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let token = response
            .headers()
            .get(AUTH_TOKEN)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(Answered {
            status,
            token,
            text: response.text().await?,
        })
    }

    /// A POST that must answer 200; its session token and JSON body.
    async fn post_ok(
        &self,
        path: &str,
        body: Option<&Value>,
        session: Option<&str>,
    ) -> Result<(Option<String>, Value), Error> {
        let answered = self
            .send(reqwest::Method::POST, path, body, session)
            .await?;
        if answered.status != 200 {
            return Err(Error::Status {
                method: "POST",
                path: path.to_owned(),
                status: answered.status,
                body: answered.text,
            });
        }
        Ok((answered.token, serde_json::from_str(&answered.text)?))
    }
}

/// The user a finalize answer names.
fn user_of(path: &str, finished: &Value) -> Result<Uuid, Error> {
    finished
        .get("user_id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| Error::Wire(format!("{path} answered without a user_id: {finished}")))
}

impl Dialect for Client {
    type Answer = Answer;

    /// Signs `user_id` up (as `{user_id}@loadgen.example`) and starts a passkey registration in
    /// the session sign-up opened.
    async fn start_registration(
        &self,
        user_id: &str,
        _: Ceremony,
    ) -> Result<(Credential, Answer), Error> {
        let email = json!({"email": format!("{user_id}@loadgen.example")});
        let (token, signed_up) = self.post_ok("/users", Some(&email), None).await?;
        let session = token.ok_or_else(|| {
            Error::Wire(
                "sign-up opened no session in X-Auth-Token: the tenant needs \
                 session.enable_auth_token_header and no email verification"
                    .into(),
            )
        })?;
        let user = user_of("/users", &signed_up)?;
        let (_, options) = self
            .post_ok("/webauthn/registration/initialize", None, Some(&session))
            .await?;
        let (credential, response) = authenticator::create(&options, &self.origin)?;
        if credential.user_handle() != user.as_bytes() {
            return Err(Error::Wire(format!(
                "the creation options' user.id is not the user {user} sign-up made"
            )));
        }
        let answer = Answer {
            path: REGISTRATION_FINALIZE,
            session: Some(session),
            response,
            user,
        };
        Ok((credential, answer))
    }

    /// A discoverable login: the options name no user, the passkey's user handle does.
    async fn start_login(
        &self,
        user: &mut User,
        _: Ceremony,
        _: Option<String>,
    ) -> Result<Answer, Error> {
        let handle = user.credential.user_handle();
        let id = Uuid::from_slice(handle)
            .map_err(|_| Error::Wire(format!("{} holds no Hanko user handle", user.id)))?;
        let (_, options) = self
            .post_ok("/webauthn/login/initialize", Some(&json!({})), None)
            .await?;
        let response = user.credential.get(&options, &self.origin)?;
        Ok(Answer {
            path: LOGIN_FINALIZE,
            session: None,
            response,
            user: id,
        })
    }

    /// The finalize's body, with the session token a login delivers as `session`.
    async fn finish(&self, answer: &Answer) -> Result<Value, Error> {
        let (token, mut finished) = self
            .post_ok(
                answer.path,
                Some(&answer.response.body),
                answer.session.as_deref(),
            )
            .await?;
        if let (Some(token), Some(object)) = (token, finished.as_object_mut()) {
            object.insert("session".to_owned(), Value::String(token));
        }
        Ok(finished)
    }

    /// The finalize names the user; a login's session is the user's by `GET /me`.
    async fn verify(&self, answer: &Answer, finished: &Value) -> Result<(), Error> {
        let named = user_of(answer.path, finished)?;
        if named != answer.user {
            return Err(Error::Wire(format!(
                "{} named {named}, not {}",
                answer.path, answer.user
            )));
        }
        if answer.path != LOGIN_FINALIZE {
            return Ok(());
        }
        let session = finished
            .get("session")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Wire(format!("{LOGIN_FINALIZE} delivered no X-Auth-Token")))?;
        let me = self
            .send(reqwest::Method::GET, "/me", None, Some(session))
            .await?;
        let id = serde_json::from_str::<Value>(&me.text)
            .ok()
            .and_then(|body| body.get("id").and_then(Value::as_str).map(str::to_owned));
        if me.status != 200 || id.as_deref() != Some(answer.user.to_string().as_str()) {
            return Err(Error::Token(format!(
                "GET /me with the login's session answered {}: {}",
                me.status, me.text
            )));
        }
        Ok(())
    }

    async fn expect_refusal(
        &self,
        answer: &Answer,
        body: &Value,
        what: &'static str,
    ) -> Result<(), Error> {
        let answered = self
            .send(
                reqwest::Method::POST,
                answer.path,
                Some(body),
                answer.session.as_deref(),
            )
            .await?;
        refused(answer.path, answered.status, answered.text, what)
    }

    fn response(answer: &Answer) -> &Response {
        &answer.response
    }
}
