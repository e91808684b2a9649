//! End to end: a customer texts the webhook, the message goes through the FIFO
//! queue in the emulator to the worker, which talks to Postgres and replies.

use crate::support;

use support::{TestBot, ny};

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";

#[tokio::test]
async fn a_customer_books_an_open_time_by_naming_it_and_saying_yes() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-03T15:30:00"], 1)
        .await;

    let question = bot
        .reply_to(ANA, "Hi, can I book an appointment tomorrow at 3pm?")
        .await;
    assert_eq!(
        question,
        "Tue Mar 3, 3:00 PM is open. Shall I book it? Reply YES or NO."
    );

    let done = bot.reply_to(ANA, "yes").await;
    assert!(
        done.starts_with("You're booked for Tue Mar 3, 3:00 PM."),
        "{done}"
    );
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
}

#[tokio::test]
async fn a_customer_picks_the_second_of_the_offered_times() {
    let bot = TestBot::start().await;
    bot.open_slots(
        &[
            "2026-03-04T10:00:00",
            "2026-03-04T10:30:00",
            "2026-03-04T11:00:00",
        ],
        1,
    )
    .await;

    let offers = bot
        .reply_to(ANA, "do you have anything on Wednesday?")
        .await;
    assert!(
        offers.contains("1) Wed Mar 4, 10:00 AM 2) Wed Mar 4, 10:30 AM 3) Wed Mar 4, 11:00 AM"),
        "{offers}"
    );

    let confirm = bot.reply_to(ANA, "the second one").await;
    assert_eq!(
        confirm,
        "Wed Mar 4, 10:30 AM is open. Shall I book it? Reply YES or NO."
    );
    bot.reply_to(ANA, "yes please").await;

    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-04T10:30:00")]);
}

#[tokio::test]
async fn no_later_offers_the_next_openings_after_the_one_shown() {
    let bot = TestBot::start().await;
    bot.open_slots(
        &[
            "2026-03-03T15:00:00",
            "2026-03-03T17:00:00",
            "2026-03-03T17:30:00",
        ],
        1,
    )
    .await;

    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    let later = bot.reply_to(ANA, "no, later").await;

    assert!(
        later.contains("1) Tue Mar 3, 5:00 PM 2) Tue Mar 3, 5:30 PM"),
        "{later}"
    );
    assert_eq!(bot.count("SELECT count(*) FROM appointments").await, 0);
}

#[tokio::test]
async fn a_customer_cancels_their_appointment() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    let question = bot.reply_to(ANA, "I need to cancel my appointment").await;
    assert_eq!(
        question,
        "Cancel your appointment on Tue Mar 3, 3:00 PM? Reply YES or NO."
    );
    let done = bot.reply_to(ANA, "yes").await;

    assert_eq!(done, "Your Tue Mar 3, 3:00 PM appointment is cancelled.");
    assert!(bot.booked_starts().await.is_empty());
    // The slot is free again.
    assert_eq!(
        bot.count("SELECT sum(booked_count)::bigint FROM availability_slots")
            .await,
        0
    );
}

#[tokio::test]
async fn a_customer_reschedules_to_another_day() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-05T10:00:00"], 1)
        .await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    let question = bot
        .reply_to(ANA, "can I reschedule to Thursday at 10am?")
        .await;
    assert_eq!(
        question,
        "Move your Tue Mar 3, 3:00 PM appointment to Thu Mar 5, 10:00 AM? Reply YES or NO."
    );
    let done = bot.reply_to(ANA, "yes").await;

    assert_eq!(done, "Done, your appointment is now Thu Mar 5, 10:00 AM.");
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-05T10:00:00")]);
    assert_eq!(
        bot.count("SELECT count(*) FROM appointment_events WHERE kind = 'rescheduled'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_customer_lists_their_appointments() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    assert_eq!(
        bot.reply_to(ANA, "what appointments do I have?").await,
        "You have no upcoming appointments. Want to book one? Tell me a day and time."
    );
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    let list = bot.reply_to(ANA, "what appointments do I have?").await;

    assert_eq!(list, "Your next appointment: Tue Mar 3, 3:00 PM.");
}

#[tokio::test]
async fn stop_opts_out_silently_and_start_opts_back_in_with_a_confirmation() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    assert!(
        bot.text(ANA, "STOP").await.is_empty(),
        "Twilio confirms opt-outs itself"
    );
    assert_eq!(bot.consent_of(ANA).await, "opted_out");
    assert!(
        bot.text(ANA, "book tomorrow at 3pm").await.is_empty(),
        "no reply while opted out"
    );
    assert!(bot.text(ANA, "help").await.is_empty());

    let back = bot.reply_to(ANA, "Start").await;
    assert!(back.starts_with("You're subscribed again"), "{back}");
    assert_eq!(bot.consent_of(ANA).await, "opted_in");
    assert_eq!(
        bot.count("SELECT count(*) FROM consent_events WHERE source = 'keyword'")
            .await,
        2
    );
}

