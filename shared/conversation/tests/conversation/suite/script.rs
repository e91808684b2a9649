//! The conversation suite's file format, read into scripts the player runs.
//!
//! A file holds conversations; each starts with a `== title` line. Lines
//! before the first title set defaults for every conversation in the file.
//!
//! ```text
//! # comment
//! now: Mon Mar 2 2026 9:00 AM          setup: the fixed clock (business time)
//! hours: mon-fri 09:00-17:00           the business hours (slots of 30 min)
//! closed: Wed Mar 4                    no slots that day
//! taken: Tue Mar 3 3:00 PM             that slot is booked by someone else
//! appointment: Tue Mar 3 3:00 PM       the customer holds this appointment
//! consent: opted out                   the customer texted STOP before
//! name: / address: / phone:            the business profile
//! website: https://maple.example       its website ("none": none, the default)
//! faq: question => answer              one entry of its FAQ (one line each)
//! pending: why                         played and reported, never counted as passed
//! > customer text                      the customer texts this
//! < words                              the reply contains these (any case)
//! < /regex/                            the reply matches (any case)
//! <! words                             the reply does not contain these
//! < (no reply)                         the bot says nothing
//! <staff words                         what staff are told about this text
//! <staff (nothing)                     staff are told nothing
//! * staff releases                     staff give the conversation back to the bot
//! ... 45 minutes later                 the clock moves on
//! = booked Tue Mar 3 3:00 PM           a new appointment, booked at the end
//! = cancelled Tue Mar 3 3:00 PM        that appointment ends up cancelled
//! = moved Tue Mar 3 3:00 PM -> Thu Mar 5 3:00 PM
//! = nothing changed                    (or "nothing booked") no appointment
//! = consent opted out                  / = marketing opted in
//! = with staff                         the conversation ends handed to staff
//! ```
//!
//! Owns reading and checking the text (every mistake is reported with its
//! line); must not run anything: the player does.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use regex::Regex;

/// A mistake in a suite file, at its line.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {reason}")]
pub struct ScriptError {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// One file of the suite.
#[derive(Debug)]
pub struct SuiteFile {
    pub path: PathBuf,
    pub conversations: Vec<Script>,
}

/// One conversation: its setup, what is texted and answered, and how it ends.
#[derive(Debug, Clone)]
pub struct Script {
    pub title: String,
    /// The line of its `==` title.
    pub line: usize,
    pub setup: Setup,
    /// Why it cannot pass yet, when it is marked pending.
    pub pending: Option<String>,
    pub steps: Vec<Step>,
    pub outcomes: Vec<Outcome>,
}

/// The world a conversation starts in.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The clock, in the business's local time.
    pub now: NaiveDateTime,
    pub timezone: String,
    pub name: String,
    pub hours: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// The FAQ: (question, answer), in order.
    pub faq: Vec<(String, String)>,
    pub slot_minutes: i64,
    pub closed: Vec<NaiveDate>,
    pub taken: Vec<NaiveDateTime>,
    pub appointments: Vec<NaiveDateTime>,
    pub opted_out: bool,
}

