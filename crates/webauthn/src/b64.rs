//! base64url exactly as WebAuthn writes it: URL-safe alphabet, no padding, canonical trailing bits.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// Decodes `input`, refusing padding, the standard alphabet, and anything longer than `limit` bytes
/// once decoded.
pub fn decode(field: &'static str, input: &str, limit: usize) -> Result<Vec<u8>> {
    // Four characters carry three bytes; check before decoding so a huge input never allocates.
    if input.len() / 4 * 3 > limit.saturating_add(3) {
        return Err(Error::TooLarge { field, limit });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(input)
        .map_err(|_| Error::Base64(field))?;
    if bytes.len() > limit {
        return Err(Error::TooLarge { field, limit });
    }
    Ok(bytes)
}

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_padding_and_standard_alphabet() {
        assert_eq!(decode("f", "AQID", 16).unwrap(), vec![1, 2, 3]);
        assert_eq!(decode("f", "AQ", 16).unwrap(), vec![1]);
        assert_eq!(decode("f", "AQ==", 16), Err(Error::Base64("f")));
        assert_eq!(decode("f", "+/8", 16), Err(Error::Base64("f")));
        assert_eq!(decode("f", "-_8", 16).unwrap(), vec![0xfb, 0xff]);
    }

    #[test]
    fn refuses_non_canonical_trailing_bits() {
        // "AR" would decode to 0x01 with stray low bits; only "AQ" is canonical.
        assert_eq!(decode("f", "AR", 16), Err(Error::Base64("f")));
    }

    #[test]
    fn enforces_the_limit_before_and_after_decoding() {
        assert!(matches!(
            decode("f", &"A".repeat(4000), 16),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            decode("f", "AAAAAAAAAAAAAAAAAAAAAAAA", 17),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn an_unbounded_limit_does_not_overflow() {
        assert_eq!(decode("f", "AQID", usize::MAX).unwrap(), vec![1, 2, 3]);
        assert_eq!(decode("f", "", usize::MAX - 2).unwrap(), Vec::<u8>::new());
    }
}
