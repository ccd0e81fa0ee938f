//! The engine's integration tests: ceremonies end to end on an in-memory SQLite store.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod accounts;
mod ceremonies;
mod certification;
mod extensions;
mod flows;
mod import;
mod kosmos;
mod saml;
mod signals;
mod third_party;
mod webhooks;
