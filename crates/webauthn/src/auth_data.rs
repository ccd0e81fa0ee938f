//! Authenticator data (WebAuthn L3 §6.1): RP ID hash, flags, counter, attested credential data and
//! extensions, decoded strictly with nothing left over.

use std::fmt;

use ciborium::Value;
use serde::{Serialize, Serializer};

use crate::cbor::{self, CborLeniency};
use crate::cose::{CredentialPublicKey, MAX_COSE_KEY_LEN};
use crate::error::{Error, Result};
use crate::policy::{Policy, RelyingParty, UserVerification};

/// Longest authenticatorData accepted: a maximal credential ID, the largest key and extensions.
pub const MAX_AUTH_DATA_LEN: usize = 8 * 1024;
/// The WebAuthn limit on credential IDs.
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// The flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u8);

impl Flags {
    const UP: u8 = 0x01;
    const UV: u8 = 0x04;
    const BE: u8 = 0x08;
    const BS: u8 = 0x10;
    const AT: u8 = 0x40;
    const ED: u8 = 0x80;

    /// Wraps a raw flags byte.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }
    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// User present.
    pub const fn user_present(self) -> bool {
        self.0 & Self::UP != 0
    }
    /// User verified.
    pub const fn user_verified(self) -> bool {
        self.0 & Self::UV != 0
    }
    /// Backup eligible: the credential may be synced (a passkey).
    pub const fn backup_eligible(self) -> bool {
        self.0 & Self::BE != 0
    }
    /// Backed up: the credential is currently synced.
    pub const fn backup_state(self) -> bool {
        self.0 & Self::BS != 0
    }
    /// Attested credential data included.
    pub const fn attested_credential_data(self) -> bool {
        self.0 & Self::AT != 0
    }
    /// Extension data included.
    pub const fn extension_data(self) -> bool {
        self.0 & Self::ED != 0
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Flags", 6)?;
        st.serialize_field("up", &self.user_present())?;
        st.serialize_field("uv", &self.user_verified())?;
        st.serialize_field("be", &self.backup_eligible())?;
        st.serialize_field("bs", &self.backup_state())?;
        st.serialize_field("at", &self.attested_credential_data())?;
        st.serialize_field("ed", &self.extension_data())?;
        st.end()
    }
}

/// An authenticator model identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Aaguid(pub [u8; 16]);

impl Aaguid {
    /// Whether this is the all-zero AAGUID that authenticators use to stay anonymous.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Parses the hyphenated UUID form.
    pub fn parse(s: &str) -> Option<Self> {
        let hyphens_in_place = s.len() == 36
            && s.char_indices()
                .all(|(i, c)| (c == '-') == matches!(i, 8 | 13 | 18 | 23));
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        // from_str_radix would accept a sign; a UUID has hex digits only.
        if !hyphens_in_place || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aaguid({self})")
    }
}

impl Serialize for Aaguid {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The credential created by a registration, as the authenticator describes it.
#[derive(Debug, Clone)]
pub struct AttestedCredentialData {
    /// The authenticator model.
    pub aaguid: Aaguid,
    /// The credential ID.
    pub credential_id: Vec<u8>,
    /// The credential public key.
    pub public_key: CredentialPublicKey,
}

/// Decoded authenticator data.
#[derive(Debug, Clone)]
pub struct AuthenticatorData {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub rp_id_hash: [u8; 32],
    /// The flags.
    pub flags: Flags,
    /// The signature counter.
    pub sign_count: u32,
    /// Present exactly when the AT flag is set.
    pub attested: Option<AttestedCredentialData>,
    /// Present exactly when the ED flag is set.
    pub extensions: Option<Value>,
}

impl AuthenticatorData {
    /// Decodes `bytes`; credential IDs longer than `max_credential_id_len` are refused, and the
    /// CBOR inside (credential key, extensions) may depart from canonical form as far as
    /// [`Policy::default`] allows.
    pub fn parse(bytes: &[u8], max_credential_id_len: usize) -> Result<Self> {
        Self::parse_with(bytes, max_credential_id_len, Policy::default().cbor)
    }

