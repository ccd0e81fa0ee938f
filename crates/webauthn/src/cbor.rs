//! Bounded CBOR decoding on top of ciborium: an encoding check before anything is decoded (CTAP2
//! canonical form, as far as [`CborLeniency`] allows; never duplicate keys or tags), a depth limit,
//! no trailing bytes, and typed lookups in maps.

use ciborium::Value;

use crate::error::{Error, Result};

/// WebAuthn structures nest a handful of levels; anything deeper is hostile.
const MAX_DEPTH: usize = 16;

/// Which departures from CTAP2 canonical CBOR (CTAP 2.2 §8) to accept from an authenticator or
/// client. Whatever this says, a map with two equal keys, a tag (such as a bignum `alg`) and
/// anything that is not well-formed CBOR are refused at every depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CborLeniency {
    /// Accept indefinite-length strings, arrays and maps.
    pub indefinite_lengths: bool,
    /// Accept map keys out of canonical order (shorter encoding first, then bytewise).
    pub unsorted_keys: bool,
    /// Accept integers, lengths and simple values not encoded in their shortest form.
    pub long_heads: bool,
}

impl CborLeniency {
    /// CTAP2 canonical form exactly.
    pub const STRICT: Self = Self {
        indefinite_lengths: false,
        unsorted_keys: false,
        long_heads: false,
    };
    /// What recorded real authenticators need, and the default: map keys out of canonical
    /// order, which Windows Hello's TPM statements, the Feitian BioPass and IBM's FIDOTEST keys
    /// send. No recorded device uses indefinite lengths or long heads.
    pub const REAL_DEVICES: Self = Self {
        indefinite_lengths: false,
        unsorted_keys: true,
        long_heads: false,
    };
    /// Every departure the switches name (still no duplicate keys, no tags).
    pub const ANY_ENCODING: Self = Self {
        indefinite_lengths: true,
        unsorted_keys: true,
        long_heads: true,
    };
}

/// Decodes exactly one CBOR item that fills `bytes` entirely, after checking its encoding.
pub fn decode(field: &'static str, bytes: &[u8], leniency: CborLeniency) -> Result<Value> {
    let mut rest = bytes;
    let value = decode_prefix(field, &mut rest, leniency)?;
    if !rest.is_empty() {
        return Err(Error::malformed(field, "trailing bytes after CBOR item"));
    }
    Ok(value)
}

/// Decodes one CBOR item from the front of `input`, after checking its encoding, and advances
/// `input` past the item.
pub fn decode_prefix(
    field: &'static str,
    input: &mut &[u8],
    leniency: CborLeniency,
) -> Result<Value> {
    let len = Scanner {
        field,
        bytes: input,
        pos: 0,
        leniency,
    }
    .item_len()?;
    let (item, rest) = input
        .split_at_checked(len)
        .ok_or(Error::malformed(field, "truncated CBOR"))?;
    let mut reader = item;
    let value = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH)
        .map_err(|_| Error::malformed(field, "invalid CBOR"))?;
    *input = rest;
    Ok(value)
}

/// Walks one CBOR item's encoding without building it, checking well-formedness and the rules of
/// [`CborLeniency`]. ciborium decodes values but forgets how they were encoded, so canonical
/// form and duplicate keys are checked here, on the bytes, where they are still visible.
struct Scanner<'a> {
    field: &'static str,
    bytes: &'a [u8],
    pos: usize,
    leniency: CborLeniency,
}

/// What the initial byte and argument of a data item say.
enum Head {
    /// Major type and argument.
    Definite(u8, u64),
    /// Major type of an indefinite-length string, array or map.
    Indefinite(u8),
    /// The "break" stop code.
    Break,
}

