//! `android-safetynet` (§8.5): a SafetyNet attestation, a JWS from Google Play services whose
//! nonce binds it to this ceremony.

use aws_lc_rs::digest;
use base64::Engine as _;
use serde::Deserialize;
use x509_parser::extensions::GeneralName;

use super::{AttestationType, Input, Statement};
use crate::error::{Error, Result};
use crate::jws::Jws;
use crate::time::UnixTime;
use crate::x509::Certificate;

const FMT: &str = "android-safetynet";
const FIELD: &str = "SafetyNet response";

/// The host Google issues SafetyNet signing certificates to.
const HOSTNAME: &str = "attest.android.com";

/// The attestation object that carries the response is itself limited to 32 KiB.
const MAX_RESPONSE_LEN: usize = 32 * 1024;

/// How far `timestampMs` may run ahead of `now`: the phone, Google and the RP keep separate clocks.
const MAX_CLOCK_SKEW_MS: i64 = 60_000;

/// How old a response may be at `now`. The device fetches it while the user is registering, so a
/// minute covers the ceremony; an older one may be replayed from another ceremony. Recorded
/// vectors pass because they are verified at their own `time`.
const MAX_AGE_MS: i64 = 60_000;

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    let st = &input.statement;
    st.only_keys(&["ver", "response"])
        .map_err(|_| Error::attestation(FMT, "unexpected attStmt field"))?;
    let ver = st
        .text("ver")
        .map_err(|_| Error::attestation(FMT, "missing or invalid ver"))?;
    if ver.is_empty() {
        return Err(Error::attestation(FMT, "empty ver"));
    }
    let response = st
        .bytes("response")
        .map_err(|_| Error::attestation(FMT, "missing or invalid response"))?;
    let token = std::str::from_utf8(response).map_err(|_| Error::malformed(FIELD, "not UTF-8"))?;

    let jws = Jws::parse(FIELD, token, MAX_RESPONSE_LEN)?;
    jws.verify_signature()?;
    let leaf = jws
        .x5c
        .first()
        .ok_or(Error::malformed(FIELD, "JWS x5c missing"))?;
    if !names_host(&Certificate::parse(leaf)?, HOSTNAME)? {
        return Err(Error::attestation(
            FMT,
            "certificate is not issued to attest.android.com",
        ));
    }

    let payload = Payload::parse(&jws.payload)?;
    let nonce = digest::digest(&digest::SHA256, &input.signed_data());
    if payload.nonce != base64::engine::general_purpose::STANDARD.encode(nonce) {
        return Err(Error::attestation(FMT, "nonce does not match the ceremony"));
    }
    if !payload.cts_profile_match {
        return Err(Error::attestation(FMT, "ctsProfileMatch is false"));
    }
    check_timestamp(payload.timestamp_ms, input.now)?;

    Ok(Statement {
        kind: AttestationType::Basic,
        trust_path: jws.x5c,
    })
}

/// The JWS payload fields §8.5 consults; the others are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    nonce: String,
    timestamp_ms: i64,
    cts_profile_match: bool,
}

impl Payload {
    fn parse(json: &[u8]) -> Result<Self> {
        serde_json::from_slice(json).map_err(|_| {
            Error::malformed(
                FIELD,
                "payload lacks a valid nonce, timestampMs or ctsProfileMatch",
            )
        })
    }
}

fn check_timestamp(timestamp_ms: i64, now: UnixTime) -> Result<()> {
    let now_ms = now.0.saturating_mul(1000);
    if timestamp_ms > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(Error::attestation(FMT, "timestampMs is in the future"));
    }
    if timestamp_ms < now_ms.saturating_sub(MAX_AGE_MS) {
        return Err(Error::attestation(FMT, "response is too old (timestampMs)"));
    }
    Ok(())
}

/// Whether `cert` is issued to `host`: by its DNS subjectAltNames when it has any, else by its
/// subject CN (RFC 6125 §6.4.4). Wildcards are not honoured: Google names the host exactly.
fn names_host(cert: &Certificate<'_>, host: &str) -> Result<bool> {
    let x509 = cert.x509();
    let san = x509
        .subject_alternative_name()
        .map_err(|_| Error::malformed("certificate", "invalid subjectAltName"))?;
    let mut dns_names = san
        .iter()
        .flat_map(|san| san.value.general_names.iter())
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(*dns),
            _ => None,
        })
        .peekable();
    if dns_names.peek().is_some() {
        return Ok(dns_names.any(|dns| dns.eq_ignore_ascii_case(host)));
    }
    Ok(x509
        .subject()
        .iter_common_name()
        .any(|cn| cn.as_str().is_ok_and(|cn| cn.eq_ignore_ascii_case(host))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_payload_fields_and_ignores_the_rest() {
        let p = Payload::parse(
            br#"{"nonce":"abc=","timestampMs":1591433807564,"apkPackageName":"x",
                "ctsProfileMatch":true,"basicIntegrity":true}"#,
        )
        .unwrap();
        assert_eq!(p.nonce, "abc=");
        assert_eq!(p.timestamp_ms, 1_591_433_807_564);
        assert!(p.cts_profile_match);
    }

    #[test]
    fn refuses_payloads_missing_or_mistyping_a_field() {
        let bad: [&[u8]; 9] = [
            b"",
            b"{",
            b"[]",
            b"\xff\xfe",
            br#"{"timestampMs":1,"ctsProfileMatch":true}"#,
            br#"{"nonce":"a","ctsProfileMatch":true}"#,
            br#"{"nonce":"a","timestampMs":1}"#,
            br#"{"nonce":"a","timestampMs":"1","ctsProfileMatch":true}"#,
            br#"{"nonce":"a","timestampMs":1,"ctsProfileMatch":"true"}"#,
        ];
        for json in bad {
            assert!(
                Payload::parse(json).is_err(),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
        let duplicate = br#"{"nonce":"a","nonce":"b","timestampMs":1,"ctsProfileMatch":true}"#;
        assert!(Payload::parse(duplicate).is_err());
        let fractional = br#"{"nonce":"a","timestampMs":1.5,"ctsProfileMatch":true}"#;
        assert!(Payload::parse(fractional).is_err());
    }

    #[test]
    fn truncated_payloads_fail_cleanly() {
        let json = br#"{"nonce":"abc=","timestampMs":1591433807564,"ctsProfileMatch":true}"#;
        for len in 0..json.len() {
            assert!(Payload::parse(&json[..len]).is_err(), "prefix of {len}");
        }
    }

    #[test]
    fn timestamps_must_be_recent_within_skew() {
        let now = UnixTime(1_700_000_000);
        let ms = 1_700_000_000_000;
        assert!(check_timestamp(ms, now).is_ok());
        assert!(check_timestamp(ms + MAX_CLOCK_SKEW_MS, now).is_ok());
        assert!(check_timestamp(ms - MAX_AGE_MS, now).is_ok());
        assert_eq!(
            check_timestamp(ms + MAX_CLOCK_SKEW_MS + 1, now),
            Err(Error::attestation(FMT, "timestampMs is in the future"))
        );
        assert_eq!(
            check_timestamp(ms - MAX_AGE_MS - 1, now),
            Err(Error::attestation(FMT, "response is too old (timestampMs)"))
        );
        assert!(check_timestamp(i64::MIN, now).is_err());
        assert!(check_timestamp(i64::MAX, now).is_err());
        assert!(check_timestamp(0, UnixTime(i64::MAX)).is_err());
    }
}
