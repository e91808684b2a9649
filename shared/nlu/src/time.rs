//! Time-of-day expressions: the clock time (or part of day) a message names.
//!
//! Owns: "3pm", "3:15 pm", "15:30", "quarter past 2 in the afternoon", "half
//! past 4", "four in the evening", "morning 11:30", "afternoon 2", "noon",
//! "midnight", "twelve pm", "at 5" / "@ 3", bounds ("after 5", "before 4pm":
//! the bound is the time and the open interval the range), and bare parts of
//! day as ranges ("morning"). A bare number counts only after a time
//! preposition and before a word that can end a time phrase, so "for 2
//! people" or "at 5 Bon Air Rd" are not times. Among several times the last
//! one that is not negated wins.
//! Must not: resolve dates, read the clock, or do any I/O. DST is the
//! caller's concern (a wall-clock time is reported as named).

use chrono::NaiveTime;

use crate::tokens::{Tok, number_word};

/// What the message says about the time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeFound {
    /// An exact wall-clock time.
    pub time: Option<NaiveTime>,
    /// A window: a part of day, or the open side of "after 5" / "before 4".
    pub range: Option<(NaiveTime, NaiveTime)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Am,
    Pm,
    Morning,
    Afternoon,
    Evening,
    Night,
    Noon,
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    time: Option<NaiveTime>,
    range: Option<(NaiveTime, NaiveTime)>,
}

fn hm(h: u32, m: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0)
}

fn word(toks: &[Tok], i: usize) -> &str {
    toks.get(i).and_then(Tok::word).unwrap_or("")
}

fn pod(w: &str) -> Option<Mark> {
    Some(match w {
        "morning" | "mornings" => Mark::Morning,
        "afternoon" | "afternoons" => Mark::Afternoon,
        "evening" | "evenings" => Mark::Evening,
        "night" | "tonight" => Mark::Night,
        _ => return None,
    })
}

fn pod_range(m: Mark) -> Option<(NaiveTime, NaiveTime)> {
    Some(match m {
        Mark::Morning => (hm(8, 0)?, hm(12, 0)?),
        Mark::Afternoon => (hm(12, 0)?, hm(17, 0)?),
        Mark::Evening => (hm(17, 0)?, hm(21, 0)?),
        Mark::Night => (hm(18, 0)?, hm(23, 59)?),
        _ => return None,
    })
}

/// Finds the time named in `toks`.
pub fn find(toks: &[Tok]) -> TimeFound {
    let mut best: Option<Cand> = None;
    let mut pod_only: Option<(NaiveTime, NaiveTime)> = None;
    let mut i = 0;
    while i < toks.len() {
        if let Some((range, end)) = span_at(toks, i) {
            if !negated(toks, i) {
                best = Some(Cand {
                    time: None,
                    range: Some(range),
                });
            }
            i = end;
            continue;
        }
        if let Some((time, end)) = exact_at(toks, i) {
            if !negated(toks, i) {
                let range = bound_range(toks, i, time);
                best = Some(Cand {
                    time: Some(time),
                    range,
                });
            }
            i = end.max(i + 1);
            continue;
        }
        if let Some(m) = pod(word(toks, i))
            && word(toks, i.wrapping_sub(1)) != "good"
            && !negated(toks, i)
        {
            pod_only = pod_range(m).or(pod_only);
        }
        i += 1;
    }
    match best {
        Some(c) => TimeFound {
            time: c.time,
            range: c.range,
        },
        None => TimeFound {
            time: None,
            range: pod_only,
        },
    }
}

/// "between 10 and 11", "from 2 to 4pm", "10-11am", "btwn 11 and 1": a
/// window of the day with both ends named (in digits). A marker on either
/// end applies to the other when it fits ("2 to 4pm" is 2-4 PM); without
/// one, hours read as the business day reads them (1-6 in the afternoon).
fn span_at(toks: &[Tok], i: usize) -> Option<((NaiveTime, NaiveTime), usize)> {
    let opened = matches!(word(toks, i), "between" | "btwn" | "btw" | "from");
    let start = if opened { i + 1 } else { i };
    if !matches!(toks.get(start), Some(Tok::Num(..) | Tok::Clock(..))) {
        return None;
    }
    let (h1, m1, j, _) = hour_at(toks, start)?;
    let (mark1, j) = match suffix(toks, j) {
        Some((mark, end)) => (mark, end),
        None => (None, j),
    };
    let dash = matches!(toks.get(j), Some(Tok::Punct('-')));
    let joined = dash || matches!(word(toks, j), "and" | "to" | "till" | "til" | "until");
    if !joined || !(opened || dash) {
        return None;
    }
    if !matches!(toks.get(j + 1), Some(Tok::Num(..) | Tok::Clock(..))) {
        return None;
    }
    let (h2, m2, k, _) = hour_at(toks, j + 1)?;
    let (mark2, end) = match suffix(toks, k) {
        Some((mark, end)) => (mark, end),
        None => (None, k),
    };
    let first_mark = mark1.or(mark2.filter(|_| h1 <= h2 && h1 != 12));
    let from = resolve(h1, m1, first_mark)?;
    let to = resolve(h2, m2, mark2.or(mark1.filter(|_| h1 <= h2)))?;
    (from < to).then_some(((from, to), end))
}