impl Scanner<'_> {
    fn err(&self, reason: &'static str) -> Error {
        Error::malformed(self.field, reason)
    }

    fn item_len(mut self) -> Result<usize> {
        self.item(0)?;
        Ok(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).ok_or(self.err("truncated CBOR"))?;
        let taken = self
            .bytes
            .get(self.pos..end)
            .ok_or(self.err("truncated CBOR"))?;
        self.pos = end;
        Ok(taken)
    }

    fn head(&mut self) -> Result<Head> {
        let &[initial] = self.take(1)? else {
            return Err(self.err("truncated CBOR"));
        };
        let (major, info) = (initial >> 5, initial & 0x1f);
        let (value, shortest_from) = match info {
            0..=23 => return Ok(Head::Definite(major, u64::from(info))),
            24 => (self.uint(1)?, if major == 7 { 32 } else { 24 }),
            25 => (self.uint(2)?, 1 << 8),
            26 => (self.uint(4)?, 1 << 16),
            27 => (self.uint(8)?, 1 << 32),
            31 => {
                return match major {
                    2..=5 => Ok(Head::Indefinite(major)),
                    7 => Ok(Head::Break),
                    _ => Err(self.err("invalid CBOR")),
                };
            }
            _ => return Err(self.err("invalid CBOR")),
        };
        // Floats (major 7 with 2, 4 or 8 bytes) carry bits, not a length: no shortest form.
        let is_float = major == 7 && info > 24;
        if !is_float && value < shortest_from && !self.leniency.long_heads {
            return Err(self.err("CBOR integer or length not in its shortest form"));
        }
        Ok(Head::Definite(major, value))
    }

    fn uint(&mut self, n: usize) -> Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn item(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.err("CBOR nested too deeply"));
        }
        match self.head()? {
            Head::Definite(major, arg) => self.definite(major, arg, depth),
            Head::Indefinite(major) => {
                if !self.leniency.indefinite_lengths {
                    return Err(self.err("indefinite-length CBOR item"));
                }
                self.indefinite(major, depth)
            }
            Head::Break => Err(self.err("unexpected CBOR break")),
        }
    }

    fn definite(&mut self, major: u8, arg: u64, depth: usize) -> Result<()> {
        let count = usize::try_from(arg).map_err(|_| self.err("truncated CBOR"))?;
        match major {
            0 | 1 | 7 => Ok(()),
            2 => self.take(count).map(drop),
            3 => {
                let text = self.take(count)?;
                std::str::from_utf8(text)
                    .map(drop)
                    .map_err(|_| self.err("CBOR text is not UTF-8"))
            }
            4 => (0..count).try_for_each(|_| self.item(depth + 1)),
            5 => {
                let mut keys = Vec::new();
                for _ in 0..count {
                    keys.push(self.key(depth)?);
                    self.item(depth + 1)?;
                }
                self.check_keys(keys)
            }
            _ => Err(self.err("CBOR tags are not allowed")),
        }
    }

    fn indefinite(&mut self, major: u8, depth: usize) -> Result<()> {
        let mut keys = Vec::new();
        loop {
            if self.bytes.get(self.pos) == Some(&0xff) {
                self.pos += 1;
                return if major == 5 {
                    self.check_keys(keys)
                } else {
                    Ok(())
                };
            }
            match major {
                // A chunk of an indefinite-length string is a definite string of the same type.
                2 | 3 => match self.head()? {
                    Head::Definite(chunk, len) if chunk == major => {
                        self.definite(chunk, len, depth)?;
                    }
                    _ => return Err(self.err("invalid CBOR string chunk")),
                },
                4 => self.item(depth + 1)?,
                _ => {
                    keys.push(self.key(depth)?);
                    self.item(depth + 1)?;
                }
            }
        }
    }

    /// A map key: an integer or a definite string, whose encoding is then its identity (heads
    /// may be long only by leniency, so keys are compared by value where that is allowed).
    fn key(&mut self, depth: usize) -> Result<(u8, u64, std::ops::Range<usize>)> {
        let start = self.pos;
        let head = self.head()?;
        let Head::Definite(major @ 0..=3, arg) = head else {
            return Err(self.err("CBOR map key is not an integer or a string"));
        };
        self.definite(major, arg, depth + 1)?;
        Ok((major, arg, start..self.pos))
    }

    /// No two keys may have the same value, and unless leniency allows otherwise they are in CTAP2
    /// canonical order: by major type, then encoded length, then bytes.
    fn check_keys(&self, keys: Vec<(u8, u64, std::ops::Range<usize>)>) -> Result<()> {
        let encoded =
            |range: &std::ops::Range<usize>| self.bytes.get(range.clone()).unwrap_or_default();
        // A key's value: major type and integer, or major type and string contents (long heads
        // can encode one value several ways, so encodings alone do not show duplicates).
        let mut values: Vec<(u8, u64, &[u8])> = keys
            .iter()
            .map(|(major, arg, range)| {
                let bytes = encoded(range);
                match major {
                    0 | 1 => (*major, *arg, &[][..]),
                    _ => {
                        let start = bytes
                            .len()
                            .saturating_sub(usize::try_from(*arg).unwrap_or(usize::MAX));
                        (*major, 0, bytes.get(start..).unwrap_or_default())
                    }
                }
            })
            .collect();
        values.sort_unstable();
        if values.windows(2).any(|pair| pair.first() == pair.get(1)) {
            return Err(self.err("duplicate key in CBOR map"));
        }
        let canonical = keys.windows(2).all(|pair| match pair {
            [(ma, _, a), (mb, _, b)] => (ma, a.len(), encoded(a)) < (mb, b.len(), encoded(b)),
            _ => true,
        });
        if !canonical && !self.leniency.unsorted_keys {
            return Err(self.err("CBOR map keys not in canonical order"));
        }
        Ok(())
    }
}

