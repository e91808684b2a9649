//! Benchmarks (figures, not pass/fail): dispatch planning for 100,000 recipients
//! across timezones against local Postgres, and the outbound sender's throughput
//! against the Twilio stand-in.
//!
//! Run with the test environment (it needs `DATABASE_URL`):
//! `scripts/dev-env -- cargo bench -p smsbot-campaigns --bench dispatch`.
//! Single-threaded runtime, so the dispatch figure is one core of ours (Postgres
//! runs in its own processes).

use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use smsbot_campaigns::dispatcher::{Dispatcher, DispatcherConfig};
use smsbot_campaigns::outbound::DiscardingQueue;
use smsbot_campaigns::plan::{self, Zones};
use smsbot_campaigns::sender::{OutboundSender, SenderConfig};
use smsbot_campaigns::{OutboundMessage, QuietHours};
use smsbot_domain::{CampaignId, ContactId};
use smsbot_outbox::{ManualClock, Outbox, TwilioSender};
use smsbot_store::campaign_recipients::{self, AudienceFilter, DueRecipient, Reachability};
use smsbot_store::campaigns::{self, CampaignStatus, NewCampaign};
use smsbot_test_support::TestDatabase;
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_twilio::{AuthToken, TwilioClient};

const RECIPIENTS: i64 = 100_000;
const ZONES: [&str; 8] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
];

fn main() {
    if std::env::var("DATABASE_URL").is_err() {
        eprintln!("DATABASE_URL is not set: run through scripts/dev-env; skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        planner_alone();
        dispatch_100k().await;
        sender_throughput().await;
    });
}

/// 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles (quiet), 00:00 in Tokyo
/// (quiet), 16:00 in Berlin.
fn now() -> DateTime<Utc> {
    "2026-03-02T15:00:00Z".parse().expect("static instant")
}

fn planner_alone() {
    let recipients: Vec<DueRecipient> = (0..RECIPIENTS)
        .map(|i| DueRecipient {
            contact_id: ContactId::new(i),
            due_at: now(),
            timezone: Some(ZONES[i as usize % ZONES.len()].to_owned()),
            reachability: if i % 50 == 0 {
                Reachability::OptedOut
            } else {
                Reachability::Reachable
            },
        })
        .collect();
    let started = Instant::now();
    let mut zones = Zones::new(chrono_tz::America::New_York);
    let decisions = plan::plan(&recipients, now(), &QuietHours::default(), &mut zones);
    let elapsed = started.elapsed();
    println!(
        "planner alone: {} recipients in {:.1} ms ({:.0} per second)",
        decisions.len(),
        elapsed.as_secs_f64() * 1e3,
        decisions.len() as f64 / elapsed.as_secs_f64()
    );
}

async fn launch(db: &TestDatabase, rate: i32) -> CampaignId {
    let client = db.pool.get().await.expect("connection");
    let audience = serde_json::json!({"type": "all_opted_in"});
    let created = campaigns::create(
        &client,
        &NewCampaign {
            name: "bench",
            kind: smsbot_domain::CampaignKind::Broadcast,
            template: "Hi {first_name}, spring offer from {business_name}!",
            audience: &audience,
            starts_at: Some(now()),
            quiet_start: NaiveTime::from_hms_opt(21, 0, 0).expect("time"),
            quiet_end: NaiveTime::from_hms_opt(8, 0, 0).expect("time"),
            rate_per_second: rate,
        },
    )
    .await
    .expect("campaign");
    campaigns::set_status(
        &client,
        created.id,
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
    )
    .await
    .expect("launch");
    created.id
}

/// Contacts straight into the table (setup only; the product inserts through
/// smsbot-store).
async fn seed_contacts(db: &TestDatabase, count: i64) {
    let client = db.pool.get().await.expect("connection");
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    client
        .execute(
            "INSERT INTO contacts (phone, name, timezone)
             SELECT '+1415' || lpad(i::text, 7, '0'), 'Contact ' || i,
                    ($2::text[])[1 + i % array_length($2::text[], 1)]
               FROM generate_series(1, $1::bigint) AS i",
            &[&count, &zones],
        )
        .await
        .expect("seed contacts");
    client
        .batch_execute("ANALYZE contacts")
        .await
        .expect("analyze");
}

