//! A human in the loop: a customer who asks for a person, complains, or whom
//! the bot fails twice is told who follows up and when, staff are alerted
//! (once), and the bot stays quiet for them (but for STOP, START, HELP) until
//! staff release the conversation or the quiet time passes. "Running late"
//! and friends are acknowledged and passed on, and the bot carries on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::{DateTime, Duration};
use chrono_tz::Tz;
use smsbot_aws::SnsTopic;
use smsbot_conversation::staff_alerts::{Alert, AlertError, Receipt};
use smsbot_conversation::{
    Conversation, Handoff, InMemoryStaffAlerts, SmsStaffAlerts, SnsStaffAlerts, StaffAlerts,
    TurnOutcome, handle_batch, human_request,
};
use smsbot_domain::{ContactId, InboundSms, PhoneNumber, StaffReason};
use smsbot_nlu::{HybridUnderstander, Intent, Understander, Understanding};
use smsbot_outbox::{Clock, Outbox};
use smsbot_store::{contacts, handoffs};

use crate::support::{self, TestBot, ny};

const ANA: &str = "+14155550121";
const BEN: &str = "+14155550122";
const STAFF: &str = "+14155550188";

/// The test bot, handing over to `alerts`.
struct Desk {
    bot: TestBot,
    conversation: Conversation,
}

impl Desk {
    async fn start() -> (Self, Arc<InMemoryStaffAlerts>) {
        let alerts = Arc::new(InMemoryStaffAlerts::default());
        (
            Self::alerting(TestBot::start().await, alerts.clone()),
            alerts,
        )
    }

    fn alerting(bot: TestBot, alerts: Arc<dyn StaffAlerts>) -> Self {
        let conversation =
            TestBot::conversation_with(&bot.db, bot.phone.clone(), bot.clock.clone())
                .with_handoff(Handoff::new(Duration::hours(24), alerts));
        Self { bot, conversation }
    }

    /// Understanding with `understander` (alerts kept in memory).
    fn understanding(bot: TestBot, understander: Arc<dyn Understander>) -> Self {
        let conversation = TestBot::conversation_understanding(
            &bot.db,
            understander,
            bot.phone.clone(),
            bot.clock.clone(),
        );
        Self { bot, conversation }
    }

    /// Texts the bot from `from` and returns its replies to that number.
    async fn text(&self, from: &str, body: &str) -> Vec<String> {
        let sid = self.bot.next_sid();
        assert_eq!(self.bot.post(from, body, &sid).await, StatusCode::OK);
        loop {
            let event = self.bot.queue.receive_event(10, 0).await.unwrap();
            if event.records.is_empty() {
                break;
            }
            let response = handle_batch(&self.conversation, event.clone()).await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
            self.bot.queue.acknowledge(&event, &response).await.unwrap();
        }
        self.bot.phone.take(from)
    }

    async fn reply_to(&self, from: &str, body: &str) -> String {
        let replies = self.text(from, body).await;
        assert_eq!(replies.len(), 1, "one reply to {body:?}: {replies:?}");
        replies.into_iter().next().unwrap()
    }

    /// An inbound SMS as the queue carries it, to hand to the turn directly
    /// (twice: a redelivery).
    fn sms(&self, from: &str, body: &str) -> InboundSms {
        serde_json::from_value(serde_json::json!({
            "message_sid": self.bot.next_sid(), "account_sid": null, "from": from,
            "to": "+14155550199", "body": body, "num_media": 0, "opt_out_type": null,
        }))
        .unwrap()
    }

    async fn contact(&self, phone: &str) -> ContactId {
        let client = self.bot.db.pool.get().await.unwrap();
        contacts::find_or_create_by_phone(&client, &PhoneNumber::parse_e164(phone).unwrap())
            .await
            .unwrap()
    }

