//! The property: whatever the contacts' timezones, consent changes and clock
//! ticks, no message reaches an opted-out contact or anyone in quiet hours.
//!
//! The real dispatcher and sender against one Postgres database per case, an
//! in-memory queue between them, and a phone that checks every message as it
//! is sent: the contact's consent at that moment and their local time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use smsbot_campaigns::QuietHours;
use smsbot_campaigns::sender::{OutboundSender, SenderConfig};
use smsbot_domain::{ConsentSource, ConsentState, MessageSid, PhoneNumber};
use smsbot_outbox::{Clock, ManualClock, Outbox, SendFailure, SendOptions, SentSms, SmsSender};
use smsbot_store::{Pool, consent, contacts};
use smsbot_test_support::TestDatabase;
use smsbot_twilio::MessageStatus;

use crate::support::{
    BUSINESS, MemoryQueue, add_contact, all, business_tz, dispatcher, launch, phone, utc,
};

const ZONES: [Option<&str>; 6] = [
    Some("America/New_York"),
    Some("America/Los_Angeles"),
    Some("Europe/London"),
    Some("Asia/Tokyo"),
    Some("Australia/Lord_Howe"),
    None,
];

#[derive(Debug, Clone)]
enum Step {
    /// The clock moves on and the dispatcher ticks.
    Tick(i64),
    OptOut(usize),
    OptIn(usize),
    /// The sender works through the queue.
    Send,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1_i64..600).prop_map(Step::Tick),
        2 => (0_usize..8).prop_map(Step::OptOut),
        1 => (0_usize..8).prop_map(Step::OptIn),
        3 => Just(Step::Send),
    ]
}

/// A phone that refuses nothing and notes every message that should not exist.
struct WatchingPhone {
    pool: Pool,
    clock: Arc<ManualClock>,
    zones: HashMap<String, Tz>,
    sent: Mutex<usize>,
    violations: Mutex<Vec<String>>,
}

#[async_trait]
impl SmsSender for WatchingPhone {
    async fn send(
        &self,
        to: &PhoneNumber,
        _body: &str,
        _options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        let now = self.clock.now();
        let client = self.pool.get().await.unwrap();
        let contact = contacts::find_or_create_by_phone(&client, to)
            .await
            .unwrap();
        let consent = consent::consent_of(&client, contact).await.unwrap();
        let tz = self
            .zones
            .get(to.as_e164())
            .copied()
            .unwrap_or(business_tz());
        let mut violations = self.violations.lock().unwrap();
        if consent == ConsentState::OptedOut {
            violations.push(format!("{} opted out at {now}", to.as_e164()));
        }
        if QuietHours::default().is_quiet(now, tz) {
            violations.push(format!("{} in quiet hours at {now} ({tz})", to.as_e164()));
        }
        *self.sent.lock().unwrap() += 1;
        let n = *self.sent.lock().unwrap();
        Ok(SentSms {
            sid: MessageSid::parse(&format!("SM{n:032x}")).unwrap(),
            status: MessageStatus::Queued,
        })
    }

    /// Every send succeeds, so no outcome is ever unknown.
    async fn find_sent(
        &self,
        _to: &PhoneNumber,
        _body: &str,
        _since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        Ok(Vec::new())
    }
}

async fn run_case(zones: Vec<usize>, steps: Vec<Step>) -> (Vec<String>, usize) {
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::at(utc("2026-03-06T02:00:00Z")));
    let mut ids = Vec::new();
    let mut zone_of = HashMap::new();
    for (i, z) in zones.iter().enumerate() {
        let zone = ZONES[*z];
        ids.push(add_contact(&db, &phone(i), None, zone, &[]).await);
        zone_of.insert(phone(i), zone.map_or(business_tz(), |n| n.parse().unwrap()));
    }
    let phone_watch = Arc::new(WatchingPhone {
        pool: db.pool.clone(),
        clock: clock.clone(),
        zones: zone_of,
        sent: Mutex::new(0),
        violations: Mutex::new(Vec::new()),
    });
    let queue = Arc::new(MemoryQueue::default());
    let dispatcher = dispatcher(&db, queue.clone(), 60);
    let sender = OutboundSender::new(
        db.pool.clone(),
        Outbox::new(
            db.pool.clone(),
            phone_watch.clone(),
            clock.clone(),
            business_tz(),
        ),
        clock.clone(),
        SenderConfig::new(BUSINESS.to_owned(), business_tz()),
    );
    launch(&db, "Hi", all(), 5, clock.now()).await;
    for step in steps {
        match step {
            Step::Tick(minutes) => {
                clock.advance(Duration::minutes(minutes));
                dispatcher.tick(clock.now()).await.unwrap();
            }
            Step::OptOut(i) | Step::OptIn(i) if i >= ids.len() => {}
            Step::OptOut(i) | Step::OptIn(i) => {
                let state = if matches!(step, Step::OptOut(_)) {
                    ConsentState::OptedOut
                } else {
                    ConsentState::OptedIn
                };
                let client = db.pool.get().await.unwrap();
                consent::set_consent(&client, ids[i], state, ConsentSource::Keyword, None)
                    .await
                    .unwrap();
            }
            Step::Send => {
                for message in queue.take() {
                    sender.send(message).await.unwrap();
                }
            }
        }
    }
    let violations = phone_watch.violations.lock().unwrap().clone();
    let sent = *phone_watch.sent.lock().unwrap();
    (violations, sent)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_message_ever_reaches_an_opted_out_contact_or_anyone_in_quiet_hours(
        zones in prop::collection::vec(0..ZONES.len(), 1..8),
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let (violations, _sent) = runtime.block_on(run_case(zones, steps));
        prop_assert!(violations.is_empty(), "{violations:?}");
    }
}

#[tokio::test]
async fn the_property_is_not_vacuous_messages_do_go_out() {
    let steps = vec![Step::Tick(600), Step::Send, Step::Tick(600), Step::Send];
    let (violations, sent) = run_case(vec![0, 1, 2, 3, 4, 5], steps).await;
    assert!(violations.is_empty(), "{violations:?}");
    assert!(sent > 0);
}