/// A negation shortly before, in the same clause.
fn negated(toks: &[Tok], i: usize) -> bool {
    for k in 1..=3 {
        let Some(j) = i.checked_sub(k) else {
            return false;
        };
        match &toks[j] {
            Tok::Punct(_) => return false,
            // "can't go until 4:30": the bound is what is asked for
            Tok::Word(w) if matches!(w.as_str(), "until" | "till" | "til") => return false,
            Tok::Word(w) if matches!(w.as_str(), "not" | "cant" | "except") => return true,
            _ => {}
        }
    }
    false
}

/// "after 5" / "before 4pm" / "by 3" / "from 2": the open window.
fn bound_range(toks: &[Tok], start: usize, t: NaiveTime) -> Option<(NaiveTime, NaiveTime)> {
    let mut j = start.checked_sub(1)?;
    if matches!(word(toks, j), "a" | "the") {
        j = j.checked_sub(1)?;
    }
    match word(toks, j) {
        "after" | "from" | "past" => Some((t, hm(23, 59)?)),
        "before" | "by" | "until" | "till" | "til" => Some((hm(0, 0)?, t)),
        _ => None,
    }
}

/// An hour (and maybe minutes) at `i`: `3`, `3:15`, `three`, `three thirty`.
/// Returns (hour, minute, end, minutes_given, is_digits_or_clock).
fn hour_at(toks: &[Tok], i: usize) -> Option<(u32, u32, usize, bool)> {
    match toks.get(i)? {
        Tok::Clock(h, m) if *h <= 24 && *m < 60 => Some((*h, *m, i + 1, true)),
        Tok::Num(h, len) if *len <= 2 && *h <= 24 => {
            // "3 30 pm"
            if let Some(Tok::Num(m, 2)) = toks.get(i + 1)
                && *m < 60
                && matches!(word(toks, i + 2), "am" | "pm")
            {
                return Some((*h, *m, i + 2, false));
            }
            Some((*h, 0, i + 1, false))
        }
        // "at 1030", "930am": an hour and minutes run together (not a year:
        // the hour is 1-12).
        Tok::Num(n, 3 | 4) => {
            let (h, m) = (n / 100, n % 100);
            ((1..=12).contains(&h) && m < 60).then_some((h, m, i + 1, false))
        }
        Tok::Word(w) => {
            let h = number_word(w)?;
            if !(1..=12).contains(&h) {
                return None;
            }
            // "three thirty", "eleven forty five", "ten fifteen"
            let tens = number_word(word(toks, i + 1)).unwrap_or(0);
            if (13..60).contains(&tens) || tens == 10 {
                if tens.is_multiple_of(10)
                    && tens >= 20
                    && let Some(u) = number_word(word(toks, i + 2))
                    && (1..=9).contains(&u)
                {
                    return Some((h, tens + u, i + 3, false));
                }
                return Some((h, tens, i + 2, false));
            }
            Some((h, 0, i + 1, false))
        }
        _ => None,
    }
}

/// The marker after an hour: "pm", "o'clock", "in the afternoon", "at night".
fn suffix(toks: &[Tok], j: usize) -> Option<(Option<Mark>, usize)> {
    let w = word(toks, j);
    match w {
        "am" => return Some((Some(Mark::Am), j + 1)),
        "pm" => return Some((Some(Mark::Pm), j + 1)),
        "noon" => return Some((Some(Mark::Noon), j + 1)),
        "oclock" => {
            if let Some((m, e)) = suffix(toks, j + 1) {
                return Some((m, e));
            }
            return Some((None, j + 1));
        }
        "a" if word(toks, j + 1) == "m" => return Some((Some(Mark::Am), j + 2)),
        "p" if word(toks, j + 1) == "m" => return Some((Some(Mark::Pm), j + 2)),
        "in" | "this" | "at" | "tomorrow" => {
            let mut k = j + 1;
            if w == "in" && word(toks, k) == "the" {
                k += 1;
            }
            if w == "tomorrow" {
                k = j + 1;
            }
            if let Some(m) = pod(word(toks, k)) {
                if w == "at" && m != Mark::Night {
                    return None;
                }
                return Some((Some(m), k + 1));
            }
        }
        "tonight" => return Some((Some(Mark::Night), j + 1)),
        _ => {
            if let Some(m) = pod(w) {
                return Some((Some(m), j + 1));
            }
        }
    }
    None
}

