//! When a message we start may go to a recipient who may be in several zones,
//! under several quiet-hours rules at once (a campaign's own, the legal
//! marketing window).
//!
//! Owns the intersection: an instant is allowed only when no rule is quiet in
//! any of the zones; the next allowed instant; and when the allowed stretch
//! around an instant ends. The intersection may be empty (narrow windows over
//! zones far apart): then there is no allowed instant, and the caller must not
//! wait for one. Pure: no I/O, no clock.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::quiet::QuietHours;

/// How far ahead an allowed instant is looked for: a day of every zone, with
/// room for a daylight-saving change.
const HORIZON: Duration = Duration::days(3);

/// Every rule, in every zone.
#[derive(Debug, Clone, Copy)]
pub struct SendingWindow<'a> {
    rules: &'a [QuietHours],
    zones: &'a [Tz],
}

impl<'a> SendingWindow<'a> {
    pub fn new(rules: &'a [QuietHours], zones: &'a [Tz]) -> Self {
        Self { rules, zones }
    }

    fn pairs(&self) -> impl Iterator<Item = (&'a QuietHours, Tz)> + '_ {
        self.rules
            .iter()
            .flat_map(|rule| self.zones.iter().map(move |tz| (rule, *tz)))
    }

    /// Whether some rule is quiet at `at` in some zone.
    pub fn is_quiet(&self, at: DateTime<Utc>) -> bool {
        self.pairs().any(|(rule, tz)| rule.is_quiet(at, tz))
    }

    /// `at` itself when it is allowed, else the first instant after it that
    /// every rule allows in every zone; `None` when there is none within
    /// three days (the windows do not overlap).
    pub fn next_allowed(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Each step moves to the end of one quiet period, which no allowed
        // instant lies before, so the walk never passes the first allowed one.
        let mut t = at;
        while t - at <= HORIZON {
            let quiet = self.pairs().find(|(rule, tz)| rule.is_quiet(t, *tz));
            let Some((rule, tz)) = quiet else {
                return Some(t);
            };
            let next = rule.next_allowed(t, tz);
            if next <= t {
                return None;
            }
            t = next;
        }
        None
    }

    /// When the allowed stretch `at` lies in ends: the first instant at or
    /// after `at` that some rule makes quiet in some zone (`at` itself when it
    /// is quiet; `None` when no rule has quiet hours).
    pub fn closes(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pairs()
            .filter_map(|(rule, tz)| rule.next_quiet(at, tz))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::{America, Pacific};

    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn at(tz: Tz, s: &str) -> DateTime<Utc> {
        tz.from_local_datetime(&s.parse().unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    const DAYTIME: [QuietHours; 1] = [QuietHours {
        start: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
    }];

    #[test]
    fn two_zones_allow_only_the_hours_that_are_daytime_in_both() {
        let zones = [America::New_York, America::Los_Angeles];
        let window = SendingWindow::new(&DAYTIME, &zones);
        let morning = at(America::New_York, "2026-03-02T08:30:00");
        assert!(window.is_quiet(morning));
        assert_eq!(
            window.next_allowed(morning),
            Some(at(America::Los_Angeles, "2026-03-02T08:00:00"))
        );
        let afternoon = at(America::New_York, "2026-03-02T15:00:00");
        assert_eq!(window.next_allowed(afternoon), Some(afternoon));
        assert_eq!(
            window.closes(afternoon),
            Some(at(America::New_York, "2026-03-02T21:00:00"))
        );
    }

    #[test]
    fn a_campaigns_own_window_narrows_the_legal_one() {
        let rules = [DAYTIME[0], QuietHours::new(hm(12, 0), hm(14, 0))];
        let zones = [America::Chicago];
        let window = SendingWindow::new(&rules, &zones);
        let lunch = at(America::Chicago, "2026-03-02T12:30:00");
        assert_eq!(
            window.next_allowed(lunch),
            Some(at(America::Chicago, "2026-03-02T14:00:00"))
        );
        let morning = at(America::Chicago, "2026-03-02T09:00:00");
        assert_eq!(
            window.closes(morning),
            Some(at(America::Chicago, "2026-03-02T12:00:00"))
        );
    }

    #[test]
    fn windows_that_never_overlap_have_no_allowed_instant() {
        // 10:00–11:00 in Guam and in Honolulu are twenty hours apart.
        let rules = [QuietHours::new(hm(11, 0), hm(10, 0))];
        let zones = [Pacific::Guam, Pacific::Honolulu];
        let window = SendingWindow::new(&rules, &zones);
        assert_eq!(
            window.next_allowed(at(Pacific::Guam, "2026-03-02T10:30:00")),
            None
        );
    }

    #[test]
    fn the_next_allowed_instant_is_the_first_allowed_minute_in_every_zone() {
        let zones = [America::St_Johns, Pacific::Guam, Pacific::Honolulu];
        let window = SendingWindow::new(&DAYTIME, &zones);
        let start: DateTime<Utc> = "2026-03-06T00:00:00Z".parse().unwrap();
        for step in 0..(24 * 4) {
            let from = start + Duration::minutes(step * 47);
            let next = window.next_allowed(from).expect("an overlap every day");
            assert!(!window.is_quiet(next), "{from} -> {next}");
            let mut t = from;
            while t + Duration::minutes(1) <= next {
                assert!(window.is_quiet(t), "{t} is allowed before {next}");
                t += Duration::minutes(1);
            }
        }
    }
}
