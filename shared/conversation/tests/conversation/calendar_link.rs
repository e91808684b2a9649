//! A booking confirmed by text carries a link to add the visit to the
//! customer's calendar when the business has a public address, and still
//! fits in two SMS segments.

use std::sync::Arc;

use smsbot_conversation::{Conversation, Policy};
use smsbot_domain::SmsBody;
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::Outbox;

use crate::support::{TestBot, policy};

const ANA: &str = "+14155550131";

#[tokio::test]
async fn a_booking_confirmation_links_to_the_appointments_calendar_file() {
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
            links_base: Some("https://clinic.example/prod/".parse().unwrap()),
            ..policy()
        },
    );
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    bot.reply_to(ANA, "tmrw at 3pm?").await;
    let done = bot.reply_to(ANA, "yes").await;
    let link = done
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no link in {done:?}"));
    assert!(
        link.starts_with("https://clinic.example/prod/api/calendars/appointments/")
            && link.ends_with(".ics"),
        "{link}"
    );
    assert!(
        done.starts_with("You're booked for Tue Mar 3, 3:00 PM."),
        "{done}"
    );
    let body = SmsBody::parse(done.clone()).unwrap();
    assert!(body.segments() <= 2, "{} segments: {done}", body.segments());
    assert_eq!(
        bot.count("SELECT count(*) FROM appointment_calendar_links")
            .await,
        1
    );
}
