//! A webhook wired like production (DynamoDB claims, SQS FIFO queue, PostgreSQL
//! for parked messages and status callbacks), any of which a test can take down.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use smsbot_aws::{IdempotencyStore, SqsQueue};
use smsbot_store::Pool;
use smsbot_test_support::{
    self as support, EVENTS_AUTH_TOKEN, EVENTS_PUBLIC_BASE_URL, TestDatabase,
};
use smsbot_twilio::{AuthToken, RequestValidator};
use smsbot_webhook::metrics::Tally;
use smsbot_webhook::{WebhookState, router};
use tower::ServiceExt;

/// The MessageSid of `events/webhook-inbound.json`.
pub const INBOUND_SID: &str = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0";

pub struct TestWebhook {
    pub db: TestDatabase,
    pub sdk: aws_config::SdkConfig,
    pub queue_url: String,
    pub table: String,
    pub metrics: Arc<Tally>,
}

/// Which dependencies are down for one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Down {
    pub dynamodb: bool,
    pub sqs: bool,
    pub postgres: bool,
}

impl TestWebhook {
    pub async fn start() -> Self {
        let sdk = support::aws().await;
        Self {
            db: TestDatabase::create().await,
            queue_url: support::create_fifo_queue(&sdk, "inbound").await,
            table: support::create_idempotency_table(&sdk).await,
            sdk,
            metrics: Arc::new(Tally::default()),
        }
    }

    pub async fn state(&self, down: Down) -> WebhookState {
        let unreachable = support::unreachable_aws().await;
        let sdk_for = |is_down: bool| if is_down { &unreachable } else { &self.sdk };
        let pool = if down.postgres {
            closed_database()
        } else {
            self.db.pool.clone()
        };
        WebhookState::new(
            Arc::new(validator()),
            EVENTS_PUBLIC_BASE_URL.parse().unwrap(),
            Arc::new(IdempotencyStore::new(
                aws_sdk_dynamodb::Client::new(sdk_for(down.dynamodb)),
                &self.table,
            )),
            Arc::new(self.queue(sdk_for(down.sqs))),
            Arc::new(pool.clone()),
            Arc::new(pool),
        )
        .with_metrics(self.metrics.clone())
    }

    pub fn queue(&self, sdk: &aws_config::SdkConfig) -> SqsQueue {
        SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &self.queue_url)
    }

    pub async fn router(&self) -> Router {
        router(self.state(Down::default()).await)
    }

    pub async fn router_with(&self, down: Down) -> Router {
        router(self.state(down).await)
    }

    /// SQS and DynamoDB accept connections and never answer.
    pub async fn router_with_aws_hanging(&self) -> Router {
        let hanging = support::hanging_aws().await;
        let state = WebhookState::new(
            Arc::new(validator()),
            EVENTS_PUBLIC_BASE_URL.parse().unwrap(),
            Arc::new(IdempotencyStore::new(
                aws_sdk_dynamodb::Client::new(&hanging),
                &self.table,
            )),
            Arc::new(self.queue(&hanging)),
            Arc::new(self.db.pool.clone()),
            Arc::new(self.db.pool.clone()),
        )
        .with_metrics(self.metrics.clone());
        router(state)
    }

    pub async fn enqueued(&self) -> Vec<aws_sdk_sqs::types::Message> {
        support::drain_queue(&self.sdk, &self.queue_url).await
    }

    /// MessageSids parked in PostgreSQL, oldest first.
    pub async fn parked(&self) -> Vec<String> {
        let client = self.db.pool.get().await.unwrap();
        client
            .query("SELECT message_sid FROM parked_inbound ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// The claim's status in DynamoDB (`IN_PROGRESS`, `COMPLETED`), if any.
    pub async fn claim_of(&self, sid: &str) -> Option<String> {
        let item = aws_sdk_dynamodb::Client::new(&self.sdk)
            .get_item()
            .table_name(&self.table)
            .key(
                "id",
                aws_sdk_dynamodb::types::AttributeValue::S(sid.to_owned()),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        item.item()
            .and_then(|i| i.get("status"))
            .and_then(|s| s.as_s().ok())
            .cloned()
    }
}

/// A pool whose every connection attempt is refused.
pub fn closed_database() -> Pool {
    smsbot_store::connect("postgres://postgres@127.0.0.1:9/none", 1).unwrap()
}

pub fn validator() -> RequestValidator {
    RequestValidator::new(vec![token()]).unwrap()
}

pub fn token() -> AuthToken {
    AuthToken::new(EVENTS_AUTH_TOKEN.to_owned()).unwrap()
}

pub async fn call(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An event from `events/`, as the Lambda runtime hands it to the router.
pub fn event(name: &str) -> Request<Body> {
    let (parts, body) = support::http_event(name).into_parts();
    Request::from_parts(parts, Body::from(body.to_vec()))
}

/// A request to `path` + `query`, signed over `signed_url` (the public URL).
pub fn signed_for(
    signed_url: &str,
    path_and_query: &str,
    params: &[(String, String)],
) -> Request<Body> {
    let signature = RequestValidator::sign_form(&token(), signed_url, params);
    Request::post(path_and_query)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Body::from(serde_urlencoded::to_string(params).unwrap()))
        .unwrap()
}

/// A request signed like Twilio signs one, for forms the events do not cover.
pub fn signed_form(path: &str, query: &str, params: &[(&str, &str)]) -> Request<Body> {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = format!("{EVENTS_PUBLIC_BASE_URL}{path}{query}");
    signed_for(&url, &format!("{path}{query}"), &owned)
}

/// The form of an event in `events/`.
pub fn event_form(name: &str) -> Vec<(String, String)> {
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
