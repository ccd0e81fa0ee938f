//! Field rules of request bodies, with the messages of the original's validator so that
//! `details` reads the same.

/// A request shape with rules beyond its types.
pub trait Validate {
    /// `Err` carries every broken rule, joined with ` and `.
    fn validate(&self) -> Result<(), String>;
}

/// Collects broken rules in field order.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// A required string must be present and non-empty.
    pub fn required(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.0.push(format!("{field} is a required field"));
        }
    }

    /// At most `max` characters.
    pub fn max_chars(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            let unit = if max == 1 { "entry" } else { "entries" };
            self.0
                .push(format!("{field} cannot have more than {max} {unit}"));
        }
    }

    /// At least `min` characters.
    pub fn min_chars(&mut self, field: &str, value: &str, min: usize) {
        if value.chars().count() < min {
            let unit = if min == 1 { "entry" } else { "entries" };
            self.0
                .push(format!("{field} must at least have {min} {unit}"));
        }
    }

    /// An absolute URL: a scheme, `:`, and something after it.
    pub fn url(&mut self, field: &str, value: &str) {
        if !is_url(value) {
            self.0.push(format!("{field} must be a valid URL"));
        }
    }

    /// One of the listed values.
    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.0
                .push(format!("{field} must be one of '{}'", allowed.join(" ")));
        }
    }

    /// Records a rule the caller checked itself.
    pub fn push(&mut self, message: impl Into<String>) {
        self.0.push(message.into());
    }

    pub fn finish(self) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.join(" and "))
        }
    }
}

/// The original's `url` rule: a scheme followed by `:` and a non-empty rest (with `//` a host).
fn is_url(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest_ok = match rest.strip_prefix("//") {
        Some(authority) => !authority.is_empty() && !authority.starts_with('/'),
        None => !rest.is_empty(),
    };
    scheme_ok && rest_ok && !value.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_joined_with_and() {
        let mut violations = Violations::default();
        violations.required("user_id", "");
        violations.max_chars("username", &"x".repeat(129), 128);
        violations.url("icon", "not a url");
        assert_eq!(
            violations.finish().unwrap_err(),
            "user_id is a required field and username cannot have more than 128 entries \
             and icon must be a valid URL"
        );
    }

    #[test]
    fn urls() {
        assert!(is_url("https://example.com/icon.png"));
        assert!(is_url("data:image/png;base64,AAAA"));
        assert!(!is_url("example.com"));
        assert!(!is_url("https://"));
        assert!(!is_url("1http://x"));
    }

    #[test]
    fn one_of_lists_choices() {
        let mut violations = Violations::default();
        violations.one_of("Order", "up", &["desc", "asc"]);
        assert_eq!(
            violations.finish().unwrap_err(),
            "Order must be one of 'desc asc'"
        );
    }
}
