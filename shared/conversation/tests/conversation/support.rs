//! A bot wired like production, end to end: the webhook router, the FIFO queue in
//! the emulator, the batch handler and Postgres, with the console as the phone and
//! a clock the test moves.

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use smsbot_aws::{IdempotencyStore, SqsQueue};
use smsbot_conversation::{Conversation, Policy, handle_batch};
use smsbot_domain::PhoneNumber;
use smsbot_nlu::{OfflineUnderstander, OpenRouterClient, OpenRouterConfig, Understander};
use smsbot_outbox::{Clock, ConsoleSender, ManualClock, Outbox, SmsSender};
use smsbot_store::availability::{self, NewSlot};
use smsbot_test_support::openrouter_standin::{OpenRouterStandIn, Reply};
use smsbot_test_support::{self as support, TestDatabase};
use smsbot_twilio::{AuthToken, RequestValidator};
use smsbot_webhook::WebhookState;
use tower::ServiceExt;

pub const TOKEN: &str = "conversation-test-token";
pub const BASE: &str = "https://bot.example.test";

/// An SQS record as the inbound FIFO queue delivers it: the message, grouped
/// by its sender's pseudonym.
pub fn record(id: &str, from: &str, body: &str, sid: &str) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(id.to_owned());
    record.body = Some(
        serde_json::json!({
            "message_sid": sid, "account_sid": null, "from": from, "to": "+14155550199",
            "body": body, "num_media": 0, "opt_out_type": null,
        })
        .to_string(),
    );
    record.attributes.insert(
        "MessageGroupId".to_owned(),
        PhoneNumber::parse_e164(from).unwrap().pseudonym(),
    );
    record
}

