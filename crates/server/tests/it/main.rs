//! The server's integration tests: the front door as a deployment runs it, on listeners bound
//! to `127.0.0.1:0`.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod front_door;
mod fuzz_seeds;
