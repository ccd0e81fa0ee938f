//! Certificate revocation lists: `TrustAnchors::add_crl_der` and `BlobTrust::with_crl_der`, then
//! the MDS3 specification's example BLOB verified with that CRL beside its chain (revocation is
//! looked up for every certificate of the chain, with the CRL's signature checked when its issuer
//! name matches).
//!
//! Input: a DER CRL.
#![no_main]

use std::sync::LazyLock;

use latchkey_webauthn::{BlobTrust, Metadata, TrustAnchors, UnixTime};
use latchkey_webauthn_fuzz::{EXAMPLE_MDS_SIGNER, example_blob, rfc3339, root};
use libfuzzer_sys::fuzz_target;

static TRUST: LazyLock<BlobTrust> =
    LazyLock::new(|| BlobTrust::signed_by(&root("fido-mds3-example-root.pem"), EXAMPLE_MDS_SIGNER));
static BLOB: LazyLock<String> = LazyLock::new(example_blob);
static NOW: LazyLock<UnixTime> = LazyLock::new(|| rfc3339("2022-01-01T00:00:00Z"));

fuzz_target!(|data: &[u8]| {
    let _ = TrustAnchors::none().add_crl_der(data.to_vec());
    if let Ok(trust) = TRUST.clone().with_crl_der(data.to_vec()) {
        let _ = Metadata::from_blob(&BLOB, &trust, *NOW);
    }
});
