//! Questions about the business are answered from its profile, offline, and
//! leave whatever was pending as it was.

use crate::support::TestBot;

const ANA: &str = "+14155550101";

#[tokio::test]
async fn what_are_your_hours_and_where_are_you_are_answered_from_the_profile() {
    let bot = TestBot::start().await;

    let hours = bot.reply_to(ANA, "what are your hours?").await;
    let place = bot.reply_to(ANA, "where are you located").await;
    let call = bot.reply_to(ANA, "what's your number").await;

    assert_eq!(
        hours,
        "Test Salon is open Mon-Fri 9:00 AM-5:00 PM, Sat 10:00 AM-2:00 PM. \
         Text a day and time to book."
    );
    assert_eq!(place, "Test Salon is at 12 Main St, Springfield.");
    assert_eq!(call, "I can't answer that by text, sorry: please call us.");
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn a_pending_confirmation_survives_a_question_about_the_hours() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;

    bot.reply_to(ANA, "are you open saturday?").await;
    let done = bot.reply_to(ANA, "yes").await;

    assert!(done.starts_with("You're booked"), "{done}");
}