/// A CBOR map viewed as a list of entries with unique keys.
#[derive(Debug)]
pub struct Map<'a> {
    field: &'static str,
    entries: &'a [(Value, Value)],
}

impl<'a> Map<'a> {
    /// Views `value` as a map, refusing any other type and duplicate keys.
    pub fn new(field: &'static str, value: &'a Value) -> Result<Self> {
        let entries = value
            .as_map()
            .ok_or(Error::malformed(field, "expected a CBOR map"))?;
        // The duplicate check is quadratic; WebAuthn's maps have a handful of entries.
        if entries.len() > MAX_MAP_ENTRIES {
            return Err(Error::malformed(field, "too many entries in CBOR map"));
        }
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries.iter().skip(i + 1).any(|(other, _)| other == key) {
                return Err(Error::malformed(field, "duplicate key in CBOR map"));
            }
        }
        Ok(Self { field, entries })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The value under a text key.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// Whether every key is one of `allowed` text keys.
    pub fn only_keys(&self, allowed: &[&str]) -> Result<()> {
        let all_known = self
            .entries
            .iter()
            .all(|(k, _)| k.as_text().is_some_and(|k| allowed.contains(&k)));
        if all_known {
            Ok(())
        } else {
            Err(Error::malformed(self.field, "unexpected key in CBOR map"))
        }
    }

