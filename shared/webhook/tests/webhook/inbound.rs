//! An inbound SMS is put on the FIFO queue once, grouped by its sender's hash.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use smsbot_domain::InboundSms;

use crate::support::{INBOUND_SID, TestWebhook, call, event, signed_form};

#[tokio::test]
async fn an_inbound_sms_is_enqueued_for_its_contact_and_answered_with_empty_twiml() {
    let app = TestWebhook::start().await;

    let (status, body) = call(app.router().await, event("webhook-inbound.json")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<Response></Response>"), "{body}");
    let queued = app.enqueued().await;
    assert_eq!(queued.len(), 1);
    let sms: InboundSms = serde_json::from_str(queued[0].body().unwrap()).unwrap();
    assert_eq!(sms.message_sid.as_str(), INBOUND_SID);
    assert_eq!(
        sms.body.as_str(),
        "Hi! Can I book a haircut tomorrow at 3pm?"
    );
    let attributes = queued[0].attributes().unwrap();
    let group = &attributes[&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId];
    assert_eq!(
        group,
        &sms.from.pseudonym(),
        "group id is a hash, never the number"
    );
    assert!(!group.contains("4155550123"));
    assert_eq!(
        app.claim_of(INBOUND_SID).await.as_deref(),
        Some("COMPLETED")
    );
    assert!(app.parked().await.is_empty());
}

#[tokio::test]
async fn a_duplicate_delivery_sends_one_sqs_message() {
    let app = TestWebhook::start().await;

    for _ in 0..3 {
        let (status, _) = call(app.router().await, event("webhook-inbound.json")).await;
        assert_eq!(status, StatusCode::OK);
    }

    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn concurrent_duplicate_deliveries_send_one_sqs_message_and_none_is_lost() {
    let app = TestWebhook::start().await;
    let router = app.router().await;

    let calls = (0..5).map(|_| call(router.clone(), event("webhook-inbound.json")));
    let statuses: Vec<StatusCode> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();

    // Those racing an in-flight claim are told to retry; none is dropped silently.
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(statuses.contains(&StatusCode::OK));
    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn a_signed_form_without_a_sender_is_a_bad_request() {
    let app = TestWebhook::start().await;

    let request = signed_form(
        "/webhooks/sms/inbound",
        "",
        &[
            ("MessageSid", "SM00000000000000000000000000000001"),
            ("To", "+14155550199"),
            ("Body", "hi"),
        ],
    );
    let (status, body) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "malformed request", "no internals in the answer");
    assert!(app.enqueued().await.is_empty());
}

#[tokio::test]
async fn an_unknown_route_is_not_found() {
    let app = TestWebhook::start().await;

    let request = Request::post("/webhooks/voice")
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
}
