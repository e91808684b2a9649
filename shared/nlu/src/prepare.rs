//! The tokens, dates and times of one message, read before its intent.
//!
//! Owns: the order in which the tokenizer and the date and time rules run,
//! what they tell the intent rules ([`Found`]), and reading a wall-clock time
//! in a timezone across DST gaps and overlaps.
//! Must not: classify the intent. Both `understand` and the re-scorer's
//! feature extraction (`model::features`, used by the trainer) start from
//! this, so it sits below them and knows neither.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
};
use chrono_tz::Tz;

use crate::intent::Found;
use crate::{date, time, tokens};

/// The tokens, dates and times of one message, before the intent rules.
pub(crate) struct Prepared {
    pub toks: Vec<tokens::Tok>,
    pub date: date::DateFound,
    pub time: Option<NaiveTime>,
    pub time_range: Option<(NaiveTime, NaiveTime)>,
    pub found: Found,
}

pub(crate) fn prepare(text: &str, now: DateTime<Tz>) -> Prepared {
    let toks = tokens::tokenize(text);
    let today = local_date(&now);
    let d = date::find(&toks, today);
    let t = time::find(&toks);
    let mut time = t.time;
    let mut time_range = t.range;
    if time.is_none() && time_range.is_none() && d.evening {
        time_range = NaiveTime::from_hms_opt(17, 0, 0).zip(NaiveTime::from_hms_opt(21, 0, 0));
    }
    // DST: a wall-clock time skipped on the named day (or today, when only a
    // time is named) is moved forward to the first instant that exists.
    if let Some(tm) = time {
        let day = d.date.unwrap_or(today);
        if let Some(inst) = local_instant(now.timezone(), day.and_time(tm))
            && local_date(&inst) == day
        {
            time = Some(inst.time());
        }
    }
    let found = Found {
        has_date: d.date.is_some() || d.range.is_some(),
        has_time: time.is_some() || time_range.is_some(),
        exact_time: time.is_some(),
    };
    Prepared {
        toks,
        date: d,
        time,
        time_range,
        found,
    }
}

/// `naive` as an instant in `tz`: a time skipped by DST is moved forward by
/// the gap, an ambiguous one (repeated by DST) takes the earlier instant.
pub(crate) fn local_instant(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, _) => Some(a),
        LocalResult::None => {
            // Spring forward: read the wall time with the offset in force just
            // before the gap, so 02:30 EST becomes 03:30 EDT. Most gaps are an
            // hour, but a zone may skip a whole day (Pacific/Apia, 2011-12-30).
            let before = [3, 27].into_iter().find_map(|hours| {
                let earlier = naive.checked_sub_signed(Duration::hours(hours))?;
                tz.from_local_datetime(&earlier).earliest()
            })?;
            let utc = naive.checked_sub_offset(before.offset().fix())?;
            let inst = tz.from_utc_datetime(&utc);
            inst.naive_utc().checked_add_offset(inst.offset().fix())?;
            Some(inst)
        }
    }
}

/// The local wall-clock time of `at`. `DateTime::naive_local` (and so
/// `date_naive`, `format`, `hour`) panics when the local time lies outside
/// chrono's range (its last UTC instant seen east of Greenwich); the UTC
/// time, the nearest representable one, stands in then.
pub(crate) fn local_naive(at: &DateTime<Tz>) -> NaiveDateTime {
    at.naive_utc()
        .checked_add_offset(at.offset().fix())
        .unwrap_or_else(|| at.naive_utc())
}

/// The local date of `at`, never panicking (see [`local_naive`]).
pub(crate) fn local_date(at: &DateTime<Tz>) -> NaiveDate {
    local_naive(at).date()
}
