//! What the closed loop needs of a server's wire, whichever dialect it speaks: the ceremonies it can
//! start and finish, the check of what a finish returns, and the refusals a probe expects.

use std::future::Future;

use serde_json::Value;

use crate::authenticator::{Credential, Response};
use crate::error::Error;

/// The ceremonies the load generator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ceremony {
    Register,
    MfaRegister,
    Login,
    MfaLogin,
    Transaction,
    /// A 1Kosmos login through the plain-JSON `/webauthn/u1` routes.
    KosmosLogin,
    /// A 1Kosmos login through the encrypted routes (the secp256k1/AES-GCM envelope).
    KosmosLoginEncrypted,
    /// A 1Kosmos registration through the `/webauthn/u1` routes.
    KosmosRegister,
    /// A Hanko Public API sign-up and passkey registration in the session it opens.
    PublicRegister,
    /// A Hanko Public API discoverable passkey login, its session checked with `GET /me`.
    PublicLogin,
}

impl Ceremony {
    /// Whether each ceremony makes a new user rather than logging in one the set-up registered.
    pub fn registers(self) -> bool {
        matches!(
            self,
            Self::Register | Self::MfaRegister | Self::KosmosRegister | Self::PublicRegister
        )
    }

    /// Whether the ceremony speaks the 1Kosmos dialect rather than the Hanko one.
    pub fn is_kosmos(self) -> bool {
        matches!(
            self,
            Self::KosmosLogin | Self::KosmosLoginEncrypted | Self::KosmosRegister
        )
    }

    /// Whether the ceremony speaks the Hanko Public API rather than the passkey-server API.
    pub fn is_hanko_public(self) -> bool {
        matches!(self, Self::PublicRegister | Self::PublicLogin)
    }
}

/// What a probe expects of the answer to a replayed or tampered response posted to `path`: a 4xx.
pub fn refused(path: &str, status: u16, body: String, what: &'static str) -> Result<(), Error> {
    match status {
        400..=499 => Ok(()),
        200..=299 => Err(Error::Accepted(what)),
        _ => Err(Error::Status {
            method: "POST",
            path: format!("{path} ({what})"),
            status,
            body,
        }),
    }
}

/// A user of the run with the credential the authenticator holds for them.
#[derive(Debug)]
pub struct User {
    pub id: String,
    pub credential: Credential,
}

/// A server's wire. Every future is `Send` so that workers can run on any thread.
pub trait Dialect: Send + Sync + 'static {
    /// A response ready to post to a finish endpoint, with what the server must answer to it.
    type Answer: Send + Sync;

    /// A registration of `user_id` up to the authenticator's answer; the credential is the
    /// user's once finished. `ceremony` is the run's ceremony.
    fn start_registration(
        &self,
        user_id: &str,
        ceremony: Ceremony,
    ) -> impl Future<Output = Result<(Credential, Self::Answer), Error>> + Send;

    /// A login of `user` (or, where the dialect has them, an MFA login or the confirmation of
    /// `transaction`) up to the authenticator's answer.
    fn start_login(
        &self,
        user: &mut User,
        ceremony: Ceremony,
        transaction: Option<String>,
    ) -> impl Future<Output = Result<Self::Answer, Error>> + Send;

    /// Posts the answer; what the server returned for it.
    fn finish(&self, answer: &Self::Answer) -> impl Future<Output = Result<Value, Error>> + Send;

    /// Checks what `finish` returned: the token it carries, or the user it names.
    fn verify(
        &self,
        answer: &Self::Answer,
        finished: &Value,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Posts `body` (a replayed or tampered response) where `answer` goes; it must be refused.
    fn expect_refusal(
        &self,
        answer: &Self::Answer,
        body: &Value,
        what: &'static str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The authenticator's response an answer carries.
    fn response(answer: &Self::Answer) -> &Response;
}
