//! Authenticator data: `AuthenticatorData::parse` at the WebAuthn credential-ID limit and with no
//! limit, and `parse_with` under strict and any CBOR encoding, then the RP ID hash, flag and counter checks of an assertion through `verify_assertion`.
//!
//! Input: a two-byte assertion-vector selector (see the crate docs), then the authenticator data.
#![no_main]

use latchkey_webauthn::{AuthenticatorData, CborLeniency};
use latchkey_webauthn_fuzz::{assertions, pick, split_selector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, auth_data)) = split_selector(data) else {
        return;
    };
    let _ = AuthenticatorData::parse(auth_data, 1023);
    let _ = AuthenticatorData::parse(auth_data, usize::MAX);
    let _ = AuthenticatorData::parse_with(auth_data, 1023, CborLeniency::STRICT);
    let _ = AuthenticatorData::parse_with(auth_data, 1023, CborLeniency::ANY_ENCODING);
    let Some(vector) = pick(assertions(), selector) else {
        return;
    };
    let mut response = vector.response.clone();
    response.authenticator_data = auth_data.to_vec();
    vector.verify(&response);
});