/// A part of day right before the hour: "afternoon 2:15", "the evening 4",
/// "morning at 11".
fn prefix(toks: &[Tok], i: usize) -> Option<Mark> {
    let mut j = i.checked_sub(1)?;
    if matches!(word(toks, j), "at" | "around" | "about" | "by") {
        j = j.checked_sub(1)?;
    }
    pod(word(toks, j))
}

/// Words that can follow a bare hour ("at 5") and keep it a time.
fn ends_time_phrase(toks: &[Tok], j: usize) -> bool {
    match toks.get(j) {
        None | Some(Tok::Punct(_)) => true,
        Some(Tok::Word(w)) => matches!(
            w.as_str(),
            "or" | "and"
                | "on"
                | "then"
                | "tomorrow"
                | "today"
                | "please"
                | "if"
                | "instead"
                | "this"
                | "next"
                | "would"
                | "will"
                | "works"
                | "work"
                | "is"
                | "sharp"
                | "ish"
                | "with"
                | "that"
                | "thanks"
                | "thank"
                | "ok"
                | "good"
                | "fine"
                | "maybe"
                | "again"
                | "latest"
                | "for"
                | "at"
                | "so"
                | "but"
                | "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "the"
                | "in"
                | "available"
                | "open"
                | "free"
                | "still"
                | "not"
                | "possible"
                | "pls"
                | "as"
                | "okay"
                | "should"
                | "can"
                | "could"
                | "appointment"
                | "slot"
                | "time"
                | "start"
        ),
        Some(Tok::Ordinal(_)) => true,
        _ => false,
    }
}

fn is_time_preposition(w: &str) -> bool {
    matches!(
        w,
        "at" | "around"
            | "about"
            | "by"
            | "before"
            | "after"
            | "till"
            | "until"
            | "til"
            | "from"
            | "between"
            | "approx"
            | "approximately"
            | "bout"
            | "say"
            | "try"
    )
}

/// Applies a marker to a 12-hour reading of `h:m`.
fn resolve(h: u32, m: u32, mark: Option<Mark>) -> Option<NaiveTime> {
    let h24 =
        match mark {
            Some(Mark::Am) => {
                if h == 12 {
                    0
                } else {
                    h
                }
            }
            Some(Mark::Pm) | Some(Mark::Afternoon) | Some(Mark::Evening) => {
                if (1..12).contains(&h) { h + 12 } else { h }
            }
            Some(Mark::Night) => match h {
                12 => 0,
                1..=4 => h,
                5..=11 => h + 12,
                _ => h,
            },
            Some(Mark::Morning) => {
                if h == 12 {
                    0
                } else {
                    h
                }
            }
            Some(Mark::Noon) => {
                if h == 12 {
                    12
                } else {
                    return None;
                }
            }
            // business hours: 1-6 mean the afternoon
            None => {
                if (1..=6).contains(&h) {
                    h + 12
                } else {
                    h
                }
            }
        };
    let h24 = if h24 == 24 && m == 0 { 0 } else { h24 };
    hm(h24, m)
}

/// An exact time starting at `i`.
fn exact_at(toks: &[Tok], i: usize) -> Option<(NaiveTime, usize)> {
    let w = word(toks, i);
    match w {
        "noon" => return Some((hm(12, 0)?, i + 1)),
        "midnight" => return Some((hm(0, 0)?, i + 1)),
        "quarter" | "half" => return fraction_at(toks, i),
        "a" if word(toks, i + 1) == "quarter" => return fraction_at(toks, i + 1),
        _ => {}
    }
    let (h, m, j, is_clock) = hour_at(toks, i)?;
    let is_word = matches!(toks.get(i), Some(Tok::Word(_)));
    if let Some((mark, end)) = suffix(toks, j) {
        // "one in the afternoon" is fine, "one oclock" too; but a bare word
        // number needs a real marker (not just a part of day after "this").
        if is_word && mark.is_none() && word(toks, j) != "oclock" {
            return None;
        }
        return Some((resolve(h, m, mark)?, end));
    }
    if let Some(mark) = prefix(toks, i) {
        return Some((resolve(h, m, Some(mark))?, j));
    }
    if is_clock {
        return Some((resolve(h, m, None)?, j));
    }
    let prev = word(toks, i.wrapping_sub(1));
    let prev2 = word(toks, i.wrapping_sub(2));
    let prep = is_time_preposition(prev)
        || (matches!(prev, "a" | "the") && is_time_preposition(prev2))
        || prev == "is" && prev2 == "time"
        || corrects_to(prev, prev2)
        || after_a_day(prev)
        || asks_about(prev, i);
    // a bare hour needs digits: "at one" / "about one in SF" are not times
    let named = prep && ends_time_phrase(toks, j) || preferred_over_another(toks, j);
    if !is_word && (1..=12).contains(&h) && named {
        return Some((resolve(h, m, None)?, j));
    }
    None
}

