//! The passcode mail of the Hanko public API, worded exactly as Hanko backend v0.12.0 words it.
//!
//! Source of the texts: teamhanko/hanko, tag `backend/v0.12.0`, `backend/mail/locales/passcode.en.yaml`
//! and `backend/mail/locales/passcode.zh-CN.yaml` (`email_subject_login`, `login_text`,
//! `ttl_text`), laid out as `backend/mail/templates/login.tmpl` (`loginTextMail`) lays them out and
//! trimmed as `backend/mail/render.go` trims them. `backend/handler/passcode.go` fills the minutes
//! with Go's `%.0f` of the TTL in minutes, and picks the language from `Accept-Language` through
//! go-i18n, whose bundle holds `en` (the fallback) and `zh-CN`.

use std::cmp::Ordering;

/// The languages Hanko has passcode mails in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailLanguage {
    #[default]
    English,
    /// Simplified Chinese (`zh-CN`).
    Chinese,
}

impl MailLanguage {
    /// The language go-i18n's matcher (golang.org/x/text) picks for an `Accept-Language` value
    /// among English and `zh-CN`: ranges in order of their q-values, the first to match exactly
    /// wins, a merely close match (another region) holds unless a better one follows, and
    /// Traditional Chinese still gets Simplified when nothing else matches. A value that does not
    /// parse, or that names neither language, gets English.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(ranges) = header.and_then(preferred_ranges) else {
            return Self::English;
        };
        let mut best: Option<Candidate> = None;
        let mut pinned = false;
        for (index, range) in ranges.iter().enumerate() {
            let Some(candidate) = Candidate::of(range) else {
                continue;
            };
            if pinned && best.is_some_and(|best| best.language != candidate.language) {
                continue;
            }
            // A well-matching first choice sticks, unless the same language is named again later
            // (`en-GB, zh, en` lets Chinese beat British English).
            if candidate.same_script
                && !ranges
                    .iter()
                    .skip(index + 1)
                    .any(|later| primary_subtag(later) == primary_subtag(range))
            {
                pinned = true;
            }
            if best.is_none_or(|best| candidate.confidence > best.confidence) {
                best = Some(candidate);
            }
            if best.is_some_and(|best| best.confidence == Confidence::Exact) {
                break;
            }
        }
        best.map_or(Self::English, |best| best.language)
    }
}

/// Subject and body of the mail that carries `code`, valid for `ttl_seconds`.
pub fn passcode_mail(
    language: MailLanguage,
    service_name: &str,
    code: &str,
    ttl_seconds: u64,
) -> (String, String) {
    let minutes = go_rounded_minutes(ttl_seconds);
    match language {
        MailLanguage::English => (
            format!("{code} is your passcode for {service_name}"),
            format!(
                "Enter the following passcode to verify your identity:\n\n{code}\n\n\
                 The passcode is valid for {minutes} minutes."
            ),
        ),
        MailLanguage::Chinese => (
            format!("使用验证码 {code} 登录到 {service_name}"),
            format!(
                "在您的登录屏幕上输入以下验证码：\n\n{code}\n\n验证码在 {minutes} 分钟内有效。"
            ),
        ),
    }
}

/// `fmt.Sprintf("%.0f", minutes)`: to the nearest whole minute, halves to the even one.
fn go_rounded_minutes(seconds: u64) -> u64 {
    let (whole, rest) = (seconds / 60, seconds % 60);
    match rest.cmp(&30) {
        Ordering::Less => whole,
        Ordering::Greater => whole + 1,
        Ordering::Equal => whole + whole % 2,
    }
}

/// How well a language range matches one of the mail languages, in x/text's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Confidence {
    /// Another script that readers still understand (Traditional for Simplified Chinese).
    Low,
    /// Same script, another region (`en-GB`, `zh-SG`).
    High,
    /// Same language, script and region once filled in (`en`, `en-US`, `zh`, `zh-Hans-CN`).
    Exact,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    language: MailLanguage,
    confidence: Confidence,
    same_script: bool,
}

impl Candidate {
    fn of(range: &str) -> Option<Self> {
        let mut subtags = range.split(['-', '_']);
        let primary = subtags.next()?.to_ascii_lowercase();
        let mut script = None;
        let mut region = None;
        for subtag in subtags {
            match subtag.len() {
                4 if script.is_none() && region.is_none() => {
                    script = Some(subtag.to_ascii_lowercase());
                }
                2 | 3 if region.is_none() => region = Some(subtag.to_ascii_uppercase()),
                _ => break,
            }
        }
        let (language, confidence) = match primary.as_str() {
            "en" | "english" => {
                if script.as_deref().is_some_and(|script| script != "latn") {
                    return None;
                }
                let confidence = match region.as_deref() {
                    None | Some("US") => Confidence::Exact,
                    Some(_) => Confidence::High,
                };
                (MailLanguage::English, confidence)
            }
            "zh" => {
                let traditional = match script.as_deref() {
                    Some("hans") => false,
                    Some("hant") => true,
                    Some(_) => return None,
                    None => matches!(region.as_deref(), Some("TW" | "HK" | "MO")),
                };
                let confidence = match (traditional, region.as_deref()) {
                    (true, _) => Confidence::Low,
                    (false, None | Some("CN")) => Confidence::Exact,
                    (false, Some(_)) => Confidence::High,
                };
                (MailLanguage::Chinese, confidence)
            }
            _ => return None,
        };
        Some(Self {
            language,
            confidence,
            same_script: confidence != Confidence::Low,
        })
    }
}

