//! FIDO MDS3: `Metadata::from_blob` (the compact JWS, its x5c chain against the MDS3 example root
//! at a time the example chain is valid, its signer's name, and its signature) and
//! `Metadata::from_unsigned_payload_json` (the payload schema), with every accessor of what loads.
//!
//! Input: a BLOB or a payload; both entry points get every input.
#![no_main]

use std::sync::LazyLock;

use latchkey_webauthn::{BlobTrust, Metadata, UnixTime};
use latchkey_webauthn_fuzz::{EXAMPLE_MDS_SIGNER, rfc3339, root};
use libfuzzer_sys::fuzz_target;

static TRUST: LazyLock<BlobTrust> =
    LazyLock::new(|| BlobTrust::signed_by(&root("fido-mds3-example-root.pem"), EXAMPLE_MDS_SIGNER));
static NOW: LazyLock<UnixTime> = LazyLock::new(|| rfc3339("2022-01-01T00:00:00Z"));

fn read_all(metadata: &Metadata) {
    let _ = format!("{metadata:?} {}", metadata.legal_header());
    for entry in metadata.entries() {
        let _ = (
            entry.aaid(),
            entry.root_certificates(),
            entry.status_reports(),
        );
        let _ = (
            entry.status().map(ToString::to_string),
            entry.compromised_status(),
        );
        if let Some(aaguid) = entry.aaguid() {
            let _ = metadata.by_aaguid(&aaguid);
        }
        for key_id in entry.key_identifiers() {
            let _ = metadata.by_key_identifier(key_id);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(blob) = std::str::from_utf8(data)
        && let Ok(metadata) = Metadata::from_blob(blob.trim(), &TRUST, *NOW)
    {
        read_all(&metadata);
    }
    if let Ok(metadata) = Metadata::from_unsigned_payload_json(data) {
        read_all(&metadata);
    }
});
