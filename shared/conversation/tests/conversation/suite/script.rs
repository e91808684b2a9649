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
//! service: Check-up 60 minutes, 10 minutes after   a service (buffers: N minutes
//!                                      before / after; "inactive"); none: no services
//! provider: Dr. Lee does Cleaning, Check-up        a provider and what they do
//!                                      ("(inactive)" after the name; ", works
//!                                      tue 09:00-12:00": their own hours); when a
//!                                      file declares providers, only they work
//! closure: Wed Mar 4 1:00 PM - 5:00 PM everyone closed then (a date alone: the day)
//! closure: Dr. Lee Wed Mar 4           that provider off that day
//! taken: Tue Mar 3 3:00 PM             that slot is booked by someone else
//! appointment: Tue Mar 3 3:00 PM       the customer holds this appointment
//!   … with Dr. Lee for Cleaning        (taken, appointment, visited, booked,
//!                                      cancelled, moved …->: with whom, for what)
//! visited: Mon Feb 23 10:00 AM for Cleaning   a past visit (completed)
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
//! = booked Tue Mar 3 3:00 PM with Dr. Lee for Cleaning   … with them, for that
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
use smsbot_conversation::WeeklyHours;

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
    /// The services the business offers (none: it keeps none, as before).
    pub services: Vec<ServiceLine>,
    /// The providers; none declared: one default provider, "Front desk",
    /// offering every service.
    pub providers: Vec<ProviderLine>,
    pub closures: Vec<ClosureLine>,
    pub taken: Vec<Booking>,
    pub appointments: Vec<Booking>,
    /// The customer's past visits (completed appointments).
    pub visited: Vec<Booking>,
    pub opted_out: bool,
}

/// `service: Check-up 60 minutes, 10 minutes after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    pub line: usize,
    pub name: String,
    pub minutes: i32,
    pub before: i32,
    pub after: i32,
    pub active: bool,
}

/// `provider: Dr. Lee does Cleaning, Check-up, works tue-thu 09:00-13:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderLine {
    pub line: usize,
    pub name: String,
    /// The names of the services they offer.
    pub services: Vec<String>,
    /// Their own hours (`None`: the file's `hours:`).
    pub hours: Option<String>,
    pub active: bool,
}

/// `closure: Dr. Lee Wed Mar 4 1:00 PM - 5:00 PM`: closed from `from` to
/// `to` (business time), for one provider or (`None`) everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureLine {
    pub line: usize,
    pub provider: Option<String>,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// A time, and with whom and for what when the line says so: `Tue Mar 3
/// 3:00 PM with Dr. Lee for Cleaning`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub line: usize,
    pub at: NaiveDateTime,
    pub provider: Option<String>,
    pub service: Option<String>,
}

impl Booking {
    /// "Tue Mar 3 3:00 PM with Dr. Lee for Cleaning", as failures show it.
    pub fn describe(&self) -> String {
        let mut text = self.at.format("%a %b %-d %-I:%M %p").to_string();
        if let Some(provider) = &self.provider {
            text.push_str(&format!(" with {provider}"));
        }
        if let Some(service) = &self.service {
            text.push_str(&format!(" for {service}"));
        }
        text
    }
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
            services: Vec::new(),
            providers: Vec::new(),
            closures: Vec::new(),
            taken: Vec::new(),
            appointments: Vec::new(),
            visited: Vec::new(),
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
    /// A new appointment (with that provider, for that service, when said).
    Booked(Booking),
    Cancelled(Booking),
    /// The appointment set up at the first time, now at the second.
    Moved(NaiveDateTime, Booking),
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
                finished(previous).map_err(|(line, reason)| ScriptError {
                    path: path.to_owned(),
                    line,
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
            setup_line(&mut defaults, None, trimmed, line).map_err(err)?;
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
                .push(outcome(rest.trim(), today, line).map_err(err)?);
            part = Part::Outcomes;
        } else if part == Part::Setup {
            setup_line(&mut script.setup, Some(&mut script.pending), trimmed, line).map_err(err)?;
        } else {
            return Err(err(format!(
                "not a text (>), a reply (<), a wait (...), a staff action (*) or an outcome (=): {trimmed:?}"
            )));
        }
    }
    if let Some(last) = scripts.last() {
        finished(last).map_err(|(line, reason)| ScriptError {
            path: path.to_owned(),
            line,
            reason,
        })?;
    }
    Ok(scripts)
}

