//! Faults: the database or Twilio misbehaving, and what the batch handler reports.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::DateTime;
use chrono_tz::Tz;
use smsbot_conversation::handle_batch;
use smsbot_domain::PhoneNumber;
use smsbot_nlu::{OfflineUnderstander, Understander, Understanding};
use smsbot_outbox::{ConsoleSender, SendFailure, SendOptions, SentSms, SmsSender, TwilioSender};
use smsbot_test_support::TestDatabase;
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_twilio::{AuthToken, TwilioClient};

use crate::support::{TestBot, event, record};

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";
const CAL: &str = "+14155550103";

fn failed_ids(response: &aws_lambda_events::sqs::SqsBatchResponse) -> HashSet<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// Understands offline, but takes the database down on its `nth` call: an outage
/// in the middle of a batch.
struct OutageOnCall {
    db: Arc<TestDatabase>,
    nth: usize,
    calls: AtomicUsize,
}

#[async_trait]
impl Understander for OutageOnCall {
    async fn understand(&self, text: &str, now: DateTime<Tz>) -> Understanding {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.nth {
            self.db.outage().await;
        }
        OfflineUnderstander.understand(text, now).await
    }
}

#[tokio::test]
async fn postgres_going_down_mid_batch_leaves_the_rest_for_retry_and_loses_nothing() {
    let bot = TestBot::start().await;
    let db = Arc::new(TestDatabase {
        pool: bot.db.pool.clone(),
        name: bot.db.name.clone(),
        url: bot.db.url.clone(),
    });
    let conversation = TestBot::conversation_understanding(
        &bot.db,
        Arc::new(OutageOnCall {
            db: db.clone(),
            nth: 2,
            calls: AtomicUsize::new(0),
        }),
        bot.phone.clone(),
        bot.clock.clone(),
    );
    let batch = event(vec![
        record("r1", ANA, "hello", "SM00000000000000000000000000000a01"),
        record(
            "r2",
            ANA,
            "good morning",
            "SM00000000000000000000000000000a02",
        ),
        record(
            "r3",
            ANA,
            "what appointments do I have?",
            "SM00000000000000000000000000000a03",
        ),
    ]);

    let response = handle_batch(&conversation, batch.clone()).await;

    assert_eq!(
        failed_ids(&response),
        HashSet::from(["r2".to_owned(), "r3".to_owned()])
    );
    assert_eq!(
        bot.phone.take(ANA).len(),
        1,
        "the first record was answered before the outage"
    );

    db.restore().await;
    let retry = event(
        batch
            .records
            .into_iter()
            .filter(|r| r.message_id.as_deref() != Some("r1"))
            .collect(),
    );
    let response = handle_batch(&bot.conversation, retry).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let replies = bot.phone.take(ANA);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(
        replies[0].starts_with("Hi! This is Test Salon."),
        "in order: {replies:?}"
    );
    assert!(
        replies[1].starts_with("You have no upcoming appointments"),
        "{replies:?}"
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM messages WHERE direction = 'inbound'")
            .await,
        3
    );
}

/// A sender whose provider is down for one recipient.
struct DownFor(&'static str, ConsoleSender);

#[async_trait]
impl SmsSender for DownFor {
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        if to.as_e164() == self.0 {
            return Err(SendFailure::Transient("provider down".into()));
        }
        self.1.send(to, body, options).await
    }

    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        self.1.find_sent(to, body, since).await
    }
}

#[tokio::test]
async fn a_failed_record_holds_back_the_rest_of_its_group_but_not_other_groups() {
    let bot = TestBot::start().await;
    let conversation = bot.sending_through(Arc::new(DownFor(ANA, ConsoleSender::quiet())));

    let response = handle_batch(
        &conversation,
        event(vec![
            record("ana-1", ANA, "hello", "SM00000000000000000000000000000b01"),
            record("ben-1", BEN, "hello", "SM00000000000000000000000000000b02"),
            record("ana-2", ANA, "help", "SM00000000000000000000000000000b03"),
            record("cal-1", CAL, "hello", "SM00000000000000000000000000000b04"),
        ]),
    )
    .await;

    assert_eq!(
        failed_ids(&response),
        HashSet::from(["ana-1".to_owned(), "ana-2".to_owned()])
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND body = 'help'")
            .await,
        0,
        "ana-2 was not processed ahead of ana-1"
    );
}

#[tokio::test]
async fn an_unreadable_record_is_acknowledged_not_retried_forever() {
    let bot = TestBot::start().await;
    let mut poison = record("poison", ANA, "x", "SM00000000000000000000000000000c01");
    poison.body = Some("{not json".to_owned());

    let response = handle_batch(&bot.conversation, event(vec![poison])).await;

    assert!(response.batch_item_failures.is_empty());
}

async fn twilio_conversation(
    bot: &TestBot,
    twilio: &TwilioStandIn,
) -> smsbot_conversation::Conversation {
    let client = TwilioClient::new(
        twilio.base_url.clone(),
        twilio.account_sid.clone(),
        AuthToken::new(twilio.auth_token.clone()).unwrap(),
        reqwest::Client::new(),
    )
    .unwrap();
    bot.sending_through(Arc::new(TwilioSender::new(
        client,
        smsbot_twilio::Sender::PhoneNumber("+14155550199".to_owned()),
        Some(
            "https://bot.example.test/webhooks/sms/status"
                .parse()
                .unwrap(),
        ),
    )))
}

#[tokio::test]
async fn twilio_answering_500_then_201_sends_exactly_one_reply() {
    let bot = TestBot::start().await;
    let twilio = TwilioStandIn::start().await;
    twilio.fail_next(1, 500);
    let conversation = twilio_conversation(&bot, &twilio).await;
    let batch = event(vec![record(
        "r1",
        ANA,
        "help",
        "SM00000000000000000000000000000d01",
    )]);

    let first = handle_batch(&conversation, batch.clone()).await;
    assert_eq!(
        failed_ids(&first),
        HashSet::from(["r1".to_owned()]),
        "retried through SQS"
    );
    // A 500 may hide an accepted message: the retry waits for the send's lease,
    // then asks Twilio before sending.
    bot.clock.advance(chrono::Duration::seconds(31));
    let second = handle_batch(&conversation, batch.clone()).await;
    assert!(second.batch_item_failures.is_empty());
    let third = handle_batch(&conversation, batch).await;
    assert!(third.batch_item_failures.is_empty());

    let sent = twilio.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, ANA);
    assert_eq!(
        sent[0].status_callback.as_deref(),
        Some("https://bot.example.test/webhooks/sms/status")
    );
    assert_eq!(
        bot.count(&format!(
            "SELECT count(*) FROM messages WHERE twilio_sid = '{}'",
            sent[0].sid
        ))
        .await,
        1,
        "the reply row carries Twilio's SID"
    );
}

#[tokio::test]
async fn twilio_refusing_with_21610_opts_the_contact_out() {
    let bot = TestBot::start().await;
    let twilio = TwilioStandIn::start().await;
    twilio.reject_recipient(ANA, 21610);
    let conversation = twilio_conversation(&bot, &twilio).await;

    let response = handle_batch(
        &conversation,
        event(vec![record(
            "r1",
            ANA,
            "help",
            "SM00000000000000000000000000000e01",
        )]),
    )
    .await;

    assert!(
        response.batch_item_failures.is_empty(),
        "permanent: recorded and acknowledged"
    );
    assert_eq!(bot.consent_of(ANA).await, "opted_out");
    assert_eq!(
        bot.count("SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = 'failed' AND error_code = 21610").await,
        1
    );
}