    /// The contact's handoffs, oldest first: (reason, released by).
    async fn handoffs_of(&self, phone: &str) -> Vec<(String, Option<String>)> {
        let client = self.bot.db.pool.get().await.unwrap();
        client
            .query(
                "SELECT h.reason, h.released_by FROM handoffs h
                   JOIN contacts c ON c.id = h.contact_id
                  WHERE c.phone = $1 ORDER BY h.id",
                &[&phone],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    async fn inbound_count(&self, phone: &str) -> i64 {
        let client = self.bot.db.pool.get().await.unwrap();
        client
            .query_one(
                "SELECT count(*) FROM messages m JOIN contacts c ON c.id = m.contact_id
                  WHERE c.phone = $1 AND m.direction = 'inbound'",
                &[&phone],
            )
            .await
            .unwrap()
            .get(0)
    }
}

#[tokio::test]
async fn asking_for_a_real_person_in_opening_hours_is_answered_today_and_staff_are_told() {
    let (desk, alerts) = Desk::start().await;
    desk.bot.clock.advance(Duration::hours(2)); // Monday 11:00

    let reply = desk.reply_to(ANA, "can I talk to a real person?").await;

    assert_eq!(
        reply,
        "Sure - I've asked someone from Test Salon to get back to you during opening hours \
         today (until 5:00 PM)."
    );
    assert_eq!(
        desk.handoffs_of(ANA).await,
        [("asked_for_person".to_owned(), None)]
    );
    let sent = alerts.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].reason, StaffReason::AskedForPerson);
    assert!(!sent[0].subject.contains(ANA), "{}", sent[0].subject);
    assert!(
        sent[0]
            .body
            .contains(&format!("{ANA} asked to talk to a person")),
        "{}",
        sent[0].body
    );
    assert!(
        sent[0].body.contains("them: can I talk to a real person?"),
        "{}",
        sent[0].body
    );
}

#[tokio::test]
async fn call_me_in_the_evening_is_answered_with_tomorrow_morning() {
    let (desk, alerts) = Desk::start().await;
    desk.bot.clock.advance(Duration::hours(11)); // Monday 20:00

    let reply = desk.reply_to(ANA, "can someone call me? 🙏").await;

    assert_eq!(
        reply,
        "Sure - I've asked someone from Test Salon to call you tomorrow from 9:00 AM."
    );
    assert_eq!(alerts.sent()[0].reason, StaffReason::AskedForCall);
}

#[tokio::test]
async fn a_complaint_on_saturday_afternoon_is_apologised_for_and_answered_monday() {
    let (desk, alerts) = Desk::start().await;
    desk.bot
        .clock
        .advance(Duration::days(5) + Duration::hours(6)); // Saturday 15:00

    let reply = desk
        .reply_to(ANA, "this is ridiculous, 3rd time i ask!!")
        .await;

    assert_eq!(
        reply,
        "I'm sorry to hear that. I've passed this on to Test Salon, and someone will get back \
         to you on Monday from 9:00 AM."
    );
    assert_eq!(desk.handoffs_of(ANA).await[0].0, "complaint");
    assert_eq!(alerts.sent()[0].reason, StaffReason::Complaint);
}

#[tokio::test]
async fn a_booking_that_mentions_a_call_stays_a_booking() {
    let (desk, alerts) = Desk::start().await;
    desk.bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let offer = desk
        .reply_to(ANA, "can I book a call tomorrow at 3pm")
        .await;
    assert_eq!(
        offer,
        "Tue Mar 3, 3:00 PM is open. Shall I book it? Reply YES or NO."
    );
    let done = desk.reply_to(ANA, "yes").await;

    assert!(done.starts_with("You're booked"), "{done}");
    assert!(desk.handoffs_of(ANA).await.is_empty());
    assert!(alerts.sent().is_empty());
}

/// Understands "hi" and nothing else, however the offline rules change.
struct Baffled;

#[async_trait]
impl Understander for Baffled {
    async fn understand(&self, text: &str, _now: DateTime<Tz>) -> Understanding {
        let (intent, confidence) = match text {
            "hi" => (Intent::Greeting, 1.0),
            _ => (Intent::Unknown, 0.1),
        };
        Understanding {
            intent,
            date: None,
            date_range: None,
            time: None,
            time_range: None,
            selection: None,
            direction: None,
            confidence,
        }
    }
}

impl Desk {
    /// A bot that understands only "hi", alerting in memory.
    async fn baffled() -> (Self, Arc<InMemoryStaffAlerts>) {
        let alerts = Arc::new(InMemoryStaffAlerts::default());
        let mut desk = Self::understanding(TestBot::start().await, Arc::new(Baffled));
        desk.conversation = desk
            .conversation
            .with_handoff(Handoff::new(Duration::hours(24), alerts.clone()));
        (desk, alerts)
    }
}

