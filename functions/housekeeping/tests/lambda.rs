//! The housekeeping binary under a local Lambda Runtime API, invoked with the
//! scheduled tick of `events/`, against a fresh database, the emulator's app
//! secret (its only source of `DATABASE_URL` and the Twilio token, as in AWS) and
//! the Twilio stand-in.

use smsbot_test_support::EVENTS_PUBLIC_BASE_URL;
use smsbot_test_support::lambda_runtime_standin::Stack;
use smsbot_test_support::twilio_standin::TwilioStandIn;

#[tokio::test]
async fn a_scheduled_tick_on_a_fresh_database_reports_that_there_was_nothing_to_do() {
    let twilio = TwilioStandIn::start().await;
    let stack = Stack::create(&twilio.auth_token).await;
    let housekeeping = stack
        .function("housekeeping", env!("CARGO_BIN_EXE_housekeeping"))
        .env("PUBLIC_BASE_URL", EVENTS_PUBLIC_BASE_URL)
        .env("TWILIO_ACCOUNT_SID", &twilio.account_sid)
        .env("TWILIO_PHONE_NUMBER", "+14155550199")
        .env("TWILIO_API_BASE", twilio.base_url.as_str())
        .env("HOUSEKEEPING_INTERVAL_MINUTES", "15")
        .env("REMINDER_HOURS_BEFORE", "24")
        .start()
        .await;

    let report = housekeeping
        .invoke_event("scheduled-tick.json")
        .await
        .expect("housekeeping answers");

    assert_eq!(
        report,
        serde_json::json!({
            "reminders_sent": 0,
            "conversations_expired": 0,
            "appointments_completed": 0,
        })
    );
    assert!(twilio.sent().is_empty(), "no reminder was due");
}
