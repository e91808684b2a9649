//! The proof a marketing opt-in is recorded with: where it was obtained, the
//! consent text the customer was shown (or wrote), and when they gave it.
//!
//! Owns the rules every part of that proof must meet; all three are required.
//! Pure: the caller passes the current time.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::sid::MessageSid;

/// Where the proof lives, e.g. "paper form at the front desk, 2026-03-01" or
/// "web form https://example.com/sms-signup": one line.
pub const MAX_SOURCE_CHARS: usize = 500;
/// The consent language as shown to (or written by) the customer.
pub const MAX_CONSENT_TEXT_CHARS: usize = 2_000;
/// How far ahead of our clock an `obtained_at` may be (a client's clock that
/// runs a little fast), before it is refused as lying in the future.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// One part of the proof, as the admin API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceField {
    Source,
    ConsentText,
    ObtainedAt,
}

impl EvidenceField {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::ConsentText => "consent_text",
            Self::ObtainedAt => "obtained_at",
        }
    }
}

impl fmt::Display for EvidenceField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error(
        "is required: a marketing opt-in is recorded only with its proof (source, consent_text, obtained_at)"
    )]
    Missing(EvidenceField),
    #[error("must be at most {max} characters")]
    TooLong { field: EvidenceField, max: usize },
    #[error("must not contain control characters{}", if *.0 == EvidenceField::ConsentText { " other than line breaks and tabs" } else { "" })]
    ControlCharacters(EvidenceField),
    #[error("lies in the future: consent is recorded once it was given")]
    InTheFuture,
}

impl EvidenceError {
    /// The part of the proof that is wrong.
    pub fn field(&self) -> EvidenceField {
        match self {
            Self::Missing(field) | Self::TooLong { field, .. } | Self::ControlCharacters(field) => {
                *field
            }
            Self::InTheFuture => EvidenceField::ObtainedAt,
        }
    }
}

/// Proof of a consent, every part present and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvidence {
    source: String,
    consent_text: String,
    obtained_at: DateTime<Utc>,
}

impl ConsentEvidence {
    /// Checks the parts as received (`None`: absent), trimming the texts.
    pub fn new(
        source: Option<&str>,
        consent_text: Option<&str>,
        obtained_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, EvidenceError> {
        let source = text(source, EvidenceField::Source, MAX_SOURCE_CHARS, false)?;
        let consent_text = text(
            consent_text,
            EvidenceField::ConsentText,
            MAX_CONSENT_TEXT_CHARS,
            true,
        )?;
        let obtained_at = obtained_at.ok_or(EvidenceError::Missing(EvidenceField::ObtainedAt))?;
        if obtained_at > now + CLOCK_SKEW {
            return Err(EvidenceError::InTheFuture);
        }
        Ok(Self {
            source,
            consent_text,
            obtained_at,
        })
    }

    /// The proof of an opt-in the customer texted: their message (by its
    /// Twilio SID), the confirmation they were sent in answer, and its time.
    pub fn texted(message: &MessageSid, confirmation: &str, at: DateTime<Utc>) -> Self {
        Self {
            source: format!("text message {message} from the contact"),
            consent_text: confirmation.to_owned(),
            obtained_at: at,
        }
    }

    /// Evidence read back from the audit trail (checked when it was recorded).
    pub fn stored(source: String, consent_text: String, obtained_at: DateTime<Utc>) -> Self {
        Self {
            source,
            consent_text,
            obtained_at,
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn consent_text(&self) -> &str {
        &self.consent_text
    }

    pub fn obtained_at(&self) -> DateTime<Utc> {
        self.obtained_at
    }
}

fn text(
    value: Option<&str>,
    field: EvidenceField,
    max: usize,
    multiline: bool,
) -> Result<String, EvidenceError> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(EvidenceError::Missing(field))?;
    if value.chars().count() > max {
        return Err(EvidenceError::TooLong { field, max });
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(EvidenceError::ControlCharacters(field));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-02T15:00:00Z".parse().unwrap()
    }

    fn evidence(
        source: Option<&str>,
        text: Option<&str>,
        at: Option<&str>,
    ) -> Result<ConsentEvidence, EvidenceError> {
        ConsentEvidence::new(source, text, at.map(|a| a.parse().unwrap()), now())
    }

    #[test]
    fn all_three_parts_make_evidence_and_the_texts_are_trimmed() {
        let proof = evidence(
            Some(" paper form, front desk "),
            Some("Yes, text me offers.\nUp to 4 msgs/month."),
            Some("2026-02-27T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(proof.source(), "paper form, front desk");
        assert_eq!(
            proof.consent_text(),
            "Yes, text me offers.\nUp to 4 msgs/month."
        );
        assert_eq!(
            proof.obtained_at(),
            "2026-02-27T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_missing_or_blank_part_is_named() {
        let at = Some("2026-02-27T10:00:00Z");
        let missing = |r: Result<ConsentEvidence, EvidenceError>| r.unwrap_err().field();
        assert_eq!(
            missing(evidence(None, Some("yes"), at)),
            EvidenceField::Source
        );
        assert_eq!(
            missing(evidence(Some("  "), Some("yes"), at)),
            EvidenceField::Source
        );
        assert_eq!(
            missing(evidence(Some("form"), None, at)),
            EvidenceField::ConsentText
        );
        assert_eq!(
            missing(evidence(Some("form"), Some("yes"), None)),
            EvidenceField::ObtainedAt
        );
    }

    #[test]
    fn consent_given_in_the_future_is_refused_but_a_fast_clock_is_tolerated() {
        assert_eq!(
            evidence(Some("form"), Some("yes"), Some("2026-03-03T15:00:00Z")),
            Err(EvidenceError::InTheFuture)
        );
        assert!(evidence(Some("form"), Some("yes"), Some("2026-03-02T15:04:00Z")).is_ok());
    }

    #[test]
    fn a_source_is_one_line_and_texts_are_bounded() {
        assert_eq!(
            evidence(Some("a\nb"), Some("yes"), Some("2026-02-27T10:00:00Z")),
            Err(EvidenceError::ControlCharacters(EvidenceField::Source))
        );
        assert_eq!(
            evidence(Some("form"), Some("nul\u{0}"), Some("2026-02-27T10:00:00Z")),
            Err(EvidenceError::ControlCharacters(EvidenceField::ConsentText))
        );
        let long = "x".repeat(MAX_CONSENT_TEXT_CHARS + 1);
        assert_eq!(
            evidence(Some("form"), Some(&long), Some("2026-02-27T10:00:00Z")),
            Err(EvidenceError::TooLong {
                field: EvidenceField::ConsentText,
                max: MAX_CONSENT_TEXT_CHARS
            })
        );
    }
}
