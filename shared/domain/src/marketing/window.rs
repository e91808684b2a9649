//! The marketing window: the local hours marketing texts may arrive in.
//!
//! Owns parsing `MARKETING_WINDOW` ("09:00-20:00") and the rule that it lies
//! within 08:00–21:00, the hours the law allows (the TCPA's calling hours);
//! a narrower one is a business's choice, a wider one is refused.

use std::fmt;

use chrono::NaiveTime;

use crate::quiet::QuietHours;

/// Allowed from `start` (inclusive) to `end` (exclusive), local time, within
/// one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketingWindow {
    start: NaiveTime,
    end: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketingWindowError {
    #[error("must look like 09:00-20:00 (local start and end, 24-hour clock)")]
    Unreadable,
    #[error("must end after it starts: it cannot cross midnight")]
    Empty,
    #[error(
        "must lie within 08:00-21:00, the hours marketing texts are allowed in the \
         recipient's local time; it may only be narrower"
    )]
    WiderThanTheLaw,
}

const fn time(h: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, 0, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

impl MarketingWindow {
    /// 08:00–21:00: the widest window allowed.
    pub const LEGAL: MarketingWindow = MarketingWindow {
        start: time(8),
        end: time(21),
    };

    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, MarketingWindowError> {
        if end <= start {
            return Err(MarketingWindowError::Empty);
        }
        if start < Self::LEGAL.start || end > Self::LEGAL.end {
            return Err(MarketingWindowError::WiderThanTheLaw);
        }
        Ok(Self { start, end })
    }

    /// Reads "HH:MM-HH:MM".
    pub fn parse(raw: &str) -> Result<Self, MarketingWindowError> {
        let (start, end) = raw
            .split_once('-')
            .ok_or(MarketingWindowError::Unreadable)?;
        let read = |s: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| MarketingWindowError::Unreadable)
        };
        Self::new(read(start)?, read(end)?)
    }

    /// The same window as quiet hours: from its end to its start.
    pub fn quiet_hours(&self) -> QuietHours {
        QuietHours::new(self.end, self.start)
    }
}

impl Default for MarketingWindow {
    fn default() -> Self {
        Self::LEGAL
    }
}

impl fmt::Display for MarketingWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_default_window_is_eight_am_to_nine_pm() {
        let window = MarketingWindow::default();
        assert_eq!(window.to_string(), "08:00-21:00");
        assert_eq!(window.quiet_hours(), QuietHours::default());
    }

    #[test]
    fn a_narrower_window_is_accepted() {
        let window = MarketingWindow::parse(" 09:00 - 20:30 ").unwrap();
        assert_eq!(window.quiet_hours(), QuietHours::new(hm(20, 30), hm(9, 0)));
        assert_eq!(
            MarketingWindow::parse("08:00-21:00"),
            Ok(MarketingWindow::LEGAL)
        );
    }

    #[test]
    fn a_window_wider_than_the_law_is_refused() {
        for raw in ["07:59-20:00", "09:00-21:01", "00:00-23:59"] {
            assert_eq!(
                MarketingWindow::parse(raw),
                Err(MarketingWindowError::WiderThanTheLaw),
                "{raw}"
            );
        }
    }

    #[test]
    fn an_empty_or_unreadable_window_is_refused() {
        assert_eq!(
            MarketingWindow::parse("20:00-09:00"),
            Err(MarketingWindowError::Empty)
        );
        assert_eq!(
            MarketingWindow::parse("10:00-10:00"),
            Err(MarketingWindowError::Empty)
        );
        for raw in ["9am-5pm", "09:00", "09:00-25:00", ""] {
            assert_eq!(
                MarketingWindow::parse(raw),
                Err(MarketingWindowError::Unreadable),
                "{raw}"
            );
        }
    }
}
