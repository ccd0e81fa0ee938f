//! The integration tests of latchkey-webauthn, in one binary (one link, one run).

// Test helpers outside #[test] functions may fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod algorithms;
mod android;
mod common;
mod differential;
mod hardening;
mod mds;
mod no_panic;
mod tampered;
mod tpm;
mod vectors;
