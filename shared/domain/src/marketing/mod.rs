//! The limits on marketing texts (broadcast campaigns), decided for one
//! recipient at one moment.
//!
//! Owns the rules: a marketing text arrives only inside the marketing window
//! (at most 08:00–21:00) and the campaign's own window, in every zone the
//! recipient may be in; never to a contact who already had the frequency cap's
//! number of them in its period; and it carries how long it stays valid, so a
//! text held up at the provider expires rather than arriving in quiet hours.
//! Replies and reminders are not marketing and are not limited here. Pure:
//! the counts and the time come from the caller.

mod cap;
mod window;

use std::fmt;

use chrono::{DateTime, Duration, Utc};

pub use cap::{FrequencyCap, FrequencyCapError};
pub use window::{MarketingWindow, MarketingWindowError};

use crate::quiet::QuietHours;
use crate::recipient_zones::RecipientZones;
use crate::sending_window::SendingWindow;

/// A window about to close is treated as closed: a text sent in its last
/// minute could not be valid long enough to get through the provider's queue.
pub const LAST_CALL: Duration = Duration::minutes(1);

/// The marketing limits in force (`MARKETING_WINDOW`, `MARKETING_FREQUENCY_CAP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketingRules {
    pub window: MarketingWindow,
    /// `None`: no cap.
    pub cap: Option<FrequencyCap>,
}

impl Default for MarketingRules {
    /// 08:00–21:00, at most four in thirty days.
    fn default() -> Self {
        Self {
            window: MarketingWindow::LEGAL,
            cap: Some(FrequencyCap::default()),
        }
    }
}

/// Why a marketing text is not sent at all (recorded on its recipient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReason {
    /// The contact had the cap's number of marketing texts in its period.
    FrequencyCap(FrequencyCap),
    /// No minute of the windows is allowed in every zone the recipient may be in.
    NoCommonWindow,
}

impl fmt::Display for LimitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrequencyCap(cap) => write!(
                f,
                "frequency cap {cap}: the contact already had {} marketing messages in that period",
                cap.max()
            ),
            Self::NoCommonWindow => f.write_str(
                "no hour of the marketing window is allowed in every timezone the number may be in",
            ),
        }
    }
}

/// What to do with one marketing text now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketingVerdict {
    /// Send it, valid for `valid_for` (until the window closes where the
    /// recipient may be).
    Send { valid_for: Duration },
    /// Quiet somewhere the recipient may be: not before this instant.
    Wait(DateTime<Utc>),
    /// Not at all.
    Skip(LimitReason),
}

