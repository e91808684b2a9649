//! Plays one scripted conversation against a database of its own, through the
//! real turn pipeline: the batch handler, the turn, offline understanding, the
//! scheduling engine in Postgres and the outbox, with the console as the phone
//! and a clock that moves only when the script says so.
//!
//! Owns setting the world up from a script's setup (through the store's own
//! functions, as the product would) and comparing what happened with what the
//! script expects; must not decide anything a turn decides.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use deadpool_postgres::tokio_postgres;
use smsbot_config::Settings;
use smsbot_conversation::{
    Conversation, Handoff, InMemoryStaffAlerts, Policy, WeeklyHours, handle_batch,
};
use smsbot_domain::{
    AppointmentId, AppointmentStatus, ConsentSource, ConsentState, ContactId, PhoneNumber,
};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{Clock, ConsoleSender, ManualClock, Outbox};
use smsbot_store::appointments::{self, AppointmentFilter, BookingOutcome, BookingRules};
use smsbot_store::{availability, consent, contacts, handoffs};
use smsbot_test_support::TestDatabase;

use super::script::{Expect, Outcome, Script, Setup, Step};
use crate::support::{event, record};

/// The customer of every conversation.
const CUSTOMER: &str = "+14155550101";
/// Whoever holds the slots a setup calls taken.
const SOMEONE_ELSE: &str = "+14155550177";

/// Why a conversation did not go as written, at the line that says so.
#[derive(Debug)]
pub struct Failure {
    pub line: usize,
    pub what: String,
}

impl Failure {
    fn at(line: usize, what: impl Into<String>) -> Self {
        Self {
            line,
            what: what.into(),
        }
    }
}

/// A migrated database that every conversation's database is copied from:
/// copying is several times faster than migrating each one.
pub struct Template(TestDatabase);

impl Template {
    pub async fn create() -> Self {
        let db = TestDatabase::create_with_pool(1).await;
        db.pool.close();
        Self(db)
    }

