//! The 1Kosmos WebAuthn API (base path `/webauthn`), mapped onto engine calls: a community is a
//! realm tenant of its organisation, a license key scopes every call, and most calls travel in
//! the SDKs' encrypted envelope (see [`envelope`]). Decisions beyond the documentation page are
//! in `docs/kosmos.md`; the ones made here:
//!
//! - Failures answer `{"status": "failed", "errorMessage"}`, unencrypted (the failure may be
//!   that nothing could be decrypted): 400 malformed input or envelope, 401 missing or unknown
//!   license and stale `requestid`, 403 license out of scope, 404 unknown community, user or
//!   credential, 409 a replayed `requestid` or an existing credential, 413 oversize bodies,
//!   422 ceremonies that do not verify.
//! - Encrypted answers are `{"status": "ok", "errorMessage": "", "data": "<encrypted JSON>"}`
//!   whose JSON is what the u1 twin answers in plain (for registration options wrapped as
//!   `{data, publickey}`); link, link status and unregister have encrypted headers only and
//!   answer in plain JSON.

mod call;
mod ceremony;
mod envelope;
mod error;
pub(crate) mod fuzzing;
mod links;
mod login;
pub(crate) mod openapi;
mod options;
mod registration;
mod routes;
mod service;
mod state;
#[cfg(test)]
mod tests;
mod vendor_metadata;

pub use routes::kosmos_router;
pub use state::ensure_envelope_key;
