//! The parts of the business profile that come from outside and need rules:
//! the website (`BUSINESS_WEBSITE`, or an operator's override) and the FAQ
//! (`BUSINESS_FAQ`, or the entries operators keep through the admin API).
//!
//! Owns what a valid website and a valid FAQ entry are: a website is an
//! absolute `http`/`https` URL with a host, of at most 200 characters (kept as
//! written, so the bot texts what the operator typed); a question is one line
//! of at most 200 characters; an answer that fits in two SMS segments (at
//! most 306 GSM-7 characters, fewer with emoji or other UCS-2 characters: the
//! bot texts it as it is); a FAQ holds at most 50 entries.
//! Must not decide when a message asks a FAQ question (the conversation does)
//! nor do I/O.

use std::fmt;

/// The longest website accepted.
pub const MAX_WEBSITE_CHARS: usize = 200;
/// How many entries a FAQ may hold.
pub const MAX_FAQ_ENTRIES: usize = 50;
/// The longest question.
pub const MAX_QUESTION_CHARS: usize = 200;
/// The longest answer: two concatenated GSM-7 segments of 153 characters.
pub const MAX_ANSWER_CHARS: usize = 306;
/// The SMS segments an answer may take.
pub const MAX_ANSWER_SEGMENTS: u32 = 2;

/// Why a website was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebsiteError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_WEBSITE_CHARS} characters")]
    TooLong,
    #[error("must be an absolute URL such as https://example.com: {0}")]
    NotAUrl(String),
    #[error("must start with http:// or https://")]
    NotHttp,
    #[error("must name a host, as in https://example.com")]
    NoHost,
    #[error("must not carry a user name or password")]
    Credentials,
}

/// The business's website: an `http` or `https` URL with a host, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Website(String);

impl Website {
    pub fn parse(raw: &str) -> Result<Self, WebsiteError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(WebsiteError::Empty);
        }
        if text.chars().count() > MAX_WEBSITE_CHARS {
            return Err(WebsiteError::TooLong);
        }
        // The URL parser would quietly drop these; a website never has them.
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebsiteError::NotAUrl(
                "it contains spaces or control characters".to_owned(),
            ));
        }
        // As written, too: the parser would also read "http:example.com".
        let lower = text.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(if text.contains(':') {
                WebsiteError::NotHttp
            } else {
                WebsiteError::NotAUrl("no http:// or https:// in front".to_owned())
            });
        }
        let url = url::Url::parse(text).map_err(|e| WebsiteError::NotAUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebsiteError::NotHttp);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebsiteError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebsiteError::Credentials);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Website {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a FAQ entry, or a whole FAQ, was refused. `Entry` names the entry (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaqError {
    #[error("the question must not be empty")]
    EmptyQuestion,
    #[error("the question must be at most {MAX_QUESTION_CHARS} characters")]
    QuestionTooLong,
    #[error("the question must be one line without control characters")]
    QuestionNotOneLine,
    #[error("the answer must not be empty")]
    EmptyAnswer,
    #[error(
        "the answer must fit in {MAX_ANSWER_SEGMENTS} SMS segments, at most \
         {MAX_ANSWER_CHARS} characters (it takes {0}; characters outside GSM-7, \
         such as emoji or curly quotes, make segments shorter)"
    )]
    AnswerTooLong(u32),
    #[error("the answer must not contain control characters other than line breaks")]
    AnswerControl,
    #[error("at most {MAX_FAQ_ENTRIES} entries are allowed")]
    TooMany,
    #[error("entry {index}: {error}")]
    Entry {
        index: usize,
        #[source]
        error: Box<FaqError>,
    },
}

impl FaqError {
    /// Which of the entry's two fields the error is about: `question` or
    /// `answer` (`None` for the FAQ as a whole).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::EmptyQuestion | Self::QuestionTooLong | Self::QuestionNotOneLine => {
                Some("question")
            }
            Self::EmptyAnswer | Self::AnswerTooLong(_) | Self::AnswerControl => Some("answer"),
            Self::TooMany => None,
            Self::Entry { error, .. } => error.field(),
        }
    }
}

/// One question and the answer the bot texts to it, both trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FaqEntry {
    question: String,
    answer: String,
}

impl FaqEntry {
    pub fn parse(question: &str, answer: &str) -> Result<Self, FaqError> {
        Ok(Self {
            question: Self::parse_question(question)?,
            answer: Self::parse_answer(answer)?,
        })
    }

    /// A question on its own (a change of the question only).
    pub fn parse_question(raw: &str) -> Result<String, FaqError> {
        let question = raw.trim();
        if question.is_empty() {
            return Err(FaqError::EmptyQuestion);
        }
        if question.chars().count() > MAX_QUESTION_CHARS {
            return Err(FaqError::QuestionTooLong);
        }
        if question.chars().any(char::is_control) {
            return Err(FaqError::QuestionNotOneLine);
        }
        Ok(question.to_owned())
    }

    /// An answer on its own (a change of the answer only).
    pub fn parse_answer(raw: &str) -> Result<String, FaqError> {
        let answer = raw.trim();
        if answer.is_empty() {
            return Err(FaqError::EmptyAnswer);
        }
        if answer
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r'))
        {
            return Err(FaqError::AnswerControl);
        }
        let chars = answer.chars().count();
        // Anything over the character limit is refused before it is measured.
        let segments = match crate::SmsBody::parse(answer) {
            Ok(body) if chars <= MAX_ANSWER_CHARS => body.segments(),
            _ => return Err(FaqError::AnswerTooLong(segments_at_least(chars))),
        };
        if segments > MAX_ANSWER_SEGMENTS {
            return Err(FaqError::AnswerTooLong(segments));
        }
        Ok(answer.to_owned())
    }

