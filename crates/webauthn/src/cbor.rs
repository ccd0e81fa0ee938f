//! Bounded CBOR decoding on top of ciborium: a depth limit, no trailing bytes, and typed lookups in
//! maps that refuse duplicate keys.

use ciborium::Value;

use crate::error::{Error, Result};

/// WebAuthn structures nest a handful of levels; anything deeper is hostile.
const MAX_DEPTH: usize = 16;

/// Decodes exactly one CBOR item that fills `bytes` entirely.
pub fn decode(field: &'static str, bytes: &[u8]) -> Result<Value> {
    let mut rest = bytes;
    let value = decode_prefix(field, &mut rest)?;
    if !rest.is_empty() {
        return Err(Error::malformed(field, "trailing bytes after CBOR item"));
    }
    Ok(value)
}

/// Decodes one CBOR item from the front of `input` and advances it past the item.
pub fn decode_prefix(field: &'static str, input: &mut &[u8]) -> Result<Value> {
    ciborium::de::from_reader_with_recursion_limit(&mut *input, MAX_DEPTH)
        .map_err(|_| Error::malformed(field, "invalid CBOR"))
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

    #[test]
    fn refuses_trailing_bytes() {
        assert!(decode("t", &[0xa0]).is_ok());
        assert!(decode("t", &[0xa0, 0x00]).is_err());
    }

    #[test]
    fn prefix_decoding_reports_what_is_left() {
        let mut input: &[u8] = &[0x01, 0x02, 0x03];
        assert_eq!(decode_prefix("t", &mut input).unwrap(), Value::from(1));
        assert_eq!(input, &[0x02, 0x03]);
    }

    #[test]
    fn refuses_deep_nesting_and_huge_claimed_lengths() {
        let deep = [0x81; 64];
        assert!(decode("t", &deep).is_err());
        // A byte string claiming 2^32 bytes with none present must fail without allocating them.
        assert!(decode("t", &[0x5a, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode("t", &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn maps_refuse_more_entries_than_webauthn_uses() {
        let big = Value::Map((0..1000).map(|i| (Value::from(i), Value::Null)).collect());
        assert!(Map::new("t", &big).is_err());
    }

    #[test]
    fn maps_refuse_duplicate_keys() {
        // {"a": 1, "a": 2}
        let value = decode("t", &[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02]).unwrap();
        assert!(Map::new("t", &value).is_err());
    }
}
