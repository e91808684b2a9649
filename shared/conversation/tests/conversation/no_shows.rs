//! The no-show rule: a customer who missed `NO_SHOW_LIMIT` visits can still
//! book by text, but the booking waits for the front desk (it keeps its
//! place meanwhile); under the limit, nothing changes.

use std::sync::Arc;

use smsbot_conversation::{Conversation, Policy};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::Outbox;

use crate::support::{TestBot, ny, policy};

const ANA: &str = "+14155550121";

/// The bot with a limit of two no-shows, and Ana, who missed `missed` visits.
async fn bot_where_ana_missed(missed: usize) -> TestBot {
    let mut bot = TestBot::start().await;
    let outbox = Outbox::new(
        bot.db.pool.clone(),
        bot.phone.clone(),
        bot.clock.clone(),
        policy().timezone,
    );
    bot.conversation = Conversation::new(
        bot.db.pool.clone(),
        Arc::new(OfflineUnderstander),
        outbox,
        bot.clock.clone(),
        Policy {
            no_show_limit: Some(2),
            ..policy()
        },
    );
    let client = bot.db.pool.get().await.unwrap();
    let contact: i64 = client
        .query_one(
            "INSERT INTO contacts (phone) VALUES ($1) RETURNING id",
            &[&ANA],
        )
        .await
        .unwrap()
        .get(0);
    for week in 1..=missed {
        let starts = ny("2026-02-02T10:00:00") + chrono::Duration::weeks(week as i64);
        client
            .execute(
                "WITH slot AS (
                     INSERT INTO availability_slots (provider_id, starts_at, ends_at, capacity)
                     VALUES ($1, $2::timestamptz, $2::timestamptz + interval '30 minutes', 1)
                     RETURNING id, starts_at, ends_at)
                 INSERT INTO appointments (contact_id, slot_id, status, starts_at, ends_at)
                 SELECT $3, id, 'no_show', starts_at, ends_at FROM slot",
                &[&bot.provider, &starts, &contact],
            )
            .await
            .unwrap();
    }
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot
}

async fn awaiting_approval(bot: &TestBot) -> Vec<bool> {
    let client = bot.db.pool.get().await.unwrap();
    client
        .query(
            "SELECT needs_approval AND approved_at IS NULL FROM appointments
              WHERE status = 'booked' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_customer_over_the_no_show_limit_is_pencilled_in_for_the_front_desk_to_confirm() {
    let bot = bot_where_ana_missed(2).await;
    bot.reply_to(ANA, "can i come in tmrw at 3pm").await;
    let reply = bot.reply_to(ANA, "yes").await;
    assert_eq!(
        reply,
        "I've pencilled you in for Tue Mar 3, 3:00 PM. Our front desk will text you to confirm it shortly."
    );
    assert_eq!(awaiting_approval(&bot).await, vec![true]);
}

#[tokio::test]
async fn a_customer_under_the_limit_books_as_everyone_does() {
    let bot = bot_where_ana_missed(1).await;
    bot.reply_to(ANA, "can i come in tmrw at 3pm").await;
    let reply = bot.reply_to(ANA, "yes").await;
    assert!(
        reply.starts_with("You're booked for Tue Mar 3, 3:00 PM."),
        "{reply}"
    );
    assert_eq!(awaiting_approval(&bot).await, vec![false]);
}
