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
use deadpool_postgres::{GenericClient, tokio_postgres};
use smsbot_config::Settings;
use smsbot_conversation::{
    Conversation, Handoff, InMemoryStaffAlerts, Policy, WeeklyHours, handle_batch,
};
use smsbot_domain::{
    AppointmentId, AppointmentStatus, ConsentSource, ConsentState, ContactId, PhoneNumber,
};
use smsbot_domain::{ProviderId, ServiceId};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{Clock, ConsoleSender, ManualClock, Outbox};
use smsbot_store::appointments::{
    self, AppointmentFilter, BookingOutcome, BookingRequest, BookingRules,
};
use smsbot_store::availability::{self, NewSlot, Wanted};
use smsbot_store::closures::{self, NewClosure};
use smsbot_store::providers::{self, ProviderFields};
use smsbot_store::services::{self, ServiceFields};
use smsbot_store::{consent, contacts, handoffs};
use smsbot_test_support::TestDatabase;

use super::script::{Booking, Expect, Outcome, Script, Setup, Step};
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

/// Books what a setup line says for `contact`, through the engine.
async fn book(
    tx: &impl GenericClient,
    contact: ContactId,
    booking: &Booking,
    wanted: Wanted,
    at: DateTime<Utc>,
    rules: &BookingRules,
) -> Result<AppointmentId, String> {
    let store = |e: smsbot_store::StoreError| e.to_string();
    let said = booking.describe();
    let slot = availability::open_near(tx, wanted, at, at + Duration::seconds(1), at, 1)
        .await
        .map_err(store)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            format!(
                "line {}: nothing open for {said} (outside the hours, taken, too long to fit, \
                 not done by that provider, or a provider doing several services and none named with `for`)",
                booking.line
            )
        })?;
    let request = BookingRequest {
        contact_id: contact,
        slot_id: slot.id,
        service_id: wanted.service,
    };
    match appointments::book_service(tx, &request, rules)
        .await
        .map_err(store)?
    {
        BookingOutcome::Booked(a) => Ok(a.id),
        other => Err(format!(
            "line {}: booking {said} in the setup: {other:?}",
            booking.line
        )),
    }
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
    /// The customer's appointments from the setup, as the setup says them.
    held: Vec<(AppointmentId, Booking)>,
    /// The customer's past visits, which stay completed.
    visited: Vec<(AppointmentId, Booking)>,
    opted_out: bool,
}

/// The providers and services a setup declares, as stored.
struct Catalog {
    providers: Vec<(ProviderId, String)>,
    services: Vec<(ServiceId, String)>,
    /// Who offers what, as declared (the default provider: everything).
    offers: Vec<(ProviderId, ServiceId)>,
}

impl Catalog {
    fn provider(&self, name: &str) -> Result<ProviderId, String> {
        self.providers
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id)
            .ok_or_else(|| format!("no provider {name:?}"))
    }

    fn service(&self, name: &str) -> Result<ServiceId, String> {
        self.services
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id)
            .ok_or_else(|| format!("no service {name:?}"))
    }

    /// What a setup line wants: the service and provider it names.
    fn wanted(&self, booking: &Booking) -> Result<Wanted, String> {
        Ok(Wanted {
            service: booking
                .service
                .as_deref()
                .map(|s| self.service(s))
                .transpose()?,
            provider: booking
                .provider
                .as_deref()
                .map(|p| self.provider(p))
                .transpose()?,
        })
    }
}

