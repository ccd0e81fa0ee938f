//! Times as Go's `time.Time` marshals them: RFC 3339 with as many fractional digits as needed.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `at` in UTC as RFC 3339; empty only for years RFC 3339 cannot write (before 0 or after 9999).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn fractions_are_trimmed_like_go() {
        assert_eq!(
            rfc3339(datetime!(2024-05-06 07:08:09.120 UTC)),
            "2024-05-06T07:08:09.12Z"
        );
        assert_eq!(
            rfc3339(datetime!(2024-05-06 07:08:09 UTC)),
            "2024-05-06T07:08:09Z"
        );
        assert_eq!(
            rfc3339(datetime!(2024-05-06 09:08:09.000001 +02:00)),
            "2024-05-06T07:08:09.000001Z"
        );
    }
}