impl Default for Setup {
    /// Monday 2 March 2026, 9 AM in New York, at a salon open on weekdays and
    /// Saturday mornings.
    fn default() -> Self {
        Self {
            now: NaiveDate::from_ymd_opt(2026, 3, 2)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("a valid default clock"),
            timezone: "America/New_York".to_owned(),
            name: "Maple Street Salon".to_owned(),
            hours: "mon-fri 09:00-17:00; sat 10:00-14:00".to_owned(),
            address: Some("12 Maple St, Springfield".to_owned()),
            phone: Some("(555) 010-2030".to_owned()),
            website: None,
            faq: Vec::new(),
            slot_minutes: 30,
            closed: Vec::new(),
            taken: Vec::new(),
            appointments: Vec::new(),
            opted_out: false,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Step {
    /// The customer texts `body`; the reply must meet every expectation.
    Text {
        line: usize,
        body: String,
        expect: Vec<Expect>,
    },
    /// The clock moves on.
    Wait { by: Duration },
    /// Staff give the conversation back to the bot.
    Release { line: usize },
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub line: usize,
    /// About what staff are told (`<staff`), not the reply to the customer.
    pub to_staff: bool,
    pub kind: ExpectKind,
}

#[derive(Debug, Clone)]
pub enum ExpectKind {
    Contains(String),
    Matches(Regex),
    Lacks(String),
    NoReply,
}

impl ExpectKind {
    /// Whether `reply` (the bot's messages to the customer, joined; `None` when
    /// it sent none) meets this expectation.
    pub fn met_by(&self, reply: Option<&str>) -> bool {
        let lower = reply.map(fold);
        match (self, lower.as_deref()) {
            (Self::NoReply, reply) => reply.is_none(),
            (Self::Contains(words), Some(reply)) => reply.contains(&fold(words)),
            (Self::Matches(re), Some(_)) => reply.is_some_and(|r| re.is_match(r)),
            (Self::Lacks(words), reply) => !reply.is_some_and(|r| r.contains(&fold(words))),
            (_, None) => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Contains(words) => format!("a reply containing {words:?}"),
            Self::Matches(re) => format!("a reply matching /{}/", re.as_str()),
            Self::Lacks(words) => format!("no {words:?} in the reply"),
            Self::NoReply => "no reply".to_owned(),
        }
    }
}

/// Case and apostrophe style do not matter when comparing reply text.
fn fold(text: &str) -> String {
    text.to_lowercase().replace('\u{2019}', "'")
}

/// What the database must show once the conversation is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Booked(NaiveDateTime),
    Cancelled(NaiveDateTime),
    Moved(NaiveDateTime, NaiveDateTime),
    NothingChanged,
    ServiceConsent(bool),
    MarketingConsent(bool),
    /// The conversation ends handed to staff (without it: with the bot).
    WithStaff,
}

/// Reads every `*.txt` file of `dir`, in name order.
pub fn read_dir(dir: &Path) -> Result<Vec<SuiteFile>, ScriptError> {
    let unreadable = |reason: String| ScriptError {
        path: dir.display().to_string(),
        line: 0,
        reason,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| ScriptError {
                path: path.display().to_string(),
                line: 0,
                reason: e.to_string(),
            })?;
            let label = path
                .strip_prefix(dir.parent().unwrap_or(dir))
                .unwrap_or(&path)
                .display()
                .to_string();
            Ok(SuiteFile {
                conversations: parse(&label, &text)?,
                path,
            })
        })
        .collect()
}

/// Where a conversation is being read: before its first text, among its
/// turns, or among its outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Setup,
    Turns,
    Outcomes,
}