/// A conversation is complete: it texts something and says how it ends,
/// and every service and provider it names is declared. `Err`: the line and
/// what is wrong.
fn finished(script: &Script) -> Result<(), (usize, String)> {
    let at_title = |reason: String| (script.line, reason);
    if !script.steps.iter().any(|s| matches!(s, Step::Text { .. })) {
        return Err(at_title(format!("{:?} has no text (>)", script.title)));
    }
    let about_appointments = script.outcomes.iter().any(|o| {
        !matches!(
            o,
            Outcome::ServiceConsent(_) | Outcome::MarketingConsent(_) | Outcome::WithStaff
        )
    });
    if !about_appointments {
        return Err(at_title(format!(
            "{:?} does not say what happens to appointments (= booked …, or = nothing changed)",
            script.title
        )));
    }
    catalog_names(script)
}

/// Every service and provider a line names is declared (`service:`,
/// `provider:`), once; past visits are in the past.
fn catalog_names(script: &Script) -> Result<(), (usize, String)> {
    let setup = &script.setup;
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    for (i, s) in setup.services.iter().enumerate() {
        if setup.services[..i].iter().any(|o| same(&o.name, &s.name)) {
            return Err((
                s.line,
                format!("the service {:?} is declared twice", s.name),
            ));
        }
    }
    for (i, p) in setup.providers.iter().enumerate() {
        if setup.providers[..i].iter().any(|o| same(&o.name, &p.name)) {
            return Err((
                p.line,
                format!("the provider {:?} is declared twice", p.name),
            ));
        }
    }
    let service = |line: usize, name: &str| {
        if setup.services.iter().any(|s| same(&s.name, name)) {
            Ok(())
        } else if setup.services.is_empty() {
            Err((
                line,
                format!("{name:?} is no service: no service: line declares any"),
            ))
        } else {
            let known: Vec<&str> = setup.services.iter().map(|s| s.name.as_str()).collect();
            Err((
                line,
                format!("{name:?} is no service declared ({})", known.join(", ")),
            ))
        }
    };
    let provider = |line: usize, name: &str| {
        if setup.providers.iter().any(|p| same(&p.name, name)) {
            Ok(())
        } else if setup.providers.is_empty() {
            Err((
                line,
                format!("{name:?} is no provider: no provider: line declares any"),
            ))
        } else {
            let known: Vec<&str> = setup.providers.iter().map(|p| p.name.as_str()).collect();
            Err((
                line,
                format!("{name:?} is no provider declared ({})", known.join(", ")),
            ))
        }
    };
    for p in &setup.providers {
        if p.services.is_empty() && !setup.services.is_empty() {
            return Err((
                p.line,
                format!("say what {} does (provider: {} does …)", p.name, p.name),
            ));
        }
        for name in &p.services {
            service(p.line, name)?;
        }
    }
    for c in &setup.closures {
        if let Some(name) = &c.provider {
            provider(c.line, name)?;
        }
    }
    let outcomes = script.outcomes.iter().filter_map(|o| match o {
        Outcome::Booked(b) | Outcome::Cancelled(b) | Outcome::Moved(_, b) => Some(b),
        _ => None,
    });
    let bookings = setup
        .taken
        .iter()
        .chain(&setup.appointments)
        .chain(&setup.visited);
    for b in bookings.chain(outcomes) {
        if let Some(name) = &b.service {
            service(b.line, name)?;
        }
        if let Some(name) = &b.provider {
            provider(b.line, name)?;
        }
    }
    if let Some(v) = setup.visited.iter().find(|v| v.at >= setup.now) {
        return Err((
            v.line,
            format!("visited: {} is not in the past", v.describe()),
        ));
    }
    Ok(())
}