#[tokio::test]
async fn two_messages_not_understood_in_a_row_go_to_staff() {
    let (desk, alerts) = Desk::baffled().await;

    let first = desk.reply_to(ANA, "purple monkey dishwasher").await;
    assert!(first.starts_with("Sorry, I didn't get that."), "{first}");
    let second = desk.reply_to(ANA, "zxcv qwerty lol").await;

    assert_eq!(
        second,
        "Sorry, I'm not getting it. I've asked someone from Test Salon to get back to you \
         during opening hours today (until 5:00 PM)."
    );
    assert_eq!(desk.handoffs_of(ANA).await[0].0, "not_understood");
    let sent = alerts.sent();
    assert_eq!(sent[0].reason, StaffReason::NotUnderstood);
    assert!(
        sent[0].body.contains("them: purple monkey dishwasher"),
        "{}",
        sent[0].body
    );
    assert!(
        sent[0].body.contains("bot: Sorry, I didn't get that."),
        "{}",
        sent[0].body
    );
}

#[tokio::test]
async fn one_message_not_understood_between_two_that_are_is_not_two_in_a_row() {
    let (desk, alerts) = Desk::baffled().await;

    desk.reply_to(ANA, "purple monkey dishwasher").await;
    let hello = desk.reply_to(ANA, "hi").await;
    assert!(hello.starts_with("Hi! This is Test Salon"), "{hello}");
    let again = desk.reply_to(ANA, "zxcv qwerty lol").await;

    assert!(again.starts_with("Sorry, I didn't get that."), "{again}");
    assert!(desk.handoffs_of(ANA).await.is_empty());
    assert!(alerts.sent().is_empty());
}

#[tokio::test]
async fn while_staff_have_the_conversation_the_bot_records_and_stays_quiet_but_help_stop_and_start_work()
 {
    let (desk, _) = Desk::start().await;
    desk.bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    desk.reply_to(ANA, "human pls").await;

    assert!(desk.text(ANA, "hello??").await.is_empty());
    assert!(desk.text(ANA, "book tomorrow at 3pm").await.is_empty());
    assert!(desk.text(ANA, "talk to someone").await.is_empty());
    assert_eq!(desk.inbound_count(ANA).await, 4);
    assert!(desk.bot.booked_starts().await.is_empty());

    let help = desk.reply_to(ANA, "HELP").await;
    assert!(
        help.starts_with("Test Salon: text a day and time"),
        "{help}"
    );
    assert!(
        desk.text(ANA, "STOP").await.is_empty(),
        "Twilio confirms STOP"
    );
    assert_eq!(desk.bot.consent_of(ANA).await, "opted_out");
    let back = desk.reply_to(ANA, "START").await;
    assert!(back.starts_with("You're subscribed again"), "{back}");
    // Still with staff: one handoff, not answered.
    assert!(desk.text(ANA, "so is anyone there").await.is_empty());
    assert_eq!(desk.handoffs_of(ANA).await.len(), 1);
}

#[tokio::test]
async fn a_stop_in_words_is_confirmed_while_staff_have_the_conversation() {
    let (desk, _) = Desk::start().await;
    desk.reply_to(ANA, "worst service ever").await;

    let confirmation = desk.reply_to(ANA, "please stop texting me").await;

    assert!(
        confirmation.starts_with("You're unsubscribed from Test Salon"),
        "{confirmation}"
    );
    assert_eq!(desk.bot.consent_of(ANA).await, "opted_out");
}

#[tokio::test]
async fn once_staff_release_the_conversation_the_bot_answers_again() {
    let (desk, _) = Desk::start().await;
    desk.bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    desk.reply_to(ANA, "i want to speak to a human").await;
    assert!(desk.text(ANA, "book tomorrow at 3pm").await.is_empty());

    let client = desk.bot.db.pool.get().await.unwrap();
    let contact = desk.contact(ANA).await;
    let released = handoffs::release(&client, contact, desk.bot.clock.now())
        .await
        .unwrap();
    assert!(released.is_some());

    let offer = desk.reply_to(ANA, "book tomorrow at 3pm").await;
    assert!(offer.contains("Shall I book it?"), "{offer}");
    assert_eq!(
        desk.handoffs_of(ANA).await,
        [("asked_for_person".to_owned(), Some("staff".to_owned()))]
    );
}

