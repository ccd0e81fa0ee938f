//! A Hanko passkey-server API body: route byte, then the body. See
//! `latchkey_server::fuzzing::hanko_passkey_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::hanko_passkey_request(data));
