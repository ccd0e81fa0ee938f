//! The Hanko Public API (backend v0.12): a whole login backend per tenant — users known by
//! their email addresses, passcodes by email, passwords, passkeys and sessions — wire-compatible
//! with `@teamhanko/hanko-frontend-sdk` and `@teamhanko/hanko-elements` 0.12, over the engine's
//! accounts. Off unless a tenant's `hanko_public` block enables it.
//!
//! Deliberate differences from the original, each documented in docs/hanko-public-api.md:
//! sessions are server-side (a `sid` claim; logout and deletion end them at once; another
//! dialect's token is no session); `/.well-known/config` names every key; `POST /emails` checks
//! the address; `DELETE /emails/{id}` of another user's address is a 404, not a 500; passcodes
//! are stored as a keyed MAC and read the session from the configured cookie; the signature
//! counter is kept.

mod accounts;
mod emails;
pub(crate) mod error;
pub(crate) mod fuzzing;
mod gate;
pub(crate) mod openapi;
mod passcodes;
mod passwords;
mod routes;
mod saml;
mod session;
#[cfg(test)]
mod tests;
mod third_party;
mod webauthn;

pub use gate::DefaultTenant;

pub use routes::routes;
