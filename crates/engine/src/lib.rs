//! latchkey's engine: the rules every dialect shares, over a [`Store`].
//!
//! Dialects translate wire shapes into calls here; the engine decides; the store persists. The
//! engine never sees SQL, and the stores never see a rule.

#![warn(missing_docs)]

pub mod aaguid;
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod authenticator_policy;
pub mod ceremonies;
pub mod communities;
pub mod credentials;
mod engine;
mod error;
pub mod import;
mod key_cache;
pub mod keys;
pub mod links;
pub mod model;
pub mod rate_limit;
mod recent;
pub mod related_origins;
pub mod secrets;
pub mod service_secrets;
pub mod signals;
pub mod store;
pub mod tokens;

pub use audit::{AuditEventKind, RequestMeta};
pub use engine::Engine;
pub use error::{
    AuthenticatorRefusal, Entity, Error, RefusalReason, Result, ThirdPartyRefusal,
    UNAVAILABLE_RETRY_AFTER_SECS,
};
pub use recent::CACHE_TTL;
pub use store::{LoginRecord, Page, Paged, ReadTx, Store, WriteTx};
