//! What latchkey's tests share, so each piece exists once: the software authenticator, tenant
//! fixtures, the in-process router harness and the store conformance suite.
//!
//! Test code only: no shipped crate depends on this one outside `[dev-dependencies]`.

pub mod store_suite;
