//! An admin API body: route byte, then the body. See `latchkey_server::fuzzing::admin_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::admin_request(data));