/// "tmrw 10", "wed 11", "friday 2?": texted right after the day, a bare
/// number is its hour.
fn after_a_day(prev: &str) -> bool {
    crate::date::weekday(prev).is_some() || matches!(prev, "tomorrow" | "today" | "tonight")
}

/// "is 11 ok?", "would 2 work", "does 4 suit": a question about an hour
/// (at the start of the message for "is", so "there is 1 thing" is not one).
fn asks_about(prev: &str, i: usize) -> bool {
    match prev {
        "is" => i == 1,
        "would" | "does" | "will" | "could" => true,
        _ => false,
    }
}

/// "make it 4", "can we do 4", "change it to 4", "like 1?": a correction
/// names the hour.
fn corrects_to(prev: &str, prev2: &str) -> bool {
    match prev {
        "like" => !matches!(prev2, "would" | "id" | "i" | "we" | "wed"),
        "meant" | "mean" => true,
        "it" => matches!(prev2, "make" | "making"),
        "do" => !matches!(prev2, "how" | "what"),
        "to" => matches!(prev2, "it" | "that" | "change" | "move" | "push" | "switch"),
        _ => false,
    }
}

/// "4 instead", "4 is better", "4 works better", "4 would be better for me":
/// an hour offered in place of another.
fn preferred_over_another(toks: &[Tok], j: usize) -> bool {
    match word(toks, j) {
        "instead" => true,
        "is" | "works" | "suits" => matches!(word(toks, j + 1), "better" | "best"),
        "would" => word(toks, j + 1) == "be" && matches!(word(toks, j + 2), "better" | "best"),
        _ => false,
    }
}

