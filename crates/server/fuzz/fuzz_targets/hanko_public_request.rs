//! A Hanko Public API body: route byte, then the body. See
//! `latchkey_server::fuzzing::hanko_public_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::hanko_public_request(data));
