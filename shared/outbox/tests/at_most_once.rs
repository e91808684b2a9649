//! At most one SMS per recorded message, whatever Twilio or the process does
//! in the middle of a send: each fault below ends with exactly one message at
//! the Twilio stand-in. Plus the checks made at the moment of sending: consent
//! and quiet hours, and a pool of one connection is enough.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use smsbot_domain::{ConsentSource, ConsentState, ContactId, MessageId, PhoneNumber, SmsBody};
use smsbot_outbox::{
    Clock, Delivery, ManualClock, Outbox, SendFailure, SendOptions, SentSms, SmsSender,
    TwilioSender,
};
use smsbot_store::messages::{self, InboundRecord};
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::{consent, contacts};
use smsbot_test_support::TestDatabase;
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_twilio::{AuthToken, TwilioClient};

const ANA: &str = "+14155550101";
const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

/// A recorded message, Twilio, and an outbox between them. The clock starts at
/// the real time, like the stand-in's, and only moves when a test says so.
struct Fixture {
    db: Arc<TestDatabase>,
    twilio: TwilioStandIn,
    clock: Arc<ManualClock>,
    contact: ContactId,
}

impl Fixture {
    async fn start() -> Self {
        Self::with_database(TestDatabase::create().await).await
    }

    async fn with_database(db: TestDatabase) -> Self {
        let client = db.pool.get().await.unwrap();
        let contact = contacts::find_or_create_by_phone(&client, &phone())
            .await
            .unwrap();
        drop(client);
        // Midday in New York, so no quiet hours get in the way unless a test
        // moves the clock there.
        let noon = Utc::now()
            .with_timezone(&TZ)
            .date_naive()
            .and_hms_opt(12, 0, 0);
        let start = noon
            .and_then(|n| n.and_local_timezone(TZ).single())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
        Self {
            db: Arc::new(db),
            twilio: TwilioStandIn::start().await,
            clock: Arc::new(ManualClock::at(start.min(Utc::now()))),
            contact,
        }
    }

    fn twilio_client(&self, timeout: StdDuration) -> TwilioSender {
        let client = TwilioClient::new(
            self.twilio.base_url.clone(),
            self.twilio.account_sid.clone(),
            AuthToken::new(self.twilio.auth_token.clone()).unwrap(),
            reqwest::Client::new(),
        )
        .unwrap()
        .with_timeout(timeout);
        TwilioSender::new(
            client,
            smsbot_twilio::Sender::PhoneNumber("+14155550199".to_owned()),
            None,
        )
    }

    fn outbox(&self) -> Outbox {
        self.outbox_through(Arc::new(self.twilio_client(StdDuration::from_secs(5))))
    }

    fn outbox_through(&self, sender: Arc<dyn SmsSender>) -> Outbox {
        Outbox::new(self.db.pool.clone(), sender, self.clock.clone(), TZ)
    }

    /// A reply to a message the contact sent, recorded and not sent yet.
    async fn reply(&self, text: &str) -> MessageId {
        let client = self.db.pool.get().await.unwrap();
        let inbound_sid = format!("SM{}", uuid_hex());
        let InboundRecord::New(inbound) =
            messages::record_inbound(&client, self.contact, &inbound_sid, "hi", 1)
                .await
                .unwrap()
        else {
            panic!("a new inbound message");
        };
        let body = SmsBody::parse(text.to_owned()).unwrap();
        outbound::record(
            &client,
            &NewOutbound {
                contact_id: self.contact,
                body: &body,
                purpose: Purpose::Reply {
                    inbound,
                    correlation_id: &inbound_sid,
                },
            },
        )
        .await
        .unwrap()
    }

    /// The send's lease runs out: another worker may now take it over.
    fn after_the_lease(&self) {
        self.clock.advance(Duration::seconds(31));
    }

    async fn sid_of(&self, message: MessageId) -> Option<String> {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one("SELECT twilio_sid FROM messages WHERE id = $1", &[&message])
            .await
            .unwrap()
            .get(0)
    }
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse_e164(ANA).unwrap()
}

fn uuid_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Delivers until the message is sent, as the retries through SQS would,
/// letting each lease run out in between; returns how many attempts it took.
async fn deliver_until_sent(fixture: &Fixture, outbox: &Outbox, message: MessageId) -> usize {
    for attempt in 1..=5 {
        match outbox.deliver(message).await {
            Ok(Delivery::Sent(_)) => return attempt,
            Ok(Delivery::Retry(_) | Delivery::Busy) | Err(_) => fixture.after_the_lease(),
            Ok(other) => panic!("unexpected delivery {other:?}"),
        }
    }
    panic!("not sent after five attempts");
}

