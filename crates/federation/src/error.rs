//! The crate's one error type.

/// Why a sign-in at a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider's settings do not make a client (a URL that does not parse).
    #[error("provider settings: {0}")]
    Settings(String),
    /// The provider could not be reached or answered with an error.
    #[error("provider request failed: {0}")]
    Request(String),
    /// The provider refused the authorization code.
    #[error("the provider refused the authorization code: {0}")]
    Exchange(String),
    /// The ID token did not verify: signature, issuer, audience, expiry or nonce.
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    /// The provider named no email address for the user.
    #[error("the provider gave no email address")]
    NoEmail,
    /// The provider's answer was not what its API documents.
    #[error("the provider's answer is unreadable: {0}")]
    Answer(String),
}

/// The result of every fallible operation here.
pub type Result<T, E = Error> = std::result::Result<T, E>;
