//! Where to look for slots, from what the customer said.
//!
//! Turns an understanding (a date, a range, a time, a part of day) into a search
//! window and a preferred instant in UTC, resolved in the business timezone and
//! clamped to the booking window. Pure: no I/O.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use smsbot_nlu::Understanding;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchWindow {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Slots nearest to this come first.
    pub near: DateTime<Utc>,
    /// The customer named an exact time.
    pub exact: bool,
}

/// Whether the message names any date or time at all.
pub fn names_a_time(u: &Understanding) -> bool {
    u.date.is_some() || u.date_range.is_some() || u.time.is_some() || u.time_range.is_some()
}

/// The local instant of a date and time; in a DST gap the first valid time after.
fn local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        local(tz, date, NaiveTime::MIN),
        local(tz, date + Duration::days(1), NaiveTime::MIN),
    )
}

/// The window to search for `u`, given the earliest and latest bookable instants.
pub fn search_window(
    u: &Understanding,
    tz: Tz,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> SearchWindow {
    let today = earliest.with_timezone(&tz).date_naive();
    // A time with a window is a bound ("after 4", "before noon"): the window.
    let (from, to, near, exact) = match (u.date, u.date_range, u.time, u.time_range) {
        (Some(date), _, _, Some((a, b))) => {
            let start = local(tz, date, a);
            (start, local(tz, date, b), start, false)
        }
        (Some(date), _, Some(time), None) => {
            let (start, end) = day_bounds(tz, date);
            (start, end, local(tz, date, time), true)
        }
        (Some(date), _, None, None) => {
            let (start, end) = day_bounds(tz, date);
            (start, end, start, false)
        }
        (None, Some((first, last)), time, range) => {
            let start = local(
                tz,
                first,
                range.map(|r| r.0).or(time).unwrap_or(NaiveTime::MIN),
            );
            (start, day_bounds(tz, last).1, start, false)
        }
        (None, None, Some(time), None) => {
            // A time alone means the next time it comes round.
            let mut date = today;
            if local(tz, date, time) < earliest {
                date += Duration::days(1);
            }
            let (start, end) = day_bounds(tz, date);
            (start, end, local(tz, date, time), true)
        }
        (None, None, _, Some((a, b))) => {
            let mut date = today;
            if local(tz, date, b) <= earliest {
                date += Duration::days(1);
            }
            let start = local(tz, date, a);
            (start, local(tz, date, b), start, false)
        }
        (None, None, None, None) => (earliest, latest, earliest, false),
    };
    let from = from.max(earliest);
    SearchWindow {
        from,
        to: to.min(latest).max(from),
        near: near.max(from),
        exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsbot_nlu::understand;

    fn tz() -> Tz {
        "America/New_York".parse().unwrap()
    }

    fn window(text: &str) -> SearchWindow {
        // Friday 2026-03-06 09:00 in New York.
        let now = tz().with_ymd_and_hms(2026, 3, 6, 9, 0, 0).unwrap();
        let u = understand(text, now);
        let now = now.with_timezone(&Utc);
        search_window(&u, tz(), now + Duration::hours(1), now + Duration::days(60))
    }

    fn ny(s: &str) -> DateTime<Utc> {
        tz().from_local_datetime(&s.parse().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_date_and_time_prefers_that_instant_within_that_day() {
        let w = window("can I come tomorrow at 3pm");
        assert_eq!(w.near, ny("2026-03-07T15:00:00"));
        assert_eq!(w.from, ny("2026-03-07T00:00:00"));
        assert_eq!(w.to, ny("2026-03-08T00:00:00"));
        assert!(w.exact);
    }

    #[test]
    fn a_bound_searches_its_side_of_the_day_rather_than_the_hour() {
        let w = window("any time after 4 tmrw?");
        assert_eq!((w.from, w.exact), (ny("2026-03-07T16:00:00"), false));
        let w = window("before noon on saturday");
        assert_eq!(w.from, ny("2026-03-07T00:00:00"));
        assert_eq!((w.to, w.exact), (ny("2026-03-07T12:00:00"), false));
    }

    #[test]
    fn a_time_alone_that_has_passed_today_means_tomorrow() {
        let w = window("8am please");
        assert_eq!(w.near, ny("2026-03-07T08:00:00"));
    }

    #[test]
    fn no_date_or_time_searches_from_the_earliest_bookable_instant() {
        let w = window("I'd like an appointment");
        assert_eq!(w.from, ny("2026-03-06T10:00:00"));
        assert!(!w.exact);
    }

    #[test]
    fn today_never_searches_before_the_lead_time() {
        let w = window("today");
        assert_eq!(w.from, ny("2026-03-06T10:00:00"));
    }

    #[test]
    fn a_spring_forward_gap_resolves_to_a_real_instant() {
        let u = Understanding {
            date: Some(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()),
            time: NaiveTime::from_hms_opt(2, 30, 0),
            ..understand("x", tz().with_ymd_and_hms(2026, 3, 6, 9, 0, 0).unwrap())
        };
        let now = ny("2026-03-06T09:00:00");
        let w = search_window(&u, tz(), now, now + Duration::days(60));
        assert_eq!(w.near, ny("2026-03-08T03:30:00"));
    }
}
