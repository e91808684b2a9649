//! Questions about one's own appointments are answered with them and never
//! start a booking.

use crate::support::TestBot;

const ANA: &str = "+14155550101";

#[tokio::test]
async fn when_is_my_appointment_and_its_variants_list_the_booking() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-03T16:00:00"], 1)
        .await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    for question in [
        "when is my appointment?",
        "what time is my appt again",
        "what time am I booked",
        "do I have anything this week",
        "is it still on for tomorrow?",
        "When's my appt",
    ] {
        let answer = bot.reply_to(ANA, question).await;
        assert_eq!(
            answer, "Your next appointment: Tue Mar 3, 3:00 PM.",
            "{question:?}"
        );
    }
    assert_eq!(bot.booked_starts().await.len(), 1, "nothing new booked");
}

#[tokio::test]
async fn asking_with_nothing_booked_says_so_instead_of_offering_slots() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let answer = bot.reply_to(ANA, "what time is my appt again").await;

    assert_eq!(answer, smsbot_conversation::replies::no_appointments());
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn a_pending_offer_survives_a_question_about_ones_appointments() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-04T10:00:00"], 1)
        .await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;
    let question = bot.reply_to(ANA, "book wednesday at 10am").await;
    assert!(question.ends_with("Reply YES or NO."), "{question}");

    bot.reply_to(ANA, "when is my appointment?").await;
    let done = bot.reply_to(ANA, "yes").await;

    assert!(
        done.starts_with("You're booked for Wed Mar 4, 10:00 AM"),
        "{done}"
    );
    assert_eq!(bot.booked_starts().await.len(), 2);
}