    pub fn question(&self) -> &str {
        &self.question
    }

    pub fn answer(&self) -> &str {
        &self.answer
    }
}

/// The fewest GSM-7 segments `chars` characters can take (for the message).
fn segments_at_least(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(153)).unwrap_or(u32::MAX)
}

/// The questions customers ask and their answers, in order; at most 50.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faq(Vec<FaqEntry>);

impl Faq {
    pub fn new(entries: Vec<FaqEntry>) -> Result<Self, FaqError> {
        if entries.len() > MAX_FAQ_ENTRIES {
            return Err(FaqError::TooMany);
        }
        Ok(Self(entries))
    }

    /// Entries given as (question, answer) texts; an error names the entry.
    pub fn parse<Q: AsRef<str>, A: AsRef<str>>(pairs: &[(Q, A)]) -> Result<Self, FaqError> {
        if pairs.len() > MAX_FAQ_ENTRIES {
            return Err(FaqError::TooMany);
        }
        pairs
            .iter()
            .enumerate()
            .map(|(i, (q, a))| {
                FaqEntry::parse(q.as_ref(), a.as_ref()).map_err(|error| FaqError::Entry {
                    index: i + 1,
                    error: Box::new(error),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn entries(&self) -> &[FaqEntry] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_website_is_an_http_or_https_url_with_a_host_kept_as_written() {
        for ok in [
            "https://maplestreetsalon.example",
            " http://example.com/book?x=1 ",
            "https://xn--caf-dma.example/",
            "https://127.0.0.1:8443",
        ] {
            let site = Website::parse(ok).unwrap();
            assert_eq!(site.as_str(), ok.trim());
        }
        assert_eq!(Website::parse("  "), Err(WebsiteError::Empty));
        assert_eq!(
            Website::parse("ftp://example.com"),
            Err(WebsiteError::NotHttp)
        );
        assert_eq!(
            Website::parse("mailto:hello@example.com"),
            Err(WebsiteError::NotHttp)
        );
        assert_eq!(
            Website::parse("https://user:pw@example.com"),
            Err(WebsiteError::Credentials)
        );
        assert_eq!(
            Website::parse("http:example.com"),
            Err(WebsiteError::NotHttp)
        );
        assert!(Website::parse("HTTPS://EXAMPLE.COM").is_ok());
        for bad in [
            "example.com",
            "www.example.com",
            "https://",
            "https://exa mple.com",
            r"https:\\example.com",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_WEBSITE_CHARS));
        assert_eq!(Website::parse(&long), Err(WebsiteError::TooLong));
    }

    #[test]
    fn an_entry_is_trimmed_and_its_question_and_answer_are_bounded() {
        let entry =
            FaqEntry::parse(" Do you take walk-ins? ", " Yes, weekdays before 3pm. ").unwrap();
        assert_eq!(entry.question(), "Do you take walk-ins?");
        assert_eq!(entry.answer(), "Yes, weekdays before 3pm.");

        let refused = |q: &str, a: &str| FaqEntry::parse(q, a).unwrap_err();
        assert_eq!(refused(" ", "yes"), FaqError::EmptyQuestion);
        assert_eq!(refused("q?", "\n"), FaqError::EmptyAnswer);
        assert_eq!(refused("two\nlines?", "yes"), FaqError::QuestionNotOneLine);
        assert_eq!(refused("q?", "a\u{7}bell"), FaqError::AnswerControl);
        assert_eq!(
            refused(&"q".repeat(MAX_QUESTION_CHARS + 1), "yes"),
            FaqError::QuestionTooLong
        );
        assert!(FaqEntry::parse(&"q".repeat(MAX_QUESTION_CHARS), "yes").is_ok());
        assert!(FaqEntry::parse("q?", &"a".repeat(MAX_ANSWER_CHARS)).is_ok());
        assert!(matches!(
            refused("q?", &"a".repeat(MAX_ANSWER_CHARS + 1)),
            FaqError::AnswerTooLong(_)
        ));
        assert!(FaqEntry::parse("q?", &"a".repeat(100_000)).is_err());
    }

    #[test]
    fn an_answer_with_emoji_must_still_fit_in_two_segments() {
        let short = format!("Yes! {}", "🙂".repeat(10));
        assert!(FaqEntry::parse("walk-ins?", &short).is_ok());
        let long = format!("Yes! {}", "a".repeat(200)) + "🙂";
        assert_eq!(
            FaqEntry::parse("walk-ins?", &long).unwrap_err(),
            FaqError::AnswerTooLong(4)
        );
        assert_eq!(
            FaqEntry::parse("walk-ins?", &long).unwrap_err().field(),
            Some("answer")
        );
    }

    #[test]
    fn a_faq_holds_at_most_fifty_entries_and_names_the_entry_that_is_wrong() {
        let fifty: Vec<(String, String)> = (0..MAX_FAQ_ENTRIES)
            .map(|i| (format!("question {i}?"), "answer".to_owned()))
            .collect();
        assert_eq!(Faq::parse(&fifty).unwrap().len(), MAX_FAQ_ENTRIES);
        let mut more = fifty.clone();
        more.push(("one more?".to_owned(), "no".to_owned()));
        assert_eq!(Faq::parse(&more).unwrap_err(), FaqError::TooMany);

        let err = Faq::parse(&[("ok?", "yes"), ("", "no")]).unwrap_err();
        assert_eq!(err.to_string(), "entry 2: the question must not be empty");
        assert_eq!(err.field(), Some("question"));
    }
}
