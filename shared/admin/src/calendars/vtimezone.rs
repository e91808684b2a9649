//! The `VTIMEZONE` that defines the business timezone for a span of time.
//!
//! Owns finding the zone's offset changes (daylight saving time starting and
//! ending) in a span from the IANA database (`chrono-tz`) and writing them as
//! RFC 5545 observances: one `STANDARD` or `DAYLIGHT` per offset in force,
//! each starting at its change (in the local time of the offset before it),
//! with no recurrence rule, so a calendar reads the offsets as they were
//! decided, not as a rule guesses them. Must not write anything else of a
//! calendar (`ics` does), nor any text from outside: the lines are numbers
//! and the zone's name, so they need no escaping and are all short.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// Offset changes are at least this far apart in every zone there is, so a
/// scan in steps this long sees each one.
const SCAN_STEP: Duration = Duration::days(7);

/// One offset in force from `onset` on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    onset: DateTime<Utc>,
    offset_before: i32,
    offset_after: i32,
    daylight: bool,
    abbreviation: Option<String>,
}

/// The `VTIMEZONE` component (CRLF line ends) that covers `[from, until]` in
/// `zone`: the offset in force at `from`, and every change up to `until`.
pub fn component(zone: Tz, from: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let mut text = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", zone.name());
    for observance in observances(zone, from, until) {
        let kind = if observance.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let local_onset = observance.onset.naive_utc() + seconds(observance.offset_before);
        text.push_str(&format!(
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
            local(local_onset),
            utc_offset(observance.offset_before),
            utc_offset(observance.offset_after),
        ));
        if let Some(name) = &observance.abbreviation {
            text.push_str(&format!("TZNAME:{name}\r\n"));
        }
        text.push_str(&format!("END:{kind}\r\n"));
    }
    text.push_str("END:VTIMEZONE\r\n");
    text
}

fn observances(zone: Tz, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Observance> {
    let mut list = vec![in_force(zone, from)];
    let mut at = from;
    while at < until {
        let next = (at + SCAN_STEP).min(until);
        if offset_seconds(zone, next) != offset_seconds(zone, at) {
            let onset = first_instant_of_change(zone, at, next);
            list.push(Observance {
                onset,
                offset_before: offset_seconds(zone, at),
                ..in_force(zone, onset)
            });
        }
        at = next;
    }
    list
}

/// The offset in force at `instant` (its onset left for the caller).
fn in_force(zone: Tz, instant: DateTime<Utc>) -> Observance {
    let offset = zone.offset_from_utc_datetime(&instant.naive_utc());
    Observance {
        onset: instant,
        offset_before: offset.fix().local_minus_utc(),
        offset_after: offset.fix().local_minus_utc(),
        daylight: !offset.dst_offset().is_zero(),
        abbreviation: offset.abbreviation().map(str::to_owned),
    }
}

/// The first second whose offset differs from `before`'s, given that
/// `after`'s does (one change between them).
fn first_instant_of_change(
    zone: Tz,
    mut before: DateTime<Utc>,
    mut after: DateTime<Utc>,
) -> DateTime<Utc> {
    let old = offset_seconds(zone, before);
    while after - before > Duration::seconds(1) {
        let middle = before + (after - before) / 2;
        if offset_seconds(zone, middle) == old {
            before = middle;
        } else {
            after = middle;
        }
    }
    after
}

fn offset_seconds(zone: Tz, instant: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&instant.naive_utc())
        .fix()
        .local_minus_utc()
}

fn seconds(total: i32) -> Duration {
    Duration::seconds(i64::from(total))
}

/// A local date-time as RFC 5545 writes one without a zone.
pub fn local(date_time: NaiveDateTime) -> String {
    date_time.format("%Y%m%dT%H%M%S").to_string()
}

/// `-0500`, `+0530`, or with seconds where a historical offset has them.
fn utc_offset(total: i32) -> String {
    let sign = if total < 0 { '-' } else { '+' };
    let magnitude = total.unsigned_abs();
    let (hours, minutes, secs) = (magnitude / 3600, magnitude / 60 % 60, magnitude % 60);
    if secs == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{secs:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn new_york_in_2027_changes_at_two_in_the_morning_in_march_and_november() {
        let text = component(
            chrono_tz::America::New_York,
            at("2027-01-01T00:00:00Z"),
            at("2027-12-31T00:00:00Z"),
        );
        assert_eq!(
            text,
            "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n\
             BEGIN:STANDARD\r\nDTSTART:20261231T190000\r\nTZOFFSETFROM:-0500\r\n\
             TZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\n\
             TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n\
             BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0400\r\n\
             TZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n\
             END:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn a_zone_without_daylight_saving_time_has_one_observance() {
        let text = component(
            chrono_tz::Asia::Kolkata,
            at("2027-01-01T00:00:00Z"),
            at("2027-12-31T00:00:00Z"),
        );
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(text.contains("TZOFFSETTO:+0530\r\n"), "{text}");
        assert!(!text.contains("DAYLIGHT"), "{text}");
    }

    #[test]
    fn offsets_with_seconds_keep_them() {
        assert_eq!(utc_offset(-(4 * 3600 + 56 * 60 + 2)), "-045602");
        assert_eq!(utc_offset(0), "+0000");
    }
}