#[tokio::test]
async fn twilio_taking_the_message_but_answering_too_late_still_sends_one_sms() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    fixture
        .twilio
        .accept_then_delay_next(1, StdDuration::from_secs(3));
    let impatient = fixture.outbox_through(Arc::new(
        fixture.twilio_client(StdDuration::from_millis(300)),
    ));

    let first = impatient.deliver(message).await.unwrap();
    assert!(
        matches!(first, Delivery::Retry(ref f) if f.may_have_been_sent()),
        "{first:?}"
    );
    let meanwhile = impatient.deliver(message).await.unwrap();
    assert!(
        matches!(meanwhile, Delivery::Busy),
        "the lease holds: {meanwhile:?}"
    );

    fixture.after_the_lease();
    let later = fixture.outbox().deliver(message).await.unwrap();
    assert!(matches!(later, Delivery::Sent(_)), "{later:?}");
    let sent = fixture.twilio.sent();
    assert_eq!(sent.len(), 1, "one SMS at Twilio");
    assert_eq!(fixture.sid_of(message).await, Some(sent[0].sid.clone()));
}

#[tokio::test]
async fn a_reply_is_sent_without_a_validity_period() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;

    let delivered = fixture.outbox().deliver(message).await.unwrap();

    assert!(matches!(delivered, Delivery::Sent(_)), "{delivered:?}");
    assert_eq!(fixture.twilio.sent()[0].validity_period, None);
}

#[tokio::test]
async fn twilio_taking_the_message_then_answering_500_still_sends_one_sms() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    fixture.twilio.accept_then_fail_next(1, 500);
    let outbox = fixture.outbox();

    let attempts = deliver_until_sent(&fixture, &outbox, message).await;

    assert_eq!(attempts, 2);
    let sent = fixture.twilio.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(fixture.sid_of(message).await, Some(sent[0].sid.clone()));
}

#[tokio::test]
async fn a_500_before_twilio_took_the_message_sends_it_on_the_retry_once() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    fixture.twilio.fail_next(1, 500);
    let outbox = fixture.outbox();

    deliver_until_sent(&fixture, &outbox, message).await;

    assert_eq!(fixture.twilio.sent().len(), 1);
    assert_eq!(fixture.twilio.attempts(), 2, "looked up, then sent once");
}

/// Sends through Twilio, then takes the database away before the SID can be
/// recorded.
struct DatabaseFailsAfterSend {
    twilio: TwilioSender,
    db: Arc<TestDatabase>,
}

#[async_trait]
impl SmsSender for DatabaseFailsAfterSend {
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        let sent = self.twilio.send(to, body, options).await;
        self.db.outage().await;
        sent
    }

    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        self.twilio.find_sent(to, body, since).await
    }
}

#[tokio::test]
async fn recording_the_sid_failing_after_twilio_took_the_message_never_sends_it_twice() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    let failing = fixture.outbox_through(Arc::new(DatabaseFailsAfterSend {
        twilio: fixture.twilio_client(StdDuration::from_secs(5)),
        db: fixture.db.clone(),
    }));

    let first = failing.deliver(message).await;
    assert!(first.is_err(), "the SID could not be recorded: {first:?}");
    fixture.db.restore().await;
    fixture.after_the_lease();
    let retry = fixture.outbox().deliver(message).await.unwrap();

    assert!(matches!(retry, Delivery::Sent(_)), "{retry:?}");
    let sent = fixture.twilio.sent();
    assert_eq!(sent.len(), 1, "found at Twilio, not sent again");
    assert_eq!(fixture.sid_of(message).await, Some(sent[0].sid.clone()));
}

/// Sends through Twilio, then never returns: the process dies before the
/// outcome is recorded.
struct DiesAfterSend(TwilioSender);

#[async_trait]
impl SmsSender for DiesAfterSend {
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        let _ = self.0.send(to, body, options).await;
        std::future::pending().await
    }

    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        self.0.find_sent(to, body, since).await
    }
}

#[tokio::test]
async fn the_process_dying_between_the_send_and_its_commit_never_sends_it_twice() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    let doomed = fixture.outbox_through(Arc::new(DiesAfterSend(
        fixture.twilio_client(StdDuration::from_secs(5)),
    )));

    let died = tokio::time::timeout(StdDuration::from_secs(2), doomed.deliver(message)).await;
    assert!(died.is_err(), "the send never came back");
    assert_eq!(fixture.twilio.sent().len(), 1);

    fixture.after_the_lease();
    let outbox = fixture.outbox();
    let retry = outbox.deliver(message).await.unwrap();
    assert!(matches!(retry, Delivery::Sent(_)), "{retry:?}");
    let again = outbox.deliver(message).await.unwrap();
    assert!(matches!(again, Delivery::NotClaimed), "{again:?}");
    assert_eq!(fixture.twilio.sent().len(), 1);
}

