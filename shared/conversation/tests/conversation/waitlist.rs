//! The waitlist by text: a customer for whom the time asked had nothing joins
//! it ("waitlist", or "yes" when nothing at all was open); when that time
//! frees up they are texted with a hold, and "y" books it ("no" passes it on).

use chrono::Duration;
use smsbot_conversation::waitlist_offers::WaitlistOffers;
use smsbot_outbox::{Clock, Outbox};
use smsbot_store::appointments;

use crate::support::{TestBot, ny, policy};

const ANA: &str = "+14155550141";
const BEN: &str = "+14155550142";

fn offers_of(bot: &TestBot) -> WaitlistOffers {
    let outbox = Outbox::new(
        bot.db.pool.clone(),
        bot.phone.clone(),
        bot.clock.clone(),
        policy().timezone,
    );
    WaitlistOffers::new(
        bot.db.pool.clone(),
        outbox,
        bot.clock.clone(),
        Duration::minutes(15),
    )
}

/// The bot, offering time freed by text to the waitlist.
async fn bot_offering_freed_time() -> TestBot {
    let mut bot = TestBot::start().await;
    bot.conversation = bot
        .sending_through(bot.phone.clone())
        .with_waitlist(offers_of(&bot));
    bot
}

/// Ben holds Tuesday 3 PM; 4 PM is open.
async fn ben_holds_three(bot: &TestBot) -> smsbot_domain::SlotId {
    let slots = bot
        .open_slots(&["2026-03-03T15:00:00", "2026-03-03T16:00:00"], 1)
        .await;
    bot.reply_to(BEN, "tmrw at 3pm").await;
    bot.reply_to(BEN, "yes").await;
    slots[0]
}

async fn cancel_bens(bot: &TestBot) {
    let client = bot.db.pool.get().await.unwrap();
    let (id, contact): (smsbot_domain::AppointmentId, smsbot_domain::ContactId) = {
        let row = client
            .query_one(
                "SELECT a.id, a.contact_id FROM appointments a JOIN contacts c ON c.id = a.contact_id
                  WHERE c.phone = $1 AND a.status = 'booked'",
                &[&BEN],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    appointments::cancel(&client, contact, id, bot.clock.now())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_customer_joins_the_waitlist_and_takes_the_time_when_it_frees_up() {
    let bot = TestBot::start().await;
    let three = ben_holds_three(&bot).await;
    let offers = bot.reply_to(ANA, "can i come in tmrw at 3?").await;
    assert!(offers.contains("Tue Mar 3, 4:00 PM"), "{offers}");
    assert!(
        offers.ends_with(
            "Or reply WAITLIST and I'll text you if something opens up at the time you asked."
        ),
        "{offers}"
    );
    let joined = bot.reply_to(ANA, "waitlist pls").await;
    assert!(
        joined.starts_with("You're on the waitlist for Tue Mar 3,"),
        "{joined}"
    );

    cancel_bens(&bot).await;
    offers_of(&bot).slot_freed(three).await.unwrap();
    let texted = bot.phone.take(ANA);
    assert_eq!(texted.len(), 1, "{texted:?}");
    assert!(
        texted[0].contains("Tue Mar 3, 3:00 PM just opened up"),
        "{}",
        texted[0]
    );

    let done = bot.reply_to(ANA, "y").await;
    assert!(
        done.starts_with("You're booked for Tue Mar 3, 3:00 PM."),
        "{done}"
    );
    assert_eq!(
        bot.booked_starts().await,
        vec![ny("2026-03-03T15:00:00")],
        "Ana holds 3 PM, Ben cancelled"
    );
}

#[tokio::test]
async fn an_offer_answered_no_is_passed_on_and_one_answered_late_is_gone() {
    let bot = TestBot::start().await;
    let three = ben_holds_three(&bot).await;
    bot.reply_to(ANA, "tmrw 3pm?").await;
    bot.reply_to(ANA, "put me on the waitlist").await;
    cancel_bens(&bot).await;
    offers_of(&bot).slot_freed(three).await.unwrap();
    bot.phone.take(ANA);
    let passed = bot.reply_to(ANA, "no thanks").await;
    assert_eq!(
        passed,
        "OK, I'll pass it on. You stay on the waitlist for another time."
    );
    assert!(bot.booked_starts().await.is_empty());
}

#[tokio::test]
async fn with_nothing_open_at_all_the_bot_offers_the_waitlist_and_yes_joins_it() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(BEN, "tmrw at 3pm").await;
    bot.reply_to(BEN, "yes").await;
    let asked = bot.reply_to(ANA, "anything tmrw at 3?").await;
    assert!(
        asked.ends_with("Want me to text you if something opens up then? Reply YES or NO."),
        "{asked}"
    );
    let joined = bot.reply_to(ANA, "ya").await;
    assert!(joined.starts_with("You're on the waitlist for"), "{joined}");
    assert_eq!(
        bot.count("SELECT count(*) FROM waitlist_entries WHERE status = 'waiting'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_cancellation_by_text_offers_the_freed_time_to_the_waitlist() {
    let bot = ana_waits_for_bens_three().await;
    bot.reply_to(BEN, "cancel my appointment").await;
    let done = bot.reply_to(BEN, "yes").await;
    assert!(done.contains("cancelled"), "{done}");
    ana_is_offered_three(&bot);
}

#[tokio::test]
async fn a_move_by_text_offers_the_time_left_behind_to_the_waitlist() {
    let bot = ana_waits_for_bens_three().await;
    bot.reply_to(BEN, "can i move my appt to 4pm").await;
    let moved = bot.reply_to(BEN, "yes").await;
    assert!(moved.contains("now Tue Mar 3, 4:00 PM"), "{moved}");
    ana_is_offered_three(&bot);
}

/// A bot that offers freed time, with Ben booked at 3 PM tomorrow and Ana on
/// the waitlist for it.
async fn ana_waits_for_bens_three() -> TestBot {
    let bot = bot_offering_freed_time().await;
    ben_holds_three(&bot).await;
    bot.reply_to(ANA, "tmrw at 3?").await;
    bot.reply_to(ANA, "waitlist").await;
    bot
}

fn ana_is_offered_three(bot: &TestBot) {
    let texted = bot.phone.take(ANA);
    assert!(
        texted
            .iter()
            .any(|t| t.contains("Tue Mar 3, 3:00 PM just opened up")),
        "{texted:?}"
    );
}