async fn dispatch_100k() {
    let db = TestDatabase::create().await;
    seed_contacts(&db, RECIPIENTS).await;
    let campaign = launch(&db, 1_000).await;
    let dispatcher = Dispatcher {
        pool: db.pool.clone(),
        queue: Arc::new(DiscardingQueue),
        config: DispatcherConfig {
            // rate 1000 × 100 s: the whole audience fits in one tick.
            tick_seconds: 100,
            requeue_after: Duration::minutes(15),
            business_timezone: chrono_tz::America::New_York,
            pace: true,
            page_size: 5_000,
            marketing: smsbot_domain::MarketingRules::default(),
        },
    };
    // Once per campaign: pick the audience (what the first tick does first).
    let started = Instant::now();
    {
        let mut client = db.pool.get().await.expect("connection");
        let tx = client.transaction().await.expect("tx");
        campaign_recipients::materialise(&tx, campaign, &AudienceFilter::AllOptedIn, now())
            .await
            .expect("materialise");
        campaigns::set_status(
            &tx,
            campaign,
            CampaignStatus::Scheduled,
            CampaignStatus::Running,
        )
        .await
        .expect("start");
        tx.commit().await.expect("commit");
    }
    let materialised = started.elapsed();
    // Every tick: lock the due recipients, plan, enqueue, record.
    let started = Instant::now();
    let report = dispatcher.tick(now()).await.expect("tick");
    let planned = started.elapsed();
    let client = db.pool.get().await.expect("connection");
    let row = campaigns::get(&client, campaign)
        .await
        .expect("read")
        .expect("campaign");
    println!(
        "materialise {} recipients (once per campaign): {:.2} s",
        row.targeted,
        materialised.as_secs_f64()
    );
    println!(
        "dispatch tick planning {} recipients across {} zones (lock + plan + record): {:.2} s \
         ({:.0} recipients per second; {} queued, {} deferred for quiet hours; target < 2 s)",
        report.queued + report.deferred,
        ZONES.len(),
        planned.as_secs_f64(),
        (report.queued + report.deferred) as f64 / planned.as_secs_f64(),
        report.queued,
        report.deferred
    );
}

async fn sender_throughput() {
    const MESSAGES: i64 = 1_000;
    const CONCURRENT_BATCHES: usize = 4;
    let db = TestDatabase::create().await;
    seed_contacts(&db, MESSAGES).await;
    let campaign = launch(&db, 1_000).await;
    let queue = Arc::new(DiscardingQueue);
    let dispatcher = Dispatcher {
        pool: db.pool.clone(),
        queue,
        config: DispatcherConfig {
            tick_seconds: 60,
            requeue_after: Duration::minutes(15),
            business_timezone: chrono_tz::America::New_York,
            pace: false,
            page_size: 5_000,
            marketing: smsbot_domain::MarketingRules::default(),
        },
    };
    // 14:00 UTC is daytime in every US zone and Europe; Tokyo and Sydney defer.
    let at: DateTime<Utc> = "2026-03-02T17:00:00Z".parse().expect("instant");
    let report = dispatcher.tick(at).await.expect("tick");
    let twilio = TwilioStandIn::start().await;
    let client = TwilioClient::new(
        twilio.base_url.clone(),
        twilio.account_sid.clone(),
        AuthToken::new(twilio.auth_token.clone()).expect("token"),
        reqwest::Client::new(),
    )
    .expect("client");
    let twilio_sender = TwilioSender::new(
        client,
        smsbot_twilio::Sender::PhoneNumber("+14155550199".to_owned()),
        None,
    );
    let clock = Arc::new(ManualClock::at(at));
    let tz = chrono_tz::America::New_York;
    let outbox = Outbox::new(db.pool.clone(), Arc::new(twilio_sender), clock.clone(), tz);
    let sender = OutboundSender::new(
        db.pool.clone(),
        outbox,
        clock,
        SenderConfig::new("Bench".to_owned(), tz),
    );
    let queued: Vec<ContactId> = {
        let c = db.pool.get().await.expect("connection");
        c.query(
            "SELECT contact_id FROM campaign_recipients WHERE campaign_id = $1 AND status = 'queued'",
            &[&campaign],
        )
        .await
        .expect("queued")
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let batches: Vec<SqsEvent> = queued
        .chunks(10)
        .map(|chunk| {
            let mut event = SqsEvent::default();
            for contact_id in chunk {
                let mut record = SqsMessage::default();
                record.message_id = Some(format!("m{contact_id}"));
                record.body = serde_json::to_string(&OutboundMessage {
                    campaign_id: campaign,
                    contact_id: *contact_id,
                })
                .ok();
                event.records.push(record);
            }
            event
        })
        .collect();
    let started = Instant::now();
    for group in batches.chunks(CONCURRENT_BATCHES) {
        futures::future::join_all(group.iter().map(|e| sender.handle_batch(e.clone()))).await;
    }
    let elapsed = started.elapsed();
    let sent = twilio.sent().len();
    println!(
        "sender: {sent} of {} queued messages sent through the Twilio stand-in in {:.2} s \
         ({:.0} messages per second; batches of 10, {CONCURRENT_BATCHES} at once, one thread)",
        report.queued,
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
}
