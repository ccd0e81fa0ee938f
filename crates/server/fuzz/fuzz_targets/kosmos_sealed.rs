//! An encrypted 1Kosmos call sealed by a fixed caller: route byte, then the plaintexts of
//! licensekey, requestid and the body's data, newline-separated. See
//! `latchkey_server::fuzzing::kosmos_sealed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::kosmos_sealed(data));
