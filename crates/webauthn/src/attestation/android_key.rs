//! `android-key` (§8.4): a credential key generated inside Android Keystore, whose leaf
//! certificate describes the key in the Android Key Attestation extension.

use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer as _, Tag};
use x509_parser::der_parser::oid;

use super::{AttestationType, Input, Statement, statement_alg};
use crate::error::{Error, Result};

const FMT: &str = "android-key";
const FIELD: &str = "key attestation extension";

// Keymaster tag numbers, which are the context-specific tags of an AuthorizationList.
const TAG_PURPOSE: u32 = 1;
const TAG_ALL_APPLICATIONS: u32 = 600;
const TAG_ORIGIN: u32 = 702;

const KM_PURPOSE_SIGN: i64 = 2;
const KM_ORIGIN_GENERATED: i64 = 0;

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    input.expect_fields(FMT, &["alg", "sig", "x5c"])?;
    let alg = statement_alg(input, FMT)?;
    let sig = input.sig(FMT)?;
    let x5c = input.x5c(FMT)?;
    x5c.verify(alg, &input.signed_data(), sig)?;
    let leaf = &x5c.leaf;
    if !input.attested.public_key.matches_spki(leaf.spki_der()) {
        return Err(Error::attestation(
            FMT,
            "certificate key differs from the credential key",
        ));
    }

    let ext = leaf
        .extension(&oid!(1.3.6.1.4.1.11129.2.1.17))?
        .ok_or(Error::attestation(
            FMT,
            "certificate lacks the key attestation extension",
        ))?;
    let description = KeyDescription::parse(ext)?;
    if description.challenge != input.client_data_hash.as_slice() {
        return Err(Error::attestation(
            FMT,
            "attestationChallenge is not the clientDataHash",
        ));
    }
    // A credential must be scoped to its RP ID, so a key usable by every app fails in either list.
    if description.software.all_applications || description.tee.all_applications {
        return Err(Error::attestation(FMT, "key is usable by all applications"));
    }
    // §8.4 lets an RP also read these two from softwareEnforced, which only the Android OS (not
    // the secure hardware) vouches for. Every real attestation we hold, hardware-backed or from
    // the software keystore, records both in teeEnforced, so the stricter reading costs nothing
    // and needs no policy switch.
    if description.tee.origin != Some(KM_ORIGIN_GENERATED) {
        return Err(Error::attestation(
            FMT,
            "key was not generated in the keystore (teeEnforced origin)",
        ));
    }
    if !description.tee.purposes.contains(&KM_PURPOSE_SIGN) {
        return Err(Error::attestation(
            FMT,
            "key purpose does not include signing (teeEnforced purpose)",
        ));
    }
    Ok(x5c.statement(AttestationType::Basic))
}

/// The parts of a KeyDescription that §8.4 consults.
#[derive(Debug)]
struct KeyDescription<'a> {
    challenge: &'a [u8],
    software: AuthorizationList,
    tee: AuthorizationList,
}

/// The parts of an AuthorizationList that §8.4 consults.
#[derive(Debug, Default, PartialEq, Eq)]
struct AuthorizationList {
    purposes: Vec<i64>,
    origin: Option<i64>,
    all_applications: bool,
}

impl<'a> KeyDescription<'a> {
    fn parse(der: &'a [u8]) -> Result<Self> {
        let description = single(der)?;
        expect(&description, Tag::Sequence, true)?;
        let mut fields = elements(description.data);
        let mut next = |tag: Tag, constructed: bool| -> Result<Any<'a>> {
            let field = fields
                .next()
                .ok_or(Error::malformed(FIELD, "KeyDescription is truncated"))??;
            expect(&field, tag, constructed)?;
            Ok(field)
        };
        // attestationVersion, attestationSecurityLevel, keymasterVersion, keymasterSecurityLevel:
        // their values do not matter here, but their types pin the layout of what follows.
        next(Tag::Integer, false)?;
        next(Tag::Enumerated, false)?;
        next(Tag::Integer, false)?;
        next(Tag::Enumerated, false)?;
        let challenge = next(Tag::OctetString, false)?.data;
        next(Tag::OctetString, false)?;
        let software = AuthorizationList::parse(&next(Tag::Sequence, true)?)?;
        let tee = AuthorizationList::parse(&next(Tag::Sequence, true)?)?;
        if fields.next().is_some() {
            return Err(Error::malformed(
                FIELD,
                "unexpected field after teeEnforced",
            ));
        }
        Ok(Self {
            challenge,
            software,
            tee,
        })
    }
}

