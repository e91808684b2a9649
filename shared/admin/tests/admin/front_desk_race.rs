//! The front desk and a customer texting the bot, racing for the last place
//! in a slot: the desk books through the same engine and locks as the bot,
//! so exactly one of them gets it and the other is told so.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone};
use serde_json::json;
use smsbot_conversation::{Conversation, Policy};
use smsbot_domain::InboundSms;
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{Clock, Outbox};

use crate::support::Admin;

fn policy() -> Policy {
    Policy {
        timezone: chrono_tz::America::New_York,
        business_name: "Front Street Clinic".to_owned(),
        lead_time: Duration::hours(1),
        horizon: Duration::days(60),
        max_open_appointments: 3,
        conversation_ttl: Duration::minutes(30),
        offers_per_reply: 3,
        min_confidence: 0.5,
        profile: Default::default(),
        marketing: Default::default(),
        no_show_limit: None,
        links_base: None,
    }
}

fn sms(n: u32, from: &str, body: &str) -> InboundSms {
    let fields: Vec<(String, String)> = [
        ("MessageSid", format!("SM{n:032x}")),
        ("From", from.to_owned()),
        ("To", "+14155550199".to_owned()),
        ("Body", body.to_owned()),
        ("NumMedia", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    InboundSms::from_form(&fields).unwrap()
}

#[tokio::test]
async fn the_desk_and_a_texting_customer_racing_for_one_slot_end_with_one_booking() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let outbox = Outbox::new(
        admin.pool().clone(),
        admin.phone.clone(),
        admin.clock.clone(),
        policy().timezone,
    );
    let bot = Conversation::new(
        admin.pool().clone(),
        Arc::new(OfflineUnderstander),
        outbox,
        admin.clock.clone(),
        policy(),
    );
    let (mut desk_won, mut customer_won) = (0, 0);
    for round in 0..12u32 {
        admin.clock.advance(Duration::days(1));
        let tomorrow = admin
            .clock
            .now()
            .with_timezone(&policy().timezone)
            .date_naive()
            + Duration::days(1);
        let ten = policy()
            .timezone
            .from_local_datetime(&tomorrow.and_hms_opt(10, 0, 0).unwrap())
            .unwrap()
            .to_utc();
        let slot = admin
            .slot_for_one(lee, &ten.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .await;
        let customer = format!("+1415555{:04}", 3000 + round);
        bot.handle(&sms(round * 2, &customer, "can i book tmrw at 10am?"))
            .await
            .unwrap();
        let asked = admin.phone.take(&customer);
        assert!(asked[0].contains("Shall I book it?"), "{asked:?}");

        let yes = sms(round * 2 + 1, &customer, "y");
        let (said_yes, desk) = tokio::join!(
            bot.handle(&yes),
            admin.post(
                "/api/appointments",
                json!({"phone": format!("+1415556{:04}", 3000 + round), "slot_id": slot}),
            ),
        );
        said_yes.unwrap();
        let reply = admin.phone.take(&customer).join(" ");
        let held: i64 = admin
            .sql_rows(
                "SELECT count(*) FROM appointments WHERE slot_id = $1 AND status = 'booked'",
                &[&slot],
            )
            .await[0]
            .get(0);
        assert_eq!(held, 1, "round {round}: exactly one booking of the slot");
        if desk.0 == StatusCode::CREATED {
            desk_won += 1;
            assert!(reply.contains("just taken"), "round {round}: {reply}");
        } else {
            customer_won += 1;
            assert_eq!(
                desk.1["error"]["code"], "slot_full",
                "round {round}: {desk:?}"
            );
            assert!(reply.contains("You're booked"), "round {round}: {reply}");
        }
    }
    // Which side wins is up to the scheduler; both outcomes were checked.
    assert_eq!(desk_won + customer_won, 12);
}
