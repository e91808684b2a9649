//! The campaign engine wired like production: Postgres, a standard SQS queue in
//! the emulator, the dispatcher, the outbound sender with the real Twilio client
//! talking to the Twilio stand-in, and a clock the test moves.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use smsbot_aws::SqsQueue;
use smsbot_campaigns::dispatcher::{Dispatcher, DispatcherConfig, TickReport};
use smsbot_campaigns::sender::{OutboundSender, SenderConfig};
use smsbot_campaigns::{OutboundMessage, OutboundQueue};
use smsbot_domain::{CampaignId, ContactId};
use smsbot_domain::{ConsentEvidence, ConsentSource, ConsentState, PhoneNumber};
use smsbot_outbox::{Clock, ManualClock, Outbox, SmsSender, TwilioSender};
use smsbot_store::campaigns::{self, Campaign, CampaignStatus, NewCampaign};
use smsbot_store::consent;
use smsbot_store::contacts::{self, NewContact};
use smsbot_store::messages::{self, StatusUpdate};
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_test_support::{self as support, TestDatabase};
use smsbot_twilio::{AuthToken, TwilioClient};

pub const BUSINESS: &str = "Bright Smile";

pub fn business_tz() -> Tz {
    chrono_tz::America::New_York
}

/// A local wall-clock time in `tz`.
pub fn local(tz: Tz, s: &str) -> DateTime<Utc> {
    tz.from_local_datetime(&s.parse().unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

pub fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

pub fn twilio_sender(twilio: &TwilioStandIn) -> Arc<dyn SmsSender> {
    let client = TwilioClient::new(
        twilio.base_url.clone(),
        twilio.account_sid.clone(),
        AuthToken::new(twilio.auth_token.clone()).unwrap(),
        reqwest::Client::new(),
    )
    .unwrap();
    Arc::new(TwilioSender::new(
        client,
        smsbot_twilio::Sender::PhoneNumber("+14155550199".to_owned()),
        Some(
            "https://bot.example.test/webhooks/sms/status"
                .parse()
                .unwrap(),
        ),
    ))
}

/// A standard queue of its own for one test (visibility timeout one second, so a
/// retried record comes back quickly).
pub async fn create_standard_queue(sdk: &aws_config::SdkConfig) -> String {
    aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(support::unique("outbound"))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .send()
        .await
        .expect("create the outbound queue")
        .queue_url()
        .unwrap_or_default()
        .to_owned()
}

pub struct Engine {
    pub db: TestDatabase,
    pub queue: SqsQueue,
    pub twilio: TwilioStandIn,
    pub clock: Arc<ManualClock>,
    pub dispatcher: Dispatcher,
    pub sender: OutboundSender,
}

impl Engine {
    pub async fn start(now: DateTime<Utc>) -> Self {
        Self::start_with_tick(now, 60).await
    }

    pub async fn start_with_tick(now: DateTime<Utc>, tick_seconds: i64) -> Self {
        Self::on(TestDatabase::create().await, now, tick_seconds, 8).await
    }

    /// An engine whose database pool holds one connection, giving a recipient
    /// up after `max_attempts` transient failures.
    pub async fn with_one_connection(now: DateTime<Utc>, max_attempts: i32) -> Self {
        Self::on(
            TestDatabase::create_with_pool(1).await,
            now,
            60,
            max_attempts,
        )
        .await
    }

    async fn on(
        db: TestDatabase,
        now: DateTime<Utc>,
        tick_seconds: i64,
        max_attempts: i32,
    ) -> Self {
        let sdk = support::aws().await;
        let queue = SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            create_standard_queue(&sdk).await,
        );
        let twilio = TwilioStandIn::start().await;
        let clock = Arc::new(ManualClock::at(now));
        let dispatcher = dispatcher(&db, Arc::new(queue.clone()), tick_seconds);
        let sender = OutboundSender::new(
            db.pool.clone(),
            Outbox::new(
                db.pool.clone(),
                twilio_sender(&twilio),
                clock.clone(),
                business_tz(),
            ),
            clock.clone(),
            SenderConfig {
                max_attempts,
                ..SenderConfig::new(BUSINESS.to_owned(), business_tz())
            },
        );
        Self {
            db,
            queue,
            twilio,
            clock,
            dispatcher,
            sender,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub async fn tick(&self) -> TickReport {
        self.dispatcher.tick(self.now()).await.expect("tick")
    }

    /// Runs the sender over everything on the queue until it is empty; returns
    /// how many records it handled.
    pub async fn drain(&self) -> usize {
        let mut handled = 0;
        loop {
            let event = self.queue.receive_event(10, 0).await.unwrap();
            if event.records.is_empty() {
                return handled;
            }
            handled += event.records.len();
            let response = self.sender.handle_batch(event.clone()).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "unexpected failures: {response:?}"
            );
            self.queue.acknowledge(&event, &response).await.unwrap();
        }
    }

    /// Numbers the stand-in accepted messages for, in order.
    pub fn sent_to(&self) -> Vec<String> {
        self.twilio.sent().into_iter().map(|s| s.to).collect()
    }

    pub async fn contact(&self, phone: &str, name: Option<&str>, tz: Option<&str>) -> ContactId {
        self.contact_tagged(phone, name, tz, &[]).await
    }

    pub async fn contact_tagged(
        &self,
        phone: &str,
        name: Option<&str>,
        tz: Option<&str>,
        tags: &[&str],
    ) -> ContactId {
        add_contact(&self.db, phone, name, tz, tags).await
    }

    pub async fn opt_out(&self, contact: ContactId) {
        let client = self.db.pool.get().await.unwrap();
        consent::set_consent(
            &client,
            contact,
            ConsentState::OptedOut,
            ConsentSource::Keyword,
            Some("STOP"),
        )
        .await
        .unwrap();
    }

    /// Drafts and launches a campaign starting now.
    pub async fn campaign(
        &self,
        template: &str,
        audience: serde_json::Value,
        rate: i32,
    ) -> CampaignId {
        launch(&self.db, template, audience, rate, self.now()).await
    }

    pub async fn campaign_row(&self, id: CampaignId) -> Campaign {
        let client = self.db.pool.get().await.unwrap();
        campaigns::get(&client, id).await.unwrap().unwrap()
    }

    /// Moves a campaign as an operator would (through the lifecycle table).
    pub async fn operator(&self, id: CampaignId, event: smsbot_domain::campaign::Event) {
        let current = self.campaign_row(id).await;
        let next = current
            .status
            .next(current.recipients_materialised_at.is_some(), event)
            .expect("allowed transition");
        let client = self.db.pool.get().await.unwrap();
        campaigns::set_status(&client, id, current.status, next)
            .await
            .unwrap()
            .expect("status unchanged meanwhile");
    }

    pub async fn recipient_status(&self, campaign: CampaignId, contact: ContactId) -> String {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one(
                "SELECT status FROM campaign_recipients WHERE campaign_id = $1 AND contact_id = $2",
                &[&campaign, &contact],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Recipients still pending or queued.
    pub async fn open_recipients(&self, campaign: CampaignId) -> i64 {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one(
                "SELECT count(*) FROM campaign_recipients
                  WHERE campaign_id = $1 AND status IN ('pending', 'queued')",
                &[&campaign],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Twilio reports a status for the message it accepted for `to`.
    pub async fn callback(&self, to: &str, status: &str, error_code: Option<i32>) {
        let sid = self
            .twilio
            .sent()
            .into_iter()
            .find(|s| s.to == to)
            .expect("a message to that number")
            .sid;
        let status = smsbot_domain::MessageStatus::from_twilio(status).unwrap();
        messages::apply_status(
            &self.db.pool,
            &StatusUpdate {
                twilio_sid: &sid,
                status,
                error_code,
                recipient_opted_out: false,
            },
        )
        .await
        .unwrap();
    }

    /// targeted = sent + skipped + failed + pending, checked against the rows.
    pub async fn assert_counters_add_up(&self, campaign: CampaignId) -> Campaign {
        let c = self.campaign_row(campaign).await;
        let open = self.open_recipients(campaign).await as i32;
        assert_eq!(
            c.targeted,
            c.sent + c.skipped_consent + c.skipped_limit + c.failed + open,
            "targeted {} != sent {} + skipped {} + over a limit {} + failed {} + pending {open}",
            c.targeted,
            c.sent,
            c.skipped_consent,
            c.skipped_limit,
            c.failed
        );
        assert!(c.delivered <= c.sent);
        c
    }
}

pub fn dispatcher(
    db: &TestDatabase,
    queue: Arc<dyn OutboundQueue>,
    tick_seconds: i64,
) -> Dispatcher {
    Dispatcher {
        pool: db.pool.clone(),
        queue,
        config: DispatcherConfig {
            tick_seconds,
            requeue_after: Duration::minutes(15),
            business_timezone: business_tz(),
            pace: false,
            page_size: 500,
            marketing: smsbot_domain::MarketingRules::default(),
        },
    }
}

pub async fn add_contact(
    db: &TestDatabase,
    phone: &str,
    name: Option<&str>,
    tz: Option<&str>,
    tags: &[&str],
) -> ContactId {
    let client = db.pool.get().await.unwrap();
    let phone = PhoneNumber::parse_e164(phone).unwrap();
    let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    contacts::insert(
        &client,
        &NewContact {
            phone: &phone,
            name,
            timezone: tz,
            tags: &tags,
            consent: ConsentState::OptedIn,
            source: ConsentSource::Admin,
            marketing: Some(&marketing_proof()),
        },
    )
    .await
    .unwrap()
    .id
}

/// The proof an imported contact's marketing consent is recorded with (a
/// broadcast reaches no one without it).
pub fn marketing_proof() -> ConsentEvidence {
    ConsentEvidence::new(
        Some("spring sign-up sheet at the front desk"),
        Some("Yes, text me offers from Bright Smile. Up to 4 msgs/month."),
        Some(utc("2026-01-15T10:00:00Z")),
        utc("2026-01-15T10:00:00Z"),
    )
    .unwrap()
}

pub async fn launch(
    db: &TestDatabase,
    template: &str,
    audience: serde_json::Value,
    rate: i32,
    starts_at: DateTime<Utc>,
) -> CampaignId {
    smsbot_domain::Template::for_kind(template, smsbot_domain::CampaignKind::Broadcast).unwrap();
    let client = db.pool.get().await.unwrap();
    let created = campaigns::create(
        &client,
        &NewCampaign {
            name: "spring offer",
            kind: smsbot_domain::CampaignKind::Broadcast,
            template,
            audience: &audience,
            starts_at: Some(starts_at),
            quiet_start: hm(21, 0),
            quiet_end: hm(8, 0),
            rate_per_second: rate,
        },
    )
    .await
    .unwrap();
    campaigns::set_status(
        &client,
        created.id,
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
    )
    .await
    .unwrap()
    .unwrap();
    created.id
}

/// `+1646555` followed by four digits: a New York area code, so a contact
/// without a timezone is in the business's zone for marketing too.
pub fn phone(n: usize) -> String {
    format!("+1646555{n:04}")
}

pub fn all() -> serde_json::Value {
    serde_json::json!({"type": "all_opted_in"})
}

/// Lets the consumer of an in-memory queue see what the dispatcher enqueued.
#[derive(Default)]
pub struct MemoryQueue(pub std::sync::Mutex<Vec<OutboundMessage>>);

impl MemoryQueue {
    pub fn take(&self) -> Vec<OutboundMessage> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl OutboundQueue for MemoryQueue {
    async fn enqueue(&self, messages: &[smsbot_campaigns::outbound::Paced]) -> Vec<usize> {
        self.0
            .lock()
            .unwrap()
            .extend(messages.iter().map(|p| p.message));
        Vec::new()
    }
}
