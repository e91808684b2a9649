//! The housekeeping binary under a local Lambda Runtime API, invoked with the
//! scheduled tick of `events/`, against a fresh database, the emulator's app
//! secret (its only source of `DATABASE_URL` and the Twilio token, as in AWS),
//! the inbound FIFO queue and the Twilio stand-in.

use smsbot_test_support::lambda_runtime_standin::{LambdaFunction, Stack};
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_test_support::{self as support, EVENTS_PUBLIC_BASE_URL};

/// Housekeeping as the template deploys it, with an inbound queue of its own.
struct Housekeeping {
    stack: Stack,
    twilio: TwilioStandIn,
    queue_url: String,
    function: LambdaFunction,
}

impl Housekeeping {
    async fn deploy() -> Self {
        let twilio = TwilioStandIn::start().await;
        let stack = Stack::create(&twilio.auth_token).await;
        let queue_url = support::create_fifo_queue(&stack.sdk, "inbound").await;
        let function = stack
            .function("housekeeping", env!("CARGO_BIN_EXE_housekeeping"))
            .env("PUBLIC_BASE_URL", EVENTS_PUBLIC_BASE_URL)
            .env("TWILIO_ACCOUNT_SID", &twilio.account_sid)
            .env("TWILIO_PHONE_NUMBER", "+14155550199")
            .env("TWILIO_API_BASE", twilio.base_url.as_str())
            .env("INBOUND_QUEUE_URL", &queue_url)
            .env("HOUSEKEEPING_INTERVAL_MINUTES", "15")
            .env("REMINDER_HOURS_BEFORE", "24")
            .start()
            .await;
        Self {
            stack,
            twilio,
            queue_url,
            function,
        }
    }

    /// The log once it contains `text` (the process writes it asynchronously).
    async fn log_with(&self, text: &str) -> String {
        for _ in 0..50 {
            let log = self.function.log();
            if log.contains(text) {
                return log;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.function.log()
    }
}

#[tokio::test]
async fn a_scheduled_tick_on_a_fresh_database_reports_that_there_was_nothing_to_do() {
    let housekeeping = Housekeeping::deploy().await;

    let report = housekeeping
        .function
        .invoke_event("scheduled-tick.json")
        .await
        .expect("housekeeping answers");

    assert_eq!(
        report,
        serde_json::json!({
            "parked_inbound_moved": 0,
            "parked_inbound_failed": 0,
            "reminders_sent": 0,
            "conversations_expired": 0,
            "appointments_completed": 0,
        })
    );
    assert!(housekeeping.twilio.sent().is_empty(), "no reminder was due");
}

#[tokio::test]
async fn a_scheduled_tick_moves_a_message_parked_while_sqs_was_down_to_the_inbound_queue() {
    let housekeeping = Housekeeping::deploy().await;
    let payload = r#"{"message_sid":"SM0123456789abcdef0123456789abcdef","from":"+14155550101"}"#;
    let client = housekeeping.stack.db.pool.get().await.unwrap();
    smsbot_store::parked_inbound::park(
        &client,
        "SM0123456789abcdef0123456789abcdef",
        "a-contacts-hash",
        payload,
    )
    .await
    .unwrap();

    let report = housekeeping
        .function
        .invoke_event("scheduled-tick.json")
        .await
        .expect("housekeeping answers");

    assert_eq!(report["parked_inbound_moved"], 1, "{report}");
    let queued = support::drain_queue(&housekeeping.stack.sdk, &housekeeping.queue_url).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].body(), Some(payload));
    assert_eq!(
        smsbot_store::parked_inbound::waiting(&client)
            .await
            .unwrap(),
        0
    );
    let log = housekeeping.log_with("InboundDrained").await;
    assert!(
        log.lines()
            .any(|l| l.contains("\"InboundDrained\":1") && l.contains("CloudWatchMetrics")),
        "an EMF count of InboundDrained: {log}"
    );
}