fn primary_subtag(range: &str) -> String {
    range
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The ranges of an `Accept-Language` value, highest q-value first, ties in their order, q=0
/// left out; none at all when one entry does not parse (x/text then fails the whole value).
fn preferred_ranges(header: &str) -> Option<Vec<&str>> {
    let mut ranges = Vec::new();
    for entry in header.split(',').map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let (range, weight) = match entry.split_once(';') {
            Some((range, weight)) => (range.trim(), Some(weight.trim())),
            None => (entry, None),
        };
        if !well_formed(range) {
            return None;
        }
        let q = match weight {
            None => 1.0,
            Some(weight) => weight
                .strip_prefix('q')
                .map(str::trim_start)
                .and_then(|weight| weight.strip_prefix('='))
                .and_then(|weight| weight.trim().parse::<f32>().ok())?,
        };
        if q > 0.0 {
            ranges.push((range, q));
        }
    }
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    Some(ranges.into_iter().map(|(range, _)| range).collect())
}

/// A BCP 47 tag in shape (subtags of one to eight letters or digits, a first one of letters), or
/// `*`.
fn well_formed(range: &str) -> bool {
    if range == "*" {
        return true;
    }
    let mut subtags = range.split(['-', '_']);
    let first_ok = subtags.next().is_some_and(|first| {
        (1..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
    });
    first_ok
        && subtags.all(|subtag| {
            (1..=8).contains(&subtag.len()) && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::MailLanguage::{Chinese, English};
    use super::*;

    fn language(header: &str) -> MailLanguage {
        MailLanguage::from_accept_language(Some(header))
    }

    #[test]
    fn english_is_the_default() {
        assert_eq!(MailLanguage::from_accept_language(None), English);
        for header in ["", "en", "en-US", "de-DE", "fr;q=0.9, es", "*", "xxx", "es"] {
            assert_eq!(language(header), English, "{header:?}");
        }
    }

    #[test]
    fn simplified_chinese_in_any_spelling_gets_the_zh_cn_mail() {
        for header in [
            "zh",
            "zh-CN",
            "zh-cn",
            "zh_CN",
            "zh-Hans",
            "zh-Hans-CN",
            "zh-SG",
            "ZH",
        ] {
            assert_eq!(language(header), Chinese, "{header:?}");
        }
    }

    #[test]
    fn q_values_order_the_ranges() {
        assert_eq!(language("en;q=0.5, zh-CN"), Chinese);
        assert_eq!(language("zh-CN;q=0.4, en;q=0.6"), English);
        assert_eq!(language("de, zh;q=0.8, en;q=0.7"), Chinese);
        assert_eq!(language("zh-CN;q=0, en-GB"), English);
        assert_eq!(language("zh-CN,zh;q=0.9,en;q=0.8"), Chinese);
        assert_eq!(language("en-US,en;q=0.9,zh-CN;q=0.8"), English);
    }

    #[test]
    fn a_close_first_choice_holds_unless_its_language_comes_again() {
        assert_eq!(language("en-GB, zh-CN"), English);
        assert_eq!(language("zh-SG, en"), Chinese);
        assert_eq!(language("en-GB, zh-CN, en"), Chinese);
    }

    #[test]
    fn traditional_chinese_gets_simplified_only_when_nothing_better_matches() {
        assert_eq!(language("zh-TW"), Chinese);
        assert_eq!(language("zh-Hant, fr"), Chinese);
        assert_eq!(language("zh-HK, en"), English);
    }

    #[test]
    fn a_value_that_does_not_parse_gets_english() {
        assert_eq!(language("zh-CN;q=high"), English);
        assert_eq!(language("zh, !!"), English);
        assert_eq!(language("zh;p=1"), English);
    }

    #[test]
    fn english_texts_are_hankos() {
        let (subject, body) = passcode_mail(English, "Example", "012345", 300);
        assert_eq!(subject, "012345 is your passcode for Example");
        assert_eq!(
            body,
            "Enter the following passcode to verify your identity:\n\n012345\n\n\
             The passcode is valid for 5 minutes."
        );
    }

    #[test]
    fn chinese_texts_are_hankos() {
        let (subject, body) = passcode_mail(Chinese, "Example", "012345", 300);
        assert_eq!(subject, "使用验证码 012345 登录到 Example");
        assert_eq!(
            body,
            "在您的登录屏幕上输入以下验证码：\n\n012345\n\n验证码在 5 分钟内有效。"
        );
    }

    #[test]
    fn minutes_round_as_go_formats_them() {
        let minutes = |ttl| go_rounded_minutes(ttl);
        assert_eq!(minutes(300), 5);
        assert_eq!(minutes(60), 1);
        assert_eq!(minutes(89), 1);
        assert_eq!(minutes(91), 2);
        assert_eq!(minutes(90), 2, "1.5 rounds to the even 2");
        assert_eq!(minutes(150), 2, "2.5 rounds to the even 2");
        assert_eq!(minutes(30), 0, "0.5 rounds to the even 0");
        assert_eq!(minutes(3600), 60);
    }
}
