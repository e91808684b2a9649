//! Twilio resource identifiers (SIDs): two-letter prefix plus 32 hex digits.
//!
//! Owns their parsing so a malformed id from a webhook is rejected at the edge.
//! Must not accept a SID of the wrong kind (an `AC…` where an `SM…` belongs).

use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SidError {
    #[error("expected a {kind} SID starting with {prefixes:?} followed by 32 hex digits")]
    Malformed {
        kind: &'static str,
        prefixes: &'static [&'static str],
    },
}

fn parse_sid(
    raw: &str,
    kind: &'static str,
    prefixes: &'static [&'static str],
) -> Result<String, SidError> {
    let raw = raw.trim();
    let well_formed = raw.len() == 34
        && prefixes.iter().any(|p| raw.starts_with(p))
        && raw[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed {
        Ok(raw.to_owned())
    } else {
        Err(SidError::Malformed { kind, prefixes })
    }
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, SidError> {
                parse_sid(raw, $kind, &[$($prefix),+]).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

sid_type!(
    /// An SMS (`SM…`) or MMS (`MM…`) message.
    MessageSid, "message", ["SM", "MM"]
);
sid_type!(
    /// A Twilio account.
    AccountSid, "account", ["AC"]
);
sid_type!(
    /// A Messaging Service, used instead of a From number.
    MessagingServiceSid, "messaging service", ["MG"]
);

#[cfg(test)]
mod tests {
    use super::*;

    const SM: &str = "SM0123456789abcdef0123456789abcdef";

    #[test]
    fn a_well_formed_message_sid_is_accepted() {
        assert_eq!(MessageSid::parse(SM).unwrap().as_str(), SM);
        assert!(MessageSid::parse("MM0123456789ABCDEF0123456789ABCDEF").is_ok());
    }

    #[test]
    fn a_sid_of_another_kind_is_rejected() {
        assert!(MessageSid::parse("AC0123456789abcdef0123456789abcdef").is_err());
        assert!(AccountSid::parse(SM).is_err());
    }

    #[test]
    fn short_or_non_hex_sids_are_rejected() {
        assert!(MessageSid::parse("SM123").is_err());
        assert!(MessageSid::parse("SM0123456789abcdef0123456789abcdeg").is_err());
        assert!(MessageSid::parse("").is_err());
    }
}