#[tokio::test]
async fn after_the_quiet_time_the_bot_answers_again_by_its_own_clock() {
    let (desk, alerts) = Desk::start().await;
    desk.bot.open_slots(&["2026-03-05T15:00:00"], 1).await;
    desk.reply_to(ANA, "call me back").await;

    desk.bot.clock.advance(Duration::hours(23));
    assert!(desk.text(ANA, "book thursday at 3pm").await.is_empty());

    desk.bot.clock.advance(Duration::hours(1));
    let offer = desk.reply_to(ANA, "book thursday at 3pm").await;
    assert!(offer.contains("Shall I book it?"), "{offer}");

    // A new request opens a new handoff; the old one ended by itself.
    desk.reply_to(ANA, "actually can I talk to someone").await;
    assert_eq!(
        desk.handoffs_of(ANA).await,
        [
            ("asked_for_call".to_owned(), Some("timeout".to_owned())),
            ("asked_for_person".to_owned(), None),
        ]
    );
    assert_eq!(alerts.sent().len(), 2);
}

#[tokio::test]
async fn running_late_is_acknowledged_and_passed_on_without_a_handoff() {
    let (desk, alerts) = Desk::start().await;
    desk.bot
        .open_slots(&["2026-03-02T11:00:00", "2026-03-04T10:00:00"], 1)
        .await;
    desk.reply_to(ANA, "book today at 11am").await;
    desk.reply_to(ANA, "yes").await;
    desk.bot
        .clock
        .advance(Duration::hours(2) - Duration::minutes(5)); // 10:55

    let ack = desk.reply_to(ANA, "running 10 min late, sorry!").await;

    assert_eq!(
        ack,
        "Thanks for letting us know \u{2014} we'll tell the team."
    );
    assert!(desk.handoffs_of(ANA).await.is_empty());
    let sent = alerts.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].reason, StaffReason::RunningLate);
    assert!(sent[0].body.contains("is running late"), "{}", sent[0].body);
    assert!(
        sent[0].body.contains("Appointment: Mon Mar 2, 11:00 AM."),
        "{}",
        sent[0].body
    );
    assert_eq!(desk.bot.booked_starts().await, [ny("2026-03-02T11:00:00")]);

    // The bot carries on: the next message is for it.
    let offer = desk
        .reply_to(ANA, "can i also book wednesday at 10am")
        .await;
    assert!(offer.contains("Wed Mar 4, 10:00 AM"), "{offer}");
}

#[tokio::test]
async fn here_and_on_my_way_are_passed_on_too() {
    let (desk, alerts) = Desk::start().await;

    for (text, reason) in [
        ("omw 🚗", StaffReason::OnTheWay),
        ("be there in 5", StaffReason::OnTheWay),
        ("I'm here!", StaffReason::Arrived),
    ] {
        let ack = desk.reply_to(BEN, text).await;
        assert!(
            ack.starts_with("Thanks for letting us know"),
            "{text}: {ack}"
        );
        assert_eq!(alerts.sent().last().unwrap().reason, reason, "{text}");
    }
    assert!(desk.handoffs_of(BEN).await.is_empty());
}

#[tokio::test]
async fn no_llm_is_asked_for_a_request_for_a_person_nor_while_staff_have_the_conversation() {
    let (llm, client) = support::llm_reading_everything_as("unknown").await;
    // Asked about everything the rules are not certain of.
    let understander = Arc::new(HybridUnderstander::new(Some(client), 1.0));
    let desk = Desk::understanding(TestBot::start().await, understander);
    const UNCLEAR: &str = "what is albert einstein famous for";

    desk.reply_to(ANA, "can i talk to a real person pls").await;
    assert!(desk.text(ANA, UNCLEAR).await.is_empty());
    assert_eq!(llm.calls(), 0);

    let client = desk.bot.db.pool.get().await.unwrap();
    handoffs::release(&client, desk.contact(ANA).await, desk.bot.clock.now())
        .await
        .unwrap();
    desk.reply_to(ANA, UNCLEAR).await;
    assert_eq!(llm.calls(), 1, "the bot asks again once released");
}

