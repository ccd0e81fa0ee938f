//! `CollectedClientData` (WebAuthn L3 §5.8.1): parsed from the exact bytes the client signed over.

use std::borrow::Cow;

use aws_lc_rs::constant_time;
use serde::Deserialize;

use crate::b64;
use crate::error::{Error, Result};
use crate::policy::RelyingParty;

/// Longest clientDataJSON accepted. Browsers send a few hundred bytes.
pub const MAX_CLIENT_DATA_LEN: usize = 8 * 1024;
/// Longest challenge accepted.
pub const MAX_CHALLENGE_LEN: usize = 1024;

/// Which ceremony the client data belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ceremony {
    /// `webauthn.create`
    Create,
    /// `webauthn.get`
    Get,
}

impl Ceremony {
    const fn type_name(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    challenge: Cow<'a, str>,
    #[serde(borrow)]
    origin: Cow<'a, str>,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", borrow, default)]
    top_origin: Option<Cow<'a, str>>,
}

fn parse(json: &[u8]) -> Result<Wire<'_>> {
    const FIELD: &str = "clientDataJSON";
    if json.len() > MAX_CLIENT_DATA_LEN {
        return Err(Error::TooLarge {
            field: FIELD,
            limit: MAX_CLIENT_DATA_LEN,
        });
    }
    serde_json::from_slice(json)
        .map_err(|_| Error::malformed(FIELD, "not the expected JSON object"))
}

/// The challenge a clientDataJSON carries, unchecked: for offline tools that were not told which
/// challenge the server issued.
pub fn challenge_of(json: &[u8]) -> Result<Vec<u8>> {
    b64::decode(
        "clientDataJSON.challenge",
        &parse(json)?.challenge,
        MAX_CHALLENGE_LEN,
    )
}

/// Parses `json` and checks type, challenge, origin and cross-origin policy (§7.1 steps 7-10,
/// §7.2 steps 11-14).
pub(crate) fn verify(
    json: &[u8],
    ceremony: Ceremony,
    challenge: &[u8],
    rp: &RelyingParty,
) -> Result<()> {
    let wire = parse(json)?;
    if wire.ty != ceremony.type_name() {
        return Err(Error::TypeMismatch {
            expected: ceremony.type_name(),
        });
    }
    let received = b64::decode(
        "clientDataJSON.challenge",
        &wire.challenge,
        MAX_CHALLENGE_LEN,
    )
    .map_err(|_| Error::ChallengeMismatch)?;
    if constant_time::verify_slices_are_equal(&received, challenge).is_err() {
        return Err(Error::ChallengeMismatch);
    }
    if !rp.allows_origin(&wire.origin) {
        return Err(Error::OriginMismatch);
    }
    // A cross-origin iframe is only acceptable inside a top-level origin the RP lists.
    if wire.cross_origin == Some(true)
        && !wire
            .top_origin
            .as_deref()
            .is_some_and(|top| rp.allows_top_origin(top))
    {
        return Err(Error::CrossOriginNotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp() -> RelyingParty {
        RelyingParty::new(
            "example.org",
            ["https://example.org", "android:apk-key-hash:abc"],
        )
    }

    fn json(ty: &str, challenge: &str, origin: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"type":"{ty}","challenge":"{challenge}","origin":"{origin}"{extra}}}"#)
            .into_bytes()
    }

    #[test]
    fn accepts_the_expected_ceremony() {
        let data = verify(
            &json("webauthn.get", "AQID", "https://example.org", ""),
            Ceremony::Get,
            &[1, 2, 3],
            &rp(),
        );
        assert_eq!(data, Ok(()));
    }

    #[test]
    fn accepts_android_apk_key_hash_origins() {
        let data = verify(
            &json("webauthn.get", "AQID", "android:apk-key-hash:abc", ""),
            Ceremony::Get,
            &[1, 2, 3],
            &rp(),
        );
        assert!(data.is_ok());
    }

    #[test]
    fn each_field_is_checked() {
        let check = |j: Vec<u8>| verify(&j, Ceremony::Create, &[1, 2, 3], &rp());
        assert_eq!(
            check(json("webauthn.get", "AQID", "https://example.org", "")),
            Err(Error::TypeMismatch {
                expected: "webauthn.create"
            })
        );
        assert_eq!(
            check(json("webauthn.create", "AQIE", "https://example.org", "")),
            Err(Error::ChallengeMismatch)
        );
        assert_eq!(
            check(json("webauthn.create", "AQID=", "https://example.org", "")),
            Err(Error::ChallengeMismatch)
        );
        assert_eq!(
            check(json(
                "webauthn.create",
                "AQID",
                "https://evil.example.org",
                ""
            )),
            Err(Error::OriginMismatch)
        );
        assert_eq!(
            check(json("webauthn.create", "AQID", "http://example.org", "")),
            Err(Error::OriginMismatch)
        );
        assert_eq!(
            check(json(
                "webauthn.create",
                "AQID",
                "https://example.org",
                r#","crossOrigin":true"#
            )),
            Err(Error::CrossOriginNotAllowed)
        );
        assert!(matches!(
            check(b"[]".to_vec()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            check(b"{\"type\":1}".to_vec()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn cross_origin_needs_an_allowed_top_origin() {
        let rp = rp().with_top_origins(["https://portal.example.com"]);
        let extra = |top: &str| format!(r#","crossOrigin":true,"topOrigin":"{top}""#);
        let ok = json(
            "webauthn.get",
            "AQID",
            "https://example.org",
            &extra("https://portal.example.com"),
        );
        assert_eq!(verify(&ok, Ceremony::Get, &[1, 2, 3], &rp), Ok(()));
        let bad = json(
            "webauthn.get",
            "AQID",
            "https://example.org",
            &extra("https://evil.com"),
        );
        assert_eq!(
            verify(&bad, Ceremony::Get, &[1, 2, 3], &rp),
            Err(Error::CrossOriginNotAllowed)
        );
    }

    #[test]
    fn escaped_strings_are_compared_after_unescaping() {
        let j = br#"{"type":"webauthn.get","challenge":"AQID","origin":"https:\/\/example.org"}"#;
        assert!(verify(j, Ceremony::Get, &[1, 2, 3], &rp()).is_ok());
    }
}
