//! Concurrency: many customers at once, swaps, and the same message many times.

use std::sync::Arc;
use std::time::Duration;

use smsbot_domain::{AppointmentId, ContactId, InboundSms, SlotId};
use smsbot_store::appointments::{self, BookingOutcome, RescheduleOutcome};
use smsbot_store::contacts;

use crate::support::{TestBot, monday_morning, ny, policy};

fn sms(from: &str, body: &str, sid: &str) -> InboundSms {
    serde_json::from_value(serde_json::json!({
        "message_sid": sid,
        "account_sid": null,
        "from": from,
        "to": "+14155550199",
        "body": body,
        "num_media": 0,
        "opt_out_type": null,
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_customers_racing_for_one_slot_of_capacity_one_make_exactly_one_booking() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    let phones: Vec<String> = (150..200).map(|n| format!("+1415555{n:04}")).collect();
    for phone in &phones {
        bot.reply_to(phone, "book tomorrow at 3pm").await;
    }

    let yeses = phones.iter().map(|phone| {
        let conversation = bot.conversation.clone();
        let message = sms(phone, "yes", &bot.next_sid());
        tokio::spawn(async move { conversation.handle(&message).await })
    });
    for result in futures::future::join_all(yeses).await {
        result.unwrap().unwrap();
    }

    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    assert_eq!(
        bot.count("SELECT booked_count::bigint FROM availability_slots")
            .await,
        1
    );
    let replies: Vec<String> = phones.iter().flat_map(|p| bot.phone.take(p)).collect();
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.starts_with("You're booked"))
            .count(),
        1
    );
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.starts_with("Sorry, that time was just taken"))
            .count(),
        49
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reschedules_into_each_others_slots_never_deadlock_or_lose_an_appointment() {
    let bot = TestBot::start().await;
    let slots = bot
        .open_slots(&["2026-03-03T15:00:00", "2026-03-03T16:00:00"], 2)
        .await;
    let rules = policy().booking_rules(monday_morning());
    let mut ids = Vec::new();
    for (phone, slot) in [("+14155550111", slots[0]), ("+14155550112", slots[1])] {
        let mut client = bot.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let contact = contacts::find_or_create_by_phone(
            &tx,
            &smsbot_domain::PhoneNumber::parse_e164(phone).unwrap(),
        )
        .await
        .unwrap();
        let BookingOutcome::Booked(a) = appointments::book(&tx, contact, slot, &rules)
            .await
            .unwrap()
        else {
            panic!("setup booking failed")
        };
        tx.commit().await.unwrap();
        ids.push((contact, a.id));
    }

    for round in 0..25 {
        let swap = |(contact, appointment): (ContactId, AppointmentId), target: SlotId| {
            let pool = bot.db.pool.clone();
            async move {
                let mut client = pool.get().await.unwrap();
                let tx = client.transaction().await.unwrap();
                let outcome =
                    appointments::reschedule(&tx, contact, appointment, target, &rules).await;
                tx.commit().await.unwrap();
                outcome
            }
        };
        let (target_a, target_b) = if round % 2 == 0 {
            (slots[1], slots[0])
        } else {
            (slots[0], slots[1])
        };
        let both = tokio::time::timeout(
            Duration::from_secs(10),
            futures::future::join(swap(ids[0], target_a), swap(ids[1], target_b)),
        )
        .await
        .expect("no deadlock");
        for outcome in [both.0, both.1] {
            assert!(
                matches!(outcome, Ok(RescheduleOutcome::Rescheduled(_))),
                "{outcome:?}"
            );
        }
        assert_eq!(
            bot.count("SELECT count(*) FROM appointments WHERE status = 'booked'")
                .await,
            2
        );
        assert_eq!(
            bot.count(
                "SELECT count(*) FROM availability_slots s
                  WHERE booked_count <> (SELECT count(*) FROM appointments a
                                          WHERE a.slot_id = s.id AND a.status = 'booked')"
            )
            .await,
            0,
            "capacity bookkeeping stays exact"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reschedule_into_a_full_slot_keeps_the_old_appointment() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00", "2026-03-03T16:00:00"], 1)
        .await;
    for (phone, time) in [("+14155550121", "4pm"), ("+14155550122", "3pm")] {
        bot.reply_to(phone, &format!("book tomorrow at {time}"))
            .await;
        let booked = bot.reply_to(phone, "yes").await;
        assert!(booked.starts_with("You're booked"), "{booked}");
    }

    let reply = bot
        .reply_to("+14155550122", "reschedule to tomorrow at 4pm")
        .await;

    assert!(
        !reply.starts_with("Move your"),
        "the full slot is not offered: {reply}"
    );
    assert_eq!(
        bot.booked_starts().await,
        vec![ny("2026-03-03T15:00:00"), ny("2026-03-03T16:00:00")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_inbound_message_delivered_five_times_concurrently_books_once_and_replies_once() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;
    let ana = "+14155550101";
    bot.reply_to(ana, "book tomorrow at 3pm").await;
    let yes = Arc::new(sms(ana, "yes", &bot.next_sid()));

    let deliveries = (0..5).map(|_| {
        let conversation = bot.conversation.clone();
        let yes = yes.clone();
        tokio::spawn(async move { conversation.handle(&yes).await })
    });
    for result in futures::future::join_all(deliveries).await {
        // A delivery that finds the reply being sent by another is retried later.
        if let Err(err) = result.unwrap() {
            assert!(err.is_transient(), "{err}");
        }
    }
    for _ in 0..5 {
        bot.conversation.handle(&yes).await.unwrap();
    }

    assert_eq!(bot.booked_starts().await.len(), 1);
    let replies = bot.phone.take(ana);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(replies[0].starts_with("You're booked"));
}

#[tokio::test]
async fn a_contact_cannot_hold_more_open_appointments_than_the_cap() {
    let bot = TestBot::start().await;
    bot.open_slots(
        &[
            "2026-03-03T10:00:00",
            "2026-03-03T11:00:00",
            "2026-03-03T12:00:00",
            "2026-03-03T13:00:00",
        ],
        1,
    )
    .await;
    let ana = "+14155550101";
    for hour in ["10am", "11am", "12pm"] {
        bot.reply_to(ana, &format!("book tomorrow at {hour}")).await;
        assert!(bot.reply_to(ana, "yes").await.starts_with("You're booked"));
    }

    bot.reply_to(ana, "book tomorrow at 1pm").await;
    let reply = bot.reply_to(ana, "yes").await;

    assert!(
        reply.starts_with("You already have 3 upcoming appointments"),
        "{reply}"
    );
    assert_eq!(bot.booked_starts().await.len(), 3);
}
