//! A turn holds at most one pooled connection at a time: with a pool of one,
//! every kind of turn still finishes.

use std::time::Duration;

use crate::support::TestBot;

#[tokio::test]
async fn booking_moving_and_cancelling_work_with_a_pool_of_one_connection() {
    let bot = TestBot::with_one_connection().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-04T10:00:00"], 1)
        .await;
    let ana = "+14155550101";
    let conversation = async {
        for text in [
            "hi",
            "can I book tomorrow at 3pm?",
            "yes",
            "reschedule",
            "wednesday at 10am",
            "yes",
            "help",
            "cancel appointment",
            "yes",
            "STOP",
            "START",
        ] {
            bot.text(ana, text).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), conversation)
        .await
        .expect("no turn waits for a second connection");
    assert!(
        bot.booked_starts().await.is_empty(),
        "booked, moved, cancelled"
    );
}