/// Reads one file's text; `path` names it in errors.
pub fn parse(path: &str, text: &str) -> Result<Vec<Script>, ScriptError> {
    let mut defaults = Setup::default();
    let mut scripts: Vec<Script> = Vec::new();
    let mut part = Part::Setup;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |reason: String| ScriptError {
            path: path.to_owned(),
            line,
            reason,
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("==") {
            if let Some(previous) = scripts.last() {
                finished(previous).map_err(|reason| ScriptError {
                    path: path.to_owned(),
                    line: previous.line,
                    reason,
                })?;
            }
            let title = title.trim();
            if title.is_empty() {
                return Err(err("a conversation needs a title after ==".to_owned()));
            }
            scripts.push(Script {
                title: title.to_owned(),
                line,
                setup: defaults.clone(),
                pending: None,
                steps: Vec::new(),
                outcomes: Vec::new(),
            });
            part = Part::Setup;
            continue;
        }
        let Some(script) = scripts.last_mut() else {
            // The file's header: defaults for every conversation.
            setup_line(&mut defaults, None, trimmed).map_err(err)?;
            continue;
        };
        if let Some(body) = trimmed.strip_prefix('>') {
            if part == Part::Outcomes {
                return Err(err("a text after the outcomes (= lines)".to_owned()));
            }
            let body = body.trim();
            if body.is_empty() {
                return Err(err("an empty text".to_owned()));
            }
            script.steps.push(Step::Text {
                line,
                body: body.to_owned(),
                expect: Vec::new(),
            });
            part = Part::Turns;
        } else if let Some(rest) = trimmed.strip_prefix('<') {
            let Some(Step::Text { expect, .. }) = script.steps.last_mut() else {
                return Err(err(
                    "an expected reply with no text (>) before it".to_owned()
                ));
            };
            if part != Part::Turns {
                return Err(err("an expected reply after the outcomes".to_owned()));
            }
            let (to_staff, rest) = match rest.strip_prefix("staff") {
                Some(told) if told.starts_with(char::is_whitespace) => (true, told),
                _ => (false, rest),
            };
            let kind = match rest.trim() {
                "(nothing)" if to_staff => ExpectKind::NoReply,
                _ => expectation(rest).map_err(err)?,
            };
            expect.push(Expect {
                line,
                to_staff,
                kind,
            });
        } else if let Some(rest) = trimmed.strip_prefix('*') {
            if part == Part::Outcomes {
                return Err(err("staff act after the outcomes".to_owned()));
            }
            if rest.trim() != "staff releases" {
                return Err(err(format!(
                    "not a staff action (* staff releases): {trimmed:?}"
                )));
            }
            script.steps.push(Step::Release { line });
        } else if let Some(rest) = trimmed.strip_prefix("...") {
            if part == Part::Outcomes {
                return Err(err("the clock moves after the outcomes".to_owned()));
            }
            script.steps.push(Step::Wait {
                by: later(rest).map_err(err)?,
            });
        } else if let Some(rest) = trimmed.strip_prefix('=') {
            if part == Part::Setup {
                return Err(err("an outcome before any text".to_owned()));
            }
            let today = script.setup.now.date();
            script
                .outcomes
                .push(outcome(rest.trim(), today).map_err(err)?);
            part = Part::Outcomes;
        } else if part == Part::Setup {
            setup_line(&mut script.setup, Some(&mut script.pending), trimmed).map_err(err)?;
        } else {
            return Err(err(format!(
                "not a text (>), a reply (<), a wait (...), a staff action (*) or an outcome (=): {trimmed:?}"
            )));
        }
    }
    if let Some(last) = scripts.last() {
        finished(last).map_err(|reason| ScriptError {
            path: path.to_owned(),
            line: last.line,
            reason,
        })?;
    }
    Ok(scripts)
}

/// A conversation is complete: it texts something and says how it ends.
fn finished(script: &Script) -> Result<(), String> {
    if !script.steps.iter().any(|s| matches!(s, Step::Text { .. })) {
        return Err(format!("{:?} has no text (>)", script.title));
    }
    let about_appointments = script.outcomes.iter().any(|o| {
        !matches!(
            o,
            Outcome::ServiceConsent(_) | Outcome::MarketingConsent(_) | Outcome::WithStaff
        )
    });
    if !about_appointments {
        return Err(format!(
            "{:?} does not say what happens to appointments (= booked …, or = nothing changed)",
            script.title
        ));
    }
    Ok(())
}