pub fn event(records: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

/// The OpenRouter stand-in, reading every message it is asked about as
/// `intent`, and a client of it: the tests count what reaches the LLM.
pub async fn llm_reading_everything_as(intent: &str) -> (OpenRouterStandIn, OpenRouterClient) {
    let llm = OpenRouterStandIn::start().await;
    llm.always(Reply::json(&serde_json::json!({
        "intent": intent, "date": null, "time": null, "selection": null, "direction": null,
    })));
    let client = OpenRouterClient::new(
        OpenRouterConfig::new(llm.api_key.clone(), "openai/gpt-4o-mini".into())
            .with_base_url(llm.base_url.clone()),
        reqwest::Client::new(),
    )
    .expect("a client of the stand-in");
    (llm, client)
}

pub fn tz() -> Tz {
    "America/New_York".parse().unwrap()
}

/// Monday 2026-03-02, 09:00 in New York.
pub fn monday_morning() -> DateTime<Utc> {
    tz().with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A local time in the business timezone.
pub fn ny(date_time: &str) -> DateTime<Utc> {
    tz().from_local_datetime(&date_time.parse().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub fn policy() -> Policy {
    Policy {
        timezone: tz(),
        business_name: "Test Salon".to_owned(),
        lead_time: Duration::hours(1),
        horizon: Duration::days(60),
        max_open_appointments: 3,
        conversation_ttl: Duration::minutes(30),
        offers_per_reply: 3,
        min_confidence: 0.5,
        profile: smsbot_conversation::BusinessProfile {
            hours: Some(
                smsbot_conversation::WeeklyHours::parse("mon-fri 09:00-17:00; sat 10:00-14:00")
                    .unwrap(),
            ),
            address: Some("12 Main St, Springfield".to_owned()),
            phone: None,
            ..Default::default()
        },
        marketing: Default::default(),
        no_show_limit: None,
        links_base: None,
    }
}

pub struct TestBot {
    pub db: TestDatabase,
    pub sdk: aws_config::SdkConfig,
    pub queue: SqsQueue,
    pub table: String,
    pub phone: Arc<ConsoleSender>,
    pub clock: Arc<ManualClock>,
    pub conversation: Conversation,
    pub provider: smsbot_domain::ProviderId,
    sid_counter: std::sync::atomic::AtomicU64,
}

impl TestBot {
    pub async fn start() -> Self {
        Self::on(TestDatabase::create().await).await
    }

    /// A bot whose database pool holds one connection.
    pub async fn with_one_connection() -> Self {
        Self::on(TestDatabase::create_with_pool(1).await).await
    }

    async fn on(db: TestDatabase) -> Self {
        let sdk = support::aws().await;
        let queue_url = support::create_fifo_queue(&sdk, "inbound").await;
        let table = support::create_idempotency_table(&sdk).await;
        let phone = Arc::new(ConsoleSender::quiet());
        let clock = Arc::new(ManualClock::at(monday_morning()));
        let conversation = Self::conversation_with(&db, phone.clone(), clock.clone());
        let client = db.pool.get().await.unwrap();
        let provider = availability::ensure_provider(&client, "Alex")
            .await
            .unwrap();
        Self {
            queue: SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url),
            db,
            sdk,
            table,
            phone,
            clock,
            conversation,
            provider,
            sid_counter: Default::default(),
        }
    }

    pub fn conversation_with(
        db: &TestDatabase,
        sender: Arc<dyn SmsSender>,
        clock: Arc<dyn Clock>,
    ) -> Conversation {
        Self::conversation_understanding(db, Arc::new(OfflineUnderstander), sender, clock)
    }

    pub fn conversation_understanding(
        db: &TestDatabase,
        understander: Arc<dyn Understander>,
        sender: Arc<dyn SmsSender>,
        clock: Arc<dyn Clock>,
    ) -> Conversation {
        let outbox = Outbox::new(db.pool.clone(), sender, clock.clone(), policy().timezone);
        Conversation::new(db.pool.clone(), understander, outbox, clock, policy())
    }

    /// The bot's conversation, replying through `sender` instead of the console.
    pub fn sending_through(&self, sender: Arc<dyn SmsSender>) -> Conversation {
        Self::conversation_with(&self.db, sender, self.clock.clone())
    }

    /// Opens slots of 30 minutes at these local start times, with this capacity.
    pub async fn open_slots(
        &self,
        local_starts: &[&str],
        capacity: i32,
    ) -> Vec<smsbot_domain::SlotId> {
        let client = self.db.pool.get().await.unwrap();
        let slots: Vec<NewSlot> = local_starts
            .iter()
            .map(|s| NewSlot {
                starts_at: ny(s),
                ends_at: ny(s) + Duration::minutes(30),
                capacity,
            })
            .collect();
        availability::insert_missing(&client, self.provider, &slots)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for s in local_starts {
            let row = client
                .query_one(
                    "SELECT id FROM availability_slots WHERE starts_at = $1",
                    &[&ny(s)],
                )
                .await
                .unwrap();
            ids.push(row.get(0));
        }
        ids
    }

    fn router(&self) -> axum::Router {
        self.router_to(self.queue.clone())
    }

    /// The webhook, handing messages to `queue` (parking them in the bot's
    /// database when it refuses).
    pub fn router_to(&self, queue: SqsQueue) -> axum::Router {
        let state = WebhookState::new(
            Arc::new(
                RequestValidator::new(vec![AuthToken::new(TOKEN.to_owned()).unwrap()]).unwrap(),
            ),
            BASE.parse().unwrap(),
            Arc::new(IdempotencyStore::new(
                aws_sdk_dynamodb::Client::new(&self.sdk),
                &self.table,
            )),
            Arc::new(queue),
            Arc::new(self.db.pool.clone()),
            Arc::new(self.db.pool.clone()),
        );
        smsbot_webhook::router(state)
    }

    pub fn next_sid(&self) -> String {
        let n = self
            .sid_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!(
            "SM{:032x}",
            (monday_morning().timestamp() as u128) << 32 | n as u128
        )
    }

    /// Posts a signed inbound SMS to the webhook as Twilio would.
    pub async fn post(&self, from: &str, body: &str, sid: &str) -> StatusCode {
        self.post_to(self.router(), from, body, sid).await
    }

    /// Posts a signed inbound SMS to `router` as Twilio would.
    pub async fn post_to(
        &self,
        router: axum::Router,
        from: &str,
        body: &str,
        sid: &str,
    ) -> StatusCode {
        let params: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", "AC0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"),
            ("From", from),
            ("To", "+14155550199"),
            ("Body", body),
            ("NumMedia", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = format!("{BASE}/webhooks/sms/inbound");
        let signature =
            RequestValidator::sign_form(&AuthToken::new(TOKEN.to_owned()).unwrap(), &url, &params);
        let request = Request::post("/webhooks/sms/inbound")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(Body::from(serde_urlencoded::to_string(&params).unwrap()))
            .unwrap();
        router.oneshot(request).await.unwrap().status()
    }

    /// Drains the queue through the batch handler until it is empty.
    pub async fn work(&self) {
        loop {
            let event = self.queue.receive_event(10, 0).await.unwrap();
            if event.records.is_empty() {
                return;
            }
            let response = handle_batch(&self.conversation, event.clone()).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "unexpected failures: {response:?}"
            );
            self.queue.acknowledge(&event, &response).await.unwrap();
        }
    }

    /// Texts the bot from `from` and returns its replies to that number.
    pub async fn text(&self, from: &str, body: &str) -> Vec<String> {
        let sid = self.next_sid();
        assert_eq!(self.post(from, body, &sid).await, StatusCode::OK);
        self.work().await;
        self.phone.take(from)
    }

    /// Like `text`, expecting exactly one reply.
    pub async fn reply_to(&self, from: &str, body: &str) -> String {
        let replies = self.text(from, body).await;
        assert_eq!(
            replies.len(),
            1,
            "expected one reply to {body:?}, got {replies:?}"
        );
        replies.into_iter().next().unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let client = self.db.pool.get().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    pub async fn booked_starts(&self) -> Vec<DateTime<Utc>> {
        let client = self.db.pool.get().await.unwrap();
        client
            .query(
                "SELECT starts_at FROM appointments WHERE status = 'booked' ORDER BY starts_at",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    pub async fn consent_of(&self, phone: &str) -> String {
        let client = self.db.pool.get().await.unwrap();
        let phone = PhoneNumber::parse_e164(phone).unwrap();
        client
            .query_one(
                "SELECT consent FROM contacts WHERE phone = $1",
                &[&phone.as_e164()],
            )
            .await
            .unwrap()
            .get(0)
    }
}
