//! What latchkey's tests share, so each piece exists once: the software authenticator, tenant
//! fixtures, the in-process router harness and the store conformance suite.
//!
//! Test code only: no shipped crate depends on this one outside `[dev-dependencies]`. A crate's
//! unit tests (inside its `src`) see a second copy of that crate when they use this one, so
//! what crosses that boundary is plain data: bytes, strings and `serde_json::Value`s.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod authenticator;
pub mod fixtures;
pub mod harness;
pub mod store_suite;

pub use authenticator::{Attestation, SoftAuthenticator};
/// CBOR values, for the extension outputs a [`SoftAuthenticator`] writes.
pub use ciborium::Value as Cbor;
