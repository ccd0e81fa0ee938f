//! HTTP plumbing shared by every dialect: request ids, access log, request metadata, JSON
//! bodies, keep-alive after unread bodies, field rules, path parameters, pagination,
//! timestamps, the status page and the options of WebAuthn's signal methods. Each dialect answers in its own shape; what this layer
//! refuses it reports as a neutral [`Rejection`], which every dialect maps in its error file.

pub mod access_log;
pub mod error;
pub mod json;
pub mod keep_alive;
pub mod meta;
pub mod pagination;
pub mod path;
pub mod request_id;
pub mod signal;
pub mod status_page;
pub mod timestamps;
pub mod validate;

pub use error::Rejection;