impl MarketingRules {
    /// Since when marketing texts count against the cap (`None`: no cap).
    pub fn counts_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cap.map(|cap| cap.counts_since(now))
    }

    /// The verdict at `now` for a recipient in `zones` who had `already`
    /// marketing texts since [`Self::counts_since`], under the campaign's own
    /// quiet hours.
    pub fn verdict(
        &self,
        now: DateTime<Utc>,
        campaign_quiet: QuietHours,
        zones: &RecipientZones,
        already: i64,
    ) -> MarketingVerdict {
        if let Some(cap) = self.cap.filter(|cap| cap.reached(already)) {
            return MarketingVerdict::Skip(LimitReason::FrequencyCap(cap));
        }
        let rules = [self.window.quiet_hours(), campaign_quiet];
        let window = SendingWindow::new(&rules, zones.zones());
        let mut at = now;
        // At most twice: a window in its last minute counts as closed.
        for _ in 0..2 {
            let Some(open) = window.next_allowed(at) else {
                return MarketingVerdict::Skip(LimitReason::NoCommonWindow);
            };
            if open > now {
                return MarketingVerdict::Wait(open);
            }
            // The marketing window always has quiet hours, so it closes.
            let closes = window.closes(now).unwrap_or(now + Duration::days(1));
            if closes - now >= LAST_CALL {
                return MarketingVerdict::Send {
                    valid_for: closes - now,
                };
            }
            at = closes;
        }
        MarketingVerdict::Skip(LimitReason::NoCommonWindow)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::{America, Tz};

    use super::*;

    fn local(tz: Tz, s: &str) -> DateTime<Utc> {
        tz.from_local_datetime(&s.parse().unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn no_quiet() -> QuietHours {
        QuietHours::new(NaiveTime::MIN, NaiveTime::MIN)
    }

    fn zones_of(phone: &str) -> RecipientZones {
        RecipientZones::resolve(None, Some(phone), America::New_York)
    }

    #[test]
    fn a_west_coast_number_waits_for_eight_in_los_angeles() {
        let rules = MarketingRules::default();
        let at = local(America::New_York, "2026-03-02T08:30:00");
        assert_eq!(
            rules.verdict(at, no_quiet(), &zones_of("+14155550100"), 0),
            MarketingVerdict::Wait(local(America::Los_Angeles, "2026-03-02T08:00:00"))
        );
        assert!(matches!(
            rules.verdict(at, no_quiet(), &zones_of("+12125550100"), 0),
            MarketingVerdict::Send { .. }
        ));
    }

    #[test]
    fn the_legal_window_holds_whatever_the_campaign_allows() {
        let rules = MarketingRules::default();
        let late = local(America::Chicago, "2026-03-02T22:00:00");
        let zones = RecipientZones::Known(America::Chicago);
        assert_eq!(
            rules.verdict(late, no_quiet(), &zones, 0),
            MarketingVerdict::Wait(local(America::Chicago, "2026-03-03T08:00:00"))
        );
    }

    #[test]
    fn a_text_is_valid_only_until_the_window_closes_in_the_first_zone_it_may_be_in() {
        let rules = MarketingRules {
            window: MarketingWindow::parse("09:00-20:00").unwrap(),
            cap: None,
        };
        // 850: Central and Eastern. 19:00 in New York is 18:00 in Chicago.
        let at = local(America::New_York, "2026-03-02T19:00:00");
        assert_eq!(
            rules.verdict(at, no_quiet(), &zones_of("+18505550100"), 0),
            MarketingVerdict::Send {
                valid_for: Duration::hours(1)
            }
        );
    }

    #[test]
    fn a_window_in_its_last_minute_counts_as_closed() {
        let rules = MarketingRules::default();
        let zones = RecipientZones::Known(America::New_York);
        let at = local(America::New_York, "2026-03-02T20:59:30");
        assert_eq!(
            rules.verdict(at, no_quiet(), &zones, 0),
            MarketingVerdict::Wait(local(America::New_York, "2026-03-03T08:00:00"))
        );
    }

    #[test]
    fn a_contact_at_the_cap_is_skipped_and_one_below_it_is_not() {
        let rules = MarketingRules::default();
        let zones = RecipientZones::Known(America::New_York);
        let noon = local(America::New_York, "2026-03-02T12:00:00");
        let skipped = rules.verdict(noon, no_quiet(), &zones, 4);
        assert_eq!(
            skipped,
            MarketingVerdict::Skip(LimitReason::FrequencyCap(FrequencyCap::default()))
        );
        assert!(matches!(
            rules.verdict(noon, no_quiet(), &zones, 3),
            MarketingVerdict::Send { .. }
        ));
    }

    #[test]
    fn a_toll_free_number_gets_the_hours_that_are_daytime_across_the_whole_plan() {
        let rules = MarketingRules::default();
        let zones = zones_of("+18005550100");
        let noon = local(America::New_York, "2026-03-02T12:00:00");
        let MarketingVerdict::Wait(open) = rules.verdict(noon, no_quiet(), &zones, 0) else {
            panic!("noon in New York is night in Guam");
        };
        // 08:00 in Guam (UTC+10) is 22:00 UTC.
        assert_eq!(
            open,
            "2026-03-02T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let narrow = MarketingRules {
            window: MarketingWindow::parse("10:00-19:00").unwrap(),
            cap: None,
        };
        assert_eq!(
            narrow.verdict(noon, no_quiet(), &zones, 0),
            MarketingVerdict::Skip(LimitReason::NoCommonWindow)
        );
    }
}
