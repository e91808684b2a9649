//! Lambda entry point for the campaign dispatcher (an EventBridge Scheduler
//! schedule, every `DISPATCH_TICK_SECONDS`).
//!
//! Wiring only: telemetry, the app (secrets fetched once per container), the
//! outbound queue, then one dispatcher tick per event. The event's content does
//! not matter (a scheduled event or `{}`); the tick uses the current time.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let dispatcher = app.dispatcher(Arc::new(app.outbound_queue()?))?;
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
