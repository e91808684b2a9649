//! E.164 phone numbers.
//!
//! Owns parsing (via the `phonenumber` crate, which carries Google's libphonenumber
//! metadata) and the masked form used in logs. Must not expose a way to build a
//! `PhoneNumber` from an unchecked string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A region used to read national formats such as "(415) 555-0100".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(phonenumber::country::Id);

impl Region {
    pub const US: Region = Region(phonenumber::country::Id::US);

    /// Parses an ISO 3166 alpha-2 code such as "US" or "GB".
    pub fn parse(code: &str) -> Result<Self, PhoneError> {
        phonenumber::country::Id::from_str(&code.trim().to_ascii_uppercase())
            .map(Region)
            .map_err(|_| PhoneError::UnknownRegion(code.to_owned()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number could not be read")]
    Unparseable,
    #[error("phone number is not a valid number for its region")]
    Invalid,
    #[error("unknown region code {0:?}")]
    UnknownRegion(String),
}

/// A valid phone number, stored in E.164 form (`+14155550100`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses an E.164 number or a national one read in `default_region`.
    pub fn parse(input: &str, default_region: Region) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        let parsed = read(input, default_region)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(PhoneError::Invalid);
        }
        let e164 = e164_form(&parsed);
        // libphonenumber accepts national numbers longer than E.164 allows
        // ("+4920102222220000", 16 digits): Twilio refuses those, and our own
        // deserializer would too.
        Self::parse_e164(&e164).map_err(|_| PhoneError::Invalid)?;
        // Everything downstream (Twilio, the store, this function) sees only
        // the E.164 form: it must read back as the same valid number.
        match phonenumber::parse(None, &e164) {
            Ok(again) if phonenumber::is_valid(&again) && e164_form(&again) == e164 => {
                Ok(Self(e164))
            }
            _ => Err(PhoneError::Invalid),
        }
    }

    /// Parses a number that must already be in E.164 form, as Twilio sends them.
    /// Only the shape is checked (`+` and 7 to 15 digits): Twilio has already
    /// routed the message, and numbering plans change faster than our metadata.
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        let input = input.trim();
        let Some(digits) = input.strip_prefix('+') else {
            return Err(if input.is_empty() {
                PhoneError::Empty
            } else {
                PhoneError::Unparseable
            });
        };
        let well_formed = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if well_formed {
            Ok(Self(input.to_owned()))
        } else {
            Err(PhoneError::Unparseable)
        }
    }

    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The form safe for logs: `+1******0100`.
    pub fn masked(&self) -> MaskedPhone {
        MaskedPhone(mask(&self.0))
    }

    /// A stable pseudonymous key for this number (hex SHA-256), used where a
    /// per-contact key leaves our process, e.g. the SQS FIFO message group id.
    pub fn pseudonym(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

fn e164_form(parsed: &phonenumber::PhoneNumber) -> String {
    parsed.format().mode(phonenumber::Mode::E164).to_string()
}

/// Reads `input` with `region` as the default region.
///
/// phonenumber 0.3 applies the default region's national-prefix rules even to
/// a number that names another country: read in the US, "+358 13 1234567"
/// (Finland) loses the "1" of its area code and becomes another valid number,
/// "+35831234567". So a number that names its own country, with a `+` or an
/// international dialling prefix ("011 358 ..." in the US), is read again
/// without a default region, from its country code alone.
fn read(input: &str, region: Region) -> Result<phonenumber::PhoneNumber, PhoneError> {
    use phonenumber::country::Source;
    let first = phonenumber::parse(Some(region.0), input).map_err(|_| PhoneError::Unparseable)?;
    let again = match first.code().source() {
        Source::Default | Source::Number => return Ok(first),
        Source::Plus => phonenumber::parse(None, input),
        Source::Idd => {
            let rest = after_international_prefix(input, region).ok_or(PhoneError::Unparseable)?;
            phonenumber::parse(None, format!("+{rest}"))
        }
    };
    again.map_err(|_| PhoneError::Unparseable)
}

/// `input` after the region's international dialling prefix ("011" in the
/// US, "00" in most of the world) and the formatting around it.
fn after_international_prefix(input: &str, region: Region) -> Option<&str> {
    let meta = phonenumber::metadata::DATABASE.by_id(region.0.as_ref())?;
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let prefix = meta
        .international_prefix()?
        .find(&digits)
        .filter(|m| m.start() == 0)?;
    let mut left = prefix.end();
    for (i, c) in input.char_indices() {
        if left == 0 {
            return Some(&input[i..]);
        }
        if c.is_ascii_digit() {
            left -= 1;
        }
    }
    None
}

fn mask(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    let keep_head = 2.min(chars.len());
    let keep_tail = 4.min(chars.len().saturating_sub(keep_head));
    let hidden = chars.len() - keep_head - keep_tail;
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..keep_head]);
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

/// Debug shows the masked form so a stray `{:?}` never leaks a number into logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", mask(&self.0))
    }
}

/// A masked phone number for logs and traces.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedPhone(String);

impl fmt::Display for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        PhoneNumber::parse_e164(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_national_us_number_is_stored_in_e164_form() {
        let phone = PhoneNumber::parse("(415) 555-0100", Region::US).unwrap();
        assert_eq!(phone.as_e164(), "+14155550100");
    }

    #[test]
    fn an_e164_number_keeps_its_own_country() {
        let phone = PhoneNumber::parse("+44 20 7946 0958", Region::US).unwrap();
        assert_eq!(phone.as_e164(), "+442079460958");
    }

    #[test]
    fn a_masked_number_shows_only_country_code_and_last_four_digits() {
        let phone = PhoneNumber::parse_e164("+14155550100").unwrap();
        assert_eq!(phone.masked().to_string(), "+1******0100");
        assert_eq!(format!("{phone:?}"), "PhoneNumber(+1******0100)");
    }

    #[test]
    fn garbage_and_empty_input_are_rejected_with_a_reason() {
        assert_eq!(PhoneNumber::parse("  ", Region::US), Err(PhoneError::Empty));
        assert!(PhoneNumber::parse("not a number", Region::US).is_err());
        assert_eq!(
            PhoneNumber::parse("+1 555", Region::US),
            Err(PhoneError::Invalid)
        );
    }

    #[test]
    fn twilio_numbers_must_already_be_e164() {
        assert!(PhoneNumber::parse_e164("4155550100").is_err());
        assert!(PhoneNumber::parse_e164("+14155550100").is_ok());
        assert!(PhoneNumber::parse_e164("+1 415 555 0100").is_err());
        assert!(PhoneNumber::parse_e164("+0123456789").is_err());
    }

    #[test]
    fn a_fictional_555_number_from_twilio_is_accepted_as_sent() {
        assert_eq!(
            PhoneNumber::parse_e164("+15555550123").unwrap().as_e164(),
            "+15555550123"
        );
    }

    #[test]
    fn the_pseudonym_is_stable_and_hides_the_number() {
        let a = PhoneNumber::parse_e164("+14155550100").unwrap();
        let b = PhoneNumber::parse("415-555-0100", Region::US).unwrap();
        assert_eq!(a.pseudonym(), b.pseudonym());
        assert_eq!(a.pseudonym().len(), 64);
        assert!(!a.pseudonym().contains("4155550100"));
    }

    #[test]
    fn region_codes_are_read_case_insensitively() {
        assert_eq!(Region::parse("us").unwrap(), Region::US);
        assert!(Region::parse("XX").is_err());
    }
}
