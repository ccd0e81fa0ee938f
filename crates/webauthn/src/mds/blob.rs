//! The BLOB envelope: a compact JWS whose `x5c` chain must reach a root the caller trusts.

use crate::error::{Error, Result};
use crate::jws::Jws;
use crate::time::UnixTime;
use crate::x509;

/// Longest metadata BLOB (or unsigned payload) accepted, in bytes. The FIDO Alliance's BLOB is a
/// few MB and grows with every certified model.
pub const MAX_METADATA_BLOB_LEN: usize = 32 * 1024 * 1024;

/// The payload of `blob` once its chain reaches one of `roots` at `now` and its signature verifies.
pub(super) fn verified_payload(blob: &str, roots: &[Vec<u8>], now: UnixTime) -> Result<Vec<u8>> {
    let jws = Jws::parse("metadata BLOB", blob, MAX_METADATA_BLOB_LEN)?;
    let der: Vec<&[u8]> = jws.x5c.iter().map(Vec::as_slice).collect();
    let chain = x509::parse_chain(&der)?;
    if !x509::verify_chain(&chain, roots, now, false)? {
        return Err(Error::Untrusted);
    }
    jws.verify_signature()?;
    Ok(jws.payload)
}
