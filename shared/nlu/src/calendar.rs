//! Calendar arithmetic used to resolve date expressions to the future.
//!
//! Owns: "next such weekday", "this month's or next month's 13th", "March
//! 7th of this year or the next", week boundaries (weeks start on Monday).
//! Must not: read the clock, know about words or tokens, or do any I/O.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// The first `wd` on or after `today` (`inclusive`) or strictly after it.
pub fn next_weekday(today: NaiveDate, wd: Weekday, inclusive: bool) -> NaiveDate {
    let from = today.weekday().num_days_from_monday();
    let to = wd.num_days_from_monday();
    let mut delta = (7 + to - from) % 7;
    if delta == 0 && !inclusive {
        delta = 7;
    }
    add_days(today, delta.into())
}

/// Monday of the week containing `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    let back = day.weekday().num_days_from_monday();
    day.checked_sub_days(Days::new(back.into())).unwrap_or(day)
}

/// `day` plus `n` days, saturating at the end of chrono's range.
pub fn add_days(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_add_days(Days::new(n)).unwrap_or(day)
}

/// The day-of-month `dom` in this month when it is still to come (today
/// included), else in the first later month that has such a day.
pub fn next_day_of_month(today: NaiveDate, dom: u32) -> Option<NaiveDate> {
    if !(1..=31).contains(&dom) {
        return None;
    }
    let first = today.with_day(1)?;
    for k in 0..=12u32 {
        let month = first.checked_add_months(Months::new(k))?;
        if let Some(d) = month.with_day(dom)
            && d >= today
        {
            return Some(d);
        }
    }
    None
}

/// The day-of-month `dom` in the month `k` months after today's month.
pub fn day_in_month_offset(today: NaiveDate, dom: u32, k: u32) -> Option<NaiveDate> {
    today
        .with_day(1)?
        .checked_add_months(Months::new(k))?
        .with_day(dom)
}

/// Month and day, in `year` when given (two-digit years are 20xx), else this
/// year when still to come (today included) or next year.
pub fn month_day(today: NaiveDate, month: u32, dom: u32, year: Option<u32>) -> Option<NaiveDate> {
    if let Some(y) = year {
        let y = if y < 100 { 2000 + y } else { y };
        let y = i32::try_from(y).ok()?;
        return NaiveDate::from_ymd_opt(y, month, dom);
    }
    for k in 0..=4 {
        if let Some(d) = NaiveDate::from_ymd_opt(today.year() + k, month, dom)
            && d >= today
        {
            return Some(d);
        }
    }
    None
}

/// First and last day of the month `k` months after today's month.
pub fn month_range(today: NaiveDate, k: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = today.with_day(1)?.checked_add_months(Months::new(k))?;
    let next = first.checked_add_months(Months::new(1))?;
    Some((first, next.pred_opt()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn the_31st_skips_months_without_one() {
        assert_eq!(next_day_of_month(d(2019, 4, 5), 31), Some(d(2019, 5, 31)));
    }

    #[test]
    fn a_passed_day_of_month_rolls_over_the_year() {
        assert_eq!(next_day_of_month(d(2019, 12, 20), 13), Some(d(2020, 1, 13)));
    }

    #[test]
    fn february_29th_waits_for_a_leap_year() {
        assert_eq!(month_day(d(2019, 3, 1), 2, 29, None), Some(d(2020, 2, 29)));
    }
}
