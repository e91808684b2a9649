//! The webhook router against the real emulator and a real Postgres database,
//! fed with the sample events of `events/`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use smsbot_aws::{IdempotencyStore, SqsQueue};
use smsbot_domain::{InboundSms, MessageStatus, PhoneNumber, SmsBody};
use smsbot_store::{consent, contacts, messages, outbound};
use smsbot_test_support::{
    self as support, EVENTS_AUTH_TOKEN, EVENTS_PUBLIC_BASE_URL, TestDatabase,
};
use smsbot_twilio::{AuthToken, RequestValidator};
use smsbot_webhook::{WebhookState, router};
use tower::ServiceExt;

struct TestWebhook {
    db: TestDatabase,
    sdk: aws_config::SdkConfig,
    queue_url: String,
    table: String,
}

impl TestWebhook {
    async fn start() -> Self {
        let sdk = support::aws().await;
        Self {
            db: TestDatabase::create().await,
            queue_url: support::create_fifo_queue(&sdk, "inbound").await,
            table: support::create_idempotency_table(&sdk).await,
            sdk,
        }
    }

    fn state_with(
        &self,
        claims_sdk: &aws_config::SdkConfig,
        queue_sdk: &aws_config::SdkConfig,
    ) -> WebhookState {
        WebhookState {
            validator: Arc::new(validator()),
            public_base_url: EVENTS_PUBLIC_BASE_URL.parse().unwrap(),
            claims: Arc::new(IdempotencyStore::new(
                aws_sdk_dynamodb::Client::new(claims_sdk),
                &self.table,
            )),
            queue: Arc::new(SqsQueue::new(
                aws_sdk_sqs::Client::new(queue_sdk),
                &self.queue_url,
            )),
            statuses: Arc::new(self.db.pool.clone()),
        }
    }

    fn router(&self) -> Router {
        router(self.state_with(&self.sdk, &self.sdk))
    }

    async fn enqueued(&self) -> Vec<aws_sdk_sqs::types::Message> {
        support::drain_queue(&self.sdk, &self.queue_url).await
    }
}

fn validator() -> RequestValidator {
    RequestValidator::new(vec![AuthToken::new(EVENTS_AUTH_TOKEN.to_owned()).unwrap()]).unwrap()
}

async fn call(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An event from `events/`, as the Lambda runtime hands it to the router.
fn event(name: &str) -> Request<Body> {
    let (parts, body) = support::http_event(name).into_parts();
    Request::from_parts(parts, Body::from(body.to_vec()))
}

/// A request signed like Twilio signs one, for forms the events do not cover.
fn signed_form(path: &str, query: &str, params: &[(&str, &str)]) -> Request<Body> {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = format!("{EVENTS_PUBLIC_BASE_URL}{path}{query}");
    let token = AuthToken::new(EVENTS_AUTH_TOKEN.to_owned()).unwrap();
    let signature = RequestValidator::sign_form(&token, &url, &owned);
    Request::post(format!("{path}{query}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Body::from(serde_urlencoded::to_string(&owned).unwrap()))
        .unwrap()
}

fn event_form(name: &str) -> Vec<(String, String)> {
    let json: serde_json::Value = serde_json::from_str(&support::event_text(name)).unwrap();
    let body = json["body"].as_str().unwrap();
    let raw = if json["isBase64Encoded"].as_bool().unwrap() {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    } else {
        body.as_bytes().to_vec()
    };
    serde_urlencoded::from_bytes(&raw).unwrap()
}

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
async fn an_inbound_sms_is_enqueued_for_its_contact_and_answered_with_empty_twiml() {
    let app = TestWebhook::start().await;

    let (status, body) = call(app.router(), event("webhook-inbound.json")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<Response></Response>"), "{body}");
    let queued = app.enqueued().await;
    assert_eq!(queued.len(), 1);
    let sms: InboundSms = serde_json::from_str(queued[0].body().unwrap()).unwrap();
    assert_eq!(
        sms.message_sid.as_str(),
        "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
    );
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
}

#[tokio::test]
async fn a_duplicate_delivery_sends_one_sqs_message() {
    let app = TestWebhook::start().await;

    for _ in 0..3 {
        let (status, _) = call(app.router(), event("webhook-inbound.json")).await;
        assert_eq!(status, StatusCode::OK);
    }

    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn concurrent_duplicate_deliveries_send_one_sqs_message_and_none_is_lost() {
    let app = TestWebhook::start().await;

    let calls = (0..5).map(|_| call(app.router(), event("webhook-inbound.json")));
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
async fn a_forged_signature_is_refused_and_nothing_is_enqueued() {
    let app = TestWebhook::start().await;

    let (status, body) = call(app.router(), event("webhook-inbound-forged.json")).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, "forbidden");
    assert!(app.enqueued().await.is_empty());
}

#[tokio::test]
async fn a_request_without_a_signature_is_refused() {
    let app = TestWebhook::start().await;
    let mut request = event("webhook-inbound.json");
    request.headers_mut().remove("x-twilio-signature");

    let (status, _) = call(app.router(), request).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(app.enqueued().await.is_empty());
}

#[tokio::test]
async fn a_signature_made_for_another_url_is_refused() {
    let app = TestWebhook::start().await;
    let form = event_form("webhook-inbound.json");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Signed for the status URL but posted to the inbound one.
    let mut request = signed_form("/webhooks/sms/status", "", &pairs);
    *request.uri_mut() = "/webhooks/sms/inbound".parse().unwrap();

    let (status, _) = call(app.router(), request).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_query_string_twilio_called_is_part_of_the_signed_url() {
    let app = TestWebhook::start().await;
    let form = event_form("webhook-inbound.json");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let (status, _) = call(
        app.router(),
        signed_form("/webhooks/sms/inbound", "?tenant=salon", &pairs),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
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
    let (status, body) = call(app.router(), request).await;

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
    let (status, _) = call(app.router(), request).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dynamodb_unavailable_answers_503_and_enqueues_nothing() {
    let app = TestWebhook::start().await;
    let down = support::unreachable_aws().await;

    let (status, body) = call(
        router(app.state_with(&down, &app.sdk)),
        event("webhook-inbound.json"),
    )
    .await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "temporarily unavailable");
    assert!(app.enqueued().await.is_empty());
}

#[tokio::test]
async fn sqs_unavailable_answers_503_and_twilios_retry_still_gets_through() {
    let app = TestWebhook::start().await;
    let down = support::unreachable_aws().await;

    let (status, _) = call(
        router(app.state_with(&app.sdk, &down)),
        event("webhook-inbound.json"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    // The claim was released, so the retry is not mistaken for a duplicate.
    let (status, _) = call(app.router(), event("webhook-inbound.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn status_callbacks_arriving_out_of_order_end_in_the_latest_status() {
    let app = TestWebhook::start().await;
    outbound_message_awaiting_callbacks(&app.db).await;

    let (status, _) = call(app.router(), event("webhook-status-delivered.json")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(app.router(), event("webhook-status-sent.json")).await;
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

    let (status, _) = call(app.router(), event("webhook-status-undelivered-21610.json")).await;

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

    let (status, _) = call(app.router(), event("webhook-status-delivered.json")).await;
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

    let (status, _) = call(app.router(), event("webhook-status-undelivered-21610.json")).await;
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
    let mut state = app.state_with(&app.sdk, &app.sdk);
    state.statuses =
        Arc::new(smsbot_store::connect("postgres://postgres@127.0.0.1:9/none", 1).unwrap());

    let (status, _) = call(router(state), event("webhook-status-delivered.json")).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
