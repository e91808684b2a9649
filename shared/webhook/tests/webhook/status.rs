//! Delivery status callbacks: monotonic, error codes kept, 21610 opts out.

use axum::http::StatusCode;
use smsbot_domain::{MessageStatus, PhoneNumber, SmsBody};
use smsbot_store::{consent, contacts, messages, outbound};
use smsbot_test_support::TestDatabase;

use crate::support::{Down, TestWebhook, call, event};

const OUTBOUND_SID: &str = "SM9a8b7c6d5e4f30211203f4e5d6c7b8a9";

/// An outbound message to the status events' recipient, already accepted by Twilio.
async fn outbound_message_awaiting_callbacks(db: &TestDatabase) -> smsbot_domain::ContactId {
    let client = db.pool.get().await.unwrap();
    let phone = PhoneNumber::parse_e164("+14155550123").unwrap();
    let contact = contacts::find_or_create_by_phone(&client, &phone)
        .await
        .unwrap();
    // The answer to a question the contact texted before.
    let question_sid = "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let messages::InboundRecord::New(question) =
        messages::record_inbound(&client, contact, question_sid, "is 3pm ok?", 1)
            .await
            .unwrap()
    else {
        panic!("a fresh database has no such message yet");
    };
    let body = SmsBody::parse("See you tomorrow at 3:00 PM".to_owned()).unwrap();
    let id = outbound::record(
        &client,
        &outbound::NewOutbound {
            contact_id: contact,
            body: &body,
            purpose: outbound::Purpose::Reply {
                inbound: question,
                correlation_id: question_sid,
            },
        },
    )
    .await
    .unwrap();
    outbound::attach_sid(&db.pool, id, OUTBOUND_SID, MessageStatus::Queued)
        .await
        .unwrap();
    contact
}

#[tokio::test]
async fn status_callbacks_arriving_out_of_order_end_in_the_latest_status() {
    let app = TestWebhook::start().await;
    outbound_message_awaiting_callbacks(&app.db).await;

    let (status, _) = call(app.router().await, event("webhook-status-delivered.json")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(app.router().await, event("webhook-status-sent.json")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let shown = messages::status_of(&app.db.pool, OUTBOUND_SID)
        .await
        .unwrap();
    assert_eq!(shown, Some((MessageStatus::Delivered, None)));
}

#[tokio::test]
async fn an_undelivered_callback_keeps_the_error_code_and_21610_opts_the_contact_out() {
    let app = TestWebhook::start().await;
    let contact = outbound_message_awaiting_callbacks(&app.db).await;

    let (status, _) = call(
        app.router().await,
        event("webhook-status-undelivered-21610.json"),
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    let shown = messages::status_of(&app.db.pool, OUTBOUND_SID)
        .await
        .unwrap();
    assert_eq!(shown, Some((MessageStatus::Undelivered, Some(21610))));
    let client = app.db.pool.get().await.unwrap();
    let consent = consent::consent_of(&client, contact).await.unwrap();
    assert_eq!(consent, smsbot_domain::ConsentState::OptedOut);
}

#[tokio::test]
async fn a_callback_that_beats_the_send_bookkeeping_is_applied_when_the_sid_is_recorded() {
    let app = TestWebhook::start().await;

    let (status, _) = call(app.router().await, event("webhook-status-delivered.json")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    outbound_message_awaiting_callbacks(&app.db).await;

    let shown = messages::status_of(&app.db.pool, OUTBOUND_SID)
        .await
        .unwrap();
    assert_eq!(shown.map(|(s, _)| s), Some(MessageStatus::Delivered));
}

#[tokio::test]
async fn a_21610_callback_that_beats_the_send_bookkeeping_opts_the_contact_out_once_recorded() {
    let app = TestWebhook::start().await;

    let (status, _) = call(
        app.router().await,
        event("webhook-status-undelivered-21610.json"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let contact = outbound_message_awaiting_callbacks(&app.db).await;

    let client = app.db.pool.get().await.unwrap();
    let consent = consent::consent_of(&client, contact).await.unwrap();
    assert_eq!(consent, smsbot_domain::ConsentState::OptedOut);
    let shown = messages::status_of(&app.db.pool, OUTBOUND_SID)
        .await
        .unwrap();
    assert_eq!(shown, Some((MessageStatus::Undelivered, Some(21610))));
}

#[tokio::test]
async fn a_status_callback_while_postgres_is_down_answers_503() {
    let app = TestWebhook::start().await;
    let down = Down {
        postgres: true,
        ..Down::default()
    };

    let (status, _) = call(
        app.router_with(down).await,
        event("webhook-status-delivered.json"),
    )
    .await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
