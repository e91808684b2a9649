//! Lambda entry point for the campaign dispatcher (an EventBridge Scheduler
//! schedule, every `DISPATCH_TICK_SECONDS`).
//!
//! Wiring only: telemetry, settings (secrets fetched once per container), the
//! outbound queue, then one dispatcher tick per event. The event's content does
//! not matter (a scheduled event or `{}`); the tick uses the current time.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_aws::SqsQueue;
use smsbot_campaigns::{EngineSettings, wiring};

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let engine = EngineSettings::from_env()?;
    let queue_url = settings
        .outbound_queue_url
        .clone()
        .ok_or("OUTBOUND_QUEUE_URL is required but not set")?;
    let queue = Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url));
    let dispatcher = wiring::dispatcher(&settings, &engine, queue)?;
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let report = dispatcher.tick(chrono::Utc::now()).await?;
            tracing::info!(?report, "dispatch tick done");
            Ok::<serde_json::Value, Error>(serde_json::json!({
                "campaigns": report.campaigns,
                "queued": report.queued,
                "deferred": report.deferred,
                "completed": report.completed,
            }))
        },
    ))
    .await
}
