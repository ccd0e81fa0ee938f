//! COSE_Key parsing (`CredentialPublicKey::from_cose`), and a signature check with any key that
//! parses. Input: the COSE_Key.
#![no_main]

use latchkey_webauthn::CredentialPublicKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = CredentialPublicKey::from_cose(data) {
        let _ = format!("{key:?}");
        let _ = key.verify(b"latchkey", data, "fuzz");
    }
});
