//! Which of the customer's appointments a message means: "my 3pm", "tuesday's
//! appt", "the one tmrw", "my 10:30", or just "it".
//!
//! Owns matching the day and hour a message names against the upcoming
//! appointments. Must not change any appointment: the dialogue asks the
//! customer to confirm, and the scheduling engine acts.

use chrono::{DateTime, NaiveTime};
use chrono_tz::Tz;
use smsbot_nlu::{Understanding, understand};

use crate::state::Listed;

/// What a message's words point at among the upcoming appointments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    One(Listed),
    /// More than one fits (or the words fit none of several): ask which.
    Several(Vec<Listed>),
    /// Nothing to point at.
    Nothing,
}

/// How sure the words must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The words must name the appointment's day or hour: a swap while an
    /// offer is pending may be about the offer, not an appointment.
    Named,
    /// Words that name nothing, or name it wrong, still mean the one
    /// appointment there is (the confirmation question names its time).
    Lenient,
}

/// The day and hour `words` name, as the understanding reads them; a bare
/// hour ("my 3") counts too, read as the business day reads it (1-6 in the
/// afternoon).
pub fn named(words: &str, now: DateTime<Tz>) -> Understanding {
    let mut u = understand(words, now);
    if u.time.is_none() && u.time_range.is_none() {
        u.time = words
            .split_whitespace()
            .filter_map(|w| w.parse::<u32>().ok())
            .find(|h| (1..=12).contains(h))
            .and_then(business_hour);
    }
    u
}

/// A bare hour as the business day reads it: 1-6 in the afternoon, 7-12 in
/// the morning or at noon, 13-23 as written.
pub fn business_hour(h: u32) -> Option<NaiveTime> {
    let h = match h {
        1..=6 => h + 12,
        7..=23 => h,
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, 0, 0)
}

/// The appointment(s) among `upcoming` that `named` points at.
pub fn pick(named: &Understanding, upcoming: &[Listed], tz: Tz, how: Match) -> Picked {
    if upcoming.is_empty() {
        return Picked::Nothing;
    }
    let names_nothing = named.date.is_none()
        && named.date_range.is_none()
        && named.time.is_none()
        && named.time_range.is_none();
    let fits = |a: &&Listed| {
        let at = a.starts_at.with_timezone(&tz);
        let (day, time) = (at.date_naive(), at.time());
        named.date.is_none_or(|d| d == day)
            && named.date_range.is_none_or(|(a, b)| (a..=b).contains(&day))
            && named.time.is_none_or(|t| t == time)
            && named.time_range.is_none_or(|(a, b)| a <= time && time < b)
    };
    let fitting: Vec<Listed> = if names_nothing {
        Vec::new()
    } else {
        upcoming.iter().filter(fits).copied().collect()
    };
    match (fitting.as_slice(), how, upcoming) {
        ([one], _, _) => Picked::One(*one),
        ([_, _, ..], _, _) => Picked::Several(fitting),
        ([], Match::Named, _) => Picked::Nothing,
        ([], Match::Lenient, [one]) => Picked::One(*one),
        ([], Match::Lenient, many) => Picked::Several(many.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use smsbot_domain::AppointmentId;

    fn tz() -> Tz {
        "America/New_York".parse().unwrap()
    }

    fn now() -> DateTime<Tz> {
        tz().with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn listed(id: i64, d: u32, h: u32, m: u32) -> Listed {
        Listed {
            service_id: None,
            appointment_id: AppointmentId::new(id),
            starts_at: tz()
                .with_ymd_and_hms(2026, 3, d, h, m, 0)
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    /// Tuesday 3 PM, Tuesday 10:30 AM and Thursday 3 PM.
    fn three() -> Vec<Listed> {
        vec![
            listed(1, 3, 10, 30),
            listed(2, 3, 15, 0),
            listed(3, 5, 15, 0),
        ]
    }

    fn picked(words: &str, how: Match) -> Picked {
        pick(&named(words, now()), &three(), tz(), how)
    }

    #[test]
    fn a_day_and_an_hour_pick_the_one_appointment_they_name() {
        assert_eq!(
            picked("my tuesday 3pm", Match::Named),
            Picked::One(three()[1])
        );
        assert_eq!(picked("my 10:30", Match::Named), Picked::One(three()[0]));
        assert_eq!(
            picked("thursday appt", Match::Named),
            Picked::One(three()[2])
        );
        assert_eq!(picked("tmrw at 3", Match::Named), Picked::One(three()[1]));
    }

    #[test]
    fn words_that_fit_several_leave_the_choice_to_the_customer() {
        assert_eq!(
            picked("my 3pm", Match::Lenient),
            Picked::Several(vec![three()[1], three()[2]])
        );
        assert_eq!(picked("it", Match::Lenient), Picked::Several(three()));
    }

    #[test]
    fn only_lenient_words_fall_back_to_the_one_appointment_there_is() {
        let one = [listed(1, 3, 15, 0)];
        let pick_one = |words: &str, how| pick(&named(words, now()), &one, tz(), how);
        assert_eq!(
            pick_one("my friday appt", Match::Lenient),
            Picked::One(one[0])
        );
        assert_eq!(pick_one("it", Match::Lenient), Picked::One(one[0]));
        assert_eq!(pick_one("my friday appt", Match::Named), Picked::Nothing);
        assert_eq!(pick_one("that", Match::Named), Picked::Nothing);
        assert_eq!(
            pick(&named("my 3", now()), &[], tz(), Match::Lenient),
            Picked::Nothing
        );
    }

    #[test]
    fn a_bare_hour_names_an_afternoon_hour_like_the_business_day() {
        assert_eq!(named("my 3", now()).time, NaiveTime::from_hms_opt(15, 0, 0));
        assert_eq!(
            named("the 10 oclock", now()).time,
            NaiveTime::from_hms_opt(10, 0, 0)
        );
    }
}
