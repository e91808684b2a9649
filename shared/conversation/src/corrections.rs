//! Corrections to the time being talked about, as people text them right
//! after an offer or a question: "actually make it 4", "can we do 4
//! instead", "4pm is better" (that hour, on the same day); "thursday?" after
//! "Tue 3:00 PM is open" (that day, at the same hour); and "same time next
//! week", "same time next wk", "same time tues" (the same hour again, on
//! another day); "push it back an hour", "can i come 30 min earlier" (the
//! same time, shifted).
//!
//! Owns what a correction keeps of the time it corrects, and which day "same
//! time …" names. Must not look anything up or decide what the new time is
//! for: the dialogue does, and the scheduling engine decides whether it is
//! free.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use smsbot_nlu::Understanding;

use crate::phrases;
use crate::state::Offer;

/// The time being talked about: a day, and the hour when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discussed {
    pub day: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Discussed {
    /// One instant, such as the appointment being moved or the one offer.
    pub fn at(at: DateTime<Utc>, tz: Tz) -> Self {
        let local = at.with_timezone(&tz);
        Self {
            day: local.date_naive(),
            time: Some(local.time()),
        }
    }

    /// The offers just made: the day of the first; the hour only when there
    /// is a single offer (several offers have no one hour to keep).
    pub fn offers(offers: &[Offer], tz: Tz) -> Option<Self> {
        match offers {
            [] => None,
            [one] => Some(Self::at(one.starts_at, tz)),
            [first, ..] => Some(Self {
                time: None,
                ..Self::at(first.starts_at, tz)
            }),
        }
    }
}

/// What the message asks for, with what it leaves out kept from `discussed`:
/// an hour alone stays on the day being talked about, a day alone keeps the
/// hour. A message naming both, or neither, is taken as it is.
pub fn keep(u: &Understanding, discussed: &Discussed) -> Understanding {
    let names_day = u.date.is_some() || u.date_range.is_some();
    let names_hour = u.time.is_some() || u.time_range.is_some();
    let mut kept = u.clone();
    match (names_day, names_hour) {
        (false, true) => kept.date = Some(discussed.day),
        (true, false) if u.date.is_some() => kept.time = discussed.time,
        _ => {}
    }
    kept
}

/// How far "push it back an hour" or "30 mins earlier" moves the time being
/// talked about; `None` when the message names no such shift.
pub fn shift(text: &str) -> Option<Duration> {
    // "1hr", "30mins": the amount and the unit apart.
    let mut owned: Vec<String> = Vec::new();
    for w in phrases::normalise(text) {
        let digits = w.len() - w.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && digits < w.len() {
            owned.push(w[..digits].to_owned());
            owned.push(w[digits..].to_owned());
        } else {
            owned.push(w);
        }
    }
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let later = words
        .iter()
        .any(|w| matches!(*w, "later" | "back" | "after"));
    let earlier = words
        .iter()
        .any(|w| matches!(*w, "earlier" | "sooner" | "forward" | "up" | "before"));
    let sign = match (later, earlier) {
        (true, false) => 1,
        (false, true) => -1,
        _ => return None,
    };
    let minutes = words.windows(2).find_map(|pair| {
        let unit = match pair[1] {
            "hour" | "hours" | "hr" | "hrs" | "h" => 60,
            "min" | "mins" | "minute" | "minutes" | "m" => 1,
            _ => return None,
        };
        let n: i64 = match pair[0] {
            "an" | "a" | "one" => 1,
            "two" | "couple" => 2,
            "fifteen" => 15,
            "twenty" => 20,
            "thirty" => 30,
            "fortyfive" => 45,
            n => n.parse().ok()?,
        };
        Some(n * unit)
    })?;
    let minutes = if words.windows(3).any(|w| w == ["half", "an", "hour"]) {
        30
    } else {
        minutes
    };
    (1..=8 * 60)
        .contains(&minutes)
        .then(|| Duration::minutes(sign * minutes))
}