impl AuthorizationList {
    fn parse(list: &Any<'_>) -> Result<Self> {
        let mut out = Self::default();
        let mut seen = Vec::new();
        for field in elements(list.data) {
            let field = field?;
            // Every AuthorizationList field is OPTIONAL and EXPLICIT: a constructed context tag.
            if field.header.class() != Class::ContextSpecific || !field.header.is_constructed() {
                return Err(Error::malformed(
                    FIELD,
                    "AuthorizationList entry is not an explicitly tagged field",
                ));
            }
            let tag = field.header.tag().0;
            if seen.contains(&tag) {
                return Err(Error::malformed(FIELD, "AuthorizationList repeats a tag"));
            }
            seen.push(tag);
            match tag {
                TAG_PURPOSE => {
                    let set = single(field.data)?;
                    expect(&set, Tag::Set, true)?;
                    out.purposes = elements(set.data)
                        .map(|p| integer(&p?))
                        .collect::<Result<_>>()?;
                }
                TAG_ALL_APPLICATIONS => {
                    let null = single(field.data)?;
                    expect(&null, Tag::Null, false)?;
                    if !null.data.is_empty() {
                        return Err(Error::malformed(FIELD, "NULL with content"));
                    }
                    out.all_applications = true;
                }
                TAG_ORIGIN => out.origin = Some(integer(&single(field.data)?)?),
                // Tags added by later Keymaster and KeyMint versions carry nothing §8.4 needs.
                _ => {}
            }
        }
        Ok(out)
    }
}

/// The DER elements that fill `bytes`, in order; iteration stops after the first error.
fn elements(mut bytes: &[u8]) -> impl Iterator<Item = Result<Any<'_>>> {
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        Some(match Any::from_der(bytes) {
            Ok((rest, any)) => {
                bytes = rest;
                Ok(any)
            }
            Err(_) => {
                bytes = &[];
                Err(Error::malformed(FIELD, "invalid DER"))
            }
        })
    })
}

/// The one DER element that fills `bytes`.
fn single(bytes: &[u8]) -> Result<Any<'_>> {
    match Any::from_der(bytes) {
        Ok(([], any)) => Ok(any),
        Ok(_) => Err(Error::malformed(
            FIELD,
            "trailing bytes after a DER element",
        )),
        Err(_) => Err(Error::malformed(FIELD, "invalid DER")),
    }
}

/// Refuses anything but a universal `tag` of the given form; asn1-rs matches tag numbers only,
/// so a context tag [2] would otherwise pass for an INTEGER.
fn expect(any: &Any<'_>, tag: Tag, constructed: bool) -> Result<()> {
    if any.header.class() == Class::Universal
        && any.header.tag() == tag
        && any.header.is_constructed() == constructed
    {
        Ok(())
    } else {
        Err(Error::malformed(FIELD, "unexpected ASN.1 type"))
    }
}

