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

mod profile {
    //! The website and the FAQ, from the settings and from what operators
    //! stored through the admin API: answered offline (never by the LLM),
    //! nothing booked, a pending offer kept; a booking request that mentions
    //! a FAQ's subject is still a booking request.

    use std::sync::Arc;

    use chrono::Duration;
    use smsbot_conversation::{BusinessProfile, Conversation, Policy};
    use smsbot_domain::{Faq, FaqEntry, Website};
    use smsbot_nlu::{HybridUnderstander, Understander};
    use smsbot_outbox::{Clock, Outbox};
    use smsbot_store::business_profile::{self, FaqAdded, ProfileChanges};

    use crate::support::{self, TestBot, ny};

    const ANA: &str = "+14155550101";

    fn faq() -> Vec<FaqEntry> {
        Faq::parse(&[
            (
                "Do you take walk-ins?",
                "Walk-ins welcome weekdays before 3pm.",
            ),
            ("Is there parking?", "Free parking in the lot behind us."),
            (
                "What is your cancellation policy?",
                "Please cancel 24 hours ahead; late cancellations may be charged.",
            ),
        ])
        .unwrap()
        .entries()
        .to_vec()
    }

    /// The test salon with a website and a FAQ in its settings.
    fn policy() -> Policy {
        let base = support::policy();
        Policy {
            profile: BusinessProfile {
                website: Some(Website::parse("https://testsalon.example").unwrap()),
                faq: faq(),
                ..base.profile.clone()
            },
            ..base
        }
    }

    fn understanding(bot: &mut TestBot, understander: Arc<dyn Understander>) {
        let clock: Arc<dyn Clock> = bot.clock.clone();
        let outbox = Outbox::new(
            bot.db.pool.clone(),
            bot.phone.clone(),
            clock.clone(),
            support::tz(),
        );
        bot.conversation =
            Conversation::new(bot.db.pool.clone(), understander, outbox, clock, policy());
    }

    async fn bot() -> TestBot {
        let mut bot = TestBot::start().await;
        understanding(&mut bot, Arc::new(smsbot_nlu::OfflineUnderstander));
        bot
    }

    #[tokio::test]
    async fn the_website_and_the_faq_are_answered_from_the_settings_and_nothing_is_booked() {
        let bot = bot().await;
        bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

        let site = bot.reply_to(ANA, "whats ur website").await;
        let walk_in = bot.reply_to(ANA, "do u take walkins?").await;
        let parking = bot.reply_to(ANA, "is there parking near you").await;
        let policy = bot.reply_to(ANA, "whats ur cancellation policy").await;

        assert_eq!(
            site,
            "You'll find Test Salon online at https://testsalon.example"
        );
        assert_eq!(walk_in, "Walk-ins welcome weekdays before 3pm.");
        assert_eq!(parking, "Free parking in the lot behind us.");
        assert!(
            policy.starts_with("Please cancel 24 hours ahead"),
            "{policy}"
        );
        assert!(bot.booked_starts().await.is_empty());
    }

    #[tokio::test]
    async fn a_pending_offer_survives_a_faq_question() {
        let bot = bot().await;
        bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
        bot.reply_to(ANA, "book tomorrow at 3pm").await;

        let parking = bot.reply_to(ANA, "oh is there parking?").await;
        let done = bot.reply_to(ANA, "yes").await;

        assert_eq!(parking, "Free parking in the lot behind us.");
        assert!(done.starts_with("You're booked"), "{done}");
        assert_eq!(bot.booked_starts().await, [ny("2026-03-03T15:00:00")]);
    }

    #[tokio::test]
    async fn a_booking_or_a_cancellation_that_mentions_a_faq_subject_is_not_taken_for_the_faq() {
        let bot = bot().await;
        bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

        let offer = bot
            .reply_to(ANA, "can I book a walk-in tomorrow at 3")
            .await;
        let booked = bot.reply_to(ANA, "yes").await;
        let cancel = bot.reply_to(ANA, "i need to cancel my appointment").await;

        assert!(offer.contains("3:00 PM"), "{offer}");
        assert!(booked.starts_with("You're booked"), "{booked}");
        assert!(cancel.contains("Cancel"), "{cancel}");
        assert!(!cancel.contains("24 hours ahead"), "{cancel}");
    }

    #[tokio::test]
    async fn what_operators_store_applies_from_the_next_message() {
        let bot = bot().await;
        let site = Website::parse("https://new.testsalon.example").unwrap();
        business_profile::update(
            &bot.db.pool,
            &ProfileChanges {
                name: Some(Some("Test Salon & Spa")),
                website: Some(Some(&site)),
                hours: Some(Some("tue-sat 10:00-18:00")),
                ..Default::default()
            },
            bot.clock.now(),
        )
        .await
        .unwrap();
        let kids = FaqEntry::parse("Do you do kids cuts?", "Yes, under 12s are $15.").unwrap();
        let settings_faq = Faq::new(faq()).unwrap();
        let added =
            business_profile::add_faq_entry(&bot.db.pool, &settings_faq, &kids, bot.clock.now())
                .await
                .unwrap();
        assert!(matches!(added, FaqAdded::Added(_)));

        assert_eq!(
            bot.reply_to(ANA, "do you have a website?").await,
            "You'll find Test Salon & Spa online at https://new.testsalon.example"
        );
        assert!(
            bot.reply_to(ANA, "what are your hours")
                .await
                .contains("Tue-Sat 10:00 AM-6:00 PM")
        );
        assert_eq!(
            bot.reply_to(ANA, "kids cuts?").await,
            "Yes, under 12s are $15."
        );
        assert_eq!(
            bot.reply_to(ANA, "walk ins?").await,
            "Walk-ins welcome weekdays before 3pm.",
            "the settings' entries were copied in"
        );
        assert!(
            bot.reply_to(ANA, "HELP")
                .await
                .starts_with("Test Salon & Spa:")
        );

        business_profile::update(
            &bot.db.pool,
            &ProfileChanges {
                name: Some(None),
                ..Default::default()
            },
            bot.clock.now() + Duration::minutes(1),
        )
        .await
        .unwrap();
        assert!(bot.reply_to(ANA, "HELP").await.starts_with("Test Salon:"));
    }

    #[tokio::test]
    async fn no_llm_is_asked_about_a_question_the_profile_answers() {
        let (llm, client) = support::llm_reading_everything_as("greeting").await;
        let mut bot = TestBot::start().await;
        // Asked about everything the rules are not certain of.
        understanding(
            &mut bot,
            Arc::new(HybridUnderstander::new(Some(client), 1.0)),
        );

        for text in [
            "what are your hours?",
            "where r u located",
            "whats ur website",
            "do you take walk-ins?",
            "is there parking",
        ] {
            bot.reply_to(ANA, text).await;
        }
        assert_eq!(llm.calls(), 0);

        bot.reply_to(ANA, "what is albert einstein famous for")
            .await;
        assert_eq!(llm.calls(), 1, "anything else is still asked");
    }
}