/// Asking the LLM about everything the rules are not certain of (a
/// threshold of 1), compliance keywords, opt-outs in words and messages for
/// staff still never reach it: they are read before understanding.
#[tokio::test]
async fn keywords_opt_outs_in_words_and_messages_for_staff_never_reach_the_llm() {
    let (llm, client) = support::llm_reading_everything_as("unknown").await;
    let understander = Arc::new(HybridUnderstander::new(Some(client), 1.0));
    let desk = Desk::understanding(TestBot::start().await, understander);
    let texts = [
        "STOP",
        "stop texting me pls",
        "unsubscribe me",
        "START",
        "HELP",
        "can i talk to a real person?",
        "call me",
        "this is ridiculous",
        "running 10 min late, sorry!",
        "omw",
    ];
    for (n, text) in texts.iter().enumerate() {
        // A customer each, so that no handoff keeps the next one quiet.
        let from = format!("+1415555{:04}", 3000 + n);
        desk.text(&from, text).await;
        assert_eq!(llm.calls(), 0, "{text:?} reached the LLM");
    }
}

/// The SMS stand-in for staff: an alert texted to the staff phone through
/// the outbox, delivered twice (a redelivery) and texted once.
#[tokio::test]
async fn the_alert_is_texted_to_the_staff_phone_once_when_the_message_comes_again() {
    let bot = TestBot::start().await;
    let outbox = Outbox::new(
        bot.db.pool.clone(),
        bot.phone.clone(),
        bot.clock.clone(),
        support::tz(),
    );
    let alerts = SmsStaffAlerts::new(
        bot.db.pool.clone(),
        outbox,
        PhoneNumber::parse_e164(STAFF).unwrap(),
    );
    let desk = Desk::alerting(bot, Arc::new(alerts));
    let sms = desk.sms(ANA, "can someone call me");

    let first = desk.conversation.handle(&sms).await.unwrap();
    let again = desk.conversation.handle(&sms).await.unwrap();

    assert_eq!(first, TurnOutcome::HandedOff(StaffReason::AskedForCall));
    assert_eq!(again, TurnOutcome::Duplicate);
    assert_eq!(desk.bot.phone.take(ANA).len(), 1);
    let texted = desk.bot.phone.take(STAFF);
    assert_eq!(texted.len(), 1, "{texted:?}");
    assert!(
        texted[0].starts_with(&format!("Test Salon: {ANA} asked for a call.")),
        "{}",
        texted[0]
    );
    assert!(
        texted[0].contains("them: can someone call me"),
        "{}",
        texted[0]
    );
    // Recorded as sent, and not as a message of any contact.
    assert_eq!(
        desk.bot
            .count(
                "SELECT count(*) FROM staff_alerts WHERE channel = 'sms' AND sent_at IS NOT NULL"
            )
            .await,
        1
    );
    assert_eq!(
        desk.bot
            .count("SELECT count(*) FROM messages WHERE internal_to IS NOT NULL AND contact_id IS NULL AND twilio_sid IS NOT NULL")
            .await,
        1
    );
}

/// A channel that fails the first time, then takes alerts.
struct DownOnce {
    failed: AtomicBool,
    then: InMemoryStaffAlerts,
}

#[async_trait]
impl StaffAlerts for DownOnce {
    async fn send(&self, alert: &Alert) -> Result<Receipt, AlertError> {
        if !self.failed.swap(true, Ordering::SeqCst) {
            return Err(AlertError::Unavailable("SNS had a bad minute".into()));
        }
        self.then.send(alert).await
    }
}

