//! The attestation object and every statement format behind it (`verify_registration`), with the
//! vector's own valid clientDataJSON, challenge, relying party, trust anchors and time, so a
//! changed object is read past the client data checks.
//!
//! Input: a two-byte registration-vector selector (see the crate docs), then the
//! attestationObject.
#![no_main]

use latchkey_webauthn_fuzz::{pick, registrations, split_selector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, attestation_object)) = split_selector(data) else {
        return;
    };
    let Some(vector) = pick(registrations(), selector) else {
        return;
    };
    let mut response = vector.response.clone();
    response.attestation_object = attestation_object.to_vec();
    vector.verify(&response);
});