#[tokio::test]
async fn a_lookup_never_takes_the_sid_of_an_earlier_identical_message() {
    let fixture = Fixture::start().await;
    let outbox = fixture.outbox();
    // Two identical answers to two texts: the first is sent and recorded.
    let first = fixture.reply("Sorry, I didn't get that.").await;
    assert!(matches!(
        outbox.deliver(first).await.unwrap(),
        Delivery::Sent(_)
    ));
    // The second's first send fails before Twilio takes it, but looks unknown.
    let second = fixture.reply("Sorry, I didn't get that.").await;
    fixture.twilio.fail_next(1, 503);

    deliver_until_sent(&fixture, &outbox, second).await;

    let sent = fixture.twilio.sent();
    assert_eq!(sent.len(), 2, "the second answer went out too");
    assert_ne!(fixture.sid_of(first).await, fixture.sid_of(second).await);
}

#[tokio::test]
async fn a_contact_who_opted_out_after_the_message_was_recorded_gets_nothing() {
    let fixture = Fixture::start().await;
    let message = fixture.reply("See you at 3").await;
    let client = fixture.db.pool.get().await.unwrap();
    consent::set_consent(
        &client,
        fixture.contact,
        ConsentState::OptedOut,
        ConsentSource::Keyword,
        Some("STOP"),
    )
    .await
    .unwrap();
    drop(client);

    let delivery = fixture.outbox().deliver(message).await.unwrap();

    assert!(matches!(delivery, Delivery::NotClaimed), "{delivery:?}");
    assert_eq!(fixture.twilio.attempts(), 0);
}

#[tokio::test]
async fn a_message_we_start_waits_for_the_end_of_quiet_hours_and_a_reply_does_not() {
    let fixture = Fixture::start().await;
    // 23:30 in New York (the contact's zone is unknown: the business's applies).
    let late = fixture
        .clock
        .now()
        .with_timezone(&TZ)
        .date_naive()
        .and_hms_opt(23, 30, 0);
    let late = late
        .and_then(|t| t.and_local_timezone(TZ).single())
        .unwrap()
        .with_timezone(&Utc);
    fixture.clock.advance(late - fixture.clock.now());
    let reminder = reminder(&fixture, "Reminder: see you tomorrow at 9").await;
    let reply = fixture.reply("Sure, see you").await;
    let outbox = fixture.outbox();

    let deferred = outbox.deliver(reminder).await.unwrap();
    let Delivery::Deferred(until) = deferred else {
        panic!("deferred, not {deferred:?}");
    };
    assert_eq!(until.with_timezone(&TZ).time().to_string(), "08:00:00");
    assert!(matches!(
        outbox.deliver(reply).await.unwrap(),
        Delivery::Sent(_)
    ));
    assert_eq!(fixture.twilio.sent().len(), 1, "only the reply");

    fixture.clock.advance(until - fixture.clock.now());
    assert!(matches!(
        outbox.deliver(reminder).await.unwrap(),
        Delivery::Sent(_)
    ));
    assert_eq!(fixture.twilio.sent().len(), 2);
}

/// A reminder of an appointment the contact holds, recorded and not sent.
async fn reminder(fixture: &Fixture, text: &str) -> MessageId {
    let client = fixture.db.pool.get().await.unwrap();
    let provider = smsbot_store::availability::ensure_provider(&client, "Dr. Lee")
        .await
        .unwrap();
    let starts = fixture.clock.now() + Duration::hours(10);
    let row = client
        .query_one(
            "WITH slot AS (
                 INSERT INTO availability_slots (provider_id, starts_at, ends_at, capacity)
                 VALUES ($1, $2::timestamptz, $2::timestamptz + interval '30 minutes', 1)
                 RETURNING id, starts_at, ends_at)
             INSERT INTO appointments (contact_id, slot_id, status, starts_at, ends_at)
             SELECT $3, id, 'booked', starts_at, ends_at FROM slot RETURNING id",
            &[&provider, &starts, &fixture.contact],
        )
        .await
        .unwrap();
    let body = SmsBody::parse(text.to_owned()).unwrap();
    outbound::record(
        &client,
        &NewOutbound {
            contact_id: fixture.contact,
            body: &body,
            purpose: Purpose::Reminder(row.get(0)),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn one_pooled_connection_is_enough_for_every_outcome() {
    let fixture = Fixture::with_database(TestDatabase::create_with_pool(1).await).await;
    let outbox = fixture.outbox();
    let sent = fixture.reply("One").await;
    let refused = fixture.reply("Two").await;
    let doubted = fixture.reply("Three").await;

    let all = async {
        assert!(matches!(
            outbox.deliver(sent).await.unwrap(),
            Delivery::Sent(_)
        ));
        fixture.twilio.accept_then_fail_next(1, 502);
        assert!(matches!(
            outbox.deliver(doubted).await.unwrap(),
            Delivery::Retry(_)
        ));
        fixture.after_the_lease();
        assert!(matches!(
            outbox.deliver(doubted).await.unwrap(),
            Delivery::Sent(_)
        ));
        fixture.twilio.reject_recipient(ANA, 21610);
        assert!(matches!(
            outbox.deliver(refused).await.unwrap(),
            Delivery::Refused(_)
        ));
    };
    tokio::time::timeout(StdDuration::from_secs(20), all)
        .await
        .expect("no use case waits for a second connection");
}
