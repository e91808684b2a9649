//! The business profile's settings that need more than a string, read with
//! the rest by `Settings::from_vars`:
//!
//! - `BUSINESS_WEBSITE`: the website the bot gives when asked ("do you have a
//!   website?"): an absolute `http`/`https` URL.
//! - `BUSINESS_FAQ`: questions customers ask and the answers the bot texts, as
//!   a JSON array of `{"question": "...", "answer": "..."}` (at most 50; a
//!   question of at most 200 characters, an answer that fits in two SMS
//!   segments, at most 306 characters).
//!
//! Operators may override both through the admin API; these are what applies
//! where they did not. Owns reading the values; must not decide when a
//! message asks a FAQ question (the conversation does).

use serde::Deserialize;
use smsbot_domain::{Faq, FaqError, Website};

use crate::ConfigError;

/// One `BUSINESS_FAQ` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    question: String,
    answer: String,
}

/// Why `BUSINESS_FAQ` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaqSettingError {
    #[error("must be a JSON array of {{\"question\": \"...\", \"answer\": \"...\"}} objects: {0}")]
    NotJson(String),
    #[error(transparent)]
    Invalid(#[from] FaqError),
}

/// `BUSINESS_FAQ`'s value (unset or blank: no FAQ).
pub fn parse_faq(raw: Option<&str>) -> Result<Faq, FaqSettingError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Faq::default());
    };
    let entries: Vec<RawEntry> =
        serde_json::from_str(raw).map_err(|e| FaqSettingError::NotJson(e.to_string()))?;
    let pairs: Vec<(String, String)> = entries
        .into_iter()
        .map(|e| (e.question, e.answer))
        .collect();
    Ok(Faq::parse(&pairs)?)
}

pub(crate) fn faq(raw: Option<&str>) -> Result<Faq, ConfigError> {
    parse_faq(raw).map_err(|e| ConfigError::Invalid {
        name: "BUSINESS_FAQ",
        reason: e.to_string(),
    })
}

pub(crate) fn website(raw: Option<&str>) -> Result<Option<Website>, ConfigError> {
    raw.map(|raw| {
        Website::parse(raw).map_err(|e| ConfigError::Invalid {
            name: "BUSINESS_WEBSITE",
            reason: e.to_string(),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faq_is_read_from_a_json_array_of_questions_and_answers() {
        let faq = parse_faq(Some(
            r#"[{"question": "Do you take walk-ins?", "answer": "Yes, before 3pm."},
                {"question": "Is there parking?", "answer": "Free lot behind the shop."}]"#,
        ))
        .unwrap();
        assert_eq!(faq.len(), 2);
        assert_eq!(faq.entries()[1].answer(), "Free lot behind the shop.");
        assert!(parse_faq(None).unwrap().is_empty());
        assert!(parse_faq(Some("  ")).unwrap().is_empty());
        assert!(parse_faq(Some("[]")).unwrap().is_empty());
    }

    #[test]
    fn a_faq_that_is_not_the_documented_json_or_breaks_a_bound_is_refused() {
        for raw in [
            "walk-ins: yes",
            r#"{"question": "q?", "answer": "a"}"#,
            r#"[{"question": "q?"}]"#,
            r#"[{"question": "q?", "answer": "a", "extra": 1}]"#,
            r#"[{"question": 1, "answer": "a"}]"#,
        ] {
            assert!(
                matches!(parse_faq(Some(raw)), Err(FaqSettingError::NotJson(_))),
                "{raw}"
            );
        }
        let long = format!(r#"[{{"question": "q?", "answer": "{}"}}]"#, "a".repeat(321));
        assert!(matches!(
            parse_faq(Some(&long)),
            Err(FaqSettingError::Invalid(FaqError::Entry { index: 1, .. }))
        ));
    }
}
