//! IANA timezones (chrono-tz).
//!
//! Owns parsing a zone name such as "America/New_York" into a value the scheduling
//! and quiet-hours rules can compute with. Must not fall back silently to UTC on an
//! unknown name: callers decide the fallback.

use std::fmt;

use chrono_tz::Tz;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown IANA timezone {0:?}")]
pub struct TimezoneError(pub String);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timezone(Tz);

impl Timezone {
    pub fn parse(name: &str) -> Result<Self, TimezoneError> {
        name.trim()
            .parse::<Tz>()
            .map(Self)
            .map_err(|_| TimezoneError(name.to_owned()))
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl From<Tz> for Timezone {
    fn from(tz: Tz) -> Self {
        Self(tz)
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timezone({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_zone_name_is_accepted() {
        assert_eq!(
            Timezone::parse("America/New_York").unwrap().name(),
            "America/New_York"
        );
    }

    #[test]
    fn an_unknown_zone_name_is_an_error_not_utc() {
        assert_eq!(
            Timezone::parse("Mars/Olympus_Mons"),
            Err(TimezoneError("Mars/Olympus_Mons".into()))
        );
    }
}
