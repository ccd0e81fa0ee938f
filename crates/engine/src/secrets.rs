//! Secrets the server holds: tenants' API keys, kept only as hashes, and the master key that
//! encrypts token-signing keys at rest. Neither is ever printed by `Debug`, and neither has a
//! `Display`.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

use crate::{Error, Result};

/// Random bytes in an API key, as in the original server.
const API_KEY_BYTES: usize = 64;
const MASTER_KEY_BYTES: usize = 32;

/// A new API key: the text to show its owner once, and the hash to store.
///
/// The text is the 64 random bytes in base64url with padding (88 characters), as the original
/// server issues them; the unpadded spelling is the same key (see [`hash_api_key`]).
pub struct ApiKeySecret {
    text: String,
    hash: [u8; 32],
}

impl ApiKeySecret {
    /// A new key from the system's random source; its text is shown once, its hash is stored.
    pub fn generate() -> Result<Self> {
        let bytes: [u8; API_KEY_BYTES] = random()?;
        Ok(Self {
            text: URL_SAFE.encode(bytes),
            hash: sha256(&bytes),
        })
    }

    /// The key as its owner must present it. Show it once; never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// What the store keeps of the key.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(..)")
    }
}

/// The stored form of a presented API key, or `None` when the text cannot be a key.
///
/// Surrounding whitespace is ignored (the original trimmed the header value), and so is base64
/// padding, so a key issued by the original server works whether its owner kept the `==` or not.
/// What is hashed is the decoded 64 bytes rather than the text, which is what makes the padded
/// and unpadded spellings one key. A single SHA-256 is enough: the secret has 512 bits of
/// entropy, so a stolen hash cannot be brute-forced, and a slow hash would tax every API call.
pub fn hash_api_key(presented: &str) -> Option<[u8; 32]> {
    let text = presented.trim().trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    (bytes.len() == API_KEY_BYTES).then(|| sha256(&bytes))
}

/// Whether `presented` is the key stored as `stored`, compared in constant time.
///
/// For a caller that already holds the key's row; looking a key up by its hash
/// ([`ReadTx::api_key_by_hash`](crate::ReadTx::api_key_by_hash)) is safe as it is, since timing that lookup reveals at most a
/// prefix of a SHA-256, not of the secret.
pub fn api_key_matches(presented: &str, stored: &[u8; 32]) -> bool {
    hash_api_key(presented).is_some_and(|hash| verify_slices_are_equal(&hash, stored).is_ok())
}

/// The key that encrypts token-signing keys at rest (AES-256-GCM).
///
/// Configuration carries it as 32 bytes of base64url text ([`FromStr`]); a development instance
/// [generates](MasterKey::generate) one and keeps its [text](MasterKey::expose_base64url).
pub struct MasterKey([u8; MASTER_KEY_BYTES]);

impl MasterKey {
    /// A new master key from the system's random source.
    pub fn generate() -> Result<Self> {
        random().map(Self)
    }