#[tokio::test]
async fn yes_resubscribes_an_opted_out_contact_but_is_an_answer_for_a_subscribed_one() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.text(ANA, "cancel").await;
    assert_eq!(
        bot.consent_of(ANA).await,
        "opted_out",
        "a lone CANCEL is an opt-out"
    );

    assert!(
        bot.reply_to(ANA, "YES")
            .await
            .starts_with("You're subscribed again")
    );

    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    assert!(bot.reply_to(ANA, "YES").await.starts_with("You're booked"));
}

#[tokio::test]
async fn help_is_answered_with_what_the_bot_can_do() {
    let bot = TestBot::start().await;

    let help = bot.reply_to(ANA, "HELP").await;

    assert!(
        help.starts_with("Test Salon: text a day and time to book"),
        "{help}"
    );
    assert!(help.contains("STOP"));
}

#[tokio::test]
async fn an_expired_conversation_starts_over_and_never_books_on_stale_data() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;

    bot.clock.advance(chrono::Duration::minutes(31));
    let reply = bot.reply_to(ANA, "yes").await;

    assert!(
        reply.starts_with("Sorry, our last chat timed out, so I started over."),
        "{reply}"
    );
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn a_garbled_message_gets_a_clarifying_question_and_books_nothing() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let reply = bot.reply_to(ANA, "qwzx plorb ??").await;

    assert!(reply.starts_with("Sorry, I didn't get that."), "{reply}");
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn a_message_in_another_language_gets_a_polite_fallback_and_books_nothing() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    for text in [
        "Hola, quisiera saber si tienen disponibilidad",
        "Bonjour, je voudrais un rendez-vous",
        "sí",
    ] {
        let reply = bot.reply_to(ANA, text).await;
        let polite = reply.starts_with("Sorry, I didn't get that.")
            || reply.starts_with("Hi! This is Test Salon.");
        assert!(polite, "{text:?} got {reply:?}");
    }
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn the_second_customer_to_confirm_a_taken_slot_is_offered_others() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-03T15:30:00"], 1)
        .await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(BEN, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    let reply = bot.reply_to(BEN, "yes").await;

    assert!(
        reply.starts_with("Sorry, that time was just taken. I have: 1) Tue Mar 3, 3:30 PM."),
        "{reply}"
    );
    assert_eq!(bot.booked_starts().await.len(), 1);
}

#[tokio::test]
async fn moving_onto_a_time_the_customer_already_holds_keeps_both_and_says_so() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.open_slots(&["2026-03-05T10:00:00"], 2).await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;
    bot.reply_to(ANA, "book thursday at 10am").await;
    bot.reply_to(ANA, "yes").await;

    bot.reply_to(ANA, "reschedule").await;
    bot.reply_to(ANA, "1").await;
    let question = bot.reply_to(ANA, "thursday at 10am").await;
    assert!(
        question.starts_with("Move your Tue Mar 3, 3:00 PM"),
        "{question}"
    );
    let answer = bot.reply_to(ANA, "yes").await;

    assert_eq!(
        answer,
        "You already have Thu Mar 5, 10:00 AM booked, so I kept your Tue Mar 3, 3:00 PM \
         appointment as it is. Text \"cancel appointment\" if you want to drop one."
    );
    assert_eq!(
        bot.booked_starts().await,
        vec![ny("2026-03-03T15:00:00"), ny("2026-03-05T10:00:00")]
    );
}

#[tokio::test]
async fn asking_to_move_it_to_another_day_moves_the_booking_instead_of_adding_one() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-04T10:00:00"], 1)
        .await;
    bot.reply_to(ANA, "book tomorrow at 3pm").await;
    bot.reply_to(ANA, "yes").await;

    let question = bot
        .reply_to(ANA, "can I move it to wednesday at 10am")
        .await;
    assert_eq!(
        question,
        "Move your Tue Mar 3, 3:00 PM appointment to Wed Mar 4, 10:00 AM? Reply YES or NO."
    );
    let done = bot.reply_to(ANA, "y").await;

    assert_eq!(done, "Done, your appointment is now Wed Mar 4, 10:00 AM.");
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-04T10:00:00")]);
}