    /// A fresh database of its own, copied from the template (dropped with
    /// the value it returns).
    async fn copy(&self) -> TestDatabase {
        let server = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by scripts/dev-env");
        let (admin, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        tokio::spawn(connection);
        let name = format!("smsbot_test_{}", uuid::Uuid::new_v4().simple());
        let create = format!("CREATE DATABASE {name} TEMPLATE {}", self.0.name);
        // The template's last connection may take a moment to go.
        let mut attempts = 0;
        while let Err(err) = admin.batch_execute(&create).await {
            attempts += 1;
            assert!(attempts < 50, "copy the template database: {err}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut url = url::Url::parse(&server).expect("DATABASE_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        let pool = smsbot_store::connect(&url, 4).expect("a pool");
        TestDatabase { pool, name, url }
    }
}

/// Plays `script` on a database of its own (dropped with it); `Err` says
/// where and how it went otherwise.
pub async fn play(template: &Template, script: &Script) -> Result<(), Failure> {
    let db = &template.copy().await;
    let setup = &script.setup;
    let broken = |what: String| Failure::at(script.line, format!("setup: {what}"));
    let settings = settings(setup).map_err(broken)?;
    let policy = Policy::from_settings(&settings).map_err(|e| broken(e.to_string()))?;
    let tz = policy.timezone;
    let now = local(tz, setup.now).map_err(broken)?;

    let world = World::build(db, setup, tz, now).await.map_err(broken)?;

    let phone = Arc::new(ConsoleSender::quiet());
    let clock = Arc::new(ManualClock::at(now));
    let outbox = Outbox::new(db.pool.clone(), phone.clone(), clock.clone(), tz);
    let staff = Arc::new(InMemoryStaffAlerts::default());
    let conversation = Conversation::new(
        db.pool.clone(),
        Arc::new(OfflineUnderstander),
        outbox,
        clock.clone(),
        policy,
    )
    .with_handoff(Handoff::new(Duration::hours(24), staff.clone()));

    for (n, step) in script.steps.iter().enumerate() {
        match step {
            Step::Wait { by } => clock.advance(*by),
            Step::Release { line } => {
                let client = db
                    .pool
                    .get()
                    .await
                    .map_err(|e| Failure::at(*line, e.to_string()))?;
                handoffs::release(&client, world.customer, clock.now())
                    .await
                    .map_err(|e| Failure::at(*line, e.to_string()))?
                    .ok_or_else(|| {
                        Failure::at(*line, "staff release, but nothing is with staff")
                    })?;
            }
            Step::Text { line, body, expect } => {
                let told_before = staff.sent().len();
                let sid = format!("SM{:032x}", (n as u128) + 1);
                let response = handle_batch(
                    &conversation,
                    event(vec![record(&sid, CUSTOMER, body, &sid)]),
                )
                .await;
                if !response.batch_item_failures.is_empty() {
                    return Err(Failure::at(*line, "the turn failed and would be retried"));
                }
                let sent = phone.take(CUSTOMER);
                let reply = (!sent.is_empty()).then(|| sent.join("\n"));
                let told: Vec<String> = staff.sent()[told_before..]
                    .iter()
                    .map(|alert| format!("{}\n{}", alert.subject, alert.body))
                    .collect();
                let told = (!told.is_empty()).then(|| told.join("\n"));
                for e in expect {
                    let (heard, whom) = if e.to_staff {
                        (told.as_deref(), "staff are told")
                    } else {
                        (reply.as_deref(), "the reply is")
                    };
                    if !e.kind.met_by(heard) {
                        return Err(unmet(e, body, whom, heard));
                    }
                }
                if expect.is_empty() && reply.is_none() {
                    // A text with no expectation still gets an answer, unless
                    // the script says `< (no reply)`.
                    return Err(Failure::at(*line, format!("> {body}\n    got no reply")));
                }
            }
        }
    }
    world.check(db, script, tz, clock.now()).await
}

fn unmet(e: &Expect, body: &str, whom: &str, heard: Option<&str>) -> Failure {
    let target = if e.to_staff { "staff: " } else { "" };
    Failure::at(
        e.line,
        format!(
            "> {body}\n    expected {target}{}\n    {whom} {}",
            e.kind.describe(),
            heard.map_or("nothing".to_owned(), |r| format!("{r:?}"))
        ),
    )
}

/// The settings a business with this setup runs with, read as in production.
fn settings(setup: &Setup) -> Result<Settings, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("BUSINESS_TIMEZONE".into(), setup.timezone.clone());
    vars.insert("BUSINESS_NAME".into(), setup.name.clone());
    vars.insert("BUSINESS_HOURS".into(), setup.hours.clone());
    if let Some(address) = &setup.address {
        vars.insert("BUSINESS_ADDRESS".into(), address.clone());
    }
    if let Some(phone) = &setup.phone {
        vars.insert("BUSINESS_PHONE".into(), phone.clone());
    }
    if let Some(website) = &setup.website {
        vars.insert("BUSINESS_WEBSITE".into(), website.clone());
    }
    if !setup.faq.is_empty() {
        let faq: Vec<serde_json::Value> = setup
            .faq
            .iter()
            .map(|(question, answer)| serde_json::json!({"question": question, "answer": answer}))
            .collect();
        vars.insert(
            "BUSINESS_FAQ".into(),
            serde_json::Value::from(faq).to_string(),
        );
    }
    Settings::from_vars(&vars).map_err(|e| e.to_string())
}

fn local(tz: Tz, at: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    tz.from_local_datetime(&at)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{at} does not exist in {tz}"))
}

/// The database as the setup describes it, and what the check needs to know.
struct World {
    customer: ContactId,
    /// The customer's appointments from the setup, with their local times.
    held: Vec<(AppointmentId, NaiveDateTime)>,
    opted_out: bool,
}

impl World {
    async fn build(
        db: &TestDatabase,
        setup: &Setup,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let hours = WeeklyHours::parse(&setup.hours).map_err(|e| e.to_string())?;
        let slots: Vec<_> = hours
            .slots(
                tz,
                setup.now.date(),
                5,
                Duration::minutes(setup.slot_minutes),
                1,
            )
            .into_iter()
            .filter(|s| {
                !setup
                    .closed
                    .contains(&s.starts_at.with_timezone(&tz).date_naive())
            })
            .collect();
        let mut client = db.pool.get().await.map_err(|e| e.to_string())?;
        let tx = client.transaction().await.map_err(|e| e.to_string())?;
        let store = |e: smsbot_store::StoreError| e.to_string();
        let provider = availability::ensure_provider(&tx, "Front desk")
            .await
            .map_err(store)?;
        availability::insert_missing(&tx, provider, &slots)
            .await
            .map_err(store)?;
        let phone = |p: &str| PhoneNumber::parse_e164(p).map_err(|e| e.to_string());
        let customer = contacts::find_or_create_by_phone(&tx, &phone(CUSTOMER)?)
            .await
            .map_err(store)?;
        let someone_else = contacts::find_or_create_by_phone(&tx, &phone(SOMEONE_ELSE)?)
            .await
            .map_err(store)?;
        // Setup may place appointments anywhere in the coming weeks.
        let rules = BookingRules {
            earliest: now,
            latest: now + Duration::weeks(6),
            max_open: 100,
            now,
        };
        let mut held = Vec::new();
        let bookings = setup
            .taken
            .iter()
            .map(|at| (someone_else, at))
            .chain(setup.appointments.iter().map(|at| (customer, at)));
        for (contact, at) in bookings {
            let starts = local(tz, *at)?;
            let slot = availability::open_near(
                &tx,
                Default::default(),
                starts,
                starts + Duration::seconds(1),
                starts,
                1,
            )
            .await
            .map_err(store)?
            .into_iter()
            .next()
            .ok_or_else(|| format!("no open slot at {at} (outside the hours, or taken)"))?;
            match appointments::book(&tx, contact, slot.id, &rules)
                .await
                .map_err(store)?
            {
                BookingOutcome::Booked(a) if contact == customer => held.push((a.id, *at)),
                BookingOutcome::Booked(_) => {}
                other => return Err(format!("booking {at} in the setup: {other:?}")),
            }
        }
        if setup.opted_out {
            consent::set_consent(
                &tx,
                customer,
                ConsentState::OptedOut,
                ConsentSource::Keyword,
                Some("STOP"),
            )
            .await
            .map_err(store)?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        Ok(Self {
            customer,
            held,
            opted_out: setup.opted_out,
        })
    }

    /// Compares the customer's appointments and consent with the outcomes.
    async fn check(
        &self,
        db: &TestDatabase,
        script: &Script,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let end = script
            .steps
            .iter()
            .rev()
            .find_map(|s| match s {
                Step::Text { line, .. } => Some(*line),
                Step::Wait { .. } | Step::Release { .. } => None,
            })
            .unwrap_or(script.line)
            + 1;
        let fail = |what: String| Failure::at(end, what);
        let client = db.pool.get().await.map_err(|e| fail(e.to_string()))?;
        let filter = AppointmentFilter {
            contact_id: Some(self.customer),
            ..AppointmentFilter::default()
        };
        let found = appointments::list_filtered(&client, filter, None, 1000)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let as_local = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local();
        let show = |status: AppointmentStatus, at: NaiveDateTime| {
            format!("{} {}", status.as_str(), at.format("%a %b %-d %-I:%M %p"))
        };

        // What the script says the appointments are at the end.
        let mut expected_held: HashMap<AppointmentId, (AppointmentStatus, NaiveDateTime)> = self
            .held
            .iter()
            .map(|(id, at)| (*id, (AppointmentStatus::Booked, *at)))
            .collect();
        let mut expected_new: Vec<(AppointmentStatus, NaiveDateTime)> = Vec::new();
        let held_at =
            |at: NaiveDateTime| self.held.iter().find(|(_, t)| *t == at).map(|(id, _)| *id);
        let mut service = !self.opted_out;
        let mut marketing: Option<bool> = None;
        let mut with_staff = false;
        for outcome in &script.outcomes {
            match outcome {
                Outcome::NothingChanged => {}
                Outcome::Booked(at) => expected_new.push((AppointmentStatus::Booked, *at)),
                Outcome::Cancelled(at) => match held_at(*at) {
                    Some(id) => {
                        expected_held.insert(id, (AppointmentStatus::Cancelled, *at));
                    }
                    None => expected_new.push((AppointmentStatus::Cancelled, *at)),
                },
                Outcome::Moved(from, to) => {
                    let id = held_at(*from).ok_or_else(|| {
                        fail(format!("moved: the setup has no appointment at {from}"))
                    })?;
                    expected_held.insert(id, (AppointmentStatus::Booked, *to));
                }
                Outcome::ServiceConsent(on) => service = *on,
                Outcome::MarketingConsent(on) => marketing = Some(*on),
                Outcome::WithStaff => with_staff = true,
            }
        }

        let mut problems = Vec::new();
        let mut actual_new = Vec::new();
        for a in &found {
            let now = (a.status, as_local(a.starts_at));
            match expected_held.remove(&a.id) {
                Some(want) if want == now => {}
                Some(want) => problems.push(format!(
                    "the appointment set up at {} is {}, expected {}",
                    self.held
                        .iter()
                        .find(|(id, _)| *id == a.id)
                        .map(|(_, t)| t.format("%a %b %-d %-I:%M %p").to_string())
                        .unwrap_or_default(),
                    show(now.0, now.1),
                    show(want.0, want.1)
                )),
                None => actual_new.push(now),
            }
        }
        for want in &expected_new {
            match actual_new.iter().position(|got| got == want) {
                Some(i) => {
                    actual_new.remove(i);
                }
                None => problems.push(format!("expected {}, not found", show(want.0, want.1))),
            }
        }
        for extra in actual_new {
            problems.push(format!("unexpected: {}", show(extra.0, extra.1)));
        }

        let status = consent::status_of(&client, self.customer, false)
            .await
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("the customer is gone".to_owned()))?;
        let opted_in = |s: Option<ConsentState>| s == Some(ConsentState::OptedIn);
        if opted_in(status.service.state) != service {
            problems.push(format!(
                "service consent is {:?}, expected {}",
                status.service.state,
                if service { "opted in" } else { "opted out" }
            ));
        }
        let marketing = marketing.unwrap_or(false);
        if opted_in(status.marketing.state) != marketing {
            problems.push(format!(
                "marketing consent is {:?}, expected {}",
                status.marketing.state,
                if marketing { "opted in" } else { "no opt-in" }
            ));
        }
        let handed = handoffs::open_at(&client, self.customer, now)
            .await
            .map_err(|e| fail(e.to_string()))?
            .is_some();
        if handed != with_staff {
            problems.push(if handed {
                "the conversation is with staff (say = with staff if it should be)".to_owned()
            } else {
                "the conversation is with the bot, expected with staff".to_owned()
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(fail(format!("at the end: {}", problems.join("; "))))
        }
    }
}