fn setup_line(
    setup: &mut Setup,
    pending: Option<&mut Option<String>>,
    line: &str,
    number: usize,
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
        "taken" => setup.taken.push(booking(value, today, number)?),
        "appointment" => setup.appointments.push(booking(value, today, number)?),
        "visited" => setup.visited.push(booking(value, today, number)?),
        "service" => setup.services.push(service_line(value, number)?),
        "provider" => setup.providers.push(provider_line(value, number)?),
        "closure" => setup.closures.push(closure_line(value, today, number)?),
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

fn outcome(text: &str, today: NaiveDate, line: usize) -> Result<Outcome, String> {
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    match (verb, rest) {
        ("nothing", "changed" | "booked") => Ok(Outcome::NothingChanged),
        ("booked", at) => Ok(Outcome::Booked(booking(at, today, line)?)),
        ("cancelled" | "canceled", at) => Ok(Outcome::Cancelled(booking(at, today, line)?)),
        ("moved", span) => {
            let (from, to) = span
                .split_once("->")
                .ok_or("moved: from -> to".to_owned())?;
            Ok(Outcome::Moved(
                local_time(from.trim(), today)?,
                booking(to.trim(), today, line)?,
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

/// "Tue Mar 3 3:00 PM with Dr. Lee for Cleaning": a time, then (in either
/// order, each at most once) `with` a provider and `for` a service.
fn booking(text: &str, today: NaiveDate, line: usize) -> Result<Booking, String> {
    let lower = text.to_ascii_lowercase();
    let mut cuts: Vec<(usize, &str)> = [" with ", " for "]
        .into_iter()
        .flat_map(|key| lower.match_indices(key).map(move |(at, _)| (at, key)))
        .collect();
    cuts.sort_unstable();
    let time_ends = cuts.first().map_or(text.len(), |(at, _)| *at);
    let mut booking = Booking {
        line,
        at: local_time(text[..time_ends].trim(), today)?,
        provider: None,
        service: None,
    };
    for (n, (at, key)) in cuts.iter().enumerate() {
        let ends = cuts.get(n + 1).map_or(text.len(), |(next, _)| *next);
        let name = text[at + key.len()..ends].trim();
        let said = match *key {
            " with " => &mut booking.provider,
            _ => &mut booking.service,
        };
        if name.is_empty() {
            return Err(format!(
                "{:?} names nobody and nothing: {text:?}",
                key.trim()
            ));
        }
        if said.replace(name.to_owned()).is_some() {
            return Err(format!("{:?} said twice: {text:?}", key.trim()));
        }
    }
    Ok(booking)
}

/// A length: "30 minutes", "45 min", "1 hour".
fn length(n: &str, unit: &str) -> Option<i32> {
    let n: i32 = n.parse().ok()?;
    match unit.to_ascii_lowercase().as_str() {
        "minute" | "minutes" | "min" | "mins" => Some(n),
        "hour" | "hours" => n.checked_mul(60),
        _ => None,
    }
}

/// "Cleaning 30 minutes", "Check-up 60 minutes, 10 minutes after",
/// "Deep clean 1 hour, 15 minutes before, 10 minutes after, inactive".
fn service_line(value: &str, line: usize) -> Result<ServiceLine, String> {
    let wrong = || {
        format!(
            "service: a name and a length (service: Check-up 60 minutes, 10 minutes after), not {value:?}"
        )
    };
    let mut parts = value.split(',').map(str::trim);
    let words: Vec<&str> = parts
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let [name @ .., n, unit] = words.as_slice() else {
        return Err(wrong());
    };
    if name.is_empty() {
        return Err(wrong());
    }
    let mut service = ServiceLine {
        line,
        name: name.join(" "),
        minutes: length(n, unit).ok_or_else(wrong)?,
        before: 0,
        after: 0,
        active: true,
    };
    for part in parts {
        let words: Vec<&str> = part.split_whitespace().collect();
        let buffer = |n: &str, unit: &str| {
            length(n, unit)
                .filter(|m| (0..=240).contains(m))
                .ok_or_else(|| format!("service: a buffer of 0 to 240 minutes, not {part:?}"))
        };
        match words.as_slice() {
            ["inactive"] => service.active = false,
            [n, unit, "before"] => service.before = buffer(n, unit)?,
            [n, unit, "after"] => service.after = buffer(n, unit)?,
            _ => {
                return Err(format!(
                    "service: after the length come \"N minutes before\", \"N minutes after\" or \"inactive\", not {part:?}"
                ));
            }
        }
    }
    if !(1..=1440).contains(&service.minutes) {
        return Err(format!(
            "service: a length of 1 to 1440 minutes, not {value:?}"
        ));
    }
    Ok(service)
}

/// Where `word` stands on its own in `lower`, first.
fn find_word(lower: &str, word: &str) -> Option<usize> {
    lower.match_indices(word).map(|(at, _)| at).find(|at| {
        let before = lower[..*at].chars().next_back();
        let after = lower[at + word.len()..].chars().next();
        before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
    })
}

/// "Dr. Lee does Cleaning, Check-up", "Alex (inactive) does Cleaning",
/// "Sam does Cleaning, works sat 10:00-14:00" (their own hours), or a bare
/// name in a business without services.
fn provider_line(value: &str, line: usize) -> Result<ProviderLine, String> {
    let lower = value.to_ascii_lowercase();
    let (rest, hours) = match find_word(&lower, "works") {
        Some(at) => {
            let hours = value[at + "works".len()..].trim();
            WeeklyHours::parse(hours).map_err(|e| format!("provider: works {e}"))?;
            (
                value[..at].trim().trim_end_matches(','),
                Some(hours.to_owned()),
            )
        }
        None => (value, None),
    };
    let (name, services) = match find_word(&rest.to_ascii_lowercase(), "does") {
        Some(at) => {
            let services: Vec<String> = rest[at + "does".len()..]
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect();
            if services.iter().any(String::is_empty) {
                return Err(format!(
                    "provider: the services they do, separated by commas, not {value:?}"
                ));
            }
            (rest[..at].trim(), services)
        }
        None => (rest.trim(), Vec::new()),
    };
    let (name, active) = match name.strip_suffix("(inactive)") {
        Some(name) => (name.trim(), false),
        None => (name, true),
    };
    if name.is_empty() {
        return Err(format!(
            "provider: a name (provider: Dr. Lee does Cleaning, Check-up), not {value:?}"
        ));
    }
    Ok(ProviderLine {
        line,
        name: name.to_owned(),
        services,
        hours,
        active,
    })
}

/// "Wed Mar 4" (the whole day), "Wed Mar 4 1:00 PM - 5:00 PM", "Wed Mar 4 -
/// Fri Mar 6" (whole days), "Wed Mar 4 3pm - Thu Mar 5 11am"; after a
/// provider's name ("Dr. Lee Wed Mar 4"), that provider's time off.
fn closure_line(value: &str, today: NaiveDate, line: usize) -> Result<ClosureLine, String> {
    let wrong = || {
        format!(
            "closure: [a provider] a date like \"Wed Mar 4\" [1:00 PM - 5:00 PM], not {value:?}"
        )
    };
    let words: Vec<(usize, &str)> = value
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - value.as_ptr() as usize, w))
        .collect();
    let date_at = words
        .windows(2)
        .find(|pair| {
            let weekday = pair[0].1.trim_end_matches(',').to_ascii_lowercase();
            weekday.parse::<Weekday>().is_ok()
                && month_number(&pair[1].1.to_ascii_lowercase()).is_some()
        })
        .map(|pair| pair[0].0)
        .ok_or_else(wrong)?;
    let provider = value[..date_at].trim().trim_end_matches(',').trim();
    let span = &value[date_at..];
    let (from, to) = match span.split_once(" - ").or_else(|| span.split_once(" to ")) {
        None if local_time(span, today).is_ok() => {
            return Err(format!(
                "closure: from when to when (Wed Mar 4 1:00 PM - 5:00 PM), not {value:?}"
            ));
        }
        None => {
            let day = whole_date(span, today)?;
            (day, day + Duration::days(1))
        }
        Some((from, to)) => {
            let (from, to) = (from.trim(), to.trim());
            let from = local_time(from, today).or_else(|_| whole_date(from, today))?;
            let to = local_time(to, today)
                .or_else(|e| {
                    let words: Vec<String> =
                        to.split_whitespace().map(str::to_ascii_lowercase).collect();
                    clock(&words.join(""))
                        .map(|t| from.date().and_time(t))
                        .ok_or(e)
                })
                .or_else(|_| whole_date(to, today).map(|d| d + Duration::days(1)))?;
            (from, to)
        }
    };
    if to <= from {
        return Err(format!("closure: it must end after it starts: {value:?}"));
    }
    Ok(ClosureLine {
        line,
        provider: (!provider.is_empty()).then(|| provider.to_owned()),
        from,
        to,
    })
}

/// "Wed Mar 4" and nothing more: its midnight.
fn whole_date(text: &str, today: NaiveDate) -> Result<NaiveDateTime, String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let (date, used) = date_words(&words, today, text)?;
    if words.len() > used {
        return Err(format!(
            "not a date nor a time like \"Wed Mar 4 1:00 PM\": {text:?}"
        ));
    }
    Ok(date.and_time(NaiveTime::MIN))
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
    let time = clock(&words[used..].join(""))
        .ok_or_else(|| format!("no time of day (like 3:00 PM) in {text:?}"))?;
    Ok(date.and_time(time))
}

/// "3:00pm", "3pm", "15:30" (lower case, without spaces).
fn clock(text: &str) -> Option<NaiveTime> {
    let mut clock = text.to_owned();
    if !clock.contains(':')
        && let Some(hour) = clock
            .strip_suffix("am")
            .or_else(|| clock.strip_suffix("pm"))
    {
        // "3pm" is "3:00pm".
        clock = format!("{hour}:00{}", &clock[hour.len()..]);
    }
    ["%I:%M%p", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(&clock, f).ok())
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
        let held: Vec<NaiveDateTime> = first.setup.appointments.iter().map(|b| b.at).collect();
        assert_eq!(held, vec![at(2026, 3, 4, 10, 0)]);
        assert_eq!(first.steps.len(), 2);
        assert_eq!(
            first.outcomes,
            vec![Outcome::Booked(Booking {
                line: 11,
                at: at(2026, 3, 3, 15, 0),
                provider: None,
                service: None,
            })]
        );
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

    const PRACTICE: &str = "\
service: Cleaning 30 minutes
service: Check-up 1 hour, 5 minutes before, 10 minutes after
service: Whitening 45 min, inactive
provider: Dr. Lee does Cleaning, Check-up
provider: Alex (inactive) does cleaning, works sat 10:00-14:00
closure: Wed Mar 4 1:00 PM - 5:00 PM

== a check-up with dr lee
closure: Dr. Lee Thu Mar 5
closure: Fri Mar 6 - Mon Mar 9
taken: Tue Mar 3 10:00 AM with Dr. Lee for Check-up
appointment: Tue Mar 3 3pm for Cleaning with Dr. Lee
visited: Mon Feb 23 10:00 AM for Cleaning
> checkup w dr lee tmrw
= booked Tue Mar 3 11:30 AM with Dr. Lee for Check-up
= moved Tue Mar 3 3:00 PM -> Wed Mar 4 9:00 AM for Cleaning
";

    #[test]
    fn services_providers_and_closures_are_set_up_and_bookings_say_with_whom_and_for_what() {
        let scripts = parse("services.txt", PRACTICE).unwrap();
        let setup = &scripts[0].setup;
        let names: Vec<(&str, i32, i32, i32, bool)> = setup
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.minutes, s.before, s.after, s.active))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Cleaning", 30, 0, 0, true),
                ("Check-up", 60, 5, 10, true),
                ("Whitening", 45, 0, 0, false),
            ]
        );
        let lee = &setup.providers[0];
        assert_eq!(
            (
                lee.name.as_str(),
                lee.services.clone(),
                lee.hours.clone(),
                lee.active
            ),
            (
                "Dr. Lee",
                vec!["Cleaning".to_owned(), "Check-up".to_owned()],
                None,
                true
            )
        );
        let alex = &setup.providers[1];
        assert_eq!(alex.name, "Alex");
        assert!(!alex.active);
        assert_eq!(alex.hours.as_deref(), Some("sat 10:00-14:00"));
        let closures: Vec<(Option<&str>, NaiveDateTime, NaiveDateTime)> = setup
            .closures
            .iter()
            .map(|c| (c.provider.as_deref(), c.from, c.to))
            .collect();
        assert_eq!(
            closures,
            vec![
                (None, at(2026, 3, 4, 13, 0), at(2026, 3, 4, 17, 0)),
                (Some("Dr. Lee"), at(2026, 3, 5, 0, 0), at(2026, 3, 6, 0, 0)),
                (None, at(2026, 3, 6, 0, 0), at(2026, 3, 10, 0, 0)),
            ]
        );
        let taken = &setup.taken[0];
        assert_eq!(
            (taken.provider.as_deref(), taken.service.as_deref()),
            (Some("Dr. Lee"), Some("Check-up"))
        );
        let held = &setup.appointments[0];
        assert_eq!(held.at, at(2026, 3, 3, 15, 0));
        assert_eq!(
            (held.provider.as_deref(), held.service.as_deref()),
            (Some("Dr. Lee"), Some("Cleaning"))
        );
        assert_eq!(setup.visited[0].at, at(2026, 2, 23, 10, 0));
        let Outcome::Moved(from, to) = &scripts[0].outcomes[1] else {
            panic!("a move second");
        };
        assert_eq!(*from, at(2026, 3, 3, 15, 0));
        assert_eq!(to.describe(), "Wed Mar 4 9:00 AM for Cleaning");
    }

    #[test]
    fn services_and_providers_must_be_declared_and_lines_well_formed() {
        let header = "service: Cleaning 30 minutes\nprovider: Dr. Lee does Cleaning\n";
        let cases = [
            (
                "== x\n> hi\n= booked Tue Mar 3 3pm for Check-up\n",
                5,
                "no service declared",
            ),
            (
                "== x\ntaken: Tue Mar 3 3pm with Dr. Kim\n> hi\n= nothing changed\n",
                4,
                "no provider",
            ),
            (
                "== x\nclosure: Dr. Kim Wed Mar 4\n> hi\n= nothing changed\n",
                4,
                "no provider",
            ),
            (
                "== x\nprovider: Alex\n> hi\n= nothing changed\n",
                4,
                "say what Alex does",
            ),
            (
                "== x\nprovider: Alex does Waxing\n> hi\n= nothing changed\n",
                4,
                "no service",
            ),
            (
                "== x\nservice: cleaning 45 minutes\n> hi\n= nothing changed\n",
                4,
                "twice",
            ),
            (
                "== x\nvisited: Tue Mar 3 3pm\n> hi\n= nothing changed\n",
                4,
                "not in the past",
            ),
            (
                "== x\nservice: Waxing\n> hi\n= nothing changed\n",
                4,
                "a name and a length",
            ),
            (
                "== x\nservice: Waxing 30 minutes, 5 minutes later\n> hi\n= nothing changed\n",
                4,
                "before",
            ),
            (
                "== x\nclosure: tomorrow\n> hi\n= nothing changed\n",
                4,
                "a date like",
            ),
            (
                "== x\nclosure: Wed Mar 4 1pm\n> hi\n= nothing changed\n",
                4,
                "from when to when",
            ),
            (
                "== x\nclosure: Wed Mar 4 5pm - 1pm\n> hi\n= nothing changed\n",
                4,
                "end after",
            ),
            (
                "== x\n> hi\n= booked Tue Mar 3 3pm for\n",
                5,
                "no time of day",
            ),
            (
                "== x\n> hi\n= booked Tue Mar 3 3pm for Cleaning for Cleaning\n",
                5,
                "said twice",
            ),
        ];
        for (text, line, words) in cases {
            let err = parse("f.txt", &format!("{header}{text}")).unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.reason.contains(words), "{text}: {err}");
        }
        let without = "== x\n> hi\n= booked Tue Mar 3 3pm for Cleaning\n";
        let err = parse("f.txt", without).unwrap_err();
        assert!(
            err.reason.contains("no service: line declares any"),
            "{err}"
        );
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