/// "quarter past 2", "a quarter to 4 in the afternoon", "half past 10".
fn fraction_at(toks: &[Tok], i: usize) -> Option<(NaiveTime, usize)> {
    let minutes = match word(toks, i) {
        "quarter" => 15,
        "half" => 30,
        _ => return None,
    };
    let dir = word(toks, i + 1);
    let before = match dir {
        "past" | "after" => false,
        "to" | "till" | "til" | "of" | "before" => true,
        _ => return None,
    };
    let (h, _, j, _) = hour_at(toks, i + 2)?;
    if h > 24 || h == 0 && before {
        return None;
    }
    let (hh, mm) = if before {
        let hh = if h == 1 { 12 } else { h - 1 };
        (hh, 60 - minutes)
    } else {
        (h, minutes)
    };
    if let Some((mark, end)) = suffix(toks, j) {
        return Some((resolve(hh, mm, mark)?, end));
    }
    let mark = prefix(toks, i);
    Some((resolve(hh, mm, mark)?, j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::tokenize;

    fn t(text: &str) -> Option<NaiveTime> {
        find(&tokenize(text)).time
    }

    fn at(h: u32, m: u32) -> Option<NaiveTime> {
        hm(h, m)
    }

    #[test]
    fn three_pm_and_quarter_past_three_pm() {
        assert_eq!(t("3pm"), at(15, 0));
        assert_eq!(t("3:15 pm"), at(15, 15));
        assert_eq!(t("Three PM is fine"), at(15, 0));
    }

    #[test]
    fn twenty_four_hour_clock() {
        assert_eq!(t("15:30 please"), at(15, 30));
    }

    #[test]
    fn quarter_past_and_half_past_with_parts_of_day() {
        assert_eq!(t("quarter past 2 in the afternoon"), at(14, 15));
        assert_eq!(t("half past 4"), at(16, 30));
        assert_eq!(t("a quarter to 12 in the morning"), at(11, 45));
        assert_eq!(t("quarter to 1 in the afternoon"), at(12, 45));
    }

    #[test]
    fn number_words_with_part_of_day() {
        assert_eq!(t("four in the evening"), at(16, 0));
        assert_eq!(t("twelve in the afternoon"), at(12, 0));
        assert_eq!(t("twelve pm"), at(12, 0));
    }

    #[test]
    fn part_of_day_before_the_hour() {
        assert_eq!(t("morning 11:30"), at(11, 30));
        assert_eq!(t("afternoon 2"), at(14, 0));
        assert_eq!(t("in the evening 6"), at(18, 0));
    }

    #[test]
    fn noon_and_midnight() {
        assert_eq!(t("noon tomorrow"), at(12, 0));
        assert_eq!(t("at midnight"), at(0, 0));
    }

    #[test]
    fn sms_at_sign_and_bare_hours_after_prepositions() {
        assert_eq!(t("tmrw @ 3"), at(15, 0));
        assert_eq!(t("around 10?"), at(10, 0));
    }

    #[test]
    fn both_ends_of_a_window_make_a_range_of_the_day() {
        let range = |text: &str| {
            let f = find(&tokenize(text));
            (f.time, f.range)
        };
        assert_eq!(
            range("between 10 and 11?"),
            (None, at(10, 0).zip(at(11, 0)))
        );
        assert_eq!(range("from 2 to 4pm"), (None, at(14, 0).zip(at(16, 0))));
        assert_eq!(range("tmrw 10-11am"), (None, at(10, 0).zip(at(11, 0))));
        assert_eq!(range("btwn 11 and 1"), (None, at(11, 0).zip(at(13, 0))));
        assert_eq!(
            range("from 9:30 to 10:30 am"),
            (None, at(9, 30).zip(at(10, 30)))
        );
        assert_eq!(range("from 2"), (at(14, 0), at(14, 0).zip(at(23, 59))));
    }

    #[test]
    fn hours_and_minutes_run_together_are_a_time() {
        assert_eq!(t("Wed 3/4 at 1030"), at(10, 30));
        assert_eq!(t("930am tomorrow"), at(9, 30));
        assert_eq!(t("can i come at 130"), at(13, 30));
        assert_eq!(t("march 7 2019 at 3"), at(15, 0));
        assert_eq!(t("by 2030."), None);
        assert_eq!(t("at 1075 main st"), None);
    }

    #[test]
    fn a_correction_names_a_bare_hour() {
        assert_eq!(t("actually make it 4"), at(16, 0));
        assert_eq!(t("can we do 4 instead"), at(16, 0));
        assert_eq!(t("4 instead?"), at(16, 0));
        assert_eq!(t("actually 2 is better"), at(14, 0));
        assert_eq!(t("10 would be better for me"), at(10, 0));
        assert_eq!(t("can you change it to 11"), at(11, 0));
        assert_eq!(t("sorry typo, i meant 2 not 3"), at(14, 0));
        assert_eq!(t("can i do 2 people"), None);
        assert_eq!(t("make it 2 appointments"), None);
    }

    #[test]
    fn a_bare_hour_texted_after_the_day_or_asked_about_is_a_time() {
        assert_eq!(t("tmrw 10?"), at(10, 0));
        assert_eq!(t("can i do wed 11"), at(11, 0));
        assert_eq!(t("Is 11 tomorrow ok?"), at(11, 0));
        assert_eq!(t("would 2 work"), at(14, 0));
        assert_eq!(t("can i come earlier tomorrow? like 1?"), at(13, 0));
        assert_eq!(t("tuesday 2 people"), None);
        assert_eq!(t("there is 1 thing"), None);
        assert_eq!(t("i would like 2 appointments"), None);
    }

    #[test]
    fn a_bare_hour_asked_about_as_open_or_free_is_a_time() {
        assert_eq!(t("is friday at 1 open"), at(13, 0));
        assert_eq!(t("are you free at 2 tomorrow"), at(14, 0));
    }

    #[test]
    fn counts_and_addresses_are_not_times() {
        assert_eq!(t("a cab for 2 people"), None);
        assert_eq!(t("I want to arrive at 5 Bon Air Rd # 114"), None);
        assert_eq!(t("let's go with this one"), None);
        assert_eq!(t("appointment #123456"), None);
    }

    #[test]
    fn after_five_is_a_bound_and_a_range() {
        let f = find(&tokenize("anytime after 5"));
        assert_eq!(f.time, at(17, 0));
        assert_eq!(f.range, at(17, 0).zip(at(23, 59)));
    }

    #[test]
    fn a_part_of_day_alone_is_a_range() {
        let f = find(&tokenize("sometime in the morning"));
        assert_eq!(f.time, None);
        assert_eq!(f.range, at(8, 0).zip(at(12, 0)));
        assert_eq!(find(&tokenize("good morning")).range, None);
    }
}
