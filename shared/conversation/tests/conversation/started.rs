//! An appointment that has started can no longer be cancelled or moved by text:
//! the customer is told so, and the appointment stays as it was.

use chrono::Duration;
use smsbot_outbox::Clock;

use crate::support::{TestBot, ny};

const ANA: &str = "+14155550101";

/// Ana holds Tue Mar 3, 3:00 PM, and the clock shows 2:50 PM that day.
async fn ten_minutes_before_anas_appointment(extra_slots: &[&str]) -> TestBot {
    let bot = TestBot::start().await;
    let mut slots = vec!["2026-03-03T15:00:00"];
    slots.extend_from_slice(extra_slots);
    bot.open_slots(&slots, 1).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    bot.clock
        .advance(ny("2026-03-03T14:50:00") - bot.clock.now());
    bot
}

#[tokio::test]
async fn a_cancellation_confirmed_after_the_appointment_started_is_refused_with_a_clear_reply() {
    let bot = ten_minutes_before_anas_appointment(&[]).await;
    let question = bot.reply_to(ANA, "I need to cancel my appointment").await;
    assert_eq!(
        question,
        "Cancel your appointment on Tue Mar 3, 3:00 PM? Reply YES or NO."
    );

    // She answers at 3:05 PM, once it has started.
    bot.clock.advance(Duration::minutes(15));
    let answer = bot.reply_to(ANA, "yes").await;

    assert_eq!(
        answer,
        "Your appointment has already started, so it can't be cancelled by text. Please call us."
    );
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    assert_eq!(
        bot.count("SELECT sum(booked_count)::bigint FROM availability_slots")
            .await,
        1,
        "its place is still taken"
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM appointment_events WHERE kind = 'cancelled'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_move_confirmed_after_the_appointment_started_is_refused_with_a_clear_reply() {
    let bot = ten_minutes_before_anas_appointment(&["2026-03-05T10:00:00"]).await;
    let question = bot
        .reply_to(ANA, "can I reschedule to Thursday at 10am?")
        .await;
    assert_eq!(
        question,
        "Move your Tue Mar 3, 3:00 PM appointment to Thu Mar 5, 10:00 AM? Reply YES or NO."
    );

    bot.clock.advance(Duration::minutes(15));
    let answer = bot.reply_to(ANA, "yes").await;

    assert_eq!(
        answer,
        "Your appointment has already started, so it can't be moved by text. Please call us."
    );
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    assert_eq!(
        bot.count("SELECT count(*) FROM appointment_events WHERE kind = 'rescheduled'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_same_cancellation_a_minute_before_the_start_still_goes_through() {
    let bot = ten_minutes_before_anas_appointment(&[]).await;
    bot.reply_to(ANA, "I need to cancel my appointment").await;

    bot.clock.advance(Duration::minutes(9));
    let answer = bot.reply_to(ANA, "yes").await;

    assert_eq!(answer, "Your Tue Mar 3, 3:00 PM appointment is cancelled.");
    assert!(bot.booked_starts().await.is_empty());
}
