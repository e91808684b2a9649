//! The webhook binary under a local Lambda Runtime API, invoked with the API
//! Gateway events of `events/`, against the emulator (SQS FIFO queue, DynamoDB
//! table, app secret) and a fresh database. Its secrets reach it only through
//! `APP_SECRETS_ARN`, as in AWS.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use smsbot_test_support::lambda_runtime_standin::{Failure, LambdaFunction, Stack};
use smsbot_test_support::{self as support, EVENTS_AUTH_TOKEN, EVENTS_PUBLIC_BASE_URL};

/// The webhook as the template deploys it, with a queue and a table of its own.
struct Webhook {
    stack: Stack,
    queue_url: String,
    function: LambdaFunction,
}

impl Webhook {
    async fn deploy() -> Self {
        Self::deploy_with_queue(|url| url).await
    }

    /// Deployed with `INBOUND_QUEUE_URL` set to `configured(the queue's URL)`.
    async fn deploy_with_queue(configured: impl FnOnce(String) -> String) -> Self {
        // The sample events are signed with this token (events/README.md).
        let stack = Stack::create(EVENTS_AUTH_TOKEN).await;
        let queue_url = support::create_fifo_queue(&stack.sdk, "inbound").await;
        let table = support::create_idempotency_table(&stack.sdk).await;
        let function = stack
            .function("webhook", env!("CARGO_BIN_EXE_webhook"))
            .env("PUBLIC_BASE_URL", EVENTS_PUBLIC_BASE_URL)
            .env("INBOUND_QUEUE_URL", configured(queue_url.clone()))
            .env("IDEMPOTENCY_TABLE", table)
            .start()
            .await;
        Self {
            stack,
            queue_url,
            function,
        }
    }

    async fn queued(&self) -> Vec<aws_sdk_sqs::types::Message> {
        support::drain_queue(&self.stack.sdk, &self.queue_url).await
    }

    /// Whether the process wrote an EMF count of `metric` (its stdout is read
    /// asynchronously, so this waits for it a little).
    async fn counted(&self, metric: &str) -> bool {
        for _ in 0..50 {
            let emf = self.function.log().lines().any(|line| {
                line.contains("CloudWatchMetrics") && line.contains(&format!("\"{metric}\":1"))
            });
            if emf {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }
}

/// The form Twilio posted, from an API Gateway event's (base64) body.
fn form_of(event: &str) -> Vec<(String, String)> {
    let event: serde_json::Value = serde_json::from_str(&support::event_text(event)).unwrap();
    let body = event["body"].as_str().unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    serde_urlencoded::from_bytes(&raw).unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the form has no {name}"))
}

#[tokio::test]
async fn an_inbound_sms_event_is_answered_200_and_put_on_the_fifo_queue_grouped_by_the_senders_hash()
 {
    let webhook = Webhook::deploy().await;

    let response = webhook
        .function
        .invoke_event("webhook-inbound.json")
        .await
        .expect("the webhook answers");

    assert_eq!(response["statusCode"], 200, "{response}");
    let twiml = response["body"].as_str().unwrap_or_default();
    assert!(twiml.contains("<Response></Response>"), "{response}");
    let queued = webhook.queued().await;
    assert_eq!(queued.len(), 1, "one message on the queue");
    let form = form_of("webhook-inbound.json");
    let message: serde_json::Value = serde_json::from_str(queued[0].body().unwrap()).unwrap();
    assert_eq!(message["message_sid"], field(&form, "MessageSid"));
    assert_eq!(message["from"], field(&form, "From"));
    assert_eq!(message["body"], field(&form, "Body"));
    let attributes = queued[0].attributes().unwrap();
    assert_eq!(
        attributes[&MessageSystemAttributeName::MessageGroupId],
        hex::encode(Sha256::digest(field(&form, "From").as_bytes())),
        "the group is the SHA-256 of the sender, never the number"
    );
    assert_eq!(
        attributes[&MessageSystemAttributeName::MessageDeduplicationId],
        field(&form, "MessageSid")
    );
}

#[tokio::test]
async fn a_forged_webhook_event_is_refused_with_403_and_nothing_is_queued() {
    let webhook = Webhook::deploy().await;

    let response = webhook
        .function
        .invoke_event("webhook-inbound-forged.json")
        .await
        .expect("the webhook answers");

    assert_eq!(response["statusCode"], 403, "{response}");
    assert!(webhook.queued().await.is_empty());
    assert!(
        webhook.counted("WebhookSignatureRejected").await,
        "{}",
        webhook.function.log()
    );
}

#[tokio::test]
async fn with_its_queue_unavailable_the_webhook_parks_the_message_answers_200_and_counts_it() {
    // A queue that does not exist: SendMessage fails as when SQS is down.
    let webhook = Webhook::deploy_with_queue(|url| url.replace(".fifo", "-missing.fifo")).await;

    let response = webhook
        .function
        .invoke_event("webhook-inbound.json")
        .await
        .expect("the webhook answers");

    assert_eq!(response["statusCode"], 200, "{response}");
    let client = webhook.stack.db.pool.get().await.unwrap();
    let parked: String = client
        .query_one("SELECT message_sid FROM parked_inbound", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        parked,
        field(&form_of("webhook-inbound.json"), "MessageSid")
    );
    assert!(webhook.queued().await.is_empty());
    assert!(
        webhook.counted("InboundParked").await,
        "{}",
        webhook.function.log()
    );
}

#[tokio::test]
async fn without_its_app_secret_the_webhook_does_not_start() {
    let absent = format!(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}",
        support::unique("smsbot/test/absent")
    );
    let function = LambdaFunction::builder("webhook", env!("CARGO_BIN_EXE_webhook"))
        .env("APP_SECRETS_ARN", absent)
        .env("PUBLIC_BASE_URL", EVENTS_PUBLIC_BASE_URL)
        .env(
            "INBOUND_QUEUE_URL",
            "http://127.0.0.1:9/000000000000/unused.fifo",
        )
        .env("IDEMPOTENCY_TABLE", "unused")
        .start()
        .await;

    let refused = function
        .invoke_event("webhook-inbound.json")
        .await
        .expect_err("no secret, no start");

    assert!(
        matches!(refused.failure, Failure::Exited(status) if !status.success()),
        "{refused}"
    );
    assert!(
        refused.log.contains("ResourceNotFoundException"),
        "{refused}"
    );
}
