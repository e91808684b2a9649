//! Short answers to the bot's yes-or-no questions, as people really text them.

use crate::support::{TestBot, ny};

const ANA: &str = "+14155550101";

#[tokio::test]
async fn y_thumbs_up_k_and_sounds_good_each_confirm_a_booking() {
    for yes in [
        "y",
        "👍",
        "👍🏽",
        "k",
        "Sounds good!",
        "yep",
        "ok thanks",
        "✅",
        "yesss",
    ] {
        let bot = TestBot::start().await;
        bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
        let question = bot.reply_to(ANA, "can I book tomorrow at 3pm").await;
        assert!(question.ends_with("Reply YES or NO."), "{question}");

        let done = bot.reply_to(ANA, yes).await;

        assert!(done.starts_with("You're booked"), "{yes:?} -> {done}");
        assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    }
}

#[tokio::test]
async fn n_nah_and_thumbs_down_decline_without_booking() {
    for no in ["n", "nah", "👎", "not really", "can't make it", "nope"] {
        let bot = TestBot::start().await;
        bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
        bot.reply_to(ANA, "can I book tomorrow at 3pm").await;

        let answer = bot.reply_to(ANA, no).await;

        assert!(!answer.starts_with("You're booked"), "{no:?} -> {answer}");
        assert!(
            !answer.starts_with("Sorry, I didn't get that"),
            "{no:?} -> {answer}"
        );
        assert!(bot.booked_starts().await.is_empty(), "{no:?}");
    }
}

#[tokio::test]
async fn a_short_yes_confirms_a_cancellation_and_a_short_no_keeps_it() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    bot.reply_to(ANA, "cancel appointment").await;
    let kept = bot.reply_to(ANA, "nah").await;
    assert!(!bot.booked_starts().await.is_empty(), "{kept}");

    bot.reply_to(ANA, "cancel appointment").await;
    let done = bot.reply_to(ANA, "k").await;
    assert!(done.contains("cancelled"), "{done}");
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn a_short_answer_with_nothing_asked_is_not_a_booking() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let answer = bot.reply_to(ANA, "k").await;

    assert!(!answer.starts_with("You're booked"), "{answer}");
    assert!(bot.booked_starts().await.is_empty());
}
