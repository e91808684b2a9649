//! Date expressions: finding the day (or range of days) a message names and
//! resolving it against today's date in the business timezone.
//!
//! Owns: today / tomorrow / day after tomorrow, weekdays with this / next /
//! "next week", "the 13th", "13th of this month", "March 7th", "7 March",
//! "3/7", ISO dates, "in 3 days", and ranges ("next week", "this weekend",
//! "next month"). Mentions that are negated ("not today", "can't do Friday")
//! are skipped; an explicit calendar date outranks a weekday, which outranks
//! a relative word; among equals the last mention wins.
//! Must not: read the clock (today is passed in), parse clock times, or do I/O.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::calendar::{
    add_days, day_in_month_offset, month_day, month_range, next_day_of_month, next_weekday,
    week_start,
};
use crate::tokens::{Tok, number_word, ordinal_word};

/// What the message says about the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateFound {
    /// A single day.
    pub date: Option<NaiveDate>,
    /// A range of days (inclusive), when no single day was named.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// "tonight" also says "in the evening".
    pub evening: bool,
}

#[derive(Debug, Clone, Copy)]
enum Value {
    Day(NaiveDate),
    Range(NaiveDate, NaiveDate),
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    value: Value,
    prio: u8,
    start: usize,
}

/// Finds the date named in `toks`, resolved against `today`.
pub fn find(toks: &[Tok], today: NaiveDate) -> DateFound {
    let mut cands: Vec<Cand> = Vec::new();
    let mut evening = false;
    let mut i = 0;
    while i < toks.len() {
        if let Some((value, prio, end)) = at(toks, i, today, &mut evening) {
            if !negated(toks, i) {
                cands.push(Cand {
                    value,
                    prio,
                    start: i,
                });
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    let best = cands
        .iter()
        .max_by_key(|c| (c.prio, c.start))
        .map(|c| c.value);
    match best {
        Some(Value::Day(d)) => DateFound {
            date: Some(d),
            range: None,
            evening,
        },
        Some(Value::Range(a, b)) => DateFound {
            date: None,
            range: Some((a, b)),
            evening,
        },
        None => DateFound {
            evening,
            ..DateFound::default()
        },
    }
}

fn word(toks: &[Tok], i: usize) -> &str {
    toks.get(i).and_then(Tok::word).unwrap_or("")
}

/// A negation shortly before a mention, within the same clause.
fn negated(toks: &[Tok], i: usize) -> bool {
    for k in 1..=4 {
        let Some(j) = i.checked_sub(k) else {
            return false;
        };
        match &toks[j] {
            Tok::Punct(_) => return false,
            Tok::Word(w) => {
                if matches!(
                    w.as_str(),
                    "not" | "cant" | "dont" | "isnt" | "wont" | "doesnt" | "except" | "besides"
                ) {
                    return true;
                }
                // "not free on", "can't go on", "can't make it on"
            }
            _ => {}
        }
    }
    false
}

pub(crate) fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

pub(crate) fn month(w: &str) -> Option<u32> {
    Some(match w {
        "january" => 1,
        "february" => 2,
        "march" => 3,
        "april" => 4,
        "may" => 5,
        "june" => 6,
        "july" => 7,
        "august" => 8,
        "september" => 9,
        "october" => 10,
        "november" => 11,
        "december" => 12,
        _ => return None,
    })
}

/// A day-of-month at `i`: `13th`, `13`, `thirteenth`, `twenty first`.
fn day_number(toks: &[Tok], i: usize) -> Option<(u32, usize, bool)> {
    match toks.get(i)? {
        Tok::Ordinal(n) if (1..=31).contains(n) => Some((*n, i + 1, true)),
        Tok::Num(n, len) if *len <= 2 && (1..=31).contains(n) => Some((*n, i + 1, false)),
        Tok::Word(w) => {
            if let Some(n) = ordinal_word(w) {
                return Some((n, i + 1, true));
            }
            // "twenty first", "thirty first"
            let tens = number_word(w)?;
            if tens == 20 || tens == 30 {
                let unit = ordinal_word(word(toks, i + 1))?;
                if unit < 10 && tens + unit <= 31 {
                    return Some((tens + unit, i + 2, true));
                }
            }
            None
        }
        _ => None,
    }
}

/// A four-digit (or two-digit after a comma) year at `i`.
fn year_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    let j = if matches!(toks.get(i), Some(Tok::Punct(','))) {
        i + 1
    } else {
        i
    };
    match toks.get(j)? {
        Tok::Num(y, 4) if (1900..=2200).contains(y) => Some((*y, j + 1)),
        _ => None,
    }
}

/// Words after an ordinal that say it is not a day of the month.
fn not_a_day_after(w: &str) -> bool {
    matches!(
        w,
        "street"
            | "st"
            | "ave"
            | "avenue"
            | "av"
            | "road"
            | "rd"
            | "floor"
            | "fl"
            | "blvd"
            | "boulevard"
            | "place"
            | "pl"
            | "lane"
            | "drive"
            | "way"
            | "time"
            | "times"
            | "one"
            | "ones"
            | "option"
            | "choice"
            | "slot"
            | "person"
            | "grade"
            | "century"
            | "row"
            | "round"
            | "birthday"
            | "anniversary"
            | "year"
            | "visit"
            | "appointment"
            | "opinion"
            | "doctor"
            | "dentist"
            | "attempt"
            | "try"
            | "last"
            | "available"
            | "availability"
            | "opening"
            | "open"
            | "free"
            | "thing"
    )
}

/// Tries to read a date expression starting at `i`. Returns the value, its
/// priority and the index after it.
fn at(toks: &[Tok], i: usize, today: NaiveDate, evening: &mut bool) -> Option<(Value, u8, usize)> {
    let t = toks.get(i)?;
    match t {
        Tok::Slash(m, d, y) => {
            if (1..=12).contains(m) {
                let date = month_day(today, *m, *d, *y)?;
                return Some((Value::Day(date), 3, i + 1));
            }
            None
        }
        Tok::Num(y, 4) => {
            // ISO 2019-03-07
            if matches!(toks.get(i + 1), Some(Tok::Punct('-')))
                && let Some(Tok::Num(m, _)) = toks.get(i + 2)
                && matches!(toks.get(i + 3), Some(Tok::Punct('-')))
                && let Some(Tok::Num(d, _)) = toks.get(i + 4)
            {
                let date = month_day(today, *m, *d, Some(*y))?;
                return Some((Value::Day(date), 3, i + 5));
            }
            None
        }
        Tok::Ordinal(_) | Tok::Num(..) => day_first(toks, i, today),
        Tok::Word(w) => word_at(toks, i, w, today, evening),
        _ => None,
    }
}

/// "7th of March", "7 March", "the 13th", "13th of this month".
fn day_first(toks: &[Tok], i: usize, today: NaiveDate) -> Option<(Value, u8, usize)> {
    let (dom, mut j, is_ord) = day_number(toks, i)?;
    if word(toks, j) == "of" {
        j += 1;
    }
    if let Some(m) = month(word(toks, j)) {
        let (y, end) = match year_at(toks, j + 1) {
            Some((y, e)) => (Some(y), e),
            None => (None, j + 1),
        };
        return Some((Value::Day(month_day(today, m, dom, y)?), 3, end));
    }
    if !is_ord {
        return None;
    }
    // "of this month", "of next month", "this month"
    let k = j;
    match (word(toks, k), word(toks, k + 1)) {
        ("this", "month") | ("the", "month") => {
            let d = day_in_month_offset(today, dom, 0)?;
            return Some((Value::Day(d), 3, k + 2));
        }
        ("next", "month") | ("the", "next") => {
            let d = day_in_month_offset(today, dom, 1)?;
            let end = if word(toks, k + 1) == "next" {
                k + 3
            } else {
                k + 2
            };
            return Some((Value::Day(d), 3, end));
        }
        _ => {}
    }
    let (dom, _, _) = day_number(toks, i)?;
    let after = word(toks, i + 1);
    if not_a_day_after(after) {
        return None;
    }
    let prev = if i > 0 { word(toks, i - 1) } else { "" };
    if matches!(prev, "my" | "your" | "his" | "her" | "their" | "our") {
        return None;
    }
    Some((Value::Day(next_day_of_month(today, dom)?), 3, i + 1))
}

fn word_at(
    toks: &[Tok],
    i: usize,
    w: &str,
    today: NaiveDate,
    evening: &mut bool,
) -> Option<(Value, u8, usize)> {
    if let Some(m) = month(w) {
        // "March 7th", "march 7, 2019"; "may" only when a day follows.
        if let Some((dom, j, is_ord)) = day_number(toks, i + 1) {
            if !is_ord
                && matches!(toks.get(j), Some(Tok::Word(x)) if matches!(x.as_str(), "am" | "pm" | "oclock" | "people" | "persons" | "pm."))
            {
                return None;
            }
            let (y, end) = match year_at(toks, j) {
                Some((y, e)) => (Some(y), e),
                None => (None, j),
            };
            return Some((Value::Day(month_day(today, m, dom, y)?), 3, end));
        }
        // "the 7th of March" handled in day_first; "March the 7th"
        if word(toks, i + 1) == "the"
            && let Some((dom, j, true)) = day_number(toks, i + 2)
        {
            return Some((Value::Day(month_day(today, m, dom, None)?), 3, j));
        }
        return None;
    }
    if w == "the" {
        // "the fifth of March" — an ordinal word after "the"
        if let Some(Tok::Word(x)) = toks.get(i + 1)
            && ordinal_word(x).is_some()
            && let Some(r) = day_first(toks, i + 1, today)
            && matches!(word(toks, i + 2), "of")
        {
            return Some(r);
        }
        return None;
    }
    if let Some(wd) = weekday(w) {
        return Some(weekday_at(toks, i, wd, today));
    }
    match w {
        "today" => {
            if closing_today(toks, i) {
                return None;
            }
            Some((Value::Day(today), 1, i + 1))
        }
        "tonight" => {
            *evening = true;
            Some((Value::Day(today), 1, i + 1))
        }
        "tomorrow" => Some((Value::Day(add_days(today, 1)), 2, i + 1)),
        "day" => {
            // "day after tomorrow", "the day after tomorrow"
            if word(toks, i + 1) == "after" && word(toks, i + 2) == "tomorrow" {
                return Some((Value::Day(add_days(today, 2)), 2, i + 3));
            }
            None
        }
        "overmorrow" => Some((Value::Day(add_days(today, 2)), 2, i + 1)),
        "in" => in_n(toks, i, today),
        "next" | "this" | "coming" => period(toks, i, today),
        "weekend" => {
            let (a, b) = weekend(today, 0);
            Some((Value::Range(a, b), 0, i + 1))
        }
        _ => None,
    }
}

/// "today" in "that's all for today", "thanks for your help today",
/// "I've got a toothache today" does not ask for a day.
fn closing_today(toks: &[Tok], i: usize) -> bool {
    let lo = i.saturating_sub(5);
    let mut prev_it = false;
    for (k, t) in toks[lo..i].iter().enumerate() {
        let w = t.word().unwrap_or("");
        if matches!(
            w,
            "all"
                | "help"
                | "helping"
                | "everything"
                | "ache"
                | "aches"
                | "okay"
                | "cleaned"
                | "supposed"
                | "enough"
                | "done"
        ) {
            return true;
        }
        if (w == "was" || w == "be" || w == "thats") && word(toks, lo + k + 1) == "it" {
            prev_it = true;
        }
        if w == "not" && lo + k + 1 == i {
            return true;
        }
    }
    prev_it
}

/// "in 3 days", "in a week", "in two weeks".
fn in_n(toks: &[Tok], i: usize, today: NaiveDate) -> Option<(Value, u8, usize)> {
    let (n, j) = match toks.get(i + 1)? {
        Tok::Num(n, len) if *len <= 3 => (*n, i + 2),
        Tok::Word(w) if w == "a" || w == "one" => (1, i + 2),
        Tok::Word(w) => (number_word(w)?, i + 2),
        _ => return None,
    };
    let days = match word(toks, j) {
        "day" | "days" => n,
        "week" | "weeks" => n.checked_mul(7)?,
        _ => return None,
    };
    Some((Value::Day(add_days(today, days.into())), 2, j + 1))
}

/// "next week", "this week", "next month", "this weekend", "next Tuesday".
fn period(toks: &[Tok], i: usize, today: NaiveDate) -> Option<(Value, u8, usize)> {
    let w = word(toks, i);
    let nxt = word(toks, i + 1);
    if let Some(wd) = weekday(nxt) {
        return Some(weekday_at(toks, i + 1, wd, today));
    }
    let is_next = w == "next";
    match nxt {
        "week" => {
            // "next week Tuesday" / "next week on Tuesday"
            let mut j = i + 2;
            if word(toks, j) == "on" {
                j += 1;
            }
            let start = week_start(today);
            let start = if is_next { add_days(start, 7) } else { start };
            if let Some(wd) = weekday(word(toks, j)) {
                let d = add_days(start, wd.num_days_from_monday().into());
                return Some((Value::Day(d), 2, j + 1));
            }
            let from = if is_next { start } else { today };
            Some((Value::Range(from, add_days(start, 6)), 0, i + 2))
        }
        "weekend" => {
            let (a, b) = weekend(today, u64::from(is_next));
            Some((Value::Range(a, b), 0, i + 2))
        }
        "month" => {
            let (a, b) = month_range(today, u32::from(is_next))?;
            let a = if is_next { a } else { today };
            Some((Value::Range(a, b), 0, i + 2))
        }
        _ => None,
    }
}

/// The coming weekend (`weeks_later` = 1 for "next weekend").
fn weekend(today: NaiveDate, weeks_later: u64) -> (NaiveDate, NaiveDate) {
    if today.weekday() == Weekday::Sun && weeks_later == 0 {
        return (today, today);
    }
    let sat = add_days(next_weekday(today, Weekday::Sat, true), 7 * weeks_later);
    (sat, add_days(sat, 1))
}

/// A weekday at `i` with its modifiers: "next Tuesday", "this Sunday",
/// "Tuesday next week", "Sunday this week", plain "Friday".
fn weekday_at(toks: &[Tok], i: usize, wd: Weekday, today: NaiveDate) -> (Value, u8, usize) {
    let prev = if i > 0 { word(toks, i - 1) } else { "" };
    // "Tuesday next week", "Tuesday of next week", "Sunday this week"
    let mut j = i + 1;
    if word(toks, j) == "of" {
        j += 1;
    }
    let wk = (word(toks, j), word(toks, j + 1));
    if wk.1 == "week" && (wk.0 == "next" || wk.0 == "this") {
        let start = week_start(today);
        let start = if wk.0 == "next" {
            add_days(start, 7)
        } else {
            start
        };
        let d = add_days(start, wd.num_days_from_monday().into());
        return (Value::Day(d), 2, j + 2);
    }
    // "next tuesday" said on a Monday is the Tuesday of next week, not
    // tomorrow (which is "this tuesday", or just "tuesday").
    let d = match prev {
        "next" => add_days(week_start(today), 7 + u64::from(wd.num_days_from_monday())),
        // "this monday" on a Monday is today; a bare "monday" texted on a
        // Monday is next week's (today is "today").
        "this" => next_weekday(today, wd, true),
        _ => next_weekday(today, wd, false),
    };
    (Value::Day(d), 2, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::tokenize;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn date_of(text: &str, today: NaiveDate) -> Option<NaiveDate> {
        find(&tokenize(text), today).date
    }

    const FRI: fn() -> NaiveDate = || d(2019, 3, 1);

    #[test]
    fn next_friday_resolves_to_the_coming_friday() {
        assert_eq!(date_of("book me next friday", FRI()), Some(d(2019, 3, 8)));
        assert_eq!(date_of("next tuesday works", FRI()), Some(d(2019, 3, 5)));
    }

    #[test]
    fn next_tuesday_said_early_in_the_week_is_in_next_week() {
        let monday = d(2026, 3, 2);
        assert_eq!(
            date_of("next tuesday at 11am", monday),
            Some(d(2026, 3, 10))
        );
        assert_eq!(date_of("next monday", monday), Some(d(2026, 3, 9)));
        assert_eq!(date_of("tuesday", monday), Some(d(2026, 3, 3)));
        assert_eq!(date_of("this tuesday", monday), Some(d(2026, 3, 3)));
        assert_eq!(
            date_of("can i come monday at 11", monday),
            Some(d(2026, 3, 9))
        );
        assert_eq!(date_of("this monday", monday), Some(d(2026, 3, 2)));
    }

    #[test]
    fn this_sunday_and_weekday_with_this_or_next_week() {
        assert_eq!(date_of("this Sunday", FRI()), Some(d(2019, 3, 3)));
        assert_eq!(date_of("Monday next week", FRI()), Some(d(2019, 3, 4)));
        assert_eq!(date_of("Saturday this week", FRI()), Some(d(2019, 3, 2)));
    }

    #[test]
    fn a_bare_weekday_is_the_next_such_day() {
        assert_eq!(date_of("how about Wednesday", FRI()), Some(d(2019, 3, 6)));
    }

    #[test]
    fn today_tomorrow_and_day_after_tomorrow() {
        assert_eq!(date_of("later today", FRI()), Some(d(2019, 3, 1)));
        assert_eq!(date_of("tmrw pls", FRI()), Some(d(2019, 3, 2)));
        assert_eq!(date_of("2moro", FRI()), Some(d(2019, 3, 2)));
        assert_eq!(
            date_of("the day after tomorrow", FRI()),
            Some(d(2019, 3, 3))
        );
    }

    #[test]
    fn thanks_for_today_names_no_date() {
        assert_eq!(date_of("That's all for today, thanks", FRI()), None);
        assert_eq!(date_of("Thanks for your help today", FRI()), None);
    }

    #[test]
    fn the_13th_is_this_month_or_next() {
        assert_eq!(date_of("the 13th", FRI()), Some(d(2019, 3, 13)));
        assert_eq!(date_of("the 13th", d(2019, 3, 20)), Some(d(2019, 4, 13)));
        assert_eq!(date_of("13th of this month", FRI()), Some(d(2019, 3, 13)));
    }

    #[test]
    fn the_13th_rolls_over_the_year_in_december() {
        assert_eq!(
            date_of("on the 13th", d(2019, 12, 20)),
            Some(d(2020, 1, 13))
        );
    }

    #[test]
    fn month_and_day_in_either_order() {
        assert_eq!(date_of("March 7th", FRI()), Some(d(2019, 3, 7)));
        assert_eq!(date_of("7 March", FRI()), Some(d(2019, 3, 7)));
        assert_eq!(date_of("the 7th of march", FRI()), Some(d(2019, 3, 7)));
        assert_eq!(date_of("feb 2", FRI()), Some(d(2020, 2, 2)));
    }

    #[test]
    fn slashed_dates_are_month_first() {
        assert_eq!(date_of("3/7", FRI()), Some(d(2019, 3, 7)));
        assert_eq!(date_of("1/2", d(2019, 12, 30)), Some(d(2020, 1, 2)));
    }

    #[test]
    fn in_three_days() {
        assert_eq!(date_of("in 3 days", FRI()), Some(d(2019, 3, 4)));
        assert_eq!(date_of("in a week", d(2019, 12, 28)), Some(d(2020, 1, 4)));
    }

    #[test]
    fn next_week_is_a_range_not_a_date() {
        let f = find(&tokenize("sometime next week"), FRI());
        assert_eq!(f.date, None);
        assert_eq!(f.range, Some((d(2019, 3, 4), d(2019, 3, 10))));
    }

    #[test]
    fn negated_mentions_are_skipped() {
        assert_eq!(
            date_of("Not today. Make it next Thursday", FRI()),
            Some(d(2019, 3, 7))
        );
        assert_eq!(
            date_of("I can't go on thursday. Make it on this Sunday", FRI()),
            Some(d(2019, 3, 3))
        );
    }

    #[test]
    fn an_explicit_date_outranks_a_relative_word() {
        assert_eq!(
            date_of(
                "tomorrow morning 11:30. That's the 10th of this month",
                FRI()
            ),
            Some(d(2019, 3, 10))
        );
    }

    #[test]
    fn street_numbers_and_options_are_not_days() {
        assert_eq!(date_of("a ride to 1532 20th Street", FRI()), None);
        assert_eq!(date_of("the 2nd one please", FRI()), None);
        assert_eq!(date_of("1st available pls", FRI()), None);
        assert_eq!(date_of("that day works", FRI()), None);
    }
}
