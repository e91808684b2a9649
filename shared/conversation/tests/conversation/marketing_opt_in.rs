//! The customer's own marketing opt-in. Texting in gives service consent only;
//! JOIN, typed however people type it, is answered with the business, the
//! frequency, the cost and how to stop, and recorded with its proof. STOP (in
//! any words) revokes both kinds; START gives back service messages only, and
//! marketing waits for a new JOIN.

use std::sync::Arc;

use smsbot_conversation::{Conversation, MarketingOptIn, Policy};
use smsbot_domain::{ConsentKind, InboundSms, MessageSid, OptInKeyword, PhoneNumber, SmsBody};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{Clock, Outbox};
use smsbot_store::consent::{self, ConsentEvent};

use crate::support::{TestBot, policy};

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";
const CARA: &str = "+14155550103";

const CONFIRMATION: &str = "Test Salon: you're signed up for offers by text, up to 4 msgs/month. \
                            Msg&data rates may apply. Reply STOP to opt out, HELP for help.";

/// (service, marketing) consent of the contact with this number.
async fn consent(bot: &TestBot, phone: &str) -> (String, Option<String>) {
    let client = bot.db.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT consent, marketing_consent FROM contacts WHERE phone = $1",
            &[&phone],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

fn both(service: &str, marketing: Option<&str>) -> (String, Option<String>) {
    (service.to_owned(), marketing.map(str::to_owned))
}

async fn history(bot: &TestBot, phone: &str) -> Vec<ConsentEvent> {
    let client = bot.db.pool.get().await.unwrap();
    let contact = client
        .query_one("SELECT id FROM contacts WHERE phone = $1", &[&phone])
        .await
        .unwrap()
        .get(0);
    consent::history(&client, contact).await.unwrap()
}

#[tokio::test]
async fn a_booking_request_gives_service_consent_only() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let offer = bot.reply_to(ANA, "can I book tomorrow at 3pm?").await;

    assert!(offer.contains("Shall I book it?"), "{offer}");
    assert_eq!(consent(&bot, ANA).await, both("opted_in", None));
    let events = history(&bot, ANA).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].kind,
            events[0].source.as_str(),
            events[0].actor.as_str()
        ),
        (ConsentKind::Service, "inbound", "customer")
    );
}

#[tokio::test]
async fn join_however_it_is_typed_is_answered_with_the_terms_and_recorded_with_its_proof() {
    let bot = TestBot::start().await;
    for (phone, texted) in [(ANA, "join"), (BEN, "Join!"), (CARA, "JOIN ")] {
        assert_eq!(
            bot.reply_to(phone, texted).await,
            CONFIRMATION,
            "{texted:?}"
        );
        assert_eq!(
            consent(&bot, phone).await,
            both("opted_in", Some("opted_in"))
        );

        let events = history(&bot, phone).await;
        let opt_in = events
            .iter()
            .find(|e| e.kind == ConsentKind::Marketing)
            .expect("the marketing opt-in is on the audit trail");
        assert_eq!(opt_in.detail.as_deref(), Some(texted.trim()));
        assert_eq!(opt_in.actor.as_str(), "customer");
        let proof = opt_in.evidence.as_ref().expect("recorded with its proof");
        assert!(
            proof.source().starts_with("text message SM"),
            "{}",
            proof.source()
        );
        assert_eq!(proof.consent_text(), CONFIRMATION);
        assert_eq!(proof.obtained_at(), bot.clock.now());
    }
}

#[tokio::test]
async fn join_inside_a_sentence_is_conversation_not_an_opt_in() {
    let bot = TestBot::start().await;
    let reply = bot.reply_to(ANA, "can I join my mom's appointment?").await;
    assert_ne!(reply, CONFIRMATION);
    assert_eq!(consent(&bot, ANA).await, both("opted_in", None));
}

#[tokio::test]
async fn a_second_join_is_confirmed_again_but_recorded_once() {
    let bot = TestBot::start().await;
    assert_eq!(bot.reply_to(ANA, "JOIN").await, CONFIRMATION);
    assert_eq!(bot.reply_to(ANA, "join").await, CONFIRMATION);
    let opt_ins = history(&bot, ANA)
        .await
        .into_iter()
        .filter(|e| e.kind == ConsentKind::Marketing)
        .count();
    assert_eq!(opt_ins, 1);
}

#[tokio::test]
async fn stop_in_words_revokes_both_and_start_gives_back_service_messages_only() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "Join!").await;

    let bye = bot.reply_to(ANA, "stop pls").await;
    assert!(bye.starts_with("You're unsubscribed"), "{bye}");
    assert_eq!(
        consent(&bot, ANA).await,
        both("opted_out", Some("opted_out"))
    );
    assert!(bot.text(ANA, "book tomorrow at 3pm").await.is_empty());

    let back = bot.reply_to(ANA, "START").await;
    assert!(back.starts_with("You're subscribed again"), "{back}");
    assert_eq!(
        consent(&bot, ANA).await,
        both("opted_in", Some("opted_out"))
    );
    let offer = bot.reply_to(ANA, "book tomorrow at 3pm").await;
    assert!(offer.contains("Shall I book it?"), "{offer}");

    assert_eq!(bot.reply_to(ANA, "join").await, CONFIRMATION);
    assert_eq!(consent(&bot, ANA).await, both("opted_in", Some("opted_in")));
}

#[tokio::test]
async fn join_after_a_stop_keyword_gives_both_kinds_back_and_is_confirmed() {
    let bot = TestBot::start().await;
    bot.reply_to(ANA, "JOIN").await;
    assert!(
        bot.text(ANA, "STOP").await.is_empty(),
        "Twilio confirms its own keyword"
    );
    assert_eq!(
        consent(&bot, ANA).await,
        both("opted_out", Some("opted_out"))
    );

    assert_eq!(bot.reply_to(ANA, "Join.").await, CONFIRMATION);
    assert_eq!(consent(&bot, ANA).await, both("opted_in", Some("opted_in")));
}

#[tokio::test]
async fn the_business_may_choose_its_own_opt_in_word() {
    let bot = TestBot::start().await;
    let conversation = Conversation::new(
        bot.db.pool.clone(),
        Arc::new(OfflineUnderstander),
        Outbox::new(
            bot.db.pool.clone(),
            bot.phone.clone(),
            bot.clock.clone(),
            policy().timezone,
        ),
        bot.clock.clone(),
        Policy {
            marketing: MarketingOptIn {
                keyword: OptInKeyword::parse("DEALS").unwrap(),
                frequency_cap: None,
            },
            ..policy()
        },
    );
    let text = |body: &str, n: u32| InboundSms {
        message_sid: MessageSid::parse(&format!("SM{n:032x}")).unwrap(),
        account_sid: None,
        from: PhoneNumber::parse_e164(ANA).unwrap(),
        to: PhoneNumber::parse_e164("+14155550199").unwrap(),
        body: SmsBody::parse(body.to_owned()).unwrap(),
        num_media: 0,
        opt_out_type: None,
    };

    conversation.handle(&text("join", 1)).await.unwrap();
    assert_eq!(consent(&bot, ANA).await, both("opted_in", None));
    conversation.handle(&text("Deals!", 2)).await.unwrap();
    assert_eq!(consent(&bot, ANA).await, both("opted_in", Some("opted_in")));
    let replies = bot.phone.take(ANA);
    assert_eq!(
        replies.last().unwrap(),
        "Test Salon: you're signed up for offers by text, Msg frequency varies. \
         Msg&data rates may apply. Reply STOP to opt out, HELP for help."
    );
}
