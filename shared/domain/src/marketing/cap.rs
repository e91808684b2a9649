//! The marketing frequency cap: at most so many marketing texts to one contact
//! in a rolling period.
//!
//! Owns parsing `MARKETING_FREQUENCY_CAP` ("4/30d": four per thirty days; the
//! period in days `d` or hours `h`) and the bounds that keep it meaningful.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrequencyCap {
    max: u32,
    per: Duration,
    /// The period as written, for messages: "30d".
    per_text: (u32, char),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrequencyCapError {
    #[error("must look like 4/30d: a number of messages per a number of days (d) or hours (h)")]
    Unreadable,
    #[error("must allow between 1 and {} messages", FrequencyCap::MAX_MESSAGES)]
    Messages,
    #[error("the period must be between 1 hour and 365 days")]
    Period,
}

impl FrequencyCap {
    pub const MAX_MESSAGES: u32 = 1_000;

    /// Reads "N/Md" or "N/Mh".
    pub fn parse(raw: &str) -> Result<Self, FrequencyCapError> {
        let (max, period) = raw
            .trim()
            .split_once('/')
            .ok_or(FrequencyCapError::Unreadable)?;
        let number = |text: &str| {
            let text = text.trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FrequencyCapError::Unreadable);
            }
            // All digits: only too large to hold, which the bounds refuse.
            Ok(text.parse::<u32>().unwrap_or(u32::MAX))
        };
        let period = period.trim();
        let unit = period
            .chars()
            .last()
            .ok_or(FrequencyCapError::Unreadable)?
            .to_ascii_lowercase();
        let count = number(&period[..period.len() - unit.len_utf8()])?;
        let max = number(max)?;
        let hours = match unit {
            'd' => i64::from(count) * 24,
            'h' => i64::from(count),
            _ => return Err(FrequencyCapError::Unreadable),
        };
        if !(1..=Self::MAX_MESSAGES).contains(&max) {
            return Err(FrequencyCapError::Messages);
        }
        if !(1..=365 * 24).contains(&hours) {
            return Err(FrequencyCapError::Period);
        }
        Ok(Self {
            max,
            per: Duration::hours(hours),
            per_text: (count, unit),
        })
    }

    /// How many marketing texts one contact may get in any period.
    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn per(&self) -> Duration {
        self.per
    }

    /// Where the period that ends at `now` began: texts since then count.
    pub fn counts_since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.per
    }

    /// Whether one more text would exceed the cap, after `already` in the period.
    pub fn reached(&self, already: i64) -> bool {
        already >= i64::from(self.max)
    }
}

impl Default for FrequencyCap {
    /// Four per thirty days.
    fn default() -> Self {
        Self {
            max: 4,
            per: Duration::days(30),
            per_text: (30, 'd'),
        }
    }
}

/// The setting's own spelling: "4/30d".
impl fmt::Display for FrequencyCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.max, self.per_text.0, self.per_text.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_per_thirty_days_reads_as_written() {
        let cap = FrequencyCap::parse("4/30d").unwrap();
        assert_eq!((cap.max(), cap.per()), (4, Duration::days(30)));
        assert_eq!(cap.to_string(), "4/30d");
        assert_eq!(cap, FrequencyCap::default());
        let twice_a_day = FrequencyCap::parse(" 2 / 12H ").unwrap();
        assert_eq!(twice_a_day.per(), Duration::hours(12));
        assert_eq!(twice_a_day.to_string(), "2/12h");
    }

    #[test]
    fn the_cap_is_reached_at_its_number_not_after() {
        let cap = FrequencyCap::default();
        assert!(!cap.reached(3));
        assert!(cap.reached(4));
        let now: DateTime<Utc> = "2026-03-31T12:00:00Z".parse().unwrap();
        let since: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(cap.counts_since(now), since);
    }

    #[test]
    fn what_is_not_messages_per_period_is_refused() {
        for raw in [
            "", "4", "4/30", "four/30d", "4/30w", "4/d", "/30d", "4/30dd", "-1/30d", "4.5/30d",
        ] {
            assert_eq!(
                FrequencyCap::parse(raw),
                Err(FrequencyCapError::Unreadable),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn zero_and_absurd_numbers_are_refused() {
        assert_eq!(
            FrequencyCap::parse("0/30d"),
            Err(FrequencyCapError::Messages)
        );
        assert_eq!(
            FrequencyCap::parse("1001/30d"),
            Err(FrequencyCapError::Messages)
        );
        assert_eq!(FrequencyCap::parse("4/0h"), Err(FrequencyCapError::Period));
        assert_eq!(
            FrequencyCap::parse("4/366d"),
            Err(FrequencyCapError::Period)
        );
        assert_eq!(
            FrequencyCap::parse("4/99999999999999999999d"),
            Err(FrequencyCapError::Period)
        );
    }
}
