//! The Hanko passkey-server public API (teamhanko/passkeys), wire-compatible with its JS SDK:
//! same routes, JSON shapes, error bodies and status codes, mapped onto engine calls.
//!
//! Deliberate deviations from the original, each a 4xx where it answered 500: a login or
//! transaction for a user without usable credentials is a 400 `user has no suitable credentials
//! for this operation`; registering an already registered credential is a 409.

mod audit;
pub(crate) mod cors;
mod credential_json;
mod credentials;
pub(crate) mod error;
pub(crate) mod fuzzing;
mod jwks;
mod login;
pub(crate) mod openapi;
pub(crate) mod options;
mod registration;
mod routes;
mod signals;
mod tenant;
#[cfg(test)]
mod tests;
mod transactions;

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

pub use routes::public_router;

/// What the admin API shows in this dialect's shapes, so that both APIs show a credential, a
/// transaction and the audit log alike. Nothing else of the dialect is visible outside it.
pub(crate) mod shared_with_admin {
    pub(crate) use super::audit::{audit_query, list_audit_log};
    pub(crate) use super::credentials::CredentialDto;
    pub(crate) use super::transactions::TransactionDto;
}

/// The answer of every successful `finalize`: a signed JWT.
#[derive(Serialize, ToSchema)]
pub struct Token {
    /// A JWS (compact) with the claims `sub` (the user), `aud`, `iat`, `exp`, `cred` (the
    /// credential) and, for a transaction, `trans`; verify it with the tenant's JWKS.
    pub token: String,
    /// The client extension results the finalize body carried that matter to the caller
    /// (`credProps`, `prf`, `largeBlob`), as read; absent when there were none.
    #[serde(
        rename = "clientExtensionResults",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>, required = false)]
    pub client_extension_results: Option<serde_json::Value>,
}

/// The token is a bearer credential for its lifetime: it stays out of `Debug` and so of logs.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token", &"<redacted>")
            .finish()
    }
}
