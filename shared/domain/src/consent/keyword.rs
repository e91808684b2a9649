//! The word a customer texts to opt in to marketing (`MARKETING_OPT_IN_KEYWORD`,
//! JOIN by default), and how a message is matched against it.
//!
//! Matched the way Twilio matches its own keywords: the whole message, case and
//! surrounding whitespace ignored, trailing punctuation tolerated ("join",
//! "Join!", "JOIN "), never inside a longer message ("join me at 3?" is not an
//! opt-in). Must not be one of the words carriers and Twilio reserve, which
//! would never reach us as an opt-in. Pure.

use std::fmt;

/// Twilio's default opt-out, opt-in and help keywords.
pub const CARRIER_KEYWORDS: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "CANCEL",
    "START",
    "UNSTOP",
    "YES",
    "HELP",
    "INFO",
];

const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 20;

/// One word of ASCII letters or digits, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OptInKeyword(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptInKeywordError {
    #[error("must be one word of {MIN_CHARS} to {MAX_CHARS} letters or digits")]
    NotOneWord,
    #[error(
        "{0} is a carrier keyword (opt-out, opt-in or help) and cannot be the marketing opt-in word"
    )]
    Reserved(String),
}

impl OptInKeyword {
    pub fn parse(raw: &str) -> Result<Self, OptInKeywordError> {
        let word = raw.trim().to_ascii_uppercase();
        let length = word.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&length)
            || !word.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(OptInKeywordError::NotOneWord);
        }
        if CARRIER_KEYWORDS.contains(&word.as_str()) {
            return Err(OptInKeywordError::Reserved(word));
        }
        Ok(Self(word))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the whole message is this word.
    pub fn is_texted_in(&self, body: &str) -> bool {
        body.trim()
            .trim_end_matches(['.', '!', '?'])
            .trim()
            .eq_ignore_ascii_case(&self.0)
    }
}

impl Default for OptInKeyword {
    fn default() -> Self {
        Self("JOIN".to_owned())
    }
}

impl fmt::Display for OptInKeyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_is_matched_as_people_text_it() {
        let join = OptInKeyword::default();
        for body in ["JOIN", "join", "Join!", "JOIN ", " join. ", "jOiN?!"] {
            assert!(join.is_texted_in(body), "{body:?}");
        }
    }

    #[test]
    fn join_inside_a_sentence_is_not_an_opt_in() {
        let join = OptInKeyword::default();
        for body in [
            "join me at 3?",
            "can I join",
            "JOINED",
            "rejoin",
            "",
            "j o i n",
        ] {
            assert!(!join.is_texted_in(body), "{body:?}");
        }
    }

    #[test]
    fn a_configured_word_is_upper_cased_and_must_be_one_plain_word() {
        assert_eq!(OptInKeyword::parse(" deals ").unwrap().as_str(), "DEALS");
        assert_eq!(OptInKeyword::parse("VIP2026").unwrap().as_str(), "VIP2026");
        for bad in ["", "x", "two words", "ÉCOLE", "join!", &"a".repeat(21)] {
            assert_eq!(
                OptInKeyword::parse(bad),
                Err(OptInKeywordError::NotOneWord),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn carrier_keywords_cannot_be_the_opt_in_word() {
        for word in ["start", "STOP", "Yes", "help", "unstop"] {
            assert!(
                matches!(
                    OptInKeyword::parse(word),
                    Err(OptInKeywordError::Reserved(_))
                ),
                "{word}"
            );
        }
    }
}
