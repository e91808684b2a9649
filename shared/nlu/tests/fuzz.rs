//! Fuzz targets of the offline understanding: any text, any instant (any
//! year chrono can hold, DST transitions included), any IANA zone; the
//! `Understander` trait's offline implementations; the `smsbot nlu parse`
//! line protocol; the LLM's answer as the OpenRouter client reads it (the
//! model's output is untrusted input too). No input may panic, and each
//! answer keeps the
//! `Understanding` invariants. Corpora: `fuzz/corpus/{common,understanding}.txt`;
//! how to run longer: `fuzz/README.md`.

#[path = "../../../fuzz/support.rs"]
mod fuzz_support;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use proptest::prelude::*;
use smsbot_nlu::{
    HybridUnderstander, Intent, OfflineUnderstander, Understander, Understanding, eval, openrouter,
    understand,
};

use fuzz_support as fz;

/// Cases per property by default: a few seconds each on one core.
const CASES: u32 = 3000;

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(&TZ_VARIANTS[..])
}

fn utc_offset(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The first UTC instant after `from` (within about a year) at which `tz`
/// changes its offset, found by a daily scan and a bisection to the second.
fn next_transition(tz: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut lo = from;
    let start = utc_offset(tz, lo);
    for _ in 0..400 {
        let hi = lo.checked_add_signed(Duration::days(1))?;
        if utc_offset(tz, hi) != start {
            let (mut a, mut b) = (lo, hi);
            while b - a > Duration::seconds(1) {
                let mid = a + (b - a) / 2;
                if utc_offset(tz, mid) == start {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            return Some(b);
        }
        lo = hi;
    }
    None
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> std::ops::RangeInclusive<i64> {
    from.timestamp()..=to.timestamp()
}

fn utc(y: i32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
        .expect("a valid year")
}

/// An instant: mostly in years people text about, some anywhere chrono can
/// represent, some at its very ends, and some within hours of a DST (or
/// other offset) transition of the zone.
fn instant() -> impl Strategy<Value = DateTime<Tz>> {
    let min = DateTime::<Utc>::MIN_UTC;
    let max = DateTime::<Utc>::MAX_UTC;
    let at = prop_oneof![
        4 => seconds(utc(1900), utc(2200)),
        1 => seconds(min, max),
        1 => seconds(min, min + Duration::days(800)),
        1 => seconds(max - Duration::days(800), max),
        1 => seconds(utc(1), utc(10_000)),
    ];
    let offset_from_transition = -4 * 3600_i64..=4 * 3600;
    (zone(), at, any::<bool>(), offset_from_transition).prop_map(
        |(tz, secs, near_transition, delta)| {
            let mut at = DateTime::from_timestamp(secs, 0).expect("in range by construction");
            if near_transition
                && let Some(t) = next_transition(tz, at)
                && let Some(t) = t.checked_add_signed(Duration::seconds(delta))
            {
                at = t;
            }
            at.with_timezone(&tz)
        },
    )
}

/// What every answer must satisfy, whatever the text.
fn check(text: &str, now: DateTime<Tz>, u: &Understanding) -> Result<(), TestCaseError> {
    prop_assert!(
        u.confidence.is_finite() && (0.0..=1.0).contains(&u.confidence),
        "confidence {} out of 0..=1",
        u.confidence
    );
    prop_assert!(
        u.date.is_none() || u.date_range.is_none(),
        "both a day and a range of days: {u:?}"
    );
    if let Some((a, b)) = u.date_range {
        prop_assert!(a <= b, "date range backwards: {u:?}");
    }
    if let Some((a, b)) = u.time_range {
        prop_assert!(a <= b, "time range backwards: {u:?}");
    }
    if let Some(n) = u.selection {
        prop_assert!((1..=20).contains(&n), "selection {n}");
        prop_assert_eq!(u.intent, Intent::Select, "a selection outside Select");
    }
    if u.direction.is_some() {
        // "later?" asks for alternatives; "no, later" refuses and still says
        // which way to look.
        prop_assert!(
            matches!(u.intent, Intent::Alternatives | Intent::Deny),
            "a direction outside Alternatives and Deny: {u:?}"
        );
    }
    // A day and a time named in any year people book in is an instant, even
    // on a day the zone skipped.
    let instant = u.instant(now.timezone());
    if let (Some(d), Some(_)) = (u.date, u.time)
        && (1..=9999).contains(&d.year())
    {
        prop_assert!(
            instant.is_some(),
            "no instant for {u:?} in {}",
            now.timezone()
        );
    }
    // The JSON forms do not panic, and the serde form round-trips.
    let _ = eval::to_json(u);
    let json = serde_json::to_string(u).expect("an understanding serializes");
    let back: Understanding = serde_json::from_str(&json).expect("and deserializes");
    prop_assert_eq!(&back, u);
    // Deterministic: the same message at the same instant means the same.
    prop_assert_eq!(&understand(text, now), u);
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
}

#[test]
fn fuzz_regression_a_word_ending_in_a_doubled_non_ascii_letter_does_not_panic() {
    // The stemmer sliced `stem[..len - 1]` on bytes: "tööd" strips "d" to
    // "töö", whose last char is two bytes wide.
    let now = Tz::America__New_York
        .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
        .unwrap();
    for text in [
        "tööd", "pääs", "çç", "ééé", "字字", "字字s", "ççing", "éééd",
    ] {
        let u = understand(text, now);
        assert!((0.0..=1.0).contains(&u.confidence), "{text}");
    }
}

#[test]
fn fuzz_regression_a_time_on_a_day_a_zone_skipped_still_has_an_instant() {
    // Samoa skipped 2011-12-30 entirely (a 24-hour gap): looking 3 hours back
    // for the offset before the gap found nothing, and `instant` was None.
    let now = Tz::Pacific__Apia
        .with_ymd_and_hms(2011, 12, 28, 9, 0, 0)
        .unwrap();
    let u = understand("can I come dec 30 at 10am", now);
    assert_eq!(u.date, NaiveDate::from_ymd_opt(2011, 12, 30));
    let at = u.instant(Tz::Pacific__Apia).expect("an instant");
    assert_eq!(at.to_rfc3339(), "2011-12-31T10:00:00+14:00");
}

#[test]
fn fuzz_regression_now_at_the_ends_of_chronos_range_does_not_panic() {
    // `now.date_naive()` panics when the local time is outside chrono's range
    // (its largest UTC instant, seen east of Greenwich).
    for (at, tz) in [
        (DateTime::<Utc>::MAX_UTC, Tz::Pacific__Kiritimati),
        (DateTime::<Utc>::MIN_UTC, Tz::Etc__GMTPlus12),
    ] {
        let u = understand("tomorrow at 3pm", at.with_timezone(&tz));
        assert_eq!(
            u.intent,
            understand("tomorrow at 3pm", utc(2024).with_timezone(&tz)).intent
        );
    }
}

#[test]
fn fuzz_understanding_survives_every_seed_at_many_instants_and_zones() {
    let zones = [
        Tz::UTC,
        Tz::America__New_York,
        Tz::Australia__Lord_Howe,
        Tz::Pacific__Apia,
        Tz::Asia__Kathmandu,
        Tz::Pacific__Kiritimati,
        Tz::Etc__GMTPlus12,
    ];
    let instants = [
        utc(2019) + Duration::days(67) + Duration::hours(7),
        utc(2024) + Duration::days(59),
        utc(2011) + Duration::days(362),
        utc(1970),
        utc(9999) + Duration::days(364),
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
    ];
    let mut runs = 0;
    for text in fz::seeds("understanding") {
        for tz in zones {
            for at in instants {
                let now = at.with_timezone(&tz);
                let u = understand(&text, now);
                if let Err(e) = check(&text, now, &u) {
                    panic!("{text:?} at {now}: {e}");
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 100);
}

#[test]
fn fuzz_every_seed_through_the_understander_the_parse_protocol_and_the_llm_reader() {
    let now = (utc(2024) + Duration::days(59)).with_timezone(&Tz::America__New_York);
    let rt = runtime();
    let mut input = Vec::new();
    let seeds = fz::seeds("understanding");
    for text in &seeds {
        let offline = rt.block_on(OfflineUnderstander.understand(text, now));
        assert_eq!(offline, understand(text, now), "{text:?}");
        let _ = openrouter::parse_answer(text, now);
        let line = serde_json::json!({
            "text": text, "now": now.to_rfc3339(), "timezone": "America/New_York",
        });
        input.extend_from_slice(line.to_string().as_bytes());
        input.push(b'\n');
        // and the seed as a raw protocol line
        input.extend_from_slice(text.replace('\n', " ").as_bytes());
        input.push(b'\n');
    }
    let mut output = Vec::new();
    eval::parse_lines(&input[..], &mut output).expect("writing to a Vec cannot fail");
    let answers = output
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let blank = seeds
        .iter()
        .filter(|t| t.replace('\n', " ").trim().is_empty())
        .count();
    assert_eq!(answers, 2 * seeds.len() - blank);
}

#[test]
fn fuzz_understanding_survives_seeds_around_every_zones_transitions() {
    // Each zone's next offset change after 2024-01-01 (and the one after):
    // the hours around it, where wall-clock times are skipped or repeated.
    let texts = [
        "today at 2:30am",
        "tomorrow at 1:30 am",
        "book me sunday at 2:30 am",
        "now",
        "tonight",
        "next week",
        "in 1 day at 0:30",
        "12am",
        "midnight",
    ];
    for tz in TZ_VARIANTS {
        let mut from = utc(2024);
        for _ in 0..2 {
            let Some(t) = next_transition(tz, from) else {
                break;
            };
            for hours in [-25, -3, -1, 0, 1, 3, 25] {
                let now = (t + Duration::hours(hours)).with_timezone(&tz);
                for text in texts {
                    let u = understand(text, now);
                    if let Err(e) = check(text, now, &u) {
                        panic!("{text:?} at {now} ({tz}): {e}");
                    }
                }
            }
            from = t + Duration::hours(1);
        }
    }
}

proptest! {
    #![proptest_config(fz::config(CASES))]

    #[test]
    fn fuzz_understanding_never_panics_on_any_text(
        text in fz::text(fz::seeds("understanding")),
        now in instant(),
    ) {
        let u = understand(&text, now);
        check(&text, now, &u)?;
    }

    #[test]
    fn fuzz_the_offline_understanders_agree_with_the_rules_on_any_text(
        text in fz::text(fz::seeds("understanding")),
        now in instant(),
    ) {
        let expected = understand(&text, now);
        let rt = runtime();
        let offline = rt.block_on(OfflineUnderstander.understand(&text, now));
        prop_assert_eq!(&offline, &expected);
        let hybrid = HybridUnderstander::offline_only();
        let answer = rt.block_on(hybrid.understand(&text, now));
        prop_assert_eq!(&answer, &expected);
        prop_assert_eq!(hybrid.stats().llm_calls, 0);
    }

    #[test]
    fn fuzz_the_nlu_parse_protocol_answers_one_line_per_input_line(
        lines in prop::collection::vec(
            prop_oneof![
                // well-formed requests with any text, instant and zone
                (fz::text(fz::seeds("understanding")), instant()).prop_map(|(text, now)| {
                    serde_json::json!({
                        "text": text,
                        "now": now.to_rfc3339(),
                        "timezone": now.timezone().name(),
                    })
                    .to_string()
                    .into_bytes()
                }),
                // requests with any strings in every field
                (any::<String>(), any::<String>(), any::<String>(), zone()).prop_map(
                    |(text, now, zone, tz)| {
                        let zone = if zone.len() % 2 == 0 { tz.name().to_owned() } else { zone };
                        serde_json::json!({"text": text, "now": now, "timezone": zone})
                            .to_string()
                            .into_bytes()
                    }
                ),
                // local "now" forms at any year
                (fz::text(fz::seeds("understanding")), -300_000_i32..300_000, 1_u32..13,
                 1_u32..32, 0_u32..25, zone()).prop_map(|(text, y, m, d, h, tz)| {
                    serde_json::json!({
                        "text": text,
                        "now": format!("{y:04}-{m:02}-{d:02}T{h:02}:30:00"),
                        "timezone": tz.name(),
                    })
                    .to_string()
                    .into_bytes()
                }),
                // anything at all, invalid UTF-8 included
                prop::collection::vec(any::<u8>(), 0..200)
                    .prop_map(|b| b.into_iter().filter(|c| *c != b'\n').collect()),
            ],
            0..6,
        )
    ) {
        let mut input = Vec::new();
        for line in &lines {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        let mut output = Vec::new();
        eval::parse_lines(&input[..], &mut output).expect("writing to a Vec cannot fail");
        let answers: Vec<&[u8]> = output
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let expected = lines
            .iter()
            .filter(|l| !String::from_utf8_lossy(l).trim().is_empty())
            .count();
        prop_assert_eq!(answers.len(), expected, "one answer per non-blank line");
        for answer in answers {
            let v: serde_json::Value = serde_json::from_slice(answer).expect("each answer is JSON");
            prop_assert!(v.get("intent").is_some() || v.get("error").is_some(), "{v}");
        }
    }

    #[test]
    fn fuzz_an_llm_answer_of_any_shape_is_read_or_refused_never_panics(
        content in prop_oneof![
            fz::text(fz::seeds("understanding")),
            llm_answer(),
            llm_answer().prop_map(|a| format!("```json\n{a}\n```")),
        ],
        now in instant(),
    ) {
        let _ = openrouter::system_prompt(now);
        if let Ok(u) = openrouter::parse_answer(&content, now) {
            prop_assert!((0.0..=1.0).contains(&u.confidence));
            prop_assert!(u.date_range.is_none() && u.time_range.is_none());
            if let Some(n) = u.selection {
                prop_assert!((1..=20).contains(&n));
                prop_assert_eq!(u.intent, Intent::Select);
            }
            if u.direction.is_some() {
                prop_assert_eq!(u.intent, Intent::Alternatives);
            }
            if let Some(d) = u.date {
                let ahead = d.signed_duration_since(now.naive_utc().date()).num_days();
                prop_assert!((-1..=400).contains(&ahead), "{d} is {ahead} days from {now:?}");
            }
        }
    }
}

/// An answer shaped like the schema the client asks for, with values in and
/// out of range.
fn llm_answer() -> impl Strategy<Value = String> {
    let intent = prop_oneof![
        prop::sample::select(Intent::ALL.map(Intent::as_str).to_vec()).prop_map(String::from),
        any::<String>(),
    ];
    let date = prop_oneof![
        Just(serde_json::Value::Null),
        (1990_i32..2100, 0_u32..14, 0_u32..33)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}").into()),
        any::<String>().prop_map(Into::into),
        any::<i64>().prop_map(Into::into),
    ];
    let time = prop_oneof![
        Just(serde_json::Value::Null),
        (0_u32..30, 0_u32..70).prop_map(|(h, m)| format!("{h:02}:{m:02}").into()),
        any::<String>().prop_map(Into::into),
    ];
    let selection = prop_oneof![
        Just(serde_json::Value::Null),
        any::<i64>().prop_map(Into::into),
        (-2_i64..25).prop_map(Into::into),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
    ];
    let direction = prop_oneof![
        Just(serde_json::Value::Null),
        Just("later".into()),
        Just("earlier".into()),
        any::<String>().prop_map(Into::into),
    ];
    (intent, date, time, selection, direction, any::<bool>()).prop_map(
        |(intent, date, time, selection, direction, extra)| {
            let mut v = serde_json::json!({
                "intent": intent, "date": date, "time": time,
                "selection": selection, "direction": direction,
            });
            if extra {
                v["extra"] = serde_json::Value::Bool(true);
            }
            v.to_string()
        },
    )
}
