//! `ValidityPeriod`: how long Twilio may hold a message in its queue before it
//! gives up on it (error 30036) instead of sending it late.
//!
//! Owns the bounds Twilio accepts (whole seconds, 1 to 36,000: ten hours;
//! anything else is refused with 21624) and fitting a wished-for duration into
//! them. Pure.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValidityPeriod(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a validity period must be between 1 and 36000 seconds, not {0}")]
pub struct ValidityPeriodError(pub u64);

impl ValidityPeriod {
    /// The longest Twilio accepts: ten hours.
    pub const MAX: ValidityPeriod = ValidityPeriod(36_000);

    pub fn from_secs(secs: u64) -> Result<Self, ValidityPeriodError> {
        match u32::try_from(secs) {
            Ok(s) if (1..=Self::MAX.0).contains(&s) => Ok(Self(s)),
            _ => Err(ValidityPeriodError(secs)),
        }
    }

    /// The longest period Twilio accepts that is not longer than `wanted`
    /// (whole seconds, rounded down so the message never outlives it), at
    /// least one second.
    pub fn at_most(wanted: Duration) -> Self {
        Self(u32::try_from(wanted.as_secs()).map_or(Self::MAX.0, |s| s.clamp(1, Self::MAX.0)))
    }

    pub fn secs(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ValidityPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_accepts_one_second_to_ten_hours() {
        assert_eq!(
            ValidityPeriod::from_secs(1).map(ValidityPeriod::secs),
            Ok(1)
        );
        assert_eq!(ValidityPeriod::from_secs(36_000), Ok(ValidityPeriod::MAX));
        assert_eq!(ValidityPeriod::from_secs(0), Err(ValidityPeriodError(0)));
        assert_eq!(
            ValidityPeriod::from_secs(36_001),
            Err(ValidityPeriodError(36_001))
        );
    }

    #[test]
    fn a_wished_for_period_is_cut_to_what_twilio_accepts_and_never_rounded_up() {
        assert_eq!(
            ValidityPeriod::at_most(Duration::from_secs(3 * 3600)).secs(),
            10_800
        );
        assert_eq!(
            ValidityPeriod::at_most(Duration::from_millis(90_999)).secs(),
            90
        );
        assert_eq!(
            ValidityPeriod::at_most(Duration::from_secs(13 * 3600)),
            ValidityPeriod::MAX
        );
        assert_eq!(
            ValidityPeriod::at_most(Duration::from_secs(u64::MAX)),
            ValidityPeriod::MAX
        );
        assert_eq!(ValidityPeriod::at_most(Duration::ZERO).secs(), 1);
    }
}
