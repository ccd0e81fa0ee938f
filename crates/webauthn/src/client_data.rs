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

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn parse(json: &[u8]) -> Result<Wire<'_>> {
    const FIELD: &str = "clientDataJSON";
    if json.len() > MAX_CLIENT_DATA_LEN {
        return Err(Error::TooLarge {
            field: FIELD,
            limit: MAX_CLIENT_DATA_LEN,
        });
    }
    // UTF-8 decode (WHATWG Encoding), which §7.1 step 5 and §7.2 step 9 apply, drops a leading
    // byte order mark; the hash the authenticator signed stays over the bytes as received.
    let json = json.strip_prefix(UTF8_BOM).unwrap_or(json);
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
    // L3 §7.1 step 10 and §7.2 step 14: a topOrigin, whenever present, must come with crossOrigin
    // true and be a page the RP expects to be framed in. A cross-origin iframe is only acceptable
    // inside such a page, so crossOrigin true needs a topOrigin.
    let cross_origin = wire.cross_origin == Some(true);
    match wire.top_origin.as_deref() {
        Some(top) if !cross_origin || !rp.allows_top_origin(top) => {
            Err(Error::CrossOriginNotAllowed)
        }
        None if cross_origin => Err(Error::CrossOriginNotAllowed),
        _ => Ok(()),
    }
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
    fn a_top_origin_is_checked_even_without_cross_origin() {
        let rp = rp().with_top_origins(["https://portal.example.com"]);
        let check = |extra: &str| {
            verify(
                &json("webauthn.get", "AQID", "https://example.org", extra),
                Ceremony::Get,
                &[1, 2, 3],
                &rp,
            )
        };
        // An unlisted top origin is refused whatever crossOrigin says.
        for cross in ["", r#","crossOrigin":false"#] {
            assert_eq!(
                check(&format!(r#"{cross},"topOrigin":"https://evil.com""#)),
                Err(Error::CrossOriginNotAllowed)
            );
        }
        // A listed top origin that claims a same-origin ceremony contradicts itself.
        assert_eq!(
            check(r#","crossOrigin":false,"topOrigin":"https://portal.example.com""#),
            Err(Error::CrossOriginNotAllowed)
        );
        assert_eq!(check(r#","crossOrigin":false"#), Ok(()));
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_as_utf8_decode_does() {
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend(json("webauthn.get", "AQID", "https://example.org", ""));
        assert_eq!(verify(&with_bom, Ceremony::Get, &[1, 2, 3], &rp()), Ok(()));
        assert_eq!(challenge_of(&with_bom), Ok(vec![1, 2, 3]));
        // Only one, and only at the start.
        let mut twice = UTF8_BOM.to_vec();
        twice.extend(&with_bom);
        assert!(matches!(
            verify(&twice, Ceremony::Get, &[1, 2, 3], &rp()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn escaped_strings_are_compared_after_unescaping() {
        let j = br#"{"type":"webauthn.get","challenge":"AQID","origin":"https:\/\/example.org"}"#;
        assert!(verify(j, Ceremony::Get, &[1, 2, 3], &rp()).is_ok());
    }
}
