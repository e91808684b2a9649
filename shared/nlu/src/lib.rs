//! Offline natural-language understanding for the SMS appointment bot.
//!
//! Owns: the public API ([`understand`], [`Understanding`], [`Intent`],
//! [`Direction`]) that turns one message, the current instant and the
//! business timezone into an intent, the appointment date and time it names
//! (resolved to a concrete local date and wall-clock time) and a confidence.
//! Submodules own the tokenizer, date, time and intent rules (with the
//! learned intent re-scorer in `model`); `eval` owns the
//! scoring of labelled corpora (the only place that reads files).
//! The understanding modules form layers, each using only those before it:
//! `tokens`; `date`, `time` and `intent` (the intent types and lexicon
//! rules); `prepare` (one message's tokens, dates and times); `model` (the
//! re-scorer's features and weights, and the full intent classification);
//! then [`understand`]. The trainer reads the same features the re-scorer
//! scores, so the features must not depend on the classification they feed.
//! [`understander`] puts the rules and the optional LLM ([`openrouter`], the
//! only module that calls the network) behind one async trait, asking the
//! LLM only within its daily [`budget`].
//! Must not (outside `openrouter`): call the network, read the clock (the
//! caller passes `now`), or panic on any input.

pub mod budget;
mod calendar;
pub mod date;
pub mod eval;
pub mod intent;
pub mod model;
pub mod openrouter;
mod prepare;
pub mod time;
pub mod tokens;
pub mod understander;

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use prepare::{Prepared, prepare};

pub use budget::{Allowance, LlmBudget};
pub use intent::{Direction, Intent};
pub use openrouter::{LlmError, OpenRouterClient, OpenRouterConfig, OpenRouterConfigError};
pub use understander::{HybridStats, HybridUnderstander, OfflineUnderstander, Understander};

/// What one message means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    /// What the sender wants.
    pub intent: Intent,
    /// A single day named, resolved to the future in the business timezone.
    pub date: Option<NaiveDate>,
    /// A range of days (inclusive) such as "next week"; `date` is None then.
    pub date_range: Option<(NaiveDate, NaiveDate)>,
    /// An exact wall-clock time named. On a DST spring-forward day a time in
    /// the skipped hour is moved forward by the gap (2:30 -> 3:30 in New York).
    pub time: Option<NaiveTime>,
    /// A window of the day: "morning", or the open side of "after 5".
    pub time_range: Option<(NaiveTime, NaiveTime)>,
    /// 1-based option for [`Intent::Select`].
    pub selection: Option<u8>,
    /// Later / Earlier for [`Intent::Alternatives`], and for [`Intent::Deny`]
    /// when the refusal says which way to look ("no, later").
    pub direction: Option<Direction>,
    /// 0..=1: how sure the rules are of the intent (and of the date and time).
    pub confidence: f32,
}

impl Understanding {
    /// True when the confidence is below `threshold`: the hybrid policy asks
    /// the LLM in that case.
    pub fn low_confidence(&self, threshold: f32) -> bool {
        self.confidence < threshold
    }

    /// The named date and time as an instant in `tz`, when both are known.
    /// A time that does not exist (skipped by DST) is moved forward by the
    /// gap; an ambiguous one (repeated by DST) takes the earlier instant.
    pub fn instant(&self, tz: Tz) -> Option<DateTime<Tz>> {
        let naive = self.date?.and_time(self.time?);
        prepare::local_instant(tz, naive)
    }
}

/// Default confidence threshold below which the LLM would be consulted.
pub const DEFAULT_LLM_THRESHOLD: f32 = 0.6;

/// Understands one message. `now` is the current instant in the business
/// timezone; dates resolve to the future relative to its local date.
pub fn understand(text: &str, now: DateTime<Tz>) -> Understanding {
    understand_with(model::Model::embedded(), text, now)
}

/// [`understand`] with another intent model (the held-out evaluation trains
/// its own, see [`eval::held_out_by_source`]).
pub fn understand_with(m: &model::Model, text: &str, now: DateTime<Tz>) -> Understanding {
    let Prepared {
        toks,
        date: d,
        time,
        time_range,
        found,
    } = prepare(text, now);
    // the confidence already counts digits not read as a date, a time or
    // an option
    let r = model::classify_with(m, &toks, found);
    Understanding {
        intent: r.intent,
        date: d.date,
        date_range: d.range,
        time,
        time_range,
        selection: r.selection,
        direction: r.direction,
        confidence: r.confidence.clamp(0.0, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Tz> {
        New_York
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("unambiguous test instant")
    }

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn a_skipped_spring_forward_time_moves_to_the_first_valid_minute() {
        // 2019-03-10 is the New York spring-forward day: 02:00-02:59 do not exist.
        let u = understand("book me sunday at 2:30 am", ny(2019, 3, 8, 9, 0));
        assert_eq!(u.date, day(2019, 3, 10));
        assert_eq!(u.time, t(3, 30));
        let inst = u.instant(New_York).expect("an instant");
        assert_eq!(inst.to_rfc3339(), "2019-03-10T03:30:00-04:00");
    }

    #[test]
    fn the_repeated_fall_back_hour_takes_the_first_instant() {
        let u = understand("nov 3 at 1:30 am", ny(2019, 10, 30, 9, 0));
        assert_eq!(u.time, t(1, 30));
        let inst = u.instant(New_York).expect("an instant");
        assert_eq!(inst.to_rfc3339(), "2019-11-03T01:30:00-04:00");
    }

    #[test]
    fn tomorrow_late_in_the_evening_is_the_next_local_day() {
        // 23:30 in New York is already the next day in UTC.
        let u = understand("tmrw @ 3", ny(2019, 12, 31, 23, 30));
        assert_eq!(u.date, day(2020, 1, 1));
        assert_eq!(u.time, t(15, 0));
        assert_eq!(u.intent, Intent::Book);
    }

    #[test]
    fn a_message_without_a_date_reports_none() {
        let u = understand("yes that works", ny(2019, 3, 1, 9, 0));
        assert_eq!(u.date, None);
        assert_eq!(u.time, None);
        assert_eq!(u.intent, Intent::Affirm);
    }

    #[test]
    fn low_confidence_compares_with_the_threshold() {
        let u = understand("is it going to rain", ny(2019, 3, 1, 9, 0));
        assert!(u.low_confidence(0.6));
        assert!(!u.low_confidence(u.confidence));
    }
}
