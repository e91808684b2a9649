//! The conversation-worker binary under a local Lambda Runtime API, invoked with
//! the SQS FIFO event of `events/`, against a fresh database, the emulator's app
//! secret (its only source of `DATABASE_URL` and the Twilio token, as in AWS) and
//! the Twilio stand-in.

use smsbot_test_support::lambda_runtime_standin::Stack;
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_test_support::{self as support, EVENTS_PUBLIC_BASE_URL};

const BUSINESS_NUMBER: &str = "+14155550199";

/// The inbound SMS the event carries (the queue message's JSON).
fn queued_sms() -> serde_json::Value {
    let event: serde_json::Value =
        serde_json::from_str(&support::event_text("conversation-worker-sqs.json")).unwrap();
    serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn an_sqs_batch_with_one_inbound_sms_is_stored_answered_through_twilio_and_fully_acknowledged()
 {
    let twilio = TwilioStandIn::start().await;
    let stack = Stack::create(&twilio.auth_token).await;
    let table = support::create_idempotency_table(&stack.sdk).await;
    let worker = stack
        .function(
            "conversation-worker",
            env!("CARGO_BIN_EXE_conversation-worker"),
        )
        .memory_mb(512)
        .env("PUBLIC_BASE_URL", EVENTS_PUBLIC_BASE_URL)
        .env("TWILIO_ACCOUNT_SID", &twilio.account_sid)
        .env("TWILIO_PHONE_NUMBER", BUSINESS_NUMBER)
        .env("TWILIO_API_BASE", twilio.base_url.as_str())
        .env("IDEMPOTENCY_TABLE", &table)
        .start()
        .await;

    let response = worker
        .invoke_event("conversation-worker-sqs.json")
        .await
        .expect("the worker answers");

    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    let sms = queued_sms();
    let sent = twilio.sent();
    let reply = sent
        .iter()
        .find(|m| m.to == sms["from"])
        .unwrap_or_else(|| panic!("no reply to the sender among {sent:?}"));
    assert_eq!(reply.from.as_deref(), Some(BUSINESS_NUMBER));
    assert_eq!(
        reply.status_callback.as_deref(),
        Some(format!("{EVENTS_PUBLIC_BASE_URL}/webhooks/sms/status").as_str())
    );
    let db = stack.db.pool.get().await.unwrap();
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM messages WHERE twilio_sid = $1 AND direction = 'inbound'",
            &[&sms["message_sid"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the inbound message is in the database");
}