/// The understanding for `reference` shifted by `by`: that exact instant.
pub fn shifted(u: &Understanding, reference: DateTime<Utc>, by: Duration, tz: Tz) -> Understanding {
    let at = (reference + by).with_timezone(&tz);
    Understanding {
        date: Some(at.date_naive()),
        date_range: None,
        time: Some(at.time()),
        time_range: None,
        direction: None,
        ..u.clone()
    }
}

/// How a "same time …" message names the other day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameTime {
    /// "same time next week" (1), "same time in two weeks" (2).
    WeeksLater(i64),
    /// "same time tues": that weekday, the first after the reference.
    Weekday,
    /// "same time tomorrow", "same time on the 12th": the day named.
    NamedDay,
}

/// Whether the message asks for the same hour on another day, and how it
/// names that day.
pub fn same_time(text: &str) -> Option<SameTime> {
    let owned = phrases::normalise(text);
    let words: Vec<&str> = owned
        .iter()
        .map(|w| match w.as_str() {
            "wk" | "wks" | "weeks" => "week",
            "tme" | "tim" => "time",
            "nxt" => "next",
            "two" | "2" => "2",
            "a" | "one" | "1" => "1",
            w => w,
        })
        .collect();
    let says = |phrase: &[&str]| words.windows(phrase.len()).any(|w| w == phrase);
    let same = says(&["same", "time"])
        || says(&["sametime"])
        || says(&["same", "hour"])
        || says(&["same", "day", "and", "time"]);
    if !same {
        return None;
    }
    if says(&["2", "week"]) {
        return Some(SameTime::WeeksLater(2));
    }
    let a_week_on = says(&["next", "week"])
        || says(&["week", "after"])
        || says(&["following", "week"])
        || says(&["1", "week", "later"])
        || says(&["in", "1", "week"])
        || says(&["1", "week", "from"]);
    let weekday = words.iter().any(|w| {
        matches!(
            *w,
            "mon"
                | "monday"
                | "tue"
                | "tues"
                | "tuesday"
                | "wed"
                | "weds"
                | "wednesday"
                | "thu"
                | "thur"
                | "thurs"
                | "thursday"
                | "fri"
                | "friday"
                | "sat"
                | "saturday"
                | "sun"
                | "sunday"
        )
    });
    Some(if a_week_on {
        SameTime::WeeksLater(1)
    } else if weekday {
        SameTime::Weekday
    } else {
        SameTime::NamedDay
    })
}

