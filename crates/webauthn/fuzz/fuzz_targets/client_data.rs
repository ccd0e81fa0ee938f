//! clientDataJSON: `challenge_of`, and the type, challenge, origin and cross-origin checks of both
//! ceremonies through `verify_registration` and `verify_assertion`.
//!
//! Input: a two-byte selector (see the crate docs), then the clientDataJSON. An even selector `2i`
//! picks registration vector `i`, an odd one `2i + 1` assertion vector `i`; the rest of the
//! ceremony is the vector's own, so valid client data goes on to the attestation or signature
//! checks.
#![no_main]

use latchkey_webauthn_fuzz::{assertions, pick, registrations, split_selector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, client_data)) = split_selector(data) else {
        return;
    };
    let _ = latchkey_webauthn::challenge_of(client_data);
    if selector % 2 == 0 {
        if let Some(vector) = pick(registrations(), selector / 2) {
            let mut response = vector.response.clone();
            response.client_data_json = client_data.to_vec();
            vector.verify(&response);
        }
    } else if let Some(vector) = pick(assertions(), selector / 2) {
        let mut response = vector.response.clone();
        response.client_data_json = client_data.to_vec();
        vector.verify(&response);
    }
});
