//! Poison: a record that can never be handled holds back its own contact's
//! group at most, never the rest of the batch; one that fails the same way
//! every time is answered with an apology and acknowledged.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::sqs::SqsEvent;
use chrono::DateTime;
use chrono_tz::Tz;
use smsbot_conversation::{TurnOutcome, handle_batch};
use smsbot_nlu::{OfflineUnderstander, Understander, Understanding};

use crate::support::{TestBot, record};

/// Understands offline, except for one text, on which it panics.
struct PanicsOn(&'static str);

#[async_trait]
impl Understander for PanicsOn {
    async fn understand(&self, text: &str, now: DateTime<Tz>) -> Understanding {
        assert_ne!(text, self.0, "a bug in understanding");
        OfflineUnderstander.understand(text, now).await
    }
}

fn phone(i: usize) -> String {
    format!("+1415555{:04}", 200 + i)
}

#[tokio::test]
async fn a_record_that_panics_holds_back_only_its_own_group_and_the_nine_others_are_answered() {
    let bot = TestBot::start().await;
    let conversation = TestBot::conversation_understanding(
        &bot.db,
        Arc::new(PanicsOn("💣")),
        bot.phone.clone(),
        bot.clock.clone(),
    );
    let mut event = SqsEvent::default();
    for i in 0..10 {
        let body = if i == 4 { "💣" } else { "hello" };
        event
            .records
            .push(record(&format!("r{i}"), &phone(i), body, &bot.next_sid()));
    }

    let response = handle_batch(&conversation, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        ["r4"],
        "only the poisoned record's group is retried"
    );
    for i in (0..10).filter(|i| *i != 4) {
        assert_eq!(bot.phone.take(&phone(i)).len(), 1, "{} answered", phone(i));
    }
    assert!(bot.phone.take(&phone(4)).is_empty());
    assert_eq!(
        bot.count("SELECT count(*) FROM messages WHERE direction = 'inbound'")
            .await,
        9,
        "the panicked turn left nothing half-done"
    );
}

#[tokio::test]
async fn a_turn_that_fails_the_same_way_every_time_is_answered_with_an_apology_once() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    // A constraint the turn trips on every time for this one contact.
    let client = bot.db.pool.get().await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE FUNCTION refuse_state() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF (SELECT phone FROM contacts WHERE id = NEW.contact_id) = '{}' THEN
                 RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';
               END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_state BEFORE INSERT OR UPDATE ON conversations
               FOR EACH ROW EXECUTE FUNCTION refuse_state();",
            phone(1)
        ))
        .await
        .unwrap();
    drop(client);
    let poisoned = record(
        "poisoned",
        &phone(1),
        "book tomorrow at 3pm",
        &bot.next_sid(),
    );
    let mut first = SqsEvent::default();
    first.records = vec![
        poisoned.clone(),
        record("fine", &phone(2), "hello", &bot.next_sid()),
    ];

    let response = handle_batch(&bot.conversation, first.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let apology = bot.phone.take(&phone(1));
    assert_eq!(apology.len(), 1);
    assert!(
        apology[0].starts_with("Sorry, something went wrong"),
        "{apology:?}"
    );
    assert_eq!(bot.phone.take(&phone(2)).len(), 1);

    // Delivered again (SQS at least once): recognised, nothing sent twice.
    let again = handle_batch(&bot.conversation, first).await;
    assert!(again.batch_item_failures.is_empty());
    assert!(bot.phone.take(&phone(1)).is_empty());
    let sms: smsbot_domain::InboundSms =
        serde_json::from_str(poisoned.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        bot.conversation.handle(&sms).await.unwrap(),
        TurnOutcome::Duplicate
    );
}

#[tokio::test]
async fn a_text_with_a_nul_character_is_recorded_and_answered() {
    let bot = TestBot::start().await;
    let reply = bot.reply_to("+14155550101", "hi\0 there").await;
    assert!(reply.starts_with("Hi!"), "{reply}");
}