/// The same local hour as `reference` on the day `same` names, as an
/// understanding the dialogue can search with; `None` when the message names
/// no day ("same time?" alone). A weekday means the first such day after
/// the reference: a follow-up, not a day before it.
pub fn same_time_again(
    same: SameTime,
    u: &Understanding,
    reference: DateTime<Utc>,
    tz: Tz,
) -> Option<Understanding> {
    let at = reference.with_timezone(&tz);
    let day = match same {
        SameTime::WeeksLater(weeks) => at.date_naive() + Duration::weeks(weeks),
        SameTime::Weekday => {
            let mut day = u.date?;
            while day <= at.date_naive() {
                day += Duration::weeks(1);
            }
            day
        }
        SameTime::NamedDay => u.date?,
    };
    Some(Understanding {
        date: Some(day),
        date_range: None,
        time: Some(at.time()),
        time_range: None,
        ..u.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use smsbot_nlu::understand;

    fn tz() -> Tz {
        "America/New_York".parse().unwrap()
    }

    /// Monday 2026-03-02, 9 AM in New York.
    fn heard(text: &str) -> Understanding {
        understand(text, tz().with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap())
    }

    fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        tz().with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, m, d)
    }

    fn hour(h: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, 0, 0)
    }

    /// Offered Tuesday March 3 at 3 PM.
    fn tuesday_at_three() -> Discussed {
        Discussed::at(local(2026, 3, 3, 15), tz())
    }

    #[test]
    fn an_hour_alone_stays_on_the_day_being_talked_about() {
        for text in [
            "actually make it 4",
            "can we do 4 instead",
            "actually 4pm is better",
            "4 instead?",
        ] {
            let kept = keep(&heard(text), &tuesday_at_three());
            assert_eq!((kept.date, kept.time), (day(3, 3), hour(16)), "{text:?}");
        }
    }

    #[test]
    fn a_day_alone_keeps_the_hour_and_both_named_are_taken_as_said() {
        let kept = keep(&heard("what about thursday"), &tuesday_at_three());
        assert_eq!((kept.date, kept.time), (day(3, 5), hour(15)));
        let kept = keep(&heard("friday at 10am"), &tuesday_at_three());
        assert_eq!((kept.date, kept.time), (day(3, 6), hour(10)));
        let kept = keep(&heard("sometime next week"), &tuesday_at_three());
        assert_eq!((kept.date, kept.time), (None, None));
    }

    #[test]
    fn several_offers_keep_their_day_but_no_hour() {
        let offers: Vec<Offer> = [9, 10]
            .into_iter()
            .map(|h| Offer {
                slot_id: smsbot_domain::SlotId::new(i64::from(h)),
                starts_at: local(2026, 3, 3, h),
                provider: None,
            })
            .collect();
        let discussed = Discussed::offers(&offers, tz()).unwrap();
        assert_eq!(discussed.time, None);
        let kept = keep(&heard("thursday?"), &discussed);
        assert_eq!((kept.date, kept.time), (day(3, 5), None));
        let kept = keep(&heard("how about 4"), &discussed);
        assert_eq!((kept.date, kept.time), (day(3, 3), hour(16)));
    }

    #[test]
    fn same_time_next_week_is_seven_days_after_the_reference() {
        for text in [
            "same time next week",
            "same time next wk",
            "Same time next week?",
            "can i book same time nxt week pls",
            "same time the week after",
            "same day and time next week?",
        ] {
            let same = same_time(text).expect(text);
            let again = same_time_again(same, &heard(text), local(2026, 3, 3, 15), tz()).unwrap();
            assert_eq!((again.date, again.time), (day(3, 10), hour(15)), "{text:?}");
        }
    }

    #[test]
    fn same_time_on_a_named_day_takes_that_day() {
        let reference = local(2026, 3, 3, 15);
        let again = |text: &str| {
            let same = same_time(text).expect(text);
            let u = same_time_again(same, &heard(text), reference, tz()).unwrap();
            (u.date, u.time)
        };
        assert_eq!(again("same time thursday"), (day(3, 5), hour(15)));
        assert_eq!(
            again("same time tues"),
            (day(3, 10), hour(15)),
            "not the same day"
        );
        assert_eq!(
            again("same time mon"),
            (day(3, 9), hour(15)),
            "not the day before"
        );
        assert_eq!(again("same time tomorrow"), (day(3, 3), hour(15)));
        assert_eq!(again("same time in 2 weeks"), (day(3, 17), hour(15)));
        let alone = same_time("same time?").unwrap();
        assert_eq!(
            same_time_again(alone, &heard("same time?"), reference, tz()),
            None
        );
    }

    #[test]
    fn a_shift_says_how_far_and_which_way() {
        for (text, minutes) in [
            ("can we push my appointment back an hour", 60),
            ("can i come 30 mins earlier", -30),
            ("push it back 1hr pls", 60),
            ("could we move it up half an hour", -30),
            ("make it 15 min later", 15),
            ("2 hours later?", 120),
        ] {
            assert_eq!(shift(text), Some(Duration::minutes(minutes)), "{text:?}");
        }
        for text in [
            "later",
            "an hour",
            "earlier or later by an hour",
            "tmrw at 3",
        ] {
            assert_eq!(shift(text), None, "{text:?}");
        }
    }

    #[test]
    fn other_messages_are_not_same_time_requests() {
        for text in [
            "next week",
            "what time",
            "same day",
            "book tuesday at 3",
            "",
        ] {
            assert_eq!(same_time(text), None, "{text:?}");
        }
    }
}