fn setup_line(
    setup: &mut Setup,
    pending: Option<&mut Option<String>>,
    line: &str,
) -> Result<(), String> {
    let (key, value) = line
        .split_once(':')
        .ok_or_else(|| format!("not a setup line (key: value): {line:?}"))?;
    let value = value.trim();
    let today = setup.now.date();
    match key.trim().to_ascii_lowercase().as_str() {
        "now" => setup.now = local_time(value, today)?,
        "timezone" => setup.timezone = value.to_owned(),
        "name" => setup.name = value.to_owned(),
        "hours" => setup.hours = value.to_owned(),
        "address" => setup.address = optional(value),
        "phone" => setup.phone = optional(value),
        "website" => setup.website = optional(value),
        "faq" => {
            let (question, answer) = value
                .split_once("=>")
                .ok_or_else(|| format!("faq: question => answer, not {value:?}"))?;
            setup
                .faq
                .push((question.trim().to_owned(), answer.trim().to_owned()));
        }
        "slots" => {
            setup.slot_minutes = value
                .trim_end_matches("minutes")
                .trim_end_matches("min")
                .trim()
                .parse()
                .map_err(|_| format!("slots: a length in minutes, not {value:?}"))?
        }
        "closed" => setup.closed.push(local_date(value, today)?),
        "taken" => setup.taken.push(local_time(value, today)?),
        "appointment" => setup.appointments.push(local_time(value, today)?),
        "consent" => {
            setup.opted_out = match value {
                "opted out" => true,
                "opted in" => false,
                _ => return Err(format!("consent: opted in or opted out, not {value:?}")),
            }
        }
        "pending" => match pending {
            Some(pending) if !value.is_empty() => *pending = Some(value.to_owned()),
            Some(_) => return Err("pending: say why".to_owned()),
            None => return Err("pending: belongs to one conversation".to_owned()),
        },
        other => return Err(format!("unknown setup {other:?}")),
    }
    Ok(())
}

/// "none" clears a profile field.
fn optional(value: &str) -> Option<String> {
    (value != "none" && !value.is_empty()).then(|| value.to_owned())
}

fn expectation(rest: &str) -> Result<ExpectKind, String> {
    if let Some(words) = rest.strip_prefix('!') {
        let words = words.trim();
        if words.is_empty() {
            return Err("<! needs the words the reply must not contain".to_owned());
        }
        return Ok(ExpectKind::Lacks(words.to_owned()));
    }
    let rest = rest.trim();
    if rest == "(no reply)" {
        return Ok(ExpectKind::NoReply);
    }
    if rest.len() >= 2 && rest.starts_with('/') && rest.ends_with('/') {
        let re = Regex::new(&format!("(?i){}", &rest[1..rest.len() - 1]))
            .map_err(|e| format!("not a regex: {e}"))?;
        return Ok(ExpectKind::Matches(re));
    }
    if rest.is_empty() {
        return Err("< needs the words the reply must contain".to_owned());
    }
    Ok(ExpectKind::Contains(rest.to_owned()))
}

/// "45 minutes later", "2 hours later", "1 day later".
fn later(rest: &str) -> Result<Duration, String> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let wrong = || format!("not like \"... 45 minutes later\": {rest:?}");
    let [n, unit, "later"] = words.as_slice() else {
        return Err(wrong());
    };
    let n: i64 = n.parse().map_err(|_| wrong())?;
    match unit.trim_end_matches('s') {
        "minute" => Ok(Duration::minutes(n)),
        "hour" => Ok(Duration::hours(n)),
        "day" => Ok(Duration::days(n)),
        _ => Err(wrong()),
    }
}

fn outcome(text: &str, today: NaiveDate) -> Result<Outcome, String> {
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    match (verb, rest) {
        ("nothing", "changed" | "booked") => Ok(Outcome::NothingChanged),
        ("booked", at) => Ok(Outcome::Booked(local_time(at, today)?)),
        ("cancelled" | "canceled", at) => Ok(Outcome::Cancelled(local_time(at, today)?)),
        ("moved", span) => {
            let (from, to) = span
                .split_once("->")
                .ok_or("moved: from -> to".to_owned())?;
            Ok(Outcome::Moved(
                local_time(from.trim(), today)?,
                local_time(to.trim(), today)?,
            ))
        }
        ("consent", "opted in") => Ok(Outcome::ServiceConsent(true)),
        ("consent", "opted out") => Ok(Outcome::ServiceConsent(false)),
        ("marketing", "opted in") => Ok(Outcome::MarketingConsent(true)),
        ("marketing", "opted out") => Ok(Outcome::MarketingConsent(false)),
        ("with", "staff") => Ok(Outcome::WithStaff),
        _ => Err(format!(
            "not an outcome (booked, cancelled, moved, nothing changed, consent, marketing, with staff): {text:?}"
        )),
    }
}

/// "Tue Mar 3" (the weekday must agree), in the year that puts it nearest
/// after `today` (a date up to a month back stays in this year).
pub fn local_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let (date, _) = date_words(&words, today, text)?;
    Ok(date)
}

