//! A plain 1Kosmos body or header: route byte, then the bytes. See
//! `latchkey_server::fuzzing::kosmos_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::kosmos_request(data));