#[tokio::test]
async fn an_alert_that_could_not_go_is_sent_when_the_message_comes_again_and_the_reply_is_not() {
    let alerts = Arc::new(DownOnce {
        failed: AtomicBool::new(false),
        then: InMemoryStaffAlerts::default(),
    });
    let desk = Desk::alerting(TestBot::start().await, alerts.clone());
    let sms = desk.sms(ANA, "i want to complain");

    let failed = desk.conversation.handle(&sms).await;
    assert!(failed.is_err_and(|e| e.is_transient()), "SQS retries it");
    assert_eq!(desk.bot.phone.take(ANA).len(), 1, "the reply went");
    let retried = desk.conversation.handle(&sms).await.unwrap();

    assert_eq!(retried, TurnOutcome::Duplicate);
    assert!(
        desk.bot.phone.take(ANA).is_empty(),
        "the reply is not sent twice"
    );
    assert_eq!(alerts.then.sent().len(), 1);
    assert_eq!(
        desk.bot
            .count("SELECT count(*) FROM staff_alerts WHERE sent_at IS NOT NULL AND attempts = 2")
            .await,
        1
    );
}

/// The AWS channel, against the emulator: the alert is published to the
/// topic, and a subscriber reads who, why and what they said.
#[tokio::test]
async fn the_alert_is_published_to_the_staff_topic() {
    let bot = TestBot::start().await;
    let (topic, inbox) = smsbot_test_support::create_subscribed_topic(&bot.sdk).await;
    let sns = SnsTopic::new(aws_sdk_sns::Client::new(&bot.sdk), topic);
    let desk = Desk::alerting(bot, Arc::new(SnsStaffAlerts::new(sns)));

    desk.reply_to(ANA, "this bot is useless, get me a human")
        .await;

    let received = smsbot_test_support::drain_queue(&desk.bot.sdk, &inbox).await;
    assert_eq!(received.len(), 1);
    let envelope: serde_json::Value =
        serde_json::from_str(received[0].body().unwrap_or_default()).unwrap();
    assert_eq!(
        envelope["Subject"],
        "Test Salon: a customer is unhappy (complaint)"
    );
    let message = envelope["Message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("Test Salon: {ANA} is unhappy (complaint).")),
        "{message}"
    );
    assert!(
        message.contains("them: this bot is useless, get me a human"),
        "{message}"
    );
    let receipt: Option<String> = desk
        .bot
        .db
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT receipt FROM staff_alerts WHERE channel = 'sns'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(receipt.as_deref(), envelope["MessageId"].as_str());
}

#[tokio::test]
async fn a_topic_that_does_not_exist_is_reported_and_does_not_hold_the_customer_up() {
    let bot = TestBot::start().await;
    let sns = SnsTopic::new(
        aws_sdk_sns::Client::new(&bot.sdk),
        "arn:aws:sns:us-east-1:123456789012:no-such-topic",
    );
    let desk = Desk::alerting(bot, Arc::new(SnsStaffAlerts::new(sns)));

    let reply = desk.reply_to(ANA, "can I speak to the manager").await;

    assert!(reply.starts_with("Sure - I've asked someone"), "{reply}");
    assert_eq!(desk.handoffs_of(ANA).await.len(), 1);
    assert_eq!(
        desk.bot
            .count(
                "SELECT count(*) FROM staff_alerts WHERE sent_at IS NULL AND lease_until IS NULL"
            )
            .await,
        1
    );
}

#[tokio::test]
async fn erasing_a_contact_empties_the_alerts_that_quoted_them() {
    let (desk, _) = Desk::start().await;
    desk.reply_to(ANA, "real person please").await;

    let contact = desk.contact(ANA).await;
    assert!(contacts::erase(&desk.bot.db.pool, contact).await.unwrap());

    assert_eq!(
        desk.bot
            .count("SELECT count(*) FROM staff_alerts WHERE body IS NOT NULL")
            .await,
        0
    );
}

/// Every line of the team's dev corpora (booking, cancelling, small talk;
/// none of them for a person) read alone: none goes to staff.
#[test]
fn no_line_of_the_dev_corpora_is_read_as_for_staff() {
    let files = smsbot_test_support::nlu_dev_corpora();
    if files.is_empty() {
        return;
    }
    let (mut lines, mut for_staff) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus is readable");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let body = v["text"].as_str().unwrap_or_default();
            lines += 1;
            if let Some(reason) = human_request::asked(body) {
                for_staff.push((reason, body.to_owned()));
            }
        }
    }
    println!("{lines} lines, {} read as for staff", for_staff.len());
    assert!(lines > 1000, "the corpora were read");
    assert!(for_staff.is_empty(), "read as for staff: {for_staff:#?}");
}