/// "Tue Mar 3 3:00 PM", "Tue Mar 3, 3pm", "tue mar 3 15:30", or with the
/// year: "Mon Mar 2 2026 9:00 AM".
pub fn local_time(text: &str, today: NaiveDate) -> Result<NaiveDateTime, String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let (date, used) = date_words(&words, today, text)?;
    let mut clock = words[used..].join("");
    if !clock.contains(':')
        && let Some(hour) = clock
            .strip_suffix("am")
            .or_else(|| clock.strip_suffix("pm"))
    {
        // "3pm" is "3:00pm".
        clock = format!("{hour}:00{}", &clock[hour.len()..]);
    }
    let time = ["%I:%M%p", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(&clock, f).ok())
        .ok_or_else(|| format!("no time of day (like 3:00 PM) in {text:?}"))?;
    Ok(date.and_time(time))
}

/// The date at the start of `words` and how many words it took.
fn date_words(
    words: &[String],
    today: NaiveDate,
    text: &str,
) -> Result<(NaiveDate, usize), String> {
    let wrong = || format!("not a date like \"Tue Mar 3\": {text:?}");
    let [weekday, month, day, ..] = words else {
        return Err(wrong());
    };
    let weekday: Weekday = weekday.parse().map_err(|_| wrong())?;
    let month = month_number(month).ok_or_else(wrong)?;
    let day: u32 = day.parse().map_err(|_| wrong())?;
    let year = words
        .get(3)
        .and_then(|y| (y.len() == 4).then(|| y.parse::<i32>().ok()).flatten());
    let date = match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day),
        None => [today.year(), today.year() + 1]
            .into_iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .find(|d| *d >= today - Duration::days(31)),
    }
    .ok_or_else(wrong)?;
    if date.weekday() != weekday {
        return Err(format!(
            "{text:?}: {} is a {}",
            date.format("%b %-d %Y"),
            date.weekday()
        ));
    }
    Ok((date, if year.is_some() { 4 } else { 3 }))
}