    /// The configuration text of the key (unpadded base64url). Write it only where the
    /// configuration lives; never log it.
    pub fn expose_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Encrypts `plaintext`, authenticating `aad` with it, as nonce ‖ ciphertext ‖ tag.
    ///
    /// `aad` names what the plaintext belongs to (a row's identity), so that a ciphertext copied
    /// into another row does not [open](MasterKey::open) there. The nonce is random: with 96
    /// bits, a key seals billions of values before a repeat becomes a risk, and signing keys are
    /// created a handful at a time.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let mut ciphertext = plaintext.to_vec();
        let nonce = self
            .aead_key()?
            .seal_in_place_append_tag(Aad::from(aad), &mut ciphertext)
            .map_err(|_| Error::Crypto("sealing failed"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`MasterKey::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let (nonce, ciphertext) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(Error::Crypto("sealed value too short"))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::Crypto("sealed value too short"))?;
        let mut plaintext = ciphertext.to_vec();
        let len = self
            .aead_key()?
            .open_in_place(nonce, Aad::from(aad), &mut plaintext)
            .map_err(|_| {
                Error::Crypto("sealed value does not open (other master key or row, or tampered)")
            })?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }

    /// HMAC-SHA-256 of a passcode's code, bound to the passcode's id, under a key derived from
    /// the master key. A six-digit code hashed without a secret falls to a million guesses;
    /// this one cannot be guessed from the database alone, and a fast MAC keeps a guess online
    /// cheap for the server, unlike the original's bcrypt.
    pub(crate) fn passcode_mac(&self, passcode: uuid::Uuid, code: &str) -> [u8; 32] {
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &self.0),
            b"latchkey passcode mac v1",
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        let mut context = hmac::Context::with_key(&key);
        context.update(passcode.as_bytes());
        context.update(code.as_bytes());
        let mut mac = [0; 32];
        mac.copy_from_slice(context.sign().as_ref());
        mac
    }

    /// A key for `purpose` derived from the master key, so that a value signed under it by one
    /// instance verifies on every instance that shares the master key, and across restarts.
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &self.0), purpose);
        let mut key = [0; 32];
        key.copy_from_slice(derived.as_ref());
        key
    }

    fn aead_key(&self) -> Result<RandomizedNonceKey> {
        RandomizedNonceKey::new(&AES_256_GCM, &self.0)
            .map_err(|_| Error::Crypto("master key rejected"))
    }
}

impl FromStr for MasterKey {
    type Err = Error;

    /// Parses base64url text, padded or not, with surrounding whitespace ignored.
    fn from_str(text: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::Invalid {
            field: "master_key",
            reason: reason.to_owned(),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| invalid("not base64url"))?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| invalid("must be 32 bytes (43 base64url characters)"))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0; N];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Crypto("random source failed"))?;
    Ok(bytes)
}

/// `len` random bytes as lowercase hex: identifiers and keys that travel as plain text.
pub(crate) fn random_hex(len: usize) -> Result<String> {
    let mut bytes = vec![0; len];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Crypto("random source failed"))?;
    Ok(hex(&bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut hash = [0; 32];
    hash.copy_from_slice(digest(&SHA256, bytes).as_ref());
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_is_88_padded_base64url_characters_of_64_bytes() {
        let key = ApiKeySecret::generate().unwrap();
        assert_eq!(key.expose().len(), 88);
        let (text, padding) = key.expose().split_at(86);
        assert_eq!(padding, "==");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(URL_SAFE.decode(key.expose()).unwrap().len(), 64);
        assert_eq!(hash_api_key(key.expose()), Some(key.hash()));
    }

    #[test]
    fn api_key_hash_is_the_same_for_padded_unpadded_and_trimmed_text() {
        let key = ApiKeySecret::generate().unwrap();
        let padded = key.expose();
        let unpadded = padded.trim_end_matches('=');
        assert_eq!(unpadded.len(), 86);
        for spelling in [
            padded.to_owned(),
            unpadded.to_owned(),
            format!("  {padded}\t\n"),
        ] {
            assert_eq!(hash_api_key(&spelling), Some(key.hash()), "{spelling:?}");
            assert!(api_key_matches(&spelling, &key.hash()));
        }
    }

    #[test]
    fn key_issued_by_the_original_server_keeps_working() {
        // The original printed its 64 random bytes with Go's padded base64url.
        let bytes: [u8; 64] = random().unwrap();
        let original = URL_SAFE.encode(bytes);
        assert_eq!(original.len(), 88);
        assert_eq!(hash_api_key(&original), Some(sha256(&bytes)));
        assert_eq!(
            hash_api_key(&URL_SAFE_NO_PAD.encode(bytes)),
            Some(sha256(&bytes))
        );
    }

    #[test]
    fn different_keys_never_match() {
        let keys: Vec<_> = (0..64).map(|_| ApiKeySecret::generate().unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(a.hash() == b.hash(), i == j);
                assert_eq!(api_key_matches(a.expose(), &b.hash()), i == j);
            }
        }
        // One changed character is another key.
        let key = &keys[0];
        let mut text = key.expose().to_owned();
        let other = if text.starts_with('A') { "B" } else { "A" };
        text.replace_range(..1, other);
        assert!(!api_key_matches(&text, &key.hash()));
    }

    #[test]
    fn text_that_cannot_be_a_key_has_no_hash() {
        let key = ApiKeySecret::generate().unwrap();
        let text = key.expose();
        for bad in [
            "",
            "   ",
            &text[..85],
            &format!("{text}A"),
            &format!("+{}", &text[1..]),
            &format!("{}!", &text[..85]),
            &URL_SAFE_NO_PAD.encode([0u8; 32]),
        ] {
            assert_eq!(hash_api_key(bad), None, "{bad:?}");
            assert!(!api_key_matches(bad, &key.hash()));
        }
        assert_eq!(hash_api_key(&URL_SAFE_NO_PAD.encode([0u8; 63])), None);
        assert_eq!(hash_api_key(&URL_SAFE_NO_PAD.encode([0u8; 65])), None);
        // Standard base64's alphabet is not base64url.
        assert_eq!(hash_api_key(&"+".repeat(86)), None);
    }

    #[test]
    fn debug_shows_no_secret() {
        let key = ApiKeySecret::generate().unwrap();
        let master = MasterKey::generate().unwrap();
        for shown in [
            format!("{key:?}"),
            format!("{master:?}"),
            format!("{key:#?}{master:#?}"),
        ] {
            assert!(!shown.contains(key.expose()), "{shown}");
            assert!(!shown.contains(&master.expose_base64url()), "{shown}");
            assert!(!shown.contains(&key.expose()[..8]), "{shown}");
            assert!(!shown.contains(&master.expose_base64url()[..8]), "{shown}");
        }
    }

    #[test]
    fn master_key_text_round_trip() {
        let key = MasterKey::generate().unwrap();
        let text = key.expose_base64url();
        assert_eq!(text.len(), 43);
        let parsed: MasterKey = text.parse().unwrap();
        assert_eq!(parsed.0, key.0);
        let padded: MasterKey = format!(" {text}=\n").parse().unwrap();
        assert_eq!(padded.0, key.0);
        assert_ne!(MasterKey::generate().unwrap().0, key.0);
    }

    #[test]
    fn master_key_text_must_be_32_base64url_bytes() {
        for bad in [
            String::new(),
            URL_SAFE_NO_PAD.encode([7u8; 31]),
            URL_SAFE_NO_PAD.encode([7u8; 33]),
            "not base64!".to_owned(),
            "/".repeat(43),
        ] {
            let err = bad.parse::<MasterKey>().unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Invalid {
                        field: "master_key",
                        ..
                    }
                ),
                "{bad:?}: {err}"
            );
            assert!(
                bad.is_empty() || !err.to_string().contains(&bad),
                "the error echoes the key"
            );
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let key = MasterKey::generate().unwrap();
        for plaintext in [&b""[..], b"x", &[0xA5; 2400]] {
            let sealed = key.seal(plaintext, b"row 1").unwrap();
            assert_eq!(sealed.len(), NONCE_LEN + plaintext.len() + 16);
            assert_eq!(key.open(&sealed, b"row 1").unwrap(), plaintext);
        }
        // A fresh nonce every time: the same plaintext never seals the same way twice.
        assert_ne!(
            key.seal(b"same", b"aad").unwrap(),
            key.seal(b"same", b"aad").unwrap()
        );
        assert!(
            !key.seal(b"plaintext", b"")
                .unwrap()
                .windows(9)
                .any(|w| w == b"plaintext")
        );
    }

    #[test]
    fn tampered_sealed_values_do_not_open() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"a private key", b"row").unwrap();
        // Every byte matters: nonce, ciphertext and tag.
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(
                matches!(key.open(&tampered, b"row"), Err(Error::Crypto(_))),
                "byte {i}"
            );
        }
        for len in [0, NONCE_LEN - 1, NONCE_LEN, sealed.len() - 1] {
            assert!(
                matches!(key.open(&sealed[..len], b"row"), Err(Error::Crypto(_))),
                "length {len}"
            );
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(key.open(&longer, b"row").is_err());
    }

    #[test]
    fn wrong_aad_or_master_key_does_not_open() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"a private key", b"row").unwrap();
        for aad in [&b""[..], b"rox", b"row ", b"ro"] {
            assert!(
                matches!(key.open(&sealed, aad), Err(Error::Crypto(_))),
                "{aad:?}"
            );
        }
        let other = MasterKey::generate().unwrap();
        assert!(matches!(other.open(&sealed, b"row"), Err(Error::Crypto(_))));
    }
}
