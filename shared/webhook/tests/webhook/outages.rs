//! No inbound message is lost when a dependency has a bad minute: SQS down
//! parks it in PostgreSQL, DynamoDB down hands it on unclaimed, and only SQS and
//! PostgreSQL down together answer 503, with the claim released for the retry.

use axum::http::StatusCode;
use smsbot_domain::InboundSms;
use smsbot_webhook::WebhookMetric;

use crate::support::{Down, INBOUND_SID, TestWebhook, call, event};

const SQS: Down = Down {
    sqs: true,
    dynamodb: false,
    postgres: false,
};
const DYNAMODB: Down = Down {
    dynamodb: true,
    sqs: false,
    postgres: false,
};

async fn deliver(app: &TestWebhook, down: Down) -> StatusCode {
    call(app.router_with(down).await, event("webhook-inbound.json"))
        .await
        .0
}

#[tokio::test]
async fn with_sqs_down_the_message_is_parked_as_it_would_have_been_queued_and_answered_200() {
    let app = TestWebhook::start().await;

    let (status, body) = call(app.router_with(SQS).await, event("webhook-inbound.json")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<Response></Response>"), "{body}");
    assert!(app.enqueued().await.is_empty());
    let client = app.db.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT message_sid, group_id, payload, attempts FROM parked_inbound",
            &[],
        )
        .await
        .unwrap();
    let sms: InboundSms = serde_json::from_str(row.get(2)).unwrap();
    assert_eq!(row.get::<_, String>(0), INBOUND_SID);
    assert_eq!(sms.message_sid.as_str(), INBOUND_SID);
    assert_eq!(row.get::<_, String>(1), sms.from.pseudonym());
    assert_eq!(row.get::<_, i32>(3), 0);
    assert_eq!(
        app.claim_of(INBOUND_SID).await.as_deref(),
        Some("COMPLETED"),
        "no claim is left in progress"
    );
    assert_eq!(app.metrics.get(WebhookMetric::InboundParked), 1);
}

#[tokio::test]
async fn a_parked_message_delivered_again_is_not_handed_on_a_second_time() {
    let app = TestWebhook::start().await;
    assert_eq!(deliver(&app, SQS).await, StatusCode::OK);

    assert_eq!(deliver(&app, Down::default()).await, StatusCode::OK);
    assert_eq!(deliver(&app, SQS).await, StatusCode::OK);

    assert!(app.enqueued().await.is_empty());
    assert_eq!(app.parked().await, vec![INBOUND_SID]);
}

#[tokio::test]
async fn a_message_parked_unclaimed_and_delivered_again_is_parked_once() {
    let app = TestWebhook::start().await;
    let both = Down {
        dynamodb: true,
        sqs: true,
        postgres: false,
    };

    assert_eq!(deliver(&app, both).await, StatusCode::OK);
    assert_eq!(deliver(&app, both).await, StatusCode::OK);

    assert_eq!(app.parked().await, vec![INBOUND_SID]);
    assert_eq!(app.metrics.get(WebhookMetric::InboundParked), 1);
}

#[tokio::test]
async fn with_dynamodb_down_the_message_is_still_enqueued_and_the_outage_counted() {
    let app = TestWebhook::start().await;

    assert_eq!(deliver(&app, DYNAMODB).await, StatusCode::OK);

    assert_eq!(app.enqueued().await.len(), 1);
    assert!(app.parked().await.is_empty());
    assert_eq!(app.metrics.get(WebhookMetric::ClaimsUnavailable), 1);
}

#[tokio::test]
async fn with_dynamodb_down_a_duplicate_delivery_is_dropped_by_sqs_deduplication() {
    let app = TestWebhook::start().await;

    assert_eq!(deliver(&app, DYNAMODB).await, StatusCode::OK);
    assert_eq!(deliver(&app, DYNAMODB).await, StatusCode::OK);

    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn with_sqs_and_postgres_down_it_answers_503_and_twilios_retry_is_accepted() {
    let app = TestWebhook::start().await;
    let both = Down {
        sqs: true,
        postgres: true,
        dynamodb: false,
    };

    let (status, body) = call(app.router_with(both).await, event("webhook-inbound.json")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "temporarily unavailable");
    assert_eq!(
        app.claim_of(INBOUND_SID).await,
        None,
        "the claim was released"
    );
    assert_eq!(app.metrics.get(WebhookMetric::InboundRefused), 1);

    assert_eq!(deliver(&app, Down::default()).await, StatusCode::OK);
    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn with_everything_down_it_answers_503_and_the_retry_is_accepted() {
    let app = TestWebhook::start().await;
    let all = Down {
        dynamodb: true,
        sqs: true,
        postgres: true,
    };

    assert_eq!(deliver(&app, all).await, StatusCode::SERVICE_UNAVAILABLE);

    assert_eq!(deliver(&app, Down::default()).await, StatusCode::OK);
    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn with_sqs_and_dynamodb_hanging_the_message_is_parked_well_within_the_lambda_timeout() {
    let app = TestWebhook::start().await;
    let started = std::time::Instant::now();

    let (status, _) = call(
        app.router_with_aws_hanging().await,
        event("webhook-inbound.json"),
    )
    .await;

    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.parked().await, [INBOUND_SID]);
    // The template gives the webhook 10 s; the claim and the enqueue may each
    // take their 4 s call timeout.
    assert!(
        took < std::time::Duration::from_secs(9),
        "answered after {took:?}"
    );
}