/// Adds the declared services and providers (through the store, as the
/// admin API does); none declared: the default provider, as before.
async fn catalog(db: &TestDatabase, setup: &Setup, now: DateTime<Utc>) -> Result<Catalog, String> {
    let store = |e: smsbot_store::StoreError| e.to_string();
    let client = db.pool.get().await.map_err(|e| e.to_string())?;
    let mut services = Vec::new();
    for s in &setup.services {
        let fields = ServiceFields {
            name: &s.name,
            duration_minutes: s.minutes,
            buffer_before_minutes: s.before,
            buffer_after_minutes: s.after,
            price_cents: None,
            description: None,
            active: s.active,
        };
        let created = services::create(&client, &fields, now)
            .await
            .map_err(store)?;
        services.push((created.id, s.name.clone()));
    }
    let catalog = Catalog {
        providers: Vec::new(),
        services,
        offers: Vec::new(),
    };
    let declared: Vec<(String, Vec<ServiceId>, bool)> = if setup.providers.is_empty() {
        let all = catalog.services.iter().map(|(id, _)| *id).collect();
        vec![(DEFAULT_PROVIDER.to_owned(), all, true)]
    } else {
        setup
            .providers
            .iter()
            .map(|p| {
                let offered = p
                    .services
                    .iter()
                    .map(|s| catalog.service(s))
                    .collect::<Result<_, _>>()?;
                Ok((p.name.clone(), offered, p.active))
            })
            .collect::<Result<_, String>>()?
    };
    let mut catalog = catalog;
    for (name, offered, active) in declared {
        let fields = ProviderFields {
            name: &name,
            active,
            service_ids: &offered,
        };
        let saved = if setup.providers.is_empty() {
            // As before services: the provider there is, or a new one.
            let id = availability::ensure_provider(&client, &name)
                .await
                .map_err(store)?;
            providers::set_services(&db.pool, id, &offered, now)
                .await
                .map_err(store)?
        } else {
            providers::create(&db.pool, &fields, now)
                .await
                .map_err(store)?
        };
        let id = match saved {
            providers::Saved::Provider(p) => p.id,
            other => return Err(format!("adding the provider {name:?}: {other:?}")),
        };
        catalog
            .offers
            .extend(offered.iter().map(|service| (id, *service)));
        catalog.providers.push((id, name));
    }
    Ok(catalog)
}

/// The default provider of a setup that declares none.
const DEFAULT_PROVIDER: &str = "Front desk";

