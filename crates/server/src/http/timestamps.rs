//! Times as Go's `time.Time` marshals them: RFC 3339 with as many fractional digits as needed.

/// `at` in UTC as RFC 3339; empty only for years RFC 3339 cannot write (before 0 or after 9999).
/// The engine writes webhook events with it too.
pub use latchkey_engine::accounts::go_time as rfc3339;

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
