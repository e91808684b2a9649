//! Only requests Twilio signed get through; every refusal is counted. A webhook
//! URL configured with connection overrides (`#rc=3&rp=5xx`) may be signed with
//! or without its fragment: both are accepted, any other fragment is not.

use axum::http::StatusCode;
use smsbot_test_support::EVENTS_PUBLIC_BASE_URL;
use smsbot_twilio::ConnectionOverrides;
use smsbot_webhook::{WebhookMetric, router};

use crate::support::{Down, TestWebhook, call, event, event_form, signed_for, signed_form};

const INBOUND_URL: &str = "/webhooks/sms/inbound";

fn signed_over(url_suffix: &str, path_and_query: &str) -> axum::http::Request<axum::body::Body> {
    signed_for(
        &format!("{EVENTS_PUBLIC_BASE_URL}{url_suffix}"),
        path_and_query,
        &event_form("webhook-inbound.json"),
    )
}

impl TestWebhook {
    fn rejected(&self) -> u64 {
        self.metrics.get(WebhookMetric::SignatureRejected)
    }
}

#[tokio::test]
async fn a_forged_signature_is_refused_counted_and_nothing_is_enqueued() {
    let app = TestWebhook::start().await;

    let (status, body) = call(app.router().await, event("webhook-inbound-forged.json")).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, "forbidden");
    assert!(app.enqueued().await.is_empty());
    assert_eq!(app.rejected(), 1);
}

#[tokio::test]
async fn a_request_without_a_signature_is_refused_and_counted() {
    let app = TestWebhook::start().await;
    let mut request = event("webhook-inbound.json");
    request.headers_mut().remove("x-twilio-signature");

    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(app.enqueued().await.is_empty());
    assert_eq!(app.rejected(), 1);
}

#[tokio::test]
async fn a_signature_made_for_another_url_is_refused() {
    let app = TestWebhook::start().await;

    // Signed for the status URL but posted to the inbound one.
    let request = signed_over("/webhooks/sms/status", INBOUND_URL);
    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.rejected(), 1);
}

#[tokio::test]
async fn the_query_string_twilio_called_is_part_of_the_signed_url() {
    let app = TestWebhook::start().await;
    let form = event_form("webhook-inbound.json");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let (status, _) = call(
        app.router().await,
        signed_form(INBOUND_URL, "?tenant=salon", &pairs),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_signature_over_the_url_without_the_overrides_fragment_is_accepted() {
    let app = TestWebhook::start().await;

    let (status, _) = call(app.router().await, signed_over(INBOUND_URL, INBOUND_URL)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.enqueued().await.len(), 1);
    assert_eq!(app.rejected(), 0);
}

#[tokio::test]
async fn a_signature_over_the_url_with_the_overrides_fragment_is_accepted() {
    let app = TestWebhook::start().await;

    let request = signed_over("/webhooks/sms/inbound#rc=3&rp=5xx", INBOUND_URL);
    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.enqueued().await.len(), 1);
    assert_eq!(app.rejected(), 0);
}

#[tokio::test]
async fn the_fragment_follows_the_query_string_in_the_signed_url() {
    let app = TestWebhook::start().await;

    let request = signed_over(
        "/webhooks/sms/inbound?tenant=salon#rc=3&rp=5xx",
        "/webhooks/sms/inbound?tenant=salon",
    );
    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_signature_over_a_fragment_other_than_the_configured_one_is_refused_and_counted() {
    let app = TestWebhook::start().await;

    let request = signed_over("/webhooks/sms/inbound#rc=5&rp=5xx", INBOUND_URL);
    let (status, _) = call(app.router().await, request).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(app.enqueued().await.is_empty());
    assert_eq!(app.rejected(), 1);
}

#[tokio::test]
async fn configured_overrides_are_the_fragment_accepted() {
    let app = TestWebhook::start().await;
    let overrides = ConnectionOverrides::parse("rc=5&rp=ct,5xx").unwrap();
    let webhook = || async {
        router(
            app.state(Down::default())
                .await
                .with_connection_overrides(overrides.clone()),
        )
    };

    let configured = signed_over("/webhooks/sms/inbound#rc=5&rp=ct,5xx", INBOUND_URL);
    let (status, _) = call(webhook().await, configured).await;
    assert_eq!(status, StatusCode::OK);

    let default = signed_over("/webhooks/sms/inbound#rc=3&rp=5xx", INBOUND_URL);
    let (status, _) = call(webhook().await, default).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