    /// A required byte string under a text key.
    pub fn bytes(&self, key: &'static str) -> Result<&'a [u8]> {
        self.get(key)
            .ok_or(Error::malformed(self.field, "missing field"))?
            .as_bytes()
            .map(Vec::as_slice)
            .ok_or(Error::malformed(self.field, "expected a byte string"))
    }

    /// A required text string under a text key.
    pub fn text(&self, key: &'static str) -> Result<&'a str> {
        self.get(key)
            .ok_or(Error::malformed(self.field, "missing field"))?
            .as_text()
            .ok_or(Error::malformed(self.field, "expected a text string"))
    }

    /// A required integer under a text key.
    pub fn int(&self, key: &'static str) -> Result<i64> {
        self.get(key)
            .ok_or(Error::malformed(self.field, "missing field"))
            .and_then(|v| as_i64(self.field, v))
    }

    /// An optional array of byte strings (an `x5c`), refusing an empty array.
    pub fn cert_chain(&self, key: &'static str) -> Result<Option<Vec<&'a [u8]>>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let items = value
            .as_array()
            .ok_or(Error::malformed(self.field, "x5c is not an array"))?;
        if items.is_empty() || items.len() > MAX_CHAIN_LEN {
            return Err(Error::malformed(self.field, "x5c length out of range"));
        }
        items
            .iter()
            .map(|c| {
                c.as_bytes().map(Vec::as_slice).ok_or(Error::malformed(
                    self.field,
                    "x5c entry is not a byte string",
                ))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

/// Most entries a structural map (attestation object, statement) may have.
const MAX_MAP_ENTRIES: usize = 32;

/// Longest certificate chain accepted in an attestation statement.
pub const MAX_CHAIN_LEN: usize = 8;

/// A CBOR integer as `i64`.
pub fn as_i64(field: &'static str, value: &Value) -> Result<i64> {
    value
        .as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .ok_or(Error::malformed(field, "expected an integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: CborLeniency = CborLeniency::STRICT;

    fn reason(bytes: &[u8], leniency: CborLeniency) -> Option<&'static str> {
        match decode("t", bytes, leniency) {
            Ok(_) => None,
            Err(Error::Malformed { reason, .. }) => Some(reason),
            Err(other) => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn refuses_trailing_bytes() {
        assert!(decode("t", &[0xa0], STRICT).is_ok());
        assert!(decode("t", &[0xa0, 0x00], STRICT).is_err());
    }

    #[test]
    fn prefix_decoding_reports_what_is_left() {
        let mut input: &[u8] = &[0x01, 0x02, 0x03];
        assert_eq!(
            decode_prefix("t", &mut input, STRICT).unwrap(),
            Value::from(1)
        );
        assert_eq!(input, &[0x02, 0x03]);
    }

    #[test]
    fn refuses_deep_nesting_and_huge_claimed_lengths() {
        let deep = [0x81; 64];
        assert!(decode("t", &deep, STRICT).is_err());
        // A byte string claiming 2^32 bytes with none present must fail without allocating them.
        assert!(decode("t", &[0x5a, 0xff, 0xff, 0xff, 0xff], STRICT).is_err());
        assert!(
            decode(
                "t",
                &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                STRICT
            )
            .is_err()
        );
    }

    #[test]
    fn canonical_cbor_is_accepted_strictly() {
        // {1: 2, 3: -7, -1: 1, "a": h'00', "bb": [true, null]}
        let ok = [
            0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x61, b'a', 0x41, 0x00, 0x62, b'b', b'b',
            0x82, 0xf5, 0xf6,
        ];
        assert_eq!(reason(&ok, STRICT), None);
    }

    #[test]
    fn each_departure_from_canonical_form_is_refused_unless_allowed() {
        let cases: [(&[u8], &str, CborLeniency); 6] = [
            // 1 as 0x18 0x01
            (
                &[0x18, 0x01],
                "CBOR integer or length not in its shortest form",
                CborLeniency {
                    long_heads: true,
                    ..STRICT
                },
            ),
            // a byte string whose length 1 takes two bytes
            (
                &[0x59, 0x00, 0x01, 0x00],
                "CBOR integer or length not in its shortest form",
                CborLeniency {
                    long_heads: true,
                    ..STRICT
                },
            ),
            // the simple value false written as 0xf8 0x14
            (
                &[0xf8, 0x14],
                "CBOR integer or length not in its shortest form",
                CborLeniency {
                    long_heads: true,
                    ..STRICT
                },
            ),
            // an indefinite-length map {1: 2}
            (
                &[0xbf, 0x01, 0x02, 0xff],
                "indefinite-length CBOR item",
                CborLeniency {
                    indefinite_lengths: true,
                    ..STRICT
                },
            ),
            // an indefinite-length byte string of two chunks
            (
                &[0x5f, 0x41, 0x00, 0x41, 0x01, 0xff],
                "indefinite-length CBOR item",
                CborLeniency {
                    indefinite_lengths: true,
                    ..STRICT
                },
            ),
            // {3: 1, 1: 2}
            (
                &[0xa2, 0x03, 0x01, 0x01, 0x02],
                "CBOR map keys not in canonical order",
                CborLeniency {
                    unsorted_keys: true,
                    ..STRICT
                },
            ),
        ];
        for (bytes, expected, allowing) in cases {
            assert_eq!(reason(bytes, STRICT), Some(expected), "{bytes:02x?}");
            assert_eq!(reason(bytes, allowing), None, "{bytes:02x?}");
        }
    }

    #[test]
    fn duplicate_keys_and_tags_are_refused_whatever_the_leniency() {
        let lenient = CborLeniency::ANY_ENCODING;
        let duplicate = "duplicate key in CBOR map";
        // {"a": 1, "a": 2}, nested one level down, in an indefinite map, and with a long head.
        for bytes in [
            &[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02][..],
            &[0x81, 0xa2, 0x01, 0x00, 0x01, 0x00],
            &[0xbf, 0x01, 0x00, 0x01, 0x00, 0xff],
            &[0xa2, 0x01, 0x00, 0x18, 0x01, 0x00],
            &[0xa2, 0x61, b'a', 0x01, 0x78, 0x01, b'a', 0x02],
        ] {
            assert_eq!(reason(bytes, lenient), Some(duplicate), "{bytes:02x?}");
        }
        // alg -7 as a negative bignum (tag 3)
        assert_eq!(
            reason(&[0xa1, 0x03, 0xc3, 0x41, 0x06], lenient),
            Some("CBOR tags are not allowed")
        );
        // a map key that is itself an array
        assert_eq!(
            reason(&[0xa1, 0x80, 0x00], lenient),
            Some("CBOR map key is not an integer or a string")
        );
    }

    #[test]
    fn maps_refuse_more_entries_than_webauthn_uses() {
        let big = Value::Map((0..1000).map(|i| (Value::from(i), Value::Null)).collect());
        assert!(Map::new("t", &big).is_err());
    }

    #[test]
    fn maps_refuse_duplicate_keys() {
        // {"a": 1, "a": 2}
        let value = Value::Map(vec![
            (Value::from("a"), Value::from(1)),
            (Value::from("a"), Value::from(2)),
        ]);
        assert!(Map::new("t", &value).is_err());
    }
}
