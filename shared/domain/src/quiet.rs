//! The quiet-hours rule: when a contact may not be texted, in their own timezone.
//!
//! Owns `QuietHours` (a local wall-clock window, by default 21:00–08:00, which may
//! wrap midnight; `start == end` means no quiet hours), and the instants just
//! after and just before a quiet period and the one it begins at, computed so
//! that daylight-saving changes neither let a message through nor lose a day.
//! Pure: no I/O, no clock.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Quiet from `start` (inclusive) to `end` (exclusive), local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// How far a search for a valid local time may go past a DST gap.
const GAP_SEARCH_MINUTES: i64 = 24 * 60;

impl Default for QuietHours {
    /// 21:00–08:00: send only from 8 am to 9 pm local time.
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl QuietHours {
    pub fn new(start: NaiveTime, end: NaiveTime) -> Self {
        Self { start, end }
    }

    /// Whether this local wall-clock time is quiet.
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// Whether `at` is quiet for someone in `tz`.
    pub fn is_quiet(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        self.contains(at.with_timezone(&tz).time())
    }

    /// `at` itself when it is allowed, else the first instant after the quiet
    /// period it falls in (the local end time; after a DST gap, the first valid
    /// minute; when the end time repeats, the first occurrence after `at`).
    pub fn next_allowed(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.is_quiet(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz).naive_local();
        let date = local.date();
        let end_date = if self.start > self.end && local.time() >= self.start {
            next_day(date)
        } else {
            date
        };
        let candidate = first_instant_at_or_after(end_date.and_time(self.end), tz, at);
        match candidate {
            Some(c) if c > at && !self.is_quiet(c, tz) => c,
            _ => self.step(at, tz, Duration::minutes(1)),
        }
    }

    /// `at` itself when it is allowed, else the last minute before the quiet
    /// period it falls in began.
    pub fn last_allowed_at_or_before(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.is_quiet(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz).naive_local();
        let date = local.date();
        let start_date = if self.start > self.end && local.time() < self.end {
            previous_day(date)
        } else {
            date
        };
        let began = last_instant_at_or_before(start_date.and_time(self.start), tz, at);
        match began.map(|b| b - Duration::minutes(1)) {
            Some(c) if c < at && !self.is_quiet(c, tz) => c,
            _ => self.step(at, tz, Duration::minutes(-1)),
        }
    }

    /// `at` itself when it is quiet, else the instant the next quiet period
    /// begins (the local start time; in a DST gap, the first valid minute
    /// after it). `None` when there are no quiet hours.
    pub fn next_quiet(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        if self.start == self.end {
            return None;
        }
        if self.is_quiet(at, tz) {
            return Some(at);
        }
        let date = at.with_timezone(&tz).date_naive();
        for day in [date, next_day(date)] {
            let candidate = first_instant_at_or_after(day.and_time(self.start), tz, at);
            if let Some(c) = candidate.filter(|c| *c > at && self.is_quiet(*c, tz)) {
                return Some(c);
            }
        }
        let mut t = at;
        for _ in 0..(2 * 24 * 60) {
            t += Duration::minutes(1);
            if self.is_quiet(t, tz) {
                return Some(t);
            }
        }
        None
    }

    /// The fallback: walk minute by minute (at most two days) to an allowed one.
    fn step(&self, at: DateTime<Utc>, tz: Tz, by: Duration) -> DateTime<Utc> {
        let mut t = at;
        for _ in 0..(2 * 24 * 60) {
            t += by;
            if !self.is_quiet(t, tz) {
                return t;
            }
        }
        at
    }
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

fn previous_day(date: NaiveDate) -> NaiveDate {
    date.pred_opt().unwrap_or(date)
}

/// The instant a local time names, resolved forward: of two (DST repeat), the
/// first one after `after`; if none (DST gap), the first valid minute after it.
fn first_instant_at_or_after(
    local: NaiveDateTime,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut t = local;
    for _ in 0..GAP_SEARCH_MINUTES {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return Some(x.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                return Some(if a > after { a } else { b });
            }
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    None
}

/// The instant a local time names, resolved backward: of two (DST repeat), the
/// last one not after `before`; if none (DST gap), the first valid minute after
/// the gap (the moment the gap ended).
fn last_instant_at_or_before(
    local: NaiveDateTime,
    tz: Tz,
    before: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut t = local;
    for _ in 0..GAP_SEARCH_MINUTES {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return Some(x.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                return Some(if b <= before { b } else { a });
            }
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn local(tz: Tz, s: &str) -> DateTime<Utc> {
        tz.from_local_datetime(&s.parse().unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_default_window_is_quiet_from_nine_pm_to_eight_am() {
        let q = QuietHours::default();
        assert!(q.contains(hm(21, 0)));
        assert!(q.contains(hm(3, 0)));
        assert!(q.contains(hm(7, 59)));
        assert!(!q.contains(hm(8, 0)));
        assert!(!q.contains(hm(20, 59)));
    }

    #[test]
    fn a_late_evening_message_waits_for_eight_the_next_morning_in_the_contacts_zone() {
        let ny = tz("America/New_York");
        let at = local(ny, "2026-03-02T22:30:00");
        assert_eq!(
            QuietHours::default().next_allowed(at, ny),
            local(ny, "2026-03-03T08:00:00")
        );
        let early = local(ny, "2026-03-03T06:10:00");
        assert_eq!(
            QuietHours::default().next_allowed(early, ny),
            local(ny, "2026-03-03T08:00:00")
        );
    }

    #[test]
    fn an_allowed_instant_is_its_own_next_allowed_minute() {
        let ny = tz("America/New_York");
        let at = local(ny, "2026-03-02T12:00:00");
        assert_eq!(QuietHours::default().next_allowed(at, ny), at);
    }

    #[test]
    fn a_window_that_does_not_wrap_midnight_ends_the_same_day() {
        let q = QuietHours::new(hm(12, 0), hm(13, 30));
        let tokyo = tz("Asia/Tokyo");
        let at = local(tokyo, "2026-07-01T12:15:00");
        assert_eq!(
            q.next_allowed(at, tokyo),
            local(tokyo, "2026-07-01T13:30:00")
        );
        assert!(!q.is_quiet(local(tokyo, "2026-07-01T23:00:00"), tokyo));
    }

    #[test]
    fn an_end_time_skipped_by_spring_forward_moves_to_the_first_valid_minute() {
        // New York skips 02:00–03:00 on 2026-03-08.
        let ny = tz("America/New_York");
        let q = QuietHours::new(hm(21, 0), hm(2, 30));
        let at = local(ny, "2026-03-07T23:00:00");
        let next = q.next_allowed(at, ny);
        assert_eq!(next, local(ny, "2026-03-08T03:00:00"));
        assert!(!q.is_quiet(next, ny));
    }

    #[test]
    fn an_end_time_repeated_by_fall_back_is_taken_at_its_first_occurrence() {
        // New York repeats 01:00–02:00 on 2026-11-01.
        let ny = tz("America/New_York");
        let q = QuietHours::new(hm(21, 0), hm(1, 30));
        let at = local(ny, "2026-10-31T23:00:00");
        let next = q.next_allowed(at, ny);
        assert_eq!(next, local(ny, "2026-11-01T01:30:00"));
        assert!(next > at);
    }

    #[test]
    fn the_last_allowed_minute_before_quiet_hours_is_a_minute_before_they_start() {
        let ny = tz("America/New_York");
        let q = QuietHours::default();
        let at = local(ny, "2026-03-03T06:00:00");
        assert_eq!(
            q.last_allowed_at_or_before(at, ny),
            local(ny, "2026-03-02T20:59:00")
        );
        let late = local(ny, "2026-03-02T23:00:00");
        assert_eq!(
            q.last_allowed_at_or_before(late, ny),
            local(ny, "2026-03-02T20:59:00")
        );
    }

    #[test]
    fn the_next_quiet_period_begins_at_the_local_start_time() {
        let ny = tz("America/New_York");
        let q = QuietHours::default();
        let noon = local(ny, "2026-03-02T12:00:00");
        assert_eq!(
            q.next_quiet(noon, ny),
            Some(local(ny, "2026-03-02T21:00:00"))
        );
        let late = local(ny, "2026-03-02T22:00:00");
        assert_eq!(q.next_quiet(late, ny), Some(late));
        assert_eq!(
            QuietHours::new(hm(9, 0), hm(9, 0)).next_quiet(noon, ny),
            None
        );
    }

    #[test]
    fn a_quiet_start_skipped_by_spring_forward_begins_at_the_first_valid_minute() {
        // New York skips 02:00–03:00 on 2026-03-08.
        let ny = tz("America/New_York");
        let q = QuietHours::new(hm(2, 30), hm(8, 0));
        let at = local(ny, "2026-03-08T01:00:00");
        assert_eq!(q.next_quiet(at, ny), Some(local(ny, "2026-03-08T03:00:00")));
    }

    #[test]
    fn no_minute_before_the_next_quiet_period_is_quiet_across_zones_and_hours() {
        let q = QuietHours::new(hm(20, 30), hm(9, 15));
        let start: DateTime<Utc> = "2026-10-30T00:00:00Z".parse().unwrap();
        for zone in ["America/New_York", "Europe/London", "Asia/Kathmandu"] {
            let z = tz(zone);
            for h in 0..(24 * 4) {
                let at = start + Duration::minutes(h * 53);
                let next = q.next_quiet(at, z).unwrap();
                assert!(next >= at && q.is_quiet(next, z), "{zone} {at}");
                let mut t = at;
                while t + Duration::minutes(1) < next {
                    assert!(!q.is_quiet(t, z), "{zone}: {t} is quiet before {next}");
                    t += Duration::minutes(1);
                }
            }
        }
    }

    #[test]
    fn equal_start_and_end_mean_no_quiet_hours() {
        let q = QuietHours::new(hm(9, 0), hm(9, 0));
        assert!(!q.contains(hm(9, 0)));
        assert!(!q.contains(hm(3, 0)));
    }

    #[test]
    fn next_allowed_is_never_quiet_across_every_zone_and_hour() {
        let q = QuietHours::default();
        let start: DateTime<Utc> = "2026-03-07T00:00:00Z".parse().unwrap();
        for zone in [
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
        ] {
            let z = tz(zone);
            for h in 0..(24 * 9) {
                let at = start + Duration::minutes(h * 37);
                let next = q.next_allowed(at, z);
                assert!(next >= at && !q.is_quiet(next, z), "{zone} {at}");
                assert!(next - at <= Duration::hours(13), "{zone} {at} -> {next}");
                let before = q.last_allowed_at_or_before(at, z);
                assert!(before <= at && !q.is_quiet(before, z), "{zone} {at}");
            }
        }
    }
}