impl World {
    async fn build(
        db: &TestDatabase,
        setup: &Setup,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let catalog = catalog(db, setup, now).await?;
        let length = Duration::minutes(setup.slot_minutes);
        let open_on = |hours: &str| -> Result<Vec<NewSlot>, String> {
            let hours = WeeklyHours::parse(hours).map_err(|e| e.to_string())?;
            Ok(hours
                .slots(tz, setup.now.date(), 5, length, 1)
                .into_iter()
                .filter(|s| {
                    !setup
                        .closed
                        .contains(&s.starts_at.with_timezone(&tz).date_naive())
                })
                .collect())
        };
        let mut client = db.pool.get().await.map_err(|e| e.to_string())?;
        let tx = client.transaction().await.map_err(|e| e.to_string())?;
        let store = |e: smsbot_store::StoreError| e.to_string();
        for (id, name) in &catalog.providers {
            let own = setup
                .providers
                .iter()
                .find(|p| p.name == *name)
                .and_then(|p| p.hours.as_deref());
            let slots = open_on(own.unwrap_or(&setup.hours))?;
            availability::insert_missing(&tx, *id, &slots)
                .await
                .map_err(store)?;
        }
        let phone = |p: &str| PhoneNumber::parse_e164(p).map_err(|e| e.to_string());
        let customer = contacts::find_or_create_by_phone(&tx, &phone(CUSTOMER)?)
            .await
            .map_err(store)?;
        let someone_else = contacts::find_or_create_by_phone(&tx, &phone(SOMEONE_ELSE)?)
            .await
            .map_err(store)?;

        // Past visits first: a slot of their own in the past, booked, and
        // completed below.
        let mut visited = Vec::new();
        for visit in &setup.visited {
            let at = local(tz, visit.at)?;
            let mut wanted = catalog.wanted(visit)?;
            let provider = match wanted.provider {
                Some(p) => p,
                None => catalog
                    .providers
                    .iter()
                    .map(|(id, _)| *id)
                    .find(|p| {
                        wanted
                            .service
                            .is_none_or(|s| catalog.offers.contains(&(*p, s)))
                    })
                    .ok_or_else(|| format!("visited: nobody does {}", visit.describe()))?,
            };
            wanted.provider = Some(provider);
            let minutes = setup
                .services
                .iter()
                .find(|s| {
                    visit
                        .service
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case(&s.name))
                })
                .map_or(setup.slot_minutes, |s| i64::from(s.minutes));
            let count =
                i32::try_from((minutes + setup.slot_minutes - 1) / setup.slot_minutes.max(1))
                    .map_err(|e| e.to_string())?;
            let slots: Vec<NewSlot> = (0..count)
                .map(|i| NewSlot {
                    starts_at: at + length * i,
                    ends_at: at + length * (i + 1),
                    capacity: 1,
                })
                .collect();
            availability::insert_missing(&tx, provider, &slots)
                .await
                .map_err(store)?;
            let rules = BookingRules {
                earliest: at - Duration::days(1),
                latest: now + Duration::weeks(6),
                max_open: 100,
                now: at - Duration::days(1),
            };
            let id = book(&tx, customer, visit, wanted, at, &rules).await?;
            visited.push((id, visit.clone()));
        }
        appointments::complete_past(&tx, now).await.map_err(store)?;

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
            .map(|b| (someone_else, b))
            .chain(setup.appointments.iter().map(|b| (customer, b)));
        for (contact, booking) in bookings {
            let wanted = catalog.wanted(booking)?;
            let at = local(tz, booking.at)?;
            let id = book(&tx, contact, booking, wanted, at, &rules).await?;
            if contact == customer {
                held.push((id, booking.clone()));
            }
        }
        // Closures last: one may fall on an appointment set up.
        for closure in &setup.closures {
            let provider_id = closure
                .provider
                .as_deref()
                .map(|p| catalog.provider(p))
                .transpose()?;
            let closure = NewClosure {
                provider_id,
                starts_at: local(tz, closure.from)?,
                ends_at: local(tz, closure.to)?,
                reason: "closed in the script".to_owned(),
            };
            closures::add(&tx, &closure).await.map_err(store)?;
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
            visited,
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
        let provider_names: HashMap<ProviderId, String> = providers::list(&client)
            .await
            .map_err(|e| fail(e.to_string()))?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let service_rows: HashMap<i64, (String, i64)> = services::list(&client)
            .await
            .map_err(|e| fail(e.to_string()))?
            .into_iter()
            .map(|s| (s.id.get(), (s.name, i64::from(s.duration_minutes))))
            .collect();
        let found: Vec<Found> = found
            .iter()
            .map(|a| {
                let service = a.service_id.and_then(|id| service_rows.get(&id));
                Found {
                    id: a.id,
                    status: a.status,
                    at: as_local(a.starts_at),
                    provider: provider_names
                        .get(&a.provider_id)
                        .cloned()
                        .unwrap_or_default(),
                    service: service.map(|(name, _)| name.clone()),
                    lasts: (a.ends_at - a.starts_at).num_minutes(),
                    should_last: service.map(|(_, minutes)| *minutes),
                }
            })
            .collect();
        let show = |status: AppointmentStatus, booking: &Booking| {
            format!("{} {}", status.as_str(), booking.describe())
        };

        // What the script says the appointments are at the end.
        let mut expected_held: HashMap<AppointmentId, (AppointmentStatus, Booking)> = self
            .held
            .iter()
            .map(|(id, b)| (*id, (AppointmentStatus::Booked, b.clone())))
            .chain(
                self.visited
                    .iter()
                    .map(|(id, b)| (*id, (AppointmentStatus::Completed, b.clone()))),
            )
            .collect();
        let mut expected_new: Vec<(AppointmentStatus, Booking)> = Vec::new();
        let held_at = |at: NaiveDateTime| {
            self.held
                .iter()
                .find(|(_, b)| b.at == at)
                .map(|(id, _)| *id)
        };
        let mut service_consent = !self.opted_out;
        let mut marketing: Option<bool> = None;
        let mut with_staff = false;
        for outcome in &script.outcomes {
            match outcome {
                Outcome::NothingChanged => {}
                Outcome::Booked(b) => expected_new.push((AppointmentStatus::Booked, b.clone())),
                Outcome::Cancelled(b) => match held_at(b.at) {
                    Some(id) => {
                        expected_held.insert(id, (AppointmentStatus::Cancelled, b.clone()));
                    }
                    None => expected_new.push((AppointmentStatus::Cancelled, b.clone())),
                },
                Outcome::Moved(from, to) => {
                    let id = held_at(*from).ok_or_else(|| {
                        fail(format!("moved: the setup has no appointment at {from}"))
                    })?;
                    expected_held.insert(id, (AppointmentStatus::Booked, to.clone()));
                }
                Outcome::ServiceConsent(on) => service_consent = *on,
                Outcome::MarketingConsent(on) => marketing = Some(*on),
                Outcome::WithStaff => with_staff = true,
            }
        }

        let mut problems = Vec::new();
        let mut actual_new = Vec::new();
        for got in &found {
            if let Some(should) = got.should_last
                && got.lasts != should
            {
                problems.push(format!(
                    "{} lasts {} minutes, not {should}",
                    got.describe(),
                    got.lasts
                ));
            }
            let set_up = self
                .held
                .iter()
                .chain(&self.visited)
                .find(|(id, _)| *id == got.id)
                .map(|(_, b)| b);
            match expected_held.remove(&got.id) {
                // Moving keeps what the visit is for.
                Some(_) if set_up.is_some_and(|b| !got.is_for(b.service.as_deref())) => {
                    problems.push(format!(
                        "the appointment set up as {} is now {}",
                        set_up.map(Booking::describe).unwrap_or_default(),
                        got.describe()
                    ));
                }
                Some((status, want)) if got.matches(status, &want) => {}
                Some((status, want)) => problems.push(format!(
                    "the appointment set up at {} is {}, expected {}",
                    set_up
                        .map(|b| b.at.format("%a %b %-d %-I:%M %p").to_string())
                        .unwrap_or_default(),
                    got.describe(),
                    show(status, &want)
                )),
                None => actual_new.push(got),
            }
        }
        for (status, want) in &expected_new {
            match actual_new.iter().position(|got| got.matches(*status, want)) {
                Some(i) => {
                    actual_new.remove(i);
                }
                None => problems.push(format!(
                    "expected {}, not found{}",
                    show(*status, want),
                    match actual_new.as_slice() {
                        [] => String::new(),
                        others => format!(
                            " (there is {})",
                            others
                                .iter()
                                .map(|o| o.describe())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                )),
            }
        }
        for extra in actual_new {
            problems.push(format!("unexpected: {}", extra.describe()));
        }

        let status = consent::status_of(&client, self.customer, false)
            .await
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("the customer is gone".to_owned()))?;
        let opted_in = |s: Option<ConsentState>| s == Some(ConsentState::OptedIn);
        if opted_in(status.service.state) != service_consent {
            problems.push(format!(
                "service consent is {:?}, expected {}",
                status.service.state,
                if service_consent {
                    "opted in"
                } else {
                    "opted out"
                }
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

/// One of the customer's appointments at the end, as the check reads it.
struct Found {
    id: AppointmentId,
    status: AppointmentStatus,
    at: NaiveDateTime,
    provider: String,
    service: Option<String>,
    /// Its length in minutes, and its service's.
    lasts: i64,
    should_last: Option<i64>,
}

impl Found {
    fn describe(&self) -> String {
        let service = self
            .service
            .as_deref()
            .map(|s| format!(" for {s}"))
            .unwrap_or_default();
        format!(
            "{} {} with {}{service}",
            self.status.as_str(),
            self.at.format("%a %b %-d %-I:%M %p"),
            self.provider
        )
    }

    /// Whether it is for `service` (when one is said).
    fn is_for(&self, service: Option<&str>) -> bool {
        service.is_none_or(|s| {
            self.service
                .as_deref()
                .is_some_and(|mine| mine.eq_ignore_ascii_case(s))
        })
    }

    /// Whether it is what `want` says, in that status.
    fn matches(&self, status: AppointmentStatus, want: &Booking) -> bool {
        self.status == status
            && self.at == want.at
            && want
                .provider
                .as_deref()
                .is_none_or(|p| p.eq_ignore_ascii_case(&self.provider))
            && self.is_for(want.service.as_deref())
    }
}