fn month_number(name: &str) -> Option<u32> {
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let short = name.get(..3)?;
    months
        .iter()
        .position(|m| *m == short)
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    const BOOKING: &str = "\
# A header sets what every conversation starts with.
hours: mon-fri 09:00-17:00

== books tomorrow at 3 with a bare y
appointment: Wed Mar 4 10:00 AM
> can i get an appt tmrw at 3
< Tue Mar 3, 3:00 PM is open
<! didn't get that
> y
< /you.re booked/
= booked Tue Mar 3 3:00 PM

== stops
consent: opted in
> STOP
< (no reply)
... 2 hours later
> hi
< (no reply)
= nothing changed
= consent opted out
";

    #[test]
    fn a_file_reads_as_conversations_with_their_setup_turns_and_outcomes() {
        let scripts = parse("booking.txt", BOOKING).unwrap();
        assert_eq!(scripts.len(), 2);
        let first = &scripts[0];
        assert_eq!(first.title, "books tomorrow at 3 with a bare y");
        assert_eq!(first.line, 4);
        assert_eq!(first.setup.hours, "mon-fri 09:00-17:00");
        assert_eq!(first.setup.appointments, vec![at(2026, 3, 4, 10, 0)]);
        assert_eq!(first.steps.len(), 2);
        assert_eq!(first.outcomes, vec![Outcome::Booked(at(2026, 3, 3, 15, 0))]);
        let second = &scripts[1];
        assert!(
            second.setup.appointments.is_empty(),
            "setup is per conversation"
        );
        assert!(matches!(second.steps[1], Step::Wait { by } if by == Duration::hours(2)));
        assert_eq!(
            second.outcomes,
            vec![Outcome::NothingChanged, Outcome::ServiceConsent(false)]
        );
    }

    #[test]
    fn expectations_compare_without_case_and_regexes_too() {
        let scripts = parse("booking.txt", BOOKING).unwrap();
        let Step::Text { expect, .. } = &scripts[0].steps[0] else {
            panic!("a text first");
        };
        let reply = Some("TUE MAR 3, 3:00 PM is open. Shall I book it?");
        assert!(expect[0].kind.met_by(reply));
        assert!(expect[1].kind.met_by(reply));
        assert!(!expect[1].kind.met_by(Some("Sorry, I didn't get that.")));
        assert!(!expect[0].kind.met_by(None));
        let Step::Text { expect, .. } = &scripts[0].steps[1] else {
            panic!("a text second");
        };
        assert!(expect[0].kind.met_by(Some("You’re booked for Tue")));
    }

    #[test]
    fn staff_lines_say_what_staff_hear_when_they_release_and_how_it_ends() {
        let text = "== x\n> call me\n< someone will\n<staff call me\n<staff (nothing)\n\
                    * staff releases\n> hi\n< staff will\n= nothing changed\n= with staff\n";
        let scripts = parse("f.txt", text).unwrap();
        let Step::Text { expect, .. } = &scripts[0].steps[0] else {
            panic!("a text first");
        };
        let told: Vec<bool> = expect.iter().map(|e| e.to_staff).collect();
        assert_eq!(told, vec![false, true, true]);
        assert!(matches!(expect[2].kind, ExpectKind::NoReply));
        assert!(matches!(scripts[0].steps[1], Step::Release { line: 6 }));
        let Step::Text { expect, .. } = &scripts[0].steps[2] else {
            panic!("a text after the release");
        };
        assert!(!expect[0].to_staff, "\"< staff will\" is about the reply");
        assert!(scripts[0].outcomes.contains(&Outcome::WithStaff));

        let only_staff = "== x\n> call me\n= with staff\n";
        assert_eq!(parse("f.txt", only_staff).unwrap_err().line, 1);
        let unknown = "== x\n> hi\n* staff waves\n= nothing changed\n";
        assert_eq!(parse("f.txt", unknown).unwrap_err().line, 3);
    }

    #[test]
    fn no_reply_is_met_only_by_silence() {
        let kind = expectation(" (no reply)").unwrap();
        assert!(kind.met_by(None));
        assert!(!kind.met_by(Some("You're unsubscribed")));
    }

    #[test]
    fn mistakes_are_reported_at_their_line() {
        let wrong_weekday = "== x\n> hi\n= booked Wed Mar 3 3:00 PM\n";
        let err = parse("f.txt", wrong_weekday).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("is a Tue"), "{err}");

        let no_outcome = "== x\n> hi\n< hello\n\n== y\n> hi\n= nothing changed\n";
        assert_eq!(parse("f.txt", no_outcome).unwrap_err().line, 1);

        let stray = "== x\n> hi\nwhat is this\n= nothing changed\n";
        assert_eq!(parse("f.txt", stray).unwrap_err().line, 3);

        let reply_first = "== x\n< hello\n";
        assert_eq!(parse("f.txt", reply_first).unwrap_err().line, 2);
    }

    #[test]
    fn times_are_read_as_people_write_them_in_the_nearest_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        assert_eq!(
            local_time("Tue Jan 5, 3pm", today),
            Ok(at(2027, 1, 5, 15, 0))
        );
        assert_eq!(
            local_time("mon dec 28 9:30 am", today),
            Ok(at(2026, 12, 28, 9, 30))
        );
        assert_eq!(
            local_time("Mon Mar 2 2026 13:00", today),
            Ok(at(2026, 3, 2, 13, 0))
        );
        assert!(local_time("Tue Jan 5", today).is_err());
    }

    #[test]
    fn pending_says_why_and_belongs_to_one_conversation() {
        let pending = "== x\npending: needs the handoff\n> talk to a person\n= nothing changed\n";
        let scripts = parse("f.txt", pending).unwrap();
        assert_eq!(scripts[0].pending.as_deref(), Some("needs the handoff"));
        assert!(
            parse(
                "f.txt",
                "pending: all of them\n== x\n> hi\n= nothing changed\n"
            )
            .is_err()
        );
    }
}
