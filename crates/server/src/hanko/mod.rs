//! The Hanko passkey-server public API (teamhanko/passkeys), wire-compatible with its JS SDK:
//! same routes, JSON shapes, error bodies and status codes, mapped onto engine calls.
//!
//! Deliberate deviations from the original, each a 4xx where it answered 500: a login or
//! transaction for a user without usable credentials is a 400 `user has no suitable credentials
//! for this operation`; registering an already registered credential is a 409.

pub(crate) mod audit;
mod cors;
pub(crate) mod credentials;
mod error;
mod jwks;
mod login;
mod options;
mod registration;
mod routes;
mod tenant;
#[cfg(test)]
mod tests;
pub(crate) mod timestamps;
pub(crate) mod transactions;

use serde::Serialize;

pub use routes::public_router;

/// The answer of every successful `finalize`: a signed JWT.
#[derive(Debug, Serialize)]
pub struct Token {
    pub token: String,
}