    /// [`AuthenticatorData::parse`] with the CBOR leniency of a policy.
    pub fn parse_with(
        bytes: &[u8],
        max_credential_id_len: usize,
        leniency: CborLeniency,
    ) -> Result<Self> {
        const FIELD: &str = "authenticatorData";
        if bytes.len() > MAX_AUTH_DATA_LEN {
            return Err(Error::TooLarge {
                field: FIELD,
                limit: MAX_AUTH_DATA_LEN,
            });
        }
        let (head, mut rest) = bytes
            .split_first_chunk::<37>()
            .ok_or(Error::malformed(FIELD, "shorter than 37 bytes"))?;
        let (rp_id_hash, tail) = head
            .split_first_chunk::<32>()
            .ok_or(Error::malformed(FIELD, "short"))?;
        let &[flags, c0, c1, c2, c3] = tail else {
            return Err(Error::malformed(FIELD, "shorter than 37 bytes"));
        };
        let flags = Flags(flags);
        let sign_count = u32::from_be_bytes([c0, c1, c2, c3]);

        let attested = if flags.attested_credential_data() {
            let (aaguid, after) = rest.split_first_chunk::<16>().ok_or(Error::malformed(
                FIELD,
                "truncated attested credential data",
            ))?;
            let (len, after) = after.split_first_chunk::<2>().ok_or(Error::malformed(
                FIELD,
                "truncated attested credential data",
            ))?;
            let len = usize::from(u16::from_be_bytes(*len));
            if len > max_credential_id_len.min(MAX_CREDENTIAL_ID_LEN) {
                return Err(Error::TooLarge {
                    field: "credential id",
                    limit: max_credential_id_len,
                });
            }
            if len == 0 {
                return Err(Error::malformed(FIELD, "empty credential id"));
            }
            let (credential_id, mut after) = after
                .split_at_checked(len)
                .ok_or(Error::malformed(FIELD, "truncated credential id"))?;
            let before_key = after;
            let key = cbor::decode_prefix("credentialPublicKey", &mut after, leniency)?;
            let key_len = before_key.len() - after.len();
            if key_len > MAX_COSE_KEY_LEN {
                return Err(Error::TooLarge {
                    field: "credentialPublicKey",
                    limit: MAX_COSE_KEY_LEN,
                });
            }
            let cose = before_key.get(..key_len).unwrap_or_default().to_vec();
            let public_key = CredentialPublicKey::from_value(key, cose)?;
            rest = after;
            Some(AttestedCredentialData {
                aaguid: Aaguid(*aaguid),
                credential_id: credential_id.to_vec(),
                public_key,
            })
        } else {
            None
        };

        let extensions = if flags.extension_data() {
            let value = cbor::decode_prefix("extensions", &mut rest, leniency)?;
            if value.as_map().is_none() {
                return Err(Error::malformed(FIELD, "extensions are not a CBOR map"));
            }
            Some(value)
        } else {
            None
        };
        if !rest.is_empty() {
            return Err(Error::malformed(FIELD, "trailing bytes"));
        }
        Ok(Self {
            rp_id_hash: *rp_id_hash,
            flags,
            sign_count,
            attested,
            extensions,
        })
    }

    /// The checks both ceremonies share: RP ID hash, UP, UV and backup-flag consistency.
    pub(crate) fn check(&self, rp: &RelyingParty, policy: &Policy) -> Result<()> {
        if aws_lc_rs::constant_time::verify_slices_are_equal(&self.rp_id_hash, rp.id_hash())
            .is_err()
        {
            return Err(Error::RpIdHashMismatch);
        }
        if policy.requires_user_presence() && !self.flags.user_present() {
            return Err(Error::UserNotPresent);
        }
        if policy.user_verification == UserVerification::Required && !self.flags.user_verified() {
            return Err(Error::UserNotVerified);
        }
        if self.flags.backup_state() && !self.flags.backup_eligible() {
            return Err(Error::BackupFlags("backed up but not backup eligible"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(flags: u8) -> Vec<u8> {
        let mut v = vec![0u8; 32];
        v.push(flags);
        v.extend(7u32.to_be_bytes());
        v
    }

    #[test]
    fn parses_an_assertion_shape() {
        let data = AuthenticatorData::parse(&minimal(0x05), 1023).unwrap();
        assert!(data.flags.user_present() && data.flags.user_verified());
        assert_eq!(data.sign_count, 7);
        assert!(data.attested.is_none() && data.extensions.is_none());
    }

    #[test]
    fn refuses_truncation_trailing_bytes_and_missing_sections() {
        assert!(AuthenticatorData::parse(&minimal(0x01)[..36], 1023).is_err());
        let mut trailing = minimal(0x01);
        trailing.push(0);
        assert!(AuthenticatorData::parse(&trailing, 1023).is_err());
        assert!(
            AuthenticatorData::parse(&minimal(0x41), 1023).is_err(),
            "AT set without data"
        );
        assert!(
            AuthenticatorData::parse(&minimal(0x81), 1023).is_err(),
            "ED set without data"
        );
        let mut ext = minimal(0x81);
        ext.push(0xa0);
        assert!(
            AuthenticatorData::parse(&ext, 1023)
                .unwrap()
                .extensions
                .is_some()
        );
        let mut not_map = minimal(0x81);
        not_map.push(0x01);
        assert!(AuthenticatorData::parse(&not_map, 1023).is_err());
    }

    #[test]
    fn refuses_long_credential_ids() {
        let mut data = minimal(0x41);
        data.extend([0u8; 16]);
        data.extend(2000u16.to_be_bytes());
        data.extend(vec![0u8; 2000]);
        assert!(matches!(
            AuthenticatorData::parse(&data, 1023),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn aaguid_text_round_trips() {
        let text = "adce0002-35bc-c60a-648b-0b25f1f05503";
        assert_eq!(Aaguid::parse(text).unwrap().to_string(), text);
        assert!(Aaguid::parse("adce000235bcc60a648b0b25f1f05503").is_none());
        assert!(Aaguid::parse("+dce0002-35bc-c60a-648b-0b25f1f05503").is_none());
        assert!(Aaguid::parse("adce0002-35bcc-60a-648b-0b25f1f05503").is_none());
    }
}