/// A DER INTEGER that fits an `i64`. asn1-rs reads an empty INTEGER as 0, which here would pass
/// for KM_ORIGIN_GENERATED, so the encoding is checked by hand.
fn integer(any: &Any<'_>) -> Result<i64> {
    expect(any, Tag::Integer, false)?;
    let bytes = any.data;
    let minimal = match bytes {
        [] => false,
        [0x00, next, ..] => next & 0x80 != 0,
        [0xff, next, ..] => next & 0x80 == 0,
        _ => true,
    };
    if !minimal || bytes.len() > 8 {
        return Err(Error::malformed(
            FIELD,
            "INTEGER is not minimal or too large",
        ));
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let start: i64 = if negative { -1 } else { 0 };
    Ok(bytes
        .iter()
        .fold(start, |acc, b| (acc << 8) | i64::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
        let mut out = tag.to_vec();
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    /// An explicit context-specific tag, in high-tag-number form where needed.
    fn ctx(tag: u32, inner: &[u8]) -> Vec<u8> {
        let header = match tag {
            0..=30 => vec![0xa0 | tag as u8],
            31..=127 => vec![0xbf, tag as u8],
            _ => vec![0xbf, 0x80 | (tag >> 7) as u8, (tag & 0x7f) as u8],
        };
        tlv(&header, inner)
    }

    fn int(v: u8) -> Vec<u8> {
        tlv(&[0x02], &[v])
    }

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(&[0x30], &parts.concat())
    }

    fn purpose(values: &[u8]) -> Vec<u8> {
        let ints: Vec<Vec<u8>> = values.iter().map(|v| int(*v)).collect();
        ctx(TAG_PURPOSE, &tlv(&[0x31], &ints.concat()))
    }

    fn description(software: &[Vec<u8>], tee: &[Vec<u8>]) -> Vec<u8> {
        seq(&[
            int(3),
            tlv(&[0x0a], &[1]),
            int(4),
            tlv(&[0x0a], &[1]),
            tlv(&[0x04], &[7; 32]),
            tlv(&[0x04], &[]),
            seq(software),
            seq(tee),
        ])
    }

    fn typical() -> Vec<u8> {
        description(
            &[ctx(701, &tlv(&[0x02], &[1, 0x67, 0x6e, 0x2e, 0xdf, 0xe8]))],
            &[
                purpose(&[2]),
                ctx(2, &int(3)),
                ctx(5, &tlv(&[0x31], &int(4))),
                ctx(TAG_ORIGIN, &int(0)),
            ],
        )
    }

    #[test]
    fn parses_the_fields_section_8_4_needs() {
        let der = typical();
        let d = KeyDescription::parse(&der).unwrap();
        assert_eq!(d.challenge, &[7; 32]);
        assert_eq!(d.software, AuthorizationList::default());
        assert_eq!(
            d.tee,
            AuthorizationList {
                purposes: vec![2],
                origin: Some(0),
                all_applications: false
            }
        );
    }

    #[test]
    fn reads_authorization_lists_in_any_order_and_skips_unknown_tags() {
        let der = description(
            &[ctx(TAG_ALL_APPLICATIONS, &[0x05, 0x00])],
            &[
                ctx(TAG_ORIGIN, &int(1)),
                ctx(9999, &tlv(&[0x04], b"future")),
                purpose(&[3, 2]),
                ctx(30, &int(0)),
            ],
        );
        let d = KeyDescription::parse(&der).unwrap();
        assert!(d.software.all_applications);
        assert_eq!(d.tee.origin, Some(1));
        assert_eq!(d.tee.purposes, vec![3, 2]);
    }

    #[test]
    fn truncated_input_fails_cleanly() {
        let der = typical();
        for len in 0..der.len() {
            assert!(
                KeyDescription::parse(&der[..len]).is_err(),
                "prefix of {len}"
            );
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(KeyDescription::parse(&trailing).is_err());
    }

    #[test]
    fn garbage_fails_cleanly() {
        let inputs: [&[u8]; 6] = [
            &[0xff; 64],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x03, 0x02, 0x01],
            &[0x04, 0x00],
            &[0x30, 0x00],
        ];
        for input in inputs {
            assert!(KeyDescription::parse(input).is_err(), "{input:02x?}");
        }
        for byte in 0..=255u8 {
            let mut der = typical();
            for i in 0..der.len() {
                let original = der[i];
                der[i] = byte;
                let _ = KeyDescription::parse(&der);
                der[i] = original;
            }
        }
    }

    #[test]
    fn refuses_malformed_authorization_lists() {
        let malformed = |tee: &[Vec<u8>]| KeyDescription::parse(&description(&[], tee)).is_err();
        assert!(
            malformed(&[ctx(TAG_ORIGIN, &tlv(&[0x02], &[]))]),
            "empty INTEGER"
        );
        assert!(
            malformed(&[ctx(TAG_ORIGIN, &tlv(&[0x02], &[0, 0]))]),
            "non-minimal INTEGER"
        );
        assert!(
            malformed(&[ctx(TAG_ORIGIN, &tlv(&[0x0a], &[0]))]),
            "ENUMERATED for INTEGER"
        );
        assert!(
            malformed(&[ctx(TAG_ORIGIN, &[int(0), int(0)].concat())]),
            "two values in one field"
        );
        assert!(
            malformed(&[tlv(&[0x82], &[0])]),
            "implicit (primitive) context tag"
        );
        assert!(malformed(&[int(0)]), "universal element");
        assert!(
            malformed(&[ctx(TAG_ORIGIN, &int(0)), ctx(TAG_ORIGIN, &int(0))]),
            "repeated tag"
        );
        assert!(
            malformed(&[ctx(TAG_PURPOSE, &int(2))]),
            "purpose that is not a SET"
        );
        assert!(
            malformed(&[ctx(TAG_ALL_APPLICATIONS, &[0x05, 0x01, 0x00])]),
            "NULL with content"
        );
    }

    #[test]
    fn refuses_a_description_of_the_wrong_shape() {
        let with_extra = {
            let der = typical();
            let d = single(&der).unwrap();
            let mut content = d.data.to_vec();
            content.extend(int(0));
            tlv(&[0x30], &content)
        };
        assert!(KeyDescription::parse(&with_extra).is_err());
        let challenge_as_integer = seq(&[
            int(3),
            tlv(&[0x0a], &[1]),
            int(4),
            tlv(&[0x0a], &[1]),
            int(7),
            tlv(&[0x04], &[]),
            seq(&[]),
            seq(&[]),
        ]);
        assert!(KeyDescription::parse(&challenge_as_integer).is_err());
    }

    #[test]
    fn decodes_der_integers() {
        let value = |bytes: &[u8]| integer(&single(&tlv(&[0x02], bytes)).unwrap());
        assert_eq!(value(&[0]), Ok(0));
        assert_eq!(value(&[2]), Ok(2));
        assert_eq!(value(&[0x00, 0x80]), Ok(128));
        assert_eq!(value(&[0xff]), Ok(-1));
        assert_eq!(value(&[0x80]), Ok(-128));
        assert_eq!(
            value(&[1, 0x67, 0x6e, 0x2e, 0xdf, 0xe8]),
            Ok(0x0167_6e2e_dfe8)
        );
        assert!(value(&[0xff, 0x80]).is_err());
        assert!(value(&[1; 9]).is_err());
    }
}
