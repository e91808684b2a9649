//! Weekly business hours, and the availability slots they produce.
//!
//! Parses `BUSINESS_HOURS` such as `"mon-fri 09:00-17:00; sat 10:00-14:00"` and lays
//! slots of a fixed length over the next weeks in the business timezone (local
//! times, so a slot stays at 9:00 across a daylight-saving change). Pure: the
//! caller stores the slots (idempotently).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use smsbot_store::availability::NewSlot;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("business hours {input:?} are not like \"mon-fri 09:00-17:00; sat 10:00-14:00\": {reason}")]
pub struct HoursError {
    input: String,
    reason: &'static str,
}

/// Opening and closing time on one day.
type Span = (NaiveTime, NaiveTime);

/// When the business is next open, from a local date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Open now, until this time today.
    Now { closes: NaiveTime },
    /// Closed now; opens at this local date and time.
    At(NaiveDateTime),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    /// (weekday, opens, closes)
    spans: Vec<(Weekday, NaiveTime, NaiveTime)>,
}

fn weekday(name: &str) -> Option<Weekday> {
    match name.get(..3)?.to_ascii_lowercase().as_str() {
        "mon" => Some(Weekday::Mon),
        "tue" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

impl WeeklyHours {
    /// The hours as a customer reads them: consecutive days with the same
    /// hours together, "Mon-Fri 9:00 AM-5:00 PM, Sat 10:00 AM-2:00 PM".
    pub fn describe(&self) -> String {
        const WEEK: [Weekday; 7] = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let hours_on = |day: Weekday| {
            let mut spans: Vec<Span> = self
                .spans
                .iter()
                .filter(|(d, _, _)| *d == day)
                .map(|(_, open, close)| (*open, *close))
                .collect();
            spans.sort();
            spans
        };
        let time = |t: NaiveTime| t.format("%-I:%M %p").to_string();
        // (first day, last day, the hours they share)
        let mut groups: Vec<(Weekday, Weekday, Vec<Span>)> = Vec::new();
        for day in WEEK {
            let spans = hours_on(day);
            if spans.is_empty() {
                continue;
            }
            match groups.last_mut() {
                Some((_, last, same)) if *same == spans && last.succ() == day => *last = day,
                _ => groups.push((day, day, spans)),
            }
        }
        groups
            .iter()
            .map(|(first, last, spans)| {
                let days = if first == last {
                    format!("{first}")
                } else {
                    format!("{first}-{last}")
                };
                let hours: Vec<String> = spans
                    .iter()
                    .map(|(open, close)| format!("{}-{}", time(*open), time(*close)))
                    .collect();
                format!("{days} {}", hours.join(" & "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn parse(input: &str) -> Result<Self, HoursError> {
        let err = |reason| HoursError {
            input: input.to_owned(),
            reason,
        };
        let mut spans = Vec::new();
        for part in input.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, hours) = part.split_once(' ').ok_or_else(|| err("missing hours"))?;
            let (open, close) = hours
                .trim()
                .split_once('-')
                .ok_or_else(|| err("hours need a dash"))?;
            let open = NaiveTime::parse_from_str(open.trim(), "%H:%M")
                .map_err(|_| err("bad opening time"))?;
            let close = NaiveTime::parse_from_str(close.trim(), "%H:%M")
                .map_err(|_| err("bad closing time"))?;
            if close <= open {
                return Err(err("closing must be after opening"));
            }
            let mut days_in_part = Vec::new();
            for item in days.split(',') {
                match item.split_once('-') {
                    Some((first, last)) => {
                        let mut day = weekday(first).ok_or_else(|| err("unknown weekday"))?;
                        let last = weekday(last).ok_or_else(|| err("unknown weekday"))?;
                        days_in_part.push(day);
                        while day != last {
                            day = day.succ();
                            days_in_part.push(day);
                        }
                    }
                    None => days_in_part.push(weekday(item).ok_or_else(|| err("unknown weekday"))?),
                }
            }
            spans.extend(days_in_part.into_iter().map(|d| (d, open, close)));
        }
        if spans.is_empty() {
            return Err(err("no opening hours"));
        }
        Ok(Self { spans })
    }

    /// Whether the business is open at the local time `at`, and else when it
    /// opens next (within the coming week: the hours are never empty).
    pub fn opening(&self, at: NaiveDateTime) -> Opening {
        let today = at.date();
        if let Some(closes) = self
            .spans
            .iter()
            .filter(|(day, open, close)| {
                *day == today.weekday() && *open <= at.time() && at.time() < *close
            })
            .map(|(_, _, close)| *close)
            .max()
        {
            return Opening::Now { closes };
        }
        (0..=7)
            .filter_map(|offset| {
                let day = today + Duration::days(offset);
                self.spans
                    .iter()
                    .filter(|(weekday, _, _)| *weekday == day.weekday())
                    .map(|(_, open, _)| day.and_time(*open))
                    .filter(|opens| *opens > at)
                    .min()
            })
            .next()
            .map_or(Opening::At(at), Opening::At)
    }

    /// Slots of `length` from `first_day` for `weeks` weeks, in `tz`.
    pub fn slots(
        &self,
        tz: Tz,
        first_day: NaiveDate,
        weeks: u32,
        length: Duration,
        capacity: i32,
    ) -> Vec<NewSlot> {
        let mut out = Vec::new();
        for offset in 0..i64::from(weeks) * 7 {
            let day = first_day + Duration::days(offset);
            for (weekday, open, close) in &self.spans {
                if day.weekday() != *weekday {
                    continue;
                }
                let mut start = day.and_time(*open);
                let end_of_day = day.and_time(*close);
                while start + length <= end_of_day {
                    let local_start = tz.from_local_datetime(&start).earliest();
                    let local_end = tz.from_local_datetime(&(start + length)).earliest();
                    // Slots in a daylight-saving gap do not exist that day.
                    if let (Some(s), Some(e)) = (local_start, local_end) {
                        out.push(NewSlot {
                            starts_at: s.with_timezone(&Utc),
                            ends_at: e.with_timezone(&Utc),
                            capacity,
                        });
                    }
                    start += length;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> Tz {
        "America/New_York".parse().unwrap()
    }

    #[test]
    fn weekday_ranges_and_single_days_are_read() {
        let hours = WeeklyHours::parse("mon-fri 09:00-17:00; sat 10:00-12:00").unwrap();
        assert_eq!(hours.spans.len(), 6);
    }

    #[test]
    fn a_week_of_half_hour_slots_covers_the_opening_hours() {
        let hours = WeeklyHours::parse("mon-fri 09:00-17:00; sat 10:00-12:00").unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let slots = hours.slots(tz(), monday, 1, Duration::minutes(30), 1);
        assert_eq!(slots.len(), 5 * 16 + 4);
        assert_eq!(slots[0].starts_at.to_rfc3339(), "2026-11-23T14:00:00+00:00");
    }

    #[test]
    fn slots_keep_their_local_time_across_a_daylight_saving_change() {
        let hours = WeeklyHours::parse("sat-sun 09:00-10:00").unwrap();
        let saturday = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        let slots = hours.slots(tz(), saturday, 1, Duration::hours(1), 1);
        assert_eq!(slots[0].starts_at.to_rfc3339(), "2026-03-07T14:00:00+00:00");
        assert_eq!(slots[1].starts_at.to_rfc3339(), "2026-03-08T13:00:00+00:00");
    }

    #[test]
    fn the_next_opening_is_now_later_today_or_the_next_open_day() {
        let hours = WeeklyHours::parse("mon-fri 09:00-17:00; sat 10:00-14:00").unwrap();
        let at = |s: &str| s.parse::<NaiveDateTime>().unwrap();
        let time = |s: &str| s.parse::<NaiveTime>().unwrap();
        // Monday 2026-03-02.
        assert_eq!(
            hours.opening(at("2026-03-02T11:30:00")),
            Opening::Now {
                closes: time("17:00:00")
            }
        );
        assert_eq!(
            hours.opening(at("2026-03-02T07:15:00")),
            Opening::At(at("2026-03-02T09:00:00"))
        );
        assert_eq!(
            hours.opening(at("2026-03-02T17:00:00")),
            Opening::At(at("2026-03-03T09:00:00"))
        );
        // Friday evening: Saturday at ten; Saturday afternoon: Monday at nine.
        assert_eq!(
            hours.opening(at("2026-03-06T19:00:00")),
            Opening::At(at("2026-03-07T10:00:00"))
        );
        assert_eq!(
            hours.opening(at("2026-03-07T15:00:00")),
            Opening::At(at("2026-03-09T09:00:00"))
        );
    }

    #[test]
    fn nonsense_hours_are_refused_with_an_example() {
        assert!(WeeklyHours::parse("whenever").is_err());
        assert!(WeeklyHours::parse("mon 17:00-09:00").is_err());
        assert!(WeeklyHours::parse("funday 09:00-10:00").is_err());
    }
}
