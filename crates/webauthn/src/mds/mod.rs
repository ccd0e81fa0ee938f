//! FIDO Metadata Service v3: the signed BLOB that lists authenticator models, their attestation
//! roots and their security status (FIDO MDS 3.0 §3.1).
//!
//! Loading is pure like the rest of the crate: the caller downloads the BLOB (and, to have them
//! checked, the CRLs of its chain) and passes the roots, the expected signer and the time.

mod blob;
mod statement;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer};

pub use blob::{BlobTrust, FIDO_MDS_SIGNER, MAX_METADATA_BLOB_LEN};
pub use statement::{
    AuthenticatorStatus, CertificationLevel, MetadataEntry, MetadataStatement, StatusReport,
    VerificationMethod,
};

use crate::auth_data::Aaguid;
use crate::error::{Error, Result};
use crate::time::UnixTime;

const FIELD: &str = "metadata";

/// The entries of one metadata BLOB, indexed by AAGUID and attestation key identifier.
pub struct Metadata {
    legal_header: String,
    no: u64,
    next_update: UnixTime,
    entries: Vec<MetadataEntry>,
    by_aaguid: HashMap<Aaguid, usize>,
    by_key_identifier: HashMap<[u8; 20], usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    legal_header: String,
    no: u64,
    #[serde(deserialize_with = "date")]
    next_update: UnixTime,
    entries: Vec<statement::WireEntry>,
}

impl Metadata {
    /// Verifies a metadata BLOB (a compact JWS) at time `now`: its `x5c` chain must reach one of
    /// the roots of `trust` (for the FIDO Alliance's BLOB, GlobalSign Root CA - R3, with
    /// [`BlobTrust::fido`]), its leaf must be the expected signer, no CRL given may revoke a
    /// certificate of the chain, and its signature must verify with the leaf.
    ///
    /// A BLOB past its `nextUpdate` still loads; compare [`Metadata::next_update`] with the time
    /// to decide when to fetch a new one.
    pub fn from_blob(blob: &str, trust: &BlobTrust, now: UnixTime) -> Result<Self> {
        let payload = blob::verified_payload(blob, trust, now)?;
        Self::from_payload(&payload)
    }

    /// Loads a BLOB payload (the JSON inside the JWS) without any signature or chain check.
    ///
    /// Only for metadata the caller already trusts by other means (a file it ships, a payload it
    /// verified itself): anyone who can alter this input decides which roots are trusted.
    pub fn from_unsigned_payload_json(json: &[u8]) -> Result<Self> {
        if json.len() > MAX_METADATA_BLOB_LEN {
            return Err(Error::TooLarge {
                field: FIELD,
                limit: MAX_METADATA_BLOB_LEN,
            });
        }
        Self::from_payload(json)
    }

    fn from_payload(json: &[u8]) -> Result<Self> {
        let payload: Payload = serde_json::from_slice(json)
            .map_err(|_| Error::malformed(FIELD, "payload does not match the MDS3 schema"))?;
        let entries = payload
            .entries
            .into_iter()
            .map(MetadataEntry::from_wire)
            .collect::<Result<Vec<_>>>()?;
        let mut by_aaguid = HashMap::new();
        let mut by_key_identifier = HashMap::new();
        // Two entries for one authenticator could hide a compromised status behind a certified
        // one; refuse the BLOB rather than pick one of them.
        for (index, entry) in entries.iter().enumerate() {
            if let Some(aaguid) = entry.aaguid()
                && by_aaguid.insert(aaguid, index).is_some()
            {
                return Err(Error::malformed(FIELD, "two entries share an AAGUID"));
            }
            for key_id in entry.key_identifiers() {
                // One entry may list an identifier twice (the live BLOB does, for an RSA
                // DS100); only another entry claiming it is ambiguous.
                if by_key_identifier
                    .insert(*key_id, index)
                    .is_some_and(|other| other != index)
                {
                    return Err(Error::malformed(
                        FIELD,
                        "two entries share a key identifier",
                    ));
                }
            }
        }
        Ok(Self {
            legal_header: payload.legal_header,
            no: payload.no,
            next_update: payload.next_update,
            entries,
            by_aaguid,
            by_key_identifier,
        })
    }

    /// The entry for an authenticator model identified by its AAGUID (FIDO2 authenticators).
    pub fn by_aaguid(&self, aaguid: &Aaguid) -> Option<&MetadataEntry> {
        self.by_aaguid
            .get(aaguid)
            .and_then(|&index| self.entries.get(index))
    }

    /// The entry listing an attestation certificate key identifier (U2F authenticators, which
    /// have no AAGUID): SHA-1 of the attestation certificate's subjectPublicKey.
    pub fn by_key_identifier(&self, key_id: &[u8; 20]) -> Option<&MetadataEntry> {
        self.by_key_identifier
            .get(key_id)
            .and_then(|&index| self.entries.get(index))
    }

    /// Every entry, in BLOB order.
    pub fn entries(&self) -> &[MetadataEntry] {
        &self.entries
    }

    /// The BLOB's serial number; a newer BLOB has a higher one.
    pub fn no(&self) -> u64 {
        self.no
    }

    /// The date (midnight UTC) by which the next BLOB will be published.
    pub fn next_update(&self) -> UnixTime {
        self.next_update
    }

    /// The legal terms the BLOB is published under.
    pub fn legal_header(&self) -> &str {
        &self.legal_header
    }
}

// A BLOB holds hundreds of entries; the summary is what a log line can use.
impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("no", &self.no)
            .field("next_update", &self.next_update)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

fn date<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<UnixTime, D::Error> {
    let text = String::deserialize(d)?;
    parse_date(&text).ok_or_else(|| serde::de::Error::custom("date is not YYYY-MM-DD"))
}

fn optional_date<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<UnixTime>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => parse_date(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("date is not YYYY-MM-DD")),
    }
}

/// Midnight UTC of a `YYYY-MM-DD` date, the only date form MDS3 uses.
fn parse_date(text: &str) -> Option<UnixTime> {
    let (year, rest) = text.split_once('-')?;
    let (month, day) = rest.split_once('-')?;
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return None;
    }
    let (year, month, day): (i64, i64, i64) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_len).contains(&day) {
        return None;
    }
    // Days since 1970-01-01 in the proleptic Gregorian calendar, counting years from March so
    // the leap day falls at the end (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(UnixTime((era * 146_097 + day_of_era - 719_468) * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(parse_date("1970-01-01"), Some(UnixTime(0)));
        assert_eq!(parse_date("2022-03-01"), Some(UnixTime(1_646_092_800)));
        assert_eq!(parse_date("2000-02-29"), Some(UnixTime(951_782_400)));
        assert_eq!(parse_date("1969-12-31"), Some(UnixTime(-86_400)));
    }

    #[test]
    fn dates_are_strict() {
        for bad in [
            "2022-3-01",
            "2022-03-01T00:00:00Z",
            "+022-03-01",
            "2022-13-01",
            "2022-00-10",
            "2021-02-29",
            "2022-04-31",
            "2022-04-00",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
