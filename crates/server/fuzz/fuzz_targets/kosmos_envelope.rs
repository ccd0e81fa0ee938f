//! An encrypted 1Kosmos call as sent: route byte, then the publickey, licensekey and requestid
//! headers and the body, newline-separated. See `latchkey_server::fuzzing::kosmos_envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_server::fuzzing::kosmos_envelope(data));
