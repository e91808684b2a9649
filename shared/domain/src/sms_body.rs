//! SMS bodies and how many segments they cost.
//!
//! Owns the GSM-7 / UCS-2 decision and the segment arithmetic carriers bill by:
//! a single GSM-7 message holds 160 septets, a concatenated part 153; UCS-2 holds
//! 70 UTF-16 units, a part 67. A character is never split across two parts (an
//! extension character's escape stays with it, a surrogate pair's halves stay
//! together), so a part may carry one unit less. Must not truncate or rewrite
//! the text.

use std::fmt;

/// Twilio refuses bodies over 1,600 characters.
pub const MAX_CHARS: usize = 1600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SmsBodyError {
    #[error("message body has {0} characters; the limit is {MAX_CHARS}")]
    TooLong(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The text of one SMS. May be empty: an MMS can arrive with media only.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsBody(String);

impl SmsBody {
    /// A NUL cannot be stored (PostgreSQL text) nor meant by a sender; it is
    /// kept visible as U+FFFD rather than refusing the whole message.
    pub fn parse(text: impl Into<String>) -> Result<Self, SmsBodyError> {
        let mut text = text.into();
        if text.contains('\0') {
            text = text.replace('\0', "\u{fffd}");
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            return Err(SmsBodyError::TooLong(chars));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn encoding(&self) -> Encoding {
        if self.0.chars().all(|c| gsm7_septets(c).is_some()) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }

    /// Number of SMS segments this body is sent as.
    pub fn segments(&self) -> u32 {
        match self.encoding() {
            Encoding::Gsm7 => segments_for(self.0.chars().filter_map(gsm7_septets), 160, 153),
            Encoding::Ucs2 => segments_for(self.0.chars().map(char::len_utf16), 70, 67),
        }
    }
}

/// Segments for characters of `units` each: one message up to `single` units,
/// else parts of at most `part` units filled in order, a character that does
/// not fit whole starting the next part.
fn segments_for(units: impl Iterator<Item = usize> + Clone, single: usize, part: usize) -> u32 {
    if units.clone().sum::<usize>() <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for u in units {
        if used + u > part {
            parts += 1;
            used = 0;
        }
        used += u;
    }
    parts
}

/// Septets a character takes in the GSM 03.38 alphabet: 1 for the basic table,
/// 2 for the extension table (escape + char), `None` when it forces UCS-2.
fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
        ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "^{}\\[~]|€\u{0C}";
    // The ASCII test first is a fast path for the common case.
    if c.is_ascii_alphanumeric() || c == ' ' || BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

impl serde::Serialize for SmsBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SmsBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        SmsBody::parse(raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for SmsBody {
    /// Bodies are personal data: Debug shows only their size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmsBody({} chars)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_the_database_could_not_store_is_kept_visible_as_a_replacement_character() {
        let body = SmsBody::parse("hi\0there").unwrap();
        assert_eq!(body.as_str(), "hi\u{fffd}there");
    }

    fn body(text: &str) -> SmsBody {
        SmsBody::parse(text).unwrap()
    }

    #[test]
    fn plain_ascii_is_gsm7_and_fits_160_characters_in_one_segment() {
        assert_eq!(body(&"a".repeat(160)).encoding(), Encoding::Gsm7);
        assert_eq!(body(&"a".repeat(160)).segments(), 1);
    }

    #[test]
    fn a_161_character_gsm7_message_needs_two_153_septet_parts() {
        assert_eq!(body(&"a".repeat(161)).segments(), 2);
        assert_eq!(body(&"a".repeat(306)).segments(), 2);
        assert_eq!(body(&"a".repeat(307)).segments(), 3);
    }

    #[test]
    fn extension_characters_count_as_two_septets() {
        assert_eq!(body(&"€".repeat(80)).encoding(), Encoding::Gsm7);
        assert_eq!(body(&"€".repeat(80)).segments(), 1);
        assert_eq!(body(&"€".repeat(81)).segments(), 2);
    }

    #[test]
    fn one_emoji_switches_the_whole_message_to_ucs2() {
        let text = format!("{}😀", "a".repeat(60));
        assert_eq!(body(&text).encoding(), Encoding::Ucs2);
        // 60 + 2 UTF-16 units = 62 <= 70.
        assert_eq!(body(&text).segments(), 1);
        assert_eq!(body(&"é".repeat(10)).encoding(), Encoding::Gsm7);
        assert_eq!(body(&"ç".repeat(71)).segments(), 2);
        assert_eq!(body(&"ç".repeat(134)).segments(), 2);
        assert_eq!(body(&"ç".repeat(135)).segments(), 3);
    }

    #[test]
    fn a_character_is_never_split_across_two_parts() {
        // 152 septets, then an escape + '€' that does not fit the first part.
        assert_eq!(
            body(&format!("{}€{}", "a".repeat(152), "b".repeat(152))).segments(),
            3
        );
        // 33 emoji fill 66 of a part's 67 units: the 34th starts the next part.
        assert_eq!(body(&"😀".repeat(66)).segments(), 2);
        assert_eq!(body(&"😀".repeat(67)).segments(), 3);
        assert_eq!(body(&"😀".repeat(1600)).segments(), 49);
    }

    #[test]
    fn an_empty_body_is_one_segment_and_an_overlong_one_is_rejected() {
        assert_eq!(body("").segments(), 1);
        assert_eq!(
            SmsBody::parse("x".repeat(1601)),
            Err(SmsBodyError::TooLong(1601))
        );
    }

    #[test]
    fn debug_never_shows_the_text() {
        assert_eq!(format!("{:?}", body("my secret")), "SmsBody(9 chars)");
    }
}
